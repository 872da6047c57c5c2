"""The monitor's rule language: fields, operators, conditions, and the compiled rule index.

A rule pack is YAML (see :mod:`corral.monitor.loader` for the file format). Every rule
has one body:

``match:``
    a condition on one event (alert on every event that satisfies it);
``threshold:``
    ``{match, count, distinct?, sum?/total?, within_s, group_by?}``: alert when, within
    ``within_s`` seconds of event time and per session (and per ``group_by`` values),
    ``count`` matching events were seen, or ``count`` distinct values of ``distinct``,
    or a ``sum`` of a numeric field reached ``total``;
``sequence:``
    ``{steps: [cond, ...], within_s, same?, bind?}``: alert when the steps are seen in
    order in one session within ``within_s`` seconds of the first step, with optional
    bindings between steps (``bind``, ``same``, named regex groups ``(?P<var>...)``).

Conditions
----------
A condition is a mapping; its keys are ANDed. A key is a *field* (below) or one of
``any: [cond, ...]``, ``all: [cond, ...]``, ``not: cond``. A field's value is:

* a scalar: the field equals it (``program: xmrig``);
* a list: the field is one of them (``program: [nmap, masscan]``);
* a mapping of operators, all of which must hold: ``equals``, ``in``, ``glob``,
  ``regex``, ``contains``, ``startswith``, ``endswith``, ``cidr``, ``domain`` (the host
  is the domain or below it), ``word`` (the text has the value as a whole word:
  ``ix.io`` and ``x.ix.io`` but not ``matrix.io``), ``>``/``gt``, ``<``/``lt``,
  ``>=``/``gte``, ``<=``/``lte``, ``exists`` and ``not`` (a value spec that must *not*
  hold, on a field that exists). ``in``, ``glob``, ``regex``, ``contains``,
  ``startswith``, ``endswith``, ``cidr``, ``domain`` and ``word`` take one value or a
  list (any of them).

Named groups in a ``regex`` (``(?P<file>\\S+)``) bind sequence variables. In a
sequence, ``bind: {var: field}`` on a step (or ``bind: {var: [field per step]}`` on the
sequence) requires the field to equal the variable's value (the first step that has
it sets it); ``same: [field]`` binds a field across all steps; ``unless: cond`` breaks
the chain: an event matching it drops the rule's partial matches in that session
(e.g. a source file written between a failing and a passing test run).

An item ``$name`` in a list (or as an operand) expands to the pack's ``lists: {name: [...]}``.
On list fields (``argv``, ``flags``) an operator holds when it holds for any element.
A missing field (``host`` on an exec event) never satisfies an operator.

Fields
------
=================  ================================================================
``type``           event type (``action.requested``, ``resource.sample``, ...)
``kind``           action kind (alias ``action.kind``): exec spawn code file net tool
``session``        session id
``program``        base name of ``argv[0]`` (exec, spawn)
``argv``           the argument vector (list); ``argv[N]`` one element (``argv[-1]``)
``args``           ``argv[1:]`` joined with spaces
``runs``           what an exec runs: ``argv[0]``, and the script of ``sh x.sh``,
                   ``python x.py``, ``source x`` (list)
``flags``          the options in ``argv[1:]``: ``-fNR`` gives ``-f -N -R``, ``--x=1``
                   gives ``--x`` (values of options known to take one are skipped)
``line``           the command line (exec, spawn) or the code (code actions)
``check``          what the command line does to a test run or checker (the first of
                   :data:`corral.monitor.checks.FINDINGS` it has: ``selects-nothing`` ...)
``cwd`` ``env.X``  exec working directory and environment
``exe`` ``pid``    spawn details (``ppid`` too)
``path`` ``op``    file actions (``size`` too)
``host`` ``port``  net actions (``url``, ``protocol`` too)
``tool``           tool name; ``arg.X`` a tool argument
``code``           code of a code action; ``language``
``verdict``        the policy decision's verdict (``allow``/``deny``/``ask``); ``reason``
``bytes``          bytes sent, from the outcome or data (``bytes_out``, ``bytes``, ...)
``exit_code``      the outcome's exit code
``data.X.Y``       any key of the event's ``data``; ``outcome.X`` likewise
=================  ================================================================

Which events a rule sees: when its condition constrains ``type`` (equals/in) only those;
when it uses outcome fields (``bytes``, ``exit_code``, ``outcome.*``; in its condition or
as a threshold's ``sum``/``distinct``), completed actions; otherwise *attempts*:
``action.requested`` and ``action.denied`` events, and an ``action.completed`` that
completes no request seen before (so each action is counted once).

Exec commands are looked through: ``sudo nohup xmrig ...``, ``sh -c '...'``, ``eval``,
``env A=1 cmd``, ``find -exec`` and ``xargs`` give the inner commands as extra *derived*
subjects, ``python -c CODE`` (perl/ruby/node/php likewise) a derived code subject, and
a shell code action gives one exec subject per simple command in the script.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import functools
import ipaddress
import itertools
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from typing import Any, Final

from .. import saferegex
from ..policy.engine import WRAPPERS as POLICY_WRAPPERS
from ..policy.options import skip_options
from ..policy.shellsplit import analyze, render
from .checks import findings as check_findings
from .checks import quiet_command
from .normalize import GATE as _NORMALIZE_GATE
from .normalize import deobfuscate
from .prefilter import (
    MAX_KEPT_HITS,
    LiteralSet,
    Needs,
    Rider,
    Screen,
    folded,
    holds,
    kept_folded,
    required,
    required_all,
    required_any_all,
    required_short,
    telling,
)

__all__ = [
    "FIELDS",
    "KINDS",
    "OPERATORS",
    "RESPONSES",
    "SEVERITIES",
    "AllOf",
    "AnyOf",
    "Cond",
    "FieldSpec",
    "Matcher",
    "NotOf",
    "Pred",
    "Rule",
    "RuleIndex",
    "RuleSyntaxError",
    "Sequence",
    "Step",
    "Subject",
    "Threshold",
    "build_operator",
    "field_spec",
    "same_value",
    "subjects_of",
]

SEVERITIES: Final = ("low", "medium", "high", "critical")
SEVERITY_RANK: Final = {s: i for i, s in enumerate(SEVERITIES)}
RESPONSES: Final = ("log", "alert", "deny", "ask", "pause", "kill")
RESPONSE_RANK: Final = {r: i for i, r in enumerate(("ignore", *RESPONSES))}
KINDS: Final = ("exec", "spawn", "code", "file", "net", "tool")
ATTEMPT: Final = "attempt"  # pseudo event type: the first sighting of an action
ANY_TYPE: Final = "*"


class RuleSyntaxError(ValueError):
    """A problem in one rule; ``loc`` is the path below the rule where it is."""

    def __init__(self, message: str, loc: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


# ------------------------------------------------------------------------------ subjects

_SHELLS: Final = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "busybox", "fish"})
#: ``isinstance`` class tuples (``int | float`` written in a test builds a union object
#: on each evaluation: ~2.7x the test)
_NUMBER: Final = (int, float)
_SEQUENCE: Final = (list, tuple)
#: wrapper -> (options that take a value, positional arguments before the command)
#: the policy's wrapper table (one list of what to look through), with ``env`` and
#: ``cpulimit`` added and the desktop launchers left out
_WRAPPERS: Final[dict[str, tuple[frozenset[str], int]]] = {
    **{k: v for k, v in POLICY_WRAPPERS.items() if k not in ("xvfb-run", "caffeinate")},
    "env": (frozenset({"--chdir", "--unset", "-u", "-C"}), 0),
    "cpulimit": (frozenset({"-l", "--limit", "--pid", "-p"}), 0),
}
_CODE_FLAGS: Final = {
    "python": ("-c", "python"),
    "perl": ("-e", "perl"),
    "ruby": ("-e", "ruby"),
    "node": ("-e", "js"),
    "nodejs": ("-e", "js"),
    "php": ("-r", "php"),
    "lua": ("-e", "lua"),
}
_PYTHON: Final = re.compile(r"^python[0-9.]*$")
_ASSIGNMENT: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_UNWRAPS: Final = frozenset(
    {*_SHELLS, *_WRAPPERS, "eval", "find", "su", "runuser", "perl", "ruby", "node", "nodejs",
     "php", "lua"}
)  # fmt: skip
_MAX_DERIVED: Final = 32
_MAX_DEPTH: Final = 4

#: options that take a value, per program, for ``flags`` (combined short options stop there)
_VALUE_OPTS: Final[dict[str, str]] = {
    "ssh": "BbcDEeFIiJLlmOoPpQRSWw",
    "autossh": "BbcDEeFIiJLlMmOoPpQRSWw",
    "nc": "cegGiIMmOPpqsTVWwXx",
    "ncat": "cegGiIMmOPpqsTVWwXx",
    "netcat": "cegGiIMmOPpqsTVWwXx",
    "curl": "AbcCdDeEFHKmoQrtTuUwxXyYz",
    "wget": "aeiOoPQtTUwY",
    "tar": "bCfFgHIKLNTVX",
    "docker": "eplvuwhm",
    "git": "cC",
}


class Subject:
    """What rules look at: one event, or one command derived from it.

    Fields are read through :data:`FIELDS` getters (attribute getters where the field
    is an attribute); ``flags`` is computed on first use.
    """

    __slots__ = (
        "_described",
        "_flags",
        "action",
        "args",
        "argv",
        "caps",
        "code",
        "derived",
        "event",
        "fields",
        "kind",
        "language",
        "line",
        "program",
        "type",
        "via",
    )

    def __init__(
        self,
        event: Any,
        kind: str | None,
        action: Any = None,
        argv: list[str] | None = None,
        line: str | None = None,
        code: str | None = None,
        language: str | None = None,
        derived: bool = False,
        via: str | None = None,
        type_: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.event = event
        self.type = event.type if type_ is None else type_
        #: the action's fields (its ``__dict__``) when the caller has read them
        self.fields = fields
        self.kind = kind
        self.action = action
        self.argv = argv
        if argv:
            a0 = argv[0]
            self.program = _basename(a0) if "/" in a0 else a0
            #: ``argv[1:]`` joined with spaces (read by most rules on commands)
            self.args = " ".join(argv[1:]) if len(argv) > 1 else ""
        else:
            self.program = None
            self.args = None if argv is None else ""
        self.line = line
        self.code = code
        self.language = language
        self.derived = derived
        self.via = via
        self._flags: tuple[str, ...] | None = None
        self._described: tuple[int, str] | None = None
        self.caps: dict[str, str] | None = None

    @property
    def flags(self) -> tuple[str, ...] | None:
        if self._flags is None and self.argv is not None:
            self._flags = parse_flags(self.program or "", self.argv[1:])
        return self._flags

    def command(self) -> str:
        """The command this subject runs (exec, spawn), quoted where needed."""
        return render(self.argv) if self.argv else ""

    def describe(self, limit: int = 160) -> str:
        """A one-line description of what this subject did (the last one kept: each
        threshold rule a subject counts for describes it)."""
        got = self._described
        if got is not None and got[0] == limit:
            return got[1]
        text = self._describe(limit)
        self._described = (limit, text)
        return text

    def _describe(self, limit: int) -> str:
        kind = self.kind
        if kind in ("exec", "spawn"):
            text = self.command() if self.derived else (self.line or self.command())
        elif kind == "code":
            text = f"{self.language or 'code'}: {(self.code or '').strip()}"
        elif kind == "file":
            a = self.fields or self.action.__dict__  # the action's fields (no pydantic hook)
            text = f"{a['op']} {a['path']}"
        elif kind == "net":
            a = self.fields or self.action.__dict__
            port = a["port"]
            text = a["url"] or (f"{a['host']}:{port}" if port is not None else a["host"])
        elif kind == "tool":
            a = self.fields or self.action.__dict__
            text = f"tool {a['name']} {_short_args(a['args'])}"
        else:
            data = getattr(self.event, "data", None) or {}
            text = self.type + (f" {_short_args(data)}" if data else "")
        return short(text, limit)


def short(text: str, limit: int = 160) -> str:
    """``text`` on one line (runs of white space as one space), cut at ``limit``."""
    text = str(text)
    if len(text) > limit * 4:
        # a prefix's words are a prefix of the text's: when they already overflow, the
        # rest of a long text (a megabyte command) need not be read
        head = " ".join(text[: limit * 4].split())
        if len(head) > limit:
            return head[: limit - 3] + "..."
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short_args(args: Any) -> str:
    if not isinstance(args, dict):
        return brief(args, str)
    return ", ".join(f"{k}={brief(v)}" for k, v in itertools.islice(args.items(), 6))


_BRIEF: Final = 2048  # characters of a value's repr worth building for a description
_BRIEF_DEPTH: Final = 32


def brief(value: Any, outer: Callable[[Any], str] = repr, limit: int = _BRIEF) -> str:
    """``outer(value)`` (``repr`` or ``str``) of JSON-like data, built only up to about
    ``limit`` characters and ``32`` levels deep (then ``...``): agent-supplied data
    can be a megabyte, or nested deeper than ``repr`` can recurse."""
    if not isinstance(value, dict | list | tuple):
        if isinstance(value, str) and len(value) > limit:
            value = value[: limit + 1]
            return (outer(value) if outer is str else outer(value)[:-1]) + "..."
        return outer(value)
    parts: list[str] = []
    size = 0

    def emit(v: Any, depth: int) -> None:
        nonlocal size
        if size > limit:
            return
        t = type(v)
        if t is dict or t is list or t is tuple:
            if depth >= _BRIEF_DEPTH:
                parts.append("...")
                size += 3
                return
            items = v.items() if t is dict else v
            parts.append("{" if t is dict else "[" if t is list else "(")
            size += 1
            for i, item in enumerate(items):
                if size > limit:
                    break
                if i:
                    parts.append(", ")
                    size += 2
                if t is dict:
                    emit(item[0], depth + 1)
                    parts.append(": ")
                    size += 2
                    emit(item[1], depth + 1)
                else:
                    emit(item, depth + 1)
            if t is tuple and len(v) == 1:
                parts.append(",")
            parts.append("}" if t is dict else "]" if t is list else ")")
            size += 1
            return
        text = brief(v, repr, limit) if t is str else repr(v)
        parts.append(text)
        size += len(text)

    emit(value, 0)
    text = "".join(parts)
    return text if size <= limit else text[:limit] + "..."


def _basename(path: str) -> str:
    if "/" in path:
        return path.rstrip("/").rsplit("/", 1)[-1] or path
    return path


def parse_flags(program: str, args: list[str]) -> tuple[str, ...]:
    """The options in ``args``: combined short options split, values skipped."""
    vopts = _VALUE_OPTS.get(program, "")
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--":
            break
        if a.startswith("--"):
            out.append(a.split("=", 1)[0])
            continue
        if len(a) > 1 and a[0] == "-" and not a[1].isdigit():
            last = len(a) - 1
            for i in range(1, len(a)):
                ch = a[i]
                if not (ch.isalnum() or ch in "?#@"):
                    break
                out.append("-" + ch)
                if ch in vopts:
                    skip = i == last
                    break
    return tuple(out)


def _inner(argv: list[str]) -> tuple[list[list[str]], list[str], list[tuple[str, str]]]:
    """(inner commands, inner shell scripts, inner (language, code)) that ``argv`` runs."""
    prog = _basename(argv[0])
    args = argv[1:]
    if prog in _SHELLS:
        if prog == "busybox":
            return ([args] if args else []), [], []
        for j, a in enumerate(args):
            if a == "--" or not a.startswith("-"):
                break
            if not a.startswith("--") and "c" in a[1:]:
                rest = args[j + 1 :]
                return [], ([rest[0]] if rest else []), []
        return [], [], []
    if prog == "eval":
        return [], ([" ".join(args)] if args else []), []
    if prog in ("su", "runuser"):
        for j, a in enumerate(args):
            if a in ("-c", "--command") and j + 1 < len(args):
                return [], [args[j + 1]], []
        return [], [], []
    if prog == "find":
        inner: list[list[str]] = []
        i = 0
        while i < len(args):
            if args[i] in ("-exec", "-execdir", "-ok", "-okdir"):
                j = i + 1
                while j < len(args) and args[j] not in (";", "+", "\\;"):
                    j += 1
                if j > i + 1:
                    inner.append(args[i + 1 : j])
                i = j
            i += 1
        return inner, [], []
    lang_key = "python" if _PYTHON.match(prog) else prog
    spec = _CODE_FLAGS.get(lang_key)
    if spec is not None:
        flag, language = spec
        for j, a in enumerate(args):
            if a == "-m" and language == "python" and j + 1 < len(args):
                return [args[j + 1 :]], [], []
            if a == flag or (flag == "-e" and a == "-E"):
                return ([], [], [(language, args[j + 1])] if j + 1 < len(args) else [])
            if a.startswith(flag) and len(a) > 2 and language == "python":
                return [], [], [(language, a[2:])]
            if not a.startswith("-"):
                break
        return [], [], []
    if prog == "env":
        i = 0
        while i < len(args):
            a = args[i]
            if a in ("-S", "--split-string") and i + 1 < len(args):
                return [], [" ".join(args[i + 1 :])], []
            if a == "--":
                i += 1
                break
            if a.startswith("-") and len(a) > 1:
                i += 2 if a in ("-u", "--unset", "-C", "--chdir") else 1
                continue
            if _ASSIGNMENT.match(a):
                i += 1
                continue
            break
        rest = args[i:]
        return ([rest] if rest else []), [], []
    if prog == "command" and args[:1] and args[0] in ("-v", "-V"):
        return [], [], []
    spec2 = _WRAPPERS.get(prog)
    if spec2 is None:
        return [], [], []
    rest = skip_options(args, *spec2)
    return ([rest] if rest else []), [], []


@lru_cache(maxsize=4096)
def _split_script(script: str) -> tuple[tuple[str, ...], ...]:
    try:
        analysis = analyze(script)
    except Exception:  # the splitter is best effort; never break the monitor
        return ()
    return tuple(tuple(c.argv) for c in analysis.commands if c.argv)


_HARD: Final = frozenset("'\"\\$`(){}<>#\n*?[]~")
#: the ASCII characters of a set as bytes: an ASCII text holds none of them exactly when
#: ``text.encode().translate(None, these)`` is as long as the text (a C pass; a frozenset's
#: ``isdisjoint`` hashes and looks up each character of the text, ~1.6x slower on the
#: benchmark's lines)
_HARD_BYTES: Final = "".join(sorted(_HARD)).encode("ascii")
_GATE_BYTES: Final = "".join(sorted(_NORMALIZE_GATE)).encode("ascii")
_SEPARATOR_BYTES: Final = b"|;&"
_RESERVED: Final = frozenset(
    {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
     "select", "function", "{", "}", "!", "[[", "]]", "time", "coproc"}
)  # fmt: skip
_LIST_SPLIT: Final = re.compile(r"\|\||&&|[|;&]")
_SEPARATORS: Final = frozenset("|;&")


def _simple_split(script: str, limit: int | None = None) -> list[list[str]] | None:
    """A fast split for lines without quoting, expansions or compound commands (most
    agent commands); None when the full splitter is needed. ``limit``: stop after that
    many commands (the ones before do not depend on what follows)."""
    if script.isascii():
        data = script.encode()
        if len(data.translate(None, _HARD_BYTES)) != len(data):
            return None
        one = len(data.translate(None, _SEPARATOR_BYTES)) == len(data)
    else:
        if not _HARD.isdisjoint(script):
            return None
        one = _SEPARATORS.isdisjoint(script)
    out = []
    start = 0
    # one command (most): no separator to look for, the loop runs once on the whole text
    seps = iter(()) if one else _LIST_SPLIT.finditer(script)
    while start >= 0:
        m = next(seps, None)
        if m is None:
            part, start = script[start:], -1
        else:
            part, start = script[start : m.start()], m.end()
        words = part.split()
        if not words:
            continue
        if words[0] in _RESERVED:
            return None
        i = 0
        while i < len(words) and "=" in words[i] and _ASSIGNMENT.match(words[i]):
            i += 1
        if i < len(words):
            out.append(words[i:])
            if limit is not None and len(out) >= limit:
                break
    return out


#: a script's commands are read from its first this many characters (the splitter costs
#: 1-10 µs a character; a sandbox refuses scripts of more than 512 Ki, and runs each
#: command as an event of its own)
SPLIT_MAX_CHARS: Final = 64 * 1024


def split_script(script: str, limit: int | None = None) -> list[list[str]]:
    """The argv of every simple command ``script`` runs (substitutions included); with
    ``limit``, of the first ``limit`` of them (read from its first
    :data:`SPLIT_MAX_CHARS` characters)."""
    if len(script) > SPLIT_MAX_CHARS:  # the rest runs as commands, each an event of its own
        script = script[:SPLIT_MAX_CHARS]
    fast = _simple_split(script, limit)
    if fast is not None:
        return fast
    parts = _split_script(script) if len(script) <= 8192 else _split_long(script)
    return [list(p) for p in parts[:limit]]


#: long scripts are kept apart, only the last two: a script is split by the precheck and
#: by each of its events (one split, not three), and big texts do not fill the cache above
_split_long = lru_cache(maxsize=2)(_split_script.__wrapped__)


def _derive(
    event: Any,
    action: Any,
    argv: list[str],
    line: str | None,
    out: list[Subject],
    depth: int,
    via: str,
) -> None:
    if depth > _MAX_DEPTH or len(out) >= _MAX_DERIVED or not argv:
        return
    prog = _basename(argv[0])
    if not _runs_inner(prog):
        return
    cmds, scripts, codes = _inner(argv)
    type_ = out[0].type  # the event's own subject's
    for inner in cmds:
        if len(out) >= _MAX_DERIVED or not inner:
            break
        sub = Subject(event, "exec", action, inner, line, None, None, True, via, type_)
        out.append(sub)
        _derive(event, action, inner, line, out, depth + 1, via)
    for script in scripts:
        for inner in split_script(script, _MAX_DERIVED):
            if len(out) >= _MAX_DERIVED:
                break
            sub = Subject(event, "exec", action, inner, script, None, None, True, via, type_)
            out.append(sub)
            _derive(event, action, inner, script, out, depth + 1, via)
        _add_normalized(event, action, script, out, depth + 1, via)
    for language, code in codes:
        if len(out) >= _MAX_DERIVED:
            break
        out.append(Subject(event, "code", action, None, code, code, language, True, via, type_))


def _add_normalized(
    event: Any, action: Any, text: str, out: list[Subject], depth: int, via: str
) -> None:
    """When ``text`` (a command line or script) is obfuscated, the text as the shell
    runs it (:func:`normalize.deobfuscate`) as one more code subject and its commands."""
    if not _gated(text) or len(out) >= _MAX_DERIVED or depth > _MAX_DEPTH:
        return
    norm = deobfuscate(text)
    if norm is None:
        return
    type_ = out[0].type  # the event's own subject's
    out.append(Subject(event, "code", action, None, norm, norm, "shell", True, via, type_))
    for inner in split_script(norm, _MAX_DERIVED):
        if len(out) >= _MAX_DERIVED:
            break
        out.append(Subject(event, "exec", action, inner, norm, None, None, True, via, type_))
        _derive(event, action, inner, norm, out, depth + 1, via)


def _gated(text: str) -> bool:
    """Whether ``text`` holds a character deobfuscation looks at (:data:`normalize.GATE`)."""
    if text.isascii():
        return len(text.encode().translate(None, _GATE_BYTES)) != len(text)
    return not _NORMALIZE_GATE.isdisjoint(text)


_RUNS_INNER: dict[str, bool] = {}


def _runs_inner(prog: str) -> bool:
    """Whether a program may run other commands or code (a wrapper, shell, interpreter)."""
    got = _RUNS_INNER.get(prog)
    if got is None:
        got = prog in _UNWRAPS or _PYTHON.match(prog) is not None
        if len(_RUNS_INNER) >= 4096:
            _RUNS_INNER.clear()
        _RUNS_INNER[prog] = got
    return got


_EVENT_ACTION: Final[Any] = object()


def subjects_of(
    event: Any,
    action: Any = _EVENT_ACTION,
    type_: str | None = None,
    fields: dict[str, Any] | None = None,
) -> list[Subject]:
    """The subjects rules see for ``event``: the event, then what it runs (see above).
    ``action``, ``type_`` and ``fields`` (the action's ``__dict__``): the event's own,
    when the caller has read them."""
    if action is _EVENT_ACTION:
        action = event.action
    if action is None:
        return [Subject(event, None, None, None, None, None, None, False, None, type_)]
    # the action's fields read from its dict (a pydantic model's attributes go
    # through its ``__getattr__`` hook, unspecialized)
    if fields is None:
        fields = action.__dict__
    kind = fields["kind"]
    if kind == "exec":
        argv = fields["argv"]
        line = fields["line"] or " ".join(argv)
        subj = Subject(event, "exec", action, argv, line, None, None, False, None, type_, fields)
        if not argv:
            return [subj]
        prog = subj.program
        out = [subj]
        if prog is not None:
            runs = _RUNS_INNER.get(prog)
            if runs is None:
                runs = _runs_inner(prog)
            if runs:
                _derive(event, action, argv, line, out, 1, prog)
        # :func:`_gated`, inlined
        if (
            len(line.encode().translate(None, _GATE_BYTES)) != len(line)
            if line.isascii()
            else not _NORMALIZE_GATE.isdisjoint(line)
        ):
            _add_normalized(event, action, line, out, 1, "normalized")
        return out
    if kind == "spawn":
        argv = fields["argv"]
        line = " ".join(argv)
        subj = Subject(event, "spawn", action, argv, line, None, None, False, None, type_, fields)
        prog = subj.program
        out = [subj]
        if argv and prog is not None and _runs_inner(prog):
            _derive(event, action, argv, subj.line, out, 1, prog)
        if argv and _gated(subj.line):
            _add_normalized(event, action, subj.line, out, 1, "normalized")
        return out
    if kind == "code":
        code = fields["code"]
        language = fields["language"]
        lang = language
        subj = Subject(event, "code", action, None, code, code, lang, False, None, type_, fields)
        if language != "shell":
            return [subj]
        out = [subj]
        for argv in split_script(code, _MAX_DERIVED):
            if len(out) >= _MAX_DERIVED:
                break
            sub = Subject(event, "exec", action, argv, code, None, None, True, "shell", type_)
            out.append(sub)
            # :func:`_runs_inner`'s kept answer first: most commands run nothing inside
            prog = sub.program
            runs = _RUNS_INNER.get(prog) if prog is not None else False
            if runs is None:
                runs = _runs_inner(prog)  # type: ignore[arg-type]
            if runs:
                _derive(event, action, argv, code, out, 1, "shell")
        if (  # :func:`_gated`, inlined
            len(code.encode().translate(None, _GATE_BYTES)) != len(code)
            if code.isascii()
            else not _NORMALIZE_GATE.isdisjoint(code)
        ):
            _add_normalized(event, action, code, out, 1, "shell")
        return out
    return [Subject(event, kind, action, None, None, None, None, False, None, type_, fields)]


# -------------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class FieldSpec:
    """A field rules can test: its name, the action kinds that have it (``None``: any
    event), its value type (``str``, ``int``, ``list``, ``any``) and its getter."""

    name: str
    kinds: frozenset[str] | None
    type: str
    get: Callable[[Subject], Any]
    outcome: bool = False  # read from a completed action's outcome


_EXEC: Final = frozenset({"exec", "spawn"})


def _attr(name: str, kinds: frozenset[str]) -> Callable[[Subject], Any]:
    # read from the action's dict: a pydantic model's attributes go through its
    # ``__getattr__`` hook, unspecialized (one read of ``__dict__`` instead of two hooks)
    if len(kinds) == 1:
        (only,) = kinds

        def get_one(s: Subject) -> Any:
            fields = s.fields
            if fields is None:
                a = s.action
                if a is None:
                    return None
                fields = a.__dict__
            return fields[name] if fields["kind"] == only else None

        return get_one

    def get(s: Subject) -> Any:
        fields = s.fields
        if fields is None:
            a = s.action
            if a is None:
                return None
            fields = a.__dict__
        return fields[name] if fields["kind"] in kinds else None

    return get


def _decision_attr(name: str) -> Callable[[Subject], Any]:
    def get(s: Subject) -> Any:
        d = s.event.decision
        return getattr(d, name, None) if d is not None else None

    return get


_BYTES_KEYS: Final = ("bytes_out", "bytes_sent", "tx_bytes", "bytes", "upload_bytes")


def _bytes(s: Subject) -> Any:
    for src in (s.event.outcome, s.event.data):
        if src:
            for key in _BYTES_KEYS:
                v = src.get(key)
                if isinstance(v, _NUMBER) and not isinstance(v, bool):
                    return v
    return None


def _exit_code(s: Subject) -> Any:
    o = s.event.outcome
    return o.get("exit_code") if o else None


def _tool_name(s: Subject) -> Any:
    return s.action.name if s.kind == "tool" else None


def _check_finding(s: Subject) -> Any:
    """What the command line does to a test run or checker (:mod:`.checks`): the first
    finding (one alert per command). Read on the event's own subject only: the
    commands derived from it are in its line. Read on scripts (a shell ``code`` action:
    every command line the corral shell runs arrives first as one) and on real program
    starts (``spawn``), not again on each command the shell reports as it runs it
    (``exec``: the script already held it; reading it there cost ~7 % of the monitor's
    events per second)."""
    kind = s.kind
    if s.derived or kind == "exec":
        return None
    if kind == "code" and s.language not in ("shell", "bash", "sh"):
        return None
    line = s.line
    if quiet_command(s.program, line):
        return None
    got = check_findings(line)
    return got[0] if got else None


def _env(s: Subject) -> Any:
    a = s.action
    return a.env if a is not None and a.kind == "exec" else None


_INTERPRETERS: Final = frozenset(
    {*_SHELLS, "source", ".", "perl", "ruby", "node", "nodejs", "php", "lua", "Rscript", "deno",
     "bun", "tclsh", "awk"}
)  # fmt: skip


def _runs(s: Subject) -> Any:
    argv = s.argv
    if not argv:
        return None
    prog = s.program or ""
    if prog in _INTERPRETERS or _PYTHON.match(prog):
        for a in argv[1:]:
            if a == "-c" or a == "-e" or a == "-m":
                break
            if not a.startswith("-"):
                return (argv[0], a)
    return (argv[0],)


FIELDS: Final[dict[str, FieldSpec]] = {
    f.name: f
    for f in (
        FieldSpec("type", None, "str", attrgetter("type")),
        FieldSpec("kind", None, "str", attrgetter("kind")),
        FieldSpec("session", None, "str", attrgetter("event.session")),
        FieldSpec("program", _EXEC, "str", attrgetter("program")),
        FieldSpec("argv", _EXEC, "list", attrgetter("argv")),
        FieldSpec("args", _EXEC, "str", attrgetter("args")),
        FieldSpec("flags", _EXEC, "list", attrgetter("flags")),
        FieldSpec("runs", _EXEC, "list", _runs),
        FieldSpec("line", frozenset({"exec", "spawn", "code"}), "str", attrgetter("line")),
        FieldSpec("check", frozenset({"spawn", "code"}), "str", _check_finding),
        FieldSpec("cwd", frozenset({"exec"}), "str", _attr("cwd", frozenset({"exec"}))),
        FieldSpec("exe", frozenset({"spawn"}), "str", _attr("exe", frozenset({"spawn"}))),
        FieldSpec("pid", frozenset({"spawn"}), "int", _attr("pid", frozenset({"spawn"}))),
        FieldSpec("ppid", frozenset({"spawn"}), "int", _attr("ppid", frozenset({"spawn"}))),
        FieldSpec("path", frozenset({"file"}), "str", _attr("path", frozenset({"file"}))),
        FieldSpec("op", frozenset({"file"}), "str", _attr("op", frozenset({"file"}))),
        FieldSpec("size", frozenset({"file"}), "int", _attr("size", frozenset({"file"}))),
        FieldSpec("host", frozenset({"net"}), "str", _attr("host", frozenset({"net"}))),
        FieldSpec("port", frozenset({"net"}), "int", _attr("port", frozenset({"net"}))),
        FieldSpec("url", frozenset({"net"}), "str", _attr("url", frozenset({"net"}))),
        FieldSpec("protocol", frozenset({"net"}), "str", _attr("protocol", frozenset({"net"}))),
        FieldSpec("tool", frozenset({"tool"}), "str", _tool_name),
        FieldSpec("code", frozenset({"code"}), "str", attrgetter("code")),
        FieldSpec("language", frozenset({"code"}), "str", attrgetter("language")),
        FieldSpec("verdict", None, "str", _decision_attr("verdict")),
        FieldSpec("reason", None, "str", _decision_attr("reason")),
        FieldSpec("bytes", None, "int", _bytes, outcome=True),
        FieldSpec("exit_code", None, "int", _exit_code, outcome=True),
    )
}
FIELDS["action.kind"] = FieldSpec("action.kind", None, "str", attrgetter("kind"))
_PREFIXES: Final = ("data.", "outcome.", "arg.", "env.")
_ARGV_INDEX: Final = re.compile(r"^argv\[(-?\d+)\]$")


def _data_key(key: str) -> Callable[[Subject], Any]:
    """``data.KEY``: one key of the event's data."""

    def get(s: Subject) -> Any:
        d = s.event.data
        return d.get(key) if isinstance(d, dict) else None

    return get


def _nested(root: Callable[[Subject], Any], keys: list[str]) -> Callable[[Subject], Any]:
    def get(s: Subject) -> Any:
        v = root(s)
        for k in keys:
            if isinstance(v, dict):
                v = v.get(k)
            elif isinstance(v, list) and k.lstrip("-").isdigit():
                i = int(k)
                v = v[i] if -len(v) <= i < len(v) else None
            else:
                return None
        return v

    return get


@lru_cache(maxsize=512)
def field_spec(name: str) -> FieldSpec | None:
    """The :class:`FieldSpec` for a field name (``None`` when there is no such field)."""
    spec = FIELDS.get(name)
    if spec is not None:
        return spec
    m = _ARGV_INDEX.match(name)
    if m:
        i = int(m.group(1))

        def get(s: Subject) -> Any:
            argv = s.argv
            return argv[i] if argv is not None and -len(argv) <= i < len(argv) else None

        return FieldSpec(name, _EXEC, "str", get)
    for prefix in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            keys = name[len(prefix) :].split(".")
            if prefix == "data.":
                get = _data_key(keys[0]) if len(keys) == 1 else None
                return FieldSpec(name, None, "any", get or _nested(lambda s: s.event.data, keys))
            if prefix == "outcome.":
                return FieldSpec(
                    name, None, "any", _nested(lambda s: s.event.outcome, keys), outcome=True
                )
            if prefix == "arg.":
                return FieldSpec(
                    name,
                    frozenset({"tool"}),
                    "any",
                    _nested(lambda s: s.action.args if s.kind == "tool" else None, keys),
                )
            if prefix == "env.":
                return FieldSpec(name, frozenset({"exec"}), "any", _nested(_env, keys))
    return None


def field_names() -> list[str]:
    return [*FIELDS, "argv[N]", "data.KEY", "outcome.KEY", "arg.KEY", "env.NAME"]


# ----------------------------------------------------------------------------- operators

OPERATORS: Final = (
    "equals",
    "in",
    "glob",
    "regex",
    "contains",
    "startswith",
    "endswith",
    "cidr",
    "domain",
    "word",
    ">",
    "<",
    ">=",
    "<=",
    "exists",
    "not",
)
OP_ALIASES: Final = {"gt": ">", "lt": "<", "gte": ">=", "ge": ">=", "lte": "<=", "le": "<="}
MULTI_OPS: Final = frozenset(
    {"glob", "regex", "contains", "startswith", "endswith", "cidr", "domain", "word", "in"}
)
NUMERIC_OPS: Final = frozenset({">", "<", ">=", "<="})

_GLOBAL_FLAGS: Final = re.compile(r"^\(\?([aiLmsux]+)\)")


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, _NUMBER):
        return v
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _coerce(value: Any, ftype: str) -> Any:
    if ftype == "int" and not isinstance(value, bool):
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise RuleSyntaxError(f"expected a whole number, got {value!r}")
    if ftype in ("str", "list"):
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            raise RuleSyntaxError(f"expected a string, got {type(value).__name__}")
    return value


