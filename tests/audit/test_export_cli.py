"""JSONL export and the ``corral audit`` commands (run as real processes)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from corral.audit import (
    AuditLog,
    canonical_json,
    export_jsonl,
    iter_entries,
    load_key,
    verify,
    verify_jsonl,
)
from corral.events import Decision, Event, ExecAction, FileAction

from ._util import KEY, edit_body, make_log, raw


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "corral.audit_cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
    )


def mixed_log(path, key=None):
    with AuditLog(path, key=key, checkpoint_every=5) as log:
        for i in range(6):
            log.append_event(
                Event(
                    session=f"s{i % 2}",
                    seq=i + 1,
                    type="action.completed",
                    action=ExecAction(argv=["echo", f"hi {i}"]),
                    decision=Decision(verdict="allow", rule="shell-ok"),
                    outcome={"exit_code": 0},
                )
            )
        log.append_event(
            Event(
                session="s0",
                seq=7,
                type="action.denied",
                action=FileAction(op="write", path="/etc/passwd"),
                decision=Decision(verdict="deny", rule="no-etc"),
            )
        )
        log.append("alert", {"rule": "exfil", "title": "bulk upload"}, session="s1")
        log.append("note", {"text": "ünïcode ✓"})


def test_export_jsonl_round_trip(tmp_path):
    path, out = tmp_path / "audit.db", tmp_path / "out.jsonl"
    mixed_log(path, key=KEY)
    n = export_jsonl(path, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert n == len(lines) == verify(path).rows
    assert [json.loads(line) for line in lines] == [e.to_dict() for e in iter_entries(path)]
    assert all(line == canonical_json(json.loads(line)) for line in lines)
    # the export carries the chain: it verifies on its own, signatures included
    result = verify_jsonl(out, key=KEY)
    assert result.ok and result.rows == n and result.signatures_checked
    assert not verify_jsonl(out, key=b"wrong").ok
    # and tampering with the export is found like tampering with the database
    rows = [json.loads(line) for line in lines]
    assert rows[2]["kind"] == "event"
    rows[2]["body"]["outcome"]["exit_code"] = 1
    out.write_text("".join(canonical_json(r) + "\n" for r in rows), encoding="utf-8")
    result = verify_jsonl(out)
    assert (result.ok, result.first_bad_seq, result.problem) == (
        False,
        3,
        "row 3: hash mismatch (edited)",
    )
    out.write_text(lines[0] + "\n" + "{not json\n", encoding="utf-8")
    assert verify_jsonl(out).problem == "line 2: not an audit log entry"


def test_export_filters_and_file_objects(tmp_path):
    path = tmp_path / "audit.db"
    mixed_log(path)
    buf = io.StringIO()
    assert export_jsonl(path, buf, session="s1") == 4
    rows = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert {r["session"] for r in rows} == {"s1"}
    buf = io.StringIO()
    seen: list[int] = []
    assert export_jsonl(path, buf, since=7, progress=seen.append) == 3
    assert [json.loads(line)["seq"] for line in buf.getvalue().splitlines()] == [8, 9, 10]
    assert seen == [3]


def test_cli_show(tmp_path):
    path = tmp_path / "audit.db"
    mixed_log(path)
    p = cli("show", str(path))
    assert p.returncode == 0, p.stderr
    assert "echo hi 0" in p.stdout and "write /etc/passwd" in p.stdout
    assert "deny (no-etc)" in p.stdout and "bulk upload" in p.stdout
    p = cli("show", str(path), "--json", "--session", "s0", "--limit", "2")
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [r["body"]["type"] for r in rows] == ["action.completed", "action.denied"]
    p = cli("show", str(path), "--json", "--kind", "alert")
    assert [json.loads(line)["body"]["rule"] for line in p.stdout.splitlines()] == ["exfil"]
    p = cli("show", str(path), "--kind", "gossip")
    assert p.returncode == 2 and "unknown kind" in p.stderr


def test_cli_verify(tmp_path):
    path = tmp_path / "audit.db"
    mixed_log(path, key=KEY)
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY.decode() + "\n")  # a trailing newline is ignored
    assert load_key(key_file) == KEY
    p = cli("verify", str(path))
    assert p.returncode == 0 and "OK" in p.stdout and "13 rows" in p.stdout
    assert "signatures not checked" in p.stdout
    p = cli("verify", str(path), "--key-file", str(key_file))
    assert p.returncode == 0 and "signed checkpoints verified" in p.stdout
    wrong = tmp_path / "wrong.key"
    wrong.write_bytes(b"\x00\xffwrong")
    p = cli("verify", str(path), "--key-file", str(wrong))
    assert p.returncode == 1 and "checkpoint at row 5: bad signature" in p.stdout
    assert "first bad row: 5" in p.stdout
    with raw(path) as conn:
        edit_body(conn, 7, {"nothing": "happened"})
    p = cli("verify", str(path))
    assert p.returncode == 1
    assert "row 7: hash mismatch (edited)" in p.stdout and "first bad row: 7" in p.stdout
    assert "Traceback" not in p.stderr


def test_cli_export_with_progress(tmp_path):
    path, out = tmp_path / "audit.db", tmp_path / "out.jsonl"
    make_log(path, 6000)
    p = cli("export", str(path), str(out))
    assert p.returncode == 0, p.stderr
    assert "exported 6001 rows" in p.stdout
    assert verify_jsonl(out).rows == 6001
    p = cli("export", str(path), str(tmp_path / "s.jsonl"), "--session", "nobody")
    assert p.returncode == 0 and "exported 0 rows" in p.stdout
