"""verl, tested against its protocol (verl 0.9.1's ToolAgentLoop calls; verl itself
needs torch and is not installed here)."""

from __future__ import annotations

import asyncio
import gc
import json

import pytest

from corral.integrations.verl import HAVE_VERL, CorralTool, schema_for, tool_config

from .conftest import load_example


def test_the_example_ends_the_mining_trajectory_and_leaks_nothing():
    rows, live = load_example("verl_tools").main()
    assert [r["corral_verdict"] for r in rows] == ["clean", "ended", "clean"]
    assert rows[1]["corral_ended_rule"].startswith("mining-")
    assert live == 0


@pytest.mark.timeout(300)
def test_the_example_on_a_local_fleet():
    from corral.integrations import shared_fleet

    try:
        rows, live = load_example("verl_tools").main(fleet=True, trajectories=2)
        assert [r["corral_verdict"] for r in rows] == ["clean", "ended"]
        assert live == 0
        fleet = shared_fleet(policy="default", local=True)  # the one the tools made
        assert fleet.stats()["live"] == 0
        assert any(a.tags.get("run") == "verl-demo" for a in fleet.alerts())
    finally:
        shared_fleet(policy="default", local=True).close()


def test_tool_schema_is_what_verl_reads():
    # ToolAgentLoop: tool.tool_schema.model_dump(exclude_unset=True, exclude_none=True)
    tool = CorralTool(config={"tool": "write_file"}, tool_schema=None)
    dumped = tool.tool_schema.model_dump(exclude_unset=True, exclude_none=True)
    assert dumped["type"] == "function" and dumped["function"]["name"] == "write_file"
    assert dumped["function"]["parameters"]["required"] == ["path", "content"]
    assert tool.name == "write_file" and tool.get_openai_tool_schema() is tool.tool_schema
    assert schema_for("run_shell").function.name == "run_shell"
    cfg = tool_config(["run_js"], policy="strict")
    assert json.loads(json.dumps(cfg))["tools"][0]["config"]["corral"] == {"policy": "strict"}
    assert isinstance(HAVE_VERL, bool)


def test_without_agent_data_an_instance_is_an_episode_closed_by_release():
    tool = CorralTool(config={"tool": "run_shell", "corral": {"run": "v2"}}, tool_schema=None)

    async def go():
        iid, _ = await tool.create()
        await tool.execute(iid, {"command": "X=5"})
        r2, _, m = await tool.execute(iid, {"command": "echo $X"})
        assert tool.live_episodes() == 1
        await tool.release(iid)
        return r2.text, m

    text, metrics = asyncio.run(go())
    assert "5" in text and metrics["corral_step"] == 2
    gc.collect()
    assert tool.live_episodes() == 0


def test_tools_of_one_config_share_a_trajectory_sandbox():
    a = CorralTool(config={"tool": "write_file", "corral": {"run": "v3"}}, tool_schema=None)
    b = CorralTool(config={"tool": "read_file", "corral": {"run": "v3"}}, tool_schema=None)

    class AgentData:
        def __init__(self) -> None:
            self.request_id = "r-1"
            self.extra_fields: dict = {}

    data = AgentData()

    async def go(data: AgentData):
        await a.execute("i1", {"path": "f.txt", "content": "shared"}, agent_data=data)
        resp, _, _ = await b.execute("i2", {"path": "f.txt"}, agent_data=data)
        bad, _, _ = await b.execute("i3", {"paht": "x"}, agent_data=data)
        return resp.text, bad.text

    text, bad = asyncio.run(go(data))
    assert "shared" in text and "bad arguments" in bad
    assert data.extra_fields["corral_verdict"] == "clean"
    del data
    gc.collect()
    assert a.live_episodes() == 0


def test_schemas_and_responses_validate_with_verls_own_models(verl_schemas):
    for name in ("run_shell", "run_python", "run_js", "read_file", "write_file", "list_files"):
        tool = CorralTool(config={"tool": name}, tool_schema=None)
        dumped = tool.tool_schema.model_dump(exclude_unset=True, exclude_none=True)
        theirs = verl_schemas.OpenAIFunctionToolSchema.model_validate(dumped)
        assert theirs.function.name == name
        assert theirs.model_dump(exclude_unset=True, exclude_none=True) == dumped
        # a verl YAML's tool_schema (verl's model) is taken as given
        same = CorralTool(config={"tool": name}, tool_schema=theirs)
        assert same.tool_schema is theirs and same.name == name

    async def go():
        tool = CorralTool(config={"tool": "run_shell"}, tool_schema=None)
        resp, _, _ = await tool.execute("i", {"command": "echo hi"})
        await tool.release("i")
        return resp

    resp = asyncio.run(go())
    # what ToolAgentLoop._call_tool rebuilds from a tool's response
    kwargs = {"text": resp.text}
    for attr in ("image", "video"):
        if getattr(resp, attr, None) is not None:
            kwargs[attr] = getattr(resp, attr)
    assert "hi" in verl_schemas.ToolResponse(**kwargs).text


def test_bad_tool_config_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown"):
        CorralTool(config={"tool": "rm_rf"}, tool_schema=None)
    with pytest.raises(TypeError, match="ended_reward"):
        CorralTool(config={"ended_reward": "low"}, tool_schema=None)
    with pytest.raises(ValueError, match="unknown key"):
        CorralTool(config={"corral": {"fleeet": True}}, tool_schema=None)
    with pytest.raises(ValueError, match="unknown corral tool"):
        tool_config(["nope"])
