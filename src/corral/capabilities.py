"""Capability checks for the tool calls that guest code makes.

Guest code calls a host tool by a ``/``-separated method name such as
``stripe/charges/create`` with a dict of JSON-like params. Before the call reaches
the host function, a :class:`Capabilities` object decides whether it is allowed:

* a :class:`MethodCapability` grants a *method pattern* (``*`` is one segment,
  ``**`` is zero or more segments, ``get_*`` globs inside one segment);
* optional :class:`Constraint` objects restrict the params (``amount <= 10000``,
  ``currency in [USD, EUR]``, ...), written with the :class:`Param` DSL or parsed
  from a policy file with :func:`parse_constraint`;
* optional ``max_calls`` per capability and ``max_total_calls`` overall.

Everything fails closed: unknown methods, missing params, values of the wrong
type and malformed policies are refused.

>>> caps = Capabilities.from_list([
...     {"method": "stripe/charges/*",
...      "constraints": {"amount": "<=10000", "currency": ["USD", "EUR"]},
...      "max_calls": 3},
... ])
>>> caps.authorize("stripe/charges/create", {"amount": 500, "currency": "USD"}).method_pattern
'stripe/charges/*'
>>> try:
...     caps.authorize("stripe/charges/create", {"amount": 20000, "currency": "USD"})
... except ConstraintViolation as err:
...     print(err)
tool 'stripe/charges/create' refused: amount must be <= 10000 (got 20000)
>>> caps.total_calls
1
"""

from __future__ import annotations

import math
import operator
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from . import saferegex

__all__ = [
    "MAX_NESTING",
    "MISSING",
    "CallLimitExceeded",
    "Capabilities",
    "CapabilityError",
    "Constraint",
    "ConstraintSet",
    "ConstraintViolation",
    "MethodCapability",
    "MethodNotAllowed",
    "Param",
    "method_matches",
    "parse_constraint",
    "parse_constraints",
    "pattern_is_subset",
]

#: Deepest allowed nesting of ``and``/``or``/``not`` in one constraint.
MAX_NESTING: Final = 32

_REPR_LIMIT: Final = 80


class _Missing:
    """Type of :data:`MISSING`, the ``actual`` value reported for an absent parameter."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> str:
        return "MISSING"


#: Sentinel for a parameter that is not present in the params.
MISSING: Final = _Missing()


# --------------------------------------------------------------------------- errors


def _restore_error(cls: type[CapabilityError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class CapabilityError(Exception):
    """Base class for every refusal; ``method`` is the tool name when known.

    >>> CapabilityError("nope", method="a/b").method
    'a/b'
    """

    def __init__(self, message: str, *, method: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.method = method

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_error, (type(self), self.args, self.__dict__.copy()))


class MethodNotAllowed(CapabilityError):
    """No capability grants the requested method."""


class ConstraintViolation(CapabilityError):
    """A parameter failed a constraint.

    ``param`` is the parameter path (``""`` for constraints spanning several
    params), ``rule`` a human description such as ``<= 10000`` and ``actual`` the
    offending value (:data:`MISSING` when absent). ``type_mismatch`` is true when the
    value had the wrong type rather than the wrong value.

    >>> try:
    ...     (Param("amount") <= 10000).evaluate({"amount": 20000})
    ... except ConstraintViolation as err:
    ...     print(err.param, "|", err.rule, "|", err.actual)
    amount | <= 10000 | 20000
    """

    def __init__(
        self,
        message: str,
        *,
        param: str,
        rule: str,
        actual: Any,
        method: str | None = None,
        type_mismatch: bool = False,
    ) -> None:
        super().__init__(message, method=method)
        self.param = param
        self.rule = rule
        self.actual = actual
        self.type_mismatch = type_mismatch


class CallLimitExceeded(CapabilityError):
    """A ``max_calls`` or ``max_total_calls`` budget is used up.

    ``pattern`` is the capability's method pattern, or ``None`` for the total limit.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        pattern: str | None = None,
        method: str | None = None,
    ) -> None:
        super().__init__(message, method=method)
        self.limit = limit
        self.pattern = pattern


def _short(value: Any) -> str:
    """``repr`` cut to a bounded length, so hostile inputs cannot flood messages."""
    text = repr(value)
    if len(text) > _REPR_LIMIT:
        text = text[: _REPR_LIMIT - 3] + "..."
    return text


# --------------------------------------------------------------------- method patterns


def _glob_match(glob: str, text: str) -> bool:
    """Match one segment; only ``*`` (any run of characters) is special.

    Linear-time: the literal pieces between stars are located left to right.
    """
    if "*" not in glob:
        return glob == text
    parts = glob.split("*")
    first, last = parts[0], parts[-1]
    if len(first) + len(last) > len(text):
        return False
    if not text.startswith(first) or not text.endswith(last):
        return False
    pos, end = len(first), len(text) - len(last)
    for part in parts[1:-1]:
        if not part:
            continue
        found = text.find(part, pos, end)
        if found < 0:
            return False
        pos = found + len(part)
    return True


def _split_name(name: object) -> tuple[str, ...] | None:
    if not isinstance(name, str) or not name:
        return None
    segments = tuple(name.split("/"))
    if "" in segments:
        return None
    return segments


@lru_cache(maxsize=1024)
def _pattern_segments_cached(pattern: str) -> tuple[str, ...] | None:
    return _split_name(pattern)


def _pattern_segments(pattern: object) -> tuple[str, ...] | None:
    if not isinstance(pattern, str):
        return None
    return _pattern_segments_cached(pattern)


def _star_closure(states: set[int], pattern: tuple[str, ...]) -> set[int]:
    """Add the positions reachable by letting ``**`` match zero segments."""
    result = set(states)
    stack = list(states)
    while stack:
        j = stack.pop()
        if j < len(pattern) and pattern[j] == "**" and j + 1 not in result:
            result.add(j + 1)
            stack.append(j + 1)
    return result


