"""A wasm guest's trap in the trainer's own process still works after Ray starts there
(Ray's failure signal handler used to take wasmtime's SIGILL and kill the process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("ray", reason="ray is not installed (pip install 'corral[fleet]')")

_SCRIPT = textwrap.dedent(
    """
    from corral import Sandbox
    from corral.fleet import Fleet

    bomb = "JSON.parse('['.repeat(200000) + ']'.repeat(200000))"
    with Sandbox() as sb:
        print("before", sb.js(bomb).error, flush=True)
        with Fleet() as fleet:
            print("after", sb.js(bomb).error, flush=True)
            print("still", sb.js("console.log(6 * 7)").stdout.strip(), flush=True)
        print("closed", sb.js(bomb).error, flush=True)  # ray.shutdown resets handlers too
    """
)


def test_a_guest_trap_after_the_fleet_started_is_the_guests_not_the_process() -> None:
    p = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=240
    )
    assert "SIGILL received" not in p.stderr, p.stderr[-2000:]
    assert p.returncode == 0, p.stderr[-2000:]
    words = ("before", "after", "still", "closed")
    lines = [x for x in p.stdout.splitlines() if x.split(" ")[0] in words]
    assert lines == ["before crash", "after crash", "still 42", "closed crash"], p.stdout
