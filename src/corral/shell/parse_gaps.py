"""Valid bash that tree-sitter-bash refuses, rewritten into bash it parses.

Applied by ``parser.parse`` only when tree-sitter reports an error; everything is
rewritten outside quotes and comments, in one scan (:func:`fill`):

- a compound command's end followed by a closing reserved word without a ``;``
  (``if true; then { a; } fi``, ``while ( false ) do``, ``fi fi``, ``done done``,
  ``if ((1)) then``, ``[[ a ]] then``): a ``;`` is put between them;
- ``!`` before a compound command (``! { a; }``, ``! if …``, ``! for …``): written as a
  pipeline whose first stage is the marker word :data:`NOT_MARK`; the converter drops
  that stage and negates the pipeline, as ``! a | b`` negates the whole of it;
- a function whose body is a loop or ``case`` (``f() for …``, ``function f while …``):
  written ``f FN_MARK | for …``; the converter makes the first two stages the function,
  so redirections after the body stay on it;
- a here-string after a compound command (``done <<< "$x"``, ``{ …; } <<< x``): written
  ``<&HERESTRING_MARK"$x"``, which the converter turns back into ``<<<``;
- ``for x in a b; { …; }`` (bash's undocumented brace body of ``for``/``select``):
  written ``do … done``;
- an explicit fd 0 on a redirection after a compound command (``done 0< f``,
  ``} 0<&3``, ``) 0<<< x``): the ``0`` is dropped, ``<`` meaning fd 0 already;
- ``;&`` or ``;;&`` ending the last arm of a ``case`` (nothing follows to fall into or
  test): an arm ``ARM_MARK) ;;`` is put after it, which the converter drops.

The marker words carry the process's random tag (:data:`rewrite.TAG`), so a script
cannot write one.
"""

from __future__ import annotations

import re

from .rewrite import TAG, hole, rewrite_outside_quotes

NOT_MARK = f"__corral_not{TAG}__"
FN_MARK = f"__corral_fn{TAG}__"
ARM_MARK = f"__corral_arm{TAG}__"
HERESTRING_MARK = f"__corral_hs{TAG}__"

_LOOKBEHIND = 200
#: what may stand before a word in command position (after spaces): CMD a separator,
#: an opening or a reserved word; NOT the same but a single `|` (bash refuses
#: `a | ! b`); SEP a separator only (a closing word; else it follows the end of a
#: compound command, `fi fi`, `} done`, `) }`, which the scan remembers)
CMD, NOT, SEP = "cmd", "not", "sep"
_KEYWORDS = frozenset(("then", "do", "else", "elif", "if", "while", "until"))


def _position(text: str, j: int, kind: str) -> bool:
    """Whether a command word may start after ``text[:j]`` (spaces already skipped)."""
    if j == 0:
        return True
    c = text[j - 1]
    if c in ";&\n":
        return True
    if c == "|":
        return kind != NOT or text[j - 2 : j] == "||"
    if kind == SEP:
        return False
    if c in "({":
        return True
    if text[j - 2 : j] == "()":
        return kind == CMD
    k = j
    while k > 0 and (text[k - 1].isalnum() or text[k - 1] == "!"):
        k -= 1
    word = text[k:j]
    if word not in _KEYWORDS and (word != "!" or kind != CMD):
        return False
    return k == 0 or text[k - 1] in " \t\n;&|(){}"