def method_matches(method: str, pattern: str) -> bool:
    """Return whether ``method`` is matched by ``pattern``.

    Names are split on ``/``. In the pattern, ``*`` matches exactly one segment,
    ``**`` matches zero or more segments, and ``*`` inside a segment globs within
    that segment only (``get_*``); every other character is literal. Empty names,
    empty segments (``a//b``, ``a/``) and non-strings never match. Runs in
    O(segments(method) x segments(pattern)) time.

    >>> method_matches("stripe/charges/create", "stripe/*/create")
    True
    >>> method_matches("stripe/charges/create", "stripe/**")
    True
    >>> method_matches("stripe", "stripe/**")
    True
    >>> method_matches("weather/get_weather", "weather/get_*")
    True
    >>> method_matches("stripe/charges/create", "stripe/*")
    False
    """
    segments = _split_name(method)
    pattern_segments = _pattern_segments(pattern)
    if segments is None or pattern_segments is None:
        return False
    n = len(pattern_segments)
    if "**" not in pattern_segments and len(segments) != n:
        return False
    states = _star_closure({0}, pattern_segments)
    for segment in segments:
        following: set[int] = set()
        for j in states:
            if j == n:
                continue
            part = pattern_segments[j]
            if part == "**":
                following.add(j)
            elif _glob_match(part, segment):
                following.add(j + 1)
        if not following:
            return False
        states = _star_closure(following, pattern_segments)
    return n in states


def pattern_is_subset(child: str, parent: str) -> bool:
    """Return whether every method matched by ``child`` is matched by ``parent``.

    Conservative: ``True`` is always correct, ``False`` may also mean "could not
    prove it". Invalid patterns give ``False``.

    >>> pattern_is_subset("stripe/charges/create", "stripe/**")
    True
    >>> pattern_is_subset("stripe/charges/*", "stripe/*/*")
    True
    >>> pattern_is_subset("stripe/**", "stripe/charges/*")
    False
    >>> pattern_is_subset("weather/get_*", "weather/*")
    True
    """
    c = _pattern_segments(child)
    p = _pattern_segments(parent)
    if c is None or p is None:
        return False
    m, n = len(c), len(p)
    # tail_all_stars[j]: parent[j:] consists only of "**" (so it matches zero segments)
    tail_all_stars = [True] * (n + 1)
    for j in range(n - 1, -1, -1):
        tail_all_stars[j] = tail_all_stars[j + 1] and p[j] == "**"
    # sub[i][j]: provably L(child[i:]) is a subset of L(parent[j:])
    sub = [[False] * (n + 1) for _ in range(m + 1)]
    for j in range(n + 1):
        sub[m][j] = tail_all_stars[j]
    for i in range(m - 1, -1, -1):
        for j in range(n - 1, -1, -1):
            if p[j] == "**":
                sub[i][j] = sub[i][j + 1] or sub[i + 1][j]
            elif c[i] == "**":
                sub[i][j] = False
            else:
                # child's '*' characters are literal text that only a parent '*' can absorb
                sub[i][j] = sub[i + 1][j + 1] and _glob_match(p[j], c[i])
    return sub[0][0]


# ------------------------------------------------------------------------ values


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return "other"


