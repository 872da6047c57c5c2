"""ASGI wrappers of the server: the request-body cap and the security headers."""

from __future__ import annotations

import json
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_PUNCT = (",", ":", "[", "{")  # what starts or separates values outside strings


def json_values(body: bytes, stop: int) -> int:
    """At least as many as the values ``json.loads(body)`` would make before it returned
    or failed (one plus the separators and openers outside strings), counted up to just
    past ``stop``. Strings are skipped by the json module's own C scanner, one call a
    string, and every string but the first needs a separator before it (two strings in
    a row end the parse there), so this takes at most ``stop`` steps."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:  # UTF-16/32 or not text: count strings' text too
        return 1 + sum(map(body.count, (b",", b":", b"[", b"{")))
    n, pos, first = 1, 0, True
    while n <= stop:
        q = text.find('"', pos)
        seg = text[pos:] if q < 0 else text[pos:q]
        more = sum(map(seg.count, _PUNCT))
        n += more
        if q < 0 or (not more and not first):
            break
        first = False
        try:
            pos = scanstring(text, q + 1)[1]
        except ValueError:  # the parse ends here too
            break
    return n


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413. A declared ``Content-Length``
    is checked before anything is read (the HTTP parser holds the body to it); a body
    without one is read up to the limit first and then handed to the app.

    A ``POST`` body (JSON, parsed whole by the routes and the MCP SDK) of more bytes than
    ``max_values`` is read first and refused with 413 if it could hold more than
    ``max_values`` JSON values: 15 MB of ``[],`` were five million lists, 1.7 GB at the
    parse's peak (``PUT`` bodies are files, never parsed)."""

    def __init__(self, app: ASGIApp, limit: int, *, max_values: int = 1_000_000) -> None:
        self.app = app
        self.limit = limit
        self.max_values = max_values

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, {"error": "Content-Length is not a number"})
                    return
        counted = scope.get("method") == "POST"
        if declared is not None:
            if declared > self.limit:
                await _send_json(send, 413, {"error": self._message()})
                return
            if not counted or declared <= self.max_values:  # too short to hold more
                await self.app(scope, receive, send)
                return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body = message.get("body", b"")
            total += len(body)
            if total > self.limit:
                await _send_json(send, 413, {"error": self._message()})
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        if counted and total > self.max_values:
            values = await anyio.to_thread.run_sync(
                json_values, b"".join(chunks), self.max_values
            )
            if values > self.max_values:
                await _send_json(
                    send,
                    413,
                    {
                        "error": f"request body holds up to {values} JSON values "
                        f"(the limit is {self.max_values})"
                    },
                )
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _message(self) -> str:
        return f"request body too large (the limit is {self.limit} bytes)"


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI wrapper: cheaper than
    an ``@app.middleware`` one, and it leaves streamed responses alone)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in _SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in have]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
