"""The MCP server: the six sandbox tools over the official ``mcp`` SDK.

One sandbox per MCP session (:mod:`corral.mcp.sessions`); a policy ``ask`` goes to the
client as an elicitation (:mod:`corral.mcp.approvals`). Results are text a model reads
(exit code, stdout, stderr, the reason of a denial, monitor alerts) with the same as
structured content; refusals and bad arguments are tool errors (``isError``) carrying
the reason, never a failure of the server.

corral keeps state per session (a sandbox, remembered approvals), so the server speaks
the session protocol versions (the ``initialize`` handshake): a client probing for the
stateless 2026-07-28 version is told to use those (``-32022`` naming them), and the
SDK's own client then falls back to the handshake by itself.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.runner import serve_loop
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS

from ..adapters import toolset
from .sessions import SandboxFactory, SandboxSessions, SessionUnavailable

__all__ = ["STDIO_KEY", "build_server", "http_app", "serve_stdio"]

log = logging.getLogger("corral.mcp")

STDIO_KEY = "stdio"
SESSION_HEADER = "mcp-session-id"

_INSTRUCTIONS = (
    "corral sandbox: run shell commands, Python and JavaScript, and read and write files "
    "under /workspace. Everything is decided by a policy; a refused action is not run and "
    "the result says why. Files and interpreter state persist for this session."
)

_ANNOTATIONS = {
    "read_file": types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
    "list_files": types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
    "write_file": types.ToolAnnotations(
        read_only_hint=False, destructive_hint=True, open_world_hint=False
    ),
}


def _tools() -> list[types.Tool]:
    return [
        types.Tool(
            name=spec.name,
            description=spec.description,
            input_schema=toolset.json_schema(spec),
            annotations=_ANNOTATIONS.get(spec.name),
        )
        for spec in toolset.TOOLS.values()
    ]


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


async def _session_era_only(ctx: Any, call_next: Callable[[Any], Any]) -> Any:
    """Refuse the stateless protocol versions (see the module docstring)."""
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS and ctx.request_id is not None:
        raise MCPError(
            code=types.UNSUPPORTED_PROTOCOL_VERSION,
            message="corral keeps a sandbox per MCP session: connect with the initialize "
            "handshake (protocol versions " + ", ".join(HANDSHAKE_PROTOCOL_VERSIONS) + ")",
            data=types.UnsupportedProtocolVersionErrorData(
                supported=list(HANDSHAKE_PROTOCOL_VERSIONS), requested=ctx.protocol_version
            ).model_dump(by_alias=True, mode="json"),
        )
    return await call_next(ctx)


def _interrupt_until_done(sandbox: Any, done: threading.Event, within_s: float = 30.0) -> None:
    """Interrupt ``sandbox`` until the abandoned call ends: an interrupt that arrives
    while the command is still starting is not seen, so it is repeated (from a thread:
    the caller is being cancelled)."""

    def repeat() -> None:
        deadline = time.monotonic() + within_s
        while not done.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                sandbox.interrupt()
            done.wait(0.25)

    threading.Thread(target=repeat, name="corral-mcp-interrupt", daemon=True).start()


def _stdio_key(ctx: Any) -> str:
    return STDIO_KEY


def _http_key(ctx: Any) -> str:
    headers = getattr(getattr(ctx, "request", None), "headers", None)
    key = headers.get(SESSION_HEADER) if headers is not None else None
    if not key:
        raise SessionUnavailable("this request belongs to no MCP session (no Mcp-Session-Id)")
    return str(key)


def build_server(
    sessions: SandboxSessions,
    *,
    session_key: Callable[[Any], str] = _stdio_key,
    max_output_chars: int = toolset.DEFAULT_MAX_OUTPUT_CHARS,
    name: str = "corral",
) -> Server[Any]:
    """A low-level MCP ``Server`` serving the six tools on ``sessions``' sandboxes;
    ``session_key(ctx)`` names the session a request belongs to."""
    from .. import __version__

    tools = _tools()

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            key = session_key(ctx)
            session = await sessions.acquire(key)
        except SessionUnavailable as e:
            return _error(f"error: {e}")
        except Exception as e:  # the factory failed: say why, keep serving
            log.exception("creating a sandbox failed")
            return _error(f"error: could not create the sandbox: {type(e).__name__}: {e}")
        args = params.arguments if params.arguments is not None else {}
        try:
            async with session.lock:
                with session.approver.serving(ctx):
                    done = threading.Event()

                    def work() -> toolset.ToolOutcome:
                        try:
                            return toolset.call(
                                session.sandbox,
                                params.name,
                                args,
                                max_output_chars=max_output_chars,
                            )
                        finally:
                            done.set()

                    try:
                        outcome = await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
                    except anyio.get_cancelled_exc_class():
                        # the client cancelled or went away: stop a running shell command
                        # as Ctrl-C would (Python/JS run on to their wall budget)
                        _interrupt_until_done(session.sandbox, done)
                        raise
        except Exception as e:  # a bug must not take the server down
            log.exception("tool %r failed", params.name)
            return _error(f"error: corral failed running {params.name}: {type(e).__name__}: {e}")
        finally:
            sessions.release(session)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=outcome.text)],
            structured_content=outcome.data,
            is_error=not outcome.ok,
        )

    server: Server[Any] = Server(
        name,
        version=__version__,
        instructions=_INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
    server.middleware.append(_session_era_only)
    return server


async def serve_stdio(
    factory: SandboxFactory,
    *,
    fallback: Any = None,
    max_output_chars: int = toolset.DEFAULT_MAX_OUTPUT_CHARS,
) -> None:
    """Serve one MCP client on this process's stdin/stdout until it goes away."""
    sessions = SandboxSessions(factory, fallback=fallback, max_sessions=1, idle_timeout_s=None)
    server = build_server(sessions, max_output_chars=max_output_chars)
    try:
        async with stdio_server() as (read, write), server.lifespan(server) as state:
            await serve_loop(
                server,
                read,
                write,
                lifespan_state=state,
                init_options=server.create_initialization_options(),
            )
    finally:
        with anyio.CancelScope(shield=True):
            await sessions.aclose()