_KIND_TEXT: Final = {
    "null": "null",
    "boolean": "a boolean",
    "number": "a number",
    "string": "a string",
    "object": "an object",
    "array": "a list",
    "other": "a JSON value",
}


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps JSON types apart (``1`` is not ``True``; ``1`` is ``1.0``)."""
    return _kind(a) == _kind(b) and bool(a == b)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value is None or isinstance(value, bool | int | float | str)


def _tag(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_tag(v) for v in value)
    return (_kind(value), value)


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _normalize_path(path: Any) -> str:
    if not isinstance(path, str):
        raise ValueError(f"parameter path must be a string (got {_type_name(path)})")
    stripped = path[1:] if path.startswith("/") else path
    if not stripped:
        raise ValueError("parameter path is empty")
    if "" in stripped.split("/"):
        raise ValueError(f"parameter path {path!r} has an empty segment")
    return stripped


def _resolve(params: Any, path: str) -> Any:
    """Look ``path`` up in nested dicts/lists; :data:`MISSING` when absent."""
    current = params
    for segment in path.split("/"):
        if isinstance(current, Mapping):
            if segment not in current:
                return MISSING
            current = current[segment]
        elif isinstance(current, list | tuple):
            if not (segment.isascii() and segment.isdigit()):
                return MISSING
            if len(segment) > 1 and segment[0] == "0":
                return MISSING
            index = int(segment)
            if index >= len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current


# ------------------------------------------------------------------- constraints

_ORDER_OPS: Final = ("lt", "le", "gt", "ge")
_LEAF_OPS: Final = (
    "lt",
    "le",
    "gt",
    "ge",
    "eq",
    "ne",
    "in",
    "not_in",
    "starts_with",
    "ends_with",
    "contains",
    "regex",
    "exists",
    "not_exists",
)
_COMPOSITE_OPS: Final = ("and", "or", "not")
_SYMBOLS: Final = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_COMPARE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
}

Resolver = Callable[[str], Any]


def _err(param: str, message: str) -> str:
    return f"constraint for {param!r}: {message}" if param else f"constraint: {message}"


def _check_value(param: str, op: str, value: Any) -> Any:
    """Validate and normalise the operand of a leaf operator."""
    if op in _ORDER_OPS:
        if _kind(value) not in ("number", "string"):
            raise ValueError(
                _err(param, f"{op!r} needs a number or a string (got {_short(value)})")
            )
        if isinstance(value, float) and math.isnan(value):
            raise ValueError(_err(param, f"{op!r} cannot compare with NaN"))
        return value
    if op in ("eq", "ne", "contains"):
        if not _is_scalar(value):
            raise ValueError(
                _err(
                    param,
                    f"{op!r} needs a string, number, boolean or null (got {_short(value)})",
                )
            )
        return value
    if op in ("in", "not_in"):
        if not isinstance(value, list | tuple | set | frozenset):
            raise ValueError(_err(param, f"{op!r} needs a list of values (got {_short(value)})"))
        items = tuple(value)
        for item in items:
            if not _is_scalar(item):
                raise ValueError(
                    _err(
                        param,
                        f"{op!r} list items must be strings, numbers, booleans or null "
                        f"(got {_short(item)})",
                    )
                )
        return items
    if op in ("starts_with", "ends_with", "regex"):
        if not isinstance(value, str):
            raise ValueError(_err(param, f"{op!r} needs a string (got {_short(value)})"))
        return value
    # exists / not_exists
    if value is not None and value is not True:
        hint = " (use 'not_exists: true' instead of 'exists: false')" if op == "exists" else ""
        raise ValueError(_err(param, f"{op!r} takes true (got {_short(value)}){hint}"))
    return None


@dataclass(frozen=True, eq=False, repr=False)
class Constraint:
    """One immutable rule on the params of a tool call.

    Leaf operators take a parameter path (``amount``, ``customer/address/country``,
    ``items/0/price``; a leading ``/`` is allowed) and an operand:

    ``lt le gt ge`` (number or string; numbers compare numerically, strings
    lexically), ``eq ne`` (scalar), ``in not_in`` (list of scalars),
    ``starts_with ends_with`` (string), ``contains`` (substring of a string, or
    element of a list), ``regex`` (Python :mod:`re`, applied with ``re.fullmatch``
    to string values only, so no anchors are needed: the whole value must match),
    ``exists`` and ``not_exists`` (no operand). Python's backtracking :mod:`re` has
    no time limit, so policy authors must avoid catastrophic regexes.

    ``and``/``or`` take one or more ``children``, ``not`` exactly one; their
    ``param`` is derived: the common path of all their leaves, else ``""``.

    Semantics fail closed: a missing parameter fails every leaf operator except
    ``not_exists``; ``bool`` is not a number (``True`` does not satisfy ``<= 10``);
    a value of another JSON type than the operand fails with a type-mismatch
    message (also for ``ne`` and ``not_in``). ``not`` inverts pass/fail, but a type
    mismatch below it still fails. Build constraints with :class:`Param`, combine
    them with ``&``, ``|`` and ``~``.

    >>> c = (Param("amount") <= 10000) & Param("currency").is_in(["USD", "EUR"])
    >>> c.evaluate({"amount": 10, "currency": "USD"})
    >>> c.describe()
    "(amount <= 10000 and currency in ['USD', 'EUR'])"
    >>> (Param("amount") <= 10).evaluate({"amount": True})
    Traceback (most recent call last):
    ...
    corral.capabilities.ConstraintViolation: amount must be a number (got bool)
    """

    op: str
    param: str = ""
    value: Any = None
    children: tuple[Constraint, ...] = ()
    # derived in __post_init__
    _depth: int = field(init=False, repr=False, compare=False)
    _regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _key: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        op = self.op
        if op in _COMPOSITE_OPS:
            if not isinstance(self.children, list | tuple):
                raise ValueError(f"constraint {op!r}: children must be a list of constraints")
            children = tuple(self.children)
            for child in children:
                if not isinstance(child, Constraint):
                    raise TypeError(
                        f"constraint {op!r}: children must be Constraint objects "
                        f"(got {_type_name(child)})"
                    )
            if op == "not" and len(children) != 1:
                raise ValueError(f"constraint 'not' takes exactly one child (got {len(children)})")
            if not children:
                raise ValueError(f"constraint {op!r} needs at least one child")
            if self.value is not None:
                raise ValueError(f"constraint {op!r} takes no value")
            depth = 1 + max(child._depth for child in children)
            if depth > MAX_NESTING:
                raise ValueError(f"constraint nesting is deeper than {MAX_NESTING}")
            params = {child.param for child in children}
            common = children[0].param if len(params) == 1 else ""
            object.__setattr__(self, "children", children)
            object.__setattr__(self, "param", common)
            object.__setattr__(self, "_depth", depth)
            object.__setattr__(self, "_regex", None)
            key: tuple[Any, ...] = (op, tuple(child._key for child in children))
            object.__setattr__(self, "_key", key)
            return
        if op not in _LEAF_OPS:
            expected = ", ".join(_LEAF_OPS + _COMPOSITE_OPS)
            raise ValueError(f"unknown constraint operator {op!r}; expected one of {expected}")
        try:
            param = _normalize_path(self.param)
        except ValueError as exc:
            raise ValueError(_err(str(self.param), f"{op!r}: {exc}")) from None
        if self.children:
            raise ValueError(_err(param, f"{op!r} takes no children"))
        value = _check_value(param, op, self.value)
        regex = None
        if op == "regex":
            try:
                regex = saferegex.compile(value)
            except re.error as exc:
                raise ValueError(_err(param, f"invalid regex {value!r}: {exc}")) from None
        object.__setattr__(self, "param", param)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "children", ())
        object.__setattr__(self, "_depth", 1)
        object.__setattr__(self, "_regex", regex)
        object.__setattr__(self, "_key", (op, param, _tag(value)))

    # -- identity ------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Constraint):
            return NotImplemented
        return bool(self._key == other._key)

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"<Constraint {self.describe()}>"

    def __bool__(self) -> bool:
        raise TypeError(
            "a Constraint has no truth value; combine constraints with '&', '|' and '~' "
            "instead of 'and', 'or', 'not' or chained comparisons"
        )

    # -- composition ----------------------------------------------------------------

    def __and__(self, other: Constraint) -> Constraint:
        if not isinstance(other, Constraint):
            return NotImplemented
        left = self.children if self.op == "and" else (self,)
        right = other.children if other.op == "and" else (other,)
        return Constraint("and", children=left + right)

    def __or__(self, other: Constraint) -> Constraint:
        if not isinstance(other, Constraint):
            return NotImplemented
        left = self.children if self.op == "or" else (self,)
        right = other.children if other.op == "or" else (other,)
        return Constraint("or", children=left + right)

    def __invert__(self) -> Constraint:
        if self.op == "not":
            return self.children[0]
        return Constraint("not", children=(self,))

    # -- descriptions ---------------------------------------------------------------

    @property
    def rule(self) -> str:
        """Human text of the rule without the param, e.g. ``<= 10000``.

        >>> Param("currency").is_in(["USD"]).rule
        "in ['USD']"
        """
        op, value = self.op, self.value
        if op in _SYMBOLS:
            return f"{_SYMBOLS[op]} {_short(value)}"
        if op == "in":
            return f"in {_short(list(value))}"
        if op == "not_in":
            return f"not in {_short(list(value))}"
        if op in ("starts_with", "ends_with"):
            return f"{op.replace('_', ' ')} {_short(value)}"
        if op == "contains":
            return f"contains {_short(value)}"
        if op == "regex":
            return f"matches regex {_short(value)}"
        if op in ("exists", "not_exists"):
            return op.replace("_", " ")
        return self.describe()

    def describe(self) -> str:
        """Human text of the whole rule, e.g. ``amount <= 10000``.

        >>> (~(Param("country") == "KP")).describe()
        "not (country == 'KP')"
        """
        if self.op in ("and", "or"):
            joiner = f" {self.op} "
            return "(" + joiner.join(child.describe() for child in self.children) + ")"
        if self.op == "not":
            inner = self.children[0].describe()
            return f"not {inner}" if inner.startswith("(") else f"not ({inner})"
        return f"{self.param} {self.rule}"

    # -- evaluation -----------------------------------------------------------------

    def evaluate(self, params: Mapping[str, Any]) -> None:
        """Raise :class:`ConstraintViolation` unless ``params`` satisfy the rule.

        >>> (Param("customer/address/country") == "US").evaluate(
        ...     {"customer": {"address": {"country": "US"}}})
        >>> Param("currency").exists().evaluate({})
        Traceback (most recent call last):
        ...
        corral.capabilities.ConstraintViolation: currency is missing
        """
        violation = self._check(lambda path: _resolve(params, path))
        if violation is not None:
            raise violation

    def _violation(self, actual: Any, message: str, *, type_mismatch: bool = False) -> Any:
        return ConstraintViolation(
            message,
            param=self.param,
            rule=self.rule,
            actual=actual,
            type_mismatch=type_mismatch,
        )

    def _mismatch(self, actual: Any, expected: str) -> ConstraintViolation:
        return self._violation(
            actual,
            f"{self.param} must be {expected} (got {_type_name(actual)})",
            type_mismatch=True,
        )

    def _check(self, resolve: Resolver) -> ConstraintViolation | None:
        op = self.op
        if op == "and":
            first: ConstraintViolation | None = None
            for child in self.children:
                failure = child._check(resolve)
                if failure is None:
                    continue
                if failure.type_mismatch:
                    return failure
                if first is None:
                    first = failure
            return first
        if op == "or":
            failures: list[ConstraintViolation] = []
            for child in self.children:
                failure = child._check(resolve)
                if failure is None:
                    return None
                failures.append(failure)
            message = "none of the alternatives holds: " + "; ".join(f.message for f in failures)
            actual = resolve(self.param) if self.param else MISSING
            return self._violation(
                actual, message, type_mismatch=any(f.type_mismatch for f in failures)
            )
        if op == "not":
            inner = self.children[0]
            failure = inner._check(resolve)
            if failure is not None:
                return failure if failure.type_mismatch else None
            actual = resolve(self.param) if self.param else MISSING
            if inner.op in _COMPOSITE_OPS:
                message = f"expected {self.describe()}"
            else:
                message = f"{self.param} must not satisfy {inner.rule} (got {_short(actual)})"
            return self._violation(actual, message)
        return self._check_leaf(resolve(self.param))

    def _check_leaf(self, actual: Any) -> ConstraintViolation | None:
        op, value, param = self.op, self.value, self.param
        if actual is MISSING:
            if op == "not_exists":
                return None
            return self._violation(actual, f"{param} is missing")
        if op == "exists":
            return None
        if op == "not_exists":
            return self._violation(actual, f"{param} must not be present (got {_short(actual)})")
        got = f"(got {_short(actual)})"
        if op in _COMPARE:
            expected = _kind(value)
            if _kind(actual) != expected:
                return self._mismatch(actual, _KIND_TEXT[expected])
            if _COMPARE[op](actual, value):
                return None
            return self._violation(actual, f"{param} must be {self.rule} {got}")
        if op in ("in", "not_in"):
            kinds = {_kind(item) for item in value}
            if value and _kind(actual) not in kinds:
                return self._mismatch(actual, " or ".join(sorted(_KIND_TEXT[k] for k in kinds)))
            found = any(_same(item, actual) for item in value)
            if op == "in" and not found:
                return self._violation(
                    actual, f"{param} must be one of {_short(list(value))} {got}"
                )
            if op == "not_in" and found:
                return self._violation(
                    actual, f"{param} must not be one of {_short(list(value))} {got}"
                )
            return None
        if op == "contains":
            if isinstance(actual, str) and isinstance(value, str):
                ok = value in actual
            elif isinstance(actual, list | tuple):
                ok = any(_same(item, value) for item in actual)
            else:
                expected = "a string or a list" if isinstance(value, str) else "a list"
                return self._mismatch(actual, expected)
            if ok:
                return None
            return self._violation(actual, f"{param} must contain {_short(value)} {got}")
        # starts_with, ends_with, regex: strings only
        if not isinstance(actual, str):
            return self._mismatch(actual, "a string")
        if op == "starts_with":
            if actual.startswith(value):
                return None
            return self._violation(actual, f"{param} must start with {_short(value)} {got}")
        if op == "ends_with":
            if actual.endswith(value):
                return None
            return self._violation(actual, f"{param} must end with {_short(value)} {got}")
        assert self._regex is not None
        if self._regex.fullmatch(actual):
            return None
        return self._violation(actual, f"{param} must match regex {_short(value)} {got}")

    # -- attenuation ----------------------------------------------------------------

    def subsumes(self, other: Constraint) -> bool:
        """Return whether every params passing ``other`` also pass ``self``.

        Used to check that a narrowed (attenuated) grant is no wider than its
        parent. Conservative: ``False`` may mean "could not prove it".

        >>> (Param("amount") <= 100).subsumes(Param("amount") <= 50)
        True
        >>> (Param("amount") <= 50).subsumes(Param("amount") <= 100)
        False
        >>> Param("currency").is_in(["USD", "EUR"]).subsumes(Param("currency") == "USD")
        True
        """
        if not isinstance(other, Constraint):
            return False
        if self == other:
            return True
        if other.op == "or":
            return all(self.subsumes(child) for child in other.children)
        if self.op == "and":
            return all(child.subsumes(other) for child in self.children)
        if other.op == "and" and any(self.subsumes(child) for child in other.children):
            return True
        if self.op == "or" and any(child.subsumes(other) for child in self.children):
            return True
        # `other` admits a finite set of values of one param: test each against `self`.
        if other.op in ("eq", "in", "not_exists") and self._leaf_params() == {other.param}:
            values = (other.value,) if other.op == "eq" else other.value
            if other.op == "not_exists":
                values = (MISSING,)
            return all(
                self._check(lambda path, v=v: v if path == other.param else MISSING) is None
                for v in values
            )
        if self.op in _COMPOSITE_OPS or other.op in _COMPOSITE_OPS:
            return False
        if self.param != other.param:
            return False
        return _leaf_subsumes(self, other)

    def _leaf_params(self) -> set[str]:
        if self.op in _COMPOSITE_OPS:
            result: set[str] = set()
            for child in self.children:
                result |= child._leaf_params()
            return result
        return {self.param}

    # -- serialisation ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the policy-file form; ``parse_constraint(c.param, c.to_dict()) == c``.

        >>> (Param("amount") <= 10000).to_dict()
        {'le': 10000}
        >>> ((Param("a") == 1) | (Param("b") == 2)).to_dict()
        {'any': [{'eq': 1, 'param': 'a'}, {'eq': 2, 'param': 'b'}]}
        """
        return self._spec(self.param)

    def _spec(self, context: str) -> dict[str, Any]:
        spec: dict[str, Any]
        inner_context = self.param or context
        if self.op == "and":
            spec = {"all": [child._spec(inner_context) for child in self.children]}
        elif self.op == "or":
            spec = {"any": [child._spec(inner_context) for child in self.children]}
        elif self.op == "not":
            spec = {"not": self.children[0]._spec(inner_context)}
        elif self.op in ("exists", "not_exists"):
            spec = {self.op: True}
        elif self.op in ("in", "not_in"):
            spec = {self.op: list(self.value)}
        else:
            spec = {self.op: self.value}
        if self.param and self.param != context:
            spec["param"] = self.param
        return spec


