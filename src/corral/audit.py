"""The tamper-evident audit log: an append-only, hash-chained SQLite table.

Every row carries the hash of the row before it, so :func:`verify` finds any
edit, deletion, insertion or reordering and names the first bad row. With an
HMAC key the log also signs a *checkpoint* row at fixed intervals (and on
close), so even an attacker who rewrites the chain from some row on and
recomputes every hash is caught, up to the last checkpoint.

File format
-----------
One SQLite database in WAL mode with one table::

    entries(seq INTEGER PRIMARY KEY, time REAL, kind TEXT, session TEXT,
            body TEXT /* canonical JSON */, prev_hash TEXT, hash TEXT)

``seq`` counts from 1 without gaps. Row 1 is the log's *header*, a ``note``
whose body is ``{"corral_audit": {"version": 1, "checkpoint_every": N,
"signed": bool, "key_id": str | null}}``; it fixes the checkpoint schedule and
says whether the log is signed, and it is covered by the chain like any row.
Triggers refuse ``UPDATE`` and ``DELETE`` (a guard against accidents, not
against an attacker, who can drop them: that is what the hashes are for).

Canonical JSON, ``canonical_json(x)``: ``json.dumps(x, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)`` encoded as
UTF-8: keys sorted, no whitespace, non-ASCII characters written as themselves,
numbers as Python writes them (floats in their shortest round-trip form), no
NaN or infinity. A value holding a lone surrogate (which UTF-8 cannot encode)
is written with ``ensure_ascii=True`` instead. A row's ``body`` column holds the
canonical JSON of the body *as parsed back from JSON* (so integer keys become
strings and tuples lists before sorting, and re-canonicalising an exported body
gives the same text).

Row hash::

    hash = sha256(prev_hash || canonical_json({"body": <body column text>,
                  "kind": kind, "prev_hash": prev_hash, "seq": seq,
                  "session": session, "time": time})).hexdigest()

where ``||`` is byte concatenation of the two UTF-8 strings and the first row's
``prev_hash`` is 64 zeros. ``seq`` is inside the hash, so moving a row to
another position, or renumbering rows to close a gap, is detected.

Checkpoints: with a key, a ``checkpoint`` row is written at every ``seq`` that
is a multiple of ``checkpoint_every`` (in the same transaction as the row
before it, so they are never apart) and on :meth:`AuditLog.close`. Its body is
``{"covers_seq": s, "covers_hash": h, "mac": m, "reason": "interval"|"close"}``
where ``(s, h)`` is the row just before it and ``m = HMAC-SHA256(key,
canonical_json({"covers_hash": h, "covers_seq": s,
"v": "corral-audit-checkpoint-1"}))``. Since ``h`` chains over every earlier
row, one valid signature vouches for the whole prefix.

What verification can and cannot tell
--------------------------------------
* Without a key: any change that leaves a broken hash or link is found. Someone
  who rewrites the chain from some row to the end, recomputing hashes, or who
  deletes rows off the end, is not caught (nothing secret is involved).
* With a key: a rewrite reaching back before the last checkpoint is found at
  the first checkpoint after the rewritten rows (its covered hash or its
  signature no longer fits, or a checkpoint is missing from the schedule).
  Rows after the last valid checkpoint (:attr:`VerifyResult.signed_upto`) are
  *not* protected by a signature: they can be rewritten, appended to or cut
  off. Cutting off the tail, checkpoints included, is not detectable from the
  file alone; keep :meth:`AuditLog.head` somewhere else and pass it to
  :func:`verify` as ``anchor`` to catch that.

Durability
----------
``journal_mode=WAL`` with ``synchronous=NORMAL`` by default. Each append is one
``BEGIN IMMEDIATE`` … ``COMMIT`` transaction; in WAL mode the commit has been
written into the ``-wal`` file (the OS page cache) before ``COMMIT`` returns,
so a *process* killed at any moment, even with SIGKILL, loses nothing that
:meth:`AuditLog.append` returned, at most the row in flight, and WAL recovery
stops at the last complete commit frame (frames are checksummed), so the chain
is never broken. ``synchronous=FULL`` adds an fsync per commit, which only
matters for an *operating-system* crash or power cut: with NORMAL such a crash
can roll back the last few commits (always a suffix, so the chain still
verifies); with FULL it loses at most the row in flight. FULL costs a large
part of the append rate (``bench()`` on the development machine: 17-21k rows/s
with NORMAL, 1.3-4k rows/s with FULL, one fsync per row), and every event
published on an :class:`~corral.events.EventBus` waits for its append, so
NORMAL is the default and ``synchronous="FULL"`` is there for logs that must
survive power loss row by row.

Concurrency: one connection per :class:`AuditLog`, guarded by a lock (threads),
and ``BEGIN IMMEDIATE`` with the last row read *inside* the transaction, so
several processes appending to the same file still form one chain.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import CorralError

if TYPE_CHECKING:
    from .events import Event, EventBus

__all__ = [
    "GENESIS_HASH",
    "KINDS",
    "AuditError",
    "AuditLog",
    "Entry",
    "VerifyResult",
    "bench",
    "canonical_json",
    "count_entries",
    "export_jsonl",
    "iter_entries",
    "load_key",
    "row_hash",
    "tail",
    "verify",
    "verify_jsonl",
]

KINDS = ("event", "decision", "approval", "alert", "checkpoint", "note")
GENESIS_HASH = "0" * 64
FORMAT_VERSION = 1
APPLICATION_ID = 0x43524C41  # "CRLA" in the SQLite header, for file(1) and friends
COLUMNS = ("seq", "time", "kind", "session", "body", "prev_hash", "hash")
_HEADER = "corral_audit"
_MAC_TAG = "corral-audit-checkpoint-1"
_KEY_ID_TAG = b"corral-audit-key-id-1"
_SYNC_MODES = ("NORMAL", "FULL")
_RENUMBER_WINDOW = 64  # how far verify looks for the seq a moved row was hashed for

_SCHEMA = (
    """CREATE TABLE entries (
        seq INTEGER PRIMARY KEY,
        time REAL NOT NULL,
        kind TEXT NOT NULL,
        session TEXT,
        body TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    """CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
       BEGIN SELECT RAISE(ABORT, 'the corral audit log is append-only'); END""",
    """CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
       BEGIN SELECT RAISE(ABORT, 'the corral audit log is append-only'); END""",
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {FORMAT_VERSION}",
)
_SELECT = "SELECT seq, time, kind, session, body, prev_hash, hash FROM entries"


