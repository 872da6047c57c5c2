"""Load monitor rule packs: YAML parsing, validation with positions, and built-in packs.

A rule file::

    version: 1                    # optional
    name: my-rules                # optional
    description: ...              # optional
    lists:                        # named lists, used as `$name` in operands
      miners: [xmrig, cpuminer]
    disable: [some-rule-id]       # rules of earlier packs to switch off
    rules:
      - id: mining-known-miner
        title: Known crypto miner started
        severity: critical        # low | medium | high | critical
        technique: T1496          # ATT&CK id (optional)
        description: ...
        response: kill            # optional: log alert deny ask pause kill
        tags: [mining]
        match: {program: $miners}   # or threshold: / sequence:

Every problem in a file is reported at once, each as ``file:line:column: path: message``,
like policy files (the same YAML 1.2 booleans, duplicate keys are errors, unknown keys
are errors with the keys that were expected). A rule whose ``id`` repeats a rule of an
earlier pack replaces it; ``enabled: false`` on such a rule, or its id in ``disable:``,
switches it off.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..policy.loader import Problem, ProblemsError, _duplicates, parse_yaml
from .rules import (
    KINDS,
    MULTI_OPS,
    NUMERIC_OPS,
    OP_ALIASES,
    OPERATORS,
    RESPONSES,
    SEVERITIES,
    AllOf,
    AnyOf,
    Cond,
    FieldSpec,
    Matcher,
    NotOf,
    Pred,
    Rule,
    RuleSyntaxError,
    Sequence,
    Step,
    Threshold,
    build_operator,
    cond_kinds,
    field_names,
    field_spec,
)

__all__ = [
    "Pack",
    "Problem",
    "RulesError",
    "builtin_pack",
    "load_file",
    "load_text",
    "pack_names",
    "pack_text",
    "parse",
    "resolve",
]

_TOP_KEYS = ("version", "name", "description", "lists", "disable", "rules")
_RULE_KEYS = (
    "id",
    "title",
    "severity",
    "technique",
    "description",
    "response",
    "tags",
    "enabled",
    "match",
    "threshold",
    "sequence",
)
_BODIES = ("match", "threshold", "sequence")
_THRESHOLD_KEYS = ("match", "count", "distinct", "sum", "total", "within_s", "group_by")
_SEQUENCE_KEYS = ("steps", "within_s", "same", "bind", "unless")
_STEP_KEYS = ("match", "bind")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_TECHNIQUE = re.compile(r"^T\d{4}(?:\.\d{3})?$")
_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LIST_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_-]*)$")


class RulesError(ProblemsError):
    """A rule file could not be loaded; ``problems`` lists every problem found."""

    what = "rules"


@dataclass
class Pack:
    """One parsed rule file."""

    name: str
    source: str
    description: str = ""
    rules: list[Rule] = field(default_factory=list)
    disable: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------- helpers


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        if not value:
            return "an empty list"
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return f"a {type(value).__name__}"


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for element in loc:
        if isinstance(element, int):
            out += f"[{element}]"
        else:
            out += f".{element}" if out else str(element)
    return out


class _Ctx:
    """Where problems go, and how a location becomes a line and column."""

    def __init__(
        self, source: str, root: yaml.Node | None, origins: dict[str, str] | None = None
    ) -> None:
        self.source = source
        self.root = root
        self.origins = origins  # rule id -> origin, when there is no node (packcache)
        self.problems: list[Problem] = []

    def _walk(self, loc: tuple[Any, ...]) -> tuple[yaml.Node | None, yaml.Node | None]:
        node, key_node = self.root, None
        for element in loc:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(element):
                        key_node, node = k, v
                        break
                else:
                    return node, None
            elif isinstance(node, yaml.SequenceNode) and isinstance(element, int):
                if element >= len(node.value):
                    return node, None
                key_node, node = None, node.value[element]
            else:
                return node, None
        return node, key_node

    def add(self, loc: tuple[Any, ...], message: str, *, at_key: bool = False) -> None:
        line = col = None
        if self.root is not None:
            value_node, key_node = self._walk(loc)
            target = key_node if at_key and key_node is not None else value_node
            if target is not None:
                line, col = target.start_mark.line + 1, target.start_mark.column + 1
        path = _path(loc[:-1] if at_key else loc)
        self.problems.append(Problem(self.source, line, col, path, message))

    def unknown_keys(
        self, data: dict[str, Any], allowed: tuple[str, ...], loc: tuple[Any, ...], what: str
    ) -> None:
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                self.add(
                    (*loc, key),
                    f"unknown key {key!r} in {what} ({hint}expected one of: {', '.join(allowed)})",
                    at_key=True,
                )

    def mapping(self, value: Any, loc: tuple[Any, ...], what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(loc, f"expected {what} (a mapping), got {_describe(value)}")
            return None
        return value

    def string(self, value: Any, loc: tuple[Any, ...], what: str = "a string") -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.add(loc, f"expected {what}, got {_describe(value)}")
            return None
        return value

    def number(self, value: Any, loc: tuple[Any, ...], what: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.add(loc, f"expected {what} (a number greater than 0), got {_describe(value)}")
            return None
        return float(value)

    def strings(self, value: Any, loc: tuple[Any, ...], what: str) -> list[str] | None:
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            self.add(loc, f"expected {what} (a list of strings), got {_describe(value)}")
            return None
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.add((*loc, i), f"expected a string, got {_describe(item)}")
                continue
            out.append(item)
        return out


# ---------------------------------------------------------------------------- conditions


class _Builder:
    def __init__(self, ctx: _Ctx, lists: dict[str, list[Any]]) -> None:
        self.ctx = ctx
        self.lists = lists

    # fields ------------------------------------------------------------------------

    def field(self, name: Any, loc: tuple[Any, ...], *, at_key: bool) -> FieldSpec | None:
        spec = field_spec(name) if isinstance(name, str) else None
        if spec is None:
            names = field_names()
            close = difflib.get_close_matches(str(name), names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            self.ctx.add(
                loc,
                f"unknown field {name!r} ({hint}fields: {', '.join(names)})",
                at_key=at_key,
            )
        return spec

    def fields(self, value: Any, loc: tuple[Any, ...], what: str) -> tuple[FieldSpec, ...]:
        names = self.ctx.strings(value, loc, what)
        if names is None:
            return ()
        out = []
        single = isinstance(value, str)
        for i, name in enumerate(names):
            spec = self.field(name, loc if single else (*loc, i), at_key=False)
            if spec is not None:
                out.append(spec)
        return tuple(out)

    # operands ----------------------------------------------------------------------

    def expand(self, value: Any, loc: tuple[Any, ...]) -> list[Any] | None:
        """A scalar or list operand with `$name` list references expanded."""
        items = value if isinstance(value, list) else [value]
        out: list[Any] = []
        ok = True
        for i, item in enumerate(items):
            where = (*loc, i) if isinstance(value, list) else loc
            if isinstance(item, str) and (m := _LIST_REF.match(item)):
                name = m.group(1)
                if name not in self.lists:
                    known = ", ".join(sorted(self.lists)) or "none"
                    self.ctx.add(where, f"unknown list {item!r} (lists: {known})")
                    ok = False
                    continue
                out.extend(self.lists[name])
            elif isinstance(item, dict | list) or item is None:
                self.ctx.add(where, f"expected a scalar value, got {_describe(item)}")
                ok = False
            else:
                out.append(item)
        if ok and not out:
            self.ctx.add(loc, "expected at least one value, got an empty list")
            return None
        return out if ok else None

    def operator(
        self, spec: FieldSpec, op: str, operand: Any, loc: tuple[Any, ...]
    ) -> Any:  # OpInfo | None
        ftype = spec.type
        if op in NUMERIC_OPS and ftype in ("str", "list"):
            self.ctx.add(loc, f"operator {op!r} needs a number field; {spec.name!r} is text")
            return None
        if op in ("glob", "regex", "contains", "startswith", "endswith") and ftype == "int":
            self.ctx.add(loc, f"operator {op!r} needs a text field; {spec.name!r} is a number")
            return None
        if op in MULTI_OPS:
            values = self.expand(operand, loc)
            if values is None:
                return None
            operand = values
        elif isinstance(operand, dict | list) or operand is None:
            self.ctx.add(loc, f"expected a single value for {op!r}, got {_describe(operand)}")
            return None
        elif isinstance(operand, str) and _LIST_REF.match(operand):
            self.ctx.add(loc, f"a list reference needs 'in' (not {op!r})")
            return None
        try:
            return build_operator(op, operand, ftype)
        except RuleSyntaxError as exc:
            self.ctx.add(loc, exc.message)
            return None

    def value(self, spec: FieldSpec, value: Any, loc: tuple[Any, ...]) -> Cond | None:
        """The condition a field's value spec puts on it."""
        if isinstance(value, dict):
            if not value:
                self.ctx.add(loc, f"expected operators for {spec.name!r}, got an empty mapping")
                return None
            ops = []
            extra: list[Cond] = []
            exists: bool | None = None
            ok = True
            for raw_op, operand in value.items():
                op = OP_ALIASES.get(raw_op, raw_op) if isinstance(raw_op, str) else raw_op
                where = (*loc, raw_op)
                if op not in OPERATORS:
                    self.ctx.add(
                        where,
                        f"unknown operator {raw_op!r} (expected one of: {', '.join(OPERATORS)}, "
                        f"{', '.join(OP_ALIASES)})",
                        at_key=True,
                    )
                    ok = False
                    continue
                if op == "exists":
                    if not isinstance(operand, bool):
                        self.ctx.add(where, f"expected true or false, got {_describe(operand)}")
                        ok = False
                    else:
                        exists = operand
                    continue
                if op == "not":
                    inner = self.value(spec, operand, where)
                    if inner is None:
                        ok = False
                    else:
                        extra.append(_negate_field(inner))
                    continue
                info = self.operator(spec, op, operand, where)
                if info is None:
                    ok = False
                else:
                    ops.append(info)
            if not ok:
                return None
            parts: list[Cond] = []
            if ops or exists is not None:
                if exists is False and ops:
                    self.ctx.add(loc, "'exists: false' cannot be combined with other operators")
                    return None
                parts.append(Pred(spec, tuple(ops), exists if not ops else None))
            parts.extend(extra)
            return parts[0] if len(parts) == 1 else AllOf(tuple(parts))
        if isinstance(value, list):
            info = self.operator(spec, "in", value, loc)
            return Pred(spec, (info,)) if info is not None else None
        if value is None:
            self.ctx.add(loc, f"expected a value for {spec.name!r}, got nothing (null)")
            return None
        if isinstance(value, str) and _LIST_REF.match(value):
            info = self.operator(spec, "in", value, loc)
        else:
            info = self.operator(spec, "equals", value, loc)
        return Pred(spec, (info,)) if info is not None else None

    # conditions --------------------------------------------------------------------

    def cond(self, value: Any, loc: tuple[Any, ...]) -> Cond | None:
        if not isinstance(value, dict) or not value:
            self.ctx.add(
                loc,
                f"expected a condition (a mapping of fields, any, all, not), got "
                f"{'an empty mapping' if value == {} else _describe(value)}",
            )
            return None
        parts: list[Cond] = []
        ok = True
        for key, spec in value.items():
            where = (*loc, key)
            if key in ("any", "all"):
                if not isinstance(spec, list) or not spec:
                    self.ctx.add(
                        where, f"expected a non-empty list of conditions, got {_describe(spec)}"
                    )
                    ok = False
                    continue
                items = [self.cond(item, (*where, i)) for i, item in enumerate(spec)]
                if any(i is None for i in items):
                    ok = False
                    continue
                conds = tuple(i for i in items if i is not None)
                parts.append(AnyOf(conds) if key == "any" else AllOf(conds))
            elif key == "not":
                inner = self.cond(spec, where)
                if inner is None:
                    ok = False
                else:
                    parts.append(NotOf(inner))
            else:
                fs = self.field(key, where, at_key=True)
                if fs is None:
                    ok = False
                    continue
                c = self.value(fs, spec, where)
                if c is None:
                    ok = False
                else:
                    parts.append(c)
        if not ok:
            return None
        result = parts[0] if len(parts) == 1 else AllOf(tuple(parts))
        kinds = cond_kinds(result)
        if kinds is not None and not kinds:
            self.ctx.add(loc, f"this condition can never match: {_conflict(result)}")
            return None
        if kinds is not None and not kinds <= set(KINDS):
            bad = ", ".join(sorted(kinds - set(KINDS)))
            self.ctx.add(loc, f"unknown action kind {bad} (kinds: {', '.join(KINDS)})")
            return None
        return result