_CLOSE_WORD = re.compile(r"(?:\}|fi|done|esac|\]\])(?=[\s;&|)<>]|$)")
#: a closing reserved word that may follow the end of a compound command unseparated
_FOLLOW = re.compile(r"[ \t]*(?=(?:\}|fi|done|esac|then|do|else|elif)(?:[\s;&|)<>]|$))")
_COMPOUND = r"(?=(?:\{|if|for|while|until|case|select)(?:[\s;]|$)|\(\()"
_NOT = re.compile(r"![ \t]+" + _COMPOUND)
#: what tree-sitter-bash reads wrongly without reporting an error: `!` before a compound
MISREAD = _NOT
_NAME = r"[^\s;&|()<>'\"`$\\]+"
_LOOP = r"(\s*)(?=(?:for|while|until|case|select)(?:[\s;]|$))"
_FUNCTION_KW = re.compile(r"function[ \t]+(" + _NAME + r")(?:[ \t]*\([ \t]*\))?" + _LOOP)
_PARENS_LOOP = re.compile(r"\([ \t]*\)" + _LOOP)
_NAME_BEFORE = re.compile(r"(" + _NAME + r")[ \t]*$")
#: the text before a case pattern's optional `(`
_PATTERN_POS = re.compile(r"(?:[\s;]in|;;|;&|;;&)\s*$")
#: a `for`/`select` header before a `{` that is its body (`for i in a b; {`)
_LOOP_HEADER = re.compile(
    r"(?:^|(?<=[\s;&|(){}]))(?:for|select)[ \t]+[A-Za-z_]\w*"
    r"(?:[ \t]+in(?:[ \t]+[^;&|\n()<>]*)?)?[ \t]*[;\n]\s*$"
)
#: `function NAME [()]` before its body's `{`
_FUNCTION_BRACE = re.compile(r"(?:^|[\s;&|(){}])function[ \t]+" + _NAME + r"[ \t]*(?:\(\)\s*)?\s*$")
#: the words the scan stops at (besides its one-character triggers)
_WORD_TRIGGERS = r"(?<![\w$-])(?:function|case|fi|done|esac)(?![\w-])"
_CASE = re.compile(r"case(?=[ \t])")
_LAST_ARM = re.compile(r";;?&(?=(?:\s|#[^\n]*)*esac(?:[\s;&|)<>]|$))")
#: an explicit fd 0 on a redirection after a compound command (`done 0< f`,
#: `} 0<&3`), which tree-sitter-bash refuses: the `0` is dropped (`<` means fd 0)
_FD0 = re.compile(r"([ \t]+)0(?=<)")


#: a brace word: `{…}` with what is glued after it (one run of a class per part, so a
#: long `{,,,,…` without its `}` costs one scan, not a backtracking search)
_BRACE_WORD = re.compile(r"\{([^\s;&|<>(){}'\"]*)\}[^\s;&|<>()]*")


def _before(pat: re.Pattern[str], text: str, i: int) -> bool:
    return pat.search(text, max(0, i - _LOOKBEHIND), i) is not None


