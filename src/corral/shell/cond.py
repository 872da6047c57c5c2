"""``[[ ... ]]`` and the ``test`` / ``[`` built-in."""

from __future__ import annotations

import operator
import os
import re
import stat as statmod
from collections.abc import Callable
from pathlib import Path

from .. import saferegex
from . import pattern as P
from .arith import ArithError


class CondError(Exception):
    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


_UNARY_FILE = set("abcdefghkprsuwxOGLSN")
_INT_OPS: dict[str, Callable[[int, int], bool]] = {
    "-eq": operator.eq,
    "-ne": operator.ne,
    "-lt": operator.lt,
    "-le": operator.le,
    "-gt": operator.gt,
    "-ge": operator.ge,
}
_BINARY_INT = frozenset(_INT_OPS)


def file_test(op: str, host: Path | None) -> bool:
    if host is None:
        return False
    try:
        st = os.stat(host, follow_symlinks=op not in ("-h", "-L"))
    except OSError:
        return False
    mode = st.st_mode
    return {
        "-e": True,
        "-a": True,
        "-f": statmod.S_ISREG(mode),
        "-d": statmod.S_ISDIR(mode),
        "-h": statmod.S_ISLNK(mode),
        "-L": statmod.S_ISLNK(mode),
        "-s": st.st_size > 0,
        "-r": bool(mode & 0o444),
        "-w": bool(mode & 0o222),
        "-x": bool(mode & 0o111),
        "-p": statmod.S_ISFIFO(mode),
        "-S": statmod.S_ISSOCK(mode),
        "-b": statmod.S_ISBLK(mode),
        "-c": statmod.S_ISCHR(mode),
        "-u": bool(mode & statmod.S_ISUID),
        "-g": bool(mode & statmod.S_ISGID),
        "-k": bool(mode & statmod.S_ISVTX),
        "-O": True,
        "-G": True,
        "-N": st.st_mtime > st.st_atime,
    }.get(op, False)


_INTEGER = re.compile(r"[+-]?[0-9]+")


def _int(s: str) -> int:
    t = s.strip()
    if t.isdigit() and t.isascii():  # the common case, without the regex
        return int(t)
    if not _INTEGER.fullmatch(t):
        raise CondError(f"{s}: integer expression expected")
    return int(t)


def compare(op: str, a: str, b: str, resolve: Callable[[str], Path | None]) -> bool:
    if op in ("=", "=="):
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    int_op = _INT_OPS.get(op)
    if int_op is not None:
        return int_op(_int(a), _int(b))
    if op in ("-nt", "-ot", "-ef"):
        sa, sb = _stat(resolve(a)), _stat(resolve(b))
        if op == "-ef":
            return bool(sa and sb and (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev))
        if op == "-nt":
            return bool(sa and (not sb or sa.st_mtime > sb.st_mtime))
        return bool(sb and (not sa or sa.st_mtime < sb.st_mtime))
    raise CondError(f"{op}: binary operator expected")


def _stat(path: Path | None) -> os.stat_result | None:
    """The file's status, or None when it does not exist (or cannot be read)."""
    try:
        return os.stat(path) if path else None
    except OSError:
        return None


def unary(
    op: str, arg: str, resolve: Callable[[str], Path | None], isset: Callable[[str], bool]
) -> bool:
    if op == "-z":
        return arg == ""
    if op == "-n":
        return arg != ""
    if op == "-v":
        return isset(arg)
    if op == "-t":
        return False
    if op == "-o":
        return isset("-o " + arg)
    if len(op) == 2 and op[0] == "-" and op[1] in _UNARY_FILE:
        if op in ("-h", "-L"):
            return file_test(op, resolve("\x00nofollow" + arg) if arg else None)
        return file_test(op, resolve(arg) if arg else None)
    raise CondError(f"{op}: unary operator expected")


def is_unary(op: str) -> bool:
    return op in ("-z", "-n", "-v", "-t") or (
        len(op) == 2 and op[0] == "-" and op[1] in _UNARY_FILE
    )


def is_binary(op: str) -> bool:
    return op in ("=", "==", "!=", "<", ">", "-nt", "-ot", "-ef") or op in _BINARY_INT


def test_builtin(
    args: list[str], resolve: Callable[[str], Path | None], isset: Callable[[str], bool]
) -> bool:
    """POSIX ``test`` with the common extensions (``-a``, ``-o``, parentheses)."""
    if len(args) == 3:  # `[ $i -lt 10 ]`, as parse() takes it, without the parser
        int_op = _INT_OPS.get(args[1])
        if int_op is not None:
            return int_op(_int(args[0]), _int(args[2]))
    return _TestParser(args, resolve, isset).parse()