def _negate_field(c: Cond) -> Cond:
    if isinstance(c, Pred):
        return Pred(c.field, c.ops, c.exists, negate=not c.negate)
    return NotOf(c)


def _conflict(c: Cond) -> str:
    seen: dict[str, str] = {}
    items = c.items if isinstance(c, AllOf) else (c,)
    for item in items:
        if isinstance(item, Pred) and item.field.kinds is not None:
            seen[item.field.name] = "/".join(sorted(item.field.kinds))
    shown = ", ".join(f"{k} ({v})" for k, v in seen.items())
    return f"no event has all of the fields {shown}" if shown else "the action kinds conflict"


# ---------------------------------------------------------------------------------- rules


def _rule(
    b: _Builder, raw: Any, loc: tuple[Any, ...], pack: str, ids: dict[str, tuple[Any, ...]]
) -> Rule | None:
    ctx = b.ctx
    data = ctx.mapping(raw, loc, "a rule")
    if data is None:
        return None
    before = len(ctx.problems)
    ctx.unknown_keys(data, _RULE_KEYS, loc, "a rule")
    rid = data.get("id")
    if rid is None:
        ctx.add(loc, "missing required key 'id'")
    elif not isinstance(rid, str) or not _ID.match(rid):
        ctx.add(
            (*loc, "id"), f"expected a rule id (letters, digits, - _ . :), got {_describe(rid)}"
        )
        rid = None
    elif rid in ids:
        ctx.add((*loc, "id"), f"duplicate rule id {rid!r} (first at {_path(ids[rid])})")
    else:
        ids[rid] = (*loc, "id")
    title = data.get("title")
    if title is None:
        ctx.add(loc, "missing required key 'title'")
    else:
        title = ctx.string(title, (*loc, "title"), "a title (a string)")
    severity = data.get("severity")
    if severity is None:
        ctx.add(loc, "missing required key 'severity'")
    elif severity not in SEVERITIES:
        ctx.add(
            (*loc, "severity"),
            f"expected one of {', '.join(SEVERITIES)}, got {_describe(severity)}",
        )
    technique = data.get("technique")
    if technique is not None and (
        not isinstance(technique, str) or not _TECHNIQUE.match(technique)
    ):
        ctx.add(
            (*loc, "technique"),
            f"expected an ATT&CK technique id like T1496 or T1552.001, got {_describe(technique)}",
        )
    description = data.get("description", "")
    if description is None:
        description = ""
    elif not isinstance(description, str):
        ctx.add((*loc, "description"), f"expected a string, got {_describe(description)}")
    response = data.get("response")
    if response is not None and response not in RESPONSES:
        ctx.add(
            (*loc, "response"), f"expected one of {', '.join(RESPONSES)}, got {_describe(response)}"
        )
    tags = ctx.strings(data.get("tags", []), (*loc, "tags"), "tags") or []
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        ctx.add((*loc, "enabled"), f"expected true or false, got {_describe(enabled)}")
    bodies = [k for k in _BODIES if k in data]
    match = threshold = sequence = None
    if len(bodies) != 1:
        if not bodies:
            ctx.add(loc, "a rule needs exactly one of: match, threshold, sequence")
        else:
            ctx.add(
                (*loc, bodies[1]),
                f"a rule has exactly one of match, threshold, sequence (got {', '.join(bodies)})",
                at_key=True,
            )
    elif bodies[0] == "match":
        cond = b.cond(data["match"], (*loc, "match"))
        match = Matcher.build(cond) if cond is not None else None
    elif bodies[0] == "threshold":
        threshold = _threshold(b, data["threshold"], (*loc, "threshold"))
    else:
        sequence = _sequence(b, data["sequence"], (*loc, "sequence"))
    if len(ctx.problems) > before or rid is None:
        return None
    if match is None and threshold is None and sequence is None:
        return None
    if enabled is False:
        return Rule(id=rid, title=str(title), severity=str(severity), origin="disabled")
    line_col = ""
    if ctx.root is not None:
        node, _ = ctx._walk(loc)
        if node is not None:
            line_col = f":{node.start_mark.line + 1}:{node.start_mark.column + 1}"
    origin = f"{ctx.source}{line_col}"
    if ctx.origins is not None:
        origin = ctx.origins.get(rid, origin)
    return Rule(
        id=rid,
        title=str(title),
        severity=str(severity),
        description=" ".join(str(description).split()),
        technique=technique,
        response=response,
        tags=tuple(tags),
        match=match,
        threshold=threshold,
        sequence=sequence,
        origin=origin,
        pack=pack,
    )


