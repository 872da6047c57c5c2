"""Agent-supplied regexes and globs cannot freeze the host (issue 10).

Python's ``re`` holds the GIL for a whole match, so a runaway match would also
freeze a watchdog thread in the test process: every script runs in a separate
worker process, and a script that does not answer within ``LIMIT_S`` fails the
test (the worker is killed and restarted) instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time

import pytest

LIMIT_S = float(os.environ.get("CORRAL_TEST_HANG_S", "20"))  # "did not hang"

A40 = "a" * 40 + "b"  # (a+)+$ needs 2^40 steps on this in a backtracking engine
LONG = "a" * 3000  # a*a*a*a*a*a*a*b: ~3000^7 steps in a backtracking engine

_WORKER = r"""
import json, sys
from corral import Sandbox
with Sandbox() as sb:
    for line in sys.stdin:
        r = sb.run(json.loads(line))
        print(json.dumps([r.stdout, r.stderr, r.exit_code]), flush=True)
"""


class _Worker:
    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> subprocess.Popen[str]:
        if self.proc is None or self.proc.poll() is not None:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
        return self.proc

    def run(self, script: str) -> tuple[str, str, int]:
        proc = self.start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(script) + "\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], LIMIT_S + 10)  # + start-up
        if not ready:
            self.stop()
            pytest.fail(f"no answer within {LIMIT_S}s: the match ran away: {script[:200]!r}")
        out, err, status = json.loads(proc.stdout.readline())
        return out, err, status

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture(scope="module")
def worker():
    w = _Worker()
    yield w
    w.stop()


# (script, expected stdout): each has a pathological pattern on a hostile input.
CASES = {
    "grep-ere": (f"echo {A40} | grep -E '(a+)+$'; echo $?", "1\n"),
    "grep-bre": (f"echo {A40} | grep '\\(a*\\)*c'; echo $?", "1\n"),
    "grep-pcre": (f"echo {A40} | grep -P '(a+)+$'; echo $?", "1\n"),
    "grep-w": (f"echo {A40} | grep -wE '(a+)+c'; echo $?", "1\n"),
    "grep-i-w": (f"echo {A40} | grep -iwE '(a|aa)+c'; echo $?", "1\n"),
    "grep-x": (f"echo {A40} | grep -xE '(a+)+'; echo $?", "1\n"),
    "grep-o": (f"echo {A40} | grep -oE '(a|aa)+c'; echo $?", "1\n"),
    "grep-multi": (f"echo {A40} | grep -E -e '(a+)+$' -e '(b+)+c'; echo $?", "1\n"),
    "grep-nonascii": (f"echo é{A40} | grep -wE '(a+)+c'; echo $?", "1\n"),
    "sed-s": (f"echo {A40} | sed -E 's/(a+)+$/X/'", A40 + "\n"),
    "sed-addr": (f"echo {A40} | sed -n '/\\(a*\\)*c/p'; echo done", "done\n"),
    "sed-g": (f"echo {A40} | sed -E 's/(a|aa)+c/X/g'", A40 + "\n"),
    "awk-literal": (f"echo {A40} | awk '/(a+)+$/'; echo done", "done\n"),
    "awk-match": (f"echo {A40} | awk '{{print match($0, /(a+)+$/)}}'", "0\n"),
    "awk-tilde": (f"echo {A40} | awk '{{print ($0 ~ \"(a+)+$\")}}'", "0\n"),
    "awk-gsub": (f"echo {A40} | awk '{{n = gsub(/(a|aa)+c/, \"x\"); print n}}'", "0\n"),
    "awk-split": (f"echo {A40} | awk '{{print split($0, p, /(a+)+c/)}}'", "1\n"),
    "awk-fs": (f"echo {A40} | awk -F '(a+)+c' '{{print NF}}'", "1\n"),
    "jq-test": (f'echo \'"{A40}"\' | jq \'test("(a+)+$")\'', "false\n"),
    "jq-match": (f'echo \'"{A40}"\' | jq -c \'[match("(a+)+$"; "g")]\'', "[]\n"),
    "jq-capture": (f'echo \'"{A40}"\' | jq -c \'[capture("(?<x>(a+)+$)")]\'', "[]\n"),
    "jq-sub": (f'echo \'"{A40}"\' | jq -r \'sub("(a+)+$"; "x")\'', A40 + "\n"),
    "jq-gsub": (f'echo \'"{A40}"\' | jq -r \'gsub("(a|aa)+c"; "x")\'', A40 + "\n"),
    "jq-scan": (f'echo \'"{A40}"\' | jq -c \'[scan("(a+)+c")]\'', "[]\n"),
    "jq-splits": (f'echo \'"{A40}"\' | jq -c \'[splits("(a+)+c")]\'', f'["{A40}"]\n'),
    "bash-regex": (f"x={A40}; [[ $x =~ (a+)+$ ]]; echo $?", "1\n"),
    "find-regex": (
        f"mkdir d && touch d/{A40} && find d -regex '.*(a+)+c' -o -regex '.*\\(a*\\)*c'; echo ok",
        "ok\n",
    ),
    "case-glob": (f"x={LONG}; case $x in *a*a*a*a*a*a*a*b) echo y;; *) echo n;; esac", "n\n"),
    "cond-glob": (f"x={LONG}; [[ $x == *a*a*a*a*a*a*a*b ]]; echo $?", "1\n"),
    "strip-glob": (f"x={LONG}; y=${{x#*a*a*a*a*a*a*a*b}}; echo ${{#y}}", "3000\n"),
    "replace-glob": (f"x={LONG}; y=${{x//a*a*a*a*a*a*a*b/z}}; echo ${{#y}}", "3000\n"),
    "extglob": (
        f"shopt -s extglob; x={A40}c; [[ $x == +(a|aa)+(a|aa)b ]]; echo $?",
        "1\n",
    ),
    "pathname": (
        f"mkdir e && touch e/{LONG[:200]} && echo e/*a*a*a*a*a*a*a*b",
        "e/*a*a*a*a*a*a*a*b\n",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_pathological_pattern_returns(worker: _Worker, name: str) -> None:
    script, expected = CASES[name]
    out, err, _ = worker.run(f"cd $(mktemp -d) 2>/dev/null || true; {script}")
    assert out == expected, (out, err)


def test_back_reference_still_works_and_needs_no_match_in_linear_time() -> None:
    from corral import saferegex

    rx = saferegex.compile(r"(a+)+\1c")
    assert rx.engine == "python"
    assert rx.search("xaac").group() == "aac"
    t = threading.Thread(target=lambda: rx.search("a" * 60 + "b"), daemon=True)
    t.start()  # the relaxed RE2 pattern (a+)+.*c cannot match: Python is never run
    t.join(LIMIT_S)
    assert not t.is_alive()


def test_fallback_refuses_huge_text() -> None:
    from corral import saferegex

    rx = saferegex.compile(r"(?<=x)(a+)+c")
    with pytest.raises(saferegex.RegexTooExpensive, match="limit"):
        rx.search("xa" + "a" * saferegex.FALLBACK_MAX_CHARS + "c")


def test_other_threads_run_while_re2_matches() -> None:
    """RE2 releases the GIL: a second thread makes progress in the middle of a match."""
    from corral import saferegex

    rx = saferegex.compile(r"(?:a|b)*c(a+)+b")
    text = "ab" * 20_000_000
    stamps: list[float] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            stamps.append(time.monotonic())
            for _ in range(1000):
                pass

    t = threading.Thread(target=spin, daemon=True)
    t.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    assert rx.search(text) is None
    t1 = time.monotonic()
    stop.set()
    t.join()
    quarter = (t1 - t0) / 4
    middle = [s for s in stamps if t0 + quarter < s < t1 - quarter]
    assert middle, "the other thread did not run while the match ran"
