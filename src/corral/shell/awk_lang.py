"""The awk language for the corral shell: lexer, parser, closure compiler, runtime.

POSIX awk as GNU awk runs it (plus the gawk extensions agents reach for:
``gensub``, ``asort``/``asorti``, ``strftime``/``systime``, ``length(array)``,
the three-argument ``match``, ``PROCINFO["sorted_in"]``, bit functions).

The program is tokenized, parsed into a small AST (:class:`N`), then compiled
into nested Python closures (one per node), which the :class:`Runtime` runs
over the input records. Values are awk values:

* ``float`` - a number;
* ``str`` - a string;
* :class:`StrNum` - a string that came from input (fields, ``getline``,
  ``split``, ``ARGV``, ``ENVIRON``, ``-v``); it compares as a number when it
  looks like one;
* :data:`UNINIT` - the uninitialised value (both ``""`` and ``0``);
* ``dict`` - an array (never a value of an expression).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import math
import operator
import random
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import IO, Any

from .. import saferegex

# --------------------------------------------------------------------------
# errors and control flow


class AwkSyntaxError(Exception):
    """A compile-time error: status 1, like gawk."""

    def __init__(
        self,
        msg: str,
        where: str = "",
        line_text: str | None = None,
        col: int | None = None,
        status: int = 1,
        plain: bool = False,
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.plain = plain
        self.where = where
        self.line_text = line_text
        self.col = col
        self.status = status

    def lines(self) -> list[str]:
        pre = f"{self.where}: " if self.where else ""
        if self.line_text is not None and self.col is not None:
            return [f"{pre}{self.line_text}", f"{pre}{' ' * self.col}^ {self.msg}"]
        if self.status == 2:
            return [f"{pre}fatal: {self.msg}"]
        if self.plain:
            return [f"{pre}{self.msg}"]
        return [f"{pre}error: {self.msg}"]


class AwkFatal(Exception):
    """A run-time error: status 2. ``where`` is filled in by the closure that
    knows the source line."""

    def __init__(
        self, msg: str, where: str | None = None, extra: str = "", ctxinfo: bool = True
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.where = where
        self.extra = extra
        self.ctxinfo = ctxinfo


class AwkExit(Exception):
    pass


class NextRecord(Exception):
    pass


class NextFile(Exception):
    pass


# statement signals (returned by compiled statements)
BRK = 1
CONT = 2
RET = 3

MAX_STR = 256 * 1024 * 1024  # longest string a program may build
MAX_FIELD = 1_000_000  # highest field number a program may touch
MAX_DEPTH = 1000  # awk function call nesting
MAX_PIPE_BUF = 64 * 1024 * 1024

# --------------------------------------------------------------------------
# values


class StrNum(str):
    """A string from input: numeric when it looks like a number."""

    __slots__ = ()


class _Uninit(StrNum):
    __slots__ = ()


UNINIT = _Uninit("")
EMPTY = StrNum("")  # a field past NF

_WS = " \t\n\r\f\v"
_NUM_BODY = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
_NUM_PREFIX = re.compile(r"[ \t\n\r\f\v]*(" + _NUM_BODY + ")")
_LOOKS_NUM = re.compile(r"[ \t\n\r\f\v]*" + _NUM_BODY + r"[ \t\n\r\f\v]*\Z")
_MAGIC = {"+inf": math.inf, "-inf": -math.inf, "+nan": math.nan, "-nan": -math.nan}
_INF = math.inf


def str_to_num(s: Any) -> float:
    """awk's string-to-number conversion (leading numeric prefix, else 0)."""
    if s.__class__ is float:
        return s
    if isinstance(s, dict):
        raise AwkFatal("attempt to use array in a scalar context")
    try:
        f = float(s)
    except ValueError:
        m = _NUM_PREFIX.match(s)
        if m is None:
            return 0.0
        return float(m.group(1))
    if f - f == 0.0 and "_" not in s:
        return f
    t = s.strip(_WS).lower()
    if t in _MAGIC:
        return _MAGIC[t]
    m = _NUM_PREFIX.match(s)
    return float(m.group(1)) if m else 0.0


def looks_num(s: str) -> bool:
    if _LOOKS_NUM.match(s) is not None:
        return True
    return len(s) >= 4 and s.strip(_WS).lower() in _MAGIC


def numish(v: Any) -> bool:
    """Does ``v`` compare as a number (number, numeric strnum, uninit)?"""
    c = v.__class__
    if c is float:
        return True
    if c is str:
        return False
    if c is dict:
        raise AwkFatal("attempt to use array in a scalar context")
    return v is UNINIT or looks_num(v)


def truth(v: Any) -> bool:
    c = v.__class__
    if c is float:
        return v != 0.0
    if c is str:
        return v != ""
    if c is dict:
        raise AwkFatal("attempt to use array in a scalar context")
    if v is UNINIT or v == "":
        return False
    if looks_num(v):
        return str_to_num(v) != 0.0
    return True


def special_float(f: float) -> str:
    if f != f:
        return "-nan" if math.copysign(1.0, f) < 0 else "+nan"
    return "-inf" if f < 0 else "+inf"


# --------------------------------------------------------------------------
# regular expressions: POSIX ERE (gawk flavour) -> Python re

_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "0-9A-Za-z",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": "".join("\\" + c for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
    "cntrl": "\\x00-\\x1f\\x7f",
    "xdigit": "0-9A-Fa-f",
    "word": "0-9A-Za-z_",
}

_SIMPLE_ESC = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "f": "\f",
    "v": "\v",
    "a": "\a",
    "b": "\b",
}


class AwkRegexError(Exception):
    pass


def _class_char(c: str) -> str:
    if c in "\\]^-[&~|":
        return "\\" + c
    if c == "\n":
        return "\\n"
    return c


def _read_escape(src: str, i: int) -> tuple[str, int]:
    """``src[i]`` follows a backslash: the literal char it stands for, new index
    (for escapes that denote one character)."""
    d = src[i]
    if d in _SIMPLE_ESC:
        return _SIMPLE_ESC[d], i + 1
    if d in "01234567":
        j = i
        while j < len(src) and j < i + 3 and src[j] in "01234567":
            j += 1
        return chr(int(src[i:j], 8) & 0xFF), j
    if d == "x":
        j = i + 1
        while j < len(src) and j < i + 3 and src[j] in "0123456789abcdefABCDEF":
            j += 1
        if j == i + 1:
            return "x", i + 1
        return chr(int(src[i + 1 : j], 16)), j
    return d, i + 1


def _parse_bracket(src: str, i: int) -> tuple[str, int]:
    """``src[i] == '['``: a Python character class and the index past it."""
    n = len(src)
    j = i + 1
    neg = False
    if j < n and src[j] == "^":
        neg = True
        j += 1
    items: list[str] = []
    first = True
    while True:
        if j >= n:
            raise AwkRegexError(
                "Invalid regular expression" if j == i + 1 else "Unmatched [, [^, [:, [., or [="
            )
        c = src[j]
        if c == "]" and not first:
            j += 1
            break
        first = False
        if c == "[" and j + 1 < n and src[j + 1] in ":.=":
            kind = src[j + 1]
            end = src.find(kind + "]", j + 2)
            if end != -1:
                name = src[j + 2 : end]
                j = end + 2
                if kind == ":":
                    if name not in _CLASSES:
                        raise AwkRegexError("Invalid character class name")
                    items.append(_CLASSES[name])
                else:
                    items.append("".join(_class_char(ch) for ch in name))
                continue
        if c == "\\" and j + 1 < n:
            lo, j = _read_escape(src, j + 1)
        else:
            lo = c
            j += 1
        if j + 1 < n and src[j] == "-" and src[j + 1] != "]":
            hc = src[j + 1]
            if hc == "\\" and j + 2 < n:
                hi, j = _read_escape(src, j + 2)
            elif hc == "[" and j + 2 < n and src[j + 2] in ".=":
                end = src.find(src[j + 2] + "]", j + 3)
                if end == -1:
                    raise AwkRegexError("Unmatched [, [^, [:, [., or [=")
                hi = src[j + 3 : end][:1] or "["
                j = end + 2
            else:
                hi = hc
                j += 2
            if ord(hi) < ord(lo):
                raise AwkRegexError("Invalid range end")
            items.append(_class_char(lo) + "-" + _class_char(hi))
        else:
            items.append(_class_char(lo))
    body = "".join(items)
    if not body:
        return ("[\\s\\S]" if neg else "(?!)"), j
    return ("[^" if neg else "[") + body + "]", j


_INTERVAL = re.compile(r"\{(\d*)(,?)(\d*)\}")


def translate_ere(src: str) -> str:
    """Translate a POSIX extended regular expression (with gawk's extensions
    ``\\y \\B \\< \\> \\s \\S \\w \\W \\` \\'``) into Python ``re`` syntax."""
    out: list[str] = []
    last_atom: int | None = None  # index in out where the last atom starts
    quantified = False
    depth = 0
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            i += 1
            if i >= n:
                out.append("\\\\")
                last_atom, quantified = len(out) - 1, False
                continue
            d = src[i]
            special = {
                "y": "\\b",
                "B": "\\B",
                "<": "\\b(?=\\w)",
                ">": "\\b(?<=\\w)",
                "`": "\\A",
                "'": "\\Z",
            }
            if d in special:
                out.append(special[d])
                i += 1
                last_atom = None
                continue
            if d in "sSwW":
                out.append(
                    {
                        "s": "[ \\t\\n\\r\\f\\v]",
                        "S": "[^ \\t\\n\\r\\f\\v]",
                        "w": "[0-9A-Za-z_]",
                        "W": "[^0-9A-Za-z_]",
                    }[d]
                )
                i += 1
            else:
                ch, i = _read_escape(src, i)
                out.append(re.escape(ch))
            last_atom, quantified = len(out) - 1, False
            continue
        if c == "[":
            cls, i = _parse_bracket(src, i)
            out.append(cls)
            last_atom, quantified = len(out) - 1, False
            continue
        if c == "(":
            depth += 1
            out.append("(")
            i += 1
            last_atom = None
            continue
        if c == ")":
            if depth == 0:
                raise AwkRegexError("Unmatched ) or \\)")
            depth -= 1
            # the group is the atom: find its opening
            k = len(out) - 1
            level = 0
            while k >= 0:
                if out[k] == ")":
                    level += 1
                elif out[k] == "(":
                    if level == 0:
                        break
                    level -= 1
                k -= 1
            out.append(")")
            last_atom, quantified = k, False
            i += 1
            continue
        if c == "|":
            out.append("|")
            i += 1
            last_atom = None
            continue
        if c == "^":
            out.append("^")
            i += 1
            last_atom = None
            continue
        if c == "$":
            out.append("\\Z")
            i += 1
            last_atom = None
            continue
        if c == ".":
            out.append(".")
            i += 1
            last_atom, quantified = len(out) - 1, False
            continue
        quant = None
        if c in "*+?":
            quant = c
            i += 1
        elif c == "{":
            m = _INTERVAL.match(src, i)
            if m and (m.group(1) or m.group(3)) and last_atom is not None:
                lo, comma, hi = m.group(1), m.group(2), m.group(3)
                if lo and hi and int(hi) < int(lo):
                    raise AwkRegexError("Invalid content of \\{\\}")
                quant = "{" + (lo or "0") + comma + hi + "}"
                i = m.end()
            else:
                out.append("\\{")
                i += 1
                last_atom, quantified = len(out) - 1, False
                continue
        if quant is not None:
            if last_atom is None:
                out.append(re.escape(quant))
                last_atom, quantified = len(out) - 1, False
                continue
            if quantified:
                grouped = "(?:" + "".join(out[last_atom:]) + ")"
                del out[last_atom:]
                out.append(grouped)
            out.append(quant)
            quantified = True
            continue
        out.append(re.escape(c))
        last_atom, quantified = len(out) - 1, False
        i += 1
    if depth:
        raise AwkRegexError("Unmatched ( or \\(")
    return "".join(out)


@lru_cache(maxsize=1024)
def compile_ere(src: str) -> re.Pattern[str]:
    try:
        return saferegex.compile(translate_ere(src), re.DOTALL)
    except (AwkRegexError, re.error) as e:
        msg = e.msg if isinstance(e, re.error) else str(e)
        raise AwkFatal(f"invalid regexp: {msg}: /{src}/") from None
    except RecursionError:
        raise AwkFatal(f"regexp too complex: /{src}/") from None


# --------------------------------------------------------------------------
# lexer

KEYWORDS = {
    "BEGIN",
    "END",
    "function",
    "func",
    "if",
    "else",
    "while",
    "for",
    "do",
    "break",
    "continue",
    "next",
    "nextfile",
    "exit",
    "return",
    "delete",
    "getline",
    "print",
    "printf",
    "in",
}

BUILTINS = {
    "length",
    "substr",
    "index",
    "split",
    "sub",
    "gsub",
    "gensub",
    "match",
    "sprintf",
    "sin",
    "cos",
    "atan2",
    "exp",
    "log",
    "sqrt",
    "int",
    "rand",
    "srand",
    "tolower",
    "toupper",
    "system",
    "close",
    "fflush",
    "systime",
    "strftime",
    "mktime",
    "asort",
    "asorti",
    "and",
    "or",
    "xor",
    "lshift",
    "rshift",
    "compl",
    "strtonum",
}

_OPS = [
    "**=",
    "**",
    "+=",
    "-=",
    "*=",
    "/=",
    "%=",
    "^=",
    "==",
    "<=",
    ">=",
    "!=",
    "!~",
    "++",
    "--",
    "&&",
    "||",
    ">>",
]
_OP1 = set("{}()[];,+-*/%^!><|?:~$=")
_OPERAND_END = {"NUMBER", "STRING", "ERE", "NAME", "BUILTIN", ")", "]", "++", "--", "$"}
_NUM_RE = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Token:
    __slots__ = ("col", "kind", "line", "src", "value")

    def __init__(self, kind: str, value: Any, src: int, line: int, col: int) -> None:
        self.kind = kind
        self.value = value
        self.src = src
        self.line = line
        self.col = col

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Token({self.kind!r}, {self.value!r}, {self.line}:{self.col})"


class Source:
    def __init__(self, name: str, text: str) -> None:
        self.name = name  # "cmd. line" or a file name
        self.text = text
        self.lines = text.split("\n")

    def where(self, line: int) -> str:
        return f"{self.name}:{line}"


def unescape_string(s: str) -> str:
    """Process the escapes of an awk string (``-v`` values, assignments)."""
    if "\\" not in s:
        return s
    out: list[str] = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = s[i + 1]
        if d == "\n":
            i += 2
            continue
        if d in '"\\/':
            out.append(d)
            i += 2
            continue
        ch, i = _read_escape(s, i + 1)
        out.append(ch)
    return "".join(out)


def tokenize(sources: list[Source]) -> list[Token]:
    toks: list[Token] = []
    line, col = 1, 0
    for si, src in enumerate(sources):
        _tokenize_one(src, si, toks)
        # the end: after the last line that has something on it
        line = len(src.lines)
        while line > 1 and not src.lines[line - 1].strip():
            line -= 1
        col = len(src.lines[line - 1])
        toks.append(Token("NEWLINE", None, si, line, col))
    toks.append(Token("EOF", None, len(sources) - 1, line, col))
    return toks


