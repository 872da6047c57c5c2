"""Text-level scanning the tree does not do for us: splitting raw text into
shell words, finding the end of ``$(...)`` and ``${...}``, and lifting
here-document bodies out of the source before tree-sitter sees them."""

from __future__ import annotations

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


def find_close(text: str, i: int, open_: str, close: str) -> int:
    """Index just past the ``close`` that balances an already-consumed
    ``open_``, skipping quotes and nested expansions."""
    depth = 1
    n = len(text)
    j = i
    while j < n:
        if text.startswith(close, j) and (True):
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


_OPERATORS = ("&&", "||", "(", ")", "!", "<", ">")


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
            if op:
                words.append(op)
                i += len(op)
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
            # a paren inside a word like a(b) stays; a bare one ends the word
            elif operators and c in "()" and (i == start or c == ")"):
                break
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


_HEREDOC_RE = re.compile(r"<<(-?)[ \t]*('[^']*'|\"[^\"]*\"|\\?[A-Za-z0-9_.\-]+)")


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
        pending: list[tuple[str, bool, bool]] = []  # (delimiter, expand, strip tabs)
        new_line = []
        pos = 0
        for start, end, dash, word in _heredoc_tokens(line):
            new_line.append(line[pos:start])
            quoted = any(q in word for q in "'\"\\")
            delim = word.replace("'", "").replace('"', "").replace("\\", "")
            key = f"__corral_heredoc_{len(docs) + len(pending)}__"
            new_line.append(f"< {key}")
            pending.append((delim, not quoted, bool(dash)))
            pos = end
        new_line.append(line[pos:])
        out.append("".join(new_line))
        for n, (delim, expand, strip) in enumerate(pending):
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
            key = f"__corral_heredoc_{len(docs)}__"
            docs[key] = Heredoc("".join(b + "\n" for b in body), expand)
            if not found and n == len(pending) - 1:
                # bash warns and uses what it has; so do we
                pass
    return "\n".join(out), docs


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
