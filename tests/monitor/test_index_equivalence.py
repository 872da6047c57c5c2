"""The rule index's fast path (key tables filtered by the strings their rules need in
the line, screens, alternatives tested alone) finds exactly the rule steps that a plain
evaluation of every rule's whole condition finds, on randomly generated events built
from the corpora's commands, hostile ones included: changed case, characters that
casefold to others (``ſ``, the Kelvin sign), lone surrogates, quoting, paths as
program names, huge arguments and a few hundred kilobytes of shell."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from corral.events import CodeAction, Event, ExecAction, FileAction, NetAction, SpawnAction
from corral.monitor.evaluate import load_corpus
from corral.monitor.loader import builtin_pack
from corral.monitor.rules import (
    ANY_TYPE,
    ATTEMPT,
    RuleIndex,
    Subject,
    _in_line,
    _line_needs,
    _simple_split,
    alternative_test,
    hints,
    subjects_of,
)

from .helpers import T0

CORPUS = Path(__file__).resolve().parents[2] / "src" / "corral" / "monitor" / "corpus"
INDEX = RuleIndex(builtin_pack("default").rules)
MATCHERS = [(rule, m, step) for rule in INDEX.rules for m, step in rule.matchers()]


def _commands() -> list[str]:
    out = []
    for name in ("default.jsonl", "heldout_attacks.jsonl", "heldout_benign.jsonl"):
        out += [it.command for it in load_corpus(CORPUS / name) if it.command]
    return out


COMMANDS = _commands()
WORDS = sorted({w for c in COMMANDS for w in c.split()})


def _mutate(rng: random.Random, line: str) -> str:
    words = line.split()
    for _ in range(rng.randint(0, 3)):
        r = rng.random()
        if r < 0.25 and words:
            words.pop(rng.randrange(len(words)))
        elif r < 0.5:
            words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS))
        elif r < 0.6 and words:
            i = rng.randrange(len(words))
            words[i] = words[i].upper()
        elif r < 0.7 and words:
            i = rng.randrange(len(words))
            words[i] = words[i].replace("s", "\u017f").replace("k", "\u212a")
        elif r < 0.75 and words:
            i = rng.randrange(len(words))
            words[i] = words[i] + "\udcff"
        elif r < 0.8 and words:
            words[0] = "/usr/local/bin/" + words[0]
        elif r < 0.85:
            words.append("'" + " ".join(rng.sample(WORDS, 3)) + "'")
        elif r < 0.9 and words:
            rng.shuffle(words)
    return " ".join(words)


def _events(rng: random.Random, n: int) -> list[tuple[Event, bool]]:
    out: list[tuple[Event, bool]] = []
    for i in range(n):
        kw: dict[str, Any] = {"session": "eq", "seq": i + 1, "time": T0 + i}
        line = _mutate(rng, rng.choice(COMMANDS))
        argv = line.split() or ["true"]
        r = rng.random()
        if r < 0.5:
            action: Any = ExecAction(argv=argv, line=line if rng.random() < 0.8 else None)
        elif r < 0.7:
            action = CodeAction(language="shell", code="; ".join(
                _mutate(rng, rng.choice(COMMANDS)) for _ in range(rng.randint(1, 4))))
        elif r < 0.8:
            action = SpawnAction(argv=argv, pid=100 + i)
        elif r < 0.9:
            action = FileAction(op=rng.choice(["read", "write", "list"]), path=rng.choice(WORDS))
        else:
            host = rng.choice(["10.0.0.5", "pypi.org", "169.254.169.254", rng.choice(WORDS)])
            action = NetAction(host=host, port=rng.choice([22, 443, 4444, None]))
        type_ = rng.choice(["action.requested", "action.requested", "action.completed"])
        outcome = {"exit_code": 0, "bytes_out": rng.randint(0, 10**7)} if "comp" in type_ else None
        out.append((Event(type=type_, action=action, outcome=outcome, **kw), rng.random() < 0.8))
    return out


def _hostile(rng: random.Random) -> list[tuple[Event, bool]]:
    big = " ".join(rng.choice(WORDS) for _ in range(20_000))  # ~200 kB of attack words
    kw: dict[str, Any] = {"session": "eq", "seq": 1, "time": T0}
    actions = [
        ExecAction(argv=["curl", big]),
        ExecAction(argv=["grep", "-r", "x" * 300_000, "/etc"]),
        ExecAction(argv=["sh", "-c", big]),
        ExecAction(argv=["kubectl", *big.split()[:5000]]),
        CodeAction(language="shell", code=big),
        CodeAction(language="shell", code="echo '" + "a(" * 50_000 + "'"),
        ExecAction(argv=["find", "/", "-name", "\udcff" * 1000 + "id_rsa"]),
    ]
    return [(Event(type="action.requested", action=a, **kw), True) for a in actions]


def _plain(ev: Event, attempt: bool, subj: Subject) -> set[tuple[str, int]]:
    names = {ev.type, ANY_TYPE, *([ATTEMPT] if attempt else [])}
    out = set()
    for rule, matcher, step in MATCHERS:
        if matcher.types & names:
            subj.caps = {}
            if matcher.test(subj):
                out.add((rule.id, step))
    return out


def _fast(ev: Event, attempt: bool, subj: Subject) -> set[tuple[str, int]]:
    plan = INDEX.plan(ev.type, attempt)
    if plan is None:
        return set()
    buckets = plan.buckets.get(subj.kind)
    if not buckets:
        return set()
    out = set()
    for entry in [*INDEX.candidates(buckets, subj), *plan.gated.get(subj.kind, ())]:
        subj.caps = {} if entry.captures else None
        if entry.test(subj):
            out.add((entry.rule.id, entry.step))
    return out


def test_index_finds_what_every_rule_tested_alone_finds() -> None:
    rng = random.Random(20261205)
    events = _events(rng, 1500) + _hostile(rng)
    found = 0
    for ev, attempt in events:
        for subj in subjects_of(ev):
            want = _plain(ev, attempt, subj)
            assert _fast(ev, attempt, subj) == want, (ev.action, subj.kind, subj.line)
            found += len(want)
    assert found > 300  # the generated events do match rules


def _keyed_commands() -> list[list[str]]:
    """Corpus commands whose program has key-table rules with strings they need in the
    line (the ones the index rules out by the line's literal pass)."""
    keyed = {v for b in INDEX._buckets.values() if b.needs for _, table in b.keyed for v in table}
    return [argv for c in COMMANDS if (argv := c.split()) and argv[0] in keyed]


def test_key_table_sifting_finds_what_every_rule_tested_alone_finds() -> None:
    """Key-table entries are left out when the line lacks their strings: never on a line
    that holds them in another case or casefolded form, nor on a line that is not the
    command's (a line that does not hold argv), nor on long or non-UTF-8 lines."""
    rng = random.Random(20261206)
    cmds = _keyed_commands()
    assert len(cmds) > 50
    kw: dict[str, Any] = {"session": "eq", "seq": 1, "time": T0}
    events: list[Event] = []
    for _ in range(600):
        argv = rng.choice(cmds)
        other = rng.choice(cmds)
        r = rng.random()
        if r < 0.2:
            argv = [w.upper() if rng.random() < 0.5 else w for w in argv]
            action: Any = ExecAction(argv=argv)
        elif r < 0.35:
            argv = [w.replace("s", "\u017f").replace("k", "\u212a") for w in argv]
            action = ExecAction(argv=argv)
        elif r < 0.5:  # the line given is another command's
            action = ExecAction(argv=argv, line=" ".join(other))
        elif r < 0.6:
            action = ExecAction(argv=[*argv, "\udcff"])
        elif r < 0.7:
            # long: past every short-text cache and memo (512, 4,096 characters); each
            # costs every rule tested alone, so 20 kB rather than a megabyte
            action = ExecAction(argv=[argv[0], "x" * 20_000, *argv[1:]])
        elif r < 0.85:
            action = CodeAction(language="shell", code=f"{' '.join(other)}; {' '.join(argv)}")
        else:
            action = ExecAction(argv=["sh", "-c", " ".join(argv)])
        events.append(Event(type="action.requested", action=action, **kw))
    found = 0
    for ev in events:
        for subj in subjects_of(ev):
            want = _plain(ev, True, subj)
            assert _fast(ev, True, subj) == want, (ev.action, subj.kind, subj.line)
            found += len(want)
    assert found > 100


def _attack_commands() -> list[str]:
    """The attack commands of every corpus a test may read (they match most rules)."""
    names = ["default.jsonl", "heldout_attacks.jsonl",
             *(f"heldout{n}_attacks.jsonl" for n in range(2, 7))]  # fmt: skip
    return [it.command for name in names for it in load_corpus(CORPUS / name) if it.command]


def test_line_needs_are_in_every_line_an_alternative_holds_on() -> None:
    """What the index asks of a line before it tests a key-table entry (``_line_needs``
    of its alternative: per ``any:`` branch and per branch of a regex's alternation, the
    shell's one-character operators included) is in every line on which the
    alternative holds and which holds the subject's texts: on the corpora's attack
    commands (and their subjects), in other cases and casefolded forms."""
    alts = [
        (m.test, alternative_test(cond, None), needs)
        for _, m, _ in MATCHERS
        for _, _, cond in hints(m.cond)
        if (needs := _line_needs(cond))
    ]
    assert sum(len(n) > 1 for *_, n in alts) > 50  # branches and `any:` do tell
    rng = random.Random(20261207)
    cmds = _attack_commands()
    checked = 0
    for cmd in rng.sample(cmds, 900):
        r = rng.random()
        if r < 0.2:
            cmd = cmd.upper()
        elif r < 0.3:
            cmd = cmd.replace("s", "\u017f").replace("k", "\u212a")
        kw: dict[str, Any] = {"session": "eq", "seq": 1, "time": T0}
        for action in (ExecAction(argv=cmd.split() or ["true"], line=cmd),
                       CodeAction(language="shell", code=cmd)):  # fmt: skip
            for subj in subjects_of(Event(type="action.requested", action=action, **kw)):
                line = subj.line
                if not line or not _in_line(subj, line):
                    continue
                lower = line.casefold()
                for whole, alt, needs in alts:
                    subj.caps = {}
                    if not whole(subj) or not alt(subj):
                        continue
                    checked += 1
                    assert any(
                        all(any(s in lower for s in lits) for lits in need) for need in needs
                    ), (line, needs)
    assert checked > 500


def test_one_command_split_is_the_split_of_a_list() -> None:
    """A line without a separator is split without looking for them, as it would be
    with one at its end."""
    rng = random.Random(20261208)
    words = [*WORDS[:400], "if", "then", "A=1", "B_2=x", "=", "a=b=c", "  ", "\t"]
    for _ in range(2000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
        for limit in (None, 0, 1, 32):
            assert _simple_split(text, limit) == _simple_split(text + " ;", limit), text
