"""verifiers v1, tested against its Runtime protocol (verifiers 0.4.0 pins an older
mcp than corral's and is not installed here)."""

from __future__ import annotations

import asyncio

import pytest

from corral.integrations.verifiers import CorralRuntime, ReadLimitExceeded

from .conftest import load_example


def test_the_example_ends_the_mining_rollout():
    r0, r1 = load_example("verifiers_runtime").main()
    assert r0 == {"rollout": "r0", "exit_codes": [0, 0], "out": "42", "verdict": "clean"}
    assert r1["exit_codes"] == [0, 126, 137] and r1["verdict"] == "ended"


def test_runtime_protocol():
    async def go():
        rt = CorralRuntime("t1", run="vf-test")
        with pytest.raises(RuntimeError, match="not started"):
            await rt.run(["true"], {})
        try:
            await rt.start()
            await rt.start()  # once
            assert await rt.alive()
            view = rt.with_env({"A": "x y"})
            assert (await view.run(["sh", "-c", 'echo "$A"'], {"B": "1"})).stdout == "x y\n"
            assert view.episode is rt.episode
            with pytest.raises(ValueError, match="another user"):
                rt.with_user("root")
            assert rt.with_user(None).episode is rt.episode
            with pytest.raises(ValueError, match="identifiers"):
                await rt.run(["true"], {"A B": "1"})
            with pytest.raises(TypeError, match="argv"):
                await rt.run([], {})
            await rt.run(["cd", "/tmp"], {})
            assert (await rt.run(["pwd"], {})).stdout == "/workspace\n"
            await rt.write("d/f.bin", b"\x00\x01\x02")
            assert await rt.read("d/f.bin") == b"\x00\x01\x02"
            assert await rt.read("d/f.bin", max_bytes=3) == b"\x00\x01\x02"
            with pytest.raises(ReadLimitExceeded):
                await rt.read("d/f.bin", max_bytes=2)
            with pytest.raises(FileNotFoundError):
                await rt.read("missing")
            for call in (rt.open_process(["x"], {}), rt.run_uv_script("x"), rt.expose(8000)):
                with pytest.raises(NotImplementedError):
                    await call
        finally:
            await rt.stop()
        assert rt.stopped and not await rt.alive()
        rt.cleanup()  # idempotent, as verifiers' atexit backstop calls it
        with pytest.raises(RuntimeError, match="stopped"):
            await rt.start()

    asyncio.run(go())
