"""The runnable examples stay runnable."""

from __future__ import annotations

import re
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


def test_rl_rollout(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (corral[fleet])")
    png = tmp_path / "rollout.png"
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / "rl_rollout.py"), "--episodes", "12", "--local",
         "--out", str(png), "--audit-dir", str(tmp_path / "audit")],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    # episodes 3 (mining) and 9 (tunnel) turn bad: ended at the next step, the rest finish
    counts = dict(re.findall(r"│ ([a-z][^│]*?)\s+│\s+(\d+) │", out))
    assert counts["turned bad (scripted)"] == "2"
    assert counts["ended at the step after the bad one"] == "2"
    assert counts["benign episodes ended"] == "0"
    assert counts["finished (reward kept)"] == "10"
    assert counts["lost / failed episodes"] == "0"
    assert "mining-stratum-url" in out and "tunnel-ssh-remote-forward" in out
    assert "verifies" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "audit" / "rollout.sqlite").exists()
