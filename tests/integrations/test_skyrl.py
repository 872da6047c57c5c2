"""SkyRL-Gym, tested against the real skyrl-gym package."""

from __future__ import annotations

import pytest

skyrl_gym = pytest.importorskip("skyrl_gym", reason="skyrl-gym is not installed")

from corral.integrations.skyrl import CorralEnv, register  # noqa: E402

from .conftest import load_example  # noqa: E402


def test_the_example_ends_the_mining_episode_and_scores_the_others():
    rows = load_example("skyrl_env").main()
    assert [r["reward"] for r in rows] == [1.0, 1.0, 0.0]
    assert [r["corral_verdict"] for r in rows] == ["clean", "clean", "ended"]
    assert rows[2]["corral_ended_rule"].startswith("mining-")


def test_made_by_skyrl_gym_it_is_a_skyrl_env():
    register()
    register()  # idempotent
    env = skyrl_gym.make("corral", env_config={"policy": "default"}, extras={"max_turns": 2})
    assert isinstance(env, skyrl_gym.Env) and isinstance(env, CorralEnv)
    prompt = [{"role": "user", "content": "hi"}]
    assert env.init(prompt)[0] == prompt
    out = env.step("no tags here")
    assert not out["done"] and "No action found" in out["observations"][0]["content"]
    out = env.step("<bash>echo $((2+2))</bash>")
    assert out["done"] and out["reward"] == 0.0  # max_turns reached, no answer
    assert "4" in out["observations"][0]["content"]
    assert env.episode.closed
    env.close()
    env.close()


def test_bad_configuration_is_a_clear_error():
    with pytest.raises(ValueError, match="max_turns"):
        CorralEnv({}, {"max_turns": 0})
    with pytest.raises(ValueError, match="module:function"):
        CorralEnv({"reward_fn": "nocolon"}, {})
    with pytest.raises(ValueError, match="unknown key"):
        CorralEnv({"polcy": "x"}, {})
    env = CorralEnv({}, {})
    with pytest.raises(RuntimeError, match="init"):
        env.step("<bash>ls</bash>")
