"""The rule index's generated tests and finders (:mod:`corral.monitor.compiled`): the
same answers as the interpreter's on every subject, hostile rule text quoted (never
pasted into code), and every part the compiler does not know run by the interpreter."""

from __future__ import annotations

import ast
import json
import logging
import random
import textwrap
from pathlib import Path
from typing import Any

import pytest

from corral.events import CodeAction, Event, ExecAction, FileAction, NetAction, ToolAction
from corral.monitor import Monitor, bench, compiled, load_text
from corral.monitor.loader import builtin_pack
from corral.monitor.rules import (
    AllOf,
    AnyOf,
    FieldSpec,
    NotOf,
    OpInfo,
    Pred,
    RuleIndex,
    Subject,
    _finder,
    build_operator,
    cond_test,
    field_spec,
    subjects_of,
)

from .helpers import T0, feed_all, rules_of

CORPUS = Path(__file__).resolve().parents[2] / "src" / "corral" / "monitor" / "corpus"
RULES = builtin_pack("default").rules


def _pack(rules_yaml: str) -> Any:
    return load_text(textwrap.dedent(rules_yaml), "test.yaml")


def _answers(index: RuleIndex, ev: Event, attempt: bool) -> list[Any]:
    """Per subject of ``ev``: the candidates the index finds (in order) and which of
    them its tests pass (captures recorded)."""
    plan = index.plan(ev.type, attempt)
    if plan is None:
        return []
    out = []
    for subj in subjects_of(ev):
        find = plan.finders.get(subj.kind)
        if find is None:
            out.append(None)
            continue
        got = []
        for entry in find(subj):
            subj.caps = {} if entry.captures else None
            got.append((entry.rule.id, entry.step, bool(entry.test(subj)), subj.caps))
        out.append(got)
    return out


def _corpus_events() -> list[tuple[Event, bool]]:
    """Events of ``default.jsonl``'s commands (in-sample) and the bench's stream, as
    commands, scripts, completions; files and hosts; tool calls and samples."""
    rng = random.Random(20261207)
    commands = []
    for line in (CORPUS / "default.jsonl").read_text().splitlines():
        row = json.loads(line)
        if isinstance(row.get("command"), str):
            commands.append(row["command"])
    out: list[tuple[Event, bool]] = []
    for i, command in enumerate(commands):
        kw: dict[str, Any] = {"session": "c", "seq": i + 1, "time": T0 + i}
        argv = command.split() or ["true"]
        out.append((Event(type="action.requested", action=ExecAction(argv=argv), **kw), True))
        script = CodeAction(language="shell", code=command)
        out.append((Event(type="action.requested", action=script, **kw), True))
        outcome = {"exit_code": rng.choice([0, 1]), "bytes_out": 10**7}
        done = Event(type="action.completed", action=ExecAction(argv=argv), outcome=outcome, **kw)
        out.append((done, rng.random() < 0.5))
        word = rng.choice(argv)
        out.append((Event(type="action.requested", action=FileAction(op="write", path=word),
                          **kw), True))  # fmt: skip
        out.append((Event(type="action.requested", action=NetAction(host=word, port=4444),
                          **kw), True))  # fmt: skip
        out.append((Event(type="action.requested", action=ToolAction(name=word, args={"q": word}),
                          **kw), True))  # fmt: skip
    out += [(ev, True) for ev in bench.benign_events(3000)]
    return out


def test_generated_tests_and_finders_answer_as_the_interpreter() -> None:
    """Every candidate each index finds, in the same order, and every test's answer and
    captures, on the corpus's commands as commands, scripts, completions, paths, hosts
    and tool names."""
    fast = RuleIndex(RULES)
    slow = RuleIndex(RULES, compiled=False)
    # the interpreter's index is the interpreter's: its finders are the closures
    assert all(b.find.__code__ is _finder(b).__code__ for b in slow._buckets.values())
    assert all(b.find.__code__.co_filename.startswith("<corral") for b in fast._buckets.values())
    held = 0
    for ev, attempt in _corpus_events():
        want = _answers(slow, ev, attempt)
        assert _answers(fast, ev, attempt) == want, ev.action
        held += sum(1 for got in want if got for _, _, ok, _ in got if ok)
    assert held > 1000  # the events do meet the rules