def http_app(
    factory: SandboxFactory,
    *,
    fallback: Any = None,
    path: str = "/",
    max_sessions: int = 64,
    idle_timeout_s: float = 1800.0,
    max_output_chars: int = toolset.DEFAULT_MAX_OUTPUT_CHARS,
    transport_security: Any = None,
    host: str = "127.0.0.1",
) -> Any:
    """A streamable-HTTP MCP endpoint as an ASGI (Starlette) app.

    ``factory(approver=...)`` makes each session's sandbox; ``fallback`` answers ``ask``
    for clients without elicitation (e.g. a :class:`corral.policy.Queue` shown on a web
    page; none: such questions are denied with a reason). Mounted in another app
    (``app.mount("/mcp", mcp_app)``), its lifespan must run inside the parent's::

        async with mcp_app.router.lifespan_context(mcp_app):
            yield

    The app's ``state.sessions`` is the :class:`SandboxSessions`.
    """
    from starlette.applications import Starlette

    sessions = SandboxSessions(
        factory, fallback=fallback, max_sessions=max_sessions, idle_timeout_s=idle_timeout_s
    )
    server = build_server(sessions, session_key=_http_key, max_output_chars=max_output_chars)
    inner = server.streamable_http_app(
        streamable_http_path=path,
        session_idle_timeout=idle_timeout_s,
        max_sessions=max_sessions,
        transport_security=transport_security,
        host=host,
    )

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with inner.router.lifespan_context(inner), anyio.create_task_group() as tg:
            tg.start_soon(_reaper, sessions, max(min(idle_timeout_s / 4, 60.0), 1.0))
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
                with anyio.CancelScope(shield=True):
                    await sessions.aclose()

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        """The SDK's app; an HTTP ``DELETE`` that ends a session closes its sandbox."""
        key = None
        if scope.get("type") == "http" and scope.get("method") == "DELETE":
            for name, value in scope.get("headers") or ():
                if name.lower() == SESSION_HEADER.encode():
                    key = value.decode("latin-1")
                    break  # the first, as the SDK reads it (the session it ends)
        status: dict[str, int] = {}

        async def watch(message: Any) -> None:
            if message.get("type") == "http.response.start":
                status["code"] = int(message.get("status", 0))
            await send(message)

        await inner(scope, receive, watch)
        if key is not None and 200 <= status.get("code", 0) < 300:
            await sessions.close(key)

    app = Starlette(lifespan=lifespan)
    app.mount("", endpoint)
    app.state.sessions = sessions
    app.state.live_sessions = _live_sessions(server)
    return app


def _live_sessions(server: Server[Any]) -> Callable[[], frozenset[str]]:
    """``() -> the ids of the MCP sessions the SDK holds now`` (a gate in front of the
    app forgets the others: the SDK ends sessions by itself, idle or failed). Read from
    the session manager the SDK made in ``streamable_http_app``; an SDK without one
    fails here, at the app's creation, not in a request."""
    manager = getattr(server, "_session_manager", None)
    instances = getattr(manager, "_server_instances", None)
    if not isinstance(instances, dict):
        raise RuntimeError(
            "this mcp SDK keeps its sessions elsewhere: corral cannot tell which are open"
        )
    return lambda: frozenset(manager._server_instances)  # type: ignore[union-attr]


async def _reaper(sessions: SandboxSessions, every_s: float) -> None:
    while True:
        await anyio.sleep(every_s)
        try:
            await sessions.reap_idle()
        except Exception:
            log.exception("closing idle sandboxes failed")