class _TestParser:
    def __init__(self, args: list[str], resolve, isset) -> None:
        self.args = args
        self.pos = 0
        self.resolve = resolve
        self.isset = isset

    def parse(self) -> bool:
        n = len(self.args)
        if n == 0:
            return False
        if n == 1:
            return self.args[0] != ""
        if n == 2:
            if self.args[0] == "!":
                return self.args[1] == ""
            if is_unary(self.args[0]):
                return unary(self.args[0], self.args[1], self.resolve, self.isset)
            raise CondError(f"{self.args[0]}: unary operator expected")
        if n == 3 and is_binary(self.args[1]):
            return compare(self.args[1], self.args[0], self.args[2], self.resolve)
        if n == 3 and self.args[0] == "!":
            return not _TestParser(self.args[1:], self.resolve, self.isset).parse()
        if n == 3 and self.args[0] == "(" and self.args[2] == ")":
            return self.args[1] != ""
        v = self.or_()
        if self.pos != n:
            raise CondError("too many arguments")
        return v

    def peek(self) -> str | None:
        return self.args[self.pos] if self.pos < len(self.args) else None

    def or_(self) -> bool:
        v = self.and_()
        while self.peek() == "-o":
            self.pos += 1
            r = self.and_()
            v = v or r
        return v

    def and_(self) -> bool:
        v = self.not_()
        while self.peek() == "-a":
            self.pos += 1
            r = self.not_()
            v = v and r
        return v

    def not_(self) -> bool:
        if self.peek() == "!":
            self.pos += 1
            return not self.not_()
        return self.primary()

    def primary(self) -> bool:
        a = self.peek()
        if a is None:
            raise CondError("argument expected")
        if a == "(":
            self.pos += 1
            v = self.or_()
            if self.peek() != ")":
                raise CondError("`)' expected")
            self.pos += 1
            return v
        if is_unary(a) and self.pos + 1 < len(self.args):
            self.pos += 2
            return unary(a, self.args[self.pos - 1], self.resolve, self.isset)
        if self.pos + 2 < len(self.args) + 0 and is_binary(self.args[self.pos + 1]):
            op = self.args[self.pos + 1]
            b = self.args[self.pos + 2]
            self.pos += 3
            return compare(op, a, b, self.resolve)
        self.pos += 1
        return a != ""


class CondEval:
    """``[[ ]]``: words arrive raw; operands are expanded without splitting or
    globbing, the right side of ``==``/``!=`` as a pattern, of ``=~`` as a regex."""

    def __init__(self, words: list[str], sh) -> None:
        self.w = words
        self.pos = 0
        self.sh = sh

    def run(self) -> bool:
        if not self.w:
            raise CondError("syntax error in conditional expression")
        v = self.or_()
        if self.pos != len(self.w):
            raise CondError(f"syntax error in conditional expression near `{self.w[self.pos]}'")
        return v

    def peek(self) -> str | None:
        return self.w[self.pos] if self.pos < len(self.w) else None

    def or_(self) -> bool:
        v = self.and_()
        while self.peek() == "||":
            self.pos += 1
            if v:
                self._skip(self.and_)
            else:
                v = self.and_()
        return v

    def and_(self) -> bool:
        v = self.not_()
        while self.peek() == "&&":
            self.pos += 1
            if not v:
                self._skip(self.not_)
            else:
                v = self.not_()
        return v

    def _skip(self, fn) -> None:
        saved = self.sh.quiet_expansion
        self.sh.quiet_expansion = True
        try:
            fn()
        except (CondError, ArithError):
            pass
        finally:
            self.sh.quiet_expansion = saved

    def not_(self) -> bool:
        if self.peek() == "!":
            self.pos += 1
            return not self.not_()
        return self.primary()

    def primary(self) -> bool:
        a = self.peek()
        if a is None:
            raise CondError("unexpected argument to conditional expression")
        if a == "(":
            self.pos += 1
            v = self.or_()
            if self.peek() != ")":
                raise CondError("expected `)'")
            self.pos += 1
            return v
        ex = self.sh.expander
        nxt = self.w[self.pos + 1] if self.pos + 1 < len(self.w) else None
        if a == "-o" and nxt is not None:
            self.pos += 2
            return self.sh.is_set("-o " + ex.word(nxt))
        if is_unary(a) and nxt is not None and nxt not in ("&&", "||", ")"):
            after = self.w[self.pos + 2] if self.pos + 2 < len(self.w) else None
            if after is None or (not is_binary(after) and after != "=~"):
                self.pos += 2
                return unary(a, ex.word(nxt), self.sh.resolve_or_none, self.sh.is_set)
        if nxt is not None and (is_binary(nxt) or nxt == "=~"):
            if self.pos + 2 >= len(self.w):
                raise CondError(f"unexpected argument `{nxt}' to conditional binary operator")
            rhs = self.w[self.pos + 2]
            self.pos += 3
            left = ex.word(a)
            if nxt in ("==", "=", "!="):
                hit = P.match(ex.pattern(rhs), left, "shopt:nocasematch" in self.sh.state.options)
                return hit if nxt != "!=" else not hit
            if nxt == "=~":
                return self._regex(left, rhs)
            if nxt in _BINARY_INT:  # [[ ]] evaluates these operands arithmetically
                right = ex.word(rhs)
                return compare(
                    nxt, str(ex.arith(left)), str(ex.arith(right)), self.sh.resolve_or_none
                )
            return compare(nxt, left, ex.word(rhs), self.sh.resolve_or_none)
        self.pos += 1
        return ex.word(a) != ""

    def _regex(self, left: str, raw: str) -> bool:
        # quoted parts of the regex match literally
        segs = self.sh.expander.segments(raw, tilde=False)
        rx = "".join(re.escape(t) if q else t for t, q, _ in segs)
        rx = _posix_classes(rx)
        try:
            m = saferegex.search(rx, left)
        except re.error as e:
            raise CondError(f"invalid regular expression `{rx}': {e}") from None
        if m:
            self.sh.set_array("BASH_REMATCH", [m.group(0), *[g or "" for g in m.groups()]])
            return True
        self.sh.set_array("BASH_REMATCH", [])
        return False


def _posix_classes(rx: str) -> str:
    table = {
        "alpha": "a-zA-Z",
        "digit": "0-9",
        "alnum": "a-zA-Z0-9",
        "upper": "A-Z",
        "lower": "a-z",
        "space": r"\s",
        "punct": r"!-/:-@\[-`{-~",
        "xdigit": "0-9A-Fa-f",
        "blank": r" \t",
        "word": r"\w",
    }
    return re.sub(r"\[:([a-z]+):\]", lambda m: table.get(m.group(1), m.group(0)), rx)
