"""Text-level scanning the tree does not do for us: splitting raw text into
shell words, finding the end of ``$(...)`` and ``${...}``, and lifting
here-document bodies out of the source before tree-sitter sees them."""

from __future__ import annotations

import itertools
import re

from .syntax import Heredoc


class ShellSyntaxError(Exception):
    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


def skip_dollar(text: str, i: int) -> int:
    """``text[i] == "$"``: index just past the expansion starting there."""
    n = len(text)
    if i + 1 >= n:
        return i + 1
    c = text[i + 1]
    if text.startswith("$((", i):
        return find_close(text, i + 3, "((", "))")
    if c == "(":
        return find_close(text, i + 2, "(", ")")
    if c == "{":
        return find_close(text, i + 2, "{", "}")
    if c == "'":
        j = i + 2
        while j < n and text[j] != "'":
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, n)
    if c == '"':
        return skip_dquote(text, i + 1)
    return i + 1


def skip_dquote(text: str, i: int) -> int:
    """``text[i] == '"'``: index just past the closing quote."""
    n = len(text)
    j = i + 1
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
        elif c == '"':
            return j + 1
        elif c == "$" and text[j + 1 : j + 2] in ('"', "'"):
            j += 1  # "$" before a quote is literal inside double quotes
        elif c == "$":
            j = skip_dollar(text, j)
        elif c == "`":
            j = skip_backtick(text, j)
        else:
            j += 1
    raise ShellSyntaxError("unexpected EOF while looking for matching `\"'")


def skip_backtick(text: str, i: int) -> int:
    j = i + 1
    n = len(text)
    while j < n:
        if text[j] == "\\":
            j += 2
        elif text[j] == "`":
            return j + 1
        else:
            j += 1
    raise ShellSyntaxError("unexpected EOF while looking for matching ``'")


# `case`/`esac` as words of their own (not `in-case`, `esac.txt`, `$case`)
_CASE_RE = re.compile(r"(case|esac)(?=[\s;&|()]|$)")
_WORD_START = " \t\n;&|()"


def find_close(text: str, i: int, open_: str, close: str) -> int:
    """Index just past the ``close`` that balances an already-consumed
    ``open_``, skipping quotes and nested expansions. Inside ``$( )``, the
    ``)`` ending a ``case`` pattern does not count."""
    depth = 1
    cases = 0
    parens = 0  # single parens inside (( ))
    n = len(text)
    j = i
    while j < n:
        if open_ == "((" and text[j] == "(":
            parens += 1
            j += 1
            continue
        if open_ == "((" and text[j] == ")" and parens > 0:
            parens -= 1
            j += 1
            continue
        if close == ")" and text[j] in "ce":
            m = _CASE_RE.match(text, j)
            if m and (j == 0 or text[j - 1] in _WORD_START):
                cases += 1 if m.group(1) == "case" else -1
                j = m.end()
                continue
        if close == ")" and text[j] == ")" and cases > 0 and depth == 1:
            j += 1  # the paren that ends a case pattern
            continue
        if text.startswith(close, j):
            depth -= 1
            if depth == 0:
                return j + len(close)
            j += len(close)
            continue
        if text.startswith(open_, j):
            depth += 1
            j += len(open_)
            continue
        c = text[j]
        if c == "\\":
            j += 2
        elif c == "'" and open_ != "((":
            k = text.find("'", j + 1)
            j = n if k < 0 else k + 1
        elif c == '"':
            j = skip_dquote(text, j)
        elif c == "$":
            j = skip_dollar(text, j)
        elif c == "`":
            j = skip_backtick(text, j)
        elif c == "(" and close == ")":
            depth += 1
            j += 1
        else:
            j += 1
    raise ShellSyntaxError(f"unexpected EOF while looking for matching `{close}'")


_OPERATORS = ("&&", "||", "(", ")", "! ", "!(", "< ", "> ")


def split_words(text: str, operators: bool = False) -> list[str]:
    """Split raw text into shell words (quotes and expansions kept intact).
    With ``operators``, ``&& || ( ) ! < >`` stand alone (for ``[[ ]]``)."""
    words: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t\n":
            i += 1
        if i >= n:
            break
        regex_word = operators and bool(words) and words[-1] == "=~"
        if operators and not regex_word:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None and text[i] in "!<>" and i + 1 == n:
                op = text[i]
            if op:
                words.append(op[0] if op[0] in "!<>" else op)
                i += 1 if op[0] in "!<>" else len(op)
                continue
        start = i
        depth = 0
        while i < n and text[i] not in " \t\n":
            c = text[i]
            if operators and (text.startswith("&&", i) or text.startswith("||", i)):
                break
            if regex_word:  # the right side of =~ may hold ( ) | < > freely
                if c == "(":
                    depth += 1
                elif c == ")":
                    if depth == 0:
                        break
                    depth -= 1
            elif operators and c == "(" and i > start:
                depth += 1  # a paren inside a word like @(a|b) stays
            elif operators and c == ")" and depth > 0:
                depth -= 1
            elif operators and c in "()":
                break  # a bare one ends the word
            if c == "\\":
                i += 2
            elif c == "'":
                k = text.find("'", i + 1)
                if k < 0:
                    raise ShellSyntaxError("unexpected EOF while looking for matching `''")
                i = k + 1
            elif c == '"':
                i = skip_dquote(text, i)
            elif c == "$":
                i = skip_dollar(text, i)
            elif c == "`":
                i = skip_backtick(text, i)
            else:
                i += 1
        if i > start:
            words.append(text[start:i])
    return words