def _leaf_subsumes(parent: Constraint, child: Constraint) -> bool:
    """Subsumption between two leaf constraints on the same param (not eq/in children)."""
    p_op, c_op, pv, cv = parent.op, child.op, parent.value, child.value
    if p_op == "exists":
        return c_op != "not_exists"
    if c_op in _ORDER_OPS and _kind(pv) == _kind(cv):
        if p_op in ("lt", "le") and c_op in ("lt", "le"):
            return bool(cv < pv) if (p_op == "lt" and c_op == "le") else bool(cv <= pv)
        if p_op in ("gt", "ge") and c_op in ("gt", "ge"):
            return bool(cv > pv) if (p_op == "gt" and c_op == "ge") else bool(cv >= pv)
        if p_op == "ne":  # the child's half-line must exclude pv
            return not _COMPARE[c_op](pv, cv)
        return False
    if p_op == "not_in" and c_op == "not_in":
        if not pv:
            return True
        if not cv:
            return False
        child_kinds = {_kind(v) for v in cv}
        if not child_kinds <= {_kind(v) for v in pv}:
            return False
        return all(_kind(v) not in child_kinds or any(_same(v, w) for w in cv) for v in pv)
    if c_op in ("starts_with", "ends_with"):
        # every value is a string starting (ending) with cv
        affix_ok = str.startswith if c_op == "starts_with" else str.endswith
        if p_op == c_op:
            return affix_ok(cv, pv)
        if p_op == "contains":
            return isinstance(pv, str) and pv in cv
        if p_op == "ne":
            return isinstance(pv, str) and not affix_ok(pv, cv)
        return False
    return False


