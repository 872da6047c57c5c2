"""Commands the policy certainly allows run without a question to the host
(``corral.wasm.predecided``): the same decisions, the same events in the same order, every
``ask`` still asked, a worker that skips a needed question is a broken worker."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import corral
from corral.events import ExecAction
from corral.policy import Policy
from corral.sandbox import _GUEST_COMMANDS, _TierHooks
from corral.wasm import shellproc
from corral.wasm import worker_channel as C
from corral.wasm.predecided import Predecided, load

CUSTOM = """
version: 1
commands:
  default: deny
  allow: [grep, "echo *", {program: cat}, "ls -l *", {regex: '^ech[o]'}, {program: "["}, "true"]
  deny: [{regex: '(?i)SECRET'}, "rm *", "*-rf*", {regex: 'a(?=b)c|x(?!y)'}]
  ask: ["e* x", {program: head}, {match: "echo *|*"}]
filesystem:
  deny: ["/etc/**", "~/.ssh/**"]
"""
_WORDS_TEXT = (
    "[ ] echo ECHO cat grep ls -l -lt 1000 x xy ac secret SeCrEt rm -rf mkfs mkfs.ext4 xmrig "
    "git config core.pager less push scp a host:b rsync stratum+tcp://p --donate-level "
    "/etc/passwd ./f ~/.ssh/id_rsa ~ . sudo env bash -c python3 node head e find -exec ; a=b "
    "--x=/etc/shadow $(curl `curl | > gpg --export-secret-keys code tunnel ssh curl wget nc "
    "-e /bin/sh crontab docker sh xargs timeout 5 nohup true"
)
WORDS = _WORDS_TEXT.split(" ")


def _policies() -> list[Policy]:
    return [
        Policy.builtin("default"),
        Policy.builtin("strict"),
        Policy.builtin("permissive"),
        Policy.from_yaml(CUSTOM),
    ]


def test_what_the_worker_may_decide_the_policy_allows():
    rnd = random.Random(15)
    for pol in _policies():
        table = pol.exec_shortcuts(never=_GUEST_COMMANDS)
        assert table is not None
        pre = Predecided(table)
        shortcuts = 0
        for _ in range(8000):
            argv = [rnd.choice(WORDS) for _ in range(rnd.randint(1, 5))]
            joined = " ".join(argv)
            line = rnd.choice(["", joined, joined + " > f", "a | b", f"$( {joined} )"])
            if pre.allows(argv, line):
                shortcuts += 1
                d = pol.decide(ExecAction(argv=argv, cwd="/workspace", line=line or joined))
                assert d.verdict == "allow", (pol.source, argv, line, d)
        assert shortcuts > 30, pol.source  # the common commands do take the shortcut


def test_what_needs_the_engine_is_never_a_shortcut():
    pre = Predecided(Policy.from_yaml(CUSTOM).exec_shortcuts(never=_GUEST_COMMANDS))
    assert pre.allows(["[", "3", "-lt", "1000", "]"], "[ $i -lt 1000 ]")
    assert pre.allows(["echo", "hi"], "echo hi")
    for argv, line in [
        (["echo", "SECRET"], ""),  # an anywhere deny with an inline flag
        (["echo", "xz"], ""),  # lookaround
        (["echo", "hi"], "echo hi | cat"),  # a line rule could apply
        (["cat", "/etc/passwd"], ""),  # a path under filesystem.deny
        (["cat", "--x=~/.ssh/k"], ""),
        (["head", "f"], ""),  # ask
        (["ls"], ""),  # default deny, no rule of its own that always matches
        (["python3", "-c", "1"], ""),
        (["node"], ""),
        (["env", "echo", "x"], ""),  # wrappers run inner commands
        (["bash", "-c", "echo"], ""),
        (["/bin/echo", "x"], ""),  # a path as the program
    ]:
        assert not pre.allows(argv, line), argv


def test_policies_the_table_cannot_hold_and_bad_tables():
    # a monitor, a custom gate, no gate: no table (every command asked, or only reported)
    with corral.Sandbox(policy="default") as sb:  # the policy's monitor is on
        assert _TierHooks(sb).predecided() is None
    with corral.Sandbox(policy="default", monitor=False) as sb:
        assert _TierHooks(sb).predecided() is not None

    class Gate:
        def decide(self, action, session=None):
            return corral.Decision(verdict="allow", reason="mine")

    with corral.Sandbox(gate=Gate(), monitor=False) as sb:
        assert _TierHooks(sb).predecided() is None
    for bad in ({"free": "x"}, {"rules": [["perl", "x"]]}, {"screen": "("}, {"paths": 3}, []):
        assert load(bad) is None


def _record(sb: corral.Sandbox) -> list[corral.Event]:
    seen: list[corral.Event] = []
    sb.events.bus.subscribe(lambda ev: seen.append(ev) if ev.session == sb.session else None)
    return seen


def _summary(events: list[corral.Event]) -> list[tuple]:
    out = []
    for e in events:
        a, d = e.action, e.decision
        if a is None or a.kind not in ("exec", "file"):
            continue
        what = tuple(a.argv) if a.kind == "exec" else (a.op, a.path)
        out.append((e.type, a.kind, what, d.verdict if d else None, d.rule if d else None,
                    d.reason if d else None))  # fmt: skip
    return out


SCRIPT = (
    "i=0; while [ $i -lt 200 ]; do i=$((i+1)); printf '%s\\n' $i >> out; done; "
    "x=r; ${x}m out; k=.ssh/id_rsa; cat ~/$k; p=stratum; echo $p+tcp://pool; wc -l out; "
    "echo $i | cat; ls -l ."
)


@pytest.mark.timeout(180)
def test_same_events_in_the_same_order_with_and_without_the_shortcut(monkeypatch):
    policy = Policy.from_yaml(
        "version: 1\nextends: [default]\n"
        "commands:\n  deny:\n    - {match: 'rm *', reason: no removing here}\n"
    )
    runs = []
    asked: list[int] = []
    real = shellproc.ShellProcess._answer

    def counting(self, fr, handler, deadline):
        if fr.id != 0 and fr.data.get("op") == "exec":
            asked[-1] += 1
        return real(self, fr, handler, deadline)

    monkeypatch.setattr(shellproc.ShellProcess, "_answer", counting)
    for shortcut in (True, False):
        if not shortcut:
            monkeypatch.setattr(_TierHooks, "predecided", lambda self: None)
        asked.append(0)
        with corral.Sandbox(policy=policy, monitor=False) as sb:
            seen = _record(sb)
            r = sb.run(SCRIPT)
            # `ls -l`'s time of day: the two runs may fall either side of a minute
            out = re.sub(r" \w{3} [ \d]\d \d\d:\d\d ", " MTIME ", r.stdout)
            runs.append((r.exit_code, out, r.stderr, _summary(seen)))
    # the two stages of `echo $i | cat` are threads: their reports may come either way
    stages = {("echo", "200"), ("cat",)}

    def ordered(events: list[tuple]) -> tuple[list[tuple], list[tuple]]:
        return [e for e in events if e[2] not in stages], sorted(
            (e for e in events if e[2] in stages), key=repr)

    assert runs[0][:3] == runs[1][:3]
    assert ordered(runs[0][3]) == ordered(runs[1][3])
    _status, out, err, events = runs[0]
    assert out.startswith("200 out\n200\n"), (out, err)
    assert "no removing here" in err and "denied" in err
    verdicts = [(e[2][0], e[3]) for e in events if e[1] == "exec"]
    assert ("rm", "deny") in verdicts and ("cat", "deny") in verdicts
    assert ("echo", "deny") in verdicts  # the miner address
    # with the shortcut the loop's commands were reported, not asked about
    assert asked[1] > 400 and asked[0] < 20, asked


@pytest.mark.timeout(180)
def test_an_ask_is_still_asked_every_time():
    policy = Policy.from_yaml(
        "version: 1\nextends: [permissive]\n"
        "commands:\n  ask:\n    - {match: 'touch *', reason: touching needs a person}\n"
    )
    questions: list[str] = []

    def approve(request):
        questions.append(" ".join(request.action.argv))
        return "allow"  # once

    with corral.Sandbox(policy=policy, approver=approve, monitor=False) as sb:
        assert _TierHooks(sb).predecided() is not None
        r = sb.run("for i in 1 2 3; do t=touch; $t f$i; echo $i; done; ls")
        assert r.stdout == "1\n2\n3\nf1\nf2\nf3\n", r.stderr
    assert questions == ["touch f1", "touch f2", "touch f3"]


def test_a_worker_that_skips_a_needed_question_is_broken():
    class H:
        def on_exec(self, argv, cwd, line):
            return argv[0] != "rm", "rm is denied"

    sp = shellproc.ShellProcess.__new__(shellproc.ShellProcess)
    sp.sock, sp.file_notices, sp._killed = object(), 0, threading.Event()
    ok = {"op": "exec", "argv": ["ls"], "cwd": "/workspace", "line": "ls"}
    sp._answer(C.Frame(C.REQUEST, 0, ok, b""), H(), time.monotonic() + 5)
    bad = {"op": "notices", "items": [ok, {**ok, "argv": ["rm", "f"], "line": "rm f"}]}
    with pytest.raises(shellproc._Stop) as e:
        sp._answer(C.Frame(C.REQUEST, 0, bad, b""), H(), time.monotonic() + 5)
    assert e.value.kind == "crash" and "rm is denied" in e.value.why


def test_a_sandbox_without_a_policy_never_loads_the_policy_engine():
    """The table is looked for on every call: without a gate it costs nothing (the
    policy package and its YAML/pydantic models stay unloaded, the first command fast)."""
    code = (
        "import corral, json, sys\n"
        "with corral.Sandbox() as sb:\n"
        "    assert sb.run('i=0; while [ $i -lt 3 ]; do i=$((i+1)); done').exit_code == 0\n"
        "print(json.dumps('corral.policy.engine' in sys.modules))\n"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "false"


def test_a_line_too_long_for_a_backtracking_rule_is_a_question():
    pre = Predecided(Policy.from_yaml(CUSTOM).exec_shortcuts(never=_GUEST_COMMANDS))
    assert pre.tests  # the lookaround rule is matched alone, behind saferegex's cap
    assert not pre.allows(["echo", "x" * 2_000_000], "echo $x")  # no RegexTooExpensive
