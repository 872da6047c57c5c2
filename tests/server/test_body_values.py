"""A request body is parsed as JSON only if it holds at most ``Limits.max_body_values``
values: 15 MB of ``[],`` in ``POST /v1/events`` (within the 16 MB body cap) made the
server parse five million lists, 18 s and 1.7 GB at its peak, and kept the event."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from corral.server.middleware import BodyLimit, json_values


@pytest.mark.parametrize(
    ("body", "values"),
    [
        (b"{}", 1),
        (b'{"a": [1, 2, {"b": null}]}', 5),
        (b'{"a": "x,y:[{"}', 1),  # punctuation inside strings is text, not values
        (b'{"a": "q\\"],[,"}', 1),  # an escaped quote does not end the string
        (b"[" + b"[]," * 1000 + b"[]]", 1002),
    ],
)
def test_json_values_counts_values_not_text(body: bytes, values: int) -> None:
    # an upper bound (keys and empty containers count), never below the values made
    assert values <= json_values(body, 10**9) <= 2 * values + 2


def _call(limit: int, max_values: int, body: bytes, method: str = "POST") -> tuple[int, Any]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        msg = await receive()
        seen["body"] = msg["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    out: dict[str, Any] = {}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        else:
            out["body"] = message.get("body", b"")

    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)] or [b""]

    async def receive() -> Any:
        part = chunks.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(chunks)}

    scope = {
        "type": "http",
        "method": method,
        "headers": [(b"content-length", str(len(body)).encode())],
    }
    mw = BodyLimit(app, limit, max_values=max_values)
    anyio.run(mw, scope, receive, send)
    return out["status"], seen.get("body", out.get("body"))


def test_a_body_of_too_many_values_is_refused_before_parsing() -> None:
    many = b'{"events": [' + b"[]," * 5000 + b"[]]}"
    status, body = _call(1 << 20, 1000, many)
    assert status == 413
    assert "JSON values" in json.loads(body)["error"]
    # within the bound, and text that only looks like values, reach the app whole
    ok = b'{"stdin": "' + b",:[{" * 5000 + b'"}'
    assert _call(1 << 20, 1000, ok) == (200, ok)
    # a file upload is bytes, not JSON
    assert _call(1 << 20, 1000, many, method="PUT") == (200, many)


def test_the_server_refuses_a_body_of_millions_of_values(alice: Any) -> None:
    n = 1_200_000
    body = (
        b'{"events": [{"session": "s", "seq": 1, "time": 1.0, "type": "episode.ended", '
        b'"data": {"x": [' + b"[]," * n + b"[]]}}]}"
    )
    r = alice.post("/v1/events", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert "JSON values" in r.json()["error"]
