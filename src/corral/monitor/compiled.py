"""The rule index's tests and finders compiled at load into generated Python functions.

:func:`rules.cond_test` interprets a condition: each predicate is a closure calling
its field's getter and its operators' tests, each ``all``/``any``/``not`` a closure
calling those, so a test of two predicates is ~7 Python calls. :class:`TestCompiler`
writes, for every test the index holds, one function whose body is the whole condition
as one expression: ``and``/``or``/``not`` inline, fields that are attributes of the
subject (``program``, ``args``, ``line`` ...), an action's field (``path``, ``host``
...), ``argv[N]`` and ``data.KEY`` read inline, ``equals`` as ``==``, ``in`` as a set
membership, ``startswith``/``endswith`` as the string methods, ``contains`` of one or
two strings as ``in``, a regex's needed strings (``rules._may_match``) checked inline on
the casefolded text. The operators then call the same compiled operator test the
interpreter calls (regex with its kept answers, glob, cidr, domain, word, numeric,
anything on a list field), so both give the same answer on every subject, and what an
operator keeps (the last text a regex answered) is shared as before.
:func:`compile_finder` writes each frozen bucket's finder (``rules._finder``: key
tables, the line's merged screen and its sifting, screens) with its field reads inline.

A pack is data written by whoever wrote the rule file, so no text of it is pasted into
code: a literal of a plain type (``str``, ``int``, ``bool``) is written as its
``repr`` (for these exact types a literal that reads back as the same value), every other value
(sets, tuples of strings, floats, the operators' tests, getters) is a name in the
generated module's namespace. Names in the source are the compiler's own (``s``,
``v3``, ``_k12``, ``_t40``).

What the compiler does not know falls back to the interpreter, per node: a predicate
with regex captures (its test records them into ``s.caps``), a field read by a getter
it does not know (a new field: its getter is called), an operator it does not inline
(its test is called), a condition nested deeper than :data:`MAX_DEPTH` (the
interpreter's test of that subtree is called). A new rule kind or operator therefore
needs nothing here: it is tested by the code the interpreter runs. A module that does
not compile (it cannot, but a failure must not stop the monitor) leaves every test and
finder the interpreter's (logged). ``RuleIndex(rules, compiled=False)`` is the
interpreter alone, what ``tests/monitor/test_compiled.py`` compares against.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Final

from .prefilter import folded, kept_folded
from .rules import (
    FIELDS,
    AllOf,
    AnyOf,
    Cond,
    FieldSpec,
    NotOf,
    OpInfo,
    Pred,
    Subject,
    _all_checks,
    cond_test,
    field_spec,
)

__all__ = ["MAX_DEPTH", "TestCompiler", "compile_finder", "condition_source", "finder_source"]

log = logging.getLogger(__name__)

#: conditions nested deeper than this are the interpreter's below it (Python's parser
#: refuses ~200 nested parentheses; each level writes two)
MAX_DEPTH: Final = 32
#: fields that are attributes of :class:`rules.Subject` (read as ``s.NAME``)
_SUBJECT_ATTRS: Final = frozenset(
    {"type", "kind", "program", "argv", "args", "flags", "line", "code", "language"}
)
#: fields read from the action's fields when it is of one kind (``rules._attr``)
_ACTION_ATTRS: Final = {
    name: kind
    for kind, names in (
        ("exec", ("cwd",)),
        ("spawn", ("exe", "pid", "ppid")),
        ("file", ("path", "op", "size")),
        ("net", ("host", "port", "url", "protocol")),
    )
    for name in names
}
_PLAIN: Final = (str, int, bool)
_ARGV_INDEX: Final = re.compile(r"argv\[(-?[0-9]{1,6})\]")
_DATA_KEY: Final = re.compile(r"data\.([^.]+)")
#: the builtins generated code may name
_BUILTINS: Final = {"dict": dict, "id": id, "isinstance": isinstance, "len": len, "list": list,
                    "str": str, "TypeError": TypeError}  # fmt: skip
#: an action's fields for a subject whose action is None (its kind matches nothing)
_NO_ACTION: Final = {"kind": None}


def _afields(s: Subject) -> dict[str, Any]:
    """The action's fields of a subject made without them (``rules._attr``'s fallback)."""
    a = s.action
    return _NO_ACTION if a is None else a.__dict__


def _literal(value: Any) -> str | None:
    """``value`` as Python source when it is exactly a ``str``, ``int`` or ``bool`` (its
    ``repr``: for these types a literal that reads back as the same value, quotes,
    backslashes, newlines and lone surrogates escaped); else None (the value goes in
    the namespace)."""
    return repr(value) if type(value) in _PLAIN else None


def _strings(values: Any) -> str | None:
    """A tuple of strings as source (each element checked by :func:`_literal`)."""
    if type(values) is not tuple or not values or any(type(v) is not str for v in values):
        return None
    parts = [_literal(v) for v in values]
    if any(p is None for p in parts):
        return None
    return "(" + ", ".join(parts) + ",)"  # type: ignore[arg-type]


class _Module:
    """The source and namespace of one generated module."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"_afields": _afields}
        self._by_id: dict[int, str] = {}
        self._vars = 0

    def const(self, obj: Any) -> str:
        """A namespace name for ``obj`` (one per object)."""
        name = self._by_id.get(id(obj))
        if name is None:
            name = f"_k{len(self._by_id)}"
            self._by_id[id(obj)] = name
            self.names[name] = obj
        return name

    def var(self) -> str:
        self._vars += 1
        return f"v{self._vars}"


