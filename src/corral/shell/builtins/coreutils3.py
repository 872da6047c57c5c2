"""Still more GNU coreutils: expr, od, fold, expand, unexpand, shuf, truncate,
base32, factor, strings, numfmt, tsort, link, unlink, tty, arch, cksum, sum and install.

Same conventions as the other built-ins: the C locale (bytes in, bytes out), files only
through ``ctx.open_read`` / ``ctx.open_fd`` / ``ctx.open_write`` (the workspace walls and
the disk budget), input streamed in chunks with ``ctx.check()`` in every loop, so a
hostile input costs the call's budget, never the host.
"""

from __future__ import annotations

import base64
import binascii
import errno
import math
import os
import random
import re
import stat as statmod
import struct
from collections.abc import Callable, Iterator
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import IO

from ... import saferegex
from .. import hostfs as hfs
from ..command import CommandContext, CommandError, command
from .grep_sed import RegexError, posix_to_python
from .text import _chunks, _close, _getopt, _lines, _open, _parse_size, _usage_error

_CHUNK = 65536


def _inputs(ctx: CommandContext, names: list[str]) -> Iterator[tuple[str, IO[bytes] | None]]:
    """Each operand opened for reading (``-`` and no operand: stdin); a file that cannot be
    opened is reported as ``NAME: reason`` and yields ``None``."""
    for name in names or ["-"]:
        f, why = _open(ctx, name)
        if f is None:
            ctx.err(f"{name}: {why}")
        yield name, f
        if f is not None:
            _close(ctx, f)


# --------------------------------------------------------------------------
# expr
# --------------------------------------------------------------------------

_INT = re.compile(r"-?\d+")


class _ExprSyntax(Exception):
    pass


class _Expr:
    """GNU expr's recursive descent over the argument list."""

    def __init__(self, ctx: CommandContext, args: list[str]) -> None:
        self.ctx = ctx
        self.args = args
        self.i = 0

    def _peek(self) -> str | None:
        return self.args[self.i] if self.i < len(self.args) else None

    def _take(self, *ops: str) -> str | None:
        tok = self._peek()
        if tok is not None and tok in ops:
            self.i += 1
            return tok
        return None

    def _operand(self, after: str) -> str:
        if self.i >= len(self.args):
            raise _ExprSyntax(f"syntax error: missing argument after '{after}'")
        tok = self.args[self.i]
        self.i += 1
        return tok

    def parse(self) -> str | int:
        v = self._or()
        if self.i < len(self.args):
            raise _ExprSyntax(f"syntax error: unexpected argument '{self.args[self.i]}'")
        return v

    @staticmethod
    def _null(v: str | int) -> bool:
        if isinstance(v, int):
            return v == 0
        return v == "" or (bool(_INT.fullmatch(v)) and int(v) == 0)

    def _or(self) -> str | int:
        v = self._and()
        while self._take("|"):
            w = self._and()
            v = (w if not self._null(w) else 0) if self._null(v) else v
        return v

    def _and(self) -> str | int:
        v = self._cmp()
        while self._take("&"):
            w = self._cmp()
            v = 0 if self._null(v) or self._null(w) else v
        return v

    def _cmp(self) -> str | int:
        v = self._add()
        while True:
            op = self._take("<", "<=", "=", "==", "!=", ">=", ">")
            if op is None:
                return v
            w = self._add()
            a, b = str(v), str(w)
            if _INT.fullmatch(a) and _INT.fullmatch(b):
                c = (int(a) > int(b)) - (int(a) < int(b))
            else:
                ab, bb = a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape")
                c = (ab > bb) - (ab < bb)
            v = int({"<": c < 0, "<=": c <= 0, "=": c == 0, "==": c == 0, "!=": c != 0,
                     ">=": c >= 0, ">": c > 0}[op])  # fmt: skip

    def _num(self, v: str | int) -> int:
        if isinstance(v, int):
            return v
        if not _INT.fullmatch(v):
            raise CommandError("non-integer argument", 2)
        return int(v)

    def _add(self) -> str | int:
        v = self._mul()
        while True:
            op = self._take("+", "-")
            if op is None:
                return v
            w = self._mul()
            a, b = self._num(v), self._num(w)
            v = a + b if op == "+" else a - b

    def _mul(self) -> str | int:
        v = self._match()
        while True:
            op = self._take("*", "/", "%")
            if op is None:
                return v
            w = self._match()
            a, b = self._num(v), self._num(w)
            if op == "*":
                if a and b and a.bit_length() + b.bit_length() > 1_000_000:
                    raise CommandError("result too large", 2)
                v = a * b
                continue
            if b == 0:
                raise CommandError("division by zero", 2)
            q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # C truncates
            v = q if op == "/" else a - b * q

    def _match(self) -> str | int:
        v = self._unary()
        while self._take(":"):
            w = self._unary()
            v = self._regex(str(v), str(w))
        return v

    def _regex(self, s: str, pattern: str) -> str | int:
        try:
            rx = saferegex.compile(posix_to_python(pattern, False), re.DOTALL)
        except (RegexError, re.error) as e:
            raise CommandError(str(e), 2) from None
        m = rx.match(s)
        if rx.groups:
            return (m.group(1) or "") if m else ""
        return len(m.group(0)) if m else 0

    def _unary(self) -> str | int:
        tok = self._peek()
        if tok is None:
            prev = self.args[self.i - 1] if self.i else ""
            raise _ExprSyntax(f"syntax error: missing argument after '{prev}'")
        self.i += 1
        if tok == "+":
            return self._operand(tok)
        if tok == "(":
            v = self._or()
            if self._take(")") is None:
                nxt = self._peek()
                if nxt is None:
                    raise _ExprSyntax("syntax error: expecting ')' after '" + self.args[-1] + "'")
                raise _ExprSyntax(f"syntax error: expecting ')' instead of '{nxt}'")
            return v
        if tok == "length":
            return len(str(self._unary()))
        if tok == "match":
            s = str(self._unary())
            return self._regex(s, str(self._unary()))
        if tok == "index":
            s, chars = str(self._unary()), str(self._unary())
            found = [i for i, c in enumerate(s, 1) if c in chars]
            return found[0] if found else 0
        if tok == "substr":
            s, pos, n = str(self._unary()), str(self._unary()), str(self._unary())
            if not (_INT.fullmatch(pos) and _INT.fullmatch(n)) or int(pos) < 1 or int(n) < 1:
                return ""
            return s[int(pos) - 1 : int(pos) - 1 + int(n)]
        if tok == ")":
            raise _ExprSyntax("syntax error: unexpected ')'")
        return tok


@command("expr")
def expr_cmd(ctx: CommandContext) -> int:
    """Usage: expr EXPRESSION
Print the value of EXPRESSION: ARG1 | ARG2, ARG1 & ARG2, comparisons (< <= = != >= >),
+ - * / %, STRING : REGEXP (anchored BRE; \\(..\\) gives the match), match, substr,
index, length, + TOKEN, ( EXPRESSION ). Exit status 0 if the value is neither null nor
0, 1 if it is, 2 for an invalid expression, 3 for another error."""
    args = ctx.args
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        raise _usage_error(ctx, "missing operand", 2)
    try:
        v = _Expr(ctx, args).parse()
    except _ExprSyntax as e:
        raise CommandError(str(e), 2) from None
    except RecursionError:
        raise CommandError("expression too deeply nested", 2) from None
    ctx.out(f"{v}\n")
    return 1 if _Expr._null(v) else 0


