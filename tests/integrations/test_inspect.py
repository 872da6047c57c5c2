"""Inspect AI, tested against the real inspect-ai with a real eval on its mock model."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai", reason="inspect-ai is not installed")

from inspect_ai.util._sandbox.environment import SandboxUserUnsupportedError
from inspect_ai.util._sandbox.registry import registry_find_sandboxenv

from corral.integrations.inspect import (
    CorralSandboxConfig,
    CorralSandboxEnvironment,
)
from corral.policy import PolicyError

from .conftest import load_example

ROOT = Path(__file__).resolve().parents[2]


def test_a_real_eval_scores_the_clean_sample_and_ends_the_bad_one():
    clean, bad = load_example("inspect_eval").main()
    assert clean["status"] == "success" and clean["score"] == 1.0
    assert clean["verdict"] == "clean" and "42" in clean["tool_outputs"][-1]
    assert bad["score"] == 0.0 and bad["verdict"] == "ended"
    assert "corral: denied" in bad["tool_outputs"][1]
    assert "corral ended this episode" in bad["tool_outputs"][2]


def test_registered_and_declared_as_the_entry_point():
    assert registry_find_sandboxenv("corral") is CorralSandboxEnvironment
    eps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert eps["inspect_ai"]["corral"] == "corral.integrations.inspect"


def test_sandbox_environment_contract():
    async def go():
        envs = await CorralSandboxEnvironment.sample_init("t", None, {})
        env = envs["default"]
        assert isinstance(env, CorralSandboxEnvironment)
        try:
            await env.write_file("sub/a.txt", "line1\r\nline2\n")
            assert await env.read_file("sub/a.txt") == "line1\r\nline2\n"  # newlines kept
            assert await env.read_file("sub/a.txt", text=False) == b"line1\r\nline2\n"
            r = await env.exec(["cat", "a.txt"], cwd="sub", env={"X": "1"})
            assert r.success and r.stdout.startswith("line1")
            await env.exec(["cd", "sub"])  # changes nothing for the next exec
            r = await env.exec(["sh", "-c", "pwd; echo $X"], env={"X": "it's $HOME"})
            assert r.stdout == "/workspace\nit's $HOME\n"
            r = await env.exec(["python3", "-"], input="print(6*7)")
            assert r.stdout == "42\n"
            r = await env.exec(["sh", "-c", "exit 5"])
            assert not r.success and r.returncode == 5
            with pytest.raises(FileNotFoundError):
                await env.read_file("missing.txt")
            with pytest.raises(PermissionError):
                await env.read_file("/etc/passwd")
            with pytest.raises(PermissionError):
                await env.write_file("../escape.txt", "x")
            with pytest.raises(SandboxUserUnsupportedError):
                await env.exec(["id"], user="root")
            with pytest.raises(TimeoutError):
                await env.exec(["sh", "-c", "while true; do :; done"], timeout=1)
        finally:
            await CorralSandboxEnvironment.sample_cleanup("t", None, envs, False)
        assert env.episode.closed

    asyncio.run(go())


@pytest.mark.timeout(300)
def test_samples_on_a_local_fleet():
    from corral.integrations import shared_fleet

    async def go():
        config = {"policy": "default", "run": "insp-fleet", "fleet": {"local": True}}
        envs = await CorralSandboxEnvironment.sample_init("tf", config, {})
        env = envs["default"]
        try:
            r = await env.exec(["sh", "-c", "echo $((6*7))"])
            assert r.stdout == "42\n"
            await env.write_file("a.txt", "x")
            assert await env.read_file("a.txt") == "x"
            r = await env.exec(["sh", "-c", "xmrig -o stratum+tcp://p.example:3333"])
            assert r.returncode == 126 and env.episode.verdict == "ended"
            with pytest.raises(PermissionError, match="ended"):
                await env.read_file("a.txt")
        finally:
            await CorralSandboxEnvironment.sample_cleanup("tf", config, envs, False)
            await CorralSandboxEnvironment.task_cleanup("tf", config, True)

    try:
        asyncio.run(go())
        fleet = shared_fleet(policy="default", backend="wasm", local=True)
        assert any(a.tags.get("run") == "insp-fleet" for a in fleet.alerts())
        assert fleet.stats()["live"] == 0
    finally:
        shared_fleet(policy="default", backend="wasm", local=True).close()


def test_config_forms():
    assert CorralSandboxEnvironment.config_deserialize({"policy": "strict"}) == CorralSandboxConfig(
        policy="strict"
    )
    with pytest.raises(ValueError):
        CorralSandboxConfig.model_validate({"polcy": "strict"})
    with pytest.raises(PolicyError, match="no-such-policy"):
        asyncio.run(CorralSandboxEnvironment.task_init("t", {"policy": "no-such-policy"}))