def _tokenize_one(src: Source, si: int, toks: list[Token]) -> None:
    text = src.text
    n = len(text)
    i = 0
    line = 1
    line_start = 0
    prev = "NEWLINE"

    def err(msg: str, pos: int) -> AwkSyntaxError:
        return AwkSyntaxError(msg, src.where(line), src.lines[line - 1], pos - line_start)

    while i < n:
        c = text[i]
        if c in " \t\r":
            i += 1
            continue
        if c == "\\" and i + 1 < n and text[i + 1] == "\n":
            i += 2
            line += 1
            line_start = i
            continue
        if c == "\\" and text.startswith("\r\n", i + 1):
            i += 3
            line += 1
            line_start = i
            continue
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        col = i - line_start
        if c == "\n":
            toks.append(Token("NEWLINE", None, si, line, col))
            prev = "NEWLINE"
            i += 1
            line += 1
            line_start = i
            continue
        if c == '"':
            j = i + 1
            buf: list[str] = []
            while True:
                if j >= n or text[j] == "\n":
                    raise err("unterminated string", i)
                ch = text[j]
                if ch == '"':
                    j += 1
                    break
                if ch == "\\" and j + 1 < n:
                    d = text[j + 1]
                    if d == "\n":
                        j += 2
                        line += 1
                        line_start = j
                        continue
                    if d in '"\\/':
                        buf.append(d)
                        j += 2
                        continue
                    val, j = _read_escape(text, j + 1)
                    buf.append(val)
                    continue
                buf.append(ch)
                j += 1
            toks.append(Token("STRING", "".join(buf), si, line, col))
            prev = "STRING"
            i = j
            continue
        if c == "/" and prev not in _OPERAND_END:
            j = i + 1
            buf = []
            while True:
                if j >= n or text[j] == "\n":
                    raise err("unterminated regexp", i)
                ch = text[j]
                if ch == "/":
                    j += 1
                    break
                if ch == "\\" and j + 1 < n:
                    if text[j + 1] == "/":
                        buf.append("/")
                    elif text[j + 1] == "\n":
                        line += 1
                        line_start = j + 2
                    else:
                        buf.append(text[j : j + 2])
                    j += 2
                    continue
                if ch == "[":
                    k = j + 1
                    if k < n and text[k] == "^":
                        k += 1
                    if k < n and text[k] == "]":
                        k += 1
                    while k < n and text[k] != "]" and text[k] != "\n":
                        if text[k] == "[" and k + 1 < n and text[k + 1] in ":.=":
                            end = text.find(text[k + 1] + "]", k + 2)
                            if end != -1 and "\n" not in text[k:end]:
                                k = end + 2
                                continue
                        if text[k] == "\\":
                            k += 1
                        k += 1
                    if k >= n or text[k] == "\n":
                        raise err("unterminated regexp", i)
                    buf.append(text[j : k + 1])
                    j = k + 1
                    continue
                buf.append(ch)
                j += 1
            toks.append(Token("ERE", "".join(buf), si, line, col))
            prev = "ERE"
            i = j
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUM_RE.match(text, i)
            assert m is not None
            s = m.group()
            if s[:2] in ("0x", "0X"):
                val = float(int(s, 16))
            elif len(s) > 1 and s[0] == "0" and s.isdigit() and set(s) <= set("01234567"):
                val = float(int(s, 8))
            else:
                val = float(s)
            toks.append(Token("NUMBER", val, si, line, col))
            prev = "NUMBER"
            i = m.end()
            continue
        if c.isalpha() or c == "_":
            m = _NAME_RE.match(text, i)
            assert m is not None
            word = m.group()
            i = m.end()
            if word in KEYWORDS:
                kind = "func" if word == "function" else word
                toks.append(Token(kind, word, si, line, col))
                prev = kind
            elif word in BUILTINS:
                toks.append(Token("BUILTIN", word, si, line, col))
                prev = "BUILTIN"
            elif i < n and text[i] == "(":
                toks.append(Token("FUNC_NAME", word, si, line, col))
                prev = "FUNC_NAME"
            else:
                toks.append(Token("NAME", word, si, line, col))
                prev = "NAME"
            continue
        for op in _OPS:
            if text.startswith(op, i):
                toks.append(Token(op, op, si, line, col))
                prev = op
                i += len(op)
                break
        else:
            if c in _OP1:
                toks.append(Token(c, c, si, line, col))
                prev = c
                i += 1
                continue
            raise err(f"invalid char '{c}' in expression", i)


# --------------------------------------------------------------------------
# AST


class N:
    """An AST node: ``k`` is its kind, ``a``..``d`` its parts, ``pos`` the
    token (source, line) it started at."""

    __slots__ = ("a", "b", "c", "d", "k", "pos")

    def __init__(
        self,
        k: str,
        a: Any = None,
        b: Any = None,
        c: Any = None,
        d: Any = None,
        pos: tuple[int, int] = (0, 0),
    ) -> None:
        self.k = k
        self.a = a
        self.b = b
        self.c = c
        self.d = d
        self.pos = pos

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        parts = [repr(x) for x in (self.a, self.b, self.c, self.d) if x is not None]
        return f"{self.k}({', '.join(parts)})"


LVALUES = ("var", "index", "field")
ASSIGN_OPS = {"=", "+=", "-=", "*=", "/=", "%=", "^=", "**="}


class FuncDef:
    def __init__(self, name: str, params: list[str], body: N | None, pos: tuple[int, int]) -> None:
        self.name = name
        self.params = params
        self.body = body
        self.pos = pos


class Program:
    def __init__(self) -> None:
        self.begins: list[N] = []
        self.ends: list[N] = []
        # (pattern, pattern2 or None, is_range, action or None)
        self.rules: list[tuple[N | None, N | None, bool, N | None]] = []
        self.funcs: dict[str, FuncDef] = {}


_CONCAT_START = {"NUMBER", "STRING", "ERE", "NAME", "FUNC_NAME", "BUILTIN", "$", "(", "!"}
_TERMINATORS = {";", "NEWLINE", "}", "EOF"}


class Parser:
    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.toks = tokenize(sources)
        self.i = 0
        self.tok = self.toks[0]
        self.in_print = False  # '>' ends an expression (print redirection)
        self.loop_depth = 0
        self.func: FuncDef | None = None
        self.rule_kind = ""  # "BEGIN", "END" or ""

    # -- helpers -------------------------------------------------------------

    def advance(self) -> Token:
        t = self.tok
        self.i += 1
        self.tok = self.toks[self.i]
        return t

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def error(self, tok: Token | None = None, msg: str | None = None) -> AwkSyntaxError:
        t = tok or self.tok
        src = self.sources[t.src]
        if msg is None:
            msg = (
                "unexpected newline or end of string"
                if t.kind in ("NEWLINE", "EOF")
                else "syntax error"
            )
        line = min(t.line, len(src.lines))
        text = src.lines[line - 1] if src.lines else ""
        return AwkSyntaxError(msg, src.where(line), text, min(t.col, len(text)))

    def plain_error(self, msg: str, tok: Token | None = None, status: int = 1) -> AwkSyntaxError:
        t = tok or self.tok
        return AwkSyntaxError(msg, self.sources[t.src].where(t.line), status=status)

    def expect(self, kind: str) -> Token:
        if self.tok.kind != kind:
            raise self.error()
        return self.advance()

    def pos(self, t: Token | None = None) -> tuple[int, int]:
        t = t or self.tok
        return (t.src, t.line)

    def opt_newlines(self) -> None:
        while self.tok.kind == "NEWLINE":
            self.advance()

    def skip_terms(self) -> None:
        while self.tok.kind in ("NEWLINE", ";"):
            self.advance()

    # -- program ---------------------------------------------------------------

    def parse_program(self) -> Program:
        prog = Program()
        self.skip_terms()
        while self.tok.kind != "EOF":
            self.item(prog)
            if self.tok.kind not in ("NEWLINE", ";", "EOF") and self.toks[self.i - 1].kind != "}":
                raise self.error()
            self.skip_terms()
        return prog

    def item(self, prog: Program) -> None:
        t = self.tok
        if t.kind == "func":
            self.function(prog)
            return
        if t.kind in ("BEGIN", "END"):
            self.advance()
            self.opt_newlines()
            if self.tok.kind != "{":
                raise AwkSyntaxError(
                    f"{t.kind} blocks must have an action part",
                    self.sources[t.src].where(t.line),
                    plain=True,
                )
            self.rule_kind = t.kind
            body = self.block()
            self.rule_kind = ""
            (prog.begins if t.kind == "BEGIN" else prog.ends).append(body)
            return
        if t.kind == "{":
            prog.rules.append((None, None, False, self.block()))
            return
        pat = self.expr()
        pat2 = None
        is_range = False
        if self.tok.kind == ",":
            self.advance()
            self.opt_newlines()
            pat2 = self.expr()
            is_range = True
        action = self.block() if self.tok.kind == "{" else None
        prog.rules.append((pat, pat2, is_range, action))

    def function(self, prog: Program) -> None:
        start = self.advance()
        t = self.tok
        if t.kind not in ("NAME", "FUNC_NAME"):
            if t.kind == "BUILTIN":
                raise self.plain_error(f"function name `{t.value}' previously defined", t)
            raise self.error()
        name = t.value
        self.advance()
        if name in prog.funcs:
            raise self.plain_error(f"function name `{name}' previously defined", t)
        self.expect("(")
        params: list[str] = []
        self.opt_newlines()
        while self.tok.kind != ")":
            p = self.expect("NAME")
            if p.value == name:
                raise self.plain_error(
                    f"function `{name}': cannot use function name as parameter name", p
                )
            if p.value in params:
                raise self.plain_error(
                    f"function `{name}': parameter #{len(params) + 1}, `{p.value}', "
                    f"duplicates parameter #{params.index(p.value) + 1}",
                    p,
                )
            params.append(p.value)
            self.opt_newlines()
            if self.tok.kind == ",":
                self.advance()
                self.opt_newlines()
            elif self.tok.kind != ")":
                raise self.error()
        self.advance()
        self.opt_newlines()
        fd = FuncDef(name, params, None, self.pos(start))
        prog.funcs[name] = fd
        self.func = fd
        fd.body = self.block()
        self.func = None

    # -- statements --------------------------------------------------------------

    def block(self) -> N:
        t = self.expect("{")
        stmts = self.stmt_list()
        self.expect("}")
        return N("block", stmts, pos=self.pos(t))

    def stmt_list(self) -> list[N]:
        stmts: list[N] = []
        while True:
            self.skip_terms()
            if self.tok.kind in ("}", "EOF"):
                return stmts
            stmts.append(self.statement())

    def end_simple(self) -> None:
        k = self.tok.kind
        if k in (";", "NEWLINE"):
            self.advance()
        elif k not in ("}", "EOF"):
            raise self.error()

    def body_stmt(self) -> N:
        """The statement after if/while/for: may be on the next line."""
        self.opt_newlines()
        if self.tok.kind == ";":
            self.advance()
            return N("block", [], pos=self.pos())
        return self.statement()

    def statement(self) -> N:
        t = self.tok
        k = t.kind
        pos = self.pos(t)
        if k == "{":
            return self.block()
        if k == ";":
            self.advance()
            return N("block", [], pos=pos)
        if k == "if":
            self.advance()
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            then = self.body_stmt()
            save = self.i
            while self.tok.kind in ("NEWLINE", ";"):
                self.advance()
            if self.tok.kind == "else":
                self.advance()
                other = self.body_stmt()
                return N("if", cond, then, other, pos=pos)
            self.i = save
            self.tok = self.toks[save]
            return N("if", cond, then, None, pos=pos)
        if k == "while":
            self.advance()
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            if self.tok.kind == ";":
                self.advance()
                return N("while", cond, N("block", [], pos=pos), pos=pos)
            self.loop_depth += 1
            body = self.body_stmt()
            self.loop_depth -= 1
            return N("while", cond, body, pos=pos)
        if k == "do":
            self.advance()
            self.loop_depth += 1
            body = self.body_stmt()
            self.loop_depth -= 1
            self.skip_terms()
            self.expect("while")
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            self.end_simple()
            return N("do", body, cond, pos=pos)
        if k == "for":
            return self.for_stmt()
        if k in ("break", "continue"):
            self.advance()
            if self.loop_depth == 0:
                raise self.plain_error(f"`{k}' is not allowed outside a loop or switch", t)
            self.end_simple()
            return N(k, pos=pos)
        if k in ("next", "nextfile"):
            self.advance()
            if self.rule_kind:
                raise self.plain_error(f"`{k}' used in {self.rule_kind} action", t)
            self.end_simple()
            return N(k, pos=pos)
        if k == "exit":
            self.advance()
            e = None if self.tok.kind in _TERMINATORS else self.expr()
            self.end_simple()
            return N("exit", e, pos=pos)
        if k == "return":
            self.advance()
            if self.func is None:
                raise self.error(t, "`return' used outside function context")
            e = None if self.tok.kind in _TERMINATORS else self.expr()
            self.end_simple()
            return N("return", e, pos=pos)
        if k == "delete":
            self.advance()
            paren = False
            if self.tok.kind == "(":
                paren = True
                self.advance()
            name = self.expect("NAME").value
            subs = None
            if self.tok.kind == "[":
                self.advance()
                subs = self.expr_list_until("]")
            if paren:
                self.expect(")")
            self.end_simple()
            return N("delete", name, subs, pos=pos)
        if k in ("print", "printf"):
            s = self.print_stmt()
            self.end_simple()
            return s
        e = self.expr()
        self.end_simple()
        return N("expr", e, pos=pos)

    def simple_for_part(self, end: str) -> N | None:
        if self.tok.kind == end:
            return None
        return self.expr()

    def for_stmt(self) -> N:
        t = self.advance()
        pos = self.pos(t)
        self.expect("(")
        # for (name in array)
        if (
            self.tok.kind == "NAME"
            and self.peek().kind == "in"
            and self.peek(2).kind == "NAME"
            and self.peek(3).kind == ")"
        ):
            var = N("var", self.advance().value, pos=pos)
            self.advance()
            arr = self.advance().value
            self.advance()
            self.loop_depth += 1
            body = self.body_stmt()
            self.loop_depth -= 1
            return N("forin", var, arr, body, pos=pos)
        if (
            self.tok.kind == "("
            and self.peek().kind == "NAME"
            and self.peek(2).kind == "in"
            and self.peek(3).kind == "NAME"
            and self.peek(4).kind == ")"
            and self.peek(5).kind == ")"
        ):
            self.advance()
            var = N("var", self.advance().value, pos=pos)
            self.advance()
            arr = self.advance().value
            self.advance()
            self.advance()
            self.loop_depth += 1
            body = self.body_stmt()
            self.loop_depth -= 1
            return N("forin", var, arr, body, pos=pos)
        init = self.simple_for_part(";")
        self.expect(";")
        self.opt_newlines()
        cond = self.simple_for_part(";")
        self.expect(";")
        self.opt_newlines()
        incr = self.simple_for_part(")")
        self.expect(")")
        if self.tok.kind == ";":
            self.advance()
            return N("for", init, cond, incr, N("block", [], pos=pos), pos=pos)
        self.loop_depth += 1
        body = self.body_stmt()
        self.loop_depth -= 1
        return N("for", init, cond, incr, body, pos=pos)

    def print_stmt(self) -> N:
        t = self.advance()
        pos = self.pos(t)
        args: list[N] = []
        if self.tok.kind not in _TERMINATORS and self.tok.kind not in (">", ">>", "|"):
            saved = self.in_print
            self.in_print = True
            try:
                args = self.expr_list()
            finally:
                self.in_print = saved
            if len(args) == 1 and args[0].k == "grouplist":
                args = args[0].a
            elif len(args) == 1 and args[0].k == "group":
                args = [args[0].a]
        if t.kind == "printf" and not args:
            raise self.plain_error("printf: no arguments", t, status=2)
        for a in args:
            self.check_no_grouplist(a)
        redir = None
        dest = None
        if self.tok.kind in (">", ">>", "|"):
            redir = self.advance().kind
            saved = self.in_print
            self.in_print = True
            try:
                dest = self.concat_expr()
            finally:
                self.in_print = saved
        return N(t.kind, args, redir, dest, pos=pos)

    def check_no_grouplist(self, e: N) -> None:
        if e.k == "grouplist":
            raise self.error()

    # -- expressions ---------------------------------------------------------------

    def expr_list(self) -> list[N]:
        out = [self.expr()]
        while self.tok.kind == ",":
            self.advance()
            self.opt_newlines()
            out.append(self.expr())
        return out

    def expr_list_until(self, end: str) -> list[N]:
        saved = self.in_print
        self.in_print = False
        try:
            self.opt_newlines()
            out = [self.expr()]
            while self.tok.kind == ",":
                self.advance()
                self.opt_newlines()
                out.append(self.expr())
            self.opt_newlines()
            self.expect(end)
        finally:
            self.in_print = saved
        for e in out:
            self.check_no_grouplist(e)
        return out

    def expr(self) -> N:
        return self.ternary()

    def ternary(self) -> N:
        cond = self.or_expr()
        if self.tok.kind == "?":
            t = self.advance()
            self.opt_newlines()
            a = self.ternary()
            self.opt_newlines()
            self.expect(":")
            self.opt_newlines()
            b = self.ternary()
            return N("cond", cond, a, b, pos=self.pos(t))
        return cond

    def or_expr(self) -> N:
        left = self.and_expr()
        while self.tok.kind == "||":
            t = self.advance()
            self.opt_newlines()
            right = self.and_expr()
            left = N("or", left, right, pos=self.pos(t))
        return left

    def and_expr(self) -> N:
        left = self.in_expr()
        while self.tok.kind == "&&":
            t = self.advance()
            self.opt_newlines()
            right = self.in_expr()
            left = N("and", left, right, pos=self.pos(t))
        return left

    def in_expr(self) -> N:
        left = self.match_expr()
        while self.tok.kind == "in":
            t = self.advance()
            name = self.expect("NAME").value
            subs = left.a if left.k == "grouplist" else [left]
            left = N("in", subs, name, pos=self.pos(t))
        return left

    def match_expr(self) -> N:
        left = self.comparison()
        while self.tok.kind in ("~", "!~"):
            t = self.advance()
            right = self.comparison()
            left = N("match", t.kind == "!~", left, right, pos=self.pos(t))
        return left

    def comparison(self) -> N:
        left = self.concat_expr()
        while True:
            k = self.tok.kind
            if k == "|" and self.peek().kind == "getline":
                t = self.advance()
                self.advance()
                lv = self.opt_lvalue()
                left = N("getline", "cmd", lv, left, pos=self.pos(t))
                continue
            if k in ("<", "<=", "!=", "==", ">=") or (k == ">" and not self.in_print):
                t = self.advance()
                right = self.concat_expr()
                left = N("cmp", k, left, right, pos=self.pos(t))
                continue
            return left

    def concat_expr(self) -> N:
        left = self.additive()
        items = [left]
        while self.tok.kind in _CONCAT_START:
            items.append(self.additive())
        if len(items) == 1:
            return left
        for e in items:
            self.check_no_grouplist(e)
        return N("concat", items, pos=left.pos)

    def additive(self) -> N:
        left = self.multiplicative()
        while self.tok.kind in ("+", "-"):
            t = self.advance()
            right = self.multiplicative()
            left = N("binop", t.kind, left, right, pos=self.pos(t))
        return left

    def multiplicative(self) -> N:
        left = self.unary()
        while self.tok.kind in ("*", "/", "%"):
            t = self.advance()
            right = self.unary()
            left = N("binop", t.kind, left, right, pos=self.pos(t))
        return left

    def unary(self) -> N:
        k = self.tok.kind
        if k == "!":
            t = self.advance()
            return N("not", self.unary(), pos=self.pos(t))
        if k == "-":
            t = self.advance()
            return N("neg", self.unary(), pos=self.pos(t))
        if k == "+":
            t = self.advance()
            return N("plus", self.unary(), pos=self.pos(t))
        return self.power()

    def power(self) -> N:
        base = self.postfix()
        if self.tok.kind in ("^", "**"):
            t = self.advance()
            exp = self.unary_power()
            return N("binop", "^", base, exp, pos=self.pos(t))
        return base

    def unary_power(self) -> N:
        k = self.tok.kind
        if k in ("-", "+", "!"):
            t = self.advance()
            inner = self.unary_power()
            return N({"-": "neg", "+": "plus", "!": "not"}[k], inner, pos=self.pos(t))
        return self.power()

    def postfix(self) -> N:
        e = self.primary()
        if e.k in LVALUES and self.tok.kind in ("++", "--"):
            t = self.advance()
            return N("incdec", t.kind, False, e, pos=self.pos(t))
        return e

    def maybe_assign(self, lv: N) -> N:
        if self.tok.kind in ASSIGN_OPS:
            t = self.advance()
            self.opt_newlines()
            rhs = self.ternary()
            op = "^=" if t.kind == "**=" else t.kind
            return N("assign", op, lv, rhs, pos=self.pos(t))
        return lv

    def dollar_operand(self) -> N:
        """The operand of ``$``: a primary without postfix/assignment."""
        k = self.tok.kind
        if k in ("++", "--"):
            t = self.advance()
            lv = self.lvalue_primary()
            return N("incdec", k, True, lv, pos=self.pos(t))
        if k in ("-", "+", "!"):
            t = self.advance()
            inner = self.dollar_operand()
            return N({"-": "neg", "+": "plus", "!": "not"}[k], inner, pos=self.pos(t))
        return self.primary(assign=False)

    def lvalue_primary(self) -> N:
        e = self.primary(assign=False)
        if e.k not in LVALUES:
            raise self.error()
        return e

    def opt_lvalue(self) -> N | None:
        if self.tok.kind == "NAME" or self.tok.kind == "$":
            return self.primary(assign=False)
        return None

    def primary(self, assign: bool = True) -> N:
        t = self.tok
        k = t.kind
        pos = self.pos(t)
        if k == "NUMBER":
            self.advance()
            return N("num", t.value, pos=pos)
        if k == "STRING":
            self.advance()
            return N("str", t.value, pos=pos)
        if k == "ERE":
            self.advance()
            return N("regex", t.value, pos=pos)
        if k == "(":
            self.advance()
            saved = self.in_print
            self.in_print = False
            try:
                items = [self.expr()]
                while self.tok.kind == ",":
                    self.advance()
                    self.opt_newlines()
                    items.append(self.expr())
                self.expect(")")
            finally:
                self.in_print = saved
            for e in items:
                self.check_no_grouplist(e)
            if len(items) > 1:
                if self.tok.kind != "in" and not self.in_print:
                    raise self.error()
                return N("grouplist", items, pos=pos)
            return N("group", items[0], pos=pos)
        if k == "$":
            self.advance()
            operand = self.dollar_operand()
            e = N("field", operand, pos=pos)
            return self.maybe_assign(e) if assign else e
        if k in ("++", "--"):
            self.advance()
            lv = self.lvalue_primary()
            return N("incdec", k, True, lv, pos=pos)
        if k in ("-", "+", "!"):
            # e.g. the right side of a concatenation: a !b
            self.advance()
            inner = self.unary()
            return N({"-": "neg", "+": "plus", "!": "not"}[k], inner, pos=pos)
        if k == "NAME":
            self.advance()
            if self.tok.kind == "[":
                self.advance()
                subs = self.expr_list_until("]")
                e = N("index", t.value, subs, pos=pos)
            else:
                e = N("var", t.value, pos=pos)
            return self.maybe_assign(e) if assign else e
        if k == "FUNC_NAME":
            self.advance()
            self.expect("(")
            args: list[N] = []
            if self.tok.kind != ")":
                args = self.expr_list_until(")")
            else:
                self.advance()
            return N("call", t.value, args, pos=pos)
        if k == "BUILTIN":
            self.advance()
            name = t.value
            if self.tok.kind == "(":
                self.advance()
                self.opt_newlines()
                if self.tok.kind == ")":
                    self.advance()
                    args = []
                else:
                    args = self.expr_list_until(")")
            elif name == "length":
                args = []
            else:
                raise self.error()
            lo, hi = _ARITY[name]
            if not lo <= len(args) <= hi:
                raise self.error(
                    self.toks[self.i - 1],
                    f"{len(args)} is invalid as number of arguments for {name}",
                )
            return N("builtin", name, args, pos=pos)
        if k == "getline":
            self.advance()
            lv = self.opt_lvalue()
            if self.tok.kind == "<":
                self.advance()
                src = self.getline_source()
                return N("getline", "file", lv, src, pos=pos)
            return N("getline", "simple", lv, None, pos=pos)
        raise self.error()

    def getline_source(self) -> N:
        """The file after ``getline <``: a primary (with $ and grouping), no
        concatenation, as gawk parses it."""
        k = self.tok.kind
        if k in ("-", "+", "!"):
            raise self.error()
        return self.primary(assign=False)


