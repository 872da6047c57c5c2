"""Missing, foreign, corrupted and truncated files give clear AuditErrors (or a
failed verification), never a traceback."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from corral.audit import AuditError, AuditLog, export_jsonl, iter_entries, tail, verify

from ._util import make_log


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "corral.audit_cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def no_traceback(p: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in p.stderr + p.stdout, p.stderr


def test_missing_file(tmp_path):
    path = tmp_path / "nope.db"
    for call in (
        lambda: verify(path),
        lambda: list(iter_entries(path)),
        lambda: tail(path),
        lambda: export_jsonl(path, tmp_path / "out.jsonl"),
    ):
        with pytest.raises(AuditError, match="no such audit log"):
            call()
    assert not path.exists()  # reading never creates it
    assert not (tmp_path / "out.jsonl").exists()
    for cmd in ("verify", "show"):
        p = cli(cmd, str(path))
        assert p.returncode == 2 and "no such audit log" in p.stderr
        no_traceback(p)


def test_not_a_sqlite_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 20)
    before = path.read_bytes()
    with pytest.raises(AuditError, match="is not a SQLite database"):
        AuditLog(path)
    with pytest.raises(AuditError, match="is not a SQLite database"):
        list(iter_entries(path))
    result = verify(path)
    assert not result.ok and result.problem == "file is not a SQLite database"
    assert path.read_bytes() == before  # untouched
    p = cli("verify", str(path))
    assert p.returncode == 1 and "file is not a SQLite database" in p.stdout
    no_traceback(p)
    p = cli("show", str(path))
    assert p.returncode == 2 and "not a SQLite database" in p.stderr
    no_traceback(p)


def test_a_foreign_sqlite_database(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.commit()
    conn.close()
    result = verify(path)
    assert not result.ok
    assert result.problem == "database is not a corral audit log (no 'entries' table)"
    with pytest.raises(AuditError, match="not a corral audit log"):
        AuditLog(path)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE entries (id INTEGER, x TEXT)")
    conn.commit()
    conn.close()
    assert "other columns" in verify(path).problem
    p = cli("verify", str(path))
    assert p.returncode == 1 and "not a corral audit log" in p.stdout
    no_traceback(p)


@pytest.fixture
def big_log(tmp_path):
    path = tmp_path / "audit.db"
    with AuditLog(path) as log:
        for i in range(300):
            log.append("note", {"i": i, "pad": "x" * 200})
    assert not os.path.exists(f"{path}-wal")  # closing checkpointed the WAL into the file
    return path


@pytest.mark.parametrize("how", ["half", "first-page", "tiny"])
def test_truncated_database(big_log, how):
    size = big_log.stat().st_size
    os.truncate(big_log, {"half": size // 2, "first-page": 3000, "tiny": 50}[how])
    result = verify(big_log)
    assert not result.ok
    assert "corrupted" in result.problem or "not a SQLite database" in result.problem
    with pytest.raises(AuditError, match=r"corrupted|not a SQLite database"):
        list(iter_entries(big_log))
    with pytest.raises(AuditError, match=r"corrupted|not a SQLite database"):
        AuditLog(big_log).append("note", {})
    p = cli("verify", str(big_log))
    assert p.returncode == 1 and "FAILED" in p.stdout
    no_traceback(p)
    p = cli("show", str(big_log))
    assert p.returncode == 2
    no_traceback(p)


def test_corrupted_pages(big_log, tmp_path):
    page = sqlite3.connect(big_log).execute("PRAGMA page_size").fetchone()[0]
    middle = tmp_path / "middle.db"
    shutil.copy(big_log, middle)
    with open(middle, "r+b") as f:  # garbage over a leaf page in the middle of the table
        f.seek(page * 9)
        f.write(os.urandom(page))
    result = verify(middle)
    assert not result.ok and result.first_bad_seq is not None and result.first_bad_seq > 1
    assert "corrupted" in result.problem or "hash mismatch" in result.problem
    with open(big_log, "r+b") as f:  # garbage over the table's root page
        f.seek(page)
        f.write(b"\xff" * page)
    result = verify(big_log)
    assert not result.ok and result.problem.startswith("database is corrupted")
    with pytest.raises(AuditError, match="corrupted"):
        AuditLog(big_log)
    p = cli("export", str(big_log), str(tmp_path / "out.jsonl"))
    assert p.returncode == 2 and "corrupted" in p.stderr
    no_traceback(p)


def test_empty_file_is_an_empty_log(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    result = verify(path)
    assert result.ok and result.rows == 0
    assert list(iter_entries(path)) == [] and tail(path) == []
    with AuditLog(path) as log:  # and becomes a log when first opened
        log.append("note", {"x": 1})
    assert verify(path).rows == 2


def test_directory_and_bad_key_file(tmp_path):
    with pytest.raises(AuditError, match="directory"):
        AuditLog(tmp_path)
    with pytest.raises(AuditError, match="directory"):
        list(iter_entries(tmp_path))
    path = tmp_path / "audit.db"
    make_log(path, 2)
    p = cli("verify", str(path), "--key-file", str(tmp_path / "missing.key"))
    assert p.returncode == 2 and "cannot read key file" in p.stderr
    no_traceback(p)