def scoped_regex(source: str) -> str:
    """``(?i)abc`` as ``(?i:abc)``, so the pattern can be combined with others."""
    m = _GLOBAL_FLAGS.match(source)
    if not m:
        return source
    flags = "".join(f for f in m.group(1) if f in "imsx")
    rest = source[m.end() :]
    return f"(?{flags}:{rest})" if flags else f"(?:{rest})"


def compile_regex(source: str) -> re.Pattern[str]:
    try:
        return saferegex.compile(source)
    except re.error as exc:
        raise RuleSyntaxError(f"invalid regular expression {source!r}: {exc}") from None


def _glob_regex(pattern: str) -> str:
    return fnmatch.translate(pattern)


@dataclass(frozen=True)
class OpInfo:
    """A compiled operator: its test on a present value, and what indexes it allows."""

    op: str
    test: Callable[[Any], bool]
    keys: frozenset[Any] | None = None  # equals/in on a scalar field: the values
    screen: str | None = None  # a regex any matching (string) value matches
    groups: bool = False  # a regex with named groups (captures)
    regexes: tuple[re.Pattern[str], ...] = ()
    #: a regex operator's search: one match (or None) per regex, each regex run at most
    #: once and only on a text that holds the strings it needs
    matches: Callable[[str], list[Any] | None] | None = None
    listy: bool = False  # on a list field: holds when it holds for an element
    #: contains/startswith/endswith: the strings; regex: the patterns (read by
    #: :mod:`.compiled`)
    strings: tuple[str, ...] = ()


