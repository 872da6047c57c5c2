"""Appending, reading back, the documented row format, the event bus, threads."""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
import threading

import pytest

from corral import audit
from corral.audit import (
    GENESIS_HASH,
    KINDS,
    AuditError,
    AuditLog,
    canonical_json,
    iter_entries,
    verify,
)
from corral.errors import CorralError
from corral.events import Decision, Event, EventBus, ExecAction, SessionEvents


def test_append_verify_round_trip(tmp_path):
    path = tmp_path / "audit.db"
    bodies = {
        "event": {"type": "action.completed", "n": 1},
        "decision": {"verdict": "deny", "rule": "no-net"},
        "approval": {"by": "alice", "answer": "allow"},
        "alert": {"rule": "exfil", "severity": "high", "technique": "T1048"},
        "note": {"text": "hello é ✓"},
    }
    with AuditLog(path) as log:
        seqs = [log.append(kind, body, session="s1") for kind, body in bodies.items()]
        assert len(log) == 6
    assert seqs == [2, 3, 4, 5, 6]  # row 1 is the header
    entries = list(iter_entries(path))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    header = entries[0]
    assert header.kind == "note" and header.session is None
    assert header.body["corral_audit"]["signed"] is False
    assert header.prev_hash == GENESIS_HASH
    assert [(e.kind, e.body) for e in entries[1:]] == list(bodies.items())
    assert all(e.session == "s1" for e in entries[1:])
    for a, b in itertools.pairwise(entries):
        assert b.prev_hash == a.hash
    result = verify(path)
    assert result.ok and bool(result)
    assert (result.rows, result.first_bad_seq, result.problem) == (6, None, None)
    assert not result.signed and not result.signatures_checked


def test_file_is_wal_sqlite_with_the_documented_table(tmp_path):
    path = tmp_path / "audit.db"
    with AuditLog(path) as log:
        log.append("note", {"x": 1})
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        cols = [(r[1], r[2]) for r in conn.execute("PRAGMA table_info(entries)")]
        assert cols == [
            ("seq", "INTEGER"),
            ("time", "REAL"),
            ("kind", "TEXT"),
            ("session", "TEXT"),
            ("body", "TEXT"),
            ("prev_hash", "TEXT"),
            ("hash", "TEXT"),
        ]
        # append-only triggers guard against accidents (an attacker can drop them)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE entries SET body = '{}' WHERE seq = 2")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM entries WHERE seq = 2")
        conn.close()
    assert AuditLog(path, synchronous="FULL").synchronous == "FULL"


def test_canonical_form_and_row_hash_follow_the_documented_definition(tmp_path):
    assert (
        canonical_json({"b": 1, "a": ["é", 2.5, None, True]}) == '{"a":["é",2.5,null,true],"b":1}'
    )
    with pytest.raises(AuditError):
        canonical_json({"x": float("nan")})
    path = tmp_path / "audit.db"
    with AuditLog(path) as log:
        log.append("alert", {"z": 1, "a": {"y": "ü", "b": [1, 2]}}, session="sess")
    conn = sqlite3.connect(path)
    seq, t, kind, session, body, prev_hash, h = conn.execute(
        "SELECT * FROM entries WHERE seq = 2"
    ).fetchone()
    conn.close()
    assert body == '{"a":{"b":[1,2],"y":"ü"},"z":1}'
    # an independent computation of the documented formula
    doc = {"body": body, "kind": kind, "prev_hash": prev_hash, "seq": seq, "session": session}
    doc["time"] = t
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert h == hashlib.sha256(prev_hash.encode() + text.encode("utf-8")).hexdigest()


def test_bodies_are_normalised_and_validated(tmp_path):
    with AuditLog(tmp_path / "audit.db") as log:
        s = log.append("note", {1: (1, 2), "nested": {"t": ("a",)}})
        assert log.tail(1)[0].body == {"1": [1, 2], "nested": {"t": ["a"]}}
        # a lone surrogate (e.g. undecodable guest output) is stored escaped
        s2 = log.append("note", {"out": "bad \udcff byte", "ok": "é"})
        assert log.tail(1)[0].body == {"out": "bad \udcff byte", "ok": "é"}
        # a pydantic model is dumped in JSON mode
        s3 = log.append("decision", Decision(verdict="deny", rule="r"))
        assert log.tail(1)[0].body["verdict"] == "deny"
        assert (s, s2, s3) == (2, 3, 4)
        for bad in ([1, 2], "text", {"x": {1, 2}}, {"x": float("inf")}, {"x": object()}):
            with pytest.raises(AuditError):
                log.append("note", bad)
        with pytest.raises(AuditError, match="unknown audit kind"):
            log.append("gossip", {})
        with pytest.raises(AuditError, match="written by the audit log itself"):
            log.append("checkpoint", {})
        with pytest.raises(AuditError, match="session"):
            log.append("note", {}, session=7)
        assert len(log) == 4
    assert verify(tmp_path / "audit.db").ok
    assert set(KINDS) == {"event", "decision", "approval", "alert", "checkpoint", "note"}
    assert issubclass(AuditError, CorralError)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        AuditLog(tmp_path / "a.db", checkpoint_every=1)
    with pytest.raises(ValueError):
        AuditLog(tmp_path / "a.db", synchronous="OFF")
    with pytest.raises(AuditError, match="empty"):
        AuditLog(tmp_path / "a.db", key=b"")


