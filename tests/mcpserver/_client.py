"""Helpers: the SDK's own client against ``python -m corral mcp``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import mcp_types as types
from mcp import StdioServerParameters

SRC = str(Path(__file__).resolve().parents[2] / "src")

ASK_POLICY = """\
version: 1
extends: [default]
commands:
  ask:
    - {match: "touch *", reason: "creating files needs a yes"}
approvals:
  timeout_s: 60
"""


def server_params(*args: str) -> StdioServerParameters:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return StdioServerParameters(command=sys.executable, args=["-m", "corral", "mcp", *args], env=env)


def text(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def answering(answer: str, seen: list[str]):
    """An elicitation callback that records the question and answers ``answer``
    (``decline`` declines)."""

    async def callback(context, params):
        seen.append(params.message)
        if answer == "decline":
            return types.ElicitResult(action="decline")
        return types.ElicitResult(action="accept", content={"answer": answer})

    return callback