class AuditError(CorralError):
    """The audit log cannot be opened, read or written.

    ``problem`` is the same message without the file name (what
    :func:`verify` reports)."""

    def __init__(self, message: str, problem: str | None = None) -> None:
        super().__init__(message)
        self.problem = problem or message


# --------------------------------------------------------------------------- hashing


def canonical_json(obj: Any) -> str:
    """The canonical JSON text of ``obj`` (see the module docstring)."""
    try:
        text = json.dumps(
            obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as e:
        raise AuditError(f"not plain JSON data: {e}") from None
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: escape everything instead
            text = json.dumps(
                obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
            )
    return text


def _body_text(body: Any) -> str:
    if hasattr(body, "model_dump"):
        body = body.model_dump(mode="json")
    if not isinstance(body, dict):
        raise AuditError(f"an audit body must be a dict, not {type(body).__name__}")
    try:
        plain = json.loads(json.dumps(body, allow_nan=False))
    except (TypeError, ValueError) as e:
        raise AuditError(f"audit body is not plain JSON data: {e}") from None
    return canonical_json(plain)


def row_hash(
    seq: int, time_: float, kind: str, session: str | None, body: str, prev_hash: str
) -> str:
    """The hash of one row; ``body`` is the row's body column (canonical JSON text)."""
    doc = canonical_json(
        {
            "body": body,
            "kind": kind,
            "prev_hash": prev_hash,
            "seq": seq,
            "session": session,
            "time": time_,
        }
    )
    return hashlib.sha256(prev_hash.encode("utf-8") + doc.encode("utf-8")).hexdigest()


def _safe_hash(seq: Any, time_: Any, kind: Any, session: Any, body: Any, prev: Any) -> str | None:
    """``row_hash`` for rows read back from a possibly tampered file: None if the
    values are not even of the right types."""
    if not (
        isinstance(seq, int)
        and isinstance(time_, float)
        and isinstance(kind, str)
        and (session is None or isinstance(session, str))
        and isinstance(body, str)
        and isinstance(prev, str)
    ):
        return None
    try:
        return row_hash(seq, time_, kind, session, body, prev)
    except (AuditError, UnicodeError):
        return None


def _mac(key: bytes, covers_seq: int, covers_hash: str) -> str:
    msg = canonical_json({"covers_hash": covers_hash, "covers_seq": covers_seq, "v": _MAC_TAG})
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).hexdigest()


def _key_id(key: bytes) -> str:
    return hmac.new(key, _KEY_ID_TAG, hashlib.sha256).hexdigest()[:16]


def _check_key(key: bytes | str | None) -> bytes | None:
    if key is None:
        return None
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes | bytearray):
        raise TypeError(f"key must be bytes, not {type(key).__name__}")
    if not key:
        raise AuditError("the audit key is empty")
    return bytes(key)


