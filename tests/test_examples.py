"""The runnable examples stay runnable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from corral.native.doctor import available

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str) -> str:
    env = dict(os.environ)
    src = str(EXAMPLES.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=300, env=env
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
    assert "curl: 126 corral: denied" in out and "connects to the network" in out
    assert "fork bomb: denied" in out and "Fork bomb" in out  # the monitor, before it runs
    assert "process flood: processes" in out  # the process budget
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


def test_openai_tools():
    out = run("openai_tools.py")
    assert "tools: run_shell, run_python, run_js, read_file, write_file, list_files" in out
    assert "write_file -> wrote 22 bytes to /workspace/stats.py" in out
    assert "run_shell -> exit code: 126 (not run)" in out  # curl | sh refused
    assert "read_file -> bad arguments: the arguments are not valid JSON" in out
    assert "python said: 45" in out


def test_langchain_tools():
    pytest.importorskip("langchain_core")
    out = run("langchain_tools.py")
    assert "--- run_python\nexit code: 0\nstdout:\n8" in out
    assert "/workspace/data.csv" in out
    assert "discovery-scanner" in out and "exit code: 126 (not run)" in out


def test_mcp_client():
    out = run("mcp_client.py")
    assert "tools: run_shell, run_python, run_js, read_file, write_file, list_files" in out
    assert "hello from MCP" in out
    assert "question from corral:" in out and "git push origin main" in out
    assert "exit=126" in out and "denied by the person at the MCP client" in out
    assert "tunnel-ssh-remote-forward" in out


def test_rogue_agent():
    out = run("rogue_agent.py")
    lines = out.splitlines()

    def step(n: int) -> str:
        return next(line for line in lines if line.startswith(f"[{n}]"))

    for n in (1, 2, 3):
        assert step(n).endswith("-> allowed"), step(n)
    assert "| 1 passed" in out
    for n in (4, 5, 6, 7):
        assert step(n).endswith("-> DENIED"), step(n)
    assert "mining-miner-name" in out  # the download
    assert "tunnel-ssh-remote-forward" in out  # the reverse tunnel
    assert "discovery-scanner" in out  # the scan
    assert "alert [critical] mining-known-miner" in out  # the miner's start
    assert "the monitor stopped the session: killed by the monitor" in out
    assert step(8).endswith("-> STOPPED")
    assert lines[-1].endswith("session: killed by the monitor")