def parse(sources: list[Source]) -> Program:
    try:
        return Parser(sources).parse_program()
    except RecursionError:
        raise AwkSyntaxError("program too deeply nested", sources[0].where(1)) from None


# --------------------------------------------------------------------------
# field splitting

_ODD_WS = re.compile(
    "[" + "".join(c for c in map(chr, range(0x3100)) if c.isspace() and c not in " \t\n") + "]"
)
_DEFAULT_FS = re.compile(r"[ \t\n]+")


def split_default(s: str) -> list[str]:
    if _ODD_WS.search(s) is None:
        return s.split()
    s = s.strip(" \t\n")
    return _DEFAULT_FS.split(s) if s else []


def make_splitter(fs: str, paragraph: bool = False) -> Callable[[str], list[str]]:
    """How FS (or split()'s separator) cuts a record into fields."""
    if fs == " ":
        return split_default
    if fs == "":
        if paragraph:
            return lambda s: [c for c in s if c != "\n"]
        return list
    if len(fs) == 1 and not paragraph:
        return lambda s: s.split(fs) if s else []
    if len(fs) == 1:
        pat = re.escape(fs)
    else:
        try:
            pat = translate_ere(fs)
        except AwkRegexError as e:
            raise AwkFatal(f"invalid regexp: {e}: /{fs}/") from None
    if paragraph:
        pat = f"(?:{pat})|\n"
    try:
        rx = saferegex.compile(_nocapture(pat), re.DOTALL)
    except re.error as e:
        raise AwkFatal(f"invalid regexp: {e.msg}: /{fs}/") from None
    if rx.groups:
        return lambda s: _split_regex(rx, s)
    split = rx.split

    def splitter(s: str) -> list[str]:
        if not s:
            return []
        parts = split(s)
        if "" in parts and rx.match(""):
            return _split_regex(rx, s)
        return parts

    return splitter


