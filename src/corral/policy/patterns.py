"""Pattern compilers for the policy file: command globs and regexes, host patterns, path globs.

Command patterns
================

A command rule matches a *command line*: the argv of one simple command joined with single
spaces, with the program reduced to its base name (``/usr/bin/git push`` is matched as
``git push``; a pattern whose first word contains ``/`` is matched against the full path).

* A single word without ``*`` (``ls``, ``sudo``) names a **program**: it matches that program
  with any arguments (``ls``, ``ls -la /workspace``), and nothing else (not ``lsblk``).
* Several words without ``*`` (``git status``) match that **exact** line only (runs of
  spaces count as one). ``git status -s`` does not match; write ``git status *`` for that.
* ``*`` matches any run of characters, spaces included: ``python*`` matches
  ``python3 -c 'print(1)'`` and ``git push*`` matches ``git push origin main``.
* A ``*`` standing alone as a word matches zero or more whole words: ``pip install *``
  matches ``pip install`` and ``pip install -r req.txt``; ``ssh * -R *`` matches
  ``ssh -R 9000:localhost:22 x@y`` and ``ssh -p 22 -R 1:h:2 x``.
* ``\\*`` is a literal star. No other character is special (no ``?``, no ``[...]``).
* ``{regex: ...}`` is a Python regular expression searched in the line (anchor it with
  ``^``/``$`` yourself). ``{program: P, args: A}`` is the glob ``P A`` whose program word
  cannot contain a space; ``{program: P}`` alone is the program rule ``P``.

**Specificity** orders the rules that match one line; the most specific one decides, and
at equal specificity ``deny`` beats ``ask`` beats ``allow``. Specificity compares, in order:

1. the length of the *literal prefix*: the text before the first ``*`` (trailing spaces
   dropped); the whole text for exact and program rules; for a regex, the literal text
   that follows a leading ``^`` (``^curl .*`` has ``curl``; an unanchored regex has none);
2. the kind: an exact line (2) beats a rule with a literal program name (1) beats a rule
   with a wildcard in the program name (0). So ``ls`` beats ``ls*`` and ``git status``
   beats ``git status *``.

So a narrower allow such as ``pip install -r requirements.txt`` carves an exception out of
``ask: [pip install *]``, and ``deny: ["ssh * -R *"]`` beats ``allow: [ssh]`` (same literal
prefix ``ssh``, same kind, deny wins the tie).

**Anywhere rules.** A ``deny`` or ``ask`` pattern with no literal prefix (an unanchored
regex such as ``stratum\\+tcp://``, a regex starting with a group such as ``^(curl|wget)``,
or a glob starting with ``*``) names no program, so it stands outside specificity: it
applies whenever it matches, whatever allow rule the program has. ``allow`` patterns
without a literal prefix (``*``) simply rank lowest.

**Line rules.** A pattern that contains a shell operator (``|``, ``;``, ``&``, ``<`` or
``>``, except in ``<(``/``>(``) is matched against whole pipelines and lines (``curl x | sh``,
``cmd > file``), never against single commands; every other pattern is matched against
single commands (their argv, substitutions such as ``$(curl x)`` included as written).

Host patterns
=============

``example.com`` (that host only), ``*.example.com`` (any sub-domain, not ``example.com``
itself), ``*`` (any host), an IP address (``10.1.2.3``, ``::1``) or a CIDR (``10.0.0.0/8``).

Path globs
==========

Over guest paths (``/workspace/...``): ``*`` matches within one path segment, ``**`` any
number of segments (``/workspace/**`` also matches ``/workspace`` itself), ``?`` one
character other than ``/``. A pattern that does not start with ``/`` (or ``~``) matches at
any depth: ``.env`` is ``**/.env``.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from dataclasses import dataclass
from typing import Final

from .. import saferegex

__all__ = [
    "CommandPattern",
    "HostPattern",
    "PathPattern",
    "compile_cidr",
    "compile_command",
    "compile_host",
    "compile_path",
    "compile_program",
    "compile_regex",
    "has_shell_operator",
    "normalize_host",
    "parse_cidr",
]

_OPERATOR_CHARS: Final = frozenset("|;&<>")
#: Regex syntax that contains an operator character without meaning one.
_REGEX_SYNTAX_WITH_OPS: Final = re.compile(r"\(\?(?:<[=!]|P<\w+>|P=\w+\)|>|<\w+>)")


# ---------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class CommandPattern:
    """One compiled command pattern (see the module docstring for the semantics)."""

    text: str  # as written, for messages
    kind: int  # PROGRAM, EXACT, GLOB or REGEX
    program: str | None  # literal program base name to index by; None: any program
    full_path: bool  # match against the line with the program's full path
    exact: str | None
    regex: re.Pattern[str] | None
    prefix_len: int
    level: int  # 2 exact line, 1 literal program name, 0 wildcard program name
    line_rule: bool
    words: tuple[str, ...] = ()  # glob words as written (for the linter)

    @property
    def shown(self) -> str:
        """The pattern for messages: a quoted glob, or ``regex '...'``/``program ...``."""
        return (
            self.text if self.kind == REGEX or self.text.startswith("program ") else repr(self.text)
        )

    @property
    def glob_prefix(self) -> str:
        """The literal text every line a glob matches starts with (``""``: none, or not a
        glob); a line without it cannot match."""
        return _literal_prefix(list(self.words)) if self.kind == GLOB and self.words else ""

    @property
    def anywhere(self) -> bool:
        """True when the pattern has no literal prefix (matches in any program)."""
        return self.prefix_len == 0

    def matches(self, base: str, full: str) -> bool:
        """Whether the pattern matches a line (``base``: program base name, ``full``: path)."""
        kind = self.kind
        if kind == PROGRAM:
            if self.full_path:
                return full.split(" ", 1)[0] == self.exact
            return base.split(" ", 1)[0] == self.program
        if kind == EXACT:
            return (full if self.full_path else base) == self.exact
        rx = self.regex
        assert rx is not None
        if kind == GLOB:
            return rx.fullmatch(full if self.full_path else base) is not None
        return rx.search(base) is not None or (full is not base and rx.search(full) is not None)


PROGRAM: Final = 0
EXACT: Final = 1
GLOB: Final = 2
REGEX: Final = 3


def has_shell_operator(text: str, *, regex: bool = False) -> bool:
    """Whether a pattern mentions ``|``, ``;``, ``&``, ``<`` or ``>``: then it is a line rule.

    Process substitutions (``<(``, ``>(``) are part of a word, not operators.
    """
    if regex:
        text = _REGEX_SYNTAX_WITH_OPS.sub("", text)
        text = text.replace("\\(", "(")
        # an unescaped '|' is alternation; '\|' is a literal pipe
        text = text.replace("\\|", "\x00")
        text = re.sub(r"(?<!\\)\|", "", text)
        text = text.replace("\x00", "|")
    text = text.replace("<(", "").replace(">(", "")
    return any(c in _OPERATOR_CHARS for c in text)


def _split_words(pattern: str) -> list[str]:
    return pattern.split()


def _unescape(word: str) -> str:
    return word.replace("\\*", "*").replace("\\\\", "\\")


def _has_star(word: str) -> bool:
    i = 0
    while i < len(word):
        c = word[i]
        if c == "\\" and i + 1 < len(word) and word[i + 1] in "*\\":
            i += 2
            continue
        if c == "*":
            return True
        i += 1
    return False


def _word_regex(word: str, star: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(word):
        c = word[i]
        if c == "\\" and i + 1 < len(word) and word[i + 1] in "*\\":
            out.append(re.escape(word[i + 1]))
            i += 2
            continue
        out.append(star if c == "*" else re.escape(c))
        i += 1
    return "".join(out)


def _literal_prefix(words: list[str]) -> str:
    prefix: list[str] = []
    for i, word in enumerate(words):
        j = 0
        buf: list[str] = []
        while j < len(word):
            c = word[j]
            if c == "\\" and j + 1 < len(word) and word[j + 1] in "*\\":
                buf.append(word[j + 1])
                j += 2
                continue
            if c == "*":
                prefix.append(("" if i == 0 else " ") + "".join(buf))
                return "".join(prefix).rstrip()
            buf.append(c)
            j += 1
        prefix.append(("" if i == 0 else " ") + "".join(buf))
    return "".join(prefix).rstrip()


def _glob(words: list[str], text: str, *, program_word: bool) -> CommandPattern:
    parts: list[str] = []
    for i, word in enumerate(words):
        if word == "*":
            if len(words) == 1:
                parts.append(".*")
            elif i == 0:
                parts.append("(?:.* )?")
            else:
                parts.append("(?: .*)?")
            continue
        if i > 0 and not (i == 1 and words[0] == "*"):
            parts.append(" ")
        star = "[^ ]*" if (program_word and i == 0) else ".*"
        parts.append(_word_regex(word, star))
    first = words[0]
    literal_program = not _has_star(first)
    program = _unescape(first) if literal_program else None
    full_path = program is not None and "/" in program
    return CommandPattern(
        text=text,
        kind=GLOB,
        program=posixpath.basename(program) if program else None,
        full_path=full_path,
        exact=None,
        regex=saferegex.compile("".join(parts), re.DOTALL),
        prefix_len=len(_literal_prefix(words)),
        level=1 if literal_program else 0,
        line_rule=has_shell_operator(text),
        words=tuple(words),
    )


def compile_command(pattern: str) -> CommandPattern:
    """Compile a command glob. Raises ``ValueError`` for an empty pattern."""
    if not isinstance(pattern, str):
        raise ValueError(f"a command pattern must be a string (got {type(pattern).__name__})")
    words = _split_words(pattern)
    if not words:
        raise ValueError("empty command pattern")
    text = " ".join(words)
    if not any(_has_star(w) for w in words):
        literal = " ".join(_unescape(w) for w in words)
        if len(words) == 1:
            return _program_rule(literal, text)
        return CommandPattern(
            text=text,
            kind=EXACT,
            program=posixpath.basename(_unescape(words[0])),
            full_path="/" in words[0],
            exact=literal,
            regex=None,
            prefix_len=len(literal),
            level=2,
            line_rule=has_shell_operator(text),
        )
    return _glob(words, text, program_word=False)


def _program_rule(program: str, text: str) -> CommandPattern:
    return CommandPattern(
        text=text,
        kind=PROGRAM,
        program=posixpath.basename(program),
        full_path="/" in program,
        exact=program,
        regex=None,
        prefix_len=len(program),
        level=1,
        line_rule=has_shell_operator(text),
    )


def compile_program(program: str, args: str | None = None) -> CommandPattern:
    """Compile ``{program: P, args: A}``: the program word cannot contain a space."""
    if not isinstance(program, str) or not program.strip():
        raise ValueError("'program' must be a non-empty program name")
    program = program.strip()
    if len(program.split()) != 1:
        raise ValueError(f"'program' must be one word (got {program!r}); put arguments in 'args'")
    if args is None:
        text = f"program {program}"
        if not _has_star(program):
            return _program_rule(_unescape(program), text)
        words = [program, "*"]
        pat = _glob(words, text, program_word=True)
        return pat
    arg_words = _split_words(args)
    text = f"program {program} args {' '.join(arg_words)!r}"
    words = [program, *arg_words]
    if not any(_has_star(w) for w in words):
        literal = " ".join(_unescape(w) for w in words)
        return CommandPattern(
            text=text,
            kind=EXACT,
            program=posixpath.basename(_unescape(program)),
            full_path="/" in program,
            exact=literal,
            regex=None,
            prefix_len=len(literal),
            level=2,
            line_rule=has_shell_operator(args),
        )
    pat = _glob(words, text, program_word=True)
    if has_shell_operator(args) != pat.line_rule:
        pat = _replace_line_rule(pat, has_shell_operator(args))
    return pat


def _replace_line_rule(pat: CommandPattern, value: bool) -> CommandPattern:
    from dataclasses import replace

    return replace(pat, line_rule=value)


_QUANTIFIERS: Final = frozenset("*?{")
_REGEX_META: Final = frozenset(".^$*+?{}[]()|")
_WORD_END: Final = ("\\b", "\\s", " ", "$", "\\Z", "(\\s", "(?:\\s", "(?=\\s", "(\\b", "(?:\\b")


def _regex_prefix(pattern: str) -> tuple[str, int]:
    """The literal text a regex must start with (after ``^``) and its specificity level."""
    if not pattern.startswith("^"):
        return "", 0
    i, n = 1, len(pattern)
    buf: list[str] = []
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 < n and not pattern[i + 1].isalnum():
                ch, step = pattern[i + 1], 2
            else:
                break
        elif c in _REGEX_META:
            break
        else:
            ch, step = c, 1
        nxt = pattern[i + step] if i + step < n else ""
        if nxt in _QUANTIFIERS and nxt:
            break
        buf.append(ch)
        i += step
        if nxt == "+":
            break
    prefix = "".join(buf)
    rest = pattern[i:]
    stripped = prefix.rstrip()
    if not stripped:
        return "", 0
    complete = " " in prefix or rest == "" or rest.startswith(_WORD_END)
    return stripped, 1 if complete else 0


def compile_regex(pattern: str) -> CommandPattern:
    """Compile a ``{regex: ...}`` rule. Raises ``ValueError`` when it does not compile."""
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("'regex' must be a non-empty string")
    try:
        rx = saferegex.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    prefix, level = _regex_prefix(pattern)
    program = None
    if level == 1:
        first = prefix.split(" ", 1)[0]
        if first and "/" not in first:
            program = first
    return CommandPattern(
        text=f"regex {pattern!r}",
        kind=REGEX,
        program=program,
        full_path=False,
        exact=None,
        regex=rx,
        prefix_len=len(prefix),
        level=level,
        line_rule=has_shell_operator(pattern, regex=True),
    )


# ------------------------------------------------------------------------------- hosts

_LABEL: Final = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_IP_CHARS: Final = frozenset("0123456789abcdefx.:")
_NUMERIC_HOST: Final = re.compile(r"^[0-9a-fx.]+$")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(text: str) -> IPNetwork:
    """Parse a CIDR (or a single address, as /32 or /128). Raises ``ValueError``."""
    if not isinstance(text, str):
        raise ValueError(f"a CIDR must be a string (got {type(text).__name__})")
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid CIDR") from None


def _valid_hostname(name: str) -> bool:
    if not name or len(name) > 253:
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def normalize_host(host: str) -> tuple[str, IPAddress | None]:
    """Lower-case a host, drop a trailing dot, brackets and zone; parse IP literals.

    Legacy numeric IPv4 forms that resolvers accept (``2852039166``, ``0xa9.0xfe.0xa9.0xfe``,
    ``127.1``) are parsed too, and IPv4-mapped IPv6 addresses are reduced to IPv4.
    """
    h = host.strip().lower()
    if h.startswith("[") and "]" in h:
        h = h[1 : h.index("]")]
    elif h.count(":") == 1:
        h = h.split(":", 1)[0]  # host:port
    h = h.split("%", 1)[0].rstrip(".")
    if not h or not _IP_CHARS.issuperset(h):
        return h, None  # a name: no need to try parsing an address
    ip: IPAddress | None
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        ip = _legacy_ipv4(h)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip is not None:
        return str(ip), ip
    return h, None


def _legacy_ipv4(h: str) -> ipaddress.IPv4Address | None:
    if not h or not _NUMERIC_HOST.match(h) or not h[0].isdigit():
        return None
    parts = h.split(".")
    if len(parts) > 4 or "" in parts:
        return None
    values: list[int] = []
    for part in parts:
        try:
            if part.startswith(("0x", "0X")):
                values.append(int(part[2:], 16))
            elif len(part) > 1 and part.startswith("0"):
                values.append(int(part, 8))
            else:
                values.append(int(part, 10))
        except ValueError:
            return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for v in head:
        value = value * 256 + v
    value = value * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(value)


@dataclass(frozen=True, slots=True)
class HostPattern:
    """A compiled network host pattern."""

    text: str
    kind: str  # "any", "exact", "suffix", "ip", "cidr"
    value: str  # host name, ".suffix" or ""
    network: IPNetwork | None
    specificity: tuple[int, int]

    def matches(self, host: str, ip: IPAddress | None) -> bool:
        kind = self.kind
        if kind == "any":
            return True
        if ip is not None:
            net = self.network
            return net is not None and ip.version == net.version and ip in net
        if kind == "exact":
            return host == self.value
        if kind == "suffix":
            return host.endswith(self.value) and len(host) > len(self.value)
        return False

    @property
    def names_exactly(self) -> bool:
        """True for an exact host name or a single IP address."""
        return self.kind in ("exact", "ip")


def compile_host(text: str) -> HostPattern:
    """Compile a host pattern. Raises ``ValueError`` naming what is expected."""
    if not isinstance(text, str):
        raise ValueError(f"a host pattern must be a string (got {type(text).__name__})")
    t = text.strip().lower()
    expected = "expected a host name, '*.example.com', '*', an IP address or a CIDR"
    if t.endswith("*."):
        raise ValueError(f"{text!r} is not a valid host pattern ({expected})")
    t = t.rstrip(".")
    if t == "*":
        return HostPattern(text, "any", "", None, (0, 0))
    if "/" in t:
        try:
            net = ipaddress.ip_network(t, strict=False)
        except ValueError:
            raise ValueError(f"{text!r} is not a valid CIDR") from None
        if net.prefixlen == net.max_prefixlen:
            return HostPattern(text, "ip", str(net.network_address), net, (2, net.prefixlen))
        return HostPattern(text, "cidr", "", net, (1, net.prefixlen))
    if t.count(":") == 1 and not t.startswith("["):
        raise ValueError(f"{text!r}: host patterns have no port ({expected})")
    host, ip = normalize_host(t)
    if ip is not None:
        net = ipaddress.ip_network(ip)
        return HostPattern(text, "ip", host, net, (2, net.prefixlen))
    if t.startswith("*."):
        rest = t[2:]
        if not _valid_hostname(rest):
            raise ValueError(f"{text!r} is not a valid host pattern ({expected})")
        return HostPattern(text, "suffix", "." + rest, None, (1, len(rest)))
    if "*" in t or not _valid_hostname(t):
        raise ValueError(f"{text!r} is not a valid host pattern ({expected})")
    return HostPattern(text, "exact", t, None, (2, len(t)))


def compile_cidr(text: str) -> HostPattern:
    """A ``deny_cidrs`` entry as a host pattern (a /32 or /128 is a single address)."""
    net = parse_cidr(text)
    if net.prefixlen == net.max_prefixlen:
        return HostPattern(text, "ip", str(net.network_address), net, (2, net.prefixlen))
    return HostPattern(text, "cidr", "", net, (1, net.prefixlen))


# ------------------------------------------------------------------------------- paths


@dataclass(frozen=True, slots=True)
class PathPattern:
    """A compiled path glob."""

    text: str
    regex: re.Pattern[str]

    def matches(self, path: str) -> bool:
        return self.regex.fullmatch(path) is not None


def _path_regex(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**", i):
            after = i + 2
            if after < n and pattern[after] == "/":
                out.append("(?:.*/)?")
                i = after + 1
                continue
            if after == n and out and out[-1] == "/":
                out[-1] = "(?:/.*)?"
                i = after
                continue
            out.append(".*")
            i = after
            continue
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "/":
            out.append("/")
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def compile_path(pattern: str) -> PathPattern:
    """Compile a path glob. Raises ``ValueError`` for an empty pattern."""
    if not isinstance(pattern, str):
        raise ValueError(f"a path pattern must be a string (got {type(pattern).__name__})")
    p = pattern.strip()
    if not p:
        raise ValueError("empty path pattern")
    if not p.startswith(("/", "~", "**")):
        p = "**/" + p
    if len(p) > 1:
        p = p.rstrip("/") or "/"
    return PathPattern(pattern, saferegex.compile(_path_regex(p), re.DOTALL))