def _threshold(b: _Builder, raw: Any, loc: tuple[Any, ...]) -> Threshold | None:
    ctx = b.ctx
    data = ctx.mapping(raw, loc, "a threshold")
    if data is None:
        return None
    before = len(ctx.problems)
    ctx.unknown_keys(data, _THRESHOLD_KEYS, loc, "a threshold")
    cond = None
    if "match" not in data:
        ctx.add(loc, "missing required key 'match'")
    else:
        cond = b.cond(data["match"], (*loc, "match"))
    within = None
    if "within_s" not in data:
        ctx.add(loc, "missing required key 'within_s'")
    else:
        within = ctx.number(data["within_s"], (*loc, "within_s"), "seconds")
    distinct = summed = None
    if "distinct" in data:
        got = b.fields(data["distinct"], (*loc, "distinct"), "a field")
        distinct = got[0] if got else None
    if "sum" in data:
        got = b.fields(data["sum"], (*loc, "sum"), "a field")
        summed = got[0] if got else None
    count = None
    if "sum" in data:
        if "total" not in data:
            ctx.add(loc, "missing required key 'total' (the sum to reach)")
        else:
            count = ctx.number(data["total"], (*loc, "total"), "a total")
        if "count" in data:
            ctx.add((*loc, "count"), "use 'total' with 'sum' (not 'count')", at_key=True)
        if "distinct" in data:
            ctx.add((*loc, "distinct"), "'distinct' and 'sum' cannot be combined", at_key=True)
    else:
        if "total" in data:
            ctx.add(
                (*loc, "total"), "'total' needs 'sum' (use 'count' to count events)", at_key=True
            )
        if "count" not in data:
            ctx.add(loc, "missing required key 'count'")
        else:
            count = ctx.number(data["count"], (*loc, "count"), "a count")
    group_by = b.fields(data.get("group_by", []), (*loc, "group_by"), "fields")
    if len(ctx.problems) > before or cond is None or within is None or count is None:
        return None
    return Threshold(
        Matcher.build(cond, (distinct, summed)), count, within, distinct, summed, group_by
    )


