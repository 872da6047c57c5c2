"""Bash features agents use daily, checked against the real GNU bash.

Each script runs through ``/bin/bash`` in a temporary directory and through the
corral shell (``Sandbox.run``) on a workspace holding the same files; stdout and
the exit status must agree.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from corral.events import Decision

BASH = shutil.which("bash") or "/bin/bash"

FILES = {
    "a.txt": "3\n1\n2\n",
    "b.txt": "2\n3\n4\n",
    "t1.tsv": "k1\tx\nk2\ty\n",
    "t2.tsv": "k1\tp\nk3\tq\n",
    "words": "pear apple\nfig\n",
}


def _fill(root: Path) -> None:
    for name, text in FILES.items():
        (root / name).write_text(text)


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(budget=Budget(wall_s=30)) as s:
        yield s


def _bash(script: str) -> tuple[str, int]:
    with tempfile.TemporaryDirectory() as d:
        _fill(Path(d))
        p = subprocess.run(
            [BASH, "-c", script], cwd=d, capture_output=True, text=True, timeout=60,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": d},
        )
        return p.stdout, p.returncode


def _corral(sb: Sandbox, script: str) -> tuple[str, int]:
    sb.run("rm -rf ./* .corral-tmp; cd /workspace")
    for name, text in FILES.items():
        sb.files.write(f"/workspace/{name}", text)
    r = sb.run(script)
    return r.stdout, r.exit_code


def same(sb: Sandbox, script: str) -> None:
    want = _bash(script)
    got = _corral(sb, script)
    assert got == want, f"script: {script}\nbash:   {want!r}\ncorral: {got!r}"


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="no bash to compare")

PROCSUB = [
    "paste <(cut -f1 t1.tsv) <(cut -f2 t2.tsv)",
    "comm -12 <(sort a.txt) <(sort b.txt)",
    "comm -3 <(sort a.txt) <(sort b.txt)",
    "diff <(sort a.txt) <(sort b.txt); echo status=$?",
    "diff -u <(echo same) <(echo same); echo status=$?",
    "while read -r l; do echo \"got $l\"; done < <(sort -r a.txt)",
    "n=0; while read -r l; do n=$((n+1)); [ $n -ge 3 ] && break; done < <(yes); echo $n",
    "wc -l < <(seq 200000)",
    "cat <(echo one) <(echo two) - <<< three",
    "cat <(cat <(echo nested))",
    "echo $(cat <(echo in-subst))",
    "f() { cat \"$1\"; }; f <(echo via-function)",
    "grep -c 2 <(seq 30)",
    "sed -n 2p <(seq 5)",
    "awk '{s+=$1} END {print s}' <(seq 100)",
    "source <(echo 'x=sourced'); echo $x",
    "sort -m <(sort a.txt) <(sort b.txt)",
    "seq 5 | tee >(cat > copy.txt) > /dev/null; sleep 0.2; cat copy.txt",
    "echo <(true) | grep -c '^/dev/fd/[0-9]*$'",
    "echo '<(not a substitution)' \"<(nor this)\"",
    "head -c 5 <(yes); echo",
]


@needs_bash
@pytest.mark.parametrize("script", PROCSUB)
def test_process_substitution(sb: Sandbox, script: str) -> None:
    same(sb, script)


def test_process_substitution_leaves_nothing_behind(sb: Sandbox) -> None:
    r = sb.run("cat <(seq 3) >/dev/null; diff <(echo a) <(echo b) >/dev/null; ls -A")
    assert ".corral-tmp" not in r.stdout
    # a producer that never ends stops when its reader is done
    r = sb.run("head -n 2 <(yes y); echo done")
    assert r.stdout == "y\ny\ndone\n"


def test_process_substitution_goes_through_the_gate() -> None:
    class NoSort:
        def decide(self, action, session):  # type: ignore[no-untyped-def]
            if action.kind == "exec" and action.argv[0] == "sort":
                return Decision(verdict="deny", rule="no-sort", reason="no sorting")
            return Decision(verdict="allow")

    with Sandbox(gate=NoSort()) as s:
        s.files.write("/workspace/a.txt", "b\na\n")
        r = s.run("cat <(sort a.txt); echo end")
    assert r.stdout == "end\n"
    assert "denied" in r.stderr
