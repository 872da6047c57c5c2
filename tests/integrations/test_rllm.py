"""rLLM, tested against its Sandbox protocol (rllm/sandbox/protocol.py; rLLM is not on
PyPI)."""

from __future__ import annotations

import subprocess

import pytest

from corral.errors import PathEscape
from corral.integrations.rllm import (
    EpisodeEndedError,
    PortsUnsupported,
    create_corral_sandbox,
    guest_path,
)

from .conftest import load_example


def test_the_example_ends_the_tunnelling_episode():
    log = dict(load_example("rllm_sandbox").main())
    assert log["python3 /workspace/app/task/solve.py"] == "ok: 45"
    assert log["echo after the tunnel"].startswith("ended:")
    assert log["verdict"] == "ended"


def test_protocol_calls():
    sb = create_corral_sandbox("p1", run="rllm-test")
    try:
        assert sb.exec("echo hi") == "hi\n"
        with pytest.raises(subprocess.CalledProcessError) as e:
            sb.exec("echo oops >&2; exit 4")
        assert e.value.returncode == 4 and "oops" in e.value.stderr
        with pytest.raises(subprocess.CalledProcessError) as e:
            sb.exec("sudo -i")
        assert e.value.returncode == 126 and "opens a shell as root" in e.value.stderr
        with pytest.raises(subprocess.TimeoutExpired):
            sb.exec("while true; do :; done", timeout=1)
        with pytest.raises(PortsUnsupported):
            sb.start_agent_process("python3 server.py", 8100)
        with pytest.raises(PortsUnsupported):
            sb.get_endpoint(8100)
        with pytest.raises(TypeError):
            sb.exec(["ls"])  # type: ignore[arg-type]
    finally:
        sb.close()
    with pytest.raises(EpisodeEndedError):
        sb.upload_file(__file__, "x.py")


def test_remote_paths():
    assert guest_path("/app/agent/x.py") == "/workspace/app/agent/x.py"
    assert guest_path("/workspace/a") == "/workspace/a"
    assert guest_path("rel/a") == "rel/a"
    assert guest_path("/app/../etc/passwd") == "/workspace/etc/passwd"
    for bad in ("", "a\0b"):
        with pytest.raises(ValueError):
            guest_path(bad)
    sb = create_corral_sandbox("p2")
    try:
        with pytest.raises(PathEscape):
            sb.upload_file(__file__, "../outside.py")
    finally:
        sb.close()