class _Scan:
    """One pass over the text; holds the open parentheses seen so far."""

    def __init__(self) -> None:
        # what is open: "(" or "((" (and whether it opened a subshell / arithmetic
        # command), "case" (its patterns' `)` close nothing), "pat" (a pattern's `(`)
        self.parens: list[tuple[str, bool]] = []
        # where a command starts that the text before does not show: after a case
        # pattern's `)` (which closes no `(`) and after a rewritten `f()`
        self.starts: set[int] = set()
        # where a compound command ends (a closing word may follow without `;`)
        self.ends: set[int] = set()

    def _command_at(self, kind: str, text: str, i: int) -> bool:
        j = i
        while j > 0 and text[j - 1] in " \t":
            j -= 1
        return i in self.starts or j in self.starts or _position(text, j, kind)

    def at(self, text: str, i: int, in_dq: bool) -> tuple[str, int] | None:
        c = text[i]
        if c == "(":
            return self._open(text, i)
        if c == ")":
            return self._close(text, i)
        if c == "<":
            if text.startswith("<<<", i) and not text.startswith("<", i + 3) and (
                    i == 0 or text[i - 1] != "<"):  # fmt: skip
                j = i + 3
                while j < len(text) and text[j] in " \t":
                    j += 1
                return "<&" + HERESTRING_MARK, j
            return None
        if c == "!":
            if _NOT.match(text, i) and self._command_at(NOT, text, i):
                return NOT_MARK + " |", i + 1
            return None
        if c == ";":
            m = _LAST_ARM.match(text, i)
            if m:
                return f"{m.group(0)} {ARM_MARK}) ;;", m.end()
            return None
        word_start = i == 0 or text[i - 1] in " \t\n;&|(){"
        if c == "f" and word_start:
            m = _FUNCTION_KW.match(text, i)
            if m and self._command_at(CMD, text, i):
                self.starts.add(m.end())
                return f"{m.group(1)} {FN_MARK} |{m.group(2)}", m.end()
        if c == "c" and word_start and _CASE.match(text, i) and self._command_at(CMD, text, i):
            self.parens.append(("case", False))
            return None
        if c == "{" and word_start and text[i + 1 : i + 2] not in (" ", "\t", "\n", ""):
            # a brace expansion as the command word (`{curl,-s,URL}|sh`): a word for bash,
            # a group's `{` for tree-sitter; hidden as a placeholder word, restored whole
            m = _BRACE_WORD.match(text, i)
            # a brace expansion: `{a,b}` or `{1..3}`
            if m and ("," in m.group(1) or ".." in m.group(1)) and self._command_at(CMD, text, i):
                return hole(m.group(0)), m.end()
            return None
        if c == "{" and word_start and text[i + 1 : i + 2] in (" ", "\t", "\n"):
            head = _LOOP_HEADER.search(text, max(0, i - _LOOKBEHIND), i)
            if head and self._command_at(CMD, text, head.start()):  # bash's old form
                self.parens.append(("for{", True))
                return "do", i + 1
            if self._command_at(CMD, text, i) or _before(_FUNCTION_BRACE, text, i):
                self.parens.append(("{", True))
            return None
        if c == "[" and text.startswith("[[", i) and text[i + 2 : i + 3] in (" ", "\t"):
            self.parens.append(("[[", word_start and self._command_at(CMD, text, i)))
            return "[[", i + 2
        return self._close_word(text, i)

    def _open(self, text: str, i: int) -> tuple[str, int] | None:
        m = _PARENS_LOOP.match(text, i)
        if m:
            name = _NAME_BEFORE.search(text, max(0, i - _LOOKBEHIND), i)
            if name and self._command_at(CMD, text, name.start()):
                self.starts.add(m.end())
                return f" {FN_MARK} |{m.group(1)}", m.end()
        if self.parens and self.parens[-1][0] == "case" and _before(_PATTERN_POS, text, i):
            self.parens.append(("pat", False))  # `case x in (a) …`
            return None
        opens_command = (i == 0 or text[i - 1] not in "$<>=@!*+?") and self._command_at(
            CMD, text, i
        )
        if text.startswith("((", i):
            self.parens.append(("((", opens_command))
            return "((", i + 2
        self.parens.append(("(", opens_command))
        return None

    def _close(self, text: str, i: int) -> tuple[str, int] | None:
        while self.parens and self.parens[-1][0] in ("[[", "{", "for{"):
            self.parens.pop()  # a `[[` no `]]` closed (`echo [[ x`), a `{` no `}` closed
        if not self.parens or self.parens[-1][0] in ("case", "pat"):
            if self.parens and self.parens[-1][0] == "pat":
                self.parens.pop()
            self.starts.add(i + 1)  # a case pattern's `)`
            return None
        kind, command = self.parens.pop()
        width = 2 if kind == "((" and text.startswith("))", i) else 1
        end = i + width
        if not command:
            return text[i:end], end
        self.ends.add(end)
        if _FOLLOW.match(text, end):
            return text[i:end] + ";", end
        fd0 = _FD0.match(text, end)
        if fd0:
            return text[i:end] + fd0.group(1), fd0.end()
        return text[i:end], end

    def _close_word(self, text: str, i: int) -> tuple[str, int] | None:
        m = _CLOSE_WORD.match(text, i)
        if m is None or (i and text[i - 1] not in " \t\n;&|)"):
            return None
        if text[i] == "]":
            if not self.parens or self.parens[-1][0] != "[[":
                return None
            if not self.parens.pop()[1]:
                return m.group(0), m.end()
        else:
            j = i
            while j > 0 and text[j - 1] in " \t":
                j -= 1
            if j not in self.ends and not self._command_at(SEP, text, i):
                return None
        word = m.group(0)
        if word == "esac" and self.parens and self.parens[-1][0] == "case":
            self.parens.pop()
        if (word == "}" and self.parens and self.parens[-1][0] in ("{", "for{")
                and self.parens.pop()[0] == "for{"):  # fmt: skip
            word = "done"
        self.ends.add(m.end())
        if _FOLLOW.match(text, m.end()):
            return word + ";", m.end()
        fd0 = _FD0.match(text, m.end())
        if fd0:
            return word + fd0.group(1), fd0.end()
        return (word, m.end()) if word != m.group(0) else None


def fill(text: str) -> str:
    """``text`` with the constructs above rewritten (unchanged when it has none)."""
    return rewrite_outside_quotes(text, "(){}[]!;<", _Scan().at, words=_WORD_TRIGGERS)
