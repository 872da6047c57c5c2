"""A small static splitter for shell lines: which simple commands does a line run?

This is *not* the corral shell (which parses with tree-sitter and interprets); it is a
fast, dependency-free best effort used by the policy engine to check a whole line before
it runs (``curl x | sh``), to look inside ``sh -c '...'`` and ``$(...)``, and by
``corral policy explain``. It understands quoting (``'...'``, ``"..."``, ``$'...'``,
backslashes), comments, line continuations, the list and pipeline operators, redirections
(their targets are not arguments), here-documents, command and
process substitutions (their contents are split too), leading ``NAME=value`` assignments
(kept apart from the argv), the reserved words of compound commands (a ``for`` loop's word
list is kept), the text ``echo``/``printf`` pipe into the next command and here-documents
(a body is its command's input, given as a ``<<<`` redirection of that text). Expansions are
not performed: ``$HOME`` stays ``$HOME``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["Analysis", "SimpleCommand", "analyze", "render"]


def s_at(text: str, i: int) -> str:
    return text[i] if 0 <= i < len(text) else ""

MAX_DEPTH: Final = 8

_OPERATORS: Final = (
    ";;&",
    "&>>",
    "<<<",
    "<<-",
    "&&",
    "||",
    ";;",
    ";&",
    "|&",
    "&>",
    ">>",
    "<<",
    ">&",
    "<&",
    "<>",
    ">|",
    "|",
    "&",
    ";",
    "(",
    ")",
    "<",
    ">",
)
#: one match instead of a test per operator (alternatives are tried in order, as the tuple)
_OPERATOR_AT: Final = re.compile("|".join(map(re.escape, _OPERATORS)))
_REDIRECTS: Final = frozenset(
    {"<", ">", ">>", "<<<", "<<", "<<-", ">&", "<&", "<>", ">|", "&>", "&>>"}
)
_PIPES: Final = frozenset({"|", "|&"})
_LIST_OPS: Final = frozenset({"&&", "||", ";", "&", ";;", ";&", ";;&", "(", ")", "\n"})
_SKIP_WORDS: Final = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac"}
)
_HEADER_WORDS: Final = frozenset({"for", "select", "case"})
#: reserved words after which a command (and so another reserved word) may follow
_KEEP_COMMAND_POSITION: Final = frozenset(
    {"!", "{", "if", "then", "else", "elif", "while", "until", "do", "time"}
)
_ASSIGNMENT: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_NEEDS_QUOTES: Final = re.compile(r"[\s|;&<>]|^$")
_ANSI_ESCAPES: Final = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}


@dataclass
class SimpleCommand:
    """One simple command: its words (quotes removed), its redirections, the
    ``NAME=value`` assignments written before it (``PROXY=http://h cmd``) and, when an
    ``echo``/``printf`` pipes into it, the text they print (``echo CODE | tclsh``)."""

    argv: list[str]
    redirects: list[tuple[str, str]] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    stdin: str | None = None


@dataclass
class Analysis:
    """What a script runs: its simple commands (substitutions included) and the text of
    every pipeline and line that combines commands (for line rules)."""

    commands: list[SimpleCommand] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    complete: bool = True
    #: the words a ``for``/``select`` loop iterates over (``for s in /tmp/tmux-*/x``)
    loop_words: list[str] = field(default_factory=list)
    #: the split stopped past ``max_commands`` (the rest of the script was not read)
    cut: bool = False


def render(words: list[str]) -> str:
    """Join words into a line, quoting those that hold spaces or shell operators."""
    return " ".join(shlex.quote(w) if _NEEDS_QUOTES.search(w) else w for w in words)


class _Lexer:
    def __init__(self, text: str, max_commands: int | None = None) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0
        self.subs: list[str] = []
        self.complete = True
        #: stop once more than this many commands have begun (separators and
        #: substitutions counted); ``cut`` says it stopped
        self.max_commands = max_commands
        self.separators = 0
        self.cut = False
        self.heredocs: list[tuple[str, bool, bool]] = []
        self.bodies: list[str] = []  # here-document bodies, in the order they were read
        self.depth = 0  # nesting of substitution scans
        self._speculation = 8 * self.n + 4096  # characters left for (( lookahead

    # tokens: ("w", text) for words, ("o", text) for operators, ("a", text) for an
    # arithmetic command ``(( ... ))`` and ("p", text) for a case pattern (both run nothing
    # themselves; the substitutions inside them are recorded in ``subs``)
    def tokens(self) -> list[tuple[str, str]]:
        s, n = self.s, self.n
        out: list[tuple[str, str]] = []
        expect_heredoc = False
        strip_tabs = False
        cmd_pos = True  # may a reserved word start here (bash's rule)?
        cases: list[str] = []  # per open ``case``: "word", "in", "pattern" or "body"
        limit = self.max_commands
        while self.i < n:
            if limit is not None and self.separators + len(self.subs) > limit:
                self.cut, self.complete = True, False
                break
            c = s[self.i]
            if c in " \t\r":
                self.i += 1
                continue
            if c == "\\" and s.startswith("\\\n", self.i):
                self.i += 2
                continue
            if c == "\n":
                out.append(("o", "\n"))
                self.separators += 1
                self.i += 1
                self._skip_heredocs()
                if not (cases and cases[-1] in ("word", "in")):
                    cmd_pos = True
                continue
            if c == "#":
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end
                continue
            if cases and cases[-1] == "pattern":
                # case patterns: `(`? word (`|` word)* `)`; `esac` ends the case
                if c == "(" and not s.startswith("((", self.i):
                    self.i += 1
                    continue
                if c == "|":
                    self.i += 1
                    continue
                if c == ")":
                    self.i += 1
                    cases[-1] = "body"
                    cmd_pos = True
                    out.append(("o", ")"))  # the header before it is no command's words
                    continue
                if c not in ";&<>":
                    start = self.i
                    word = self._word(groups="pattern")
                    if s[start : self.i] == "esac":
                        cases.pop()
                        cmd_pos = False
                        out.append(("o", ";"))
                    else:
                        out.append(("p", word))
                    continue
                cases[-1] = "body"  # not a pattern after all: read it as commands
            if c in "<>" and s.startswith("(", self.i + 1):
                end = self._match_paren(self.i + 1)
                self.subs.append(s[self.i + 2 : end])
                out.append(("w", s[self.i : end + 1]))
                self.i = end + 1
                cmd_pos = False
                continue
            if c == "(" and s.startswith("((", self.i):
                end = self._arith_end(self.i)
                if end is not None:  # (( expr )): arithmetic, not two subshells
                    self._scan_subs(s[self.i + 2 : end - 1])
                    out.append(("a", s[self.i : end + 1]))
                    self.i = end + 1
                    cmd_pos = False
                    continue
            if c.isdigit():
                j = self.i
                while j < n and s[j].isdigit():
                    j += 1
                if j < n and s[j] in "<>":
                    op = self._operator(j)
                    if op in _REDIRECTS:
                        out.append(("o", s[self.i : j] + op))
                        self.i = j + len(op)
                        expect_heredoc = op in ("<<", "<<-")
                        strip_tabs = op == "<<-"
                        cmd_pos = False
                        continue
            op = self._operator(self.i)
            if op:
                out.append(("o", op))
                if op in _LIST_OPS or op in _PIPES:
                    self.separators += 1
                self.i += len(op)
                expect_heredoc = op in ("<<", "<<-")
                strip_tabs = op == "<<-"
                if op in _REDIRECTS:
                    cmd_pos = False
                else:
                    cmd_pos = True
                    if cases and op in (";;", ";&", ";;&") and cases[-1] == "body":
                        cases[-1] = "pattern"
                continue
            start = self.i
            word = self._word()
            raw = s[start : self.i]
            out.append(("w", word))
            if expect_heredoc:
                quoted = any(q in raw for q in "'\"\\")
                self.heredocs.append((word, strip_tabs, quoted))
                expect_heredoc = False
                continue
            if cases and cases[-1] == "word":
                cases[-1] = "in"
                continue
            if cases and cases[-1] == "in":
                if raw == "in":
                    cases[-1] = "pattern"
                continue
            if cmd_pos and raw == "[[":
                self._cond(out)
                cmd_pos = False
                continue
            if cmd_pos and raw == "case":
                cases.append("word")
                continue
            if cmd_pos and raw == "esac" and cases:
                cases.pop()
                cmd_pos = False
                continue
            cmd_pos = cmd_pos and raw in _KEEP_COMMAND_POSITION
        return out

    def _cond(self, out: list[tuple[str, str]]) -> None:
        """The words of ``[[ ... ]]`` after ``[[``, up to and including ``]]``: its
        operators (``&& || ( ) < > !``) are words of the test, not of the shell, and the
        right side of ``=~`` is a regex in which ``( ) |`` and, inside parentheses,
        anything are literal. An operator bash refuses there (``;``, ``|``, ``&``, an
        unbalanced ``)``...) ends the test early, so that what follows is still read as
        commands: the split never hides one."""
        s, n = self.s, self.n
        depth = 0
        previous = ""
        while self.i < n:
            c = s[self.i]
            if c in " \t\r\n":
                self.i += 1
                continue
            if c == "\\" and s.startswith("\\\n", self.i):
                self.i += 2
                continue
            op = self._operator(self.i)
            if op in ("&&", "||", "<", ">") or (op == "(" and previous != "=~"):
                out.append(("w", op))
                self.i += len(op)
                depth += op == "("
                previous = op
                continue
            if op == ")" and depth > 0:
                out.append(("w", op))
                self.i += 1
                depth -= 1
                previous = op
                continue
            if op and not (op == "(" and previous == "=~"):
                return  # not valid inside [[ ]]: back to commands
            start = self.i
            if previous == "=~":
                word = self._word(groups="regex")
            elif previous in ("==", "!=", "="):
                word = self._word(groups="pattern")
            else:
                word = self._word()
            out.append(("w", word))
            if s[start : self.i] == "]]":
                return
            previous = s[start : self.i]
        self.complete = False

    def _arith_end(self, i: int) -> int | None:
        """The index of the final ``)`` when ``((`` at ``i`` opens an arithmetic
        ``(( ... ))`` (the inner group closes right before the outer one), else None."""
        if self._speculation <= 0:  # pathological input: read (( as two subshells
            self.complete = False
            return None
        outer = self._match_paren(i, speculative=True)
        if outer is None or s_at(self.s, outer - 1) != ")":
            return None
        inner = self._match_paren(i + 1, speculative=True)
        return outer if inner == outer - 1 else None

    def _scan_subs(self, text: str) -> None:
        """Record the substitutions in ``text`` where quotes do not protect them (the
        body of an unquoted here-document, an arithmetic expression)."""
        if self.depth >= MAX_DEPTH:
            self.complete = False
            return
        sub = _Lexer(text)
        sub.depth = self.depth + 1
        while sub.i < sub.n:
            c = text[sub.i]
            if c == "\\":
                sub.i += 2
            elif c == "$":
                sub._dollar([])
            elif c == "`":
                sub._backquote([])
            else:
                sub.i += 1
        self.subs.extend(sub.subs)
        self.complete = self.complete and sub.complete

    def _operator(self, i: int) -> str:
        m = _OPERATOR_AT.match(self.s, i)  # the first of _OPERATORS that stands at i
        return "" if m is None else m.group()

    def _skip_heredocs(self) -> None:
        s = self.s
        while self.heredocs:
            delim, strip, quoted = self.heredocs.pop(0)
            body: list[str] = []
            while self.i < self.n:
                end = s.find("\n", self.i)
                line = s[self.i : self.n if end < 0 else end]
                self.i = self.n if end < 0 else end + 1
                if (line.lstrip("\t") if strip else line) == delim:
                    break
                body.append(line.lstrip("\t") if strip else line)
            self.bodies.append("\n".join(body))
            if not quoted:  # an unquoted delimiter: $(...) and `...` in the body run
                self._scan_subs("\n".join(body))

    def _match_paren(self, open_idx: int, speculative: bool = False) -> Any:
        """Index of the ``)`` closing the ``(`` at ``open_idx`` (quotes respected);
        ``speculative``: None when there is none (instead of marking the split
        incomplete)."""
        s, n = self.s, self.n
        depth = 0
        i = open_idx
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                end = s.find("'", i + 1)
                if end < 0:
                    break
                i = end + 1
                continue
            if c == '"':
                i = self._skip_double(i + 1)
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        if speculative:
            self._speculation -= i - open_idx
            return None
        self.complete = False
        return n - 1 if n else 0

    def _match_brace(self, open_idx: int) -> int:
        """Index of the ``}`` closing ``${`` whose ``{`` is at ``open_idx`` (nested
        ``${``, ``$(``, backquotes and quotes respected)."""
        s, n = self.s, self.n
        depth = 0
        i = open_idx
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                end = s.find("'", i + 1)
                if end < 0:
                    break
                i = end + 1
                continue
            if c == '"':
                i = self._skip_double(i + 1)
                continue
            if c == "`":
                end = s.find("`", i + 1)
                if end < 0:
                    break
                i = end + 1
                continue
            if c == "$" and s.startswith("$(", i):
                i = self._match_paren(i + 1) + 1
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        self.complete = False
        return n - 1 if n else 0

    def _skip_double(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                return i + 1
            i += 1
        self.complete = False
        return n

    def _dollar(self, buf: list[str]) -> None:
        """Consume a ``$`` construct at ``self.i`` into ``buf`` (text kept as written)."""
        s = self.s
        i = self.i
        if s.startswith("$((", i):
            end = self._arith_end(i + 1)
            if end is not None:  # $(( expr )): its substitutions still run
                self._scan_subs(s[i + 3 : end - 1])
                buf.append(s[i : end + 1])
                self.i = end + 1
                return
        if s.startswith("$(", i):  # (also `$((cmd) ...)`: bash's fallback)
            end = self._match_paren(i + 1)
            self.subs.append(s[i + 2 : end])
            buf.append(s[i : end + 1])
            self.i = end + 1
            return
        if s.startswith("${", i):
            end = self._match_brace(i + 1)
            self._scan_subs(s[i + 2 : end])
            buf.append(s[i : end + 1])
            self.i = end + 1
            return
        buf.append("$")
        self.i += 1

    def _backquote(self, buf: list[str]) -> None:
        s, n = self.s, self.n
        j = self.i + 1
        while j < n and s[j] != "`":
            j += 2 if s[j] == "\\" else 1
        self.subs.append(s[self.i + 1 : min(j, n)].replace("\\`", "`"))
        buf.append(s[self.i : min(j + 1, n)])
        if j >= n:
            self.complete = False
        self.i = min(j + 1, n)

    def _ansi_c(self, buf: list[str]) -> None:
        s, n = self.s, self.n
        i = self.i + 2
        while i < n and s[i] != "'":
            c = s[i]
            if c == "\\" and i + 1 < n:
                e = s[i + 1]
                if e in _ANSI_ESCAPES:
                    buf.append(_ANSI_ESCAPES[e])
                    i += 2
                elif e == "x":
                    m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 2 : i + 4])
                    if m:
                        buf.append(chr(int(m.group(), 16)))
                        i += 2 + len(m.group())
                    else:
                        buf.append("\\x")
                        i += 2
                elif e in "uU":
                    width = 4 if e == "u" else 8
                    m = re.match(f"[0-9a-fA-F]{{1,{width}}}", s[i + 2 : i + 2 + width])
                    if m:
                        buf.append(chr(min(int(m.group(), 16), 0x10FFFF)))
                        i += 2 + len(m.group())
                    else:
                        buf.append("\\" + e)
                        i += 2
                elif e in "01234567":
                    m = re.match(r"[0-7]{1,3}", s[i + 1 : i + 4])
                    assert m is not None
                    buf.append(chr(int(m.group(), 8) & 0xFF))
                    i += 1 + len(m.group())
                else:
                    buf.append("\\" + e)
                    i += 2
                continue
            buf.append(c)
            i += 1
        if i >= n:
            self.complete = False
        self.i = min(i + 1, n)

    def _word(self, groups: str = "") -> str:
        """One word, quotes removed. ``groups="regex"`` (the right side of ``=~``):
        ``(...)`` groups and ``|`` belong to the word, and inside a group so does
        everything up to its ``)``; ``groups="pattern"`` (case patterns, ``==``): the
        extended-glob groups ``?( *( +( @( !(`` belong to the word."""
        s, n = self.s, self.n
        buf: list[str] = []
        depth = 0
        while self.i < n:
            c = s[self.i]
            if depth and c in " \t\r\n;&|<>":
                buf.append(c)
                self.i += 1
                continue
            if groups and c == "(" and (
                groups == "regex" or (buf and buf[-1] in "?*+@!") or depth
            ):
                depth += 1
                buf.append(c)
                self.i += 1
                continue
            if c == ")" and depth:
                depth -= 1
                buf.append(c)
                self.i += 1
                continue
            if c == "|" and groups == "regex" and not s.startswith("||", self.i):
                buf.append(c)
                self.i += 1
                continue
            if c in " \t\r\n;&|()<>":
                break
            if c == "\\":
                if self.i + 1 < n:
                    if s[self.i + 1] != "\n":
                        buf.append(s[self.i + 1])
                    self.i += 2
                else:
                    self.i += 1
                continue
            if c == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    buf.append(s[self.i + 1 :])
                    self.complete = False
                    self.i = n
                    break
                buf.append(s[self.i + 1 : end])
                self.i = end + 1
                continue
            if c == '"':
                self._double(buf)
                continue
            if c == "$":
                if s.startswith("$'", self.i):
                    self._ansi_c(buf)
                    continue
                if s.startswith('$"', self.i):
                    self.i += 1
                    self._double(buf)
                    continue
                self._dollar(buf)
                continue
            if c == "`":
                self._backquote(buf)
                continue
            buf.append(c)
            self.i += 1
        return "".join(buf)

    def _double(self, buf: list[str]) -> None:
        s, n = self.s, self.n
        self.i += 1
        while self.i < n:
            c = s[self.i]
            if c == '"':
                self.i += 1
                return
            if c == "\\" and self.i + 1 < n:
                e = s[self.i + 1]
                if e in '$`"\\':
                    buf.append(e)
                elif e != "\n":
                    buf.append("\\" + e)
                self.i += 2
                continue
            if c == "$":
                self._dollar(buf)
                continue
            if c == "`":
                self._backquote(buf)
                continue
            buf.append(c)
            self.i += 1
        self.complete = False


def analyze(script: str, depth: int = 0, max_commands: int | None = None) -> Analysis:
    """Split ``script`` into its simple commands and combined lines (see the module doc).
    With ``max_commands``, reading stops once more than that many commands have begun
    (``Analysis.cut``): a half-megabyte line of ``a;a;…`` took a second or more to split
    in full only to be refused for its count."""
    lexer = _Lexer(script, max_commands)
    tokens = lexer.tokens()
    result = Analysis(complete=lexer.complete, cut=lexer.cut)
    _parse(tokens, result)
    if lexer.bodies:  # each here-document is its command's input text, as a here-string's
        bodies = iter(lexer.bodies)
        for cmd in result.commands:
            cmd.redirects = [
                ("<<<", next(bodies, "")) if op in ("<<", "<<-") else (op, target)
                for op, target in cmd.redirects
            ]
    if depth < MAX_DEPTH:
        for sub in lexer.subs:
            inner = analyze(sub, depth + 1, max_commands)
            result.commands.extend(inner.commands)
            result.lines.extend(inner.lines)
            result.loop_words.extend(inner.loop_words)
            result.complete = result.complete and inner.complete
            result.cut = result.cut or inner.cut
            if max_commands is not None and (
                result.cut or len(result.commands) > max_commands
            ):
                result.cut = True
                break
    return result


def _parse(tokens: list[tuple[str, str]], result: Analysis) -> None:
    words: list[str] = []
    redirects: list[tuple[str, str]] = []
    pipeline: list[str] = []  # token texts of the current pipeline
    pipeline_cmds = 0
    line: list[str] = []  # token texts of the current line
    line_cmds = 0
    line_ops = 0

    piped: str | None = None  # what the command before a ``|`` printed (echo/printf)

    def end_command(pipe: bool = False) -> None:
        nonlocal words, redirects, pipeline_cmds, line_cmds, piped
        argv, assignments = _strip_command(words, result.loop_words)
        if argv or redirects or assignments:
            result.commands.append(SimpleCommand(argv, redirects, assignments, piped))
            if argv:
                pipeline_cmds += 1
                line_cmds += 1
        piped = printed_text(argv) if pipe and not redirects else None
        words, redirects = [], []

    def end_pipeline() -> None:
        nonlocal pipeline, pipeline_cmds
        if pipeline_cmds > 1:
            result.lines.append(" ".join(pipeline))
        pipeline, pipeline_cmds = [], 0

    def end_line() -> None:
        nonlocal line, line_cmds, line_ops
        if line_ops and line:
            text = " ".join(line)
            if not result.lines or result.lines[-1] != text:
                result.lines.append(text)
        line, line_cmds, line_ops = [], 0, 0

    i, n = 0, len(tokens)
    while i < n:
        kind, text = tokens[i]
        if kind in ("a", "p"):  # an arithmetic command, a case pattern: not commands
            i += 1
            continue
        if kind == "w":
            # `name ( )` starts a function definition: the name is not a command
            if (
                not words
                and i + 2 < n
                and tokens[i + 1] == ("o", "(")
                and tokens[i + 2] == ("o", ")")
            ):
                i += 3
                continue
            words.append(text)
            shown = render([text])
            pipeline.append(shown)
            line.append(shown)
            i += 1
            continue
        if text.lstrip("0123456789") in _REDIRECTS:
            target = ""
            if i + 1 < n and tokens[i + 1][0] == "w":
                target = tokens[i + 1][1]
                i += 1
            redirects.append((text.lstrip("0123456789"), target))
            sep = "" if text.endswith("&") and (target.isdigit() or target == "-") else " "
            shown = f"{text}{sep}{render([target])}" if target else text
            pipeline.append(shown)
            line.append(shown)
            line_ops += 1
            i += 1
            continue
        if text in _PIPES:
            end_command(pipe=True)
            pipeline.append(text)
            line.append(text)
            line_ops += 1
            i += 1
            continue
        # list operators and newlines
        end_command()
        end_pipeline()
        if text == "\n":
            end_line()
        else:
            line.append(text)
            line_ops += 1
        i += 1
    end_command()
    end_pipeline()
    end_line()


def _strip_command(words: list[str], loop_words: list[str]) -> tuple[list[str], list[str]]:
    """(argv, leading assignments) of ``words``: reserved words and compound-command
    headers dropped (a ``for``/``select`` header's word list goes to ``loop_words``)."""
    k = 0
    while k < len(words) and words[k] in _SKIP_WORDS:
        k += 1
    rest = words[k:]
    if not rest:
        return [], []
    if rest[0] in _HEADER_WORDS:
        if rest[0] != "case" and "in" in rest[2:3]:
            loop_words.extend(rest[3:])
        return [], []
    if rest[0] == "function":
        rest = rest[2:]
        if rest[:1] == ["{"]:
            rest = rest[1:]
    if rest and rest[-1] == "}" and len(rest) > 1:
        rest = rest[:-1]
    j = 0
    while j < len(rest) and _ASSIGNMENT.match(rest[j]):
        j += 1
    return rest[j:], rest[:j]


#: ``printf`` escapes that matter to what the text says (lines, tabs)
_PRINTF_ESCAPES: Final = {"\\n": "\n", "\\t": "\t", "\\r": "", "\\\\": "\\"}


def printed_text(argv: list[str]) -> str | None:
    """The text ``echo``/``printf`` ``argv`` prints (escapes ``\\n``/``\\t`` read as
    ``printf`` and ``echo -e`` read them; ``printf``'s arguments after the format, one a
    line); None for any other command or ``printf -v`` (which prints nothing)."""
    if not argv:
        return None
    prog = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if prog == "echo":
        escapes = False
        while args and args[0] in ("-n", "-e", "-E", "-ne", "-en", "-nE", "-En"):
            escapes = escapes or "e" in args[0]
            args = args[1:]
        text = " ".join(args)
        return _unescape(text) if escapes else text
    if prog != "printf" or not args:
        return None
    if args[0] == "--":
        args = args[1:]
    if not args or args[0].startswith("-v"):
        return None
    return "\n".join([_unescape(args[0]), *args[1:]])


def _unescape(text: str) -> str:
    for k, v in _PRINTF_ESCAPES.items():
        text = text.replace(k, v)
    return text