def _field(mod: _Module, spec: FieldSpec) -> str:
    """An expression for ``spec``'s value on the subject ``s``."""
    name = spec.name
    known = FIELDS.get(name)
    if known is spec or (known is not None and known.get is spec.get):
        if name in _SUBJECT_ATTRS:
            return f"s.{name}"
        if name == "action.kind":
            return "s.kind"
        if name == "session":
            return "s.event.session"
        kind = _ACTION_ATTRS.get(name)
        if kind is not None:
            f = mod.var()
            return (
                f"({f}[{name!r}] if ({f} := (s.fields or _afields(s)))['kind'] == {kind!r} "
                "else None)"
            )
    elif field_spec(name) is spec:  # argv[N], data.KEY: their getters by name
        m = _ARGV_INDEX.fullmatch(name)
        if m:
            i = int(m.group(1))
            a = mod.var()
            # ``-len(argv) <= i < len(argv)``, the half that can fail for this ``i``
            bound = f"{-i} <= len({a})" if i < 0 else f"{i} < len({a})"
            return f"({a}[{i}] if ({a} := s.argv) is not None and {bound} else None)"
        m = _DATA_KEY.fullmatch(name)
        if m:
            key = _literal(m.group(1))
            d = mod.var()
            if key is not None:
                return f"({d}.get({key}) if isinstance(({d} := s.event.data), dict) else None)"
    return f"{mod.const(spec.get)}(s)"


def _op(mod: _Module, o: OpInfo, v: str) -> str:
    """An expression for operator ``o`` on the (present) value ``v``."""
    if not o.listy:
        if o.op == "equals" and o.keys is not None and len(o.keys) == 1:
            (value,) = o.keys
            lit = _literal(value)
            if lit is not None:
                return f"{v} == {lit}"
        elif o.op == "in" and o.keys is not None and getattr(o.test, "__self__", None) is o.keys:
            return f"{v} in {mod.const(o.keys)}"
        elif o.op in ("startswith", "endswith"):
            lits = _strings(o.strings)
            if lits is not None:
                return f"isinstance({v}, str) and {v}.{o.op}({lits})"
        elif o.op == "contains" and 0 < len(o.strings) <= 2:
            parts = [_literal(x) for x in o.strings]
            if all(p is not None for p in parts):
                holds = " or ".join(f"{p} in {v}" for p in parts)
                return f"isinstance({v}, str) and ({holds})"
        elif o.op == "regex" and o.strings:
            may = _may_match(mod, o.strings, v)
            if may is not None:
                # the strings the text cannot match without, checked here (most texts
                # lack them: no call); the test checks them again and runs RE2
                # a long text goes straight to the test, which keeps its last answer
                # by identity (a script's commands share its text: linear, as before)
                return (
                    f"isinstance({v}, str) and (len({v}) > {MAX_INLINE_TEXT} or {may}) "
                    f"and {mod.const(o.test)}({v})"
                )
    return f"{mod.const(o.test)}({v})"


#: a text longer than this skips a regex's inline check (its test checks the strings
#: once and keeps its answer for the text by identity)
MAX_INLINE_TEXT: Final = 512
#: the most strings a regex's inline check holds (past it, its test checks them alone)
MAX_INLINE_STRINGS: Final = 256


