"""Reading an audit log: alerts by kind and rule, the timeline, the HTML page, and
``--audit FILE`` on ``corral run/shell/exec`` (all run as real processes)."""

from __future__ import annotations

import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corral import audit
from corral.audit import AuditLog
from corral.audit_view import RuleFilter, parse_since, plain
from corral.events import Decision, Event, ExecAction

SRC = str(Path(__file__).resolve().parents[2] / "src")
HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)> \x1b[2J\x1b]0;pwned\x07 &amp;'


def corral(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250", "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "corral", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def real_log(tmp_path_factory) -> Path:
    """A log written by ``corral run --audit``: a denial with two alerts."""
    path = tmp_path_factory.mktemp("log") / "audit.db"
    p = corral("run", "--audit", str(path), "--policy", "default",
               "echo fine; nmap -sS 10.0.0.0/24; ssh -R 1:localhost:22 x")
    assert p.returncode == 126, p.stderr
    return path


def crafted_log(path: Path, when: float | None = None) -> None:
    with AuditLog(path) as log:
        log.append_event(Event(session="good", seq=1, type="action.completed",
                               action=ExecAction(argv=["echo", "ok"]), outcome={"exit_code": 0}))
        log.append_event(Event(session="evil", seq=1, type="action.denied",
                               action=ExecAction(argv=["sh", "-c", HOSTILE]),
                               decision=Decision(verdict="deny", rule="no-" + HOSTILE,
                                                 reason=HOSTILE)))
        log.append_event(Event(session="evil", seq=2, type="monitor.alert",
                               data={"rule": "tunnel-x", "severity": "critical",
                                     "summary": HOSTILE, "technique": "T1572"}))


def test_run_audit_writes_a_verifiable_log(real_log):
    assert audit.verify(real_log).ok
    types = [e.body.get("type") for e in audit.iter_entries(real_log)]
    assert types[1] == "sandbox.created" and types[-1] == "sandbox.closed"
    assert "action.denied" in types and types.count("monitor.alert") == 2


@pytest.mark.parametrize("command", [
    ["run", "echo x"],
    ["shell"],
    ["exec", "--backend", "wasm", "--", "echo", "x"],
])
def test_unwritable_audit_path_is_a_clear_error(tmp_path, command):
    for bad, words in ((tmp_path, "is a directory"), (Path("/proc/corral-audit.db"), "cannot write")):
        argv = [*command[:1], "--audit", str(bad), *command[1:]]
        p = corral(*argv, stdin="echo hi\n" if command == ["shell"] else None)
        assert p.returncode == 2, (argv, p.stdout, p.stderr)
        assert "--audit" in p.stderr and words in p.stderr and "Traceback" not in p.stderr


def test_shell_and_exec_write_the_audit_log(tmp_path):
    log = tmp_path / "shell.db"
    p = corral("shell", "--audit", str(log), stdin="echo from-shell\nnmap 10.0.0.1\n")
    assert "from-shell" in p.stdout
    log2 = tmp_path / "exec.db"
    p = corral("exec", "--backend", "wasm", "--audit", str(log2), "--", "echo", "from-exec")
    assert p.returncode == 0 and "from-exec" in p.stdout
    for path in (log, log2):
        assert audit.verify(path).ok
        assert any(e.body.get("type") == "action.completed" for e in audit.iter_entries(path))


def test_show_alerts_by_kind_and_rule(real_log):
    p = corral("audit", "show", str(real_log), "--kind", "alert", "--json")
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert p.returncode == 0 and len(rows) == 2
    assert {r["body"]["data"]["rule"] for r in rows} == {"discovery-scanner", "tunnel-ssh-remote-forward"}
    p = corral("audit", "show", str(real_log), "--rule", "discovery-scanner", "--json")
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [r["body"]["data"]["rule"] for r in rows] == ["discovery-scanner"]
    p = corral("audit", "show", str(real_log), "--rule", "commands.deny*", "--json")
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [r["body"]["type"] for r in rows] == ["action.denied"]
    p = corral("audit", "show", str(real_log), "--kind", "alert")
    assert "discovery-scanner" in p.stdout and "{" not in p.stdout.split("discovery-scanner")[1][:40]
    p = corral("audit", "show", str(real_log), "--rule", "no-such-rule", "--json")
    assert p.returncode == 0 and p.stdout == ""


def test_timeline(real_log, tmp_path):
    p = corral("audit", "timeline", str(real_log))
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for word in ("sandbox.created", "action.denied", "monitor.alert", "discovery-scanner",
                 "tunnel-ssh-remote-forward", "sandbox.closed", "2 alert(s)"):
        assert word in out, word
    p = corral("audit", "timeline", str(real_log), "--alerts")
    assert "action.denied" not in p.stdout and "discovery-scanner" in p.stdout
    p = corral("audit", "timeline", str(real_log), "--since", "1h")
    assert "monitor.alert" in p.stdout
    p = corral("audit", "timeline", str(real_log), "--since", "2999-01-01")
    assert "0 events" in p.stdout
    p = corral("audit", "timeline", str(real_log), "--sandbox", "nobody")
    assert "0 events" in p.stdout
    p = corral("audit", "timeline", str(real_log), "--since", "yesterday-ish")
    assert p.returncode == 2 and "--since 'yesterday-ish'" in p.stderr

    crafted = tmp_path / "crafted.db"
    crafted_log(crafted)
    p = corral("audit", "timeline", str(crafted), "--sandbox", "evil")
    assert p.returncode == 0
    assert "\x1b" not in p.stdout and "\x07" not in p.stdout  # no terminal escapes get through
    assert "\\x1b[2J" in p.stdout
    assert "good" not in p.stdout


def test_html_export_escapes_everything(tmp_path):
    path = tmp_path / "crafted.db"
    crafted_log(path)
    out = tmp_path / "report.html"
    p = corral("audit", "export", str(path), "--html", str(out))
    assert p.returncode == 0, p.stderr
    page = out.read_text()
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")  # only as text
    assert html.escape("<script>alert(1)</script>") in page
    assert "\x1b" not in page and "\x07" not in page  # control characters shown as escapes
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # self-contained: nothing loaded from elsewhere
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    # the verify result is at the top, before any row
    top = page.index('class="verify ok"')
    assert top < page.index("<tbody>") and "OK: 4 rows, hash chain intact" in page
    assert 'class="critical"' in page and 'class="denied"' in page


def test_html_export_of_a_tampered_log_says_so_at_the_top(tmp_path):
    path = tmp_path / "t.db"
    crafted_log(path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("UPDATE entries SET body = replace(body, 'echo', 'rm -rf') WHERE seq = 2")
    conn.commit()
    conn.close()
    out = tmp_path / "t.html"
    p = corral("audit", "export", str(path), "--html", str(out))
    assert p.returncode == 0 and "FAILED" in p.stdout
    page = out.read_text()
    assert 'class="verify bad"' in page and "first bad row: 2" in page
    assert page.index("FAILED") < page.index("<tbody>")
    assert 'class="unverified"' in page


def test_export_arguments(tmp_path):
    path = tmp_path / "a.db"
    crafted_log(path)
    p = corral("audit", "export", str(path))
    assert p.returncode == 2 and "OUT.jsonl or --html" in p.stderr
    p = corral("audit", "export", str(path), "--html", str(tmp_path))
    assert p.returncode == 2 and "is a directory" in p.stderr
    p = corral("audit", "export", str(path), "--html", str(tmp_path / "no" / "x.html"))
    assert p.returncode == 2 and "no such directory" in p.stderr
    p = corral("audit", "export", str(tmp_path / "missing.db"), "--html", str(tmp_path / "x.html"))
    assert p.returncode == 2 and "no such audit log" in p.stderr and not (tmp_path / "x.html").exists()


def test_helpers():
    assert plain("a\x1b[31mb\nc\u202ed") == "a\\x1b[31mb c\\x202ed"
    assert plain("x" * 50, 10) == "x" * 9 + "…"
    now = time.time()
    assert abs(parse_since("15m", now) - (now - 900)) < 1e-6
    assert abs(parse_since("2d", now) - (now - 172800)) < 1e-6
    with pytest.raises(ValueError, match="expected a duration"):
        parse_since("soon")
    with pytest.raises(ValueError):
        RuleFilter("")
    # a glob against a long hostile rule name stays linear (RE2)
    f = RuleFilter("*a*a*a*a*a*a*a*b")
    e = audit.Entry(1, 0.0, "event", "s", {"type": "action.denied",
                                           "decision": {"rule": "a" * 100_000}}, "", "")
    t0 = time.monotonic()
    assert not f(e)
    assert time.monotonic() - t0 < 10
