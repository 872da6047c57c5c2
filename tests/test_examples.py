"""The runnable examples stay runnable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from corral.native.doctor import available

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str) -> str:
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_quickstart():
    out = run("quickstart.py")
    assert "rows: 2" in out


@pytest.mark.skipif(not available("bwrap")[0], reason="bubblewrap unavailable")
def test_native():
    out = run("native.py")
    assert "hello from a real CPython" in out
    assert "exec: git version" in out
    assert "CONNECT tunnel failed, response 403" in out
    assert "fork bomb: processes" in out
    assert "miner: 126" in out and "mining-stratum-url" in out
