"""``/mcp`` inside ``corral serve``: the MCP server behind the server's tenants."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp", reason="the MCP mount needs the mcp SDK")

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import ALICE, BOB, make_config, running
from corral.server.mcp_mount import mcp_mount

pytestmark = pytest.mark.timeout(240)


def _serve(tmp_path: Path, **kw: Any):
    config = make_config(tmp_path, **kw)
    made: list[Any] = []
    app, context = mcp_mount(config, lambda: made[0].state.hub)
    cm = running(config, mounts={"/mcp": app}, contexts=[context])

    class _Ctx:
        def __enter__(self):
            self.server = cm.__enter__()
            made.append(self.server.app)
            return self.server

        def __exit__(self, *exc):
            return cm.__exit__(*exc)

    return _Ctx()


def _client(url: str, headers: dict[str, str]) -> Client:
    http = httpx2.AsyncClient(headers=headers, timeout=60)
    return Client(streamable_http_client(url, http_client=http))


def test_mcp_needs_a_token_and_sessions_belong_to_their_tenant(tmp_path: Path) -> None:
    with _serve(tmp_path) as server:
        url = server.url + "/mcp/"
        with server.client() as anon:
            r = anon.post("/mcp/", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            assert r.status_code == 401

        async def main() -> tuple[str, str]:
            async with _client(url, ALICE) as a:
                out = await a.call_tool("run_shell", {"command": "echo from-alice > f; cat f"})
                sid = a.session_id if hasattr(a, "session_id") else None
                return str(out.structured_content.get("stdout")), str(sid)

        stdout, _ = anyio.run(main)
        assert "from-alice" in stdout
        # the MCP sandbox's events are alice's, not bob's
        with server.client(ALICE) as alice, server.client(BOB) as bob:
            mine = alice.get("/v1/events/recent").json()
            theirs = bob.get("/v1/events/recent").json()
        assert any("from-alice" in str(e) for e in mine)
        assert not any("from-alice" in str(e) for e in theirs)


def test_another_tenant_cannot_use_a_session_id(tmp_path: Path) -> None:
    with _serve(tmp_path) as server:
        init = {
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}},
        }  # fmt: skip
        accept = {"Accept": "application/json, text/event-stream"}
        with server.client({**ALICE, **accept}) as alice, server.client({**BOB, **accept}) as bob:
            r = alice.post("/mcp/", json=init)
            assert r.status_code == 200, r.text
            sid = r.headers["mcp-session-id"]
            ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
            r = bob.post("/mcp/", json=ping, headers={"mcp-session-id": sid})
            assert r.status_code == 404
            r = alice.post("/mcp/", json=ping, headers={"mcp-session-id": sid})
            assert r.status_code in (200, 202), r.text


def test_an_mcp_sandbox_is_in_its_tenants_list_and_can_be_deleted_there(tmp_path: Path) -> None:
    """The dashboard's Sandboxes panel (GET /v1/sandboxes) shows MCP sessions' sandboxes
    as their tenant's (via: mcp); calls on them through /v1 are refused (the session
    drives them), DELETE closes them, and they leave the list when the session ends."""
    with _serve(tmp_path) as server:
        url = server.url + "/mcp/"
        listed: dict[str, Any] = {}

        async def main() -> None:
            async with _client(url, ALICE) as a:
                await a.call_tool("run_shell", {"command": "echo hi"})
                with server.client(ALICE) as alice, server.client(BOB) as bob:
                    mine = [s for s in alice.get("/v1/sandboxes").json() if s["via"] == "mcp"]
                    listed["alice"] = mine
                    listed["bob"] = bob.get("/v1/sandboxes").json()
                    sid = mine[0]["id"]
                    listed["run"] = alice.post(f"/v1/sandboxes/{sid}/run",
                                               json={"command": "echo no"})  # fmt: skip
                    listed["bob_get"] = bob.get(f"/v1/sandboxes/{sid}").status_code
                    assert alice.delete(f"/v1/sandboxes/{sid}").status_code in (200, 204)
                    listed["after"] = alice.get("/v1/sandboxes").json()
                out = await a.call_tool("run_shell", {"command": "echo again"})
                listed["again"] = out

        anyio.run(main)
        assert len(listed["alice"]) == 1 and listed["alice"][0]["tags"] == {"via": "mcp"}
        assert listed["bob"] == [] and listed["bob_get"] == 404
        assert listed["run"].status_code == 409 and "MCP session" in listed["run"].text
        assert listed["after"] == []
        assert listed["again"].is_error  # the sandbox was deleted from the dashboard


_INIT = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "t", "version": "1"}},
}  # fmt: skip


def _init_session(client: Any) -> str:
    r = client.post("/mcp/", json=_INIT)
    assert r.status_code == 200, r.text
    return str(r.headers["mcp-session-id"])


_ACCEPT = {"Accept": "application/json, text/event-stream"}
_PING = {"jsonrpc": "2.0", "id": 2, "method": "ping"}


def test_a_repeated_session_or_token_header_is_refused(tmp_path: Path) -> None:
    """The gate read the last ``Mcp-Session-Id`` and the SDK the first: bob naming
    alice's session then his own drove alice's. Two of either header: 400."""
    with _serve(tmp_path) as server:
        with server.client({**ALICE, **_ACCEPT}) as alice, server.client(_ACCEPT) as bob:
            theirs = _init_session(alice)
            bob.headers.update(BOB)
            mine = _init_session(bob)
            both = [("mcp-session-id", theirs), ("mcp-session-id", mine)]
            r = bob.post("/mcp/", json=_PING, headers=both)
            assert r.status_code == 400, (r.status_code, r.text)
            r = bob.post("/mcp/", json=_PING, headers=both[::-1])
            assert r.status_code == 400, (r.status_code, r.text)
        token = [("authorization", BOB["Authorization"]), ("authorization", ALICE["Authorization"])]
        with server.client(_ACCEPT) as anon:
            r = anon.post("/mcp/", json=_PING, headers=[*token, ("mcp-session-id", theirs)])
            assert r.status_code == 400, (r.status_code, r.text)


def test_a_failed_delete_keeps_the_sessions_owner(tmp_path: Path) -> None:
    """The owner was forgotten on any DELETE, answered or not: a DELETE the SDK refused
    left the session alive and anyone's."""
    with (
        _serve(tmp_path) as server,
        server.client({**ALICE, **_ACCEPT}) as alice,
        server.client({**BOB, **_ACCEPT}) as bob,
    ):
        sid = _init_session(alice)
        r = alice.delete("/mcp/", headers={"mcp-session-id": sid,
                                            "mcp-protocol-version": "1999-01-01"})  # fmt: skip
        assert r.status_code >= 400, r.text  # refused: the session lives on
        r = bob.post("/mcp/", json=_PING, headers={"mcp-session-id": sid})
        assert r.status_code == 404, (r.status_code, r.text)
        r = alice.post("/mcp/", json=_PING, headers={"mcp-session-id": sid})
        assert r.status_code in (200, 202), r.text