def _any_elem(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def t(v: Any) -> bool:
        if isinstance(v, _SEQUENCE):
            return any(test(x) for x in v if x is not None)
        return test(v)

    return t


def _tester(rx: Any) -> Callable[[str], bool]:
    """``rx.search(v) is not None`` as one call (saferegex's ``test`` skips the match)."""
    fast = getattr(rx, "test", None)
    if fast is not None:
        return fast  # type: ignore[no-any-return]
    search = rx.search
    return lambda v: search(v) is not None


Need = tuple[tuple[str, ...], ...]  # sets of casefolded strings, one of each needed


def _checks(source: str) -> tuple[Need, tuple[Need, ...]]:
    """What a text needs for the regex ``source`` to match: sets of casefolded strings
    it must hold one of each, and alternatives (per branch of its alternation,
    :func:`prefilter.required_any_all`) one of which it must also satisfy; empty:
    nothing known. The sets every branch needs are checked once, first."""
    stripped = _strip_groups(source)
    alts = [list(need) for need in required_any_all(stripped)]
    best = required(stripped)
    common = [lits for lits in alts[0] if all(lits in a for a in alts[1:])] if alts else []
    if best and best not in common:
        common.insert(0, best)
    rest = [tuple(lits for lits in a if lits not in common) for a in alts] if len(alts) > 1 else []
    if any(not r for r in rest):
        rest = []  # a branch that needs nothing more: the branches tell nothing

    def folded_sets(sets: Iterable[frozenset[str]]) -> Need:
        return tuple(tuple(sorted(x.casefold() for x in lits)) for lits in sets)

    return folded_sets(common), tuple(folded_sets(r) for r in rest)


def _may_match(common: Need, alts: tuple[Need, ...], lower: str) -> bool:
    """Whether a text (``lower``: casefolded) holds what a regex cannot match without
    (:func:`_checks`): one string of each set of ``common``, and all the sets of one of
    ``alts`` when there are any. Loops, not ``any(map(...))``: no iterator is made per
    set (most sets hold one or two strings)."""
    for lits in common:
        for lit in lits:
            if lit in lower:
                break
        else:
            return False
    if not alts:
        return True
    for need in alts:  # one branch's strings all there: the regex may match
        for lits in need:
            for lit in lits:
                if lit in lower:
                    break
            else:
                break
        else:
            return True
    return False  # no branch can match: the regex need not run


def _regex_test(regexes: tuple[Any, ...], sources: tuple[str, ...]) -> Callable[[Any], bool]:
    """Whether a value is a string one of the regexes finds something in. Each regex is
    behind literal checks: a text that lacks every string of a set the regex cannot
    match without (:func:`_checks`) is not handed to it; casefolded on both sides (once
    for all the regexes), so case-insensitive patterns (``ſ`` for ``s``) pass.

    The last answer is kept by identity: the commands a script runs (up to 32) share
    its text, which the line rules would otherwise scan once per command, and the rules
    with the same patterns (:func:`_regex_ops`) read the same text of a subject."""
    plans = tuple(
        (checks, _tester(r)) for r, checks in zip(regexes, _all_checks(sources), strict=True)
    )
    last: list[tuple[Any, bool]] = [("", False)]

    if len(plans) == 1:
        ((common, alts), t0) = plans[0]
        if not alts:  # the commonest: one pattern, sets of strings it needs

            def test_one(v: Any) -> bool:
                if not isinstance(v, str):
                    return False
                got = last[0]
                if got[0] is v:
                    return got[1]
                # :func:`_may_match`, inlined
                lower = kept_folded(v)
                if lower is None:
                    lower = folded(v)
                for lits in common:
                    for lit in lits:
                        if lit in lower:
                            break
                    else:
                        last[0] = (v, False)
                        return False
                ok = t0(v)
                last[0] = (v, ok)
                return ok

            return test_one

    def test(v: Any) -> bool:
        if not isinstance(v, str):
            return False
        got = last[0]
        if got[0] is v:
            return got[1]
        ok = False
        lower = kept_folded(v)
        if lower is None:
            lower = folded(v)
        for (common, alts), t in plans:
            if _may_match(common, alts, lower) and t(v):
                ok = True
                break
        last[0] = (v, ok)
        return ok

    return test


_LONG: Final = 128


@lru_cache(maxsize=1024)
def _all_checks(sources: tuple[str, ...]) -> tuple[tuple[Need, tuple[Need, ...]], ...]:
    return tuple(_checks(src) for src in sources)


def _regex_matches(
    regexes: tuple[Any, ...], sources: tuple[str, ...]
) -> Callable[[str], list[Any] | None]:
    """For a text, the match of each regex (``None``: no match), or ``None`` when no
    regex matches; a regex runs only on a text that holds the strings it needs
    (:func:`_checks`, as in :func:`_regex_test`). What a capturing condition records,
    found by one search per regex instead of a test and then a search. The last answer
    is kept by identity, as :func:`_regex_test` does (callers do not change it)."""
    plans = tuple(zip(_all_checks(sources), (r.search for r in regexes), strict=True))
    n = len(plans)
    last: list[tuple[Any, list[Any] | None]] = [("", None)]

    def matches(v: str) -> list[Any] | None:
        got = last[0]
        if got[0] is v:
            return got[1]
        out: list[Any] | None = None
        lower = folded(v)
        for j, ((common, alts), search) in enumerate(plans):
            if not _may_match(common, alts, lower):
                continue
            m = search(v)
            if m is not None:
                if out is None:
                    out = [None] * n
                out[j] = m
        last[0] = (v, out)
        return out

    return matches


@lru_cache(maxsize=1024)
def _regex_ops(
    pats: tuple[str, ...],
) -> tuple[tuple[Any, ...], Callable[[Any], bool], Callable[[str], list[Any] | None] | None]:
    """The compiled patterns, test and (with named groups) matches of a ``regex``
    operator; one for every operator with the same patterns (packs repeat conditions
    through anchors and lists), so their answers on a text are found once."""
    compiled = tuple(compile_regex(p) for p in pats)
    groups = any(r.groupindex for r in compiled)
    found = _regex_matches(compiled, pats) if groups else None
    return compiled, _regex_test(compiled, pats), found


@lru_cache(maxsize=1024)
def _contains(subs: tuple[str, ...]) -> Callable[[Any], bool]:
    """Whether a value is a string holding one of ``subs``: one ``in`` each for a few
    strings on a short text, else one pass for all of them (an RE2 set; the last answer
    kept by identity). One for every operator with the same strings (a pack's lists)."""
    many = LiteralSet(subs, fold=False) if len(subs) > 2 else None
    few = len(subs) <= 8
    last: list[tuple[Any, bool]] = [("", False)]

    def test(v: Any) -> bool:
        if not isinstance(v, str):
            return False
        if many is None or (few and len(v) <= _LONG):
            return any(map(v.__contains__, subs))
        got = last[0]
        if got[0] is v:
            return got[1]
        ok = bool(many.found(v))
        last[0] = (v, ok)
        return ok

    return test


def _member(values: frozenset[Any]) -> Callable[[Any], bool]:
    """``v in values`` where ``v`` may be a list or a mapping from data (never one of them)."""

    def member(v: Any) -> bool:
        try:
            return v in values
        except TypeError:
            return False

    return member


def build_operator(op: str, operand: Any, ftype: str) -> OpInfo:
    """Compile ``op`` with ``operand`` for a field of type ``ftype``.

    ``operand`` is already list-expanded; for the multi-operand operators it is a list.
    Raises :class:`RuleSyntaxError` for a bad operand.
    """
    listy = ftype == "list"
    elem = "str" if listy else ftype
    if op == "equals":
        value = _coerce(operand, elem)
        info = OpInfo(op, (lambda v: v == value), frozenset({value}), None)
        if elem == "str":
            info = OpInfo(op, info.test, info.keys, r"\A" + re.escape(value) + r"\Z")
    elif op == "in":
        values = frozenset(_coerce(v, elem) for v in operand)
        screen = None
        if elem == "str":
            screen = r"\A(?:" + "|".join(re.escape(v) for v in sorted(values)) + r")\Z"
        info = OpInfo(op, _member(values) if elem == "any" else values.__contains__, values, screen)
    elif op in ("contains", "startswith", "endswith"):
        subs = tuple(_coerce(v, "str") for v in operand)
        alts = "|".join(re.escape(s) for s in subs)
        if op == "contains":
            info = OpInfo(op, _contains(subs), None, f"(?:{alts})", strings=subs)
        elif op == "startswith":
            info = OpInfo(
                op, lambda v: isinstance(v, str) and v.startswith(subs), None, f"\\A(?:{alts})",
                strings=subs,
            )  # fmt: skip
        else:
            info = OpInfo(
                op, lambda v: isinstance(v, str) and v.endswith(subs), None, f"(?:{alts})\\Z",
                strings=subs,
            )  # fmt: skip
    elif op == "glob":
        pats = tuple(_coerce(v, "str") for v in operand)
        sources = [_glob_regex(p) for p in pats]
        rx = compile_regex("|".join(f"(?:{s})" for s in sources))
        fm = rx.match
        screen = r"\A(?:" + "|".join(f"(?:{s})" for s in sources) + ")"
        info = OpInfo(op, lambda v: isinstance(v, str) and fm(v) is not None, None, screen)
    elif op == "regex":
        pats = tuple(_coerce(v, "str") for v in operand)
        compiled, test, found = _regex_ops(pats)
        screen = "|".join(f"(?:{scoped_regex(p)})" for p in pats)
        info = OpInfo(op, test, None, screen, found is not None, compiled, found, strings=pats)
    elif op == "cidr":
        try:
            nets = tuple(ipaddress.ip_network(str(v), strict=False) for v in operand)
        except ValueError as exc:
            raise RuleSyntaxError(f"invalid CIDR: {exc}") from None

        seen: dict[str, bool] = {}  # hosts repeat: parsing a name fails by exception

        def in_nets(v: Any) -> bool:
            text = str(v)
            got = seen.get(text)
            if got is not None:
                return got
            try:
                addr = ipaddress.ip_address(text.strip("[]"))
            except ValueError:
                got = False
            else:
                got = any(addr in n for n in nets if n.version == addr.version)
            if len(seen) >= 4096:
                seen.clear()
            seen[text] = got
            return got

        info = OpInfo(op, in_nets)
    elif op == "word":
        words = tuple(_coerce(v, "str") for v in operand)
        source = r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])"
        rx = compile_regex(source)
        wtest = _tester(rx)
        info = OpInfo(op, lambda v: isinstance(v, str) and wtest(v), None, source)
    elif op == "domain":
        doms = tuple(_coerce(v, "str").lower().strip(".") for v in operand)
        dotted = tuple("." + d for d in doms)
        alts = "|".join(re.escape(d) for d in doms)

        def in_domain(v: Any) -> bool:
            if not isinstance(v, str):
                return False
            h = v.lower().rstrip(".")
            return h in doms or h.endswith(dotted)

        info = OpInfo(op, in_domain, None, f"(?i:(?:\\A|\\.)(?:{alts})\\.?\\Z)")
    elif op in NUMERIC_OPS:
        bound = _num(operand)
        if bound is None:
            raise RuleSyntaxError(f"expected a number, got {operand!r}")
        cmp = {
            ">": lambda x: x > bound,
            "<": lambda x: x < bound,
            ">=": lambda x: x >= bound,
            "<=": lambda x: x <= bound,
        }[op]

        def numeric(v: Any) -> bool:
            x = _num(v)
            return x is not None and cmp(x)

        return OpInfo(op, numeric)
    else:  # pragma: no cover - the loader checks operator names
        raise RuleSyntaxError(f"unknown operator {op!r}")
    if listy:
        return OpInfo(
            info.op, _any_elem(info.test), None, None, info.groups, info.regexes, info.matches,
            listy=True,
        )  # fmt: skip
    return info