def _check_pattern(pattern: Any) -> str:
    if not isinstance(pattern, str) or _pattern_segments(pattern) is None:
        raise ValueError(
            f"invalid method pattern {_short(pattern)}: expected a non-empty '/'-separated "
            "name without empty segments, e.g. 'stripe/charges/*' or 'weather/**'"
        )
    return pattern


class Param:
    """Fluent builder for :class:`Constraint` objects on one parameter path.

    >>> Param("amount") <= 10000
    <Constraint amount <= 10000>
    >>> Param("/items/0/sku").starts_with("SKU-")
    <Constraint items/0/sku starts with 'SKU-'>
    >>> ~Param("debug").exists()
    <Constraint not (debug exists)>
    """

    __slots__ = ("path",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, path: str) -> None:
        try:
            self.path = _normalize_path(path)
        except ValueError as exc:
            raise ValueError(f"Param: {exc}") from None

    def __repr__(self) -> str:
        return f"Param({self.path!r})"

    def _make(self, op: str, value: Any = None) -> Constraint:
        return Constraint(op, self.path, value)

    def __lt__(self, value: Any) -> Constraint:
        return self._make("lt", value)

    def __le__(self, value: Any) -> Constraint:
        return self._make("le", value)

    def __gt__(self, value: Any) -> Constraint:
        return self._make("gt", value)

    def __ge__(self, value: Any) -> Constraint:
        return self._make("ge", value)

    def __eq__(self, value: object) -> Constraint:  # type: ignore[override]
        return self._make("eq", value)

    def __ne__(self, value: object) -> Constraint:  # type: ignore[override]
        return self._make("ne", value)

    def is_in(self, values: Iterable[Any]) -> Constraint:
        """Value must equal (type-strictly) one of ``values``."""
        return self._make("in", values if isinstance(values, str) else tuple(values))

    def not_in(self, values: Iterable[Any]) -> Constraint:
        """Value must be of a type in ``values`` and equal none of them."""
        return self._make("not_in", values if isinstance(values, str) else tuple(values))

    def starts_with(self, prefix: str) -> Constraint:
        return self._make("starts_with", prefix)

    def ends_with(self, suffix: str) -> Constraint:
        return self._make("ends_with", suffix)

    def contains(self, item: Any) -> Constraint:
        """Substring of a string value, or type-strict element of a list value."""
        return self._make("contains", item)

    def matches(self, regex: str) -> Constraint:
        """The whole string value must match ``regex`` (``re.fullmatch``)."""
        return self._make("regex", regex)

    def exists(self) -> Constraint:
        return self._make("exists")

    def not_exists(self) -> Constraint:
        return self._make("not_exists")