# --------------------------------------------------------------------------
# od
# --------------------------------------------------------------------------

_NAMED = [
    "nul", "soh", "stx", "etx", "eot", "enq", "ack", "bel", "bs", "ht", "nl", "vt", "ff", "cr",
    "so", "si", "dle", "dc1", "dc2", "dc3", "dc4", "nak", "syn", "etb", "can", "em", "sub",
    "esc", "fs", "gs", "rs", "us", "sp",
]  # fmt: skip
_C_ESC = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
_INT_WIDTH = {  # field widths of GNU od: the longest value of the type
    "d": {1: 4, 2: 6, 4: 11, 8: 20},
    "u": {1: 3, 2: 5, 4: 10, 8: 20},
    "o": {1: 3, 2: 6, 4: 11, 8: 22},
    "x": {1: 2, 2: 4, 4: 8, 8: 16},
}
_FLOAT_WIDTH = {4: 15, 8: 24}
_INT_SIZES = {"C": 1, "S": 2, "I": 4, "L": 8}
_FLOAT_SIZES = {"F": 4, "D": 8}


class _OdType:
    def __init__(self, kind: str, size: int, trailer: bool) -> None:
        self.kind = kind
        self.size = size
        self.trailer = trailer
        if kind in "ac":
            self.width = 3
        elif kind == "f":
            self.width = _FLOAT_WIDTH[size]
        else:
            self.width = _INT_WIDTH[kind][size]
        self.pad = 0  # set once all types are known

    def fmt(self, chunk: bytes) -> str:
        k, size = self.kind, self.size
        if k == "a":
            b = chunk[0] & 0x7F
            return "del" if b == 0x7F else _NAMED[b] if b <= 32 else chr(b)
        if k == "c":
            b = chunk[0]
            if b in _C_ESC:
                return _C_ESC[b]
            return chr(b) if 32 <= b < 127 else f"{b:03o}"
        if k == "f":
            x = struct.unpack("<f" if size == 4 else "<d", chunk)[0]
            return _shortest(x, size)
        n = int.from_bytes(chunk, "little", signed=k == "d")
        return f"{n:o}" if k == "o" else f"{n:x}" if k == "x" else str(n)

    def zero_fill(self) -> bool:
        return self.kind in "ox"


def _shortest(x: float, size: int) -> str:
    """The shortest ``%g`` text that reads back as ``x`` (GNU's ftoastr)."""
    if math.isnan(x):
        return "-nan" if math.copysign(1, x) < 0 else "nan"
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    for p in range(1, 18):
        s = f"{x:.{p}g}"
        back = float(s)
        if size == 4:
            back = struct.unpack("<f", struct.pack("<f", back))[0]
        if back == x:
            return s
    return repr(x)


def _od_types(ctx: CommandContext, spec: str) -> list[_OdType]:
    out: list[_OdType] = []
    i = 0
    while i < len(spec):
        k = spec[i]
        i += 1
        if k not in "acdfoux":
            raise _usage_error(ctx, f"invalid character '{k}' in type string '{spec}'")
        size = 1
        if k in "doux":
            size = 4
            if i < len(spec) and spec[i] in _INT_SIZES:
                size = _INT_SIZES[spec[i]]
                i += 1
            else:
                m = re.match(r"\d+", spec[i:])
                if m:
                    size = int(m.group(0))
                    i += len(m.group(0))
                    if size not in (1, 2, 4, 8):
                        raise _usage_error(ctx, f"invalid type string '{spec}';\n"
                                           f"this system doesn't provide a {size}-byte "
                                           "integral type")  # fmt: skip
        elif k == "f":
            size = 8
            if i < len(spec) and spec[i] in _FLOAT_SIZES:
                size = _FLOAT_SIZES[spec[i]]
                i += 1
            else:
                m = re.match(r"\d+", spec[i:])
                if m:
                    size = int(m.group(0))
                    i += len(m.group(0))
                    if size not in (4, 8):
                        raise _usage_error(ctx, f"invalid type string '{spec}';\n"
                                           f"this system doesn't provide a {size}-byte "
                                           "floating point type")  # fmt: skip
        trailer = i < len(spec) and spec[i] == "z"
        if trailer:
            i += 1
        out.append(_OdType(k, size, trailer))
    return out


def _od_number(ctx: CommandContext, what: str, text: str) -> int:
    t = text.strip()
    mult = 1
    for suf, m in (("KB", 1000), ("kB", 1000), ("MB", 1000**2), ("GB", 1000**3),
                   ("K", 1024), ("k", 1024), ("M", 1024**2), ("G", 1024**3), ("b", 512)):
        if t.endswith(suf) and not (suf == "b" and t.lower().startswith("0x")):
            t, mult = t[: -len(suf)], m
            break  # fmt: skip
    try:
        if t.lower().startswith("0x"):
            n = int(t[2:], 16)
        elif t.startswith("0") and len(t) > 1:
            n = int(t[1:], 8)
        else:
            n = int(t)
    except ValueError:
        raise _usage_error(ctx, f"invalid {what} argument '{text}'") from None
    if n < 0:
        raise _usage_error(ctx, f"invalid {what} argument '{text}'")
    return n * mult