# ---------------------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Pred:
    """``field`` satisfies every one of ``ops`` (``negate``: exists and does not)."""

    field: FieldSpec
    ops: tuple[OpInfo, ...]
    exists: bool | None = None  # `exists: true/false`
    negate: bool = False


@dataclass(frozen=True)
class AllOf:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class NotOf:
    item: Cond


Cond = Pred | AllOf | AnyOf | NotOf


def _pred_test(p: Pred) -> Callable[[Subject], bool]:
    get = p.field.get
    if p.exists is not None and not p.ops:
        want = p.exists
        return lambda s: (get(s) is not None) is want
    capturing = tuple(r for o in p.ops if o.groups for r in o.regexes)
    tests = tuple(o.test for o in p.ops)
    if len(tests) == 1 and not capturing:
        t0 = tests[0]
        if p.negate:
            return lambda s: (v := get(s)) is not None and not t0(v)
        return lambda s: (v := get(s)) is not None and t0(v)

    ops = p.ops
    negate = p.negate
    every = _every(tests)

    def test(s: Subject) -> bool:
        v = get(s)
        if v is None:
            return False
        caps = s.caps
        if caps is None or negate or not capturing:
            ok = every(v)
            return not ok if negate else ok
        # each regex of a capturing operator searched once: its matches decide the
        # operator and give the captures (in the order of the operators and regexes)
        found: list[Any] = []
        for o in ops:
            matches = o.matches
            if matches is None:
                if not o.test(v):
                    return False
                continue
            if isinstance(v, str):
                first = matches(v)
            elif o.listy and isinstance(v, _SEQUENCE):
                first = None
                for x in v:
                    got = matches(x) if isinstance(x, str) else None
                    if got is None:
                        continue
                    if first is None:
                        first = got
                    else:  # each regex keeps its first element's match
                        first = [a if a is not None else b for a, b in zip(first, got, strict=True)]
            else:
                return False
            if first is None:
                return False
            found.extend(first)
        for m in found:
            if m is not None:
                caps.update({k: g for k, g in m.groupdict().items() if g is not None})
        return True

    return test


