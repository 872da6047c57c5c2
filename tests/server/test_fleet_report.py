"""A fleet's episodes on a ``corral serve`` (``Fleet(report_to=…)`` → ``POST /v1/events``):
the tenant of the token sees their events and alerts, nobody else does, and nobody can
write events into another tenant's session or one of the server's own sandboxes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import ALICE, BOB, make_config, running
from corral.events import Event
from corral.fleet import Fleet

pytestmark = pytest.mark.timeout(240)


def _wait(fn, timeout=30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.2)
    return fn()


def test_a_fleets_episodes_show_on_the_server_as_the_tokens_tenant(tmp_path: Path) -> None:
    with running(make_config(tmp_path)) as server:
        token = ALICE["Authorization"].split()[1]
        with Fleet(local=True, policy="default", report_to=server.url,
                   report_token=token) as fleet:  # fmt: skip
            sb = fleet.sandbox(tags={"run": "r1", "episode": 7})
            sb.run("echo fine")
            sb.run("xmrig -o stratum+tcp://pool.example.com:3333 -u w")
            session = sb.session
            sb.close()
            fleet.sync()
        assert fleet.report.sent > 0 and fleet.report.dropped == 0, fleet.report.last_error
        with server.client(ALICE) as alice, server.client(BOB) as bob:
            alerts = _wait(lambda: alice.get("/v1/alerts").json())
            assert any(a.get("session") == session for a in alerts), alerts
            mine = alice.get("/v1/events/recent", params={"limit": 1000}).json()
            assert any(e.get("tags", {}).get("episode") == 7 for e in mine)
            assert bob.get("/v1/alerts").json() == []
            assert not any(e.get("session") == session
                           for e in bob.get("/v1/events/recent").json())  # fmt: skip
            # bob cannot write into alice's session (it does not exist for him)
            forged = Event(session=session, seq=999, time=time.time(), type="monitor.alert",
                           data={"rule": "forged"}).model_dump(mode="json")  # fmt: skip
            assert bob.post("/v1/events", json={"events": [forged]}).status_code == 404
            # nobody writes into a sandbox the server made itself
            made = alice.post("/v1/sandboxes", json={}).json()["id"]
            forged["session"] = made
            r = alice.post("/v1/events", json={"events": [forged]})
            assert r.status_code == 409, r.text
            # not events: named, nothing taken
            r = alice.post("/v1/events", json={"events": [{"session": "x"}]})
            assert r.status_code == 422 and "events[0]" in r.text
            r = alice.post("/v1/events", json={"events": []})
            assert r.status_code == 422
        with server.client() as anon:
            assert anon.post("/v1/events", json={"events": [forged]}).status_code == 401


def test_report_to_needs_an_http_url() -> None:
    from corral.fleet import FleetError

    with pytest.raises(FleetError, match="report_to must be an http"):
        Fleet(local=True, report_to="ftp://x")


def _event(session: str, seq: int = 1) -> dict:
    return Event(session=session, seq=seq, time=time.time(), type="action.completed",
                 data={}).model_dump(mode="json")  # fmt: skip


def test_imported_sessions_are_bounded_in_name_and_number(tmp_path: Path) -> None:
    """Every session a client names in POST /v1/events is remembered for good (who owns
    it): 1,000 names of 16 KB a request grew the server by 16 MB a request, without end."""
    from corral.server import Limits

    config = make_config(tmp_path, limits=Limits(max_imported_sessions=5))
    with running(config) as server, server.client(ALICE) as alice:
        r = alice.post("/v1/events", json={"events": [_event("s" * 16_000)]})
        assert r.status_code == 422 and "session" in r.text, r.text
        r = alice.post("/v1/events", json={"events": [_event("bad name\n")]})
        assert r.status_code == 422, r.text
        r = alice.post("/v1/events", json={"events": [_event(f"ep-{i}") for i in range(5)]})
        assert r.status_code == 202, r.text
        r = alice.post("/v1/events", json={"events": [_event("ep-0", 2), _event("ep-4", 2)]})
        assert r.status_code == 202, r.text  # known sessions: not new
        r = alice.post("/v1/events", json={"events": [_event("ep-5")]})
        assert r.status_code == 429 and "sessions" in r.text, r.text


def test_imported_sessions_stay_their_tenants_after_a_restart(tmp_path: Path) -> None:
    """Sessions first named in POST /v1/events were owned only in memory: after a restart
    their tenant no longer saw their audit rows, and the first tenant to post an event
    naming one took it (and with it the earlier tenant's rows). Now the server notes the
    owner in the audit log, as for the sandboxes it makes."""
    config = make_config(tmp_path)

    def event(seq: int) -> dict[str, object]:
        return Event(session="episode-7", seq=seq, time=time.time(), type="episode.ended",
                     data={"text": f"row {seq}"}).model_dump(mode="json")  # fmt: skip

    with running(config) as server, server.client(ALICE) as alice:
        assert alice.post("/v1/events", json={"events": [event(1)]}).status_code == 202
    with running(config) as server, server.client(ALICE) as alice, server.client(BOB) as bob:
        assert bob.post("/v1/events", json={"events": [event(2)]}).status_code == 404
        assert bob.get("/v1/audit", params={"sandbox": "episode-7"}).status_code == 404
        rows = alice.get("/v1/audit", params={"sandbox": "episode-7"}).json()
        assert any("row 1" in str(r) for r in rows), rows
        r = alice.post("/v1/events", json={"events": [event(3)]})
        assert r.status_code == 202, r.text  # still an imported session, not one of ours