def _nocapture(pat: str) -> str:
    """Turn the capturing groups of a translated regex into non-capturing
    ones (for re.split)."""
    out = []
    i = 0
    n = len(pat)
    in_class = False
    while i < n:
        c = pat[i]
        if c == "\\":
            out.append(pat[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pat.startswith("^", i + 1):
                out.append("^")
                i += 1
            if pat.startswith("]", i + 1):
                out.append("]")
                i += 1
        elif c == "(" and not pat.startswith("(?", i):
            out.append("(?:")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _split_regex(rx: re.Pattern[str], s: str) -> list[str]:
    if not s:
        return []
    out = []
    pos = 0
    for m in rx.finditer(s):
        st, en = m.span()
        if st == en:
            continue
        out.append(s[pos:st])
        pos = en
    out.append(s[pos:])
    return out


# --------------------------------------------------------------------------
# input


_PARA_SEP = re.compile(r"\n\n+")


class Reader:
    """Records from one input stream, for the runtime's current RS.

    Unread text is ``buf[pos:]``; for a one-character RS it is kept split
    (``pending[pi:]``, the last item being the incomplete tail)."""

    def __init__(self, stream: IO[bytes], rt: Runtime, name: str) -> None:
        self.stream = stream
        self.rt = rt
        self.name = name
        self.read = getattr(stream, "read1", None) or stream.read
        self.dec = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.pending: list[str] | None = None
        self.pi = 0
        self.psep = "\n"
        self.last_rt = ""

    def fill(self) -> bool:
        """Read more text onto the buffer; False at end of input."""
        if self.eof:
            return False
        self.rt.ctx.check()
        data = self.read(65536)
        if self.pos:
            self.buf = self.buf[self.pos :]
            self.pos = 0
        if not data:
            self.eof = True
            self.buf += self.dec.decode(b"", final=True)
            return False
        self.buf += self.dec.decode(data)
        if len(self.buf) > MAX_STR:
            raise AwkFatal("input record too long")
        return True

    def normalize(self) -> None:
        p = self.pending
        if p is not None:
            self.buf = self.psep.join(p[self.pi :])
            self.pos = 0
            self.pending = None

    def read_record(self) -> str | None:
        rt = self.rt
        kind = rt.rs_kind
        if kind == 1:
            return self.read_sep(rt.rs)
        if kind == 2:
            return self.read_para()
        return self.read_regex(rt.rs_regex)

    def read_sep(self, sep: str) -> str | None:
        while True:
            p = self.pending
            if p is not None:
                if self.psep == sep:
                    i = self.pi
                    if i < len(p) - 1:
                        self.pi = i + 1
                        self.last_rt = sep
                        return p[i]
                    self.buf = p[-1]
                else:
                    self.buf = self.psep.join(p[self.pi :])
                self.pos = 0
                self.pending = None
            if sep in self.buf:
                self.pending = self.buf[self.pos :].split(sep)
                self.pi = 0
                self.psep = sep
                self.buf = ""
                self.pos = 0
                continue
            if not self.fill():
                if sep in self.buf:
                    continue
                if self.buf:
                    r = self.buf
                    self.buf = ""
                    self.last_rt = ""
                    return r
                return None

    def read_para(self) -> str | None:
        self.normalize()
        # skip blank lines before the record
        while True:
            b = self.buf
            n = len(b)
            i = self.pos
            while i < n and b[i] == "\n":
                i += 1
            self.pos = i
            if i < n or not self.fill():
                break
        while True:
            b = self.buf
            m = _PARA_SEP.search(b, self.pos)
            if m is not None and (m.end() < len(b) or self.eof):
                rec = b[self.pos : m.start()]
                self.pos = m.end()
                self.last_rt = m.group()
                return rec
            if not self.fill():
                b = self.buf
                rest = b[self.pos :]
                if not rest:
                    return None
                if _PARA_SEP.search(rest) is not None:
                    continue
                self.buf = ""
                self.pos = 0
                if rest.endswith("\n"):
                    self.last_rt = "\n"
                    return rest[:-1]
                self.last_rt = ""
                return rest

    def read_regex(self, rx: re.Pattern[str]) -> str | None:
        self.normalize()
        while True:
            b = self.buf
            m = None
            for mm in rx.finditer(b, self.pos):
                if mm.end() > mm.start():
                    m = mm
                    break
            if m is not None and (m.end() < len(b) or self.eof):
                rec = b[self.pos : m.start()]
                self.pos = m.end()
                self.last_rt = m.group()
                return rec
            if not self.fill():
                if m is not None:
                    continue
                rest = self.buf[self.pos :]
                self.buf = ""
                self.pos = 0
                if not rest:
                    return None
                self.last_rt = ""
                return rest

    def close(self) -> None:
        if self.stream is not self.rt.ctx.stdin:
            with contextlib.suppress(OSError):
                self.stream.close()


# --------------------------------------------------------------------------
# output


class Output:
    """An output stream; this base class discards what it gets (/dev/null)."""

    def write(self, s: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> int:
        self.flush()
        return 0


class StreamOut(Output):
    """stdout / stderr: text collected and written in large blocks."""

    def __init__(self, stream: IO[bytes], limit: int = 65536) -> None:
        self.stream = stream
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def write(self, s: str) -> None:
        self.parts.append(s)
        self.size += len(s)
        if self.size >= self.limit:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            data = "".join(self.parts).encode("utf-8", "surrogateescape")
            self.parts = []
            self.size = 0
            self.stream.write(data)
        with contextlib.suppress(AttributeError, ValueError):
            self.stream.flush()

    def close(self) -> int:
        self.flush()
        return 0


MAX_OPEN_FILES = 64
SUSPENDED_CHUNK = 64 * 1024
SUSPENDED_TOTAL = 16 * 1024 * 1024


class FileOut(Output):
    """``print > "file"``. At most MAX_OPEN_FILES stay open (as gawk does
    when it runs short of descriptors): the least recently used one is
    closed, and a file first written while that many are open is not opened
    at once. What such a file is given is kept (up to SUSPENDED_CHUNK bytes,
    SUSPENDED_TOTAL in all) and written when it is (re)opened: at that size,
    on fflush() or close(), or at exit."""

    def __init__(self, rt: Runtime, raw: Any, name: str, truncate: bool = False) -> None:
        self.rt = rt
        self.raw: Any = raw
        self.name = name
        self.pending: list[str] = []
        self.pending_size = 0
        # not opened yet (too many files open): the first open truncates
        self.truncate = truncate
        if raw is not None:
            rt.open_files[self] = None

    def write(self, s: str) -> None:
        raw = self.raw
        if raw is None:
            self.pending.append(s)
            self.pending_size += len(s)
            self.rt.suspended_bytes += len(s)
            if self.pending_size > SUSPENDED_CHUNK or self.rt.suspended_bytes > SUSPENDED_TOTAL:
                self.reopen()
            return
        of = self.rt.open_files
        if next(reversed(of)) is not self:
            of.move_to_end(self)
        self._write(raw, s)

    def _write(self, raw: Any, s: str) -> None:
        try:
            raw.write(s.encode("utf-8", "surrogateescape"))
        except OSError as e:
            raise AwkFatal(f"cannot write to `{self.name}': {e.strerror or e}") from None

    def reopen(self) -> Any:
        """Open again (appending) and write what was kept meanwhile."""
        self.rt.make_room()
        try:
            raw = self.rt.ctx.open_write(self.name, append=not self.truncate)
            self.truncate = False
        except Exception as e:
            raise AwkFatal(f"cannot redirect to `{self.name}': {_reason(e, self.name)}") from None
        self.raw = raw
        self.rt.open_files[self] = None
        if self.pending:
            data = "".join(self.pending)
            self.pending = []
            self.rt.suspended_bytes -= self.pending_size
            self.pending_size = 0
            self._write(raw, data)
        return raw

    def suspend(self) -> None:
        raw = self.raw
        self.raw = None
        self.rt.open_files.pop(self, None)
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.close()

    def flush(self) -> None:
        if self.raw is None and self.pending:
            self.reopen()
        if self.raw is not None:
            with contextlib.suppress(OSError):
                self.raw.flush()

    def close(self) -> int:
        if self.raw is None and self.pending:
            self.reopen()
        raw = self.raw
        self.raw = None
        self.rt.open_files.pop(self, None)
        if raw is None:
            return 0
        try:
            raw.close()
        except OSError:
            return -1
        return 0


class PipeOut(Output):
    """``print | "cmd"``: the text is collected and the command run at close."""

    def __init__(self, rt: Runtime, cmd: str) -> None:
        self.rt = rt
        self.cmd = cmd
        self.parts: list[str] = []
        self.size = 0

    def write(self, s: str) -> None:
        self.parts.append(s)
        self.size += len(s)
        if self.size > MAX_PIPE_BUF:
            raise AwkFatal(f"output to pipe `{self.cmd}' too large")

    def close(self) -> int:
        data = "".join(self.parts).encode("utf-8", "surrogateescape")
        self.parts = []
        return self.rt.run_shell(self.cmd, data, pipe=True)


# --------------------------------------------------------------------------
# printf


def _fmt_int(flags: str, width: int, prec: int | None, conv: str, v: float) -> str:
    if v != v or v in (_INF, -_INF):
        return special_float(v)
    iv = int(v)
    if conv in "ouxX" and -(2**63) <= iv < 0:
        iv += 2**64
    if conv in "ouxX" and (iv < 0 or iv >= 2**64):
        return ("%" + flags + (str(width) if width else "") + "g") % v
    neg = iv < 0
    a = -iv if neg else iv
    if conv == "o":
        digits = format(a, "o")
    elif conv == "x":
        digits = format(a, "x")
    elif conv == "X":
        digits = format(a, "X")
    else:
        digits = str(a)
    if prec is not None:
        if prec == 0 and a == 0:
            digits = ""
        digits = digits.rjust(prec, "0")
    prefix = ""
    if conv in "di":
        if neg:
            prefix = "-"
        elif "+" in flags:
            prefix = "+"
        elif " " in flags:
            prefix = " "
    if "#" in flags:
        if conv == "o" and not digits.startswith("0"):
            digits = "0" + digits
        elif conv in "xX" and a != 0:
            prefix = "0" + conv
    body = prefix + digits
    if width > len(body):
        if "-" in flags:
            body = body.ljust(width)
        elif "0" in flags and prec is None:
            body = prefix + digits.rjust(width - len(prefix), "0")
        else:
            body = body.rjust(width)
    return body


def _pad(s: str, width: int, flags: str) -> str:
    if width > len(s):
        return s.ljust(width) if "-" in flags else s.rjust(width)
    return s


def parse_format(fmt: str) -> list[Any]:
    """A printf format as a list of literal strings and
    ``(flags, width, prec, conv, start)`` tuples."""
    items: list[Any] = []
    lit: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        c = fmt[i]
        if c != "%":
            j = fmt.find("%", i)
            if j == -1:
                j = n
            lit.append(fmt[i:j])
            i = j
            continue
        j = i + 1
        flags = ""
        while j < n and fmt[j] in "-+ #0'":
            if fmt[j] != "'":
                flags += fmt[j]
            j += 1
        width: Any = 0
        if j < n and fmt[j] == "*":
            width = "*"
            j += 1
        else:
            k = j
            while j < n and fmt[j].isdigit():
                j += 1
            if j > k:
                width = int(fmt[k:j])
        prec: Any = None
        if j < n and fmt[j] == ".":
            j += 1
            if j < n and fmt[j] == "*":
                prec = "*"
                j += 1
            else:
                k = j
                while j < n and fmt[j].isdigit():
                    j += 1
                prec = int(fmt[k:j]) if j > k else 0
        while j < n and fmt[j] in "hlLqjzt":
            j += 1
        if j >= n:
            lit.append(fmt[i:])
            break
        conv = fmt[j]
        if conv == "%":
            lit.append("%")
            i = j + 1
            continue
        if conv not in "diouxXeEfFgGcs":
            lit.append(fmt[i : j + 1])
            i = j + 1
            continue
        if lit:
            items.append("".join(lit))
            lit = []
        items.append((flags, width, prec, conv, i))
        i = j + 1
    if lit:
        items.append("".join(lit))
    return items


# --------------------------------------------------------------------------
# the runtime

_ASSIGN_ARG = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)\Z", re.DOTALL)
SPECIAL_VARS = {"FS", "RS", "OFS", "ORS", "SUBSEP", "CONVFMT", "OFMT", "NF", "NR", "FNR"}
ARRAY_VARS = {"ENVIRON", "ARGV", "PROCINFO"}


class Runtime:
    """Interpreter state: variables, the current record, files and streams."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.name = ctx.name
        self.g: dict[str, Any] = {}
        self.nr = 0
        self.fnr = 0
        self.record: str = ""
        self.fields: list[Any] | None = []
        self.fs = " "
        self.rs = "\n"
        self.rs_kind = 1  # 1: one char, 2: paragraph, 3: regex
        self.rs_regex: re.Pattern[str] = _PARA_SEP
        self.splitter: Callable[[str], list[str]] = split_default
        self.rec_splitter = self.splitter
        self.ofs = " "
        self.ors = "\n"
        self.subsep = "\x1c"
        self.convfmt = "%.6g"
        self.ofmt = "%.6g"
        self.frame: list[Any] = []
        self.depth = 0
        self.retval: Any = UNINIT
        self.random = random.Random(0)
        self.seed = 0.0
        self.fmt_cache: dict[str, list[Any]] = {}
        self.repl_cache: dict[str, list[Any]] = {}
        self.stdout = StreamOut(ctx.stdout)
        self.stderr = StreamOut(ctx.stderr, limit=0)
        self.outputs: dict[str, Output] = {}
        self.open_files: OrderedDict[FileOut, None] = OrderedDict()
        self.suspended_bytes = 0
        self.readers: dict[str, Reader] = {}
        self.cmd_readers: dict[str, tuple[Reader, int]] = {}
        self._stdin_reader: Reader | None = None
        self.main_reader: Reader | None = None
        self.argi = 1
        self.used_file = False
        self.exit_code = 0
        self.in_rule = ""  # "BEGIN", "END" or "" (main)
        self.run_line = ctx.extra.get("run_line") if getattr(ctx, "extra", None) else None
        self.no_shell_warned: set[str] = set()
        self.func_names: set[str] = set()
        g = self.g
        g.update(
            FS=" ",
            OFS=" ",
            ORS="\n",
            RS="\n",
            SUBSEP="\x1c",
            CONVFMT="%.6g",
            OFMT="%.6g",
            RSTART=0.0,
            RLENGTH=-1.0,
            FILENAME="",
            RT="",
        )
        g["ENVIRON"] = {k: StrNum(v) for k, v in ctx.env.items()}
        g["PROCINFO"] = {"version": "5.2.1", "FS": "FS", "strftime": "%a %b %e %H:%M:%S %Z %Y"}
        g["ARGV"] = {}
        g["ARGC"] = 0.0

    # -- conversions -------------------------------------------------------------

    def fmtnum(self, f: float, fmt: str) -> str:
        if f.is_integer():
            return str(int(f))
        if f != f or f in (_INF, -_INF):
            return special_float(f)
        if fmt == "%.6g":
            return f"{f:.6g}"
        items = self.fmt_cache.get(fmt) or self._parse_fmt(fmt)
        if not any(isinstance(it, tuple) and it[3] in "eEfFgGdi" for it in items):
            return f"{f:.6g}"
        return self.sprintf(fmt, [f])

    def tostr(self, v: Any) -> str:
        c = v.__class__
        if c is float:
            if v.is_integer():
                return str(int(v))
            return self.fmtnum(v, self.convfmt)
        if c is dict:
            raise AwkFatal("attempt to use array in a scalar context")
        return v

    def out_str(self, v: Any) -> str:
        c = v.__class__
        if c is float:
            if v.is_integer():
                return str(int(v))
            return self.fmtnum(v, self.ofmt)
        if c is dict:
            raise AwkFatal("attempt to use array in a scalar context")
        return v

    def key(self, v: Any) -> str:
        if v.__class__ is float:
            if v.is_integer():
                return str(int(v))
            return self.fmtnum(v, self.convfmt)
        if v.__class__ is dict:
            raise AwkFatal("attempt to use array in a scalar context")
        return v

    # -- records and fields -----------------------------------------------------------

    def set_record(self, s: str) -> None:
        self.record = s
        self.fields = None
        self.rec_splitter = self.splitter

    def set_record_value(self, v: Any) -> None:
        if v.__class__ is float:
            v = StrNum(self.tostr(v))
        elif v.__class__ is dict:
            raise AwkFatal("attempt to use array in a scalar context")
        self.set_record(v)

    def split_record(self) -> list[Any]:
        f = self.fields = list(map(StrNum, self.rec_splitter(self.record)))
        return f

    def get_field(self, i: int) -> Any:
        if i == 0:
            return self.record
        f = self.fields
        if f is None:
            f = self.split_record()
        if i <= len(f):
            return f[i - 1]
        return EMPTY

    def set_field(self, i: int, v: Any) -> None:
        if i == 0:
            self.set_record_value(v)
            return
        if i > MAX_FIELD:
            raise AwkFatal(f"field index {i} too large")
        if v.__class__ is dict:
            raise AwkFatal("attempt to use array in a scalar context")
        f = self.fields
        if f is None:
            f = self.split_record()
        if i > len(f):
            f.extend([EMPTY] * (i - len(f)))
        f[i - 1] = v
        self.rebuild()

    def rebuild(self) -> None:
        ts = self.tostr
        f = self.fields or []
        self.record = self.ofs.join([x if x.__class__ is not float else ts(x) for x in f])

    def get_nf(self) -> float:
        f = self.fields
        if f is None:
            f = self.split_record()
        return float(len(f))

    def set_nf(self, v: Any) -> None:
        n = str_to_num(v)
        if n != n or n < 0:
            raise AwkFatal(f"NF set to negative value {self.tostr(v)}")
        k = int(n)
        if k > MAX_FIELD:
            raise AwkFatal(f"NF set to too large a value {k}")
        f = self.fields
        if f is None:
            f = self.split_record()
        if k < len(f):
            del f[k:]
        else:
            f.extend([EMPTY] * (k - len(f)))
        self.rebuild()

    # -- special variables ------------------------------------------------------

    def get_special(self, name: str) -> Any:
        if name == "NF":
            return self.get_nf()
        if name == "NR":
            return float(self.nr)
        if name == "FNR":
            return float(self.fnr)
        return self.g[name]

    def set_special(self, name: str, v: Any) -> None:
        if v.__class__ is dict:
            raise AwkFatal(f"attempt to use array in a scalar context ({name})")
        if name == "NF":
            self.set_nf(v)
            return
        if name == "NR":
            self.nr = int(str_to_num(v))
            return
        if name == "FNR":
            self.fnr = int(str_to_num(v))
            return
        self.g[name] = v
        s = self.tostr(v)
        if name == "FS":
            self.fs = s
            self.splitter = make_splitter(s, self.rs == "")
        elif name == "RS":
            self.rs = s
            if s == "":
                self.rs_kind = 2
            elif len(s) == 1:
                self.rs_kind = 1
            else:
                self.rs_kind = 3
                self.rs_regex = compile_ere(s)
            self.splitter = make_splitter(self.fs, s == "")
        elif name == "OFS":
            self.ofs = s
        elif name == "ORS":
            self.ors = s
        elif name == "SUBSEP":
            self.subsep = s
        elif name == "CONVFMT":
            self.convfmt = s
        elif name == "OFMT":
            self.ofmt = s

    def assign_var(self, name: str, value: str) -> None:
        """A ``-v`` or command-line ``var=value`` assignment."""
        v = StrNum(unescape_string(value))
        if name in UNSUPPORTED_VARS:
            raise AwkFatal(f"`{name}' (a gawk extension) is not supported by this awk")
        if isinstance(self.g.get(name), dict):
            raise AwkFatal(f"cannot assign to array `{name}'")
        if name in self.func_names:
            raise AwkFatal(f"cannot use function `{name}' as variable name")
        if name in SPECIAL_VARS:
            self.set_special(name, v)
        else:
            self.g[name] = v

    # -- printf ----------------------------------------------------------------------

    def _parse_fmt(self, fmt: str) -> list[Any]:
        items = parse_format(fmt)
        if len(self.fmt_cache) > 256:
            self.fmt_cache.clear()
        self.fmt_cache[fmt] = items
        return items

    def sprintf(self, fmt: str, args: list[Any]) -> str:
        items = self.fmt_cache.get(fmt)
        if items is None:
            items = self._parse_fmt(fmt)
        out: list[str] = []
        ai = 0
        na = len(args)
        for it in items:
            if it.__class__ is str:
                out.append(it)
                continue
            flags, width, prec, conv, start = it
            if width == "*" or prec == "*":
                if width == "*":
                    if ai >= na:
                        raise self._ran_out(fmt, start)
                    width = int(str_to_num(args[ai]))
                    ai += 1
                    if width < 0:
                        flags += "-"
                        width = -width
                if prec == "*":
                    if ai >= na:
                        raise self._ran_out(fmt, start)
                    prec = int(str_to_num(args[ai]))
                    ai += 1
                    if prec < 0:
                        prec = None
            if width > MAX_STR or (prec is not None and prec > MAX_STR):
                raise AwkFatal("printf: field width or precision too large")
            if ai >= na:
                raise self._ran_out(fmt, start)
            v = args[ai]
            ai += 1
            if conv == "s":
                s = self.tostr(v)
                if prec is not None:
                    s = s[:prec]
                out.append(_pad(s, width, flags) if width else s)
            elif conv in "diouxX":
                out.append(_fmt_int(flags, width, prec, conv, str_to_num(v)))
            elif conv == "c":
                if v.__class__ is float or (v.__class__ is not str and numish(v)):
                    f = str_to_num(v)
                    code = int(f) if f - f == 0.0 else 0
                    if code < 0:
                        code &= 0xFF
                    if code < 128:
                        ch = chr(code)
                    elif code < 256:
                        ch = bytes([code]).decode("utf-8", "surrogateescape")
                    else:
                        try:
                            ch = chr(code)
                        except (ValueError, OverflowError):
                            ch = chr(code & 0xFF)
                else:
                    ch = self.tostr(v)[:1] or "\0"
                out.append(_pad(ch, width, flags) if width else ch)
            else:
                f = str_to_num(v)
                if f != f or f in (_INF, -_INF):
                    s = special_float(f)
                    if conv in "EFG":
                        s = s.upper()
                    out.append(s)
                else:
                    spec = "%" + flags + (str(width) if width else "")
                    if prec is not None:
                        spec += "." + str(prec)
                    out.append((spec + conv) % f)
        return "".join(out)

    def _ran_out(self, fmt: str, start: int) -> AwkFatal:
        return AwkFatal(
            "not enough arguments to satisfy format string",
            extra=f"\t`{fmt}'\n\t{' ' * (start + 1)}^ ran out for this one",
        )

    # -- sub / gsub ------------------------------------------------------------------

    def _repl_parts(self, repl: str) -> list[Any]:
        """sub()/gsub() replacement: literal strings and None for the match."""
        parts = self.repl_cache.get(repl)
        if parts is not None:
            return parts
        parts = []
        lit: list[str] = []
        i = 0
        n = len(repl)
        while i < n:
            c = repl[i]
            if c == "\\":
                j = i
                while j < n and repl[j] == "\\":
                    j += 1
                k = j - i
                if j < n and repl[j] == "&":
                    lit.append("\\" * (k // 2))
                    if k % 2:
                        lit.append("&")
                    else:
                        if lit:
                            parts.append("".join(lit))
                            lit = []
                        parts.append(None)
                    i = j + 1
                else:
                    lit.append(repl[i:j])
                    i = j
                continue
            if c == "&":
                if lit:
                    parts.append("".join(lit))
                    lit = []
                parts.append(None)
                i += 1
                continue
            lit.append(c)
            i += 1
        if lit:
            parts.append("".join(lit))
        if len(self.repl_cache) > 256:
            self.repl_cache.clear()
        self.repl_cache[repl] = parts
        return parts

    def substitute(self, rx: re.Pattern[str], repl: str, s: str, glob: bool) -> tuple[str, int]:
        parts = self._repl_parts(repl)
        simple = len(parts) == 1 and parts[0] is not None
        if not parts:
            simple = True
            parts = [""]
        res: list[str] = []
        count = 0
        pos = 0
        search_pos = 0
        last_end = -1
        n = len(s)
        size = 0
        while search_pos <= n:
            m = rx.search(s, search_pos)
            if m is None:
                break
            st, en = m.span()
            if st == en and st == last_end:
                if st >= n:
                    break
                search_pos = st + 1
                continue
            res.append(s[pos:st])
            if simple:
                res.append(parts[0])
            else:
                g0 = m.group()
                res.append("".join(g0 if p is None else p for p in parts))
            count += 1
            pos = en
            last_end = en
            if not glob:
                break
            if st == en:
                if st >= n:
                    break
                res.append(s[st])
                pos = st + 1
                search_pos = st + 1
            else:
                search_pos = en
            size += 1
            if size & 1023 == 0:
                self.ctx.check()
                if sum(map(len, res)) > MAX_STR:
                    raise AwkFatal("string too long")
        if not count:
            return s, 0
        res.append(s[pos:])
        out = "".join(res)
        if len(out) > MAX_STR:
            raise AwkFatal("string too long")
        return out, count

    def gensub(self, rx: re.Pattern[str], repl: str, how: Any, s: str) -> str:
        hs = self.tostr(how)
        if hs[:1] in ("g", "G"):
            which = 0
        else:
            w = str_to_num(how)
            which = int(w) if w >= 1 else 1
        res: list[str] = []
        pos = 0
        search_pos = 0
        last_end = -1
        n = len(s)
        k = 0
        while search_pos <= n:
            m = rx.search(s, search_pos)
            if m is None:
                break
            st, en = m.span()
            if st == en and st == last_end:
                if st >= n:
                    break
                search_pos = st + 1
                continue
            k += 1
            if which == 0 or k == which:
                res.append(s[pos:st])
                res.append(self._gensub_repl(repl, m))
                pos = en
                if which:
                    break
            last_end = en
            if st == en:
                if st >= n:
                    break
                search_pos = st + 1
            else:
                search_pos = en
        res.append(s[pos:])
        return "".join(res)

    @staticmethod
    def _gensub_repl(repl: str, m: re.Match[str]) -> str:
        out: list[str] = []
        i = 0
        n = len(repl)
        while i < n:
            c = repl[i]
            if c == "\\" and i + 1 < n:
                d = repl[i + 1]
                if d.isdigit():
                    k = int(d)
                    if k == 0:
                        out.append(m.group())
                    elif k <= (m.re.groups or 0):
                        out.append(m.group(k) or "")
                    i += 2
                    continue
                if d == "&":
                    out.append("&")
                    i += 2
                    continue
                if d == "\\":
                    out.append("\\")
                    i += 2
                    continue
                out.append(c)
                i += 1
                continue
            if c == "&":
                out.append(m.group())
                i += 1
                continue
            out.append(c)
            i += 1
        return "".join(out)

    # -- input -------------------------------------------------------------------------

    def stdin_reader(self) -> Reader:
        if self._stdin_reader is None:
            self._stdin_reader = Reader(self.ctx.stdin, self, "-")
        return self._stdin_reader

    def open_next_main(self) -> bool:
        g = self.g
        argv = g["ARGV"]
        while True:
            argc = str_to_num(g["ARGC"])
            if self.argi >= argc:
                if not self.used_file:
                    self.used_file = True
                    self.main_reader = self.stdin_reader()
                    g["FILENAME"] = "-"
                    self.fnr = 0
                    return True
                return False
            arg = argv.get(str(self.argi))
            self.argi += 1
            if arg is None:
                continue
            arg = self.tostr(arg)
            if arg == "":
                continue
            m = _ASSIGN_ARG.match(arg)
            if m:
                self.assign_var(m.group(1), m.group(2))
                continue
            self.used_file = True
            if arg in ("-", "/dev/stdin", "/dev/fd/0"):
                self.main_reader = self.stdin_reader()
            elif arg == "/dev/null":
                self.main_reader = Reader(io.BytesIO(b""), self, arg)
            else:
                try:
                    stream = self.ctx.open_read(arg)
                except Exception as e:
                    reason = _reason(e, arg)
                    if reason == "Is a directory":
                        self.warn(f"command line argument `{arg}' is a directory: skipped")
                        continue
                    raise AwkFatal(
                        f"cannot open file `{arg}' for reading: {reason}",
                        where=None if self.nr else "",
                        ctxinfo=False,
                    ) from None
                self.main_reader = Reader(stream, self, arg)
            g["FILENAME"] = arg
            self.fnr = 0
            return True

    def close_main(self) -> None:
        r = self.main_reader
        if r is not None:
            self.main_reader = None
            r.close()

    def next_main_record(self) -> str | None:
        while True:
            r = self.main_reader
            if r is None:
                if not self.open_next_main():
                    return None
                r = self.main_reader
                assert r is not None
            rec = r.read_record()
            if rec is None:
                self.close_main()
                continue
            self.nr += 1
            self.fnr += 1
            if r.last_rt != "\n":
                self.g["RT"] = r.last_rt
            elif self.g["RT"] != "\n":
                self.g["RT"] = "\n"
            return rec

    def file_reader(self, name: str) -> Reader | None:
        r = self.readers.get(name)
        if r is not None:
            return r
        if name == "":
            raise AwkFatal("expression for `<' redirection has null string value")
        if name in ("-", "/dev/stdin", "/dev/fd/0"):
            r = self.stdin_reader()
        elif name == "/dev/null":
            r = Reader(io.BytesIO(b""), self, name)
        else:
            try:
                stream = self.ctx.open_read(name)
            except Exception as e:
                if isinstance(e, (OSError,)) or e.__class__.__name__ == "CommandError":
                    return None
                raise
            r = Reader(stream, self, name)
        self.readers[name] = r
        return r

    def cmd_reader(self, cmd: str) -> Reader | None:
        entry = self.cmd_readers.get(cmd)
        if entry is not None:
            return entry[0]
        if cmd == "":
            raise AwkFatal("expression for `|' redirection has null string value")
        self.flush_all()
        res = self.run_captured(cmd, b"")
        if res is None:
            return None
        status, out = res
        r = Reader(io.BytesIO(out), self, cmd)
        self.cmd_readers[cmd] = (r, status)
        return r

    # -- commands ----------------------------------------------------------------------

    def _call_run_line(self, cmd: str, data: bytes) -> tuple[int, bytes, bytes]:
        rl = self.run_line
        assert rl is not None
        import inspect

        try:
            params = inspect.signature(rl).parameters.values()
            takes_stdin = sum(
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params
            ) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
        except (TypeError, ValueError):
            takes_stdin = True
        if takes_stdin:
            return rl(cmd, data)
        if data:
            # a run_line without a stdin parameter: hand the data over as a
            # here-document to the whole command line
            text = data.decode("utf-8", "surrogateescape")
            delim = "AWK_PIPE_DATA"
            while delim in text:
                delim += "_X"
            if not text.endswith("\n"):
                text += "\n"
            return rl(f"{{ {cmd}\n}} <<'{delim}'\n{text}{delim}\n")
        return rl(cmd)

    def run_captured(self, cmd: str, data: bytes) -> tuple[int, bytes] | None:
        """Run a shell line; its stderr goes to ours. None when not available."""
        if self.run_line is None:
            if cmd not in self.no_shell_warned:
                self.no_shell_warned.add(cmd)
                self.warn_plain(f"running commands is not available here (`{cmd}')")
            return None
        status, out, err = self._call_run_line(cmd, data)
        if err:
            self.stderr.write(err.decode("utf-8", "surrogateescape"))
        return int(status), out

    def run_shell(self, cmd: str, data: bytes, pipe: bool = False) -> int:
        """system() and ``print | cmd``: the command's output goes to our
        stdout. Like gawk, system() flushes our output first; a pipe's
        command writes straight through, ahead of what awk still buffers."""
        if not pipe:
            self.flush_all()
        if self.run_line is None:
            if pipe:
                self.warn_plain(f"running commands is not available here (`{cmd}')")
            else:
                self.warn_plain("system() is not available here")
            return 127
        status, out, err = self._call_run_line(cmd, data)
        if out:
            self.ctx.stdout.write(out)
        if err:
            self.stderr.write(err.decode("utf-8", "surrogateescape"))
        return int(status)

    # -- output ------------------------------------------------------------------------

    def get_output(self, kind: str, name: str) -> Output:
        o = self.outputs.get(name)
        if o is not None:
            return o
        if name == "":
            raise AwkFatal(f"expression for `{kind}' redirection has null string value")
        if kind == "|":
            self.stdout.flush()
            o = PipeOut(self, name)
        elif name in ("/dev/stdout", "-", "/dev/fd/1"):
            o = self.stdout
        elif name in ("/dev/stderr", "/dev/fd/2"):
            o = self.stderr
        elif name == "/dev/null":
            o = Output()
        elif len(self.open_files) >= MAX_OPEN_FILES:
            # many files: check the path now, open when there is enough to write
            try:
                host = self.ctx.resolve(name)
                if host.is_dir():
                    raise AwkFatal(f"cannot redirect to `{name}': Is a directory")
                if not host.parent.is_dir():
                    raise AwkFatal(f"cannot redirect to `{name}': No such file or directory")
            except AwkFatal:
                raise
            except Exception as e:
                raise AwkFatal(f"cannot redirect to `{name}': {_reason(e, name)}") from None
            o = FileOut(self, None, name, truncate=(kind == ">"))
        else:
            try:
                raw = self.ctx.open_write(name, append=(kind == ">>"))
            except Exception as e:
                raise AwkFatal(f"cannot redirect to `{name}': {_reason(e, name)}") from None
            o = FileOut(self, raw, name)
        self.outputs[name] = o
        return o

    def make_room(self) -> None:
        while len(self.open_files) >= MAX_OPEN_FILES:
            oldest = next(iter(self.open_files))
            oldest.suspend()

    def close_stream(self, name: str) -> float:
        result: float = -1.0
        o = self.outputs.pop(name, None)
        if o is not None:
            if o is self.stdout or o is self.stderr:
                o.flush()
                result = 0.0
            else:
                result = float(o.close())
        r = self.readers.pop(name, None)
        if r is not None:
            if r is not self._stdin_reader:
                r.close()
            result = 0.0
        c = self.cmd_readers.pop(name, None)
        if c is not None:
            result = float(c[1])
        return result

    def flush_all(self) -> None:
        self.stdout.flush()
        for o in self.outputs.values():
            o.flush()

    def close_all(self) -> None:
        for name in list(self.outputs):
            o = self.outputs.pop(name)
            if o is self.stdout or o is self.stderr:
                continue
            try:
                o.close()
            except AwkFatal as e:
                self.warn_plain(e.msg)
        self.stdout.flush()
        for r in self.readers.values():
            if r is not self._stdin_reader:
                r.close()
        self.readers.clear()
        self.close_main()

    def warn_at(self, where: str, msg: str) -> None:
        self.stderr.write(f"{self.name}: {where}: warning: {msg}\n")

    def warn(self, msg: str) -> None:
        self.stderr.write(f"{self.name}: warning: {msg}\n")

    def warn_plain(self, msg: str) -> None:
        self.stderr.write(f"{self.name}: {msg}\n")


def _reason(e: BaseException, path: str) -> str:
    msg = str(e)
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    if msg.startswith(path + ": "):
        return msg[len(path) + 2 :]
    return msg


# --------------------------------------------------------------------------
# the compiler: AST -> closures


def _tonum(v: Any) -> float:
    return v if v.__class__ is float else str_to_num(v)


def awk_pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except OverflowError:
        if x < 0 and y.is_integer() and int(y) % 2:
            return -_INF
        return _INF
    except ValueError:
        if x == 0.0:
            return _INF
        return -math.nan


def _upd_add(old: Any, x: float) -> tuple[float, float]:
    v = _tonum(old) + x
    return v, v


def _upd_sub(old: Any, x: float) -> tuple[float, float]:
    v = _tonum(old) - x
    return v, v


def _upd_mul(old: Any, x: float) -> tuple[float, float]:
    v = _tonum(old) * x
    return v, v


def _upd_div(old: Any, x: float) -> tuple[float, float]:
    v = _tonum(old) / x
    return v, v


def _upd_mod(old: Any, x: float) -> tuple[float, float]:
    v = math.fmod(_tonum(old), x)
    return v, v


def _upd_pow(old: Any, x: float) -> tuple[float, float]:
    v = awk_pow(_tonum(old), x)
    return v, v


def _upd_post(old: Any, x: float) -> tuple[float, float]:
    o = _tonum(old)
    return o + x, o


_UPDATERS = {
    "+=": _upd_add,
    "-=": _upd_sub,
    "*=": _upd_mul,
    "/=": _upd_div,
    "%=": _upd_mod,
    "^=": _upd_pow,
}

_PYOPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

# builtin argument positions that are arrays
_ARRAY_ARGS = {"split": (1, 3), "match": (2,), "asort": (0, 1), "asorti": (0, 1)}
_ARITY = {
    "length": (0, 1),
    "substr": (2, 3),
    "index": (2, 2),
    "split": (2, 4),
    "sub": (2, 3),
    "gsub": (2, 3),
    "gensub": (3, 4),
    "match": (2, 3),
    "sprintf": (1, 10**9),
    "sin": (1, 1),
    "cos": (1, 1),
    "atan2": (2, 2),
    "exp": (1, 1),
    "log": (1, 1),
    "sqrt": (1, 1),
    "int": (1, 1),
    "rand": (0, 0),
    "srand": (0, 1),
    "tolower": (1, 1),
    "toupper": (1, 1),
    "system": (1, 1),
    "close": (1, 2),
    "fflush": (0, 1),
    "systime": (0, 0),
    "strftime": (0, 3),
    "mktime": (1, 2),
    "asort": (1, 3),
    "asorti": (1, 3),
    "and": (2, 10**9),
    "or": (2, 10**9),
    "xor": (2, 10**9),
    "lshift": (2, 2),
    "rshift": (2, 2),
    "compl": (1, 1),
    "strtonum": (1, 1),
}

# gawk features this awk does not have: refuse them rather than ignore them
UNSUPPORTED_VARS = {"FPAT", "FIELDWIDTHS", "IGNORECASE", "BEGINFILE", "ENDFILE", "BINMODE"}


_HEX_PREFIX = re.compile(r"0[xX]([0-9a-fA-F]+)")
_OCT_PREFIX = re.compile(r"0([0-7]+)")


def ungroup(n: N) -> N:
    while n.k == "group":
        n = n.a
    return n


Fn = Callable[[], Any]


class Compiler:
    def __init__(self, prog: Program, rt: Runtime, sources: list[Source]) -> None:
        self.prog = prog
        self.rt = rt
        self.sources = sources
        self.locals: dict[str, int] = {}
        self.local_arrays: set[str] = set()
        self.usage: dict[tuple[str | None, str], set[str]] = {}
        self.calls: list[tuple[str | None, str, int, str, N]] = []
        self.holders: dict[str, list[Any]] = {f: [None] for f in prog.funcs}
        self.param_arrays: dict[str, set[int]] = {f: set() for f in prog.funcs}
        self.first_use: dict[tuple[str | None, str], str] = {}

    def where(self, n: N | FuncDef) -> str:
        src, line = n.pos
        return self.sources[src].where(line)

    def error(self, msg: str, n: N, status: int = 1) -> AwkSyntaxError:
        return AwkSyntaxError(msg, self.where(n), status=status)

    # -- analysis: which names are arrays ------------------------------------------

    def scope(self, fn: str | None, name: str) -> tuple[str | None, str]:
        if fn is not None and name in self.prog.funcs[fn].params:
            return (fn, name)
        return (None, name)

    def mark(self, fn: str | None, name: str, kind: str, n: N) -> None:
        sc = self.scope(fn, name)
        if sc[0] is None and name in self.prog.funcs:
            raise self.error(
                f"function `{name}' called with space between name and `(',\n"
                f"or used as a variable or an array",
                n,
                1,
            )
        self.usage.setdefault(sc, set()).add(kind)
        self.first_use.setdefault(sc, kind)

    def walk(self, n: Any, fn: str | None) -> None:
        if n is None:
            return
        if isinstance(n, list):
            for x in n:
                self.walk(x, fn)
            return
        if not isinstance(n, N):
            return
        k = n.k
        if k == "var":
            self.mark(fn, n.a, "scalar", n)
            return
        if k == "index":
            self.mark(fn, n.a, "array", n)
            self.walk(n.b, fn)
            return
        if k == "in":
            self.mark(fn, n.b, "array", n)
            self.walk(n.a, fn)
            return
        if k == "forin":
            self.walk(n.a, fn)
            self.mark(fn, n.b, "array", n)
            self.walk(n.c, fn)
            return
        if k == "delete":
            self.mark(fn, n.a, "array", n)
            self.walk(n.b, fn)
            return
        if k == "call":
            if n.a not in self.prog.funcs:
                raise self.error(f"function `{n.a}' not defined", n, 2)
            for i, a in enumerate(n.b):
                a = ungroup(a) if a.k == "group" and ungroup(a).k == "var" else a
                if a.k == "var":
                    self.calls.append((fn, n.a, i, a.a, a))
                else:
                    self.walk(a, fn)
            return
        if k == "builtin":
            name, args = n.a, n.b
            lo, hi = _ARITY[name]
            if not lo <= len(args) <= hi:
                raise self.error(f"{name}: called with {len(args)} arguments", n, 1)
            arr_pos = _ARRAY_ARGS.get(name, ())
            for i, a in enumerate(args):
                if i in arr_pos:
                    if a.k != "var":
                        if name in ("split", "match", "asort", "asorti") and i > 0:
                            raise self.error(f"{name}: argument {i + 1} is not an array", n, 2)
                        if a.k != "var":
                            raise self.error(f"{name}: argument {i + 1} is not an array", n, 2)
                    self.mark(fn, a.a, "array", a)
                elif name == "length" and a.k == "var":
                    self.usage.setdefault(self.scope(fn, a.a), set())
                else:
                    self.walk(a, fn)
            return
        for x in (n.a, n.b, n.c, n.d):
            if isinstance(x, (N, list)):
                self.walk(x, fn)

    def analyze(self) -> None:
        prog = self.prog
        for b in prog.begins + prog.ends:
            self.walk(b, None)
        for p, p2, _r, act in prog.rules:
            self.walk(p, None)
            self.walk(p2, None)
            self.walk(act, None)
        for name, fd in prog.funcs.items():
            self.walk(fd.body, name)
        # propagate array-ness through calls until nothing changes
        changed = True
        while changed:
            changed = False
            for fn, callee, i, var, _node in self.calls:
                fd = prog.funcs[callee]
                if i >= len(fd.params):
                    continue
                sc = self.scope(fn, var)
                psc = (callee, fd.params[i])
                caller_arr = "array" in self.usage.get(sc, ())
                callee_arr = "array" in self.usage.get(psc, ())
                if callee_arr and not caller_arr:
                    self.usage.setdefault(sc, set()).add("array")
                    changed = True
                elif caller_arr and not callee_arr:
                    self.usage.setdefault(psc, set()).add("array")
                    changed = True
        for fn, _callee, _i, var, _node in self.calls:
            self.usage.setdefault(self.scope(fn, var), set())
        for fname, fd in prog.funcs.items():
            self.param_arrays[fname] = {
                i for i, p in enumerate(fd.params) if "array" in self.usage.get((fname, p), ())
            }
        g = self.rt.g
        for (fn, name), kinds in self.usage.items():
            if fn is not None:
                continue
            if name in UNSUPPORTED_VARS:
                raise AwkSyntaxError(
                    f"`{name}' (a gawk extension) is not supported by this awk",
                    self.sources[0].where(1),
                    status=2,
                )
            if name in prog.funcs:
                raise AwkSyntaxError(
                    f"function name `{name}' used as a variable", self.sources[0].where(1)
                )
            if "array" in kinds:
                if (
                    "scalar" in kinds
                    or name in SPECIAL_VARS
                    or (name in g and not isinstance(g[name], dict))
                ):
                    if (
                        name in SPECIAL_VARS
                        or (name in g and not isinstance(g[name], dict))
                        or self.first_use.get((None, name)) == "scalar"
                    ):
                        raise AwkSyntaxError(
                            f"attempt to use scalar `{name}' as an array",
                            self.sources[0].where(1),
                            status=2,
                        )
                    raise AwkSyntaxError(
                        f"attempt to use array `{name}' in a scalar context",
                        self.sources[0].where(1),
                        status=2,
                    )
                g.setdefault(name, {})
            else:
                if name in ARRAY_VARS and "scalar" in kinds:
                    raise AwkSyntaxError(
                        f"attempt to use array `{name}' in a scalar context",
                        self.sources[0].where(1),
                        status=2,
                    )
                if name not in SPECIAL_VARS:
                    g.setdefault(name, UNINIT)

    # -- helpers ----------------------------------------------------------------------

    def is_array(self, name: str) -> bool:
        if name in self.locals:
            return name in self.local_arrays
        return isinstance(self.rt.g.get(name), dict)

    def array_ref(self, name: str) -> Fn:
        """A closure giving the dict of array ``name``."""
        rt = self.rt
        if name in self.locals:
            i = self.locals[name]

            def local_arr() -> dict[str, Any]:
                v = rt.frame[i]
                if v.__class__ is dict:
                    return v
                if v is UNINIT:
                    d: dict[str, Any] = {}
                    rt.frame[i] = d
                    return d
                raise AwkFatal(f"attempt to use scalar parameter `{name}' as an array")

            return local_arr
        arr = rt.g[name]
        return lambda: arr

    def subscript(self, subs: list[N]) -> Fn:
        rt = self.rt
        key = rt.key
        if len(subs) == 1:
            s = ungroup(subs[0])
            if s.k == "str":
                c = s.a
                return lambda: c
            if s.k == "num" and s.a.is_integer():
                c = str(int(s.a))
                return lambda: c
            e = self.expr(s)

            def key1() -> str:
                v = e()
                return v if v.__class__ is not float else key(v)

            return key1
        es = [self.expr(x) for x in subs]
        return lambda: rt.subsep.join([key(e()) for e in es])

    def regex_of(self, n: N) -> Fn:
        n = ungroup(n)
        if n.k == "regex":
            rx = self.const_regex(n)
            return lambda: rx
        if n.k == "str":
            rx = self.const_regex(n)
            return lambda: rx
        e = self.string(n)
        return lambda: compile_ere(e())

    def const_regex(self, n: N) -> re.Pattern[str]:
        try:
            return compile_ere(n.a)
        except AwkFatal as e:
            if n.k == "regex":
                raise AwkSyntaxError(
                    e.msg.removeprefix("invalid regexp: "), self.where(n)
                ) from None
            e.where = self.where(n)
            raise

    def guard(self, f: Fn, n: N) -> Fn:
        w = self.where(n)

        def guarded() -> Any:
            try:
                return f()
            except AwkFatal as e:
                if e.where is None:
                    e.where = w
                raise

        return guarded

    # -- expressions -----------------------------------------------------------------

    def expr(self, n: N) -> Fn:
        return getattr(self, "e_" + n.k)(n)

    def num(self, n: N) -> Fn:
        n = ungroup(n)
        if n.k == "num":
            v = n.a
            return lambda: v
        if n.k in ("binop", "neg", "plus", "cmp", "and", "or", "not", "match", "in", "incdec"):
            return self.expr(n)
        e = self.expr(n)

        def to_num() -> float:
            v = e()
            return v if v.__class__ is float else str_to_num(v)

        return to_num

    def string(self, n: N) -> Fn:
        n = ungroup(n)
        if n.k == "str":
            v = n.a
            return lambda: v
        e = self.expr(n)
        tostr = self.rt.tostr

        def to_str() -> str:
            v = e()
            return v if v.__class__ is str else tostr(v)

        return to_str

    def cond(self, n: N) -> Fn:
        """A closure returning a Python bool."""
        n = ungroup(n)
        k = n.k
        rt = self.rt
        if k == "and":
            a, b = self.cond(n.a), self.cond(n.b)
            return lambda: a() and b()
        if k == "or":
            a, b = self.cond(n.a), self.cond(n.b)
            return lambda: a() or b()
        if k == "not":
            a = self.cond(n.a)
            return lambda: not a()
        if k == "cmp":
            return self.c_cmp(n)
        if k == "regex":
            rx = self.const_regex(n)
            search = rx.search
            return lambda: search(rt.record) is not None
        if k == "match":
            neg = n.a
            s = self.string(n.b)
            rxf = self.regex_of(n.c)
            c = ungroup(n.c)
            if c.k in ("regex", "str"):
                search = self.const_regex(c).search
                if neg:
                    return lambda: search(s()) is None
                return lambda: search(s()) is not None
            if neg:
                return lambda: rxf().search(s()) is None
            return lambda: rxf().search(s()) is not None
        if k == "in":
            key = self.subscript(n.a)
            arrf = self.array_ref(n.b)
            return lambda: key() in arrf()
        if k == "num":
            v = n.a != 0.0
            return lambda: v
        if k == "str":
            sv = n.a != ""
            return lambda: sv
        e = self.expr(n)
        return lambda: truth(e())

    def c_cmp(self, n: N) -> Fn:
        pyop = _PYOPS[n.a]
        A, B = ungroup(n.b), ungroup(n.c)
        tostr = self.rt.tostr
        if B.k == "str" or A.k == "str":
            if B.k == "str":
                a = self.expr(A)
                s = B.a
                return lambda: pyop(tostr(a()), s)
            b = self.expr(B)
            s = A.a
            return lambda: pyop(s, tostr(b()))
        if B.k == "num":
            a = self.expr(A)
            c = B.a

            def cmp_num() -> bool:
                x = a()
                if x.__class__ is float:
                    return pyop(x, c)
                if numish(x):
                    return pyop(str_to_num(x), c)
                return pyop(tostr(x), tostr(c))

            return cmp_num
        a = self.expr(A)
        b = self.expr(B)

        def cmp_any() -> bool:
            x = a()
            y = b()
            if x.__class__ is float and y.__class__ is float:
                return pyop(x, y)
            if numish(x) and numish(y):
                return pyop(str_to_num(x), str_to_num(y))
            return pyop(tostr(x), tostr(y))

        return cmp_any

    def _bool_expr(self, n: N) -> Fn:
        c = self.cond(n)
        return lambda: 1.0 if c() else 0.0

    e_cmp = e_and = e_or = e_not = e_in = e_match = _bool_expr

    def e_regex(self, n: N) -> Fn:
        return self._bool_expr(n)

    def e_num(self, n: N) -> Fn:
        v = n.a
        return lambda: v

    def e_str(self, n: N) -> Fn:
        v = n.a
        return lambda: v

    def e_group(self, n: N) -> Fn:
        return self.expr(n.a)

    def e_grouplist(self, n: N) -> Fn:
        raise self.error("syntax error", n)

    def e_cond(self, n: N) -> Fn:
        c = self.cond(n.a)
        a = self.expr(n.b)
        b = self.expr(n.c)
        return lambda: a() if c() else b()

    def e_neg(self, n: N) -> Fn:
        a = self.num(n.a)
        return lambda: -a()

    def e_plus(self, n: N) -> Fn:
        return self.num(n.a)

    def e_binop(self, n: N) -> Fn:
        op = n.a
        a = self.num(n.b)
        b = self.num(n.c)
        if op == "+":
            return lambda: a() + b()
        if op == "-":
            return lambda: a() - b()
        if op == "*":
            return lambda: a() * b()
        w = self.where(n)
        if op == "/":

            def div() -> float:
                x = a()
                y = b()
                if y == 0.0:
                    raise AwkFatal("division by zero attempted", w)
                return x / y

            return div
        if op == "%":

            def mod() -> float:
                x = a()
                y = b()
                if y == 0.0:
                    raise AwkFatal("division by zero attempted in `%'", w)
                return math.fmod(x, y)

            return mod
        return lambda: awk_pow(a(), b())

    def e_concat(self, n: N) -> Fn:
        parts = [self.string(x) for x in n.a]
        if len(parts) == 2:
            p, q = parts

            def concat2() -> str:
                r = p() + q()
                if len(r) > MAX_STR:
                    raise AwkFatal("string too long")
                return r

            return concat2

        def concat() -> str:
            r = "".join([f() for f in parts])
            if len(r) > MAX_STR:
                raise AwkFatal("string too long")
            return r

        return concat

    # -- variables, fields, arrays ---------------------------------------------------------

    def e_var(self, n: N) -> Fn:
        name = n.a
        rt = self.rt
        if name in self.locals:
            i = self.locals[name]
            if name in self.local_arrays:
                raise self.error(f"attempt to use array `{name}' in a scalar context", n, 2)

            def local_get() -> Any:
                v = rt.frame[i]
                if v.__class__ is dict:
                    raise AwkFatal(f"attempt to use array `{name}' in a scalar context")
                return v

            return local_get
        if name in ("NF", "NR", "FNR"):
            if name == "NF":
                return rt.get_nf
            if name == "NR":
                return lambda: float(rt.nr)
            return lambda: float(rt.fnr)
        g = rt.g
        return lambda: g[name]

    def raw_var(self, name: str) -> Fn:
        """A variable's value as it is (maybe an array): for call arguments."""
        rt = self.rt
        if name in self.locals:
            i = self.locals[name]
            return lambda: rt.frame[i]
        if name in ("NF", "NR", "FNR"):
            return lambda: rt.get_special(name)
        g = rt.g
        return lambda: g[name]

    def e_index(self, n: N) -> Fn:
        key = self.subscript(n.b)
        if n.a in self.locals:
            arrf = self.array_ref(n.a)

            def local_elem() -> Any:
                arr = arrf()
                k = key()
                v = arr.get(k)
                if v is None:
                    arr[k] = v = UNINIT
                return v

            return local_elem
        arr = self.rt.g[n.a]

        def elem() -> Any:
            k = key()
            v = arr.get(k)
            if v is None:
                arr[k] = v = UNINIT
            return v

        return elem

    def field_index(self, n: N) -> Fn:
        e = self.num(n)

        def idx() -> int:
            x = e()
            if x >= 0.0:
                if x == _INF:
                    raise AwkFatal("field index too large")
                return int(x)
            if x != x:
                raise AwkFatal("attempt to access field nan")
            raise AwkFatal(f"attempt to access field {int(x)}")

        return idx

    def e_field(self, n: N) -> Fn:
        rt = self.rt
        a = ungroup(n.a)
        if a.k == "num" and a.a >= 0 and a.a.is_integer():
            i = int(a.a)
            if i == 0:
                return lambda: rt.record
            im1 = i - 1

            def field_const() -> Any:
                f = rt.fields
                if f is None:
                    f = rt.split_record()
                return f[im1] if i <= len(f) else EMPTY

            return field_const
        idx = self.field_index(n.a)
        get = rt.get_field
        return lambda: get(idx())

    def lvalue(self, n: N) -> tuple[Fn, Callable[[Any], None], Callable[[Any, Any], Any]]:
        """(get, set, update) closures; ``update(fn, x)`` stores ``fn(old, x)[0]``
        and returns ``fn(old, x)[1]``."""
        rt = self.rt
        k = n.k
        if k == "var":
            name = n.a
            if name in self.locals:
                i = self.locals[name]
                if name in self.local_arrays:
                    raise self.error(f"attempt to use array `{name}' in a scalar context", n, 2)
                get = self.e_var(n)

                def lset(v: Any) -> None:
                    rt.frame[i] = v

                def lupd(fn: Any, x: Any) -> Any:
                    s, r = fn(get(), x)
                    rt.frame[i] = s
                    return r

                return get, lset, lupd
            if name in SPECIAL_VARS:

                def sget() -> Any:
                    return rt.get_special(name)

                def sset(v: Any) -> None:
                    rt.set_special(name, v)

                def supd(fn: Any, x: Any) -> Any:
                    s, r = fn(rt.get_special(name), x)
                    rt.set_special(name, s)
                    return r

                return sget, sset, supd
            g = rt.g

            def gget() -> Any:
                return g[name]

            def gset(v: Any) -> None:
                g[name] = v

            def gupd(fn: Any, x: Any) -> Any:
                s, r = fn(g[name], x)
                g[name] = s
                return r

            return gget, gset, gupd
        if k == "index":
            key = self.subscript(n.b)
            arrf = self.array_ref(n.a)

            def iget() -> Any:
                arr = arrf()
                kk = key()
                v = arr.get(kk)
                if v is None:
                    arr[kk] = v = UNINIT
                return v

            def iset(v: Any) -> None:
                arrf()[key()] = v

            def iupd(fn: Any, x: Any) -> Any:
                arr = arrf()
                kk = key()
                s, r = fn(arr.get(kk, UNINIT), x)
                arr[kk] = s
                return r

            return iget, iset, iupd
        if k == "field":
            idx = self.field_index(n.a)

            def fget() -> Any:
                return rt.get_field(idx())

            def fset(v: Any) -> None:
                rt.set_field(idx(), v)

            def fupd(fn: Any, x: Any) -> Any:
                i = idx()
                s, r = fn(rt.get_field(i), x)
                rt.set_field(i, s)
                return r

            return fget, fset, fupd
        raise self.error("syntax error", n)

    def e_assign(self, n: N) -> Fn:
        op, lv = n.a, n.b
        rt = self.rt
        plain_global = lv.k == "var" and lv.a not in self.locals and lv.a not in SPECIAL_VARS
        if op == "=":
            r = self.expr(n.c)
            if plain_global:
                g = rt.g
                name = lv.a

                def assign_global() -> Any:
                    v = r()
                    if v.__class__ is dict:
                        raise AwkFatal("attempt to use array in a scalar context")
                    g[name] = v
                    return v

                return assign_global
            _get, set_, _upd = self.lvalue(lv)

            def assign() -> Any:
                v = r()
                if v.__class__ is dict:
                    raise AwkFatal("attempt to use array in a scalar context")
                set_(v)
                return v

            return assign
        x = self.num(n.c)
        w = self.where(n)
        if op in ("/=", "%="):
            x0 = x
            msg = "division by zero attempted" + (" in `%='" if op == "%=" else " in `/='")

            def x() -> float:
                d = x0()
                if d == 0.0:
                    raise AwkFatal(msg, w)
                return d

        if op == "+=" and plain_global:
            g = rt.g
            name = lv.a

            def add_global() -> float:
                d = x()
                old = g[name]
                v = (old if old.__class__ is float else str_to_num(old)) + d
                g[name] = v
                return v

            return add_global
        if op == "+=" and lv.k == "index" and lv.a not in self.locals:
            arr = rt.g[lv.a]
            key = self.subscript(lv.b)

            def add_elem() -> float:
                d = x()
                k = key()
                old = arr.get(k)
                o = 0.0 if old is None else (old if old.__class__ is float else str_to_num(old))
                arr[k] = v = o + d
                return v

            return add_elem
        fn = _UPDATERS[op]
        _get, _set, upd = self.lvalue(lv)
        return lambda: upd(fn, x())

    def e_incdec(self, n: N) -> Fn:
        delta = 1.0 if n.a == "++" else -1.0
        prefix = n.b
        lv = n.c
        rt = self.rt
        if lv.k == "var" and lv.a not in self.locals and lv.a not in SPECIAL_VARS:
            g = rt.g
            name = lv.a
            if prefix:

                def pre_global() -> float:
                    old = g[name]
                    v = (old if old.__class__ is float else str_to_num(old)) + delta
                    g[name] = v
                    return v

                return pre_global

            def post_global() -> float:
                old = g[name]
                o = old if old.__class__ is float else str_to_num(old)
                g[name] = o + delta
                return o

            return post_global
        if lv.k == "var" and lv.a in self.locals and lv.a not in self.local_arrays:
            i = self.locals[lv.a]

            def incdec_local() -> float:
                fr = rt.frame
                old = fr[i]
                o = old if old.__class__ is float else str_to_num(old)
                fr[i] = o + delta
                return o + delta if prefix else o

            return incdec_local
        if lv.k == "index" and lv.a not in self.locals:
            arr = rt.g[lv.a]
            key = self.subscript(lv.b)

            def incdec_elem() -> float:
                k = key()
                old = arr.get(k)
                o = 0.0 if old is None else (old if old.__class__ is float else str_to_num(old))
                arr[k] = o + delta
                return o + delta if prefix else o

            return incdec_elem
        _get, _set, upd = self.lvalue(lv)
        fn = _upd_add if prefix else _upd_post
        return lambda: upd(fn, delta)

    # -- calls -------------------------------------------------------------------------

    def e_call(self, n: N) -> Fn:
        rt = self.rt
        fd = self.prog.funcs[n.a]
        nparams = len(fd.params)
        arr_params = self.param_arrays[n.a]
        args = n.b[:nparams]
        evs: list[Fn] = []
        for i, a in enumerate(args):
            a0 = ungroup(a)
            if a0.k == "var" and (i in arr_params or self.is_array(a0.a)):
                evs.append(self.array_ref(a0.a))
            elif i in arr_params:
                pname = fd.params[i]

                def bad_arg(pname: str = pname) -> Any:
                    raise AwkFatal(f"attempt to use scalar parameter `{pname}' as an array")

                evs.append(bad_arg)
            elif a0.k == "var" and a0.a in self.locals:
                evs.append(self.raw_var(a0.a))
            else:
                evs.append(self.expr(a))
        extra = [self.expr(a) for a in n.b[nparams:]]
        if extra:
            rt.warn_at(self.where(n), f"function `{n.a}' called with more arguments than declared")
        pad = [i in arr_params for i in range(len(args), nparams)]
        holder = self.holders[n.a]
        w = self.where(n)
        fname = n.a

        def call() -> Any:
            frame = [e() for e in evs]
            for e in extra:
                e()
            if pad:
                frame.extend([{} if p else UNINIT for p in pad])
            if rt.depth >= MAX_DEPTH:
                raise AwkFatal(
                    f"function `{fname}': call nesting too deep (more than {MAX_DEPTH} calls)", w
                )
            rt.depth += 1
            saved = rt.frame
            rt.frame = frame
            try:
                r = holder[0]()
            finally:
                rt.frame = saved
                rt.depth -= 1
            if r == RET:
                v = rt.retval
                rt.retval = UNINIT
                return v
            return UNINIT

        return call

    def e_getline(self, n: N) -> Fn:
        rt = self.rt
        kind = n.a
        setter = self.lvalue(n.b)[1] if n.b is not None else None
        w = self.where(n)
        if kind == "simple":

            def getline_main() -> float:
                rec = rt.next_main_record()
                if rec is None:
                    return 0.0
                if setter is None:
                    rt.set_record(StrNum(rec))
                else:
                    setter(StrNum(rec))
                return 1.0

            return getline_main
        src = self.string(n.c)
        if kind == "file":

            def getline_file() -> float:
                r = rt.file_reader(src())
                if r is None:
                    return -1.0
                try:
                    rec = r.read_record()
                except OSError:
                    return -1.0
                if rec is None:
                    return 0.0
                if setter is None:
                    rt.set_record(StrNum(rec))
                else:
                    setter(StrNum(rec))
                return 1.0

            return getline_file

        def getline_cmd() -> float:
            try:
                r = rt.cmd_reader(src())
            except AwkFatal as e:
                e.where = w if e.where is None else e.where
                raise
            if r is None:
                return -1.0
            rec = r.read_record()
            if rec is None:
                return 0.0
            if setter is None:
                rt.set_record(StrNum(rec))
            else:
                setter(StrNum(rec))
            return 1.0

        return getline_cmd

    # -- built-in functions ------------------------------------------------------------

    def e_builtin(self, n: N) -> Fn:
        fn = getattr(self, "b_" + n.a)
        f = fn(n, n.b)
        if n.a in ("sprintf", "split", "sub", "gsub", "gensub", "match", "close", "system"):
            return self.guard(f, n)
        return f

    def b_length(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        if not args:
            return lambda: float(len(rt.record))
        a = ungroup(args[0])
        if a.k == "var":
            if a.a in self.locals:
                raw = self.raw_var(a.a)
                tostr = rt.tostr

                def length_local() -> float:
                    v = raw()
                    if v.__class__ is dict:
                        return float(len(v))
                    return float(len(tostr(v)))

                return length_local
            if self.is_array(a.a):
                arr = rt.g[a.a]
                return lambda: float(len(arr))
        s = self.string(a)
        return lambda: float(len(s()))

    def b_substr(self, n: N, args: list[N]) -> Fn:
        s = self.string(args[0])
        m = self.num(args[1])
        ln = self.num(args[2]) if len(args) > 2 else None

        def substr() -> str:
            t = s()
            start = m()
            size = len(t)
            if start >= 1.0:
                if start > size:
                    return ""
                i = int(start) - 1
            else:
                i = 0
            if ln is None:
                return t[i:]
            k = ln()
            if not k >= 1.0:
                return ""
            if k > size:
                return t[i:]
            return t[i : i + int(k)]

        return substr

    def b_index(self, n: N, args: list[N]) -> Fn:
        s = self.string(args[0])
        t = self.string(args[1])
        return lambda: float(s().find(t()) + 1)

    def b_split(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        s = self.string(args[0])
        arrf = self.array_ref(ungroup(args[1]).a)
        sepsf = self.array_ref(ungroup(args[3]).a) if len(args) > 3 else None
        cache: dict[str, Callable[[str], list[str]]] = {}
        sepn = ungroup(args[2]) if len(args) > 2 else None
        if sepn is not None and sepn.k == "regex":
            rx = self.const_regex(sepn)

            def get_split() -> Callable[[str], list[str]]:
                return lambda t: _split_regex(rx, t)

        elif sepn is not None:
            sepv = self.string(sepn)

            def get_split() -> Callable[[str], list[str]]:
                sv = sepv()
                sp = cache.get(sv)
                if sp is None:
                    if len(cache) > 64:
                        cache.clear()
                    sp = cache[sv] = make_splitter(sv)
                return sp

        else:

            def get_split() -> Callable[[str], list[str]]:
                return rt.splitter

        def split() -> float:
            t = s()
            sp = get_split()
            parts = sp(t)
            arr = arrf()
            arr.clear()
            for i, p in enumerate(parts, 1):
                arr[str(i)] = StrNum(p)
            if sepsf is not None:
                seps = sepsf()
                seps.clear()
                pos = 0
                for i, p in enumerate(parts):
                    j = t.find(p, pos) if p else pos
                    if i > 0:
                        seps[str(i)] = StrNum(t[pos:j])
                    elif j > 0:
                        seps["0"] = StrNum(t[:j])
                    pos = j + len(p)
                if parts and pos < len(t):
                    seps[str(len(parts))] = StrNum(t[pos:])
            return float(len(parts))

        return split

    def _sub(self, n: N, args: list[N], glob: bool) -> Fn:
        rt = self.rt
        rxf = self.regex_of(args[0])
        repl = self.string(args[1])
        tostr = rt.tostr
        if len(args) > 2:
            target = ungroup(args[2])
            if target.k in LVALUES:
                _get, _set, upd = self.lvalue(target)
            else:
                tv = self.expr(target)

                def upd(fn: Any, x: Any) -> Any:
                    return fn(tv(), x)[1]

        else:

            def upd(fn: Any, x: Any) -> Any:
                s, r = fn(rt.record, x)
                if r:
                    rt.set_record(s)
                return r

        def change(old: Any, ctx: tuple[re.Pattern[str], str]) -> tuple[Any, float]:
            out, count = rt.substitute(ctx[0], ctx[1], tostr(old), glob)
            return (out if count else old), float(count)

        def sub() -> float:
            rx = rxf()
            r = repl()
            return upd(change, (rx, r))

        return sub

    def b_sub(self, n: N, args: list[N]) -> Fn:
        return self._sub(n, args, False)

    def b_gsub(self, n: N, args: list[N]) -> Fn:
        return self._sub(n, args, True)

    def b_gensub(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        rxf = self.regex_of(args[0])
        repl = self.string(args[1])
        how = self.expr(args[2])
        target = self.string(args[3]) if len(args) > 3 else (lambda: rt.record)
        return lambda: rt.gensub(rxf(), repl(), how(), target())

    def b_match(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        s = self.string(args[0])
        rxf = self.regex_of(args[1])
        arrf = self.array_ref(ungroup(args[2]).a) if len(args) > 2 else None
        g = rt.g

        def match() -> float:
            t = s()
            m = rxf().search(t)
            if m is None:
                g["RSTART"] = 0.0
                g["RLENGTH"] = -1.0
            else:
                g["RSTART"] = float(m.start() + 1)
                g["RLENGTH"] = float(m.end() - m.start())
            if arrf is not None:
                arr = arrf()
                arr.clear()
                if m is not None:
                    sep = rt.subsep
                    for i in range((m.re.groups or 0) + 1):
                        st = m.start(i)
                        if st < 0:
                            continue
                        k = str(i)
                        arr[k] = StrNum(m.group(i))
                        arr[k + sep + "start"] = float(st + 1)
                        arr[k + sep + "length"] = float(m.end(i) - st)
            return g["RSTART"]

        return match

    def b_sprintf(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        fmt = self.string(args[0])
        rest = [self.expr(a) for a in args[1:]]
        return lambda: rt.sprintf(fmt(), [e() for e in rest])

    def _math1(self, args: list[N], fn: Callable[[float], float]) -> Fn:
        a = self.num(args[0])
        return lambda: fn(a())

    def b_sin(self, n: N, args: list[N]) -> Fn:
        return self._math1(args, lambda x: math.sin(x) if x - x == 0 else math.nan)

    def b_cos(self, n: N, args: list[N]) -> Fn:
        return self._math1(args, lambda x: math.cos(x) if x - x == 0 else math.nan)

    def b_atan2(self, n: N, args: list[N]) -> Fn:
        a = self.num(args[0])
        b = self.num(args[1])
        return lambda: math.atan2(a(), b())

    def b_exp(self, n: N, args: list[N]) -> Fn:
        def exp(x: float) -> float:
            try:
                return math.exp(x)
            except OverflowError:
                return _INF

        return self._math1(args, exp)

    def b_log(self, n: N, args: list[N]) -> Fn:
        def log(x: float) -> float:
            if x > 0:
                return math.log(x)
            if x == 0:
                return -_INF
            return -math.nan if x == x else x

        return self._math1(args, log)

    def b_sqrt(self, n: N, args: list[N]) -> Fn:
        def sqrt(x: float) -> float:
            if x >= 0:
                return math.sqrt(x)
            return -math.nan if x == x else x

        return self._math1(args, sqrt)

    def b_int(self, n: N, args: list[N]) -> Fn:
        return self._math1(args, lambda x: float(math.trunc(x)) if x - x == 0 else x)

    def b_rand(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        return lambda: rt.random.random()

    def b_srand(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        a = self.num(args[0]) if args else None

        def srand() -> float:
            prev = rt.seed
            seed = a() if a is not None else float(int(time.time()))
            rt.seed = seed
            rt.random.seed(seed)
            return prev

        return srand

    def b_tolower(self, n: N, args: list[N]) -> Fn:
        s = self.string(args[0])
        return lambda: s().lower()

    def b_toupper(self, n: N, args: list[N]) -> Fn:
        s = self.string(args[0])
        return lambda: s().upper()

    def b_system(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        s = self.string(args[0])
        return lambda: float(rt.run_shell(s(), b""))

    def b_close(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        s = self.string(args[0])
        return lambda: rt.close_stream(s())

    def b_fflush(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        s = self.string(args[0]) if args else None

        def fflush() -> float:
            if s is None:
                rt.flush_all()
                return 0.0
            name = s()
            o = rt.outputs.get(name)
            if o is None:
                if name in ("/dev/stdout", "/dev/stderr", "-"):
                    rt.flush_all()
                    return 0.0
                return -1.0
            o.flush()
            return 0.0

        return fflush

    def b_systime(self, n: N, args: list[N]) -> Fn:
        return lambda: float(int(time.time()))

    def b_strftime(self, n: N, args: list[N]) -> Fn:
        rt = self.rt
        fmt = self.string(args[0]) if args else (lambda: rt.tostr(rt.g["PROCINFO"]["strftime"]))
        ts = self.num(args[1]) if len(args) > 1 else None
        utc = self.cond(args[2]) if len(args) > 2 else None

        def strftime() -> str:
            f = fmt()
            t = ts() if ts is not None else time.time()
            try:
                tm = time.gmtime(t) if (utc is not None and utc()) else time.localtime(t)
                return time.strftime(f, tm) if f else ""
            except (OverflowError, OSError, ValueError):
                return ""

        return strftime

    def b_mktime(self, n: N, args: list[N]) -> Fn:
        s = self.string(args[0])

        def mktime() -> float:
            parts = s().split()
            if len(parts) < 6:
                return -1.0
            try:
                vals = [int(str_to_num(p)) for p in parts[:7]]
                dst = vals[6] if len(vals) > 6 else -1
                tm = (vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], 0, 0, dst)
                return float(int(time.mktime(tm)))
            except (OverflowError, ValueError):
                return -1.0

        return mktime

    def _asort(self, n: N, args: list[N], by_index: bool) -> Fn:
        rt = self.rt
        src = self.array_ref(ungroup(args[0]).a)
        dst = self.array_ref(ungroup(args[1]).a) if len(args) > 1 else None
        how = self.string(args[2]) if len(args) > 2 else None

        def asort() -> float:
            a = src()
            mode = how() if how is not None else ""
            if by_index:
                items: list[Any] = [StrNum(k) for k in a]
            else:
                items = list(a.values())
                if any(v.__class__ is dict for v in items):
                    raise AwkFatal("asort: cannot sort arrays of arrays")
            items = rt.sort_values(items, mode, by_index)
            d = dst() if dst is not None else a
            d.clear()
            for i, v in enumerate(items, 1):
                d[str(i)] = v
            return float(len(items))

        return asort

    def b_asort(self, n: N, args: list[N]) -> Fn:
        return self._asort(n, args, False)

    def b_asorti(self, n: N, args: list[N]) -> Fn:
        return self._asort(n, args, True)

    def _bits(self, args: list[N], fn: Callable[[int, int], int]) -> Fn:
        es = [self.num(a) for a in args]

        def bits() -> float:
            vals = []
            for e in es:
                v = e()
                if v < 0:
                    raise AwkFatal("bit operations: negative values are not allowed")
                vals.append(int(v))
            r = vals[0]
            for v in vals[1:]:
                r = fn(r, v)
            return float(r)

        return bits

    def b_and(self, n: N, args: list[N]) -> Fn:
        return self._bits(args, operator.and_)

    def b_or(self, n: N, args: list[N]) -> Fn:
        return self._bits(args, operator.or_)

    def b_xor(self, n: N, args: list[N]) -> Fn:
        return self._bits(args, operator.xor)

    def b_lshift(self, n: N, args: list[N]) -> Fn:
        return self._bits(args, lambda a, b: a << min(b, 1024))

    def b_rshift(self, n: N, args: list[N]) -> Fn:
        return self._bits(args, lambda a, b: a >> b)

    def b_strtonum(self, n: N, args: list[N]) -> Fn:
        e = self.expr(args[0])
        tostr = self.rt.tostr

        def strtonum() -> float:
            v = e()
            if v.__class__ is float:
                return v
            t = tostr(v)
            m = _HEX_PREFIX.match(t)
            if m:
                return float(int(m.group(1), 16))
            m = _OCT_PREFIX.match(t)
            if m and not (len(t) > m.end() and t[m.end()] in "89."):
                return float(int(m.group(1), 8))
            return str_to_num(t)

        return strtonum

    def b_compl(self, n: N, args: list[N]) -> Fn:
        a = self.num(args[0])
        return lambda: float(((1 << 53) - 1) ^ (int(a()) & ((1 << 53) - 1)))

    # -- statements ------------------------------------------------------------------------

    def stmt(self, n: N) -> Fn:
        f = getattr(self, "s_" + n.k)(n)
        if n.k in ("block", "break", "continue", "next", "nextfile"):
            return f
        return self.guard(f, n)

    def s_block(self, n: N) -> Fn:
        ss = [self.stmt(s) for s in n.a]
        if not ss:
            return lambda: None
        if len(ss) == 1:
            return ss[0]
        if len(ss) == 2:
            a, b = ss

            def block2() -> Any:
                r = a()
                if r:
                    return r
                return b()

            return block2

        def block() -> Any:
            for s in ss:
                r = s()
                if r:
                    return r
            return None

        return block

    def s_expr(self, n: N) -> Fn:
        e = self.expr(n.a)

        def expr_stmt() -> None:
            e()

        return expr_stmt

    def output(self, n: N) -> Callable[[], Output] | None:
        if n.b is None:
            return None
        rt = self.rt
        kind = n.b
        dest = self.string(n.c)
        return lambda: rt.get_output(kind, dest())

    def s_print(self, n: N) -> Fn:
        rt = self.rt
        dest = self.output(n)
        args = [self.expr(a) for a in n.a]
        out_str = rt.out_str
        write = rt.stdout.write
        if not args:

            def text() -> str:
                return rt.record + rt.ors

        elif len(args) == 1:
            a = args[0]

            def text() -> str:
                v = a()
                return (v if isinstance(v, str) else out_str(v)) + rt.ors

        else:

            def text() -> str:
                vals = []
                for e in args:
                    v = e()
                    vals.append(v if isinstance(v, str) else out_str(v))
                return rt.ofs.join(vals) + rt.ors

        if dest is None:

            def print_stdout() -> None:
                write(text())

            return print_stdout

        def print_dest() -> None:
            t = text()
            dest().write(t)

        return print_dest

    def s_printf(self, n: N) -> Fn:
        rt = self.rt
        dest = self.output(n)
        fmt = self.string(n.a[0])
        rest = [self.expr(a) for a in n.a[1:]]
        write = rt.stdout.write
        sprintf = rt.sprintf
        if dest is None:
            return lambda: write(sprintf(fmt(), [e() for e in rest]))

        def printf_dest() -> None:
            t = sprintf(fmt(), [e() for e in rest])
            dest().write(t)

        return printf_dest

    def s_if(self, n: N) -> Fn:
        c = self.cond(n.a)
        then = self.stmt(n.b)
        if n.c is None:

            def if_() -> Any:
                if c():
                    return then()
                return None

            return if_
        other = self.stmt(n.c)
        return lambda: then() if c() else other()

    def s_while(self, n: N) -> Fn:
        c = self.cond(n.a)
        body = self.stmt(n.b)
        check = self.rt.ctx.check

        def while_() -> Any:
            k = 0
            while c():
                r = body()
                if r:
                    if r == BRK:
                        break
                    if r == RET:
                        return r
                k += 1
                if not k & 1023:
                    check()
            return None

        return while_

    def s_do(self, n: N) -> Fn:
        body = self.stmt(n.a)
        c = self.cond(n.b)
        check = self.rt.ctx.check

        def do_() -> Any:
            k = 0
            while True:
                r = body()
                if r:
                    if r == BRK:
                        break
                    if r == RET:
                        return r
                k += 1
                if not k & 1023:
                    check()
                if not c():
                    break
            return None

        return do_

    def s_for(self, n: N) -> Fn:
        init = self.expr(n.a) if n.a is not None else None
        c = self.cond(n.b) if n.b is not None else (lambda: True)
        incr = self.expr(n.c) if n.c is not None else None
        body = self.stmt(n.d)
        check = self.rt.ctx.check

        def for_() -> Any:
            if init is not None:
                init()
            k = 0
            while c():
                r = body()
                if r:
                    if r == BRK:
                        break
                    if r == RET:
                        return r
                if incr is not None:
                    incr()
                k += 1
                if not k & 1023:
                    check()
            return None

        return for_

    def s_forin(self, n: N) -> Fn:
        rt = self.rt
        _get, set_, _upd = self.lvalue(n.a)
        arrf = self.array_ref(n.b)
        body = self.stmt(n.c)
        check = rt.ctx.check
        procinfo = rt.g["PROCINFO"]

        def forin() -> Any:
            arr = arrf()
            keys: list[Any] = list(arr)
            order = procinfo.get("sorted_in")
            if order:
                keys = rt.sorted_keys(arr, keys, rt.tostr(order))
            for k, key in enumerate(keys, 1):
                set_(StrNum(key))
                r = body()
                if r:
                    if r == BRK:
                        break
                    if r == RET:
                        return r
                if not k & 1023:
                    check()
            return None

        return forin

    def s_break(self, n: N) -> Fn:
        return lambda: BRK

    def s_continue(self, n: N) -> Fn:
        return lambda: CONT

    def s_next(self, n: N) -> Fn:
        def next_() -> None:
            raise NextRecord()

        return next_

    def s_nextfile(self, n: N) -> Fn:
        def nextfile() -> None:
            raise NextFile()

        return nextfile

    def s_exit(self, n: N) -> Fn:
        rt = self.rt
        e = self.num(n.a) if n.a is not None else None

        def exit_() -> None:
            if e is not None:
                v = e()
                rt.exit_code = int(v) & 0xFF if v - v == 0 else 0
            raise AwkExit()

        return exit_

    def s_return(self, n: N) -> Fn:
        rt = self.rt
        if n.a is None:

            def return_none() -> int:
                rt.retval = UNINIT
                return RET

            return return_none
        a0 = ungroup(n.a)
        if a0.k == "var" and self.is_array(a0.a):
            raise self.error(f"attempt to use array `{a0.a}' in a scalar context", n, 2)
        e = self.expr(n.a)

        def return_() -> int:
            rt.retval = e()
            return RET

        return return_

    def s_delete(self, n: N) -> Fn:
        arrf = self.array_ref(n.a)
        if n.b is None:
            return lambda: arrf().clear()
        key = self.subscript(n.b)

        def delete() -> None:
            arr = arrf()
            arr.pop(key(), None)

        return delete

    # -- rules and the whole program ---------------------------------------------------------

    def compile_functions(self) -> None:
        for name, fd in self.prog.funcs.items():
            self.locals = {p: i for i, p in enumerate(fd.params)}
            self.local_arrays = {p for p in fd.params if "array" in self.usage.get((name, p), ())}
            assert fd.body is not None
            self.holders[name][0] = self.stmt(fd.body)
        self.locals = {}
        self.local_arrays = set()

    def compile_rule(self, pat: N | None, pat2: N | None, is_range: bool, act: N | None) -> Fn:
        rt = self.rt
        if act is None:
            write = rt.stdout.write

            def action() -> Any:
                write(rt.record + rt.ors)

        else:
            action = self.stmt(act)
        if pat is None:
            return action
        c1 = self.cond(pat)
        w = self.where(pat)
        if not is_range:

            def rule() -> None:
                try:
                    ok = c1()
                except AwkFatal as e:
                    e.where = w if e.where is None else e.where
                    raise
                if ok:
                    action()

            return rule
        assert pat2 is not None
        c2 = self.cond(pat2)
        state = [False]

        def range_rule() -> None:
            try:
                if not state[0]:
                    if not c1():
                        return
                    state[0] = True
                if c2():
                    state[0] = False
            except AwkFatal as e:
                e.where = w if e.where is None else e.where
                raise
            action()

        return range_rule

    def compile(self) -> tuple[list[Fn], list[Fn], list[Fn]]:
        self.compile_functions()
        begins = [self.stmt(b) for b in self.prog.begins]
        rules = [self.compile_rule(*r) for r in self.prog.rules]
        ends = [self.stmt(e) for e in self.prog.ends]
        return begins, rules, ends


# --------------------------------------------------------------------------
# sorting helpers (asort, PROCINFO["sorted_in"])


def _num_key(v: Any) -> tuple[int, float, str]:
    if v.__class__ is float:
        return (0, v, "")
    if v.__class__ is not str and numish(v):
        return (0, str_to_num(v), str(v))
    return (1, 0.0, str(v))


def _sort_values(rt: Runtime, items: list[Any], mode: str, by_index: bool) -> list[Any]:
    desc = mode.endswith("desc")
    if "num" in mode:
        items = sorted(items, key=lambda v: (str_to_num(v), rt.tostr(v)), reverse=desc)
    elif "str" in mode or by_index:
        items = sorted(items, key=rt.tostr, reverse=desc)
    else:
        items = sorted(items, key=_num_key, reverse=desc)
    return items


def _sorted_keys(rt: Runtime, arr: dict[str, Any], keys: list[Any], order: str) -> list[Any]:
    desc = order.endswith("_desc")
    if order.startswith("@ind_num"):
        return sorted(keys, key=lambda k: (str_to_num(k), k), reverse=desc)
    if order.startswith("@ind_str"):
        return sorted(keys, key=str, reverse=desc)
    if order.startswith("@val_num"):
        return sorted(keys, key=lambda k: (_tonum_safe(arr.get(k)), k), reverse=desc)
    if order.startswith("@val_str"):
        return sorted(keys, key=lambda k: (_tostr_safe(rt, arr.get(k)), k), reverse=desc)
    if order.startswith("@val_type"):
        return sorted(keys, key=lambda k: (_num_key(arr.get(k, UNINIT)), k), reverse=desc)
    return keys


def _tonum_safe(v: Any) -> float:
    if v is None or v.__class__ is dict:
        return 0.0
    return _tonum(v)


def _tostr_safe(rt: Runtime, v: Any) -> str:
    if v is None or v.__class__ is dict:
        return ""
    return rt.tostr(v)


Runtime.sort_values = _sort_values  # type: ignore[attr-defined]
Runtime.sorted_keys = _sorted_keys  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# running a program


class Interpreter:
    """A parsed and compiled awk program, ready to run over its input."""

    def __init__(self, ctx: Any, sources: list[Source]) -> None:
        self.ctx = ctx
        self.sources = sources
        self.rt = Runtime(ctx)
        self.prog = parse(sources)
        self.compiler = Compiler(self.prog, self.rt, sources)
        self.compiler.analyze()
        self.rt.func_names = set(self.prog.funcs)
        self.compiled = self.compiler.compile()

    def set_argv(self, operands: list[str]) -> None:
        g = self.rt.g
        argv = g["ARGV"]
        argv["0"] = StrNum(self.ctx.name)
        for i, op in enumerate(operands, 1):
            argv[str(i)] = StrNum(op)
        g["ARGC"] = float(len(operands) + 1)

    def main_loop(self, rules: list[Fn]) -> None:
        rt = self.rt
        check = self.ctx.check
        nxt = rt.next_main_record
        while True:
            rec = nxt()
            if rec is None:
                return
            rt.record = StrNum(rec)
            rt.fields = None
            rt.rec_splitter = rt.splitter
            check()
            try:
                for r in rules:
                    r()
            except NextRecord:
                pass
            except NextFile:
                rt.close_main()

    def run(self) -> int:
        rt = self.rt
        begins, rules, ends = self.compiled
        try:
            try:
                rt.in_rule = "BEGIN"
                for b in begins:
                    b()
                if rules or ends:
                    rt.in_rule = ""
                    self.main_loop(rules)
            except AwkExit:
                pass
            except (NextRecord, NextFile):
                raise AwkFatal("`next' cannot be called from a BEGIN rule") from None
            rt.in_rule = "END"
            try:
                for e in ends:
                    e()
            except AwkExit:
                pass
            except (NextRecord, NextFile):
                raise AwkFatal("`next' cannot be called from an END rule") from None
        finally:
            rt.close_all()
        return rt.exit_code

    def fatal_lines(self, e: AwkFatal) -> list[str]:
        rt = self.rt
        if e.where == "":
            lines = [f"{rt.name}: fatal: {e.msg}"]
        else:
            where = e.where or self.sources[0].where(1)
            ctxinfo = ""
            fn = rt.g.get("FILENAME")
            if e.ctxinfo and (rt.fnr > 0 or (isinstance(fn, str) and fn)):
                ctxinfo = f"(FILENAME={rt.tostr(fn) if fn is not None else ''} FNR={rt.fnr}) "
            lines = [f"{rt.name}: {where}: {ctxinfo}fatal: {e.msg}"]
        if e.extra:
            lines.append(e.extra)
        return lines


def run_awk(
    ctx: Any,
    sources: list[Source],
    assigns: list[str],
    operands: list[str],
    fs: str | None,
) -> int:
    """Parse, compile and run an awk program; report errors like gawk.
    Returns the exit status."""
    name = ctx.name
    if sys.getrecursionlimit() < 60000:
        sys.setrecursionlimit(60000)

    def emit(lines: list[str]) -> None:
        ctx.stderr.write(("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))

    try:
        interp = Interpreter(ctx, sources)
    except AwkSyntaxError as e:
        emit([f"{name}: {x}" for x in e.lines()])
        return e.status
    except AwkFatal as e:
        where = f"{e.where}: " if e.where else ""
        emit([f"{name}: {where}fatal: {e.msg}"])
        return 2
    except RecursionError:
        emit([f"{name}: {sources[0].where(1)}: program too deeply nested"])
        return 1
    except Exception as e:  # a bug here must not show a traceback to the guest
        emit([f"{name}: fatal: internal error: {type(e).__name__}: {e}"])
        return 2
    rt = interp.rt
    try:
        interp.set_argv(operands)
        if fs is not None:
            rt.set_special("FS", fs)
        for a in assigns:
            m = _ASSIGN_ARG.match(a)
            if m is None:
                bad = a.split("=", 1)[0]
                emit([f"{name}: fatal: `{bad}' is not a legal variable name"])
                return 2
            rt.assign_var(m.group(1), m.group(2))
    except AwkFatal as e:
        emit([f"{name}: fatal: {e.msg}"])
        return 2
    try:
        return interp.run()
    except AwkFatal as e:
        with contextlib.suppress(Exception):
            rt.stdout.flush()
        emit(interp.fatal_lines(e))
        return 2
    except RecursionError:
        with contextlib.suppress(Exception):
            rt.stdout.flush()
        emit(interp.fatal_lines(AwkFatal("expression or call nesting too deep", None)))
        return 2
    except BrokenPipeError:
        raise
    except MemoryError:
        emit(interp.fatal_lines(AwkFatal("out of memory", None)))
        return 2
    except Exception as e:  # a bug here must not show a traceback to the guest
        with contextlib.suppress(Exception):
            rt.stdout.flush()
        emit(interp.fatal_lines(AwkFatal(f"internal error: {type(e).__name__}: {e}", None)))
        return 2