_HEREDOC_RE = re.compile(r"""<<(-?)[ \t]*((?:'[^']*'|"[^"]*"|\\.|[^\s;&|<>()'"\\])+)""")
#: placeholder name -> here-document, shared by every parse so that a
#: ``$(cat <<EOF ...)`` re-parsed at run time still finds its body
HEREDOCS: dict[str, Heredoc] = {}
_heredoc_ids = itertools.count()


def extract_heredocs(src: str) -> tuple[str, dict[str, Heredoc]]:
    """Replace each ``<<WORD`` (and ``<<-WORD``) with an input redirect from a
    placeholder name and cut its body lines out of the source."""
    docs: dict[str, Heredoc] = {}
    if "<<" not in src:
        return src, docs
    lines = src.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        # a quoted string may go on over newlines: the here-document's body starts after
        # the line its operator's command ends on (`echo 'a⏎b'; cat <<E`)
        state = _quote_state(line, None)
        while state is not None and i < len(lines):
            line += "\n" + lines[i]
            state = _quote_state(lines[i], state)
            i += 1
        pending: list[tuple[str, str, bool, bool]] = []  # (key, delimiter, expand, strip)
        new_line = []
        pos = 0
        for start, end, dash, word in _heredoc_tokens(line):
            new_line.append(line[pos:start])
            quoted = any(q in word for q in "'\"\\")
            delim = word.replace("'", "").replace('"', "").replace("\\", "")
            key = f"__corral_heredoc_{next(_heredoc_ids)}__"
            new_line.append(f"< {key}")
            pending.append((key, delim, not quoted, bool(dash)))
            pos = end
        new_line.append(line[pos:])
        out.append("".join(new_line))
        for n, (key, delim, expand, strip) in enumerate(pending):
            body: list[str] = []
            found = False
            while i < len(lines):
                raw = lines[i]
                i += 1
                cmp = raw.lstrip("\t") if strip else raw
                if cmp == delim:
                    found = True
                    break
                body.append(cmp)
            docs[key] = HEREDOCS[key] = Heredoc(
                "".join(b + "\n" for b in body), expand, delim, strip
            )
            if len(HEREDOCS) > 10_000:
                for old_key in list(HEREDOCS)[:5_000]:
                    HEREDOCS.pop(old_key, None)
            if not found and n == len(pending) - 1:
                # bash warns and uses what it has; so do we
                pass
    return "\n".join(out), docs


def join_continuations(src: str) -> str:
    """Remove backslash-newline pairs outside single quotes and comments."""
    if "\\\n" not in src:
        return src
    out: list[str] = []
    i = 0
    n = len(src)
    in_dq = False
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n:
            if src[i + 1] == "\n":
                i += 2
                continue
            out.append(src[i : i + 2])
            i += 2
            continue
        if c == '"':
            in_dq = not in_dq
        elif c == "'" and not in_dq:
            k = src.find("'", i + 1)
            k = n - 1 if k < 0 else k
            out.append(src[i : k + 1])
            i = k + 1
            continue
        elif c == "#" and not in_dq and (i == 0 or src[i - 1] in " \t\n;&|("):
            k = src.find("\n", i)
            k = n if k < 0 else k
            out.append(src[i:k])
            i = k
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _quote_state(text: str, state: str | None) -> str | None:
    """The quote open at the end of ``text`` (``'``, ``"``, ``$'``, or None) when it
    starts inside ``state``: one linear pass (a comment ends the scan)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if state == "'":
            k = text.find("'", i)
            if k < 0:
                return state
            state, i = None, k + 1
            continue
        if state is not None:  # inside "…" or $'…': a backslash escapes the next one
            if c == "\\":
                i += 2
                continue
            if c == state[-1]:
                state = None
            i += 1
            continue
        if c == "\\":
            i += 2
            continue
        if c == "$" and text.startswith("$'", i):
            state, i = "$'", i + 2
            continue
        if c in "'\"":
            state, i = c, i + 1
            continue
        if c == "#" and (i == 0 or text[i - 1] in " \t;&|("):
            return None
        i += 1
    return state


def _heredoc_tokens(line: str) -> list[tuple[int, int, str, str]]:
    """Positions of here-doc operators outside quotes, comments and ``$((``."""
    found = []
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            k = line.find("'", i + 1)
            i = n if k < 0 else k + 1
            continue
        if c == '"':
            try:
                i = skip_dquote(line, i)
            except ShellSyntaxError:
                return found
            continue
        if c == "#" and (i == 0 or line[i - 1] in " \t;&|("):
            return found
        if line.startswith("$((", i) or line.startswith("((", i):
            try:
                i = find_close(line, i + (3 if c == "$" else 2), "((", "))")
            except ShellSyntaxError:
                return found
            continue
        if line.startswith("<<<", i):
            i += 3
            continue
        if line.startswith("<<", i):
            m = _HEREDOC_RE.match(line, i)
            if m:
                found.append((m.start(), m.end(), m.group(1), m.group(2)))
                i = m.end()
                continue
        i += 1
    return found