@pytest.mark.parametrize(
    "literal",
    [
        "a'b",
        'a"b',
        "'''",
        '"""',
        "back\\slash\\",
        "new\nline",
        "x'); import os; os.system('id'); ('",
        '"; __import__("os").system("id"); "',
        "\\x00\\u2028{}",
        "\u2028\u0085tail",
    ],
)
def test_hostile_rule_literals_are_quoted_never_pasted(literal: str) -> None:
    """A pack is data: literals with quotes, backslashes, newlines and ``'''`` reach the
    generated source only as string constants, and the rule matches exactly its text."""
    text = json.dumps(literal)  # YAML reads JSON's double-quoted strings
    pack = _pack(
        f"""
        rules:
          - id: eq
            title: T
            severity: medium
            match: {{program: tool, 'argv[1]': {{equals: {text}}}}}
          - id: pre
            title: T
            severity: medium
            match: {{program: tool, args: {{startswith: [{text}], endswith: [{text}]}}}}
          - id: has
            title: T
            severity: medium
            match: {{program: tool, args: {{contains: [{text}]}}, not: {{args: {{equals: zz}}}}}}
        """
    )
    conds = [m.cond for r in pack.rules for m, _ in r.matchers()]
    for cond in conds:
        source, names = compiled.condition_source(cond)
        tree = ast.parse(source)
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                   and isinstance(n.value, str)}  # fmt: skip
        assert literal in strings  # written as a literal, read back the same
        assert strings <= {literal, "tool", "zz"}
        called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name)}  # fmt: skip
        assert called <= {"isinstance", "len", "id", *names}
        assert not any(isinstance(n, (ast.Import, ast.ImportFrom, ast.Attribute))
                       and getattr(n, "attr", "") == "system" for n in ast.walk(tree))  # fmt: skip
    mon = Monitor(packs=[pack], baseline=False, scorer=False)
    ev = Event(type="action.requested", action=ExecAction(argv=["tool", literal]),
               session="h", seq=1, time=T0)  # fmt: skip
    assert rules_of(feed_all(mon, [ev])) == {"eq", "pre", "has"}
    near = Event(type="action.requested", action=ExecAction(argv=["tool", literal[:-1] + "~"]),
                 session="h2", seq=1, time=T0)  # fmt: skip
    assert "eq" not in rules_of(feed_all(mon, [near]))


def _subject(argv: list[str]) -> Subject:
    ev = Event(type="action.requested", action=ExecAction(argv=argv), session="s", seq=1, time=T0)
    return subjects_of(ev)[0]


def _compiled(cond: Any) -> Any:
    source, names = compiled.condition_source(cond)
    names["__builtins__"] = compiled._BUILTINS
    exec(compile(source, "<test>", "exec"), names)
    return names["_t0"], source


def test_a_field_the_compiler_does_not_know_is_read_by_its_getter() -> None:
    seen: list[Subject] = []

    def get(s: Subject) -> Any:
        seen.append(s)
        return "x" if s.program == "a" else None

    spec = FieldSpec("new.field", None, "str", get)
    cond = Pred(spec, (build_operator("equals", "x", "str"),))
    test, source = _compiled(cond)
    assert "s.program" not in source and "(s)" in source  # the getter is called
    assert test(_subject(["a"])) and not test(_subject(["b"]))
    assert len(seen) == 2


def test_an_operator_the_compiler_does_not_know_runs_its_own_test() -> None:
    """A new operator (or one the compiler does not inline) is its compiled test, called."""
    calls: list[Any] = []

    def newop(v: Any) -> bool:
        calls.append(v)
        return v == "b"

    cond = AllOf((
        Pred(field_spec("program"), (OpInfo("new-operator", newop),)),
        NotOf(Pred(field_spec("args"), (build_operator("regex", ["^-"], "str"),))),
    ))  # fmt: skip
    test, _ = _compiled(cond)
    interp = cond_test(cond)
    for argv in (["b"], ["b", "-x"], ["c"], ["b", "x"]):
        assert test(_subject(argv)) == interp(_subject(argv))
    assert calls.count("b") == 6 and calls.count("c") == 2


