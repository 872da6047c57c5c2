"""Helpers for the audit tests: build logs, and tamper with them the way an
attacker with write access to the file would (raw sqlite3, triggers dropped)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from corral.audit import GENESIS_HASH, AuditLog, canonical_json, row_hash

KEY = b"audit-test-key"


def make_log(
    path: Path,
    n: int = 30,
    *,
    key: bytes | None = None,
    every: int = 1000,
    close: bool = True,
    session: str = "s1",
) -> list[int]:
    """A log with a header and ``n`` event rows (plus checkpoints with a key);
    returns the event rows' seqs."""
    log = AuditLog(path, key=key, checkpoint_every=every)
    seqs = [log.append("event", {"i": i, "msg": f"event {i}"}, session=session) for i in range(n)]
    log.close(checkpoint=close)
    return seqs


@contextlib.contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
    conn.execute("DROP TRIGGER IF EXISTS entries_no_delete")
    try:
        yield conn
    finally:
        conn.close()


def row(conn: sqlite3.Connection, seq: int) -> tuple:
    return conn.execute("SELECT * FROM entries WHERE seq = ?", (seq,)).fetchone()


def last_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT max(seq) FROM entries").fetchone()[0]


def renumber(conn: sqlite3.Connection, start: int, delta: int) -> None:
    """Shift every row with seq >= start by delta (through negative seqs, so the
    primary key never collides)."""
    conn.execute("UPDATE entries SET seq = -seq WHERE seq >= ?", (start,))
    conn.execute("UPDATE entries SET seq = -seq + ? WHERE seq < 0", (delta,))


def swap_rows(conn: sqlite3.Connection, a: int, b: int) -> None:
    conn.execute("UPDATE entries SET seq = -1 WHERE seq = ?", (a,))
    conn.execute("UPDATE entries SET seq = ? WHERE seq = ?", (a, b))
    conn.execute("UPDATE entries SET seq = ? WHERE seq = -1", (b,))


def forge_row(
    conn: sqlite3.Connection, seq: int, body: dict, *, valid: bool = True, session: str = "s1"
) -> None:
    """Insert a made-up row at ``seq`` linked to the row before it, with a
    correctly computed hash (``valid``) or a junk one."""
    prev = conn.execute(
        "SELECT hash FROM entries WHERE seq < ? ORDER BY seq DESC LIMIT 1", (seq,)
    ).fetchone()
    prev_hash = prev[0] if prev else GENESIS_HASH
    text = canonical_json(body)
    t = 1.0e9
    h = row_hash(seq, t, "event", session, text, prev_hash) if valid else "ab" * 32
    conn.execute(
        "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, t, "event", session, text, prev_hash, h),
    )


def rehash(conn: sqlite3.Connection, start: int, checkpoints: str = "keep") -> None:
    """Rewrite the chain from ``start`` to the end, recomputing every prev_hash
    and hash as an attacker without the key can. Checkpoint rows are kept as
    they are (``keep``), given new covered fields with a made-up signature
    (``forge``), or turned into notes (``note``)."""
    prev = conn.execute(
        "SELECT hash FROM entries WHERE seq < ? ORDER BY seq DESC LIMIT 1", (start,)
    ).fetchone()
    prev_hash = prev[0] if prev else GENESIS_HASH
    rows = conn.execute(
        "SELECT seq, time, kind, session, body FROM entries WHERE seq >= ? ORDER BY seq",
        (start,),
    ).fetchall()
    for seq, t, kind, session, body in rows:
        if kind == "checkpoint" and checkpoints == "forge":
            fake = {"covers_seq": seq - 1, "covers_hash": prev_hash, "mac": "00" * 32}
            body = canonical_json({**fake, "reason": "interval"})
        elif kind == "checkpoint" and checkpoints == "note":
            kind, body = "note", canonical_json({"text": "nothing to see here"})
        h = row_hash(seq, t, kind, session, body, prev_hash)
        conn.execute(
            "UPDATE entries SET kind = ?, body = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (kind, body, prev_hash, h, seq),
        )
        prev_hash = h


def edit_body(conn: sqlite3.Connection, seq: int, body: dict) -> None:
    conn.execute("UPDATE entries SET body = ? WHERE seq = ?", (canonical_json(body), seq))
