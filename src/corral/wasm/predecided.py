"""Commands a shell worker may run without asking: the host's table, applied in the worker.

With a policy and no monitor, every simple command the corral shell runs used to be a
question to the host (a round trip of ~150 µs, most of a ``while [ … ]`` loop's time).
For most commands the policy's answer cannot depend on the arguments: the host builds,
from its :class:`~corral.policy.Policy`, a table of what makes a command certainly allowed
(:meth:`corral.policy.Policy.exec_shortcuts`), and the worker checks a command against it.
A command that passes is run at once and *reported* (an exec notice, in order with
everything else the worker sends); the host decides it exactly as before, emits the same
events, and treats an allowed-looking notice it would have refused as a broken worker.
Anything the table cannot vouch for (a wrapper, a path argument under ``filesystem.deny``,
an operator under line rules, a rule that might deny or ask) is still a question.

Standard library and :mod:`corral.saferegex` only: the worker imports this before it
confines itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .. import saferegex

_Test = Callable[[str], bool]


class Predecided:
    """A compiled table; :meth:`allows` says whether a command needs no question."""

    __slots__ = (
        "free", "indexed", "never", "never_prefix", "operators", "others_free", "tests",
    )  # fmt: skip

    def __init__(self, table: dict[str, Any]) -> None:
        """Raises ``ValueError`` (or ``re.error``) for a malformed table."""
        self.free = frozenset(_strs(table.get("free"), "free"))
        self.indexed = frozenset(_strs(table.get("indexed"), "indexed"))
        self.others_free = table.get("others_free") is True
        self.never = frozenset(_strs(table.get("never"), "never"))
        prefix = table.get("never_prefix") or ""
        if not isinstance(prefix, str):
            raise ValueError("never_prefix must be a string")
        self.never_prefix = prefix
        # what is searched in the command line: the screen and the path test in one regex
        searched = [x for x in (table.get("screen"), table.get("paths")) if x is not None]
        for x in searched:
            _compile(x)  # each on its own first: a bad one is named as such
        tests: list[_Test] = []
        if searched:
            tests.append(_compile("|".join(f"(?:{x})" for x in searched)).test)
        rules = table.get("rules") or []
        if not isinstance(rules, list):
            raise ValueError("rules must be a list")
        for rule in rules:
            if not (isinstance(rule, list) and len(rule) == 2 and rule[0] in ("glob", "regex")):
                raise ValueError(f"malformed rule {rule!r}")
            rx = _compile(rule[1])
            tests.append(_fullmatches(rx) if rule[0] == "glob" else rx.test)
        self.tests = tuple(tests)
        self.operators = _compile(table["operators"]).test if table.get("operators") else None

    def allows(self, argv: list[str], line: str) -> bool:
        """True when the policy certainly allows this command (whatever its arguments
        turned out to be); False: ask the host."""
        prog = argv[0]
        if prog in self.never or "/" in prog or not prog:
            return False
        if self.never_prefix and prog.startswith(self.never_prefix):
            return False
        if not (prog in self.free or (self.others_free and prog not in self.indexed)):
            return False
        full = " ".join(argv)
        try:
            for test in self.tests:
                if test(full):
                    return False
            return not (self.operators is not None and self.operators(line or full))
        except saferegex.RegexTooExpensive:  # a line past the cap: the host answers it
            return False


def _strs(v: Any, what: str) -> list[str]:
    if v is None:
        return []
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValueError(f"{what} must be a list of strings")
    return v


def _fullmatches(rx: Any) -> _Test:
    fullmatch = rx.fullmatch
    return lambda text: fullmatch(text) is not None


def _compile(source: Any) -> Any:
    if not isinstance(source, str):
        raise ValueError("a pattern must be a string")
    return saferegex.compile(source, re.DOTALL)


_last: tuple[Any, Predecided | None] = (None, None)


def load(table: Any) -> Predecided | None:
    """The compiled table for a RUN request's ``predecided`` (``None``: ask about every
    command); the last one is kept, as a sandbox sends the same table with every call."""
    global _last
    if not isinstance(table, dict):
        return None
    if _last[0] == table:
        return _last[1]
    try:
        compiled: Predecided | None = Predecided(table)
    except (ValueError, KeyError, re.error):
        compiled = None  # a bad table only costs speed: every command is asked about
    _last = (table, compiled)
    return compiled