def _may_match(mod: _Module, sources: tuple[str, ...], v: str) -> str | None:
    """``rules._may_match`` for the patterns ``sources`` on ``v`` as an expression (any
    pattern's strings), or None when a pattern needs none or they are too many."""
    per_pattern = []
    count = 0
    for common, alts in _all_checks(sources):
        if not common and not alts:
            return None  # nothing known: the pattern may match any text
        sets = [*common, *(lits for need in alts for lits in need)]
        count += sum(map(len, sets))
        if count > MAX_INLINE_STRINGS:
            return None
        lw = mod.var()
        parts = [_any_in(lits, lw) for lits in common]
        if alts:
            parts.append("(" + " or ".join(
                "(" + " and ".join(_any_in(lits, lw) for lits in need) + ")" for need in alts
            ) + ")")  # fmt: skip
        if any(p is None for p in parts):
            return None
        kept, fold_ = mod.const(kept_folded), mod.const(folded)
        fold = f"(({lw} := ({kept}({v}) or {fold_}({v}))) is not None)"
        per_pattern.append("(" + " and ".join([fold, *parts]) + ")")  # type: ignore[list-item]
    return "(" + " or ".join(per_pattern) + ")" if per_pattern else None


def _any_in(lits: tuple[str, ...], lw: str) -> str | None:
    """One of the (casefolded) strings ``lits`` is in ``lw``, as an expression."""
    got = [_literal(x) for x in lits]
    if not got or any(g is None for g in got):
        return None
    return "(" + " or ".join(f"{g} in {lw}" for g in got) + ")"


def _pred(mod: _Module, p: Pred) -> str:
    if any(o.groups for o in p.ops):
        return f"{mod.const(cond_test(p))}(s)"  # captures: the interpreter records them
    get = _field(mod, p.field)
    if not p.ops:
        if p.exists is None:
            return "True"  # as the interpreter: no operator holds vacuously
        return f"(({get}) is not None)" if p.exists else f"(({get}) is None)"
    v = mod.var()
    ops = " and ".join(f"({_op(mod, o, v)})" for o in p.ops)
    return f"(({v} := {get}) is not None and {'not ' if p.negate else ''}({ops}))"


def _cond(mod: _Module, c: Cond, depth: int) -> str:
    if depth > MAX_DEPTH:
        return f"{mod.const(cond_test(c))}(s)"
    if isinstance(c, Pred):
        return _pred(mod, c)
    if isinstance(c, NotOf):
        return f"(not {_cond(mod, c.item, depth + 1)})"
    if not c.items:
        return f"{mod.const(cond_test(c))}(s)"
    glue = " and " if isinstance(c, AllOf) else " or "
    assert isinstance(c, (AllOf, AnyOf))
    return "(" + glue.join(_cond(mod, i, depth + 1) for i in c.items) + ")"


def condition_source(c: Cond) -> tuple[str, dict[str, Any]]:
    """The generated source of one condition's test (``def _t0(s)``) and its namespace
    (for tests and for reading what the compiler wrote)."""
    mod = _Module()
    src = f"def _t0(s):\n    return {_cond(mod, c, 0)}\n"
    return src, mod.names


class TestCompiler:
    """Collects the conditions whose tests the index holds (:meth:`add`), then writes and
    compiles them as one module (:meth:`build`). Each condition (by identity) is
    compiled once."""

    def __init__(self) -> None:
        self._conds: dict[int, tuple[Cond, list[Callable[[Callable[..., bool]], None]]]] = {}

    def add(self, cond: Cond, assign: Callable[[Callable[..., bool]], None]) -> None:
        """Compile ``cond``; ``assign`` receives its generated test."""
        got = self._conds.get(id(cond))
        if got is None:
            self._conds[id(cond)] = (cond, [assign])
        else:
            got[1].append(assign)

    def build(self) -> int:
        """Compile what was added and hand each test to its ``assign``; returns how many
        were compiled (0: every test stays the interpreter's)."""
        if not self._conds:
            return 0
        mod = _Module()
        lines: list[str] = []
        order = list(self._conds.values())
        for i, (cond, _) in enumerate(order):
            try:
                body = _cond(mod, cond, 0)
            except RecursionError:
                body = f"{mod.const(cond_test(cond))}(s)"
            lines.append(f"def _t{i}(s):\n    return {body}\n")
        source = "".join(lines)
        namespace = dict(mod.names)
        namespace["__builtins__"] = _BUILTINS
        try:
            code = compile(source, "<corral.monitor.compiled>", "exec")
            exec(code, namespace)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            log.error("the rules' compiled tests failed to build (%s); the interpreter runs", exc)
            return 0
        for i, (_, assigns) in enumerate(order):
            fn = namespace[f"_t{i}"]
            for assign in assigns:
                assign(fn)
        return len(order)


