"""The held-out sets 2 to 21 (``corpus/heldout{2,...,21}_*.jsonl``, see ``corpus/HELDOUT2.md``
to ``HELDOUT21.md``) are well formed: every line loads as a monitor corpus item with a
command, a class and the public source it came from; each set keeps its size and spread
and holds no duplicate; sets 3 to 21 hold no line of an earlier corpus. Nothing here depends on
what the monitor or the policy decide about them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corral.monitor.evaluate import load_corpus

CORPUS = Path(__file__).resolve().parents[2] / "src" / "corral" / "monitor" / "corpus"
#: set: (least attacks, least classes, least everyday lines)
SIZES = {"heldout2": (250, 15, 400), "heldout3": (300, 18, 450), "heldout4": (300, 18, 450),
         "heldout5": (350, 20, 500), "heldout6": (400, 25, 600),
         "heldout7": (450, 30, 650), "heldout8": (550, 40, 650),
         "heldout9": (600, 40, 800), "heldout10": (600, 40, 800),
         "heldout11": (600, 40, 800), "heldout12": (600, 40, 800),
         "heldout13": (600, 40, 800), "heldout14": (600, 40, 800),
         "heldout15": (600, 40, 800), "heldout16": (600, 40, 800),
         "heldout17": (600, 40, 800), "heldout18": (600, 40, 800),
         "heldout19": (600, 40, 800), "heldout20": (600, 40, 800),
         "heldout21": (600, 40, 800)}  # fmt: skip
EARLIER = ("default.jsonl", "heldout_attacks.jsonl", "heldout_benign.jsonl",
           "heldout2_attacks.jsonl", "heldout2_benign.jsonl")  # fmt: skip


def _norm(command: str) -> str:
    return " ".join(command.split())


@pytest.mark.parametrize("name", sorted(SIZES))
@pytest.mark.parametrize(("part", "label"), [("attacks", "malicious"), ("benign", "benign")])
def test_every_line_has_the_fields(name: str, part: str, label: str) -> None:
    path = CORPUS / f"{name}_{part}.jsonl"
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


@pytest.mark.parametrize("name", sorted(SIZES))
def test_size_spread_and_no_duplicates(name: str) -> None:
    attacks = load_corpus(CORPUS / f"{name}_attacks.jsonl")
    benign = load_corpus(CORPUS / f"{name}_benign.jsonl")
    least_attacks, least_classes, least_benign = SIZES[name]
    assert len(attacks) >= least_attacks and len(benign) >= least_benign
    assert len({item.cls for item in attacks}) >= least_classes
    assert {item.cls for item in benign} == {"everyday"}
    assert "everyday" not in {item.cls for item in attacks}
    commands = [_norm(item.command) for item in attacks + benign]
    assert len(set(commands)) == len(commands)


@pytest.mark.parametrize(("name", "earlier_names"), [
    ("heldout3", EARLIER),
    ("heldout4", (*EARLIER, "heldout3_attacks.jsonl", "heldout3_benign.jsonl")),
    ("heldout5", (*EARLIER, "heldout3_attacks.jsonl", "heldout3_benign.jsonl",
                  "heldout4_attacks.jsonl", "heldout4_benign.jsonl")),
    ("heldout6", (*EARLIER, "heldout3_attacks.jsonl", "heldout3_benign.jsonl",
                  "heldout4_attacks.jsonl", "heldout4_benign.jsonl",
                  "heldout5_attacks.jsonl", "heldout5_benign.jsonl")),
    ("heldout7", (*EARLIER, "heldout3_attacks.jsonl", "heldout3_benign.jsonl",
                  "heldout4_attacks.jsonl", "heldout4_benign.jsonl",
                  "heldout5_attacks.jsonl", "heldout5_benign.jsonl",
                  "heldout6_attacks.jsonl", "heldout6_benign.jsonl")),
    ("heldout8", (*EARLIER, "heldout3_attacks.jsonl", "heldout3_benign.jsonl",
                  "heldout4_attacks.jsonl", "heldout4_benign.jsonl",
                  "heldout5_attacks.jsonl", "heldout5_benign.jsonl",
                  "heldout6_attacks.jsonl", "heldout6_benign.jsonl",
                  "heldout7_attacks.jsonl", "heldout7_benign.jsonl")),
    ("heldout9", (*EARLIER, "heldout3_attacks.jsonl", "heldout3_benign.jsonl",
                  "heldout4_attacks.jsonl", "heldout4_benign.jsonl",
                  "heldout5_attacks.jsonl", "heldout5_benign.jsonl",
                  "heldout6_attacks.jsonl", "heldout6_benign.jsonl",
                  "heldout7_attacks.jsonl", "heldout7_benign.jsonl",
                  "heldout8_attacks.jsonl", "heldout8_benign.jsonl")),
    ("heldout10", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 10)
                               for part in ("attacks", "benign")))),
    ("heldout11", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 11)
                               for part in ("attacks", "benign")))),
    ("heldout12", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 12)
                               for part in ("attacks", "benign")))),
    ("heldout13", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 13)
                               for part in ("attacks", "benign")))),
    ("heldout14", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 14)
                               for part in ("attacks", "benign")))),
    ("heldout15", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 15)
                               for part in ("attacks", "benign")))),
    ("heldout16", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 16)
                               for part in ("attacks", "benign")))),
    ("heldout17", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 17)
                               for part in ("attacks", "benign")))),
    ("heldout18", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 18)
                               for part in ("attacks", "benign")))),
    ("heldout19", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 19)
                               for part in ("attacks", "benign")))),
    ("heldout20", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 20)
                               for part in ("attacks", "benign")))),
    ("heldout21", (*EARLIER, *(f"heldout{n}_{part}.jsonl" for n in range(3, 21)
                               for part in ("attacks", "benign")))),
])  # fmt: skip
def test_set_has_no_line_of_an_earlier_corpus(name: str, earlier_names: tuple[str, ...]) -> None:
    earlier: set[str] = set()
    for earlier_name in earlier_names:
        earlier |= {_norm(i.command) for i in load_corpus(CORPUS / earlier_name) if i.command}
    ours = {_norm(i.command) for part in ("attacks", "benign")
            for i in load_corpus(CORPUS / f"{name}_{part}.jsonl")}  # fmt: skip
    assert not ours & earlier


def test_source_must_be_text(tmp_path: Path) -> None:
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"command": "ls", "label": "benign", "class": "x", "source": 3}\n')
    with pytest.raises(ValueError, match=r"c.jsonl:1: 'source' must be a string"):
        load_corpus(bad)
