"""The second held-out set (``corpus/heldout2_*.jsonl``, see ``corpus/HELDOUT2.md``) is
well formed: every line loads as a monitor corpus item with a command, a class and the
public source it came from, and the set keeps its size and spread. Nothing here depends
on what the monitor or the policy decide about it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corral.monitor.evaluate import load_corpus

CORPUS = Path(__file__).resolve().parents[2] / "src" / "corral" / "monitor" / "corpus"
ATTACKS = CORPUS / "heldout2_attacks.jsonl"
BENIGN = CORPUS / "heldout2_benign.jsonl"


@pytest.mark.parametrize(("path", "label"), [(ATTACKS, "malicious"), (BENIGN, "benign")])
def test_every_line_has_the_fields(path: Path, label: str) -> None:
    items = load_corpus(path)
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(items) == len(raw)  # no blank or comment lines hide entries
    for item in items:
        where = f"{path.name}:{item.line}"
        assert item.label == label, where
        assert item.command and item.command.strip() == item.command, where
        assert "\n" not in item.command, where
        assert item.cls.strip(), where
        assert item.source.strip(), f"{where}: no source"
        assert item.events is None, where


def test_size_spread_and_no_duplicates() -> None:
    attacks, benign = load_corpus(ATTACKS), load_corpus(BENIGN)
    assert len(attacks) >= 250 and len(benign) >= 400
    classes = {item.cls for item in attacks}
    assert len(classes) >= 15
    commands = [item.command for item in attacks + benign]
    assert len(set(commands)) == len(commands)
    assert {item.cls for item in benign} == {"everyday"}


def test_source_must_be_text(tmp_path: Path) -> None:
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"command": "ls", "label": "benign", "class": "x", "source": 3}\n')
    with pytest.raises(ValueError, match=r"c.jsonl:1: 'source' must be a string"):
        load_corpus(bad)