def test_one_tenant_cannot_take_every_mcp_session(tmp_path: Path) -> None:
    """The SDK's session limit (64) is the server's, not a tenant's: alice opening 64
    sessions (no tool call, nothing else) left bob a 503 for the sessions' idle timeout
    (30 minutes, for good with a ping now and then). A tenant opens at most
    ``Limits.max_sandboxes_per_tenant`` live MCP sessions; one that ends frees its place,
    and the gate forgets sessions the SDK no longer holds (they were kept for good)."""
    from corral.server.config import Limits

    with (
        _serve(tmp_path, limits=Limits(max_sandboxes_per_tenant=3)) as server,
        server.client({**ALICE, **_ACCEPT}) as alice,
        server.client({**BOB, **_ACCEPT}) as bob,
    ):
        mine = [_init_session(alice) for _ in range(3)]
        r = alice.post("/mcp/", json=_INIT)
        assert r.status_code == 429, (r.status_code, r.text)
        assert "3" in r.json()["error"] and "mcp-session-id" not in r.headers
        _init_session(bob)  # bob still gets his own
        r = alice.delete("/mcp/", headers={"mcp-session-id": mine[0]})
        assert r.status_code in (200, 204), r.text
        _init_session(alice)  # a place freed
        gate = next(r.app for r in server.app.routes if getattr(r, "path", "") == "/mcp")
        assert sorted(gate._owners.values()) == ["alice"] * 3 + ["bob"]


def test_sessions_opened_at_once_cannot_pass_the_limit_together(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from corral.server.config import Limits

    with (
        _serve(tmp_path, limits=Limits(max_sandboxes_per_tenant=3)) as server,
        server.client({**ALICE, **_ACCEPT}) as alice,
        ThreadPoolExecutor(12) as pool,
    ):
        codes = list(pool.map(lambda _: alice.post("/mcp/", json=_INIT).status_code, range(12)))
    assert codes.count(200) <= 3 and set(codes) <= {200, 429}, codes


def test_sessions_the_sdk_expired_leave_the_gate(tmp_path: Path) -> None:
    """An MCP session idle past the server's ``idle_timeout_s`` ends (the SDK's timeout
    was its own 30 minutes) and the gate forgets its owner and frees its place (the
    owner table kept every session ever opened)."""
    from corral.server.config import Limits

    limits = Limits(max_sandboxes_per_tenant=2, idle_timeout_s=0.5)
    with _serve(tmp_path, limits=limits) as server, server.client({**ALICE, **_ACCEPT}) as alice:
        old = [_init_session(alice) for _ in range(2)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = alice.post("/mcp/", json=_INIT)
            if r.status_code == 200:
                break
            assert r.status_code == 429, r.text
            time.sleep(0.2)
        gate = next(r.app for r in server.app.routes if getattr(r, "path", "") == "/mcp")
        assert r.status_code == 200, (r.text, gate._owners, gate._opening, gate.live())
        assert not set(old) & set(gate._owners)
        r = alice.post("/mcp/", json=_PING, headers={"mcp-session-id": old[0]})
        assert r.status_code == 404