def cond_test(c: Cond) -> Callable[[Subject], bool]:
    """A fast ``subject -> bool`` for a condition."""
    if isinstance(c, Pred):
        return _pred_test(c)
    if isinstance(c, NotOf):
        inner = cond_test(c.item)
        return lambda s: not inner(s)
    tests = tuple(cond_test(i) for i in c.items)
    if isinstance(c, AllOf):
        if len(tests) == 1:
            return tests[0]
        if len(tests) == 2:
            a, b = tests
            return lambda s: a(s) and b(s)
        if len(tests) == 3:
            a, b, c3 = tests
            return lambda s: a(s) and b(s) and c3(s)
        return _every(tests)
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda s: a(s) or b(s)
    if len(tests) == 3:
        a, b, c3 = tests
        return lambda s: a(s) or b(s) or c3(s)
    return _some(tests)


def _every(tests: tuple[Callable[[Any], bool], ...]) -> Callable[[Any], bool]:
    """All of ``tests`` hold (in order, stopping at the first that does not); a loop,
    which costs less than ``all()`` over a generator."""

    def every(s: Any) -> bool:
        for t in tests:  # noqa: SIM110 - a loop: no generator per call
            if not t(s):
                return False
        return True

    return every


def _some(tests: tuple[Callable[[Any], bool], ...]) -> Callable[[Any], bool]:
    """One of ``tests`` holds (in order, stopping at the first that does)."""

    def some(s: Any) -> bool:
        for t in tests:  # noqa: SIM110 - a loop: no generator per call
            if t(s):
                return True
        return False

    return some


def cond_kinds(c: Cond) -> frozenset[str] | None:
    """The action kinds an event can have and satisfy ``c`` (``None``: any, or none)."""
    if isinstance(c, Pred):
        if c.field.name in ("kind", "action.kind") and not c.negate:
            for o in c.ops:
                if o.keys is not None:
                    return frozenset(str(k) for k in o.keys)
        if c.exists is False or c.negate:
            return None
        return c.field.kinds
    if isinstance(c, NotOf):
        return None
    parts = [cond_kinds(i) for i in c.items]
    if isinstance(c, AllOf):
        out: frozenset[str] | None = None
        for p in parts:
            if p is not None:
                out = p if out is None else out & p
        return out
    if any(p is None for p in parts):
        return None
    return frozenset().union(*parts)  # type: ignore[arg-type]


def cond_types(c: Cond) -> frozenset[str] | None:
    """Event types named by an equals/in on ``type`` at the top of ``c``."""
    if isinstance(c, Pred):
        if c.field.name == "type" and not c.negate:
            for o in c.ops:
                if o.keys is not None:
                    return frozenset(str(k) for k in o.keys)
        return None
    if isinstance(c, AllOf):
        for i in c.items:
            t = cond_types(i)
            if t is not None:
                return t
        return None
    if isinstance(c, AnyOf):
        parts = [cond_types(i) for i in c.items]
        if all(p is not None for p in parts):
            return frozenset().union(*parts)  # type: ignore[arg-type]
    return None


