"""The evaluation harness and the measured quality of the default pack on the shipped corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corral.monitor import Monitor, evaluate
from corral.monitor.evaluate import command_events, default_corpus, load_corpus, print_report

CLASSES = {
    "mining", "tunnel", "discovery", "credential", "persistence", "escape", "evasion",
    "exfiltration", "resource", "dropper",
}  # fmt: skip


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return evaluate(default_corpus())


def test_corpus_size_and_classes() -> None:
    items = load_corpus(default_corpus())
    malicious = [i for i in items if i.label == "malicious"]
    benign = [i for i in items if i.label == "benign"]
    assert len(malicious) >= 150 and len(benign) >= 300
    assert {i.cls for i in malicious} == CLASSES
    assert any(i.events for i in malicious) and any(i.events for i in benign)


def test_default_pack_meets_the_targets(report) -> None:  # type: ignore[no-untyped-def]
    by_class = report.detection_by_class()
    assert set(by_class) == CLASSES
    low = {cls: rate for cls, rate in by_class.items() if rate < 0.9}
    assert not low, f"detection below 90%: {low}; misses: {[r.item.text for r in report.misses]}"
    fps = [(r.item.text, r.alerts) for r in report.false_positives]
    assert report.false_positive_rate <= 0.02, f"false positives: {fps}"
    assert report.failures(0.9, 0.02) == []


def test_report_dict_and_printer(report) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    data = report.to_dict()
    assert data["malicious"] >= 150 and data["benign"] >= 300
    assert {c["cls"] for c in data["classes"] if c["label"] == "malicious"} == CLASSES
    json.dumps(data)
    console = Console(record=True, width=120)
    print_report(report, console)
    text = console.export_text()
    assert "all malicious" in text and "false pos." in text


def test_misses_and_false_positives_are_listed(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {"command": "nmap 10.0.0.1", "label": "malicious", "class": "scan"},
                {"command": "echo harmless", "label": "malicious", "class": "scan"},
                {"command": "ls", "label": "benign", "class": "dev"},
                {"command": "masscan 10.0.0.0/8", "label": "benign", "class": "dev"},
                {
                    "events": [
                        {
                            "type": "action.requested",
                            "time": 0,
                            "action": {"kind": "net", "host": "169.254.169.254", "port": 80},
                        }
                    ],
                    "label": "malicious",
                    "class": "cred",
                },
            ]
        )
        + "\n"
    )
    report = evaluate(corpus, lambda: Monitor(baseline=False, scorer=False))  # the rules
    assert report.detection_by_class() == {"cred": 1.0, "scan": 0.5}
    assert [r.item.text for r in report.misses] == ["echo harmless"]
    assert [(r.item.text, r.alerts) for r in report.false_positives] == [
        ("masscan 10.0.0.0/8", ["discovery-scanner"])
    ]
    assert report.false_positive_rate == 0.5
    assert len(report.failures(0.9, 0.02)) == 2
    # counting only high alerts and above changes nothing here; only critical does
    assert (
        evaluate(corpus, lambda: Monitor(baseline=False), min_severity="critical").detection_rate
        == 0
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"command": "ls", "label": "maybe", "class": "x"}', "label must be"),
        ('{"command": "ls", "label": "benign"}', "missing 'class'"),
        ('{"command": "ls", "events": [], "label": "benign", "class": "x"}', "exactly one of"),
        ('{"command": "ls", "label": "benign", "class": "x", "extra": 1}', "unknown keys extra"),
    ],
)
def test_corpus_errors(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(ValueError, match=message):
        load_corpus(path)


def test_command_events_mimic_the_shell() -> None:
    events = command_events("curl -s x | sh; echo 'a b'", "s")
    assert [e.action.kind for e in events] == ["code", "exec", "exec", "exec"]  # type: ignore[union-attr]
    assert events[1].action.argv == ["curl", "-s", "x"]  # type: ignore[union-attr]
    # argv as the shell expanded it, line = the source text (as the live shell reports)
    assert events[3].action.argv == ["echo", "a b"]  # type: ignore[union-attr]
    assert events[3].action.line == "echo 'a b'"  # type: ignore[union-attr]