def _binding(b: _Builder, value: Any, loc: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Fields a step binds a variable to: a field name or a list of alternatives."""
    return b.fields(value, loc, "a field or a list of fields") or None


def _sequence(b: _Builder, raw: Any, loc: tuple[Any, ...]) -> Sequence | None:
    ctx = b.ctx
    data = ctx.mapping(raw, loc, "a sequence")
    if data is None:
        return None
    before = len(ctx.problems)
    ctx.unknown_keys(data, _SEQUENCE_KEYS, loc, "a sequence")
    within = None
    if "within_s" not in data:
        ctx.add(loc, "missing required key 'within_s'")
    else:
        within = ctx.number(data["within_s"], (*loc, "within_s"), "seconds")
    steps_raw = data.get("steps")
    if steps_raw is None:
        ctx.add(loc, "missing required key 'steps'")
        return None
    if not isinstance(steps_raw, list) or len(steps_raw) < 2:
        ctx.add((*loc, "steps"), f"expected a list of at least 2 steps, got {_describe(steps_raw)}")
        return None
    n = len(steps_raw)
    conds: list[Cond | None] = []
    binds: list[list[tuple[str, tuple[FieldSpec, ...]]]] = [[] for _ in range(n)]
    for i, step in enumerate(steps_raw):
        where = (*loc, "steps", i)
        if isinstance(step, dict) and "match" in step:
            ctx.unknown_keys(step, _STEP_KEYS, where, "a sequence step")
            conds.append(b.cond(step["match"], (*where, "match")))
            step_bind = step.get("bind")
            if step_bind is not None:
                mapping = ctx.mapping(step_bind, (*where, "bind"), "bindings (variable: field)")
                for var, fields in (mapping or {}).items():
                    if not isinstance(var, str) or not _VAR.match(var):
                        ctx.add(
                            (*where, "bind", var),
                            f"expected a variable name, got {var!r}",
                            at_key=True,
                        )
                        continue
                    got = _binding(b, fields, (*where, "bind", var))
                    if got:
                        binds[i].append((var, got))
        else:
            conds.append(b.cond(step, where))
    for name in ctx.strings(data.get("same", []), (*loc, "same"), "fields") or []:
        if name == "session":
            continue  # state is per session anyway
        fs = b.field(name, (*loc, "same"), at_key=False)
        if fs is not None:
            for i in range(n):
                binds[i].append((f"same:{name}", (fs,)))
    seq_bind = data.get("bind")
    if seq_bind is not None:
        mapping = ctx.mapping(seq_bind, (*loc, "bind"), "bindings (variable: [field per step])")
        for var, per_step in (mapping or {}).items():
            where = (*loc, "bind", var)
            if not isinstance(var, str) or not _VAR.match(var):
                ctx.add(where, f"expected a variable name, got {var!r}", at_key=True)
                continue
            if not isinstance(per_step, list) or len(per_step) != n:
                ctx.add(
                    where,
                    f"expected a list of {n} entries (a field, a list of fields or null per "
                    f"step), got {_describe(per_step)}",
                )
                continue
            for i, entry in enumerate(per_step):
                if entry is None:
                    continue
                got = _binding(b, entry, (*where, i))
                if got:
                    binds[i].append((var, got))
    unless = b.cond(data["unless"], (*loc, "unless")) if "unless" in data else None
    if len(ctx.problems) > before or within is None or any(c is None for c in conds):
        return None
    steps = tuple(
        Step(Matcher.build(c), tuple(binds[i]))  # type: ignore[arg-type]
        for i, c in enumerate(conds)
    )
    return Sequence(steps, within, None if unless is None else Matcher.build(unless))


# ----------------------------------------------------------------------------------- files


def parse(
    data: Any,
    source: str = "<rules>",
    node: yaml.Node | None = None,
    origins: dict[str, str] | None = None,
) -> Pack:
    """Validate and compile parsed rule-file data (``node``, when given, for positions;
    else ``origins``, when given, for the rules' origins as an earlier load found them)."""
    ctx = _Ctx(source, node, origins)
    name = Path(source).stem if source and not source.startswith("<") else source
    if data is None:
        ctx.add((), "the rule file is empty (expected a mapping with 'rules:')")
        raise RulesError(ctx.problems, source)
    if not isinstance(data, dict):
        ctx.add((), f"a rule file must be a mapping with 'rules:' (got {_describe(data)})")
        raise RulesError(ctx.problems, source)
    ctx.unknown_keys(data, _TOP_KEYS, (), "the rule file")
    version = data.get("version", 1)
    if version != 1:
        ctx.add(("version",), f"unsupported version {version!r} (this corral reads version 1)")
    if "name" in data:
        name = ctx.string(data["name"], ("name",), "a pack name") or name
    description = data.get("description") or ""
    if not isinstance(description, str):
        ctx.add(("description",), f"expected a string, got {_describe(description)}")
        description = ""
    lists: dict[str, list[Any]] = {}
    raw_lists = data.get("lists")
    if raw_lists is not None:
        mapping = ctx.mapping(raw_lists, ("lists",), "named lists")
        for key, items in (mapping or {}).items():
            if not isinstance(key, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", key):
                ctx.add(("lists", key), f"expected a list name, got {key!r}", at_key=True)
                continue
            if not isinstance(items, list) or not items:
                ctx.add(
                    ("lists", key), f"expected a non-empty list of values, got {_describe(items)}"
                )
                continue
            good = []
            for i, item in enumerate(items):
                if isinstance(item, dict | list) or item is None:
                    ctx.add(("lists", key, i), f"expected a scalar value, got {_describe(item)}")
                else:
                    good.append(item)
            lists[key] = good
    disable = ctx.strings(data.get("disable", []), ("disable",), "rule ids") or []
    rules_raw = data.get("rules")
    rules: list[Rule] = []
    if rules_raw is None:
        if not disable:
            ctx.add((), "missing required key 'rules'")
    elif not isinstance(rules_raw, list):
        ctx.add(("rules",), f"expected a list of rules, got {_describe(rules_raw)}")
    else:
        b = _Builder(ctx, lists)
        ids: dict[str, tuple[Any, ...]] = {}
        for i, raw in enumerate(rules_raw):
            rule = _rule(b, raw, ("rules", i), name, ids)
            if rule is not None:
                rules.append(rule)
    if ctx.problems:
        raise RulesError(_sort(ctx.problems), source)
    return Pack(
        name=name,
        source=source,
        description=" ".join(description.split()),
        rules=rules,
        disable=disable,
    )


def _sort(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line or 0, p.column or 0, p.path, p.message))


def load_text(text: str, source: str = "<string>") -> Pack:
    """Parse and validate a rule file's text. Raises :class:`RulesError` with every problem."""
    return load_text_data(text, source)[0]


def load_text_data(text: str, source: str = "<string>") -> tuple[Pack, Any]:
    """:func:`load_text`, and the YAML data the pack was built from."""
    node, data = parse_yaml(text, source, RulesError)
    problems = _duplicates(node, source)
    try:
        pack = parse(data, source, node)
    except RulesError as exc:
        raise RulesError(_sort([*problems, *exc.problems]), source) from None
    if problems:
        raise RulesError(_sort(problems), source)
    return pack, data


def load_file(path: str | os.PathLike[str]) -> Pack:
    """Load a rule file."""
    source = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise RulesError([Problem(source, None, None, "", "no such file")], source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError([Problem(source, None, None, "", f"cannot read: {exc}")], source) from None
    return load_text(text, source)


# ------------------------------------------------------------------------------ built-ins


def pack_names() -> tuple[str, ...]:
    """The names of the rule packs shipped with corral."""
    folder = resources.files("corral.monitor").joinpath("packs")
    return tuple(
        sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
    )


def pack_text(name: str) -> str:
    """The YAML text of a shipped rule pack."""
    if name not in pack_names():
        raise RulesError(
            [
                Problem(
                    f"<pack:{name}>",
                    None,
                    None,
                    "",
                    f"no rule pack named {name!r} (packs: {', '.join(pack_names())})",
                )
            ],
            name,
        )
    return resources.files("corral.monitor").joinpath(f"packs/{name}.yaml").read_text("utf-8")


_PACK_LOCK = threading.RLock()  # a file may extend a shipped pack


def builtin_pack(name: str) -> Pack:
    """A shipped rule pack, parsed once (many sandboxes made at once wait for the one
    parse instead of each parsing it)."""
    with _PACK_LOCK:
        return _builtin_pack(name)


@cache
def _builtin_pack(name: str) -> Pack:
    from . import packcache

    return packcache.load(pack_text(name), f"pack:{name}", load_text_data, parse)


@lru_cache(maxsize=64)
def _file_cached(path: str, mtime_ns: int, size: int) -> Pack:
    with _PACK_LOCK:
        return load_file(path)


def _load_any(item: str | os.PathLike[str] | Pack) -> Pack:
    if isinstance(item, Pack):
        return item
    text = str(item)
    if not isinstance(item, os.PathLike) and text in pack_names() and not Path(text).is_file():
        return builtin_pack(text)
    path = Path(text)
    if not path.is_file() and "/" not in text and not text.endswith((".yaml", ".yml")):
        pack_text(text)  # not a file, so a pack name: raises "no rule pack named ..."
    try:
        st = path.stat()
    except OSError:
        return load_file(path)
    return _file_cached(str(path.resolve()), st.st_mtime_ns, st.st_size)


def resolve(
    packs: list[str | os.PathLike[str] | Pack] | tuple[Any, ...] = ("default",),
    rules_files: list[str | os.PathLike[str]] | tuple[Any, ...] = (),
) -> list[Rule]:
    """The rules of ``packs`` (names of shipped packs or paths) then ``rules_files``, in
    order: a later rule with the same id replaces an earlier one, ``disable:`` lists and
    ``enabled: false`` remove rules. Problems in every file are raised together."""
    problems: list[Problem] = []
    loaded: list[Pack] = []
    for item in [*packs, *rules_files]:
        try:
            loaded.append(_load_any(item))
        except RulesError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RulesError(problems, ", ".join(str(x) for x in [*packs, *rules_files]))
    by_id: dict[str, Rule] = {}
    for pack in loaded:
        for rid in pack.disable:
            by_id.pop(rid, None)
        for rule in pack.rules:
            by_id.pop(rule.id, None)
            if rule.origin != "disabled":
                by_id[rule.id] = rule
    return list(by_id.values())
