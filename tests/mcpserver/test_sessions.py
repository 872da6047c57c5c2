"""The MCP server in memory (the SDK's in-process client): sandbox sessions, limits,
a failing factory, idle reaping, big files."""

from __future__ import annotations

import itertools

import anyio
import pytest
from mcp import Client

import corral
from corral.adapters import toolset
from corral.mcp import SandboxSessions, build_server, make_factory

from ._client import text

pytestmark = pytest.mark.timeout(120)


def test_in_memory_session_and_limits():
    made: list[corral.Sandbox] = []

    def factory(*, approver=None):
        sb = make_factory(policy="default")(approver=approver)
        made.append(sb)
        return sb

    sessions = SandboxSessions(factory, max_sessions=1, idle_timeout_s=0)
    keys = itertools.cycle(["a", "a", "b"])
    server = build_server(sessions, session_key=lambda ctx: next(keys))

    async def main():
        async with Client(server, mode="legacy") as c:
            r1 = await c.call_tool("write_file", {"path": "x", "content": "1"})
            r2 = await c.call_tool("read_file", {"path": "x"})
            r3 = await c.call_tool("read_file", {"path": "x"})  # key "b": no slot while "a" lives?
            return r1, r2, r3

    r1, r2, r3 = anyio.run(main)
    assert not r1.is_error and text(r2) == "1"
    # idle_timeout_s=0: "a" was idle, so its sandbox was closed to make room for "b"
    assert r3.is_error and "no such file" in text(r3)
    assert len(made) == 2 and made[0].closed and not made[1].closed
    sessions.close_all()
    assert made[1].closed


def test_no_free_slot_is_a_tool_error():
    sessions = SandboxSessions(make_factory(policy="default"), max_sessions=1, idle_timeout_s=None)
    keys = iter(["a", "b"])
    server = build_server(sessions, session_key=lambda ctx: next(keys))

    async def main():
        async with Client(server, mode="legacy") as c:
            await c.call_tool("run_shell", {"command": "true"})
            return await c.call_tool("run_shell", {"command": "true"})

    r = anyio.run(main)
    sessions.close_all()
    assert r.is_error and "all 1 sandboxes of this MCP server are in use" in text(r)


def test_a_failing_factory_is_a_tool_error_and_the_server_goes_on():
    calls = []

    def factory(*, approver=None):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("no more disk")
        return corral.Sandbox()

    sessions = SandboxSessions(factory)
    server = build_server(sessions)

    async def main():
        async with Client(server, mode="legacy") as c:
            bad = await c.call_tool("run_shell", {"command": "echo 1"})
            good = await c.call_tool("run_shell", {"command": "echo 2"})
            return bad, good

    bad, good = anyio.run(main)
    sessions.close_all()
    assert bad.is_error and "could not create the sandbox: RuntimeError: no more disk" in text(bad)
    assert not good.is_error and "2" in text(good)


def test_read_file_reads_a_bounded_head(monkeypatch):
    monkeypatch.setattr(toolset, "MAX_READ_BYTES", 1000)
    with corral.Sandbox() as sb:
        sb.files.write("big", "z" * 5000)
        outcome = toolset.call(sb, "read_file", {"path": "big"}, max_output_chars=10_000)
    assert outcome.ok and outcome.data["bytes"] == 1000 and outcome.data["truncated"]
    assert "larger than 1000 bytes" in outcome.text


def test_a_factory_without_an_approver_parameter():
    sessions = SandboxSessions(lambda: corral.Sandbox(policy="default"))
    server = build_server(sessions)

    async def main():
        async with Client(server, mode="legacy") as c:
            ok = await c.call_tool("run_shell", {"command": "echo plain"})
            denied = await c.call_tool("run_shell", {"command": "nmap 10.0.0.1"})
            return ok, denied

    ok, denied = anyio.run(main)
    sessions.close_all()
    assert not ok.is_error and "plain" in text(ok)
    assert denied.is_error and "discovery-scanner" in text(denied)