def test_captures_and_deep_conditions_are_the_interpreters() -> None:
    """A predicate whose regex captures (its test records them) and a condition nested
    past :data:`compiled.MAX_DEPTH` are run by the interpreter's test, with its answers."""
    cap = Pred(field_spec("args"), (build_operator("regex", [r"-o (?P<out>\S+)"], "str"),))
    test, source = _compiled(AllOf((Pred(field_spec("program"),
                                         (build_operator("equals", "cc", "str"),)), cap)))  # fmt: skip
    subj = _subject(["cc", "-o", "a.out"])
    subj.caps = {}
    assert test(subj) and subj.caps == {"out": "a.out"}
    deep: Any = Pred(field_spec("program"), (build_operator("in", ["x", "y"], "str"),))
    for i in range(3 * compiled.MAX_DEPTH):
        deep = AnyOf((deep, NotOf(NotOf(Pred(field_spec("args"),
                                                 (build_operator("equals", f"n{i}", "str"),))))))  # fmt: skip
    test, source = _compiled(deep)
    assert source.count("(s)") >= 1  # the part below the depth is the interpreter's
    interp = cond_test(deep)
    for argv in (["x"], ["z"], ["z", "n5"], ["z", f"n{3 * compiled.MAX_DEPTH - 1}"], ["z", "q"]):
        assert test(_subject(argv)) == interp(_subject(argv))


def test_a_sequence_binding_a_capture_fires_through_generated_code() -> None:
    pack = _pack(
        r"""
        rules:
          - id: r
            title: T
            severity: high
            sequence:
              within_s: 60
              steps:
                - {program: curl, args: {regex: '-o (?P<f>\S+)'}}
                - {program: chmod, args: {regex: '\+x (?P<f>\S+)'}}
        """
    )
    mon = Monitor(packs=[pack], baseline=False, scorer=False)

    def ev(i: int, argv: list[str]) -> Event:
        return Event(type="action.requested", action=ExecAction(argv=argv), session="q",
                     seq=i, time=T0 + i)  # fmt: skip

    assert not rules_of(feed_all(mon, [ev(1, ["curl", "-o", "a", "u"]), ev(2, ["chmod", "+x", "b"])]))
    assert rules_of(feed_all(mon, [ev(3, ["chmod", "+x", "a"])])) == {"r"}


def test_a_module_that_does_not_compile_leaves_the_interpreter(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure to build the generated code (it cannot happen, but must not stop the
    monitor) is logged and every test and finder stays the interpreter's."""

    def refuse(*a: Any, **k: Any) -> Any:
        raise SyntaxError("refused")

    monkeypatch.setattr(compiled, "compile", refuse, raising=False)
    with caplog.at_level(logging.ERROR, logger="corral.monitor.compiled"):
        index = RuleIndex(RULES[:40])
    assert "the interpreter runs" in caplog.text
    assert all(b.find.__code__ is _finder(b).__code__ for b in index._buckets.values())
    monkeypatch.undo()
    slow = RuleIndex(RULES[:40], compiled=False)
    for ev, attempt in _corpus_events()[:600]:
        assert _answers(index, ev, attempt) == _answers(slow, ev, attempt)


def test_a_monitor_with_the_compiled_index_alerts_as_the_interpreter() -> None:
    """Generated tests and finders raise what the interpreter's do, alert by alert
    (matches, thresholds counted once per event, sequences with their gated steps), on
    the corpus's events, their repeats (kept answers) and the bench's stream."""
    events = [ev for ev, _ in _corpus_events()]
    events = [ev.model_copy(update={"session": f"s{i % 5}", "time": T0 + i * 0.5})
              for i, ev in enumerate(events + events[:2000])]  # fmt: skip
    fast = Monitor(baseline=False, scorer=False)
    slow = Monitor(baseline=False, scorer=False)
    slow.index = RuleIndex(slow.rules, compiled=False)
    slow._attempt_plans.clear()
    slow._other_plans.clear()
    got, want = [], []
    for ev in events:
        got.append([(a.rule, a.severity, a.summary, a.session, [e.model_dump() for e in a.evidence])
                    for a in fast.observe(ev)])  # fmt: skip
        want.append([(a.rule, a.severity, a.summary, a.session, [e.model_dump() for e in a.evidence])
                     for a in slow.observe(ev)])  # fmt: skip
    assert got == want
    assert sum(map(len, want)) > 500
