"""Approvals by API and by webhook; live Server-Sent Events."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import ALICE, ASKING, Server, make_config, running


def _call_in_thread(server: Server, path: str, body: dict) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def call() -> None:
        with server.client(ALICE) as c:
            box["r"] = c.post(path, json=body)

    t = threading.Thread(target=call, daemon=True)
    t.start()
    return t, box


def _wait_question(client, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        pending = client.get("/v1/approvals").json()
        if pending:
            return pending[0]
        assert time.monotonic() < deadline, "no question came"
        time.sleep(0.05)


def test_ask_waits_for_an_answer_by_api(server: Server, alice) -> None:
    sid = alice.post("/v1/sandboxes", json={"policy": "asking"}).json()["id"]
    t, box = _call_in_thread(
        server, f"/v1/sandboxes/{sid}/run", {"command": "touch approved.txt && echo made"}
    )
    q = _wait_question(alice)
    assert q["sandbox"] == sid and "touch approved.txt" in q["summary"]
    assert q["rule"].startswith("commands.ask") and q["answer_url"].endswith(
        f"/v1/approvals/{q['id']}"
    )
    assert alice.get(f"/v1/sandboxes/{sid}").json()["state"] == "waiting_approval"
    assert t.is_alive()  # the agent's call is waiting
    r = alice.post(f"/v1/approvals/{q['id']}", json={"allow": True})
    assert r.status_code == 200 and r.json()["answer"] == "allow_once"
    t.join(30)
    assert box["r"].json()["stdout"] == "made\n"
    assert alice.get(f"/v1/sandboxes/{sid}/files/approved.txt").status_code == 200
    # answered already: 409; unknown: 404; bad body: 422 naming the field
    assert alice.post(f"/v1/approvals/{q['id']}", json={"allow": True}).status_code in (404, 409)
    assert alice.post("/v1/approvals/nope", json={"allow": True}).status_code == 404
    r = alice.post(f"/v1/approvals/{q['id']}", json={"allow": "yes"})
    assert r.status_code == 422 and "allow" in r.json()["error"]


def test_deny_and_allow_always(server: Server, alice) -> None:
    sid = alice.post("/v1/sandboxes", json={"policy": "asking"}).json()["id"]
    t, box = _call_in_thread(server, f"/v1/sandboxes/{sid}/run", {"command": "touch a"})
    q = _wait_question(alice)
    alice.post(f"/v1/approvals/{q['id']}", json={"allow": False})
    t.join(30)
    assert box["r"].json()["exit_code"] != 0 and "denied" in box["r"].json()["stderr"]

    t, box = _call_in_thread(server, f"/v1/sandboxes/{sid}/run", {"command": "touch b"})
    q = _wait_question(alice)
    alice.post(f"/v1/approvals/{q['id']}", json={"allow": True, "always": True})
    t.join(30)
    assert box["r"].json()["exit_code"] == 0
    # the same command again: remembered, no question
    r = alice.post(f"/v1/sandboxes/{sid}/run", json={"command": "touch b"})
    assert r.json()["exit_code"] == 0 and alice.get("/v1/approvals").json() == []


def test_unanswered_question_times_out_as_deny(tmp_path: Path) -> None:
    quick = tmp_path / "quick.yaml"
    quick.write_text(ASKING.replace("timeout_s: 60", "timeout_s: 0.5"))
    config = make_config(tmp_path)
    config.policies["quick"] = str(quick)
    with running(config) as srv, srv.client(ALICE) as c:
        sid = c.post("/v1/sandboxes", json={"policy": "quick"}).json()["id"]
        r = c.post(f"/v1/sandboxes/{sid}/run", json={"command": "touch late"})
        assert r.json()["exit_code"] != 0
        assert "no answer within 0.5 s" in r.json()["stderr"]
        assert c.get("/v1/approvals").json() == []


class _Receiver:
    """A real HTTP endpoint that records what is POSTed to it."""

    def __init__(self) -> None:
        self.got: queue.Queue[dict] = queue.Queue()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("content-length", 0))
                outer.got.put(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(self.rfile.read(n)),
                    }
                )
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver()
    yield r
    r.close()


def test_webhook_gets_the_question_and_the_answer_comes_through_the_api(
    tmp_path: Path, receiver: _Receiver
) -> None:
    hooked = tmp_path / "hooked.yaml"
    hooked.write_text(
        ASKING.replace(
            "approvals: {timeout_s: 60}", f"approvals: {{timeout_s: 60, webhook: '{receiver.url}'}}"
        )
    )
    config = make_config(tmp_path)
    config.policies["hooked"] = str(hooked)
    with running(config) as srv, srv.client(ALICE) as c:
        sid = c.post("/v1/sandboxes", json={"policy": "hooked"}).json()["id"]
        t, box = _call_in_thread(
            srv, f"/v1/sandboxes/{sid}/run", {"command": "touch '<@here> <x|click>' && echo ok"}
        )
        hook = receiver.got.get(timeout=30)
        body = hook["body"]
        assert hook["path"] == "/hook" and hook["headers"]["Content-Type"] == "application/json"
        assert body["sandbox"] == sid and "touch" in body["summary"]
        # Slack-compatible text, with the agent's markup escaped
        assert (
            "touch" in body["text"]
            and "&lt;@here&gt;" in body["text"]
            and "<@here>" not in body["text"]
        )
        assert body["answer_url"] == f"{srv.url}/v1/approvals/{body['id']}"
        assert t.is_alive()
        # whoever got the message answers through the API with the tenant's token
        import httpx

        r = httpx.post(body["answer_url"], json={"allow": True}, headers=ALICE, timeout=30)
        assert r.status_code == 200
        t.join(30)
        assert box["r"].json()["stdout"] == "ok\n"
        # a policy without a webhook posts nothing
        sid2 = c.post("/v1/sandboxes", json={"policy": "asking"}).json()["id"]
        t, box = _call_in_thread(srv, f"/v1/sandboxes/{sid2}/run", {"command": "touch z"})
        q = _wait_question(c)
        c.post(f"/v1/approvals/{q['id']}", json={"allow": False})
        t.join(30)
        assert receiver.got.empty()


def test_webhook_must_be_http(tmp_path: Path) -> None:
    from corral.policy import PolicyError, load

    for bad in ("file:///etc/passwd", "gopher://x", "http://", "http://a b"):
        with pytest.raises(PolicyError, match="webhook"):
            load({"version": 1, "approvals": {"webhook": bad}})


def _sse_lines(client, url: str, out: list, stop: threading.Event, headers=None) -> None:
    import httpx

    # the server or the client went away at the end of the test
    with contextlib.suppress(httpx.HTTPError):
        _read_sse(client, url, out, stop, headers)


def _read_sse(client, url: str, out: list, stop: threading.Event, headers=None) -> None:
    with client.stream("GET", url, headers=headers or {}) as r:
        event = {}
        for line in r.iter_lines():
            if stop.is_set():
                return
            if line.startswith("id: "):
                event["id"] = int(line[4:])
            elif line.startswith("event: "):
                event["event"] = line[7:]
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif line == "" and event:
                out.append(event)
                event = {}


def test_events_are_delivered_live(server: Server, alice) -> None:
    sid = alice.post("/v1/sandboxes", json={}).json()["id"]
    got: list = []
    stop = threading.Event()
    with server.client(ALICE) as c2:
        t = threading.Thread(
            target=_sse_lines,
            args=(c2, f"/v1/events?sandbox={sid}&backlog=0", got, stop),
            daemon=True,
        )
        t.start()
        time.sleep(0.5)
        alice.post(
            f"/v1/sandboxes/{sid}/run", json={"command": "echo '<img src=x onerror=alert(1)>'"}
        )
        deadline = time.monotonic() + 20
        while not any(e["data"].get("type") == "action.completed" for e in got):
            assert time.monotonic() < deadline, got
            time.sleep(0.05)
        stop.set()
    types = [e["data"]["type"] for e in got]
    assert "action.requested" in types and types.index("action.requested") < types.index(
        "action.completed"
    )
    ids = [e["id"] for e in got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(e["data"]["session"] == sid for e in got)
    # the backlog replays them for a late subscriber, and Last-Event-ID resumes after one
    recent = alice.get(f"/v1/events/recent?sandbox={sid}").json()
    assert [e["stream_id"] for e in recent][-len(ids) :] == ids
    late: list = []
    stop2 = threading.Event()
    with server.client(ALICE) as c3:
        t = threading.Thread(
            target=_sse_lines,
            args=(c3, f"/v1/events?sandbox={sid}", late, stop2, {"Last-Event-ID": str(ids[0])}),
            daemon=True,
        )
        t.start()
        deadline = time.monotonic() + 10
        while len(late) < len(ids) - 1:
            assert time.monotonic() < deadline, late
            time.sleep(0.05)
        stop2.set()
    assert [e["id"] for e in late][: len(ids) - 1] == ids[1:]


def test_deleting_a_sandbox_denies_its_waiting_question(server: Server, alice) -> None:
    sid = alice.post("/v1/sandboxes", json={"policy": "asking"}).json()["id"]
    t, box = _call_in_thread(server, f"/v1/sandboxes/{sid}/run", {"command": "touch q"})
    _wait_question(alice)
    started = time.monotonic()
    assert alice.delete(f"/v1/sandboxes/{sid}").status_code == 200
    assert time.monotonic() - started < 30  # not the question's 60 s timeout
    t.join(30)
    assert box["r"].json()["exit_code"] != 0
    assert alice.get("/v1/approvals").json() == []


def test_hostile_json_is_a_4xx(alice) -> None:
    sid = alice.post("/v1/sandboxes", json={}).json()["id"]
    for body in (b"[" * 200_000, b'{"command": "\\ud800"}', b'{"command": 1e999}', b"\xff\xfe"):
        r = alice.post(
            f"/v1/sandboxes/{sid}/run", content=body, headers={"content-type": "application/json"}
        )
        assert 400 <= r.status_code < 500, (body[:20], r.status_code, r.text)
        assert "error" in r.json()


def test_open_streams_per_tenant_are_capped(tmp_path: Path) -> None:
    from corral.server import Limits

    with running(make_config(tmp_path, limits=Limits(max_streams_per_tenant=2))) as srv:
        clients = [srv.client(ALICE) for _ in range(3)]
        try:
            streams = [c.stream("GET", "/v1/events") for c in clients[:2]]
            opened = [s.__enter__() for s in streams]
            assert all(r.status_code == 200 for r in opened)
            r = clients[2].get("/v1/events")
            assert r.status_code == 429 and "limit" in r.json()["error"]
            opened[0].close()
            streams[0].__exit__(None, None, None)
            deadline = time.monotonic() + 20
            while True:  # the server notices the closed stream
                with clients[2].stream("GET", "/v1/events") as r:
                    if r.status_code == 200:
                        break
                assert time.monotonic() < deadline
                time.sleep(0.2)
        finally:
            for c in clients:
                c.close()
