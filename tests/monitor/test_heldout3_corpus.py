"""The third held-out set (``corpus/heldout3_*.jsonl``, see ``corpus/HELDOUT3.md``) is well
formed: every line loads as a monitor corpus item with a command, a class and the public
source it came from; the set keeps its size and spread, holds no duplicate and no line of
an earlier corpus. Nothing here depends on what the monitor or the policy decide about it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corral.monitor.evaluate import load_corpus

CORPUS = Path(__file__).resolve().parents[2] / "src" / "corral" / "monitor" / "corpus"
ATTACKS = CORPUS / "heldout3_attacks.jsonl"
BENIGN = CORPUS / "heldout3_benign.jsonl"
EARLIER = ("default.jsonl", "heldout_attacks.jsonl", "heldout_benign.jsonl",
           "heldout2_attacks.jsonl", "heldout2_benign.jsonl")


def _norm(command: str) -> str:
    return " ".join(command.split())


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
    assert len(attacks) >= 300 and len(benign) >= 450
    assert len({item.cls for item in attacks}) >= 18
    assert {item.cls for item in benign} == {"everyday"}
    assert "everyday" not in {item.cls for item in attacks}
    commands = [_norm(item.command) for item in attacks + benign]
    assert len(set(commands)) == len(commands)


def test_no_line_of_an_earlier_corpus() -> None:
    earlier: set[str] = set()
    for name in EARLIER:
        path = CORPUS / name
        if path.exists():
            earlier |= {_norm(i.command) for i in load_corpus(path) if i.command is not None}
    ours = {_norm(i.command) for i in load_corpus(ATTACKS) + load_corpus(BENIGN)}
    assert not ours & earlier
