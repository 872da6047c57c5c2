"""verl: corral's tools as verl tools, driven the way verl's ``ToolAgentLoop`` drives
them (for each tool call: ``create``, ``execute(instance_id, args, agent_data=...)``,
``release``), by a scripted model over a few trajectories at once. Trajectory 1 starts
a miner: its later calls are not run and ``extra_fields["corral_verdict"]`` says
``"ended"`` for the reward function; every trajectory's sandbox is closed when the loop
drops its ``AgentData``.

In a real run the tools come from ``tool_config_path`` (see ``tool_config()``)::

    import yaml
    from corral.integrations.verl import tool_config
    yaml.safe_dump(tool_config(["run_shell", "run_python"], policy="default", run="exp1"),
                   open("corral_tools.yaml", "w"))

    PYTHONPATH=src python3 examples/integrations/verl_tools.py [--fleet]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _policy import turns

from corral.integrations.actions import parse_action
from corral.integrations.verl import CorralTool, tool_config


class AgentData:
    """What verl's ``ToolAgentLoop`` hands every tool call (the fields tools read)."""

    def __init__(self) -> None:
        self.request_id = uuid.uuid4().hex
        self.extra_fields: dict[str, Any] = {}


async def call_tool(tools: dict[str, CorralTool], name: str, args: dict, data: AgentData):
    """verl 0.9.1 ``ToolAgentLoop._call_tool``, the BaseTool branch."""
    tool = tools[name]
    instance_id, _ = await tool.create(create_kwargs={})
    try:
        return await tool.execute(instance_id, args, agent_data=data)
    finally:
        await tool.release(instance_id)


async def trajectory(tools: dict[str, CorralTool], i: int, bad: set[int]) -> dict[str, Any]:
    data = AgentData()
    rewards = []
    for text in turns(i, bad):
        action = parse_action(text)
        if action is None or action.tool in ("answer", "invalid"):
            break
        _response, reward, _ = await call_tool(tools, action.tool, action.args, data)
        rewards.append(reward)
    return {"trajectory": i, "tool_rewards": rewards, **data.extra_fields}


def main(fleet: bool = False, trajectories: int = 3, bad: frozenset[int] = frozenset({1})):
    corral: dict[str, Any] = {"policy": "default", "run": "verl-demo"}
    if fleet:
        corral["fleet"] = {"local": True}
    config = tool_config(["run_shell", "run_python"], **corral)
    # what verl's initialize_tools_from_config does with that YAML
    tools = {}
    for c in config["tools"]:
        plain = json.loads(json.dumps(c["config"]))  # as it comes back from YAML
        tools[plain["tool"]] = CorralTool(config=plain, tool_schema=None)

    async def run_all() -> list[dict[str, Any]]:
        return list(
            await asyncio.gather(*(trajectory(tools, i, set(bad)) for i in range(trajectories)))
        )

    rows = asyncio.run(run_all())
    gc.collect()  # the loop has dropped every AgentData: their sandboxes are closed
    live = tools["run_shell"].live_episodes()
    return rows, live


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--fleet", action="store_true", help="sandboxes on Fleet(local=True)")
    rows, live = main(fleet=ap.parse_args().fleet)
    for row in rows:
        print(row)
    print("sandboxes still open:", live)
