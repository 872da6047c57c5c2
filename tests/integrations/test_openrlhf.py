"""OpenRLHF, tested against OpenRLHF's own MultiTurnAgentExecutor (0.11.2's
openrlhf/utils/agent.py, from the package or its wheel)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from corral.integrations.openrlhf import agent_classes

from .conftest import load_example


def test_the_example_under_openrlhfs_executor(openrlhf_agent):
    rows = load_example("openrlhf_agent").main(agent_module=openrlhf_agent)
    assert [r["reward"] for r in rows] == [1.0, 0.0, 1.0]
    assert [r["corral_ended"] for r in rows] == [0.0, 1.0, 0.0]


def test_classes_are_what_openrlhf_asserts(openrlhf_agent):
    inst, execu = agent_classes(agent_module=openrlhf_agent, max_steps=2)
    assert issubclass(inst, openrlhf_agent.AgentInstanceBase)
    assert issubclass(execu, openrlhf_agent.AgentExecutorBase)
    assert execu().agent_instance_cls is inst

    example = load_example("openrlhf_agent")

    async def go():
        out = await execu().execute(
            "Q", "x", SimpleNamespace(logprobs=None, max_tokens=10), 1 << 16,
            example.ToyTokenizer(), example.ScriptedEngine(["no action", "<bash>echo 7</bash>"]),
        )
        return out

    out = asyncio.run(go())  # max_steps ends it with no answer: reward 0
    assert out["reward"] == 0.0
    text = "".join(map(chr, out["observation_tokens"]))
    assert "no action found" in text and "stdout:\n7" in text


def test_bad_arguments_are_clear_errors(openrlhf_agent):
    with pytest.raises(ValueError, match="max_steps"):
        agent_classes(agent_module=openrlhf_agent, max_steps=0)
    with pytest.raises(ValueError, match="text"):
        agent_classes(agent_module=openrlhf_agent, feedback="no placeholder")
