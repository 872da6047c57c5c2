"""The HTTP API and the dashboard: :func:`create_app` builds the ASGI application.

Every ``/v1`` route needs a bearer token (unless the server runs without tokens, on
loopback only) and sees only its tenant's sandboxes, events, approvals, alerts and
audit rows; another tenant's sandbox is a 404 like one that does not exist.
"""

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.responses import FileResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp

from ..audit import AuditLog
from ..events import EventBus
from ..policy.approvers import ApprovalAnswer
from .auth import TokenAuth
from .config import ServerConfig, is_loopback
from .errors import call_error, install_error_handlers
from .hub import ApiError, Entry, Hub, not_found
from .middleware import BodyLimit, SecurityHeaders
from .models import (
    AnswerIn,
    CodeIn,
    CreateSandbox,
    ErrorOut,
    EventsIn,
    ExecIn,
    RunIn,
    RunResultOut,
    SandboxOut,
)
from .stream import EventHub

log = logging.getLogger("corral.server")

STATIC = Path(__file__).parent / "static"
HEARTBEAT_S = 15.0
#: the largest sequence number a query may name (SQLite's INTEGER)
_MAX_SEQ = 2**63 - 1

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


# ------------------------------------------------------------------------------ the app


def create_app(
    config: ServerConfig | None = None,
    *,
    mounts: dict[str, ASGIApp] | None = None,
    contexts: Sequence[Callable[[FastAPI], AbstractAsyncContextManager[Any]]] = (),
) -> FastAPI:
    """The ``corral serve`` application.

    ``mounts`` maps path prefixes to other ASGI apps served by the same process (the
    MCP server's streamable-HTTP app goes at ``/mcp``). They are mounted as they are:
    they check their own authentication (``app.state.auth.tenant(header)`` gives the
    tenant of an ``Authorization`` header) and reach the sandboxes through
    ``app.state.hub``. A mounted app's own lifespan does not run (Starlette runs only the
    outer one): pass what it needs running as ``contexts``, each called with the app and
    entered for the server's life, e.g. for the MCP SDK's streamable-HTTP app::

        create_app(config, mounts={"/mcp": mcp_app},
                   contexts=[lambda app: mcp.session_manager.run()])
    """
    config = config or ServerConfig()
    config.check()
    limits = config.limits
    bus = EventBus()
    hub = Hub(config, bus, config.base_url())
    events = EventHub(
        bus,
        hub.owner,
        backlog=limits.events_backlog,
        backlog_weight=limits.events_backlog_bytes,
        queue_size=limits.events_queue,
        max_streams=limits.max_streams_per_tenant,
        on_event=hub.on_event,
    )
    audit = AuditLog(config.audit) if config.audit is not None else None
    if audit is not None:
        audit.attach(bus)
        hub.audit = audit
        for entry in audit.iter_entries(kind="note"):
            note = entry.body.get("corral_serve")
            if isinstance(note, dict) and entry.session and isinstance(note.get("tenant"), str):
                hub.adopt(entry.session, note["tenant"], imported=note.get("imported") is True)
    auth = TokenAuth(config.tokens)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        reaper = asyncio.create_task(hub.reaper())
        await hub.run_blocking(hub.warm)
        try:
            async with contextlib.AsyncExitStack() as stack:
                for context in contexts:
                    await stack.enter_async_context(context(app))
                yield
        finally:
            reaper.cancel()
            with contextlib.suppress(BaseException):
                await reaper
            await asyncio.get_running_loop().run_in_executor(None, hub.shutdown)
            events.close()
            if audit is not None:
                audit.close()

    app = FastAPI(
        title="corral",
        version="1",
        summary="Sandboxes for AI agents: run, watch, approve.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.hub = hub
    app.state.events = events
    app.state.auth = auth
    app.state.audit = audit
    app.state.config = config
    install_error_handlers(app)
    app.add_middleware(
        BodyLimit, limit=limits.max_body_bytes, max_values=limits.max_body_values
    )

    app.add_middleware(SecurityHeaders)

    bearer = HTTPBearer(auto_error=False, description="A token from the server's tokens file.")

    def tenant(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> str:
        if not auth.enabled:
            _check_local(request)
        found = auth.tenant(request.headers.get("authorization"))
        if found is None:
            raise ApiError(401, "a valid bearer token is needed (Authorization: Bearer TOKEN)")
        return found

    Tenant = Annotated[str, Depends(tenant)]

    async def call(entry: Entry, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await hub.call(entry, fn, *args)
        except ApiError:
            raise
        except Exception as exc:
            err = call_error(exc)
            if err is None:
                raise
            raise err from None

    # -- sandboxes ----------------------------------------------------------------------

    @app.get("/v1/whoami", tags=["auth"])
    async def whoami(who: Tenant) -> dict[str, Any]:
        """The tenant of the token, and whether the server checks tokens."""
        return {"tenant": who, "auth": auth.enabled, "policies": config.policy_names()}

    @app.post(
        "/v1/sandboxes",
        status_code=201,
        tags=["sandboxes"],
        responses={201: {"model": SandboxOut}, **_ERRORS},
    )
    async def create_sandbox(body: CreateSandbox, who: Tenant) -> dict[str, Any]:
        """Create a sandbox (backend, policy name, budgets, tags); returns its id."""
        try:
            entry = await hub.create(who, body)
        except ApiError:
            raise
        except Exception as exc:
            from ..policy import PolicyError

            if isinstance(exc, PolicyError):
                log.error("policy %r does not load: %s", body.policy, exc)
                raise ApiError(500, f"the server's policy {body.policy!r} does not load") from None
            err = call_error(exc)
            if err is None:
                raise
            raise err from None
        await hub.run_blocking(
            functools.partial(hub.note_owner, entry.id, who, sandbox=entry.id, tags=entry.tags)
        )
        return entry.describe(hub.pending_sessions())

    @app.get("/v1/sandboxes", tags=["sandboxes"])
    async def list_sandboxes(who: Tenant) -> list[dict[str, Any]]:
        """The tenant's live sandboxes."""
        pending = hub.pending_sessions()
        return [e.describe(pending) for e in hub.list(who)]

    @app.get(
        "/v1/sandboxes/{sandbox_id}",
        tags=["sandboxes"],
        responses={200: {"model": SandboxOut}, **_ERRORS},
    )
    async def get_sandbox(sandbox_id: str, who: Tenant) -> dict[str, Any]:
        return hub.get(who, sandbox_id).describe(hub.pending_sessions())

    @app.delete("/v1/sandboxes/{sandbox_id}", tags=["sandboxes"])
    async def delete_sandbox(sandbox_id: str, who: Tenant) -> dict[str, Any]:
        """Close a sandbox: its waiting questions are denied, a running script is
        interrupted, then the sandbox is closed and its workspace removed."""
        entry = hub.get(who, sandbox_id)
        await hub.close(entry)
        return {"id": entry.id, "state": "closed"}

    @app.get("/v1/sandboxes/{sandbox_id}/usage", tags=["sandboxes"])
    async def sandbox_usage(sandbox_id: str, who: Tenant) -> dict[str, Any]:
        """Usage per call (CPU, memory, output, network bytes so far) and, on the native
        tiers, the live samples taken while calls run."""
        entry = hub.get(who, sandbox_id)
        return {
            "id": entry.id,
            "points": list(entry.usage),
            "samples": list(entry.samples),
            "net_in": entry.net_in,
            "net_out": entry.net_out,
        }

    # -- calls --------------------------------------------------------------------------

    def result_json(entry: Entry, result: Any, alerts_before: int) -> dict[str, Any]:
        data = result.to_dict()
        data["denial_reason"] = result.error_message if result.error == "denied" else None
        data["alerts"] = [a.model_dump(mode="json") for a in entry.sandbox.alerts[alerts_before:]]
        return data

    async def run_call(
        entry: Entry, method: str, arg: Any, body: Any, stream: bool
    ) -> dict[str, Any] | StreamingResponse:
        sb = entry.sandbox
        fn = getattr(sb, method)
        kwargs: dict[str, Any] = {"stdin": body.stdin, "timeout": body.timeout}
        if body.timeout is not None and body.timeout > sb.budget.wall_s:
            raise ApiError(
                422,
                f"body field 'timeout': {body.timeout} is more than the sandbox's wall-time "
                f"budget ({sb.budget.wall_s} s)",
            )

        def work(on_output: Callable[[str, str], None] | None) -> tuple[Any, int]:
            before = len(sb.alerts)
            return fn(arg, on_output=on_output, **kwargs), before

        if not stream:
            result, before = await call(entry, work, None)
            return result_json(entry, result, before)
        # validate the queue limit and ownership now, before the stream starts
        if entry.waiting >= limits.max_waiting_calls:
            raise ApiError(429, f"sandbox {entry.id} has too many calls waiting")
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()

        def on_output(stream_name: str, text: str) -> None:
            loop.call_soon_threadsafe(chunks.put_nowait, (stream_name, text))

        async def produce() -> AsyncIterator[str]:
            task = asyncio.ensure_future(call(entry, work, on_output))
            task.add_done_callback(lambda _: chunks.put_nowait(None))
            try:
                while True:
                    item = await chunks.get()
                    if item is None:
                        break
                    yield _sse("output", {"stream": item[0], "text": item[1]})
                while not chunks.empty():  # output that raced the end
                    item = chunks.get_nowait()
                    if item is not None:
                        yield _sse("output", {"stream": item[0], "text": item[1]})
                try:
                    result, before = await task
                except ApiError as e:
                    yield _sse("error", {"status": e.status, "error": e.message})
                    return
                except Exception as e:
                    ref = uuid.uuid4().hex[:12]
                    log.error("internal error %s in a streamed call", ref, exc_info=e)
                    yield _sse("error", {"status": 500, "error": f"internal error ({ref})"})
                    return
                yield _sse("result", result_json(entry, result, before))
            finally:
                if not task.done():
                    task.cancel()  # the thread finishes on its own; the lock waits for it

        return StreamingResponse(produce(), media_type="text/event-stream", headers=_SSE_HEADERS)

    Stream = Annotated[
        bool, Query(description="Stream output as Server-Sent Events, then the result.")
    ]

    @app.post(
        "/v1/sandboxes/{sandbox_id}/run",
        tags=["calls"],
        response_model=None,
        responses=_CALL_RESPONSES,
    )
    async def run(
        sandbox_id: str, body: RunIn, who: Tenant, stream: Stream = False
    ) -> dict[str, Any] | StreamingResponse:
        """Run a shell script (the corral shell, or bash on a native backend)."""
        entry = hub.get(who, sandbox_id)
        return await run_call(entry, "run", body.command, body, stream)

    @app.post(
        "/v1/sandboxes/{sandbox_id}/python",
        tags=["calls"],
        response_model=None,
        responses=_CALL_RESPONSES,
    )
    async def python(
        sandbox_id: str, body: CodeIn, who: Tenant, stream: Stream = False
    ) -> dict[str, Any] | StreamingResponse:
        """Run Python in the sandbox's persistent interpreter."""
        entry = hub.get(who, sandbox_id)
        return await run_call(entry, "python", body.code, body, stream)

    @app.post(
        "/v1/sandboxes/{sandbox_id}/js",
        tags=["calls"],
        response_model=None,
        responses=_CALL_RESPONSES,
    )
    async def js(
        sandbox_id: str, body: CodeIn, who: Tenant, stream: Stream = False
    ) -> dict[str, Any] | StreamingResponse:
        """Run JavaScript (QuickJS)."""
        entry = hub.get(who, sandbox_id)
        return await run_call(entry, "js", body.code, body, stream)

    @app.post(
        "/v1/sandboxes/{sandbox_id}/exec",
        tags=["calls"],
        response_model=None,
        responses=_CALL_RESPONSES,
    )
    async def exec_(
        sandbox_id: str, body: ExecIn, who: Tenant, stream: Stream = False
    ) -> dict[str, Any] | StreamingResponse:
        """Run one program with its arguments, no shell in between."""
        entry = hub.get(who, sandbox_id)
        return await run_call(entry, "exec", list(body.argv), body, stream)

    # -- files --------------------------------------------------------------------------

    @app.get(
        "/v1/sandboxes/{sandbox_id}/files/{path:path}",
        tags=["files"],
        response_class=Response,
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    async def read_file(sandbox_id: str, path: str, who: Tenant) -> Response:
        """A file's bytes (always as an attachment: never rendered by the browser)."""
        entry = hub.get(who, sandbox_id)
        sb = entry.sandbox

        def read() -> bytes:
            guest = sb._ws.guest_path(path)
            # the policy first (and a symlink's target); a regular file only (a FIFO
            # a native tier's program made would hold this thread forever)
            data = sb.files.read_bytes(guest, max_bytes=limits.max_file_bytes + 1)
            if len(data) > limits.max_file_bytes:
                raise ApiError(413, f"{guest} is larger than {limits.max_file_bytes} bytes")
            return data

        data = await call(entry, read)
        return Response(
            data,
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": "attachment",
                "Content-Security-Policy": "sandbox; default-src 'none'",
            },
        )

    @app.put(
        "/v1/sandboxes/{sandbox_id}/files/{path:path}",
        tags=["files"],
        openapi_extra={
            "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}
        },
    )
    async def write_file(
        sandbox_id: str, path: str, request: Request, who: Tenant
    ) -> dict[str, Any]:
        """Write the request body to a file (parents are created)."""
        entry = hub.get(who, sandbox_id)
        data = await request.body()
        sb = entry.sandbox

        def write() -> dict[str, Any]:
            guest = sb._ws.guest_path(path)
            return {"path": guest, "bytes": sb.files.write(guest, data)}

        return dict(await call(entry, write))

    # -- events, alerts, approvals ------------------------------------------------------

    @app.get(
        "/v1/events",
        tags=["events"],
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def event_stream(
        request: Request,
        who: Tenant,
        sandbox: Annotated[str | None, Query(max_length=64)] = None,
        backlog: Annotated[int, Query(ge=0, le=10_000)] = 100,
    ) -> StreamingResponse:
        """Server-Sent Events, live: the tenant's events (of one sandbox with
        ``sandbox=``), after the last ``backlog`` kept ones (or those after
        ``Last-Event-ID``)."""
        if sandbox is not None and sandbox not in hub.sessions_of(who):
            raise not_found(sandbox)
        after = 0
        last_id = request.headers.get("last-event-id")
        # ASCII digits only ("²" is a digit to isdigit, not to int), and a number that fits
        if last_id and last_id.isascii() and last_id.isdigit() and len(last_id) <= 18:
            after = int(last_id)
        sub = events.subscribe(who, sandbox)
        if sub is None:
            raise ApiError(
                429,
                f"tenant {who!r} has {limits.max_streams_per_tenant} event streams open "
                "already (the limit); close one first",
            )
        try:
            past = events.recent(who, sandbox, after=after, limit=backlog if not after else 10**9)
        except BaseException:
            events.unsubscribe(sub)
            raise
        seen = max((i for i, _ in past), default=after)

        async def produce() -> AsyncIterator[str]:
            try:
                yield ": corral events\n\n"
                for i, data in past:
                    yield _sse("event", data, i)
                nonlocal seen
                while True:
                    try:
                        item = await asyncio.wait_for(sub.queue.get(), HEARTBEAT_S)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    if item is None:
                        yield _sse("overflow", {"error": "this stream fell too far behind"})
                        return
                    i, data = item
                    if i <= seen:
                        continue
                    seen = i
                    yield _sse("event", data, i)
            finally:
                events.unsubscribe(sub)

        return StreamingResponse(produce(), media_type="text/event-stream", headers=_SSE_HEADERS)

    @app.post("/v1/events", tags=["events"], status_code=202)
    async def import_events(body: EventsIn, who: Tenant) -> dict[str, Any]:
        """Events of sandboxes that run elsewhere (a fleet's episodes: ``Fleet(report_to=
        URL, report_token=TOKEN)``), shown, streamed and audited as this tenant's. A
        session another tenant owns is a 404, one of this server's own sandboxes a 409."""
        n = await hub.run_blocking(hub.import_events, who, body.events)
        return {"accepted": n}

    @app.get("/v1/events/recent", tags=["events"])
    async def recent_events(
        who: Tenant,
        sandbox: Annotated[str | None, Query(max_length=64)] = None,
        after: Annotated[int, Query(ge=0, le=_MAX_SEQ)] = 0,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ) -> list[dict[str, Any]]:
        """The kept events as a JSON list (each with its stream ``id``)."""
        kept = events.recent(who, sandbox, after=after, limit=limit)
        return [{**data, "stream_id": i} for i, data in kept]

    @app.get("/v1/alerts", tags=["events"])
    async def alerts(
        who: Tenant, sandbox: Annotated[str | None, Query(max_length=64)] = None
    ) -> list[dict[str, Any]]:
        """The monitor's alerts with their evidence (rule, technique, matched events)."""
        return events.alerts(who, sandbox)

    @app.get("/v1/approvals", tags=["approvals"])
    async def approvals(who: Tenant) -> list[dict[str, Any]]:
        """The questions waiting for an answer, oldest first."""
        owned = hub.sessions_of(who)
        return [
            hub.approvals.payload(r) for r in hub.approvals.queue.pending() if r.session in owned
        ]

    @app.post("/v1/approvals/{approval_id}", tags=["approvals"])
    async def answer(approval_id: str, body: AnswerIn, who: Tenant) -> dict[str, Any]:
        """Answer a question: ``allow`` (``always``: for the rest of the session)."""
        request = hub.approvals.queue.get(approval_id)
        if request is None or hub.owner(request.session) != who:
            raise ApiError(404, f"no pending approval {approval_id!r}")
        if body.allow:
            value = ApprovalAnswer.ALLOW_ALWAYS if body.always else ApprovalAnswer.ALLOW_ONCE
        else:
            value = ApprovalAnswer.DENY
        if not hub.approvals.queue.answer(approval_id, value):
            raise ApiError(409, f"approval {approval_id!r} was already answered or timed out")
        return {"id": approval_id, "answer": value.value, "sandbox": request.session}

    # -- audit --------------------------------------------------------------------------

    # reading the log is a scan: a few at a time, so they cannot take every worker thread
    audit_readers = asyncio.Semaphore(4)

    def need_audit() -> AuditLog:
        if audit is None:
            raise ApiError(404, "this server keeps no audit log (start it with --audit FILE)")
        return audit

    @app.get("/v1/audit", tags=["audit"])
    async def audit_rows(
        who: Tenant,
        sandbox: Annotated[str | None, Query(max_length=64)] = None,
        since: Annotated[int, Query(ge=0, le=_MAX_SEQ)] = 0,
        limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    ) -> list[dict[str, Any]]:
        """The tenant's audit rows (newest ``limit`` after seq ``since``), oldest first."""
        log_ = need_audit()
        owned = hub.sessions_of(who)
        if sandbox is not None and sandbox not in owned:
            raise not_found(sandbox)

        def rows() -> list[dict[str, Any]]:
            from collections import deque

            keep: deque[dict[str, Any]] = deque(maxlen=limit)
            for entry in log_.iter_entries(since=since or None, session=sandbox):
                if entry.session in owned:
                    keep.append(entry.to_dict())
            return list(keep)

        async with audit_readers:
            return await hub.run_blocking(rows)

    @app.get("/v1/audit/verify", tags=["audit"])
    async def audit_verify(who: Tenant) -> dict[str, Any]:
        """Verify the whole hash chain. A bad row is named only when it is the tenant's."""
        log_ = need_audit()
        async with audit_readers:
            result = await hub.run_blocking(log_.verify)
        out: dict[str, Any] = {
            "ok": result.ok,
            "rows": result.rows,
            "checkpoints": result.checkpoints,
            "signed": result.signed,
            "signed_upto": result.signed_upto,
        }
        if not result.ok:
            bad = result.first_bad_seq
            owned = hub.sessions_of(who)
            mine = False
            if bad is not None:
                row = next(iter(log_.iter_entries(since=bad - 1)), None)
                mine = row is not None and row.seq == bad and row.session in owned
            if mine:
                out.update(first_bad_seq=bad, problem=result.problem)
            else:
                out["problem"] = "the chain is broken at a row outside this tenant's sessions"
        return out

    # -- the dashboard ------------------------------------------------------------------

    @app.get("/healthz", tags=["meta"])
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": _CSP})

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> FileResponse:
        files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
        if name not in files:
            raise ApiError(404, f"no static file {name!r}")
        return FileResponse(files[name], headers={"Content-Security-Policy": _CSP})

    # Other ASGI apps in the same process, e.g. the MCP server:
    #     create_app(config, mounts={"/mcp": mcp_http_app})
    for prefix, sub_app in (mounts or {}).items():
        app.mount(prefix, sub_app)
    return app


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (401, "no valid bearer token"),
        (404, "no such sandbox (or another tenant's)"),
        (422, "a field is wrong (the message names it)"),
        (429, "a limit of this server was reached"),
    )
}
_CALL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": RunResultOut,
        "description": "The result; with ?stream=true Server-Sent Events: `output` "
        "({stream, text}) as it is written, then `result` (this object) or `error`.",
        "content": {"text/event-stream": {}},
    },
    **_ERRORS,
}

_SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def _sse(event: str, data: Any, id_: int | None = None) -> str:
    head = f"id: {id_}\n" if id_ is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _check_local(request: Request) -> None:
    """Without tokens (loopback only): refuse requests whose Host or Origin is not this
    machine (a web page that rebinds its name to 127.0.0.1, a cross-site form)."""
    host = (request.headers.get("host") or "").strip()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if host.startswith("[") and "]" in host:
        name = host[1 : host.index("]")]
    if not is_loopback(name):
        raise ApiError(403, f"Host {host!r} is not this machine (the server has no tokens)")
    origin = request.headers.get("origin")
    if origin:
        from urllib.parse import urlsplit

        oname = urlsplit(origin).hostname or ""
        if not is_loopback(oname):
            raise ApiError(403, f"Origin {origin!r} is not this machine (the server has no tokens)")