def test_reopen_continues_the_chain_and_closed_log_refuses(tmp_path):
    path = tmp_path / "sub" / "dir" / "audit.db"  # parent directories are created
    with AuditLog(path) as log:
        log.append("note", {"n": 1})
    log.close()  # twice is fine
    with pytest.raises(AuditError, match="closed"):
        log.append("note", {"n": 2})
    with AuditLog(path) as log2:
        assert log2.append("note", {"n": 2}) == 3
        seq, h = log2.head()
        assert seq == 3 and len(h) == 64
    assert verify(path).rows == 3
    assert "closed" in repr(log2)


def test_tail_filters_and_iter_since(tmp_path):
    path = tmp_path / "audit.db"
    with AuditLog(path) as log:
        for i in range(10):
            log.append("event" if i % 2 else "alert", {"i": i}, session=f"s{i % 3}")
        assert [e.body["i"] for e in log.tail(3)] == [7, 8, 9]
        assert [e.body["i"] for e in log.tail(2, kind="alert")] == [6, 8]
        assert [e.body["i"] for e in log.tail(10, session="s1")] == [1, 4, 7]
    assert [e.body["i"] for e in audit.tail(path, 2, session="s0")] == [6, 9]
    assert [e.seq for e in iter_entries(path, since=8)] == [9, 10, 11]
    assert [e.body["i"] for e in iter_entries(path, session="s2", kind="event")] == [5]
    assert audit.count_entries(path) == 11
    assert audit.count_entries(path, kind="alert") == 5


def test_attach_to_event_bus_writes_every_event(tmp_path):
    path = tmp_path / "audit.db"
    bus = EventBus()
    log = AuditLog(path)
    detach = log.attach(bus)
    events = SessionEvents(bus, "sess-1")
    sent = [
        events.emit("sandbox.created"),
        events.emit(
            "action.completed",
            action=ExecAction(argv=["ls", "-l"], line="ls -l"),
            decision=Decision(verdict="allow", rule="default"),
            outcome={"exit_code": 0},
        ),
    ]
    detach()
    events.emit("sandbox.closed")  # not written: detached
    only_closed = log.attach(bus, types=["sandbox.closed"])
    assert callable(only_closed)
    events.emit("action.requested")  # filtered out
    sent.append(events.emit("sandbox.closed"))
    log.close()  # close detaches too
    events.emit("sandbox.closed")
    rows = [e for e in iter_entries(path) if e.kind == "event"]
    assert [Event.model_validate(e.body) for e in rows] == sent
    assert all(e.session == "sess-1" for e in rows)
    assert verify(path).ok


def test_a_real_sandbox_session_is_audited(tmp_path):
    import corral

    path = tmp_path / "audit.db"
    bus = EventBus()
    with AuditLog(path) as log:
        log.attach(bus)
        with corral.Sandbox(bus=bus) as box:
            box.python("print(6 * 7)")
    types = [e.body["type"] for e in iter_entries(path, kind="event")]
    assert types[0] == "sandbox.created" and types[-1] == "sandbox.closed"
    assert "action.completed" in types
    assert verify(path).ok


def test_threads_share_one_log(tmp_path):
    path = tmp_path / "audit.db"
    got: list[int] = []
    lock = threading.Lock()
    with AuditLog(path, key=b"k", checkpoint_every=7) as log:

        def work(t: int) -> None:
            for i in range(100):
                s = log.append("event", {"thread": t, "i": i}, session=f"t{t}")
                with lock:
                    got.append(s)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(set(got)) == 800
    result = verify(path, key=b"k")
    assert result.ok, result
    for t in range(8):
        assert [e.body["i"] for e in iter_entries(path, session=f"t{t}")] == list(range(100))


def test_bench_reports_rates():
    result = audit.bench(300)
    assert result["rows"] == 300 and result["verified"] is True
    assert result["append_rows_per_s"] > 0 and result["verify_rows_per_s"] > 0
    signed = audit.bench(50, key=b"k", synchronous="FULL")
    assert signed["signed"] and signed["synchronous"] == "FULL"


@pytest.mark.parametrize("signed", [False, True])
def test_extend_writes_a_batch_in_one_transaction(tmp_path, signed):
    """extend(): the rows of a batch in order with their own seqs, signed checkpoints
    falling inside the batch where they fall for single appends, the chain verifies; a
    bad row refuses the whole batch before anything is written."""
    key = b"k" * 32 if signed else None
    one, many = tmp_path / "one.db", tmp_path / "many.db"
    rows = [("event", {"n": i}, f"s{i % 3}") for i in range(25)]
    with AuditLog(one, key=key, checkpoint_every=7) as log:
        singles = [log.append(*r) for r in rows]
    with AuditLog(many, key=key, checkpoint_every=7) as log:
        batch = log.extend(rows[:10]) + log.extend(rows[10:])
        assert log.extend([]) == []
        n = len(log)
        with pytest.raises(AuditError, match="unknown audit kind"):
            log.extend([("event", {"n": 99}, None), ("nonsense", {}, None)])
        with pytest.raises(AuditError, match="session must be a string"):
            log.extend([("event", {"n": 99}, 5)])  # type: ignore[list-item]
        assert len(log) == n  # nothing of a refused batch was written
    assert batch == singles

    def shape(path):  # hashes and macs differ (times); where each row and checkpoint is
        return [
            (e.seq, e.kind, e.session, e.body.get("covers_seq", e.body))
            for e in iter_entries(path)
        ]

    assert shape(one) == shape(many)
    assert verify(many, key=key).ok
