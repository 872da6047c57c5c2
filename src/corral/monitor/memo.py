"""Remembered answers of the rules that read nothing but an action's text.

Agents repeat commands (an RL rollout runs the same ``pytest -q`` thousands of times,
in many sandboxes), and whether a stateless ``match`` rule holds for a command depends
only on what the command says. :class:`Memo` keeps, per action text, what the rule
index found for it: for each subject (the command and what it runs, in the order
:func:`~corral.monitor.rules.subjects_of` gives them) the candidate entries, with the
answer of every *pure* match entry already in (see ``RuleIndex``): the ones that held
stand in as entries whose test is always true, the others are left out. Entries that
read anything else (the session, cwd, environment, outcome, data), thresholds and
sequence steps stay in the list and are tested on every event: state-dependent rules
are never answered from here.

The key is the event type, whether it is an attempt, the action's kind and *every*
field of the action a pure rule can read (:func:`memo_key`): two events share an entry
only when every pure rule reads the same text in both. Texts longer than
:data:`MAX_KEY_CHARS` are not remembered (they keep the per-text identity caches of the
rule tests). The memo is bounded in entries and characters and shared by the monitors
of one rule index (one per sandbox, on their own threads), under its own lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

__all__ = ["MAX_KEY_CHARS", "PURE_FIELDS", "Answer", "Memo", "extend_key", "memo_key"]

#: fields whose value is a function of what :func:`memo_key` holds for an event (a field
#: an action kind lacks is ``None`` for every event of that kind)
PURE_FIELDS: Final = frozenset(
    {"type", "kind", "action.kind", "program", "argv", "args", "flags", "runs", "line",
     "code", "language", "path", "op", "host", "port", "url", "protocol"}
)  # fmt: skip
#: the action kinds whose events are remembered
KINDS: Final = frozenset({"exec", "spawn", "code", "file", "net"})
MAX_KEY_CHARS: Final = 2048
MAX_ARGV: Final = 64
#: what an entry costs besides its texts (the key and the answer), in characters
_OVERHEAD: Final = 256


def is_pure_field(name: str) -> bool:
    """Whether a rule reading field ``name`` gives the same answer for two events with
    the same :func:`memo_key`."""
    return name in PURE_FIELDS or (name.startswith("argv[") and name.endswith("]"))


def memo_key(type_: str, attempt: bool, action: Any) -> tuple[tuple[Any, ...], int] | None:
    """The key of an event's remembered answers and the characters it holds: the event's
    type, whether it is an attempt, its action's kind and every action field a pure
    field reads; ``None`` when the event is not remembered (another kind, more than
    :data:`MAX_ARGV` arguments or :data:`MAX_KEY_CHARS` characters, a value of the wrong
    type)."""
    kind = action.kind
    try:
        if kind == "exec" or kind == "spawn":
            argv = action.argv
            line = action.line if kind == "exec" else None
            if type(argv) is not list or len(argv) > MAX_ARGV:
                return None
            size = sum(map(len, argv))
            if size > MAX_KEY_CHARS or len("".join(argv)) != size:
                return None  # too long, or not all strings (join takes only strings)
            if line is not None:
                if type(line) is not str or len(line) > MAX_KEY_CHARS:
                    return None
                size += len(line)
            return (type_, attempt, kind, tuple(argv), line), size
        if kind == "code":
            code, language = action.code, action.language
            if type(code) is not str or len(code) > MAX_KEY_CHARS or type(language) is not str:
                return None
            return (type_, attempt, kind, language, code), len(code)
        if kind == "file":
            path, op = action.path, action.op
            if type(path) is not str or len(path) > MAX_KEY_CHARS or type(op) is not str:
                return None
            return (type_, attempt, kind, op, path), len(path)
        if kind == "net":
            host, port, url, protocol = action.host, action.port, action.url, action.protocol
            if type(host) is not str or (port is not None and type(port) is not int):
                return None
            if (url is not None and type(url) is not str) or (
                protocol is not None and type(protocol) is not str
            ):
                return None
            size = len(host) + len(url or "") + len(protocol or "")
            if size > MAX_KEY_CHARS:
                return None
            return (type_, attempt, kind, host, port, url, protocol), size
    except TypeError:  # an argument that has no length
        return None
    return None


_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def extend_key(key: tuple[Any, ...], values: list[Any]) -> tuple[Any, ...] | None:
    """``key`` with the values of the impure fields the index looks up for the event
    (``None``: a value that is not a short scalar, so the event is not remembered)."""
    for v in values:
        t = type(v)
        if t not in _SCALARS or (t is str and len(v) > MAX_KEY_CHARS):
            return None
    return (*key, *values)


class Answer:
    """What the memo holds for one text: ``lists``, per subject, the candidates left to
    look at (pure entries that held as their always-true stand-ins; ``()`` when every
    subject's list is empty); ``kinds``, the kinds of the subjects; ``later``, when
    every entry left is a later sequence step, their ``(rule id, step)`` (such an event
    needs no subject unless a partial match waits for one of them), else ``None``."""

    __slots__ = ("kinds", "later", "lists")

    def __init__(self, lists: list[tuple[Any, ...]], kinds: tuple[str | None, ...]) -> None:
        self.kinds = kinds
        if not any(lists):
            self.lists: tuple[tuple[Any, ...], ...] = ()
            self.later: tuple[tuple[str, int], ...] | None = ()
            return
        self.lists = tuple(lists)
        later = [(e.rule.id, e.step) for es in lists for e in es if e.step > 0]
        n = sum(map(len, lists))
        self.later = tuple(dict.fromkeys(later)) if len(later) == n else None


class Memo:
    """A bounded LRU of remembered answers (``key -> value``), safe across threads.

    At most ``max_entries`` entries and about ``max_chars`` characters (their texts and
    a fixed overhead each); the least recently used go first, one at a time (O(1))."""

    def __init__(self, max_entries: int = 4096, max_chars: int = 2 << 20) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._data: OrderedDict[tuple[Any, ...], tuple[int, Any]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    @property
    def chars(self) -> int:
        """The characters the remembered entries count for."""
        return self._chars

    def get(self, key: tuple[Any, ...]) -> Any:
        """The value remembered for ``key`` (``None``: not remembered)."""
        with self._lock:
            got = self._data.get(key)
            if got is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return got[1]

    def put(self, key: tuple[Any, ...], value: Any, size: int) -> None:
        """Remember ``value`` (not ``None``) for ``key``, whose texts hold ``size``
        characters."""
        size += _OVERHEAD
        if size > self.max_chars:
            return
        data = self._data
        with self._lock:
            old = data.pop(key, None)
            if old is not None:
                self._chars -= old[0]
            data[key] = (size, value)
            self._chars += size
            while len(data) > self.max_entries or self._chars > self.max_chars:
                _, (n, _) = data.popitem(last=False)
                self._chars -= n

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._chars = 0