def cond_uses(c: Cond, pred: Callable[[FieldSpec], bool]) -> bool:
    if isinstance(c, Pred):
        return pred(c.field)
    if isinstance(c, NotOf):
        return cond_uses(c.item, pred)
    return any(cond_uses(i, pred) for i in c.items)


def cond_fields(c: Cond) -> Iterable[FieldSpec]:
    if isinstance(c, Pred):
        yield c.field
    elif isinstance(c, NotOf):
        yield from cond_fields(c.item)
    else:
        for i in c.items:
            yield from cond_fields(i)


# index hints: ("key", field, values, pred) or ("screen", field, regex source, pred)
_KEY_PRIORITY: Final = {
    "program": 0, "tool": 1, "port": 3, "language": 4, "op": 5, "check": 7, "type": 9,
}  # fmt: skip
_KEY_PREFIXES: Final = ("data.", "arg.", "env.", "outcome.")  # equals/in on any value: 6
_SCREEN_PRIORITY: Final = {
    "program": 1,
    "path": 2,
    "host": 2,
    "url": 2,
    "exe": 2,
    "tool": 2,
    "code": 3,
    "line": 3,
    "args": 3,
}


Hint = tuple[str, FieldSpec, Any, "Pred"]


def _key_priority(name: str) -> int | None:
    got = _KEY_PRIORITY.get(name)
    if got is None and name.startswith(_KEY_PREFIXES):
        return 6
    return got


def _pred_hint(c: Pred) -> Hint | None:
    if c.negate or not c.ops or c.field.type == "list":
        return None
    name = c.field.name
    if _key_priority(name) is not None:
        for o in c.ops:
            if o.keys is not None:
                return ("key", c.field, o.keys, c)
    if c.field.type == "str" and (name in _SCREEN_PRIORITY or name.startswith("argv[")):
        for o in c.ops:
            if o.screen is not None:
                return ("screen", c.field, o.screen, c)
    return None


def _rank(h: Hint) -> int:
    name = h[1].name
    if h[0] == "key":
        prio = _key_priority(name)
        assert prio is not None
        return prio * 2 if name == "program" else 4 + prio
    return 1 + _SCREEN_PRIORITY.get(name, 4)


def _short_len(h: Hint) -> int:
    """The length of the shortest literal one of which a screen's texts must hold."""
    lits = required_short(_strip_groups(h[2])) if h[0] != "key" else None
    return min((len(x) for x in lits), default=0) if lits else 0


def _flatten(c: AllOf) -> list[Cond]:
    out: list[Cond] = []
    for i in c.items:
        out.extend(_flatten(i) if isinstance(i, AllOf) else [i])
    return out


def _both(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    return a if b is None else a & b


Alternative = tuple[frozenset[str] | None, Hint | None, Cond]


def hints(c: Cond) -> list[Alternative]:
    """Alternatives, one of which holds for every subject that satisfies ``c``: each is
    (the action kinds it is for, a necessary index hint or ``None``: no shortcut, the
    condition of this alternative). ``c`` holds exactly when one alternative's
    condition holds (distributed over ``any``), and an alternative's condition implies
    its hint."""
    if isinstance(c, Pred):
        return [(cond_kinds(c), _pred_hint(c), c)]
    if isinstance(c, NotOf):
        return [(None, None, c)]
    if isinstance(c, AnyOf):
        return [alt for i in c.items for alt in hints(i)]
    kinds = cond_kinds(c)
    items = _flatten(c)
    singles = [h for i in items if isinstance(i, Pred) and (h := _pred_hint(i)) is not None]
    # the event type keys nothing the index's buckets (one per type) have not already
    # told apart: an ``any`` whose alternatives each have a hint (the programs of a
    # completed run) rules out more, and the type is kept only when nothing else is
    by_type = [h for h in singles if h[0] == "key" and h[1].name == "type"]
    if by_type and len(by_type) == len(singles):
        singles = []
    if singles:
        # a screen whose pattern has no literal to index costs as much as no hint at all
        usable = [h for h in singles if h[0] == "key" or required(_strip_groups(h[2]))]
        if usable:
            return [(kinds, min(usable, key=_rank), c)]
        # no trigram anywhere: the screen whose shorter literals rule out the most texts
        return [(kinds, min(singles, key=lambda h: (-_short_len(h), _rank(h))), c)]
    for n, i in enumerate(items):
        if isinstance(i, AnyOf):
            alts = hints(i)
            if all(h is not None for _, h, _ in alts):
                out: list[Alternative] = []
                for k, h, cond in alts:
                    inner = _flatten(cond) if isinstance(cond, AllOf) else [cond]
                    both = AllOf((*items[:n], *inner, *items[n + 1 :]))
                    out.append((_both(k, kinds), h, both))
                return out
    if by_type:
        return [(kinds, by_type[0], c)]
    return [(kinds, None, c)]


def _cost(c: Cond) -> int:
    """A rough order of what a condition costs to test (cheap first)."""
    if isinstance(c, Pred):
        ops = {o.op for o in c.ops}
        if ops & {"regex", "glob", "word"}:
            return 3
        return 2 if ops & {"cidr", "domain"} or c.field.name in ("args", "flags") else 0
    return 4


def alternative_cond(cond: Cond, hint: Hint | None) -> Cond | None:
    """What subjects the index found by ``hint`` are tested on: ``cond`` without the
    predicate the lookup already decided (an equals/in alone on its field), cheap tests
    first; None when nothing is left (it holds). Only for conditions without captures
    (whose tests have no side effects)."""
    items = _flatten(cond) if isinstance(cond, AllOf) else [cond]
    if hint is not None and hint[0] == "key":
        pred = hint[3]
        if len(pred.ops) == 1 and pred.exists is None and not pred.negate:
            items = [i for i in items if i is not pred]
    if not items:
        return None
    items.sort(key=_cost)
    return items[0] if len(items) == 1 else AllOf(tuple(items))


def alternative_test(cond: Cond, hint: Hint | None) -> Callable[[Subject], bool]:
    """The interpreter's test of :func:`alternative_cond` (:func:`_always_true` when
    nothing is left)."""
    alt = alternative_cond(cond, hint)
    return _always_true if alt is None else cond_test(alt)


def _always_true(s: Subject) -> bool:
    return True


# --------------------------------------------------------------------------------- rules


@dataclass(frozen=True, eq=False)
class Matcher:
    """A compiled condition plus what the index needs: event types and action kinds."""

    cond: Cond
    test: Callable[[Subject], bool]
    types: frozenset[str]
    kinds: frozenset[str] | None
    captures: bool

    @classmethod
    def build(cls, cond: Cond, also: tuple[FieldSpec | None, ...] = ()) -> Matcher:
        """``also``: fields the rule reads besides the condition (threshold sums)."""
        types = cond_types(cond)
        if types is None:
            uses_outcome = cond_uses(cond, lambda f: f.outcome) or any(
                f is not None and f.outcome for f in also
            )
            types = frozenset({"action.completed"}) if uses_outcome else frozenset({ATTEMPT})
        captures = _has_groups(cond)
        return cls(cond, cond_test(cond), types, cond_kinds(cond), captures)


def _has_groups(c: Cond) -> bool:
    if isinstance(c, Pred):
        return any(o.groups for o in c.ops)
    if isinstance(c, NotOf):
        return False
    return any(_has_groups(i) for i in c.items)


@dataclass(frozen=True, eq=False)
class Threshold:
    match: Matcher
    count: float
    within_s: float
    distinct: FieldSpec | None = None
    sum: FieldSpec | None = None
    group_by: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True, eq=False)
class Step:
    match: Matcher
    #: (variable, fields whose value must equal it; the first present one binds it)
    binds: tuple[tuple[str, tuple[FieldSpec, ...]], ...] = ()


@dataclass(frozen=True, eq=False)
class Sequence:
    steps: tuple[Step, ...]
    within_s: float
    #: an event matching it while partial matches wait drops them (the chain is broken:
    #: a source file written between a failing and a passing test run)
    unless: Matcher | None = None


@dataclass(frozen=True, eq=False)
class Rule:
    """One compiled rule."""

    id: str
    title: str
    severity: str
    description: str = ""
    technique: str | None = None
    response: str | None = None
    tags: tuple[str, ...] = ()
    match: Matcher | None = None
    threshold: Threshold | None = None
    sequence: Sequence | None = None
    origin: str = ""
    pack: str = ""

    @property
    def kind(self) -> str:
        if self.threshold is not None:
            return "threshold"
        if self.sequence is not None:
            return "sequence"
        return "match"

    def matchers(self) -> list[tuple[Matcher, int]]:
        """(matcher, step index; -1 for match and threshold rules; a sequence's
        ``unless`` is the index one past its last step)."""
        if self.match is not None:
            return [(self.match, -1)]
        if self.threshold is not None:
            return [(self.threshold.match, -1)]
        seq = self.sequence
        assert seq is not None
        out = [(s.match, i) for i, s in enumerate(seq.steps)]
        if seq.unless is not None:
            out.append((seq.unless, len(seq.steps)))
        return out


def same_value(a: Any, b: Any) -> bool:
    """Whether two bound values name the same thing: ``/tmp/x``, ``./x`` and ``x`` do,
    and so do ``x`` and an option value ``file=@x`` or ``--out=x``; a list (``argv``)
    matches when one of its elements does."""
    if a == b:
        return True
    if isinstance(b, list | tuple):
        return any(same_value(a, x) for x in b)
    if isinstance(a, list | tuple):
        return any(same_value(x, b) for x in a)
    if not isinstance(a, str) or not isinstance(b, str):
        return str(a) == str(b)
    for sep in ("=@", "@", "="):
        if sep in b and not b.startswith(sep) and sep not in a:
            b = b.rsplit(sep, 1)[1]
        if sep in a and not a.startswith(sep) and sep not in b:
            a = a.rsplit(sep, 1)[1]
    a, b = a.strip("'\""), b.strip("'\"")
    if a == b:
        return True
    na = posixpath.normpath(a) if a else a
    nb = posixpath.normpath(b) if b else b
    if na == nb:
        return True
    if not na or not nb:
        return False
    if na.startswith("/") != nb.startswith("/"):
        rel, full = (na, nb) if nb.startswith("/") else (nb, na)
        return full.endswith("/" + rel)
    return False


# --------------------------------------------------------------------------------- index


@dataclass(eq=False, slots=True)
class _Entry:
    rule: Rule
    step: int  # -1: match/threshold
    test: Callable[[Subject], bool]
    captures: bool
    role: int = 0  # MATCH, THRESHOLD or STEP (set from the rule and step)

    def __post_init__(self) -> None:
        self.role = STEP if self.step >= 0 else MATCH if self.rule.match is not None else THRESHOLD


MATCH: Final = 0
THRESHOLD: Final = 1
STEP: Final = 2