def finder_source(b: Any) -> tuple[str, dict[str, Any]]:
    """The generated source of a frozen bucket's finder (``def find(s)``: what
    :func:`rules._finder` does, the bucket's tables, screens and field reads written
    out) and its namespace."""
    mod = _Module()
    keyed_names, screen_names, other_names = b.names
    if len(keyed_names) != len(b.keyed) or len(screen_names) != len(b.screens) or len(
        other_names
    ) != len(b.others):
        raise ValueError("a bucket without its field names")
    out = ["def find(s):", "    out = []"]
    if b.merged is not None:
        out.append("    scan = None")
        m = mod.const(b.merged)
        out += [
            "    line = s.line",
            "    if line:",
            "        argv = s.argv",
            "        code = s.code",
            "        if ((not argv or (argv[0] in line and (len(argv) < 2 or s.args in line)))",
            "                and (code is None or code is line or code in line)):",
            f"            scan = {m}.cached(line) or {m}.missed(line)",
        ]
    if b.keyed:
        sifted, sift = mod.const(b.sifted.get), mod.const(b.sift)
        for name, (get, table) in zip(keyed_names, b.keyed, strict=True):
            v = mod.var()
            out += [
                f"    {v} = {_getter(mod, name, get)}",
                f"    if {v} is not None:",
                "        try:",
                f"            hit = {mod.const(table.get)}({v})",
                "        except TypeError:  # an unhashable value (a list in data) is no key",
                "            hit = None",
            ]
            if b.merged is None:  # no line pass: nothing to sift by
                out += ["        if hit:", "            out += hit"]
            else:
                out += [
                    "        if hit:",
                    "            if scan is None:",
                    "                out += hit",
                    "            else:",
                    f"                got = {sifted}((id(hit), scan[1]))",
                    f"                out += got if got is not None else {sift}(hit, scan[1])",
                ]

    def screens(pairs: Any, names: tuple[str, ...], indent: str) -> list[str]:
        lines = []
        for name, (get, screen) in zip(names, pairs, strict=True):
            v, sc = mod.var(), mod.const(screen)
            lines += [
                f"{indent}{v} = {_getter(mod, name, get)}",
                f"{indent}if {v}:",
                f"{indent}    got = {sc}.cached({v})",
                f"{indent}    found = (got if got is not None else {sc}.missed({v}))[0]",
                f"{indent}    if found:",
                f"{indent}        out += found",
            ]
        return lines

    if b.merged is None:
        out += screens(b.screens, screen_names, "    ")
    else:
        out += ["    if scan is None:", *screens(b.screens, screen_names, "        ")]
        out.append("        pass")
        out += ["    else:", "        if scan[0]:", "            out += scan[0]"]
        out += screens(b.others, other_names, "        ")
    if b.always:
        out.append(f"    out += {mod.const(b.always)}")
    if b.multi:
        out += ["    if len(out) > 1:", "        out = list(dict.fromkeys(out))"]
    out.append("    return out\n")
    return "\n".join(out), mod.names


def _getter(mod: _Module, name: str, get: Any) -> str:
    """An expression for the field ``name`` read by ``get`` (inline when ``get`` is the
    field's own getter, else a call of ``get``)."""
    spec = field_spec(name)
    if spec is not None and spec.get is get:
        return _field(mod, spec)
    return f"{mod.const(get)}(s)"


def compile_finder(b: Any) -> Callable[[Subject], list[Any]] | None:
    """A frozen bucket's generated finder, or None (the interpreter's :func:`rules._finder`
    then runs; logged) when it cannot be built."""
    try:
        source, names = finder_source(b)
        names["__builtins__"] = _BUILTINS
        exec(compile(source, "<corral.monitor.compiled finder>", "exec"), names)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        log.error("a rule bucket's finder failed to compile (%s); the interpreter runs", exc)
        return None
    return names["find"]  # type: ignore[no-any-return]