class ConstraintSet(list[Constraint]):
    """A list of constraints that must all hold (AND).

    >>> cs = ConstraintSet([Param("amount") <= 100, Param("currency") == "USD"])
    >>> cs.evaluate({"amount": 5, "currency": "USD"})
    >>> cs.to_spec()
    {'amount': {'le': 100}, 'currency': {'eq': 'USD'}}
    """

    def __init__(self, constraints: Iterable[Constraint] = ()) -> None:
        items = list(constraints)
        for item in items:
            if not isinstance(item, Constraint):
                raise TypeError(f"ConstraintSet items must be Constraint (got {_type_name(item)})")
        super().__init__(items)

    def __repr__(self) -> str:
        return f"ConstraintSet({list.__repr__(self)})"

    def _first_violation(self, params: Mapping[str, Any]) -> ConstraintViolation | None:
        for constraint in self:
            failure = constraint._check(lambda path: _resolve(params, path))
            if failure is not None:
                return failure
        return None

    def evaluate(self, params: Mapping[str, Any]) -> None:
        """Raise the first :class:`ConstraintViolation`, if any."""
        failure = self._first_violation(params)
        if failure is not None:
            raise failure

    def subsumes(self, child: Iterable[Constraint]) -> bool:
        """Return whether params passing all of ``child`` always pass all of ``self``.

        >>> parent = ConstraintSet([Param("amount") <= 100])
        >>> parent.subsumes([Param("amount") <= 10, Param("currency") == "USD"])
        True
        >>> parent.subsumes([])
        False
        """
        child_items = list(child)
        if not self:
            return True
        if not child_items:
            return False
        combined = (
            child_items[0] if len(child_items) == 1 else Constraint("and", children=child_items)
        )
        return all(parent.subsumes(combined) for parent in self)

    def merge(self, other: Iterable[Constraint]) -> ConstraintSet:
        """Return a new set with the constraints of both (duplicates dropped)."""
        merged = ConstraintSet(self)
        for constraint in ConstraintSet(other):
            if constraint not in merged:
                merged.append(constraint)
        return merged

    def to_spec(self) -> dict[str, Any] | list[dict[str, Any]]:
        """Return the policy form accepted by :func:`parse_constraints`.

        A ``{param: spec}`` mapping when every constraint is about one distinct
        param, otherwise a list of specs that each carry a ``param`` key.
        """
        params = [c.param for c in self]
        if all(params) and len(set(params)) == len(params):
            return {c.param: c.to_dict() for c in self}
        result = []
        for constraint in self:
            spec = constraint.to_dict()
            if constraint.param:
                spec["param"] = constraint.param
            result.append(spec)
        return result


# ------------------------------------------------------------------------ parsing

_STRING_OPERATORS: Final = (("<=", "le"), (">=", "ge"), ("==", "eq"), ("!=", "ne"))
_SHORT_OPERATORS: Final = (("<", "lt"), (">", "gt"))
_INT_RE: Final = re.compile(r"[+-]?\d+")
_FLOAT_RE: Final = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_SPEC_KEYS: Final = (*_LEAF_OPS, "all", "any", "not")
_EXPECTED_SPEC: Final = (
    "expected an operator string such as '<=10000', a scalar, a list, "
    "or a mapping with one of " + ", ".join(_SPEC_KEYS)
)