@dataclass(frozen=True, slots=True)
class Plan:
    """What the index holds for one event type (an attempt or not): the action kinds
    (``None``: no action) some rule looks at, and the buckets for each."""

    kinds: frozenset[str | None]
    buckets: dict[str | None, tuple[_Frozen, ...]]
    #: per kind, the later sequence steps the buckets hold without an index hint
    #: (``kind: exec``): the engine adds them to the candidates only while a partial
    #: match of their rule waits for that step
    gated: dict[str | None, tuple[_Entry, ...]]
    #: (rule id, step) of every gated entry
    gated_steps: frozenset[tuple[str, int]] = frozenset()
    #: per kind, the entries of its buckets that may match a subject
    #: (:meth:`RuleIndex.candidates` of the kind's buckets)
    finders: dict[str | None, Callable[[Subject], list[_Entry]]] = field(default_factory=dict)


@dataclass
class _Bucket:
    keyed: dict[str, tuple[Callable[[Subject], Any], dict[Any, list[_Entry]]]] = field(
        default_factory=dict
    )
    screens: dict[str, tuple[Callable[[Subject], Any], list[tuple[str, _Entry]]]] = field(
        default_factory=dict
    )
    always: list[_Entry] = field(default_factory=list)
    #: later sequence steps without an index hint: only looked at while a partial match
    #: waits for them (see :attr:`Plan.gated`)
    gated: list[_Entry] = field(default_factory=list)
    #: (key field, value, id of an entry in its table) -> what the line must hold for
    #: the entry to match (:func:`_line_needs` of each alternative that may hold)
    line_needs: dict[tuple[str, Any, int], LineNeeds] = field(
        default_factory=dict
    )


