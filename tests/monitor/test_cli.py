"""``corral monitor check | list | test | eval | bench``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from corral.events import Event, ExecAction, NetAction
from corral.monitor.cli import app
from corral.monitor.evaluate import default_corpus

runner = CliRunner()

RULES = """\
rules:
  - id: scanner
    title: Scanner
    severity: high
    technique: T1046
    match: {program: [nmap, masscan]}
  - id: many-ports
    title: Many ports
    severity: medium
    threshold: {match: {kind: net}, distinct: port, count: 3, within_s: 10}
"""


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_check(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(RULES)
    result = run("check", str(good), "default")
    assert result.exit_code == 0, result.output
    assert f"OK {good}: 2 rules (1 match, 1 threshold, 0 sequence)" in result.output
    assert "OK default:" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: x\n    title: X\n    severity: extreme\n    match: {prog: a}\n")
    result = run("check", str(bad))
    assert result.exit_code == 1
    assert (
        f"{bad}:4:15: rules[0].severity: expected one of low, medium, high, critical"
        in result.output
    )
    assert f"{bad}:5:13: rules[0].match: unknown field 'prog'" in result.output
    assert "2 errors" in result.output


def test_list() -> None:
    result = run("list")
    assert result.exit_code == 0, result.output
    assert "mining-known-miner" in result.output and "T1496" in result.output
    data = json.loads(run("list", "--json").output)
    assert len(data) >= 60 and {"id", "severity", "technique", "kind"} <= set(data[0])


def _events_file(tmp_path: Path, audit: bool) -> Path:
    events = [
        Event(session="a", seq=1, time=100.0, type="action.requested", action=ExecAction(argv=["ls"])),
        Event(session="a", seq=2, time=101.0, type="action.requested", action=ExecAction(argv=["nmap", "h"])),
    ] + [
        Event(session="a", seq=3 + p, time=102.0 + p, type="action.requested", action=NetAction(host="h", port=p))
        for p in range(3)
    ]  # fmt: skip
    lines = []
    for i, ev in enumerate(events):
        body = ev.model_dump(mode="json")
        if audit:
            lines.append({"seq": i + 1, "time": ev.time, "kind": "event", "session": ev.session,
                          "body": body, "prev_hash": "", "hash": ""})  # fmt: skip
        else:
            lines.append(body)
    if audit:
        lines.append({"seq": 99, "time": 0, "kind": "checkpoint", "session": None, "body": {}})
    path = tmp_path / ("audit.jsonl" if audit else "events.jsonl")
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def test_test_command_on_events_and_audit_exports(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES)
    for audit in (False, True):
        events = _events_file(tmp_path, audit)
        result = run("test", str(rules), str(events))
        assert result.exit_code == 0, result.output
        assert "2 alerts" in result.output
        assert "scanner" in result.output and "many-ports" in result.output
        out = run("test", str(rules), str(events), "--json").output.strip().splitlines()
        assert [json.loads(x)["rule"] for x in out] == ["scanner", "many-ports"]
    quiet = tmp_path / "quiet.jsonl"
    quiet.write_text(json.dumps({"type": "action.requested", "session": "q", "seq": 1,
                                 "action": {"kind": "exec", "argv": ["ls"]}}) + "\n")  # fmt: skip
    assert "no alerts" in run("test", str(rules), str(quiet)).output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"type": "action.requested", "bogus": 1}\n')
    result = run("test", str(rules), str(broken))
    assert result.exit_code == 1 and "broken.jsonl:1: unknown event keys: bogus" in result.output


def test_eval_command(tmp_path: Path) -> None:
    result = run("eval", str(default_corpus()))
    assert result.exit_code == 0, result.output
    assert "all malicious" in result.output and "mining" in result.output
    data = json.loads(run("eval", str(default_corpus()), "--json", "--no-anomaly").output)
    assert data["failures"] == [] and data["false_positive_rate"] <= 0.02
    small = tmp_path / "c.jsonl"
    small.write_text(
        json.dumps({"command": "echo hi", "label": "malicious", "class": "x"}) + "\n"
        + json.dumps({"command": "nmap h", "label": "benign", "class": "y"}) + "\n"
    )  # fmt: skip
    result = run("eval", str(small))
    assert result.exit_code == 1
    assert "detection for x is 0.0%" in result.output
    assert "false-positive rate is 100.00%" in result.output
    assert run("eval", str(small), "--min-detection", "0", "--max-fpr", "1").exit_code == 0
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES)
    result = run("eval", str(small), "--pack", str(rules), "--min-detection", "0", "--max-fpr", "1")
    assert result.exit_code == 0, result.output


def test_bench_command() -> None:
    result = run("bench", "--events", "200")
    assert result.exit_code == 0, result.output
    assert "events/s" in result.output


def test_eval_corpus_option_joins_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"command": "xmrig -o stratum+tcp://p:1", "label": "malicious",
                               "class": "mining"}) + "\n")  # fmt: skip
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"command": "ls -la", "label": "benign", "class": "files"}) + "\n")
    data = json.loads(
        run("eval", "--corpus", str(bad), "--corpus", str(good), "--json", "--no-anomaly").output
    )
    assert data["malicious"] == 1 and data["benign"] == 1
    assert data["detection_rate"] == 1.0 and data["false_positive_rate"] == 0.0
    result = run("eval")
    assert result.exit_code == 2 and "give a corpus file" in result.output