def load_key(path: str | os.PathLike[str]) -> bytes:
    """Read an HMAC key file. A file that is UTF-8 text loses its trailing
    newline (so ``echo secret > key`` works); any other file is used byte for byte."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise AuditError(f"cannot read key file {p}: {e.strerror or e}") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        data = data.rstrip(b"\r\n")
    if not data:
        raise AuditError(f"key file {p} is empty")
    return data


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the log, body parsed."""

    seq: int
    time: float
    kind: str
    session: str | None
    body: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Entry:
        seq, t, kind, session, body, prev_hash, h = row
        try:
            parsed = json.loads(body)
        except (TypeError, ValueError):
            parsed = None
        if not isinstance(parsed, dict):
            parsed = {"_unparsable_body": body if isinstance(body, str) else repr(body)}
        return cls(seq, t, kind, session, parsed, prev_hash, h)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "kind": self.kind,
            "session": self.session,
            "body": self.body,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found. True in a boolean context when the log is intact."""

    ok: bool
    rows: int
    first_bad_seq: int | None = None
    problem: str | None = None
    #: number of checkpoint rows seen
    checkpoints: int = 0
    #: the log's header says it is signed
    signed: bool = False
    #: a key was given and every checkpoint's signature was checked with it
    signatures_checked: bool = False
    #: rows 1..signed_upto are vouched for by a valid signature (0: none)
    signed_upto: int = 0

    def __bool__(self) -> bool:
        return self.ok


# --------------------------------------------------------------------------- opening


def _describe(path: Path, e: sqlite3.Error) -> AuditError:
    msg = str(e)
    low = msg.lower()
    if "file is not a database" in low or "not a database" in low:
        problem = "file is not a SQLite database"
    elif "malformed" in low or "corrupt" in low:
        problem = f"database is corrupted ({msg})"
    elif "locked" in low or "busy" in low:
        problem = f"database is locked by another process ({msg})"
    else:
        problem = msg
    return AuditError(f"{path}: {problem}", problem)


def _schema_state(conn: sqlite3.Connection, path: Path) -> str:
    """'empty' (a database without tables: a log not yet written), 'ok', or raise."""
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return "empty"
        cols = tuple(r[1] for r in conn.execute("PRAGMA table_info(entries)"))
    except sqlite3.Error as e:
        raise _describe(path, e) from None
    if cols != COLUMNS:
        problem = "database is not a corral audit log" + (
            " (its 'entries' table has other columns)" if cols else " (no 'entries' table)"
        )
        raise AuditError(f"{path}: {problem}", problem)
    return "ok"


def _open_read(path: str | os.PathLike[str]) -> tuple[sqlite3.Connection, str]:
    """A read-only connection and the schema state; never creates or changes the file."""
    p = Path(path)
    if not p.exists():
        raise AuditError(f"{p}: no such audit log", "no such file")
    if p.is_dir():
        raise AuditError(f"{p} is a directory, not an audit log", "is a directory")
    try:
        conn = sqlite3.connect(
            f"{p.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=30,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.Error as e:
        raise _describe(p, e) from None
    try:
        state = _schema_state(conn, p)
    except BaseException:
        conn.close()
        raise
    return conn, state


def _parse_header(body: Any) -> dict[str, Any] | None:
    try:
        h = json.loads(body)[_HEADER]
    except (TypeError, ValueError, KeyError, IndexError):
        return None
    if not (
        isinstance(h, dict)
        and isinstance(h.get("checkpoint_every"), int)
        and h["checkpoint_every"] >= 2
        and isinstance(h.get("signed"), bool)
    ):
        return None
    return h


# --------------------------------------------------------------------------- writer


class AuditLog:
    """An append-only, hash-chained audit log in a SQLite file (created if missing).

    ``key`` (bytes) turns on signed checkpoints every ``checkpoint_every`` rows
    and on :meth:`close`. The header written into a new log fixes the schedule:
    an existing log keeps its own ``checkpoint_every``, and must be opened with
    the key it was created with (or none, if it was created without one).
    ``synchronous`` is ``"NORMAL"`` (default) or ``"FULL"``; see the module
    docstring for what each survives.

    Thread-safe; several processes may append to the same file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: bytes | None = None,
        checkpoint_every: int = 1000,
        synchronous: str = "NORMAL",
    ) -> None:
        if not isinstance(checkpoint_every, int) or checkpoint_every < 2:
            raise ValueError("checkpoint_every must be an integer >= 2")
        sync = str(synchronous).upper()
        if sync not in _SYNC_MODES:
            raise ValueError(f"synchronous must be one of {_SYNC_MODES}, not {synchronous!r}")
        self.path = Path(path)
        self.synchronous = sync
        self._key = _check_key(key)
        self._every = checkpoint_every
        self._lock = threading.Lock()
        self._closed = False
        self._unsubs: list[Callable[[], None]] = []
        if self.path.is_dir():
            raise AuditError(f"{self.path} is a directory, not an audit log")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise AuditError(f"cannot create {self.path.parent}: {e.strerror or e}") from None
        self._pid = os.getpid()
        self._conn = self._connect()
        try:
            self._init_schema()
        except BaseException:
            self._conn.close()
            raise

    # -- connection -----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as e:
            raise _describe(self.path, e) from None
        try:
            mode = _set_wal(conn)
            if str(mode).lower() != "wal":
                raise AuditError(f"{self.path}: cannot switch the database to WAL mode ({mode})")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
        except sqlite3.Error as e:
            conn.close()
            raise _describe(self.path, e) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise AuditError(f"{self.path}: the audit log is closed")
        if os.getpid() != self._pid:  # forked: a SQLite connection must not cross fork()
            self._pid = os.getpid()
            self._conn = self._connect()
        return self._conn

    @contextlib.contextmanager
    def _transaction(self, what: str) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            err = _describe(self.path, e)
            raise AuditError(f"{self.path}: cannot {what}: {err.problem}", err.problem) from e

    def _init_schema(self) -> None:
        with self._transaction("initialise the audit log") as conn:
            state = _schema_state(conn, self.path)
            if state == "empty":
                for stmt in _SCHEMA:
                    conn.execute(stmt)
                header = {
                    "version": FORMAT_VERSION,
                    "checkpoint_every": self._every,
                    "signed": self._key is not None,
                    "key_id": _key_id(self._key) if self._key else None,
                }
                self._insert_row(conn, "note", canonical_json({_HEADER: header}), None)
                return
            row = conn.execute(_SELECT + " WHERE seq = 1").fetchone()
            header = _parse_header(row[4]) if row else None
            if header is None:
                raise AuditError(
                    f"{self.path}: the audit log has no valid header row; it is damaged "
                    "(run `corral audit verify`)"
                )
        self._every = header["checkpoint_every"]
        if header["signed"] and self._key is None:
            raise AuditError(f"{self.path}: this audit log is signed; open it with its key")
        if not header["signed"] and self._key is not None:
            raise AuditError(
                f"{self.path}: this audit log was created without a key; "
                "it cannot take signed checkpoints (open it without a key)"
            )
        if self._key is not None and header.get("key_id") != _key_id(self._key):
            raise AuditError(f"{self.path}: wrong key: this audit log was signed with another")

    def _insert_row(
        self,
        conn: sqlite3.Connection,
        kind: str,
        body: str,
        session: str | None,
        last: tuple[int, str] | None = None,
    ) -> tuple[int, tuple[int, str]]:
        """Insert one row after ``last`` (the seq and hash of the log's last row, read
        from the table when not given): the new row's seq, and the (seq, hash) of the
        log's last row now (the row, or the checkpoint written after it)."""
        if last is None:
            last = conn.execute(
                "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        if not isinstance(prev, str):
            raise AuditError(f"{self.path}: the last row is damaged (run `corral audit verify`)")
        t = time.time()
        h = row_hash(seq, t, kind, session, body, prev)
        conn.execute(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, t, kind, session, body, prev, h),
        )
        if self._key is not None and (seq + 1) % self._every == 0:
            return seq, self._insert_checkpoint(conn, seq, h, "interval")
        return seq, (seq, h)

    def _insert_checkpoint(
        self, conn: sqlite3.Connection, seq: int, h: str, reason: str
    ) -> tuple[int, str]:
        """Sign (seq, h); the checkpoint row's own (seq, hash)."""
        assert self._key is not None
        body = {"covers_seq": seq, "covers_hash": h, "mac": _mac(self._key, seq, h)}
        return self._insert_row(
            conn, "checkpoint", canonical_json({**body, "reason": reason}), None, (seq, h)
        )[1]

    # -- public API -----------------------------------------------------------------

    @property
    def signed(self) -> bool:
        return self._key is not None

    @property
    def checkpoint_every(self) -> int:
        return self._every

    @property
    def closed(self) -> bool:
        return self._closed

    def append(self, kind: str, body: dict[str, Any], session: str | None = None) -> int:
        """Append one row and return its seq. ``kind`` is one of :data:`KINDS`
        except ``checkpoint`` (those are written by the log itself)."""
        return self.extend([(kind, body, session)])[0]

    def extend(self, rows: Iterable[tuple[str, dict[str, Any], str | None]]) -> list[int]:
        """Append ``(kind, body, session)`` rows in order, in one transaction (all or
        none: one commit instead of one per row, for a busy writer such as a fleet's
        hub); their seqs. Each row is checked as :meth:`append` checks it before any
        is written."""
        texts: list[tuple[str, str, str | None]] = []
        for kind, body, session in rows:
            if kind not in KINDS:
                raise AuditError(f"unknown audit kind {kind!r} (one of {', '.join(KINDS)})")
            if kind == "checkpoint":
                raise AuditError("checkpoint rows are written by the audit log itself")
            if session is not None and not isinstance(session, str):
                raise AuditError(f"session must be a string, not {type(session).__name__}")
            texts.append((kind, _body_text(body), session))
        if not texts:
            return []
        seqs: list[int] = []
        with self._lock, self._transaction("append") as conn:
            last: tuple[int, str] | None = None
            for kind, text, session in texts:
                seq, last = self._insert_row(conn, kind, text, session, last)
                seqs.append(seq)
        return seqs

    def append_event(self, event: Event) -> int:
        """Append a corral :class:`~corral.events.Event` as an ``event`` row."""
        return self.append("event", event.model_dump(mode="json"), session=event.session)

    def append_events(self, events: Iterable[Event]) -> list[int]:
        """Append corral events as ``event`` rows in one transaction (see :meth:`extend`)."""
        return self.extend(
            ("event", e.model_dump(mode="json"), e.session) for e in events
        )

    def attach(self, bus: EventBus, types: list[str] | None = None) -> Callable[[], None]:
        """Write every event published on ``bus`` (or only ``types``) until the
        returned function is called or the log is closed."""
        unsub = bus.subscribe(self.append_event, types)

        def detach() -> None:
            unsub()
            with contextlib.suppress(ValueError):
                self._unsubs.remove(detach)

        self._unsubs.append(detach)
        return detach

    def checkpoint(self, reason: str = "manual") -> int | None:
        """Sign the current end of the log now (no-op without a key, or if the
        last row already is a checkpoint). Returns the checkpoint's seq."""
        if self._key is None:
            return None
        with self._lock, self._transaction("write a checkpoint") as conn:
            last = conn.execute(
                "SELECT seq, hash, kind FROM entries ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if last is None or last[2] == "checkpoint":
                return None
            self._insert_checkpoint(conn, last[0], last[1], reason)
            return last[0] + 1

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last row: store it elsewhere and pass it to
        :func:`verify` as ``anchor`` to detect a cut-off tail later."""
        with self._lock:
            conn = self._connection()
            row = conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS_HASH)

    def tail(
        self, n: int = 20, *, session: str | None = None, kind: str | None = None
    ) -> list[Entry]:
        """The last ``n`` rows (optionally of one session or kind), oldest first."""
        with self._lock:
            return _tail(self._connection(), self.path, n, session, kind)

    def __len__(self) -> int:
        with self._lock:
            return self._connection().execute("SELECT count(*) FROM entries").fetchone()[0]

    def iter_entries(self, **filters: Any) -> Iterator[Entry]:
        """Like :func:`iter_entries` on this log's file."""
        return iter_entries(self.path, **filters)

    def verify(self, anchor: tuple[int, str] | None = None) -> VerifyResult:
        """Verify this log's file with this log's key."""
        return verify(self.path, key=self._key, anchor=anchor)

    def close(self, *, checkpoint: bool = True) -> None:
        """Detach from event buses, sign the end of the log (with a key, unless
        ``checkpoint=False``) and close. Closing twice is harmless."""
        if self._closed:
            return
        for detach in list(self._unsubs):
            detach()
        try:
            if checkpoint and self._key is not None and os.getpid() == self._pid:
                self.checkpoint("close")
        finally:
            with self._lock:
                self._closed = True
                if os.getpid() == self._pid:
                    self._conn.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<AuditLog {str(self.path)!r} {state}{' signed' if self._key else ''}>"


# --------------------------------------------------------------------------- reading


def _where(since: int | None, session: str | None, kind: str | None) -> tuple[str, list[Any]]:
    clauses, args = [], []
    if since is not None:
        clauses.append("seq > ?")
        args.append(since)
    if session is not None:
        clauses.append("session = ?")
        args.append(session)
    if kind is not None:
        clauses.append("kind = ?")
        args.append(kind)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def _tail(
    conn: sqlite3.Connection, path: Path, n: int, session: str | None, kind: str | None
) -> list[Entry]:
    where, args = _where(None, session, kind)
    try:
        rows = conn.execute(f"{_SELECT}{where} ORDER BY seq DESC LIMIT ?", (*args, n)).fetchall()
    except sqlite3.Error as e:
        raise _describe(path, e) from None
    return [Entry.from_row(r) for r in reversed(rows)]


def iter_entries(
    path: str | os.PathLike[str],
    *,
    since: int | None = None,
    session: str | None = None,
    kind: str | None = None,
) -> Iterator[Entry]:
    """The rows of the log at ``path`` in seq order, read from one consistent
    snapshot: only rows after seq ``since``, of ``session``, of ``kind``."""
    p = Path(path)
    conn, state = _open_read(p)
    try:
        if state == "empty":
            return
        where, args = _where(since, session, kind)
        try:
            conn.execute("BEGIN")
            for row in conn.execute(f"{_SELECT}{where} ORDER BY seq", args):
                yield Entry.from_row(row)
        except sqlite3.Error as e:
            raise _describe(p, e) from None
    finally:
        conn.close()


def count_entries(
    path: str | os.PathLike[str],
    *,
    since: int | None = None,
    session: str | None = None,
    kind: str | None = None,
) -> int:
    """How many rows :func:`iter_entries` would yield."""
    p = Path(path)
    conn, state = _open_read(p)
    try:
        if state == "empty":
            return 0
        where, args = _where(since, session, kind)
        return conn.execute(f"SELECT count(*) FROM entries{where}", args).fetchone()[0]
    except sqlite3.Error as e:
        raise _describe(p, e) from None
    finally:
        conn.close()


def tail(
    path: str | os.PathLike[str],
    n: int = 20,
    *,
    session: str | None = None,
    kind: str | None = None,
) -> list[Entry]:
    """The last ``n`` rows of the log at ``path`` (optionally filtered), oldest first."""
    p = Path(path)
    conn, state = _open_read(p)
    try:
        return [] if state == "empty" else _tail(conn, p, n, session, kind)
    finally:
        conn.close()


def export_jsonl(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str] | IO[str],
    since: int | None = None,
    session: str | None = None,
    *,
    kind: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the rows (all, or after seq ``since``, of ``session``/``kind``) to
    ``out`` as JSON lines, one canonical JSON object per row with the keys of
    :meth:`Entry.to_dict`. An unfiltered export can be checked with
    :func:`verify_jsonl`. ``progress(n)`` is called every 1000 rows and at the
    end. Returns the number of rows written."""
    if isinstance(out, str | os.PathLike):
        conn, _ = _open_read(path)  # fail before creating the output file
        conn.close()
        try:
            with open(out, "w", encoding="utf-8", newline="\n") as f:
                return export_jsonl(path, f, since, session, kind=kind, progress=progress)
        except OSError as e:
            raise AuditError(f"cannot write {out}: {e.strerror or e}") from None
    n = 0
    for entry in iter_entries(path, since=since, session=session, kind=kind):
        out.write(canonical_json(entry.to_dict()) + "\n")
        n += 1
        if progress is not None and n % 1000 == 0:
            progress(n)
    if progress is not None:
        progress(n)
    return n


# --------------------------------------------------------------------------- verify


class _Verifier:
    """Walks rows in seq order and stops at the first problem."""

    def __init__(self, key: bytes | None, anchor: tuple[int, str] | None) -> None:
        self.key = key
        self.anchor = anchor
        self.rows = 0
        self.prev: tuple[Any, ...] | None = None  # the last row that passed
        self.header: dict[str, Any] | None = None
        self.checkpoints = 0
        self.signed_upto = 0
        self.anchor_seen = False
        self.problem: str | None = None
        self.first_bad: int | None = None

    def fail(self, problem: str, seq: int | None) -> None:
        if self.problem is None:
            self.problem, self.first_bad = problem, seq

    def run(self, rows: Iterable[tuple[Any, ...]]) -> None:
        it = iter(rows)
        cur = next(it, None)
        while cur is not None:
            nxt = next(it, None)
            self.rows += 1
            if self.problem is None:
                found = self.check(cur, nxt)
                if found:
                    self.fail(*found)
                else:
                    self.prev = cur
            cur = nxt
        self.finish()

    def finish(self) -> None:
        if self.problem is not None:
            return
        if self.anchor is not None and not self.anchor_seen:
            last = self.prev[0] if self.prev else 0
            self.fail(
                f"row {self.anchor[0]} missing (log cut off after row {last}; "
                f"the anchor expects row {self.anchor[0]})",
                last + 1,
            )
        elif (
            self.key is not None
            and self.header is not None
            and self.header["signed"]
            and self.checkpoints == 0
            and self.header.get("key_id") != _key_id(self.key)
        ):
            self.fail("wrong key: the log's header names another key (no checkpoints yet)", 1)

    def check(self, row: tuple[Any, ...], nxt: tuple[Any, ...] | None) -> tuple[str, int] | None:
        seq, t, kind, session, body, prev_hash, h = row
        expected = self.prev[0] + 1 if self.prev else 1
        prev_h = self.prev[6] if self.prev else GENESIS_HASH
        if seq != expected:
            if not isinstance(seq, int):
                return f"row {expected}: seq is not an integer ({seq!r})", expected
            if seq < expected:
                return f"row {seq}: unexpected seq (inserted)", seq
            if expected == 1:
                return f"row 1 missing (deleted; chain starts at {seq})", 1
            return (
                f"row {expected} missing (deleted; chain jumps from {expected - 1} to {seq})",
                expected,
            )
        if _safe_hash(seq, t, kind, session, body, prev_hash) != h:
            return self.moved(row, nxt) or (f"row {seq}: hash mismatch (edited)", seq)
        if prev_hash != prev_h:
            if seq == 1:
                return "row 1: prev_hash is not the genesis hash (rows deleted before it)", 1
            return f"row {seq}: prev_hash does not match row {seq - 1} (reordered or inserted)", seq
        if self.anchor is not None and seq == self.anchor[0]:
            self.anchor_seen = True
            if h != self.anchor[1]:
                return f"row {seq}: hash differs from the anchor (log rewritten)", seq
        if seq == 1:
            return self.check_header(row)
        if kind not in KINDS:
            return f"row {seq}: unknown kind {kind!r}", seq
        assert self.header is not None
        if kind == "checkpoint":
            return self.check_checkpoint(row, prev_h)
        every = self.header["checkpoint_every"]
        if self.header["signed"] and seq % every == 0:
            return (
                f"row {seq}: expected a signed checkpoint here (every {every} rows), found a "
                f"{kind!r} row (log rewritten after row {self.signed_upto})",
                seq,
            )
        return None

    def check_header(self, row: tuple[Any, ...]) -> tuple[str, int] | None:
        header = _parse_header(row[4]) if row[2] == "note" else None
        if header is None:
            return "row 1: not a corral audit log header", 1
        self.header = header
        if self.key is not None and not header["signed"]:
            return "row 1: the log is not signed (created without a key), but a key was given", 1
        return None

    def check_checkpoint(self, row: tuple[Any, ...], prev_h: str) -> tuple[str, int] | None:
        seq = row[0]
        self.checkpoints += 1
        try:
            body = json.loads(row[4])
            cs, ch, mac = body["covers_seq"], body["covers_hash"], body["mac"]
            if not (isinstance(cs, int) and isinstance(ch, str) and isinstance(mac, str)):
                raise TypeError
        except (TypeError, ValueError, KeyError):
            return f"checkpoint at row {seq}: malformed", seq
        since = f"after row {self.signed_upto}" if self.signed_upto else ""
        if cs != seq - 1:
            return (
                f"checkpoint at row {seq}: covers row {cs}, not row {seq - 1} "
                "(rows deleted, inserted or renumbered)",
                seq,
            )
        if ch != prev_h:
            return (
                f"checkpoint at row {seq}: covered hash does not match row {cs} "
                f"(log rewritten{' ' + since if since else ''})",
                seq,
            )
        if self.key is not None:
            if not (self.header or {}).get("signed"):
                return f"checkpoint at row {seq}: unexpected in an unsigned log", seq
            if not hmac.compare_digest(mac, _mac(self.key, cs, ch)):
                why = f"rows {since} rewritten" if since else "the log rewritten"
                return f"checkpoint at row {seq}: bad signature (wrong key, or {why})", seq
            self.signed_upto = cs
        return None

    def moved(self, row: tuple[Any, ...], nxt: tuple[Any, ...] | None) -> tuple[str, int] | None:
        """A row whose hash fits another seq was moved: say how, if we can tell."""
        seq = row[0]
        rest = row[1:6]
        other = None
        for d in range(1, _RENUMBER_WINDOW + 1):
            for s2 in (seq + d, seq - d):
                if s2 >= 1 and _safe_hash(s2, *rest) == row[6]:
                    other = s2
                    break
            if other is not None:
                break
        if other is None:
            return None
        if other == seq + 1:
            if nxt is not None and nxt[6] == row[5]:
                return f"rows {seq} and {seq + 1} are swapped (reordered)", seq
            return (
                f"row {seq} missing (deleted; later rows renumbered: "
                f"row {seq} was originally row {seq + 1})",
                seq,
            )
        if other == seq - 1 and self.prev is not None and self.prev[5] == row[5]:
            return (
                f"row {seq - 1} was inserted (row {seq} was originally row {seq - 1}; "
                "later rows renumbered)",
                seq - 1,
            )
        return f"row {seq}: hash was computed for row {other} (reordered)", seq

    def result(self) -> VerifyResult:
        signed = bool(self.header and self.header["signed"])
        return VerifyResult(
            ok=self.problem is None,
            rows=self.rows,
            first_bad_seq=self.first_bad,
            problem=self.problem,
            checkpoints=self.checkpoints,
            signed=signed,
            signatures_checked=signed and self.key is not None,
            signed_upto=self.signed_upto,
        )


def verify(
    path: str | os.PathLike[str],
    key: bytes | None = None,
    *,
    anchor: tuple[int, str] | None = None,
) -> VerifyResult:
    """Check the whole chain of the log at ``path`` (and, given ``key``, every
    checkpoint's signature). ``anchor`` is a ``(seq, hash)`` from
    :meth:`AuditLog.head` kept elsewhere: that row must still be there, unchanged.

    A damaged, non-SQLite or foreign file is a failed verification
    (``ok=False``); only a missing file raises :class:`AuditError`."""
    p = Path(path)
    key = _check_key(key)
    if not p.exists():
        raise AuditError(f"{p}: no such audit log", "no such file")
    try:
        conn, state = _open_read(p)
    except AuditError as e:
        return VerifyResult(ok=False, rows=0, problem=e.problem)
    v = _Verifier(key, anchor)
    try:
        if state == "ok":
            conn.execute("BEGIN")
            v.run(conn.execute(_SELECT + " ORDER BY seq"))
        else:
            v.finish()
    except sqlite3.Error as e:
        last = v.prev[0] if v.prev else 0
        problem = _describe(p, e).problem
        v.fail(f"{problem}; rows 1-{last} read before the damage" if last else problem, last + 1)
    finally:
        conn.close()
    return v.result()


def verify_jsonl(
    path: str | os.PathLike[str],
    key: bytes | None = None,
    *,
    anchor: tuple[int, str] | None = None,
) -> VerifyResult:
    """Verify a complete (unfiltered) :func:`export_jsonl` file like :func:`verify`."""
    p = Path(path)
    key = _check_key(key)
    v = _Verifier(key, anchor)

    def rows(f: IO[str]) -> Iterator[tuple[Any, ...]]:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                body = canonical_json(d["body"])
                yield (
                    d["seq"],
                    d["time"],
                    d["kind"],
                    d["session"],
                    body,
                    d["prev_hash"],
                    d["hash"],
                )
            except (ValueError, KeyError, TypeError, AuditError):
                v.fail(f"line {lineno}: not an audit log entry", v.prev[0] + 1 if v.prev else 1)
                return

    try:
        with open(p, encoding="utf-8") as f:
            v.run(rows(f))
    except FileNotFoundError:
        raise AuditError(f"{p}: no such file", "no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise AuditError(f"cannot read {p}: {e}") from None
    return v.result()


# --------------------------------------------------------------------------- bench


def bench(n: int = 10_000, *, synchronous: str = "NORMAL", key: bytes | None = None) -> dict:
    """Append ``n`` corral events to a fresh log in a temporary directory and
    time it; also time :func:`verify` on the result."""
    from .events import Decision, Event, ExecAction

    event = Event(
        session="bench",
        seq=1,
        type="action.completed",
        action=ExecAction(argv=["ls", "-la", "/workspace"], line="ls -la /workspace"),
        decision=Decision(verdict="allow", rule="default", reason="allowed by policy"),
        outcome={"exit_code": 0, "stdout_bytes": 1234, "wall_s": 0.0123},
    )
    with tempfile.TemporaryDirectory(prefix="corral-audit-bench-") as d:
        path = Path(d) / "bench.db"
        with AuditLog(path, key=key, synchronous=synchronous) as log:
            t0 = time.perf_counter()
            for _ in range(n):
                log.append_event(event)
            append_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = verify(path, key=key)
        verify_s = time.perf_counter() - t0
        size = path.stat().st_size
        # the same rows in batches of 64 (one transaction each: a fleet hub's batches)
        with AuditLog(Path(d) / "batched.db", key=key, synchronous=synchronous) as log:
            t0 = time.perf_counter()
            for _ in range(n // 64):
                log.append_events([event] * 64)
            batch_s = time.perf_counter() - t0
    return {
        "rows": n,
        "synchronous": synchronous.upper(),
        "signed": key is not None,
        "append_seconds": round(append_s, 4),
        "append_rows_per_s": round(n / append_s) if append_s else None,
        "batched_rows_per_s": round((n // 64) * 64 / batch_s) if batch_s else None,
        "verify_seconds": round(verify_s, 4),
        "verify_rows_per_s": round(result.rows / verify_s) if verify_s else None,
        "verified": result.ok,
        "bytes_per_row": round(size / max(result.rows, 1)),
    }


def _set_wal(conn: sqlite3.Connection, wait_s: float = 60.0) -> str:
    """Switch to WAL mode. SQLite answers "database is locked" at once, without its busy
    handler, while another process is switching the same new file: wait and try again."""
    deadline = time.monotonic() + wait_s
    delay = 0.005
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as e:
            if ("locked" not in str(e) and "busy" not in str(e)) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
