"""The MCP server at ``/mcp`` inside ``corral serve``, behind the server's tenants.

``corral.mcp.http_app`` is the SDK's streamable-HTTP app with one sandbox per MCP
session. Mounted as it is, anyone who can reach the port would use it and anyone who
learnt a session id would drive that session's sandbox. :class:`TenantGate` puts the
server's rules in front of it:

* a request without a valid bearer token gets 401 (as every ``/v1`` route); one that
  repeats ``Authorization`` or ``Mcp-Session-Id`` gets 400 (the SDK reads a repeated
  header's first value, so the gate must not check another one);
* the tenant that opened an MCP session (its ``Mcp-Session-Id``, read off the response
  that created it) owns it; another tenant presenting that id gets 404, exactly the
  answer for a session that does not exist; the owner is forgotten when a DELETE
  ended the session (2xx) or the SDK no longer holds it (expired, failed);
* a tenant holds at most ``Limits.max_sandboxes_per_tenant`` open MCP sessions (a
  request opening another gets 429): the SDK's limit is the whole server's, and one
  tenant opening 64 sessions left every other tenant a 503 for half an hour;
* the session's sandbox publishes on the server's event bus, recorded as the tenant's,
  so its events, alerts and audit rows reach that tenant's ``/v1/events``, dashboard and
  audit log like any sandbox made through ``/v1``; it is in the tenant's sandbox list
  (``via: mcp``) and can be deleted there, while its calls stay with the MCP session
  (``/v1/.../run`` on it is a 409).

An ``ask`` of the policy goes to the MCP client as an elicitation when it supports one,
and is denied with that reason otherwise (the dashboard's queue does not see MCP
questions).
"""

from __future__ import annotations

import contextvars
import json
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from ..sandbox import Sandbox
from .auth import TokenAuth
from .config import ServerConfig
from .hub import Hub

_SESSION_HEADER = b"mcp-session-id"
#: headers a request may carry once (who asks, and for which session)
_ONCE = (b"authorization", _SESSION_HEADER)
#: the tenant of the request being served (a session's tasks inherit it)
_tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar("corral_mcp_tenant")


class TenantGate:
    """ASGI wrapper: bearer token → tenant, MCP sessions bound to their tenant."""

    def __init__(
        self,
        inner: Any,
        auth: TokenAuth,
        *,
        live: Callable[[], frozenset[str]],
        per_tenant: int,
    ) -> None:
        self.inner = inner
        self.auth = auth
        self.live = live  # the session ids the SDK holds now
        self.per_tenant = per_tenant
        self._owners: dict[str, str] = {}
        self._opening: dict[str, int] = {}  # requests opening a session, per tenant
        self._lock = threading.Lock()

    def _reserve(self, tenant: str) -> bool:
        """Count a request that opens a session against ``tenant``'s sessions, unless
        they are at the limit (False). The sessions the SDK ended (idle, failed,
        deleted) are forgotten first; requests still being answered count, so many at
        once cannot pass the check together."""
        live = self.live()
        with self._lock:
            for sid in [s for s in self._owners if s not in live]:
                del self._owners[sid]
            held = sum(1 for t in self._owners.values() if t == tenant)
            if held + self._opening.get(tenant, 0) >= self.per_tenant:
                return False
            self._opening[tenant] = self._opening.get(tenant, 0) + 1
            return True

    def _unreserve(self, tenant: str) -> None:
        with self._lock:
            self._opening[tenant] -= 1
            if not self._opening[tenant]:
                del self._opening[tenant]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.inner(scope, receive, send)
            return
        raw = [(k.lower(), v) for k, v in scope.get("headers") or ()]
        headers = dict(raw)
        for name in _ONCE:
            if sum(k == name for k, _ in raw) > 1:
                # the SDK reads the first of a repeated header, this gate the last: one
                # session named to the gate and another served
                await _answer(send, 400, f"the {name.decode()} header is repeated")
                return
        tenant = self.auth.tenant(headers.get(b"authorization", b"").decode("latin-1") or None)
        if tenant is None:
            await _answer(
                send, 401, "a valid bearer token is needed", {"www-authenticate": "Bearer"}
            )
            return
        sid = headers.get(_SESSION_HEADER, b"").decode("latin-1")
        if sid:
            with self._lock:
                owner = self._owners.get(sid)
            if owner is not None and owner != tenant:
                await _answer(send, 404, "Session not found")
                return
        opening = not sid and scope.get("method") == "POST"  # opens a session (or is a 4xx)
        if opening and not self._reserve(tenant):
            await _answer(
                send,
                429,
                f"tenant {tenant!r} already has {self.per_tenant} open MCP sessions (the "
                "limit); end one (DELETE) or wait for an idle one to expire",
            )
            return

        status: list[int] = []
        reserved = [True] if opening else []

        async def watch(message: Any) -> None:
            if message.get("type") == "http.response.start":
                status.append(int(message.get("status", 0)))
                for name, value in message.get("headers") or ():
                    if name.lower() == _SESSION_HEADER:
                        with self._lock:
                            self._owners.setdefault(value.decode("latin-1"), tenant)
                        if reserved:  # the session counts as held from now on
                            reserved.pop()
                            self._unreserve(tenant)
            await send(message)

        token = _tenant.set(tenant)
        try:
            await self.inner(scope, receive, watch)
        finally:
            _tenant.reset(token)
            if reserved:
                self._unreserve(tenant)
            # only a session the SDK ended forgets its owner (a refused DELETE leaves the
            # session alive: still this tenant's)
            if scope.get("method") == "DELETE" and sid and status and 200 <= status[0] < 300:
                with self._lock:
                    if self._owners.get(sid) == tenant:
                        del self._owners[sid]


async def _answer(
    send: Any, status: int, message: str, extra: dict[str, str] | None = None
) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def mcp_mount(
    config: ServerConfig, hub_of: Callable[[], Hub]
) -> tuple[Any, Callable[[Any], AbstractAsyncContextManager[Any]]]:
    """(the ASGI app to mount at ``/mcp``, the context that runs its lifespan);
    ``hub_of()`` gives the server's hub once the app exists."""
    from ..mcp import http_app
    from ..policy import load

    name = config.default_policy
    source = config.policies.get(name, name) if name is not None else None
    policy = load(source) if source is not None else None

    def factory(*, approver: Any = None) -> Sandbox:
        tenant = _tenant.get(None)
        if tenant is None:  # not reached through the gate
            raise PermissionError("an MCP session needs a tenant")
        hub = hub_of()
        session = uuid.uuid4().hex
        hub.adopt(session, tenant)  # before its first event
        sb = Sandbox(
            policy=policy,
            approver=approver if policy is not None else None,
            bus=hub.bus,
            session=session,
        )
        hub.add_external(tenant, sb, name, "mcp")  # in the tenant's list and dashboard
        return sb

    inner = http_app(factory, host=config.host, idle_timeout_s=config.limits.idle_timeout_s)
    gate = TenantGate(
        inner,
        TokenAuth(config.tokens),
        live=inner.state.live_sessions,
        per_tenant=config.limits.max_sandboxes_per_tenant,
    )

    def context(_: Any) -> AbstractAsyncContextManager[Any]:
        return inner.router.lifespan_context(inner)

    return gate, context