@command("od")
def od_cmd(ctx: CommandContext) -> int:
    """Usage: od [OPTION]... [FILE]...
Write an unambiguous representation, octal bytes by default, of FILEs (or standard
input) to standard output.
  -A, --address-radix=RADIX   d, o (default), x or n (none)
  -j, --skip-bytes=BYTES      skip BYTES input bytes first
  -N, --read-bytes=BYTES      format at most BYTES input bytes
  -t, --format=TYPE           a, c, d[SIZE], f[SIZE], o[SIZE], u[SIZE], x[SIZE]
                              (SIZE 1 2 4 8 or C S I L; F D for f); z adds a trailer
  -v, --output-duplicates     do not use * to mark line suppression
  -w, --width[=BYTES]         BYTES bytes per line (32 if not given; 16 by default)
  -a -b -c -d -f -i -l -o -s -x   same as -t a, o1, c, u2, fF, dI, dL, o2, d2, x2"""
    opts, ops = _getopt(
        ctx, ctx.args, "A:j:N:t:vw::abcdfilosxS:",
        {"address-radix=": "A", "skip-bytes=": "j", "read-bytes=": "N", "format=": "t",
         "output-duplicates": "v", "width?": "w", "strings?": "S", "endian=": "E",
         "traditional": "T"},
    )  # fmt: skip
    radix = "o"
    skip = 0
    limit: int | None = None
    types: list[_OdType] = []
    dup = False
    width = 16
    trad = {"a": "a", "b": "o1", "c": "c", "d": "u2", "f": "fF", "i": "dI", "l": "dL",
            "o": "o2", "s": "d2", "x": "x2"}  # fmt: skip
    for k, v in opts:
        if k == "A":
            if v not in ("d", "o", "x", "n"):
                raise _usage_error(ctx, f"invalid output address radix '{v}'; it must be one "
                                   "character from [doxn]")  # fmt: skip
            radix = v
        elif k == "j":
            skip = _od_number(ctx, "skip-bytes", v or "")
        elif k == "N":
            limit = _od_number(ctx, "read-bytes", v or "")
        elif k == "t":
            types += _od_types(ctx, v or "")
        elif k == "v":
            dup = True
        elif k == "w":
            width = 32 if v is None else _od_number(ctx, "width", v)
            if width == 0:
                raise _usage_error(ctx, f"invalid width argument '{v}'")
        elif k in ("S", "E", "T"):
            raise CommandError(f"option --{ {'S': 'strings', 'E': 'endian', 'T': 'traditional'}[k]}"
                               " is not supported by the corral shell", 1)  # fmt: skip
        else:
            types += _od_types(ctx, trad[k])
    if not types:
        types = _od_types(ctx, "o2")
    lcm = 1
    for t in types:
        lcm = lcm * t.size // math.gcd(lcm, t.size)
    if width % lcm:
        ctx.err(f"warning: invalid width {width}; using {lcm * 2} instead")
        width = lcm * 2
    block = max((t.width + 1) * (width // t.size) for t in types)
    for t in types:
        t.pad = block - t.width * (width // t.size)
    addr_fmt = {"o": "{:07o}", "d": "{:07d}", "x": "{:06x}", "n": ""}[radix]
    addr_w = 0 if radix == "n" else len(addr_fmt.format(0))
    status = 0

    def data() -> Iterator[bytes]:
        nonlocal status, skip
        left = limit
        for name, f in _inputs(ctx, ops):
            if f is None:
                status = 1
                continue
            for chunk in _chunks(ctx, f):
                if skip:
                    cut = min(skip, len(chunk))
                    skip -= cut
                    chunk = chunk[cut:]
                if left is not None:
                    chunk = chunk[:left]
                    left -= len(chunk)
                if chunk:
                    yield chunk
                if left == 0:
                    return
            del name

    def line(offset: int, buf: bytes) -> None:
        out: list[str] = []
        for n, t in enumerate(types):
            out.append(addr_fmt.format(offset) if n == 0 else " " * addr_w)
            full = width // t.size
            fields = (len(buf) + t.size - 1) // t.size
            padded = buf + b"\0" * (fields * t.size - len(buf))
            remaining = t.pad
            used = 0
            for i in range(full, full - fields, -1):
                nxt = t.pad * (i - 1) // full
                w = remaining - nxt + t.width
                cell = t.fmt(padded[used : used + t.size])
                if t.zero_fill():
                    cell = cell.rjust(t.width, "0")
                out.append(cell.rjust(w))
                used += t.size
                remaining = nxt
            if t.trailer:
                blank = block - sum(len(x) for x in out[-fields:]) if fields else block
                shown = "".join(chr(b) if 32 <= b < 127 else "." for b in buf)
                out.append(" " * blank + "  >" + shown + "<")
            out.append("\n")
        ctx.out("".join(out))

    offset = skip
    pending = b""
    prev: bytes | None = None
    starred = False
    for chunk in data():
        pending += chunk
        pos = 0
        while len(pending) - pos >= width:
            buf = pending[pos : pos + width]
            pos += width
            if not dup and buf == prev:
                if not starred:
                    ctx.out("*\n")
                    starred = True
            else:
                line(offset, buf)
                starred = False
            prev = buf
            offset += width
        pending = pending[pos:]
    if skip:  # the input ended before the bytes to skip
        ctx.err("cannot skip past end of combined input")
        return 1
    if pending:
        line(offset, pending)
        offset += len(pending)
    if addr_fmt and (offset or status == 0):
        ctx.out(addr_fmt.format(offset) + "\n")
    return status


# --------------------------------------------------------------------------
# fold, expand, unexpand
# --------------------------------------------------------------------------


@command("fold")
def fold_cmd(ctx: CommandContext) -> int:
    """Usage: fold [OPTION]... [FILE]...
Wrap input lines in each FILE (standard input by default) to fit a width.
  -b, --bytes         count bytes rather than columns
  -s, --spaces        break at spaces
  -w, --width=WIDTH   use WIDTH columns instead of 80"""
    opts, ops = _getopt(ctx, ctx.args, "bsw:0123456789",
                        {"bytes": "b", "spaces": "s", "width=": "w"})  # fmt: skip
    by_bytes = spaces = False
    width = 80
    digits = ""
    for k, v in opts:
        if k == "b":
            by_bytes = True
        elif k == "s":
            spaces = True
        elif k == "w":
            if not (v or "").isdigit() or int(v or "0") < 1:
                raise _usage_error(ctx, f"invalid number of columns: '{v}'")
            width = int(v or "0")
        else:
            digits += k
            width = int(digits)
    status = 0
    for _name, f in _inputs(ctx, ops):
        if f is None:
            status = 1
            continue
        for raw in _lines(ctx, f):
            nl = raw.endswith(b"\n")
            body = _fold_line(raw[:-1] if nl else raw, width, by_bytes, spaces)
            ctx.out(body + (b"\n" if nl else b""))
    return status


def _fold_line(line: bytes, width: int, by_bytes: bool, spaces: bool) -> bytes:
    out = bytearray()
    cur = bytearray()
    col = 0
    for b in line:
        if by_bytes:
            nxt = col + 1
        elif b == 8:
            nxt = max(col - 1, 0)
        elif b == 13:
            nxt = 0
        elif b == 9:
            nxt = col + 8 - col % 8
        else:
            nxt = col + 1
        if nxt > width and cur:
            if spaces:
                sp = max(cur.rfind(b" "), cur.rfind(b"\t")) if not by_bytes else cur.rfind(b" ")
                if sp >= 0:
                    out += cur[: sp + 1] + b"\n"
                    cur = cur[sp + 1 :]
                    col = _columns(cur, by_bytes)
                    nxt = _advance(col, b, by_bytes)
                    if nxt <= width or not cur:
                        cur.append(b)
                        col = nxt
                        continue
            out += cur + b"\n"
            cur = bytearray()
            col = 0
            nxt = _advance(0, b, by_bytes)
        cur.append(b)
        col = nxt
    out += cur
    return bytes(out)


def _advance(col: int, b: int, by_bytes: bool) -> int:
    if by_bytes:
        return col + 1
    if b == 8:
        return max(col - 1, 0)
    if b == 13:
        return 0
    if b == 9:
        return col + 8 - col % 8
    return col + 1


def _columns(text: bytes | bytearray, by_bytes: bool) -> int:
    col = 0
    for b in text:
        col = _advance(col, b, by_bytes)
    return col


def _tab_stops(ctx: CommandContext, specs: list[str]) -> list[int]:
    stops: list[int] = []
    for spec in specs:
        for part in re.split(r"[,\s]+", spec.strip()):
            if not part:
                continue
            if not part.isdigit():
                raise _usage_error(ctx, f"tab size contains invalid character(s): '{part}'")
            n = int(part)
            if n == 0:
                raise _usage_error(ctx, "tab size cannot be 0")
            if stops and n <= stops[-1]:
                raise _usage_error(ctx, "tab sizes must be ascending")
            stops.append(n)
    return stops


def _next_stop(col: int, stops: list[int]) -> int:
    if not stops:
        return col + 8 - col % 8
    if len(stops) == 1:
        return col + stops[0] - col % stops[0]
    for s in stops:
        if s > col:
            return s
    return col + 1


@command("expand")
def expand_cmd(ctx: CommandContext) -> int:
    """Usage: expand [OPTION]... [FILE]...
Convert tabs in each FILE to spaces.
  -i, --initial     do not convert tabs after non blanks
  -t, --tabs=N      tabs N characters apart, not 8 (or a comma-separated list)"""
    opts, ops = _getopt(ctx, ctx.args, "it:0123456789,", {"initial": "i", "tabs=": "t"})
    initial = False
    specs: list[str] = []
    digits = ""
    for k, v in opts:
        if k == "i":
            initial = True
        elif k == "t":
            specs.append(v or "")
        else:
            digits += k
    if digits:
        specs.append(digits)
    stops = _tab_stops(ctx, specs)
    status = 0
    for _name, f in _inputs(ctx, ops):
        if f is None:
            status = 1
            continue
        for raw in _lines(ctx, f):
            out = bytearray()
            col = 0
            leading = True
            for b in raw:
                if b == 9 and (leading or not initial):
                    nxt = _next_stop(col, stops)
                    out += b" " * (nxt - col)
                    col = nxt
                    continue
                if b == 8:
                    col = max(col - 1, 0)
                elif b == 10:
                    col = 0
                else:
                    col += 1
                if b not in (9, 32):
                    leading = False
                out.append(b)
            ctx.out(bytes(out))
    return status


@command("unexpand")
def unexpand_cmd(ctx: CommandContext) -> int:
    """Usage: unexpand [OPTION]... [FILE]...
Convert blanks in each FILE to tabs (leading blanks only, by default).
  -a, --all         convert all blanks
      --first-only  convert only leading sequences of blanks
  -t, --tabs=N      tabs N characters apart, not 8 (implies -a)"""
    opts, ops = _getopt(ctx, ctx.args, "at:", {"all": "a", "first-only": "F", "tabs=": "t"})
    convert_all = False
    first_only = False
    specs: list[str] = []
    for k, v in opts:
        if k == "a":
            convert_all = True
        elif k == "F":
            first_only = True
        else:
            specs.append(v or "")
            convert_all = True
    if first_only:
        convert_all = False
    stops = _tab_stops(ctx, specs)
    status = 0
    for _name, f in _inputs(ctx, ops):
        if f is None:
            status = 1
            continue
        for raw in _lines(ctx, f):
            ctx.out(_unexpand_line(raw, stops, convert_all))
    return status


def _unexpand_line(raw: bytes, stops: list[int], convert_all: bool) -> bytes:
    out = bytearray()
    col = 0
    blanks = bytearray()  # pending blanks, starting at column blank_col
    blank_col = 0
    leading = True
    for b in raw:
        if b in (9, 32) and (leading or convert_all):
            if not blanks:
                blank_col = col
            if b == 9:
                col = _next_stop(col, stops)
                blanks.append(9)
            else:
                col += 1
                blanks.append(32)
            nxt = _next_stop(blank_col, stops)
            if col >= nxt and (col == nxt or 9 in blanks):
                # the blanks reach a tab stop: one tab replaces them (a lone space stays)
                out += b"\t" if len(blanks) > 1 or blanks == b"\t" else blanks
                blanks = bytearray()
                blank_col = col
            continue
        out += blanks
        blanks = bytearray()
        if b == 8:
            col = max(col - 1, 0)
        elif b == 10:
            col = 0
            leading = True
            out.append(b)
            continue
        else:
            col += 1
        if b not in (9, 32):
            leading = False
        out.append(b)
    out += blanks
    return bytes(out)


# --------------------------------------------------------------------------
# shuf
# --------------------------------------------------------------------------


@command("shuf")
def shuf_cmd(ctx: CommandContext) -> int:
    """Usage: shuf [OPTION]... [FILE]
  or:  shuf -e [OPTION]... [ARG]...
  or:  shuf -i LO-HI [OPTION]...
Write a random permutation of the input lines to standard output.
  -e, --echo                treat each ARG as an input line
  -i, --input-range=LO-HI   treat each number LO through HI as an input line
  -n, --head-count=COUNT    output at most COUNT lines
  -o, --output=FILE         write result to FILE instead of standard output
  -r, --repeat              output lines can be repeated (with -n: COUNT lines)
  -z, --zero-terminated     line delimiter is NUL, not newline
      --random-source=FILE  accepted; lines are shuffled by the system's generator"""
    opts, ops = _getopt(
        ctx, ctx.args, "ei:n:o:rz",
        {"echo": "e", "input-range=": "i", "head-count=": "n", "output=": "o", "repeat": "r",
         "zero-terminated": "z", "random-source=": "R"},
    )  # fmt: skip
    echo = repeat = False
    rng_range: tuple[int, int] | None = None
    count: int | None = None
    output: str | None = None
    sep = b"\n"
    for k, v in opts:
        if k == "e":
            echo = True
        elif k == "i":
            m = re.fullmatch(r"(\d+)-(\d+)", v or "")
            if not m or int(m.group(2)) + 1 < int(m.group(1)):
                raise _usage_error(ctx, f"invalid input range: '{v}'")
            rng_range = (int(m.group(1)), int(m.group(2)))
        elif k == "n":
            n = _parse_size(v or "")
            if n is None:
                raise _usage_error(ctx, f"invalid line count: '{v}'")
            count = n if count is None else min(count, n)
        elif k == "o":
            output = v
        elif k == "r":
            repeat = True
        elif k == "z":
            sep = b"\0"
    rnd = random.SystemRandom()
    if rng_range is not None:
        if echo:
            raise _usage_error(ctx, "cannot combine -e and -i options")
        if ops:
            raise _usage_error(ctx, f"extra operand '{ops[0]}'")
        lo, hi = rng_range
        items: list[bytes] | range = range(lo, hi + 1)
    elif echo:
        items = [a.encode("utf-8", "surrogateescape") for a in ops]
    else:
        if len(ops) > 1:
            raise _usage_error(ctx, f"extra operand '{ops[1]}'")
        f, why = _open(ctx, ops[0] if ops else "-")
        if f is None:
            raise CommandError(f"{ops[0]}: {why}")
        data = b"".join(_chunks(ctx, f))
        _close(ctx, f)
        items = data.split(sep)
        if items and items[-1] == b"":
            items.pop()

    def text(x: bytes | int) -> bytes:
        return (str(x).encode() if isinstance(x, int) else x) + sep

    sink = ctx.open_write(output) if output else None
    write: Callable[[bytes], object] = sink.write if sink else ctx.out  # type: ignore[assignment]
    try:
        if repeat:
            if not len(items):
                if count:
                    raise CommandError("no lines to repeat")
                return 0
            n = 0
            while count is None or n < count:
                if n % 1024 == 0:
                    ctx.check()
                write(text(items[rnd.randrange(len(items))]))
                n += 1
            return 0
        total = len(items)
        k = total if count is None else min(count, total)
        if isinstance(items, range) and k < total // 2:
            picked: list[bytes | int] = list(rnd.sample(items, k))
        else:
            picked = list(items)
            for i in range(k):  # a partial Fisher-Yates: only the first k places
                if i % 4096 == 0:
                    ctx.check()
                j = rnd.randrange(i, total)
                picked[i], picked[j] = picked[j], picked[i]
            picked = picked[:k]
        for i, x in enumerate(picked):
            if i % 4096 == 0:
                ctx.check()
            write(text(x))
    finally:
        if sink is not None:
            sink.close()
    return 0


# --------------------------------------------------------------------------
# truncate
# --------------------------------------------------------------------------

_SIZE_RE = re.compile(r"([-+<>/%]?)\s*(\d+)([KMGTPEZY](?:B|iB)?|[kbcw])?")
_SIZE_MULT = {"": 1, "c": 1, "w": 2, "b": 512, "k": 1024, "K": 1024}
for _i, _p in enumerate("KMGTPEZY", 1):
    _SIZE_MULT[_p] = 1024**_i
    _SIZE_MULT[_p + "iB"] = 1024**_i
    _SIZE_MULT[_p + "B"] = 1000**_i


@command("truncate")
def truncate_cmd(ctx: CommandContext) -> int:
    """Usage: truncate OPTION... FILE...
Shrink or extend the size of each FILE to the specified size (a FILE that does not
exist is created).
  -c, --no-create        do not create any files
  -o, --io-blocks        treat SIZE as number of IO blocks (512 bytes) instead of bytes
  -r, --reference=RFILE  base size on RFILE
  -s, --size=SIZE        set or adjust the file size by SIZE bytes
SIZE may have a prefix: + extend by, - reduce by, < at most, > at least,
/ round down to multiple of, % round up to multiple of."""
    opts, ops = _getopt(ctx, ctx.args, "cor:s:",
                        {"no-create": "c", "io-blocks": "o", "reference=": "r", "size=": "s"})
    no_create = io_blocks = False
    ref: str | None = None
    size_spec: str | None = None
    for k, v in opts:
        if k == "c":
            no_create = True
        elif k == "o":
            io_blocks = True
        elif k == "r":
            ref = v
        else:
            size_spec = v
    if ref is None and size_spec is None:
        raise _usage_error(ctx, "you must specify either '--size' or '--reference'")
    if not ops:
        raise _usage_error(ctx, "missing file operand")
    op, amount = "", 0
    if size_spec is not None:
        m = _SIZE_RE.fullmatch(size_spec.strip())
        if not m:
            raise CommandError(f"Invalid number: '{size_spec}'")
        op, amount = m.group(1), int(m.group(2)) * _SIZE_MULT[m.group(3) or ""]
        if io_blocks:
            amount *= 512
        if op in "/%" and op and amount == 0:
            raise CommandError("division by zero")
    base: int | None = None
    if ref is not None:
        try:
            fd = ctx.open_fd(ref, os.O_RDONLY)
        except CommandError as e:
            raise CommandError(f"cannot stat {e}") from None
        try:
            base = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size_spec is None:
            op, amount = "", base
    status = 0
    for name in ops:
        flags = os.O_WRONLY | (0 if no_create else os.O_CREAT)
        try:
            fd = ctx.open_fd(name, flags | os.O_NONBLOCK)
        except CommandError as e:
            if no_create and "No such file" in str(e):
                continue
            ctx.err(f"cannot open {e.args[0].replace(': ', ' for writing: ', 1)}")
            status = 1
            continue
        try:
            st = os.fstat(fd)
            if not statmod.S_ISREG(st.st_mode):
                ctx.err(f"cannot truncate '{name}': not a regular file")
                status = 1
                continue
            cur = base if (ref is not None and size_spec is not None) else st.st_size
            assert cur is not None
            new = {
                "": amount, "+": cur + amount, "-": max(cur - amount, 0),
                "<": min(cur, amount), ">": max(cur, amount),
                "/": cur // amount * amount if amount else cur,
                "%": -(-cur // amount) * amount if amount else cur,
            }[op]  # fmt: skip
            if new > st.st_size:
                ctx.ws.charge(new - st.st_size)  # a sparse file still counts against the disk
            try:
                os.ftruncate(fd, new)
            except OSError as e:
                ctx.err(f"failed to truncate '{name}' at {new} bytes: {e.strerror}")
                status = 1
        finally:
            os.close(fd)
    return status


# --------------------------------------------------------------------------
# which, tty, arch, link, unlink
# --------------------------------------------------------------------------


@command("tty")
def tty_cmd(ctx: CommandContext) -> int:
    """Usage: tty [-s]
Print the file name of the terminal on standard input: the corral shell has none."""
    if "-s" not in ctx.args and "--silent" not in ctx.args and "--quiet" not in ctx.args:
        ctx.out("not a tty\n")
    return 1


@command("arch")
def arch_cmd(ctx: CommandContext) -> int:
    """Usage: arch
Print the machine hardware name (same as uname -m)."""
    if ctx.args:
        raise _usage_error(ctx, f"extra operand '{ctx.args[0]}'")
    from .misc import UNAME

    ctx.out(UNAME["m"] + "\n")
    return 0


@command("unlink")
def unlink_cmd(ctx: CommandContext) -> int:
    """Usage: unlink FILE
Call the unlink function to remove FILE."""
    if not ctx.args:
        raise _usage_error(ctx, "missing operand")
    if len(ctx.args) > 1:
        raise _usage_error(ctx, f"extra operand '{ctx.args[1]}'")
    name = ctx.args[0]
    try:
        host = ctx.resolve(name, follow_last=False)
        if statmod.S_ISDIR(os.lstat(host).st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory")
        hfs.unlink(ctx.ws, host)
    except CommandError as e:
        raise CommandError(f"cannot unlink {e}") from None
    except OSError as e:
        raise CommandError(f"cannot unlink '{name}': {e.strerror or e}") from None
    return 0


@command("link")
def link_cmd(ctx: CommandContext) -> int:
    """Usage: link FILE1 FILE2
Call the link function to create a link named FILE2 to an existing FILE1."""
    if len(ctx.args) < 2:
        raise _usage_error(ctx, f"missing operand after '{ctx.args[0]}'" if ctx.args
                           else "missing operand")  # fmt: skip
    if len(ctx.args) > 2:
        raise _usage_error(ctx, f"extra operand '{ctx.args[2]}'")
    src, dst = ctx.args
    return ctx.run_command(["ln", "--", src, dst], b"")[0] if ctx.run_command else 1


# --------------------------------------------------------------------------
# base32
# --------------------------------------------------------------------------


@command("base32")
def base32_cmd(ctx: CommandContext) -> int:
    """Usage: base32 [OPTION]... [FILE]
Base32 encode or decode FILE, or standard input, to standard output.
  -d, --decode          decode data
  -i, --ignore-garbage  when decoding, ignore non-alphabet characters
  -w, --wrap=COLS       wrap encoded lines after COLS character (default 76); 0 disables"""
    opts, ops = _getopt(ctx, ctx.args, "diw:", {"decode": "d", "ignore-garbage": "i",
                                               "wrap=": "w"})  # fmt: skip
    decode = garbage = False
    wrap = 76
    for k, v in opts:
        if k == "d":
            decode = True
        elif k == "i":
            garbage = True
        else:
            if not (v or "").isdigit():
                raise _usage_error(ctx, f"invalid wrap size: '{v}'")
            wrap = int(v or "0")
    if len(ops) > 1:
        raise _usage_error(ctx, f"extra operand '{ops[1]}'")
    f, why = _open(ctx, ops[0] if ops else "-")
    if f is None:
        raise CommandError(f"{ops[0]}: {why}")
    data = b"".join(_chunks(ctx, f))
    _close(ctx, f)
    if decode:
        if garbage:
            data = bytes(b for b in data.upper() if b in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=")
        else:
            data = b"".join(data.split())
        try:
            ctx.out(base64.b32decode(data + b"=" * (-len(data) % 8)))
        except (binascii.Error, ValueError):
            raise CommandError("invalid input") from None
        return 0
    enc = base64.b32encode(data)
    if wrap:
        for i in range(0, len(enc), wrap):
            ctx.out(enc[i : i + wrap] + b"\n")
    else:
        ctx.out(enc)
    return 0


# --------------------------------------------------------------------------
# factor
# --------------------------------------------------------------------------

_SMALL_PRIMES = [p for p in range(2, 1000) if all(p % q for q in range(2, int(p**0.5) + 1))]


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in _SMALL_PRIMES[:25]:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    bases = _SMALL_PRIMES[:13] if n < 3_317_044_064_679_887_385_961_981 else _SMALL_PRIMES[:40]
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _rho(ctx: CommandContext, n: int) -> int:
    """A non-trivial factor of the composite ``n`` (Pollard-Brent)."""
    if n % 2 == 0:
        return 2
    c = 1
    while True:
        y, m, g, r, q = 2, 128, 1, 1, 1
        x = ys = y
        while g == 1:
            ctx.check()
            x = y
            for _ in range(r):
                y = (y * y + c) % n
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(m, r - k)):
                    y = (y * y + c) % n
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += m
            r *= 2
        if g == n:
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g
        c += 1


def _factors(ctx: CommandContext, n: int) -> list[int]:
    out: list[int] = []
    if n < 2:
        return out
    for p in _SMALL_PRIMES:
        while n % p == 0:
            out.append(p)
            n //= p
    stack = [n] if n > 1 else []
    while stack:
        m = stack.pop()
        if _is_prime(m):
            out.append(m)
            continue
        d = _rho(ctx, m)
        stack += [d, m // d]
    return sorted(out)


@command("factor")
def factor_cmd(ctx: CommandContext) -> int:
    """Usage: factor [NUMBER]...
Print the prime factors of each NUMBER (read from standard input when none is given)."""
    args = [a for a in ctx.args if a != "--"]
    status = 0

    def one(tok: str) -> None:
        nonlocal status
        t = tok.lstrip("+") if tok.startswith("+") and tok[1:].isdigit() else tok
        if not t.isdigit() or not t.isascii():
            ctx.err(f"'{tok}' is not a valid positive integer")
            status = 1
            return
        n = int(t)
        if n.bit_length() > 400:
            ctx.err(f"'{tok}' is too large for the corral shell's factor (400 bits at most)")
            status = 1
            return
        ctx.out(f"{n}:" + "".join(f" {p}" for p in _factors(ctx, n)) + "\n")

    if args:
        for a in args:
            one(a)
    else:
        for raw in _lines(ctx, ctx.stdin):
            for tok in raw.decode("utf-8", "surrogateescape").split():
                one(tok)
    return status


# --------------------------------------------------------------------------
# strings
# --------------------------------------------------------------------------

_PRINTABLE = bytes(range(32, 127)) + b"\t"


@command("strings")
def strings_cmd(ctx: CommandContext) -> int:
    """Usage: strings [OPTION]... [FILE]...
Print the sequences of printable characters in files (4 or more by default).
  -a, --all               scan the whole file (the default here)
  -f, --print-file-name   print the name of the file before each string
  -n, --bytes=MIN         print sequences of at least MIN characters
  -t, --radix={o,d,x}     print the offset of each string in that base
  -w, --include-all-whitespace   newlines and carriage returns count as printable"""
    opts, ops = _getopt(
        ctx, ctx.args, "afn:t:wdo0123456789",
        {"all": "a", "print-file-name": "f", "bytes=": "n", "radix=": "t",
         "include-all-whitespace": "w", "data": "d"},
    )  # fmt: skip
    min_len = 4
    names = False
    radix: str | None = None
    allws = False
    digits = ""
    for k, v in opts:
        if k == "n":
            if not (v or "").isdigit() or int(v or "0") < 1:
                raise CommandError(f"invalid minimum string length {v}")
            min_len = int(v or "0")
        elif k == "f":
            names = True
        elif k == "t":
            if v not in ("o", "d", "x"):
                raise CommandError(f"invalid radix: {v}")
            radix = v
        elif k == "o":
            radix = "o"
        elif k == "w":
            allws = True
        elif k.isdigit():
            digits += k
            min_len = int(digits)
    printable = set(_PRINTABLE + (b"\n\r" if allws else b""))
    status = 0
    for name, f in _inputs(ctx, ops):
        if f is None:
            status = 1
            continue
        run = bytearray()
        start = 0
        offset = 0

        def emit(run: bytearray, start: int, name: str = name) -> None:
            prefix = f"{name}: " if names else ""
            if radix:
                prefix += {"o": "{:7o} ", "d": "{:7d} ", "x": "{:7x} "}[radix].format(start)
            ctx.out(prefix.encode("utf-8", "surrogateescape") + bytes(run) + b"\n")

        for chunk in _chunks(ctx, f):
            for b in chunk:
                if b in printable:
                    if not run:
                        start = offset
                    run.append(b)
                else:
                    if len(run) >= min_len:
                        emit(run, start)
                    run = bytearray()
                offset += 1
        if len(run) >= min_len:
            emit(run, start)
    return status


# --------------------------------------------------------------------------
# numfmt
# --------------------------------------------------------------------------

_UNITS = "KMGTPEZYRQ"


def _nf_round(x: Decimal, how: str) -> Decimal:
    mode = {"up": ROUND_CEILING, "down": ROUND_FLOOR, "towards-zero": ROUND_DOWN,
            "nearest": ROUND_HALF_UP}.get(how)  # fmt: skip
    if mode is None:  # from-zero
        mode = ROUND_CEILING if x >= 0 else ROUND_FLOOR
    return x.to_integral_value(rounding=mode)


def _nf_round_to(x: Decimal, places: int, how: str) -> Decimal:
    q = Decimal(10) ** places
    return _nf_round(x * q, how) / q


class _NumfmtError(Exception):
    pass


def _nf_parse(text: str, scale: str) -> Decimal:
    m = re.fullmatch(r"\s*(-?(?:\d+(?:\.\d*)?|\.\d+))([KMGTPEZYRQk]?)(i?)", text)
    if not m:
        raise _NumfmtError(f"invalid number: '{text}'")
    x = Decimal(m.group(1))
    unit, i = m.group(2), m.group(3)
    if unit:
        if scale == "none":
            raise _NumfmtError(f"rejecting suffix in input: '{text}' (consider using --from)")
        power = _UNITS.index(unit.upper()) + 1
        if scale == "iec-i" and not i:
            raise _NumfmtError(f"missing 'i' suffix in input: '{text}' (e.g. Ki/Mi/Gi)")
        base = 1024 if scale in ("iec", "iec-i") or (scale == "auto" and i) else 1000
        x *= Decimal(base) ** power
    elif i:
        raise _NumfmtError(f"invalid suffix in input: '{text}'")
    return x


_NF_SPEC = re.compile(r"((?:[^%]|%%)*)%([0'-]*)(\d*)(?:\.(\d*))?f((?:[^%]|%%)*)")


def _nf_format_spec(spec: str) -> tuple[str, str, int, int | None, str]:
    """``--format``'s ``PREFIX%[0]['][-][N][.N]fSUFFIX``."""
    if "%" not in spec.replace("%%", ""):
        raise CommandError(f"format \u2018{spec}\u2019 has no % directive")
    m = _NF_SPEC.fullmatch(spec)
    if m is None:
        raise CommandError(
            f"invalid format \u2018{spec}\u2019, directive must be %[0]['][-][N][.][N]f"
        )
    width = int(m.group(3)) if m.group(3) else 0
    prec = None if m.group(4) is None else int(m.group(4) or 0)
    return (m.group(1).replace("%%", "%"), m.group(2), min(width, 1 << 16), prec,
            m.group(5).replace("%%", "%"))  # fmt: skip


def _nf_plain(x: Decimal) -> str:
    """A number as given (``--format`` without a precision): no exponent, no padding."""
    return format(x, "f")


def _nf_format(x: Decimal, to: str, how: str, places: int | None = None) -> str:
    """``x`` scaled to ``to``'s units and rounded (``places``: that many decimals, as
    ``--format='%.Nf'`` asks)."""
    if places is not None:
        places = min(places, 1000)
        if to == "none":
            return f"{_nf_round_to(x, places, how):.{places}f}"
        base = 1000 if to == "si" else 1024
        power = 0
        while abs(x) >= base and power < len(_UNITS):
            x /= base
            power += 1
        text = f"{_nf_round_to(x, places, how):.{places}f}"
        return text + (_UNITS[power - 1] + ("i" if to == "iec-i" else "") if power else "")
    if to == "none":
        return str(_nf_round(x, how))
    base = 1000 if to == "si" else 1024
    power = 0
    while abs(x) >= base and power < len(_UNITS):
        x /= base
        power += 1
    if power == 0:
        return str(_nf_round(x, how))
    if abs(x) < 10:
        x = _nf_round_to(x, 1, how)
        if abs(x) >= 10:
            return _nf_format(x * Decimal(base) ** power, to, how)
        text = f"{x:.1f}"
    else:
        x = _nf_round(x, how)
        if abs(x) >= base:
            return _nf_format(x * Decimal(base) ** power, to, how)
        text = str(int(x))
    return text + _UNITS[power - 1] + ("i" if to == "iec-i" else "")


@command("numfmt")
def numfmt_cmd(ctx: CommandContext) -> int:
    """Usage: numfmt [OPTION]... [NUMBER]...
Convert numbers from/to human-readable strings (from the arguments, or the lines of
standard input).
      --from=UNIT      auto, si, iec, iec-i (none by default)
      --to=UNIT        si, iec, iec-i (none by default)
      --round=METHOD   up, down, from-zero (default), towards-zero, nearest
      --suffix=SUFFIX  add SUFFIX to output numbers, and accept it in input
      --padding=N      pad the output to N characters (negative: left-aligned)
      --field=N        replace the number in input field N (default 1)
  -d, --delimiter=X    use X instead of whitespace for field delimiter
      --header[=N]     print (without converting) the first N header lines (1)
      --invalid=MODE   abort (default), fail, warn, ignore"""
    opts, ops = _getopt(
        ctx, ctx.args, "d:",
        {"from=": "F", "to=": "T", "round=": "R", "suffix=": "S", "padding=": "P",
         "field=": "f", "delimiter=": "d", "header?": "H", "invalid=": "I",
         "from-unit=": "U", "to-unit=": "V", "grouping": "G", "format=": "M"},
    )  # fmt: skip
    frm, to, how, suffix = "none", "none", "from-zero", ""
    padding = 0
    field = 1
    delim: str | None = None
    header = 0
    invalid = "abort"
    fmt: tuple[str, str, int, int | None, str] | None = None
    for k, v in opts:
        v = v or ""
        if k == "F":
            if v not in ("none", "auto", "si", "iec", "iec-i"):
                raise _usage_error(ctx, f"invalid argument '{v}' for '--from'")
            frm = v
        elif k == "T":
            if v not in ("none", "si", "iec", "iec-i"):
                raise _usage_error(ctx, f"invalid argument '{v}' for '--to'")
            to = v
        elif k == "R":
            if v not in ("up", "down", "from-zero", "towards-zero", "nearest"):
                raise _usage_error(ctx, f"invalid argument '{v}' for '--round'")
            how = v
        elif k == "S":
            suffix = v
        elif k == "P":
            if not re.fullmatch(r"-?\d+", v) or int(v) == 0:
                raise CommandError(f"invalid padding value '{v}'")
            padding = int(v)
        elif k == "f":
            if not v.isdigit() or int(v) < 1:
                raise CommandError(f"invalid field value '{v}'")
            field = int(v)
        elif k == "d":
            if len(v) != 1:
                raise CommandError(f"the delimiter must be a single character: '{v}'")
            delim = v
        elif k == "H":
            header = 1 if not v else int(v) if v.isdigit() else -1
            if header < 1:
                raise CommandError(f"invalid header value '{v}'")
        elif k == "I":
            if v not in ("abort", "fail", "warn", "ignore"):
                raise _usage_error(ctx, f"invalid argument '{v}' for '--invalid'")
            invalid = v
        elif k == "G":
            pass  # the C locale groups no digits
        elif k == "M":
            fmt = _nf_format_spec(v)
        else:
            raise CommandError(f"option '{ {'U': '--from-unit', 'V': '--to-unit'}[k]}' is not supported by the corral shell")  # noqa: E501
    status = 0

    def convert(num: str) -> str:
        text = num[: -len(suffix)] if suffix and num.endswith(suffix) else num
        x = _nf_parse(text, frm)
        if fmt is None:
            out = _nf_format(x, to, how) + suffix
        else:
            prefix, flags, width, prec, after = fmt
            if prec is None:
                body = _nf_format(x, to, how) if to != "none" else _nf_plain(x)
            else:
                body = _nf_format(x, to, how, prec)
            body += suffix
            if "-" in flags:
                body = body.ljust(width)
            elif "0" in flags and body[:1].isdigit():
                body = body.rjust(width, "0")
            else:
                body = body.rjust(width)
            out = prefix + body + after
        if padding > 0:
            out = out.rjust(padding)
        elif padding < 0:
            out = out.ljust(-padding)
        return out

    def line(text: str) -> None:
        nonlocal status
        parts = text.split(delim) if delim is not None else re.split(r"(\s+)", text)
        if delim is None:
            # keep the separators: fields are at even places, a leading blank is none
            idx = [i for i, p in enumerate(parts) if p and not p.isspace()]
        else:
            idx = list(range(len(parts)))
        try:
            if field - 1 < len(idx):
                i = idx[field - 1]
                if delim is None and padding == 0 and i > 0:
                    # GNU's auto-padding: a field with blanks before it is right-aligned
                    # to the width it had with them, less the one blank that separates it
                    # from the field before (none before the first field)
                    ws = parts[i - 1]
                    keep = "" if i == 2 and not parts[0] else ws[0]
                    new = convert(parts[i]).rjust(len(ws) - len(keep) + len(parts[i]))
                    parts[i - 1], parts[i] = keep, new
                else:
                    parts[i] = convert(parts[i])
        except _NumfmtError as e:
            if invalid == "abort":
                raise CommandError(str(e), 2) from None
            if invalid != "ignore":
                ctx.err(str(e))
            if invalid == "fail":
                status = 2
        ctx.out((delim or "").join(parts) + "\n")

    if ops:
        for a in ops:
            line(a)
        return status
    n = 0
    for raw in _lines(ctx, ctx.stdin):
        text = raw.decode("utf-8", "surrogateescape").rstrip("\n")
        n += 1
        if n <= header:
            ctx.out(text + "\n")
            continue
        line(text)
    return status


# --------------------------------------------------------------------------
# tsort
# --------------------------------------------------------------------------


@command("tsort")
def tsort_cmd(ctx: CommandContext) -> int:
    """Usage: tsort [FILE]
Write totally ordered list consistent with the partial ordering in FILE (pairs of
words: the first comes before the second)."""
    ops = [a for a in ctx.args if a != "--"]
    if len(ops) > 1:
        raise _usage_error(ctx, f"extra operand '{ops[1]}'")
    name = ops[0] if ops else "-"
    f, why = _open(ctx, name)
    if f is None:
        raise CommandError(f"{name}: {why}")
    words = b"".join(_chunks(ctx, f)).split()
    _close(ctx, f)
    if len(words) % 2:
        raise CommandError(f"{name}: input contains an odd number of tokens")
    succ: dict[bytes, list[bytes]] = {}
    count: dict[bytes, int] = {}
    for i in range(0, len(words), 2):
        a, b = words[i], words[i + 1]
        succ.setdefault(a, [])
        count.setdefault(a, 0)
        count.setdefault(b, 0)
        succ.setdefault(b, [])
        if a != b:
            succ[a].insert(0, b)  # GNU keeps successors newest first
            count[b] += 1
    order = sorted(count)
    status = 0
    done: set[bytes] = set()
    while len(done) < len(order):
        queue = [w for w in order if w not in done and count[w] == 0]
        while queue:
            ctx.check()
            w = queue.pop(0)
            if w in done:
                continue
            done.add(w)
            ctx.out(w + b"\n")
            for s in succ[w]:
                count[s] -= 1
                if count[s] == 0:
                    queue.append(s)
        if len(done) < len(order):
            # a loop: report it, then break it by dropping one of its edges
            status = 1
            start = next(w for w in order if w not in done)
            path: list[bytes] = []
            seen: dict[bytes, int] = {}
            w = start
            while w not in seen:
                seen[w] = len(path)
                path.append(w)
                w = next(s for s in succ[w] if s not in done)
            cycle = path[seen[w] :]
            ctx.err(f"{name}: input contains a loop:")
            for c in cycle:
                ctx.err(c.decode("utf-8", "surrogateescape"))
            last = cycle[-1]
            succ[last].remove(w)
            count[w] -= 1
    return status


# --------------------------------------------------------------------------
# cksum, sum
# --------------------------------------------------------------------------


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else (c << 1)
        table.append(c & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


@command("cksum")
def cksum_cmd(ctx: CommandContext) -> int:
    """Usage: cksum [FILE]...
Print the POSIX CRC checksum and byte count of each FILE."""
    ops = [a for a in ctx.args if a != "--"]
    for a in ops:
        if a.startswith("-") and a != "-":
            raise CommandError(f"option '{a}' is not supported by the corral shell "
                               "(use md5sum, sha256sum...)")  # fmt: skip
    status = 0
    for name, f in _inputs(ctx, ops):
        if f is None:
            status = 1
            continue
        crc = 0
        size = 0
        table = _CRC
        for chunk in _chunks(ctx, f):
            size += len(chunk)
            for b in chunk:
                crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ b]
        n = size
        while n:
            crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ (n & 0xFF)]
            n >>= 8
        crc = ~crc & 0xFFFFFFFF
        ctx.out(f"{crc} {size}" + (f" {name}" if ops else "") + "\n")
    return status


@command("sum")
def sum_cmd(ctx: CommandContext) -> int:
    """Usage: sum [OPTION]... [FILE]...
Print the checksum and block counts of each FILE.
  -r   the BSD algorithm, 1K blocks (default)
  -s, --sysv   the System V algorithm, 512-byte blocks"""
    opts, ops = _getopt(ctx, ctx.args, "rs", {"sysv": "s"})
    sysv = any(k == "s" for k, _ in opts)
    status = 0
    for name, f in _inputs(ctx, ops):
        if f is None:
            status = 1
            continue
        size = 0
        s = 0
        for chunk in _chunks(ctx, f):
            size += len(chunk)
            if sysv:
                s += sum(chunk)
            else:
                for b in chunk:
                    s = ((s >> 1) + ((s & 1) << 15) + b) & 0xFFFF
        show = f" {name}" if ops else ""
        if sysv:
            r = (s & 0xFFFF) + (s >> 16)
            r = (r & 0xFFFF) + (r >> 16)
            ctx.out(f"{r} {-(-size // 512)}{show}\n")
        else:
            ctx.out(f"{s:05d} {-(-size // 1024):5d}{show}\n")
    return status


# --------------------------------------------------------------------------
# install
# --------------------------------------------------------------------------


@command("install")
def install_cmd(ctx: CommandContext) -> int:
    """Usage: install [OPTION]... SOURCE DEST
  or:  install [OPTION]... SOURCE... DIRECTORY
  or:  install -d [OPTION]... DIRECTORY...
Copy files and set attributes (mode 0755 unless -m).
  -d, --directory        treat all arguments as directory names; create them
  -D                     create all leading components of DEST
  -m, --mode=MODE        set permission mode (as in chmod)
  -t, --target-directory=DIR   copy all SOURCE arguments into DIR
  -T, --no-target-directory    treat DEST as a normal file
  -p, --preserve-timestamps    keep the sources' access/modification times
  -v, --verbose          print the name of each file or directory made
  -c, -s, -C, -o, -g     accepted (owner and group cannot change here)"""
    opts, ops = _getopt(
        ctx, ctx.args, "dDm:t:Tpvcso:g:C",
        {"directory": "d", "mode=": "m", "target-directory=": "t", "no-target-directory": "T",
         "preserve-timestamps": "p", "verbose": "v", "strip": "s", "owner=": "o",
         "group=": "g", "compare": "C"},
    )  # fmt: skip
    run = ctx.run_command
    if run is None:
        raise CommandError("cannot run here")
    dirs = lead = verbose = preserve = no_target = False
    mode = "755"
    target: str | None = None
    for k, v in opts:
        if k == "d":
            dirs = True
        elif k == "D":
            lead = True
        elif k == "m":
            mode = v or ""
        elif k == "t":
            target = v
        elif k == "T":
            no_target = True
        elif k == "p":
            preserve = True
        elif k == "v":
            verbose = True

    def call(argv: list[str]) -> int:
        code, out, err = run(argv, b"")
        if out:
            ctx.out(out)
        if err:
            text = err.decode("utf-8", "surrogateescape")
            ctx.stderr.write(re.sub(rf"^{re.escape(argv[0])}: ", "install: ", text,
                                    flags=re.M).encode("utf-8", "surrogateescape"))  # fmt: skip
        return code

    def mkdirs(path: str) -> int:
        """``mkdir -p``, told as install tells it with -v."""
        code, out, err = run(["mkdir", "-pv", "--", path], b"")
        if verbose:
            ctx.out(out.replace(b"mkdir: created directory", b"install: creating directory"))
        if err:
            ctx.stderr.write(err.replace(b"mkdir: ", b"install: "))
        return code

    if not ops and target is None:
        raise _usage_error(ctx, "missing file operand")
    if dirs:
        status = 0
        for d in ops:
            if mkdirs(d) or call(["chmod", mode, "--", d]):
                status = 1
        return status
    if target is None and not no_target and len(ops) > 1:
        code, _, _ = run(["test", "-d", ops[-1]], b"")
        if code == 0:
            target = ops[-1]
            ops = ops[:-1]
    if target is None and len(ops) != 2:
        if len(ops) < 2:
            raise _usage_error(ctx, f"missing destination file operand after '{ops[0]}'")
        raise CommandError(f"target '{ops[-1]}' is not a directory")
    pairs = ([(s, f"{target.rstrip('/')}/{os.path.basename(s.rstrip('/'))}") for s in ops]
             if target is not None else [(ops[0], ops[1])])  # fmt: skip
    if lead:
        parent = target if target is not None else os.path.dirname(ops[1])
        if parent and mkdirs(parent):
            return 1
    status = 0
    for src, dst in pairs:
        existed = verbose and run(["test", "-e", dst], b"")[0] == 0
        cp = ["cp", "--remove-destination"] + (["-p"] if preserve else []) + ["--", src, dst]
        if call(cp) or call(["chmod", mode, "--", dst]):
            status = 1
            continue
        if verbose:
            ctx.out((f"removed '{dst}'\n" if existed else "") + f"'{src}' -> '{dst}'\n")
    return status

