"""`corral shell` driven like a person at a terminal (a real pty via pexpect)."""

from __future__ import annotations

import os
import sys

import pexpect
import pytest


@pytest.fixture
def repl(tmp_path):
    child = pexpect.spawn(
        sys.executable,
        ["-m", "corral", "shell", "--timeout", "30"],
        env=dict(os.environ, TERM="dumb"),
        encoding="utf-8",
        timeout=60,
    )
    child.expect(r"corral:/workspace\$ ")
    yield child
    child.terminate(force=True)


def test_state_history_and_multiline(repl):
    repl.sendline("x=20")
    repl.expect(r"\$ ")
    repl.sendline("echo $((x + 22))")
    repl.expect("42")
    repl.expect(r"\$ ")
    repl.sendline("for i in 1 2; do")
    repl.expect("> ")
    repl.sendline("echo item$i; done")
    repl.expect("item1")
    repl.expect("item2")
    repl.expect(r"\$ ")
    repl.sendline("mkdir -p d && cd d")
    repl.expect(r"corral:/workspace/d\$ ")


def test_ctrl_c_interrupts_the_command_not_the_shell(repl):
    repl.sendline("while true; do :; done")
    import time

    time.sleep(0.5)
    repl.sendintr()
    repl.expect(r"corral:/workspace\$ ", timeout=10)
    repl.sendline("echo still-here")
    repl.expect("still-here")


def test_ctrl_d_exits(repl):
    repl.sendeof()
    repl.expect(pexpect.EOF)


def test_policy_questions_are_asked_at_the_prompt():
    child = pexpect.spawn(
        sys.executable,
        ["-m", "corral", "shell", "--policy", "default"],
        env=dict(os.environ, TERM="dumb"),
        encoding="utf-8",
        timeout=60,
    )
    try:
        child.expect(r"corral:/workspace\$ ")
        child.sendline("npm publish left-pad; echo rc=$?")
        child.expect(r"Allow\? \[y\]es once / \[a\]lways this session / \[N\]o")
        child.sendline("n")
        child.expect("rc=126")
        child.sendline("sudo -i; echo after")
        child.expect("denied")
        child.expect(r"corral:/workspace\$ ")
    finally:
        child.terminate(force=True)