def _parse_operand(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if _INT_RE.fullmatch(text):
        return int(text)
    if _FLOAT_RE.fullmatch(text):
        return float(text)
    return text


def _parse_string(param: str, spec: str) -> Constraint:
    stripped = spec.strip()
    for symbol, op in _STRING_OPERATORS + _SHORT_OPERATORS:
        if stripped.startswith(symbol):
            operand = stripped[len(symbol) :].strip()
            if not operand:
                raise ValueError(_err(param, f"missing value after {symbol!r} in {spec!r}"))
            return _leaf(param, op, _parse_operand(operand))
    if stripped.startswith("="):
        raise ValueError(_err(param, f"unknown operator in {spec!r}; did you mean '=='?"))
    return _leaf(param, "eq", spec)


def _leaf(param: str, op: str, value: Any) -> Constraint:
    if not param:
        raise ValueError(
            _err(param, f"operator {op!r} needs a parameter path (a mapping key or 'param')")
        )
    return Constraint(op, param, value)


def _parse(param: str, spec: Any, depth: int) -> Constraint:
    if depth > MAX_NESTING:
        raise ValueError(_err(param, f"nesting is deeper than {MAX_NESTING}"))
    if isinstance(spec, Constraint):
        return spec
    if isinstance(spec, str):
        return _parse_string(param, spec)
    if spec is None:
        raise ValueError(
            _err(param, "got null; use {eq: null} to require null or {not_exists: true}")
        )
    if isinstance(spec, bool | int | float):
        return _leaf(param, "eq", spec)
    if isinstance(spec, list | tuple):
        return _leaf(param, "in", tuple(spec))
    if not isinstance(spec, Mapping):
        raise ValueError(_err(param, f"unsupported spec {_short(spec)}; {_EXPECTED_SPEC}"))
    if "param" in spec:
        override = spec["param"]
        try:
            param = _normalize_path(override)
        except ValueError as exc:
            raise ValueError(_err(param, f"bad 'param' entry: {exc}")) from None
    keys = [key for key in spec if key != "param"]
    if not keys:
        raise ValueError(_err(param, f"empty mapping; {_EXPECTED_SPEC}"))
    if len(keys) > 1:
        listed = ", ".join(repr(k) for k in keys)
        raise ValueError(
            _err(
                param,
                f"expected exactly one operator, got {listed}; combine several with 'all: [...]'",
            )
        )
    key = keys[0]
    operand = spec[key]
    if key not in _SPEC_KEYS:
        raise ValueError(
            _err(param, f"unknown operator {_short(key)}; expected one of {', '.join(_SPEC_KEYS)}")
        )
    if key in ("all", "any"):
        if not isinstance(operand, list | tuple) or not operand:
            raise ValueError(_err(param, f"{key!r} needs a non-empty list of constraint specs"))
        children = tuple(_parse(param, item, depth + 1) for item in operand)
        return Constraint("and" if key == "all" else "or", children=children)
    if key == "not":
        return Constraint("not", children=(_parse(param, operand, depth + 1),))
    if key in ("exists", "not_exists") and operand is not True:
        hint = " (use 'not_exists: true' instead of 'exists: false')" if key == "exists" else ""
        raise ValueError(_err(param, f"{key!r} takes true (got {_short(operand)}){hint}"))
    if key in ("exists", "not_exists"):
        return _leaf(param, key, None)
    return _leaf(param, key, operand)


def parse_constraint(param: str, spec: Any) -> Constraint:
    """Build a :class:`Constraint` from its policy-file (YAML/dict) form.

    Accepted ``spec`` forms:

    * ``"<=10000"``, ``">= 1"``, ``"<5"``, ``">5"``, ``"==USD"``, ``"!=x"``: the
      operand is parsed as int, then float, else kept as a string; surrounding
      quotes (``=="10"``) keep it a string;
    * a plain list: ``in``; a plain scalar (or string without operator): ``eq``;
    * a mapping with exactly one operator key (``lt le gt ge eq ne in not_in
      starts_with ends_with contains regex``, ``exists: true``,
      ``not_exists: true``) or composition key (``all: [spec, ...]``,
      ``any: [spec, ...]``, ``not: spec``). Nested specs inherit ``param``; a
      mapping may carry a ``param`` entry to override it.

    Anything else raises ``ValueError`` naming the param.

    >>> parse_constraint("amount", "<= 10000")
    <Constraint amount <= 10000>
    >>> parse_constraint("currency", ["USD", "EUR"])
    <Constraint currency in ['USD', 'EUR']>
    >>> parse_constraint("code", '=="10"').value
    '10'
    >>> parse_constraint("amount", {"all": [">0", {"lt": 100}]})
    <Constraint (amount > 0 and amount < 100)>
    >>> parse_constraint("amount", {"lte": 5})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: constraint for 'amount': unknown operator 'lte'; expected one of lt, le, ...
    """
    if not isinstance(param, str):
        raise ValueError(f"constraint: parameter path must be a string (got {_type_name(param)})")
    if param:
        try:
            param = _normalize_path(param)
        except ValueError as exc:
            raise ValueError(_err(param, str(exc))) from None
    return _parse(param, spec, 0)


def parse_constraints(
    spec: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None,
) -> ConstraintSet:
    """Parse a ``{param: spec}`` mapping (or a list of specs with ``param`` keys).

    >>> parse_constraints({"amount": "<=10000", "currency": ["USD"]})
    ConstraintSet([<Constraint amount <= 10000>, <Constraint currency in ['USD']>])
    """
    if spec is None:
        return ConstraintSet()
    if isinstance(spec, Mapping):
        result = ConstraintSet()
        for param, item in spec.items():
            if not isinstance(param, str) or not param:
                raise ValueError(f"constraint keys must be parameter paths (got {_short(param)})")
            result.append(parse_constraint(param, item))
        return result
    if isinstance(spec, str | bytes) or not isinstance(spec, Iterable):
        raise ValueError(
            f"constraints must be a mapping of parameter paths to specs (got {_short(spec)})"
        )
    return ConstraintSet(parse_constraint("", item) for item in spec)


# ------------------------------------------------------------------- capabilities


def _check_limit(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{what} must be a positive integer (got {_short(value)})")
    return value


class MethodCapability:
    """Permission to call the methods matching ``method_pattern``.

    ``constraints`` must all hold for the params; ``max_calls`` bounds how many
    calls a :class:`Capabilities` holder lets through under this grant.

    >>> cap = MethodCapability("stripe/charges/*", [Param("amount") <= 100], max_calls=3)
    >>> cap.check("stripe/charges/create", {"amount": 5})
    >>> cap.is_subset_of(MethodCapability("stripe/**"))
    True
    >>> MethodCapability.from_dict(cap.to_dict()) == cap
    True
    """

    __slots__ = ("constraints", "max_calls", "method_pattern", "name")
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        method_pattern: str,
        constraints: ConstraintSet | Iterable[Constraint] | None = None,
        max_calls: int | None = None,
        name: str | None = None,
    ) -> None:
        self.method_pattern: str = _check_pattern(method_pattern)
        if constraints is None:
            constraints = ()
        elif isinstance(constraints, Constraint):
            constraints = (constraints,)
        self.constraints: ConstraintSet = ConstraintSet(constraints)
        where = f"capability {method_pattern!r}"
        self.max_calls: int | None = _check_limit(max_calls, f"{where}: max_calls")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{where}: name must be a string (got {_short(name)})")
        self.name: str | None = name

    def __repr__(self) -> str:
        parts = [repr(self.method_pattern)]
        if self.constraints:
            parts.append(f"constraints={list.__repr__(self.constraints)}")
        if self.max_calls is not None:
            parts.append(f"max_calls={self.max_calls}")
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        return f"MethodCapability({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MethodCapability):
            return NotImplemented
        return (
            self.method_pattern == other.method_pattern
            and list(self.constraints) == list(other.constraints)
            and self.max_calls == other.max_calls
            and self.name == other.name
        )

    def matches(self, method: str) -> bool:
        """Return whether ``method`` matches this capability's pattern."""
        return method_matches(method, self.method_pattern)

    def _refusal(self, method: str, params: Any) -> ConstraintViolation | None:
        """The violation (prefixed with the tool name) or ``None``; pattern not checked."""
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            return ConstraintViolation(
                f"tool {_short(method)} refused: params must be an object "
                f"(got {_type_name(params)})",
                param="",
                rule="object",
                actual=params,
                method=method,
                type_mismatch=True,
            )
        failure = self.constraints._first_violation(params)
        if failure is None:
            return None
        return ConstraintViolation(
            f"tool {_short(method)} refused: {failure.message}",
            param=failure.param,
            rule=failure.rule,
            actual=failure.actual,
            method=method,
            type_mismatch=failure.type_mismatch,
        )

    def check(self, method: str, params: Mapping[str, Any] | None) -> None:
        """Raise a :class:`CapabilityError` unless this grant allows the call.

        Does not count the call (that is :meth:`Capabilities.authorize`'s job).
        """
        if not self.matches(method):
            raise MethodNotAllowed(
                f"tool {_short(method)} does not match capability pattern {self.method_pattern!r}",
                method=method if isinstance(method, str) else None,
            )
        failure = self._refusal(method, params)
        if failure is not None:
            raise failure

    def is_subset_of(self, parent: MethodCapability) -> bool:
        """Return whether this grant is provably no wider than ``parent``.

        Its pattern must be a subset, ``parent``'s constraints must subsume its
        constraints and its ``max_calls`` must not exceed ``parent``'s.
        """
        if not pattern_is_subset(self.method_pattern, parent.method_pattern):
            return False
        if not parent.constraints.subsumes(self.constraints):
            return False
        if parent.max_calls is None:
            return True
        return self.max_calls is not None and self.max_calls <= parent.max_calls

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MethodCapability:
        """Build from ``{"method": ..., "constraints": {...}, "max_calls": N, "name": ...}``."""
        if not isinstance(data, Mapping):
            raise ValueError(f"capability must be a mapping (got {_short(data)})")
        allowed = ("method", "constraints", "max_calls", "name")
        unknown = [key for key in data if key not in allowed]
        if unknown:
            raise ValueError(
                f"capability: unknown key(s) {', '.join(_short(k) for k in unknown)}; "
                f"expected {', '.join(allowed)}"
            )
        if "method" not in data:
            raise ValueError("capability: missing required key 'method'")
        pattern = _check_pattern(data["method"])
        raw = data.get("constraints")
        if isinstance(raw, list | tuple) and all(isinstance(c, Constraint) for c in raw):
            constraints = ConstraintSet(raw)
        else:
            constraints = parse_constraints(raw)
        return cls(pattern, constraints, data.get("max_calls"), data.get("name"))

    def to_dict(self) -> dict[str, Any]:
        """Inverse of :meth:`from_dict` (empty/None fields are left out)."""
        data: dict[str, Any] = {"method": self.method_pattern}
        if self.constraints:
            data["constraints"] = self.constraints.to_spec()
        if self.max_calls is not None:
            data["max_calls"] = self.max_calls
        if self.name is not None:
            data["name"] = self.name
        return data


class Capabilities:
    """The thread-safe checker a sandbox holds for its guest.

    >>> caps = Capabilities([MethodCapability("search/*", max_calls=2)], max_total_calls=10)
    >>> caps.authorize("search/web", {"q": "corral"}).method_pattern
    'search/*'
    >>> caps.calls_made, caps.total_calls
    ({'search/*': 1}, 1)
    >>> caps.authorize("email/send", {})
    Traceback (most recent call last):
    ...
    corral.capabilities.MethodNotAllowed: no capability allows tool 'email/send'; \
allowed patterns: search/*
    """

    def __init__(
        self,
        capabilities: Iterable[MethodCapability],
        max_total_calls: int | None = None,
    ) -> None:
        caps = tuple(capabilities)
        for cap in caps:
            if not isinstance(cap, MethodCapability):
                raise TypeError(
                    f"Capabilities takes MethodCapability objects (got {_type_name(cap)})"
                )
        self._caps = caps
        self._max_total = _check_limit(max_total_calls, "max_total_calls")
        self._lock = threading.Lock()
        self._counts = [0] * len(caps)
        self._total = 0

    def __repr__(self) -> str:
        return f"Capabilities({list(self._caps)!r}, max_total_calls={self._max_total!r})"

    def __len__(self) -> int:
        return len(self._caps)

    @property
    def capabilities(self) -> tuple[MethodCapability, ...]:
        return self._caps

    @property
    def max_total_calls(self) -> int | None:
        return self._max_total

    def authorize(self, method: str, params: Mapping[str, Any] | None = None) -> MethodCapability:
        """Allow and count one call, returning the capability that granted it.

        Raises :class:`MethodNotAllowed` when no pattern matches,
        :class:`CallLimitExceeded` when the total or per-capability budget is used
        up, and :class:`ConstraintViolation` (of the first matching capability)
        when no matching capability's constraints pass. Refused calls are not
        counted.
        """
        return self._decide(method, params, count=True)

    def check(self, method: str, params: Mapping[str, Any] | None = None) -> MethodCapability:
        """Same decision as :meth:`authorize`, without counting the call."""
        return self._decide(method, params, count=False)

    def _decide(self, method: str, params: Any, *, count: bool) -> MethodCapability:
        name = method if isinstance(method, str) else None
        matching = [i for i, cap in enumerate(self._caps) if cap.matches(method)]
        if not matching:
            allowed = ", ".join(cap.method_pattern for cap in self._caps) or "(none)"
            raise MethodNotAllowed(
                f"no capability allows tool {_short(method)}; allowed patterns: {allowed}",
                method=name,
            )
        refusals = [(i, self._caps[i]._refusal(method, params)) for i in matching]
        with self._lock:
            if self._max_total is not None and self._total >= self._max_total:
                raise CallLimitExceeded(
                    f"total tool call limit {self._max_total} reached",
                    limit=self._max_total,
                    method=name,
                )
            passing = [i for i, refusal in refusals if refusal is None]
            if not passing:
                first = refusals[0][1]
                assert first is not None
                raise first
            for i in passing:
                cap = self._caps[i]
                if cap.max_calls is None or self._counts[i] < cap.max_calls:
                    if count:
                        self._counts[i] += 1
                        self._total += 1
                    return cap
            cap = self._caps[passing[0]]
            assert cap.max_calls is not None
            raise CallLimitExceeded(
                f"tool {_short(method)}: max_calls {cap.max_calls} for pattern "
                f"{cap.method_pattern!r} reached",
                limit=cap.max_calls,
                pattern=cap.method_pattern,
                method=name,
            )

    @property
    def calls_made(self) -> dict[str, int]:
        """Calls counted per method pattern (summed if a pattern appears twice)."""
        with self._lock:
            counts = list(self._counts)
        result: dict[str, int] = {}
        for cap, n in zip(self._caps, counts, strict=True):
            result[cap.method_pattern] = result.get(cap.method_pattern, 0) + n
        return result

    @property
    def total_calls(self) -> int:
        with self._lock:
            return self._total

    def reset_counts(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._counts = [0] * len(self._caps)
            self._total = 0

    @classmethod
    def allow_all(cls) -> Capabilities:
        """Every method, no constraints, no limits (``**``)."""
        return cls([MethodCapability("**")])

    @classmethod
    def from_list(
        cls,
        items: Iterable[Mapping[str, Any] | MethodCapability],
        max_total_calls: int | None = None,
    ) -> Capabilities:
        """Build from a list of :meth:`MethodCapability.from_dict` mappings."""
        caps = []
        for index, item in enumerate(items):
            if isinstance(item, MethodCapability):
                caps.append(item)
                continue
            try:
                caps.append(MethodCapability.from_dict(item))
            except ValueError as exc:
                raise ValueError(f"capability #{index}: {exc}") from None
        return cls(caps, max_total_calls)

    def to_list(self) -> list[dict[str, Any]]:
        """Inverse of :meth:`from_list` (``max_total_calls`` is not included)."""
        return [cap.to_dict() for cap in self._caps]