@dataclass(frozen=True)
class _Frozen:
    keyed: tuple[tuple[Callable[[Subject], Any], dict[Any, tuple[_Entry, ...]]], ...]
    screens: tuple[tuple[Callable[[Subject], Any], Screen], ...]
    always: tuple[_Entry, ...]
    multi: bool = False  # an entry can come up twice for one subject
    #: the screens of the line and of the fields whose text is usually part of it
    #: (args, program, argv[N], code) in one, for when those texts are in the line
    merged: Screen | None = None
    #: the screens not merged
    others: tuple[tuple[Callable[[Subject], Any], Screen], ...] = ()
    gated: tuple[_Entry, ...] = ()
    #: per key table entry tuple (by id), the literals of :attr:`merged` (ids) the line
    #: must hold for each of its entries to match (None: it may match any line)
    needs: dict[int, tuple[Needs | None, ...]] = field(default_factory=dict)
    #: (key table entries, literals a line holds) -> those of the entries it may match
    sifted: dict[tuple[int, frozenset[int]], tuple[_Entry, ...]] = field(default_factory=dict)
    #: the field names of :attr:`keyed`, :attr:`screens` and :attr:`others`, in order
    #: (what :mod:`.compiled` reads inline)
    names: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())
    #: the finder generated (:mod:`.compiled`); False: :func:`_finder`'s closure
    compiled: bool = True
    #: the entries that may match a subject (:func:`_finder`: what the bucket holds bound
    #: once, the hot path's one call per subject; generated by :mod:`.compiled`)
    find: Callable[[Subject], list[_Entry]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from .compiled import compile_finder

        found = compile_finder(self) if self.compiled else None
        object.__setattr__(self, "find", found or _finder(self))

    def sift(self, entries: tuple[_Entry, ...], hits: frozenset[int]) -> tuple[_Entry, ...]:
        """Of a key table's ``entries``, those whose needs the line with the literals
        ``hits`` (of :attr:`merged`'s :attr:`~Screen.extra`: :meth:`Screen.scan`) meets."""
        key = (id(entries), hits)
        got = self.sifted.get(key)
        if got is None:
            needs = self.needs.get(id(entries))
            if needs is None:
                got = entries
            else:
                got = tuple(
                    e for e, n in zip(entries, needs, strict=True) if n is None or holds(n, hits)
                )
            if len(hits) <= MAX_KEPT_HITS:
                if len(self.sifted) >= 4096:
                    self.sifted.clear()
                self.sifted[key] = got  # the tables' tuples live as long as the bucket
        return got


#: fields whose text is usually a part of the subject's line
_IN_LINE: Final = frozenset({"args", "program", "code"})
#: of those, the fields that are one word of the command (as ``argv[N]`` is)
_OWN_WORD: Final = frozenset({"program"})


def _in_line(subj: Subject, line: str) -> bool:
    """Whether the texts of the fields in :data:`_IN_LINE` and ``argv[N]`` are in
    ``line``: the program is part of ``argv[0]``, each other argument part of ``args``."""
    argv = subj.argv
    if argv:
        if argv[0] not in line:
            return False
        if len(argv) > 1 and subj.args not in line:
            return False
    code = subj.code
    return code is None or code is line or code in line


LineNeeds = tuple[tuple[frozenset[str], ...], ...]
#: alternatives a condition's line needs are kept to (a product past it keeps less)
_MAX_NEED_ALTS: Final = 32


def _line_needs(cond: Cond) -> LineNeeds:
    """What the line of a subject must hold for ``cond`` to hold, when the texts of
    :data:`_IN_LINE` and ``argv[N]`` are in the line (:func:`_in_line`): alternatives
    (one of them holds), each sets of casefolded strings the line holds one of each;
    ``()`` when nothing is known. From the operators on text fields (their screen's
    :func:`prefilter.required_all`, and per branch of its alternation
    :func:`prefilter.required_any_all`), across ``all`` (each alternative of one with
    each of the other) and ``any`` (the alternatives of each); ``not`` and negated
    fields tell nothing. Strings of one character (``-``, ``/``: in nearly every line)
    rule out nothing and are left out, but for the shell's operators (``|``, ``>``…).
    At most :data:`_MAX_NEED_ALTS` alternatives: past that a part tells only what all
    its alternatives need."""
    return tuple(_needs_of(cond) or ())


def _needs_of(cond: Cond) -> list[tuple[frozenset[str], ...]] | None:
    """:func:`_line_needs` as a list (``None``: nothing known)."""
    if isinstance(cond, Pred):
        return _pred_needs(cond)
    if isinstance(cond, AllOf):
        out: list[tuple[frozenset[str], ...]] | None = None
        for item in _flatten(cond):
            got = _needs_of(item)
            if got is not None:
                out = got if out is None else _needs_and(out, got)
        return out
    if isinstance(cond, AnyOf):
        alts: list[tuple[frozenset[str], ...]] = []
        for item in cond.items:
            got = _needs_of(item)
            if got is None:
                return None  # an alternative that needs nothing: the whole needs nothing
            alts += got
        alts = list(dict.fromkeys(alts))
        if len(alts) > _MAX_NEED_ALTS:
            common = _needs_common(alts)
            return [common] if common else None
        return alts
    return None


def _needs_and(
    a: list[tuple[frozenset[str], ...]], b: list[tuple[frozenset[str], ...]]
) -> list[tuple[frozenset[str], ...]]:
    """Both ``a`` and ``b`` (each alternative of one with each of the other); when that
    makes too many, ``a`` with what every alternative of ``b`` needs (or the other way)."""
    if len(a) * len(b) <= _MAX_NEED_ALTS:
        return list(dict.fromkeys(tuple(dict.fromkeys((*x, *y))) for x in a for y in b))
    if len(b) > len(a):
        a, b = b, a
    common = _needs_common(b)
    if not common:
        return a
    return list(dict.fromkeys(tuple(dict.fromkeys((*x, *common))) for x in a))


def _needs_common(alts: list[tuple[frozenset[str], ...]]) -> tuple[frozenset[str], ...]:
    """The sets every one of ``alts`` needs."""
    return tuple(x for x in alts[0] if all(x in alt for alt in alts[1:]))


def _long(sets: Iterable[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """``sets`` without those holding a common one-character string
    (:func:`prefilter.telling`)."""
    return tuple(x for x in sets if telling(x))


def _pred_needs(p: Pred) -> list[tuple[frozenset[str], ...]] | None:
    if p.negate or p.exists is not None:
        return None
    name = p.field.name
    in_line = name == "line" or name in _IN_LINE or name.startswith("argv[")
    if p.field.type != "str" or not in_line:
        return None
    out: list[tuple[frozenset[str], ...]] | None = None
    for o in p.ops:
        if o.screen is None:
            continue
        src = _strip_groups(o.screen)
        plain = _long(required_all(src))
        branches = [_long(b) for b in required_any_all(src)]
        got: list[tuple[frozenset[str], ...]] | None = None
        # per branch of the alternation (with what the whole pattern needs), unless the
        # branches only name strings of one of those sets (a list of words)
        if (
            1 < len(branches) <= _MAX_NEED_ALTS
            and all(branches)
            and not all(len(b) == 1 and any(b[0] <= x for x in plain) for b in branches)
        ):
            got = list(dict.fromkeys(tuple(dict.fromkeys((*plain, *b))) for b in branches))
        if got is None and plain:
            got = [plain]
        if got is not None:
            out = got if out is None else _needs_and(out, got)
    return out


def _entry_needs(
    alts: list[Alternative],
    lneeds: list[LineNeeds],
    kind: str | None,
    name: str,
    value: Any,
) -> LineNeeds:
    """What the line must hold for a matcher's own test (one entry for all its
    alternatives: captures) to hold on a subject of ``kind`` found in the key table of
    ``name`` under ``value``: the needs of one of the alternatives that may hold (not
    those for other kinds, nor those keyed on ``name`` with other values: an
    alternative implies its hint); ``()`` when one of them needs nothing."""
    keep: list[tuple[frozenset[str], ...]] = []
    for (ks, h, _), n in zip(alts, lneeds, strict=True):
        if ks is not None and kind not in ks:
            continue
        if h is not None and h[0] == "key" and h[1].name == name and value not in h[2]:
            continue
        if not n:
            return ()
        keep += n
    keep = list(dict.fromkeys(keep))
    return tuple(keep) if len(keep) <= _MAX_NEED_ALTS else ()  # too many to check: none


def _strip_groups(source: str) -> str:
    return re.sub(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>", "(?:", source)


def _freeze(b: _Bucket, compiled: bool = True) -> _Frozen:
    keyed = tuple((get, {k: tuple(v) for k, v in table.items()}) for get, table in b.keyed.values())
    screens = tuple(
        (get, Screen((_strip_groups(src), e) for src, e in items))
        for get, items in b.screens.values()
    )
    # an entry in two of the bucket's structures (key tables, screens, always) can come
    # up twice for one subject; within one structure it cannot (a subject has one value
    # per field, and a screen gives each entry once)
    structures = [
        *({id(e) for es in t.values() for e in es} for _, t in b.keyed.values()),
        *({id(e) for _, e in items} for _, items in b.screens.values()),
        {id(e) for e in b.always},
        {id(e) for e in b.gated},
    ]
    seen: set[int] = set()
    multi = False
    for ids in structures:
        multi = multi or not seen.isdisjoint(ids)
        seen |= ids
    merged = None
    others: tuple[tuple[Callable[[Subject], Any], Screen], ...] = ()
    other_names: tuple[str, ...] = ()
    inside = [n for n in b.screens if n in _IN_LINE or n.startswith("argv[")]
    needs: dict[int, tuple[Needs | None, ...]] = {}
    if "line" in b.screens and inside:
        names = {"line", *inside}
        # a pattern on a command's own word (the program, argv[N]) with no string of
        # three characters to index is looked for in that word alone: merged into the
        # line, its ``.`` or ``/`` would be found in nearly every line
        weak = {
            n: [item for item in b.screens[n][1] if required(_strip_groups(item[0])) is None]
            for n in inside
            if n in _OWN_WORD or n.startswith("argv[")
        }
        weak = {n: items for n, items in weak.items() if items}
        items = [
            item
            for n in ("line", *inside)
            for item in b.screens[n][1]
            if n not in weak or item not in weak[n]
        ]
        # the same pass looks for the strings the line must hold for the key tables'
        # entries to match: an entry whose strings are not all there is not tested
        wanted = list(b.line_needs.values())
        extra = [lits for alts in wanted for alt in alts for lits in alt]
        merged = Screen(((_strip_groups(src), e) for src, e in items), extra)
        ids = iter(merged.extra)
        by_key = {
            key: tuple(tuple(next(ids) for _ in alt) for alt in alts)
            for key, alts in b.line_needs.items()
        }
        for name, (_, table) in zip(b.keyed, keyed, strict=True):
            for value, es in table.items():
                row = tuple(by_key.get((name, value, id(e))) for e in es)
                if any(n is not None for n in row):
                    needs[id(es)] = row
        others = tuple(
            (get, Screen((_strip_groups(src), e) for src, e in items))
            for n, (get, items) in b.screens.items()
            if n not in names
        ) + tuple(
            (b.screens[n][0], Screen((_strip_groups(src), e) for src, e in items))
            for n, items in weak.items()
        )
        other_names = (*(n for n in b.screens if n not in names), *weak)
    return _Frozen(
        keyed, screens, tuple(b.always), multi, merged, others, tuple(b.gated), needs,
        names=(tuple(b.keyed), tuple(b.screens), other_names), compiled=compiled,
    )  # fmt: skip


def _finder(b: _Frozen) -> Callable[[Subject], list[_Entry]]:
    """The entries of ``b`` that may match a subject: those its key tables hold under
    the subject's values (sifted by the literals its line holds, when the line holds
    its other texts), those its screens find in its texts and those always tested,
    each once."""
    merged, keyed, screens, others, always = b.merged, b.keyed, b.screens, b.others, b.always
    multi, sift, sifted = b.multi, b.sift, b.sifted

    def find(subj: Subject) -> list[_Entry]:
        out: list[_Entry] = []
        scan = None
        if merged is not None:
            line = subj.line
            if line:
                # :func:`_in_line`, inlined (once per subject)
                argv = subj.argv
                code = subj.code
                if (
                    (not argv or (argv[0] in line and (len(argv) < 2 or subj.args in line)))
                    and (code is None or code is line or code in line)
                ):  # fmt: skip
                    # the other fields' texts are in the line: one pass over the line
                    # finds their rules too (a superset: each is tested after), and
                    # the strings the key tables' rules need there
                    scan = merged.cached(line) or merged.missed(line)
        for get, table in keyed:
            v = get(subj)
            if v is not None:
                try:
                    hit = table.get(v)
                except TypeError:  # an unhashable value (a list in data) is no key
                    continue
                if hit:
                    if scan is None:
                        out += hit
                    else:  # :meth:`_Frozen.sift`'s kept answer, looked up here
                        got = sifted.get((id(hit), scan[1]))
                        out += got if got is not None else sift(hit, scan[1])
        if scan is None:
            texts = screens
        else:
            if scan[0]:
                out += scan[0]
            texts = others
        for get, screen in texts:
            v = get(subj)
            if v:
                # :meth:`Screen.find`, inlined: the kept answer (one C call), or a scan
                got = screen.cached(v)
                found = (got if got is not None else screen.missed(v))[0]
                if found:
                    out += found
        if always:
            out += always
        if multi and len(out) > 1:
            out = list(dict.fromkeys(out))
        return out

    return find


_NO_BUCKETS: Final[tuple[_Frozen, ...]] = ()


def _set_test(entry: _Entry, test: Callable[[Subject], bool]) -> None:
    entry.test = test


class RuleIndex:
    """Rules indexed by event type, action kind and then program / screening regex, so
    an ordinary event touches few rules. Immutable once built; thread-safe."""

    def __init__(self, rules: Iterable[Rule], compiled: bool = True) -> None:
        """``compiled``: the entries' tests generated as Python functions
        (:mod:`.compiled`); False: the interpreter's (:func:`cond_test`) alone."""
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.by_id = {r.id: r for r in self.rules}
        building: dict[tuple[str, str | None], _Bucket] = {}
        all_kinds: tuple[str | None, ...] = (*KINDS, None)
        # every entry's test generated as one function (:mod:`.compiled`), the
        # interpreter's where the compiler does not know a part
        from .compiled import TestCompiler

        tests = TestCompiler() if compiled else None
        for rule in self.rules:
            for matcher, step in rule.matchers():
                alts = hints(matcher.cond)
                entry = _Entry(rule, step, matcher.test, matcher.captures)
                if tests is not None:
                    tests.add(matcher.cond, functools.partial(_set_test, entry))
                # found by its hint, an alternative is tested on its own condition (the
                # looked-up predicate left out); a condition with captures keeps its own
                # test, which records them
                own = []
                for _, h, cond in alts:
                    if matcher.captures or h is None:
                        own.append(entry)
                        continue
                    alt = alternative_cond(cond, h)
                    e = _Entry(rule, step, _always_true if alt is None else cond_test(alt), False)
                    if tests is not None and alt is not None:
                        tests.add(alt, functools.partial(_set_test, e))
                    own.append(e)
                # what the line must hold for each entry to match: its alternative's
                # strings, or (the matcher's own test) those of one of its alternatives
                keyed = any(h is not None and h[0] == "key" for _, h, _ in alts)
                lneeds = [_line_needs(cond) if keyed else () for _, _, cond in alts]
                alt_needs = {
                    id(e): n for e, n in zip(own, lneeds, strict=True) if e is not entry
                }  # fmt: skip
                kinds = all_kinds if matcher.kinds is None else tuple(matcher.kinds)
                for k in kinds:
                    mine = [
                        (h, e) for (ks, h, _), e in zip(alts, own, strict=True)
                        if ks is None or k in ks
                    ]  # fmt: skip
                    if not mine:
                        continue  # no alternative can hold for this kind
                    for t in matcher.types:
                        b = building.setdefault((t, k), _Bucket())
                        if any(h is None for h, _ in mine):
                            (b.gated if step > 0 else b.always).append(entry)
                            continue
                        for hint, e in mine:
                            assert hint is not None
                            fs = hint[1]
                            if hint[0] == "key":
                                _, table = b.keyed.setdefault(fs.name, (fs.get, {}))
                                for value in hint[2]:
                                    table.setdefault(value, []).append(e)
                                    got = alt_needs.get(id(e))
                                    if got is None:  # the matcher's own test
                                        got = _entry_needs(alts, lneeds, k, fs.name, value)
                                    if got:
                                        b.line_needs[fs.name, value, id(e)] = got
                            else:
                                _, items = b.screens.setdefault(fs.name, (fs.get, []))
                                items.append((hint[2], e))
        if tests is not None:
            tests.build()
        self._buckets: dict[tuple[str, str | None], _Frozen] = {
            key: _freeze(b, compiled) for key, b in building.items()
        }
        self.types = frozenset(t for t, _ in self._buckets)
        #: the plans looked up so far, by (event type, attempt) (:meth:`plan` fills it)
        self.plans: dict[tuple[str, bool], Plan | None] = {}
        #: :meth:`ridden`'s indexes, by what rides
        self._ridden: dict[Any, RuleIndex] = {}

    def ridden(
        self,
        key: Any,
        patterns: tuple[str, ...],
        bind: Callable[[int], Rider],
        kinds: frozenset[str] = frozenset({"exec"}),
    ) -> RuleIndex:
        """This index with another user's RE2 ``patterns`` in the line pass of the
        buckets of attempts of ``kinds`` (:meth:`Screen.ridden`: one pass over a new
        command line answers the rules and, say, the learned scorer's fast reject). The
        rules' answers are those of this index. Kept per ``key`` (what rides; a few)."""
        got = self._ridden.get(key)
        if got is not None:
            return got
        got = copy.copy(self)
        got._buckets = {
            (t, k): dataclasses.replace(b, merged=b.merged.ridden(patterns, bind), sifted={})
            if t == ATTEMPT and k in kinds and b.merged is not None
            else b
            for (t, k), b in self._buckets.items()
        }  # fmt: skip
        got.plans = {}
        got._ridden = {}
        if len(self._ridden) >= 4:
            self._ridden.clear()
        self._ridden[key] = got
        return got

    def plan(self, type_: str, attempt: bool) -> Plan | None:
        """The :class:`Plan` for events of ``type_`` (an attempt or not); ``None`` when
        no rule looks at them. One lookup per event."""
        key = (type_, attempt)
        try:
            return self.plans[key]
        except KeyError:
            pass
        names = [type_, ANY_TYPE] + ([ATTEMPT] if attempt else [])
        by_kind: dict[str | None, tuple[_Frozen, ...]] = {}
        for n in names:
            for (t, k), b in self._buckets.items():
                if t == n:
                    by_kind[k] = (*by_kind.get(k, ()), b)
        gated = {k: tuple(e for b in bs for e in b.gated) for k, bs in by_kind.items()}
        gated = {k: es for k, es in gated.items() if es}
        steps = frozenset((e.rule.id, e.step) for es in gated.values() for e in es)
        finders = {
            k: bs[0].find if len(bs) == 1 else functools.partial(self.candidates, bs)
            for k, bs in by_kind.items()
        }
        got = Plan(frozenset(by_kind), by_kind, gated, steps, finders) if by_kind else None
        if len(self.plans) < 4096:  # event types are open-ended; the common ones stay
            self.plans[key] = got
        return got

    def wants(self, type_: str, attempt: bool) -> bool:
        """Whether any rule looks at events of ``type_`` (an attempt or not)."""
        return self.plan(type_, attempt) is not None

    def kinds(self, type_: str, attempt: bool) -> frozenset[str | None]:
        """The action kinds (``None``: no action) some rule looks at in events of
        ``type_`` (an attempt or not)."""
        plan = self.plan(type_, attempt)
        return plan.kinds if plan is not None else frozenset()

    def buckets(self, type_: str, attempt: bool, kind: str | None) -> tuple[_Frozen, ...]:
        plan = self.plan(type_, attempt)
        return plan.buckets.get(kind, ()) if plan is not None else ()

    @staticmethod
    def candidates(buckets: tuple[_Frozen, ...], subj: Subject) -> list[_Entry]:
        """The entries of ``buckets`` that may match ``subj`` (each once)."""
        if len(buckets) == 1:
            return buckets[0].find(subj)
        out: list[_Entry] = []
        for b in buckets:
            out += b.find(subj)
        if len(out) > 1:
            out = list(dict.fromkeys(out))
        return out
