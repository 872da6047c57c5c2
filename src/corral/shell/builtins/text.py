"""Text-processing built-ins: head, tail, wc, cut, tr, sort, uniq, nl, rev, tac,
paste, comm, column, tee, diff and xargs.

They follow GNU coreutils / diffutils / findutils (and util-linux for ``rev``
and ``column``) in the C locale: bytes in, bytes out, byte order for sorting
and ranges. Line tools stream their input.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import fnmatch
import hashlib
import io
import itertools
import os
import re
import stat as statmod
import time
import unicodedata
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from ... import saferegex
from .. import devices
from ..command import CommandContext, CommandError, command, decode, encode
from ..limits import max_string, too_large
from ..records import record_batches
from ..spill import SpillDir
from . import external_sort
from .diff_styles import ed_script, side_by_side
from .external_sort import ExternalSorter, write_lines

_CHUNK = 65536

# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------


_CTRL_ESC = {"\a": "a", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v"}


def _q(name: str) -> str:
    """Quote a file name like GNU's quoteaf() (shell-escape-always style)."""
    if not any(ord(c) < 32 or ord(c) == 127 for c in name):
        if "'" not in name:
            return "'" + name + "'"
        if not any(c in name for c in '"$`\\'):
            return '"' + name + '"'
        return "'" + name.replace("'", "'\\''") + "'"
    parts: list[str] = []
    cur = ""
    for c in name:
        if ord(c) < 32 or ord(c) == 127:
            if cur or not parts:
                parts.append("'" + cur.replace("'", "'\\''") + "'")
                cur = ""
            esc = _CTRL_ESC.get(c) or f"{ord(c):03o}"
            parts.append("$'\\" + esc + "'")
        else:
            cur += c
    if cur:
        parts.append("'" + cur.replace("'", "'\\''") + "'")
    return "".join(parts)


_SAFE_NAME = re.compile(r"[A-Za-z0-9_./+,:=@%^-]+")


def _qf(name: str) -> str:
    """Quote a file name only when needed (GNU quotef)."""
    return name if _SAFE_NAME.fullmatch(name) else _q(name)


def _ql(text: str) -> str:
    """Quote an argument like GNU's quote() in the C locale: 'it\\'s'."""
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == "'":
            out.append("\\'")
        elif c in _CTRL_ESC:
            out.append("\\" + _CTRL_ESC[c])
        elif ord(c) < 32 or ord(c) == 127:
            out.append(f"\\{ord(c):03o}")
        else:
            out.append(c)
    return "'" + "".join(out) + "'"


def _usage_error(
    ctx: CommandContext, msg: str, status: int = 1, prefix: bool = False
) -> CommandError:
    """A usage error with GNU's second ``Try 'X --help'`` line."""
    name = ctx.name
    trail = f"{name}: " if prefix else ""
    return CommandError(f"{msg}\n{trail}Try '{name} --help' for more information.", status)


def _getopt(
    ctx: CommandContext,
    args: list[str],
    short: str,
    longs: dict[str, str],
    status: int = 1,
    *,
    try_prefix: bool = False,
    stop_at_operand: bool = False,
) -> tuple[list[tuple[str, str | None]], list[str]]:
    """GNU getopt_long: returns ([(key, value)], operands).

    ``short`` is a getopt string (``n:`` takes an argument, ``i::`` an optional
    attached one). ``longs`` maps ``name`` / ``name=`` (argument) / ``name?``
    (optional argument) to the key reported (usually the short letter).
    """

    def fail(msg: str) -> CommandError:
        return _usage_error(ctx, msg, status, try_prefix)

    table: dict[str, tuple[str, str]] = {}
    for spec, key in longs.items():
        mode = spec[-1] if spec[-1] in "=?" else ""
        table[spec.rstrip("=?")] = (key, mode)
    opts: list[tuple[str, str | None]] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            operands.extend(args[i:])
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            if name in table:
                cands = [name]
            else:
                cands = [n for n in table if n.startswith(name)]
                if len({table[n] for n in cands}) > 1:
                    poss = " ".join(f"'--{n}'" for n in cands)
                    raise fail(f"option '--{name}' is ambiguous; possibilities: {poss}")
            if not cands:
                raise fail(f"unrecognized option '{a}'")
            full = cands[0]
            key, mode = table[full]
            if mode == "":
                if eq:
                    raise fail(f"option '--{full}' doesn't allow an argument")
                opts.append((key, None))
            elif mode == "?":
                opts.append((key, val if eq else None))
            else:
                if not eq:
                    if i >= len(args):
                        raise fail(f"option '--{full}' requires an argument")
                    val = args[i]
                    i += 1
                opts.append((key, val))
        elif a.startswith("-") and a != "-":
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                pos = short.find(c)
                if pos < 0 or c == ":":
                    raise fail(f"invalid option -- '{c}'")
                if short[pos + 1 : pos + 2] == ":":
                    if short[pos + 2 : pos + 3] == ":":
                        opts.append((c, a[j:] if j < len(a) else None))
                        break
                    if j < len(a):
                        opts.append((c, a[j:]))
                    elif i < len(args):
                        opts.append((c, args[i]))
                        i += 1
                    else:
                        raise fail(f"option requires an argument -- '{c}'")
                    break
                opts.append((c, None))
        else:
            if stop_at_operand:
                operands.extend(args[i - 1 :])
                break
            operands.append(a)
    return opts, operands


def _reason(e: BaseException, path: str) -> str:
    """The ``strerror`` part of an open failure."""
    if isinstance(e, CommandError):
        msg = str(e)
        return msg[len(path) + 2 :] if msg.startswith(path + ": ") else msg
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e)


def _open(ctx: CommandContext, path: str) -> tuple[IO[bytes] | None, str]:
    """Open for reading; (file, "") or (None, reason)."""
    try:
        return ctx.open_read(path), ""
    except (CommandError, OSError) as e:
        return None, _reason(e, path)


def _close(ctx: CommandContext, f: IO[bytes]) -> None:
    if f is not ctx.stdin:
        f.close()


def _chunks(ctx: CommandContext, f: IO[bytes], size: int = _CHUNK) -> Iterator[bytes]:
    read = getattr(f, "read1", None) or f.read
    while True:
        ctx.check()
        data = read(size)
        if not data:
            return
        yield data


def _lines(ctx: CommandContext, f: IO[bytes], sep: bytes = b"\n") -> Iterator[bytes]:
    """Lines including their terminator (the last one may lack it)."""
    if sep == b"\n":
        n = 0
        while True:
            line = f.readline()
            if not line:
                return
            n += 1
            if n % 1000 == 0:
                ctx.check()
            yield line
    else:
        rest = b""
        for chunk in _chunks(ctx, f):
            parts = (rest + chunk).split(sep)
            rest = parts.pop()
            for p in parts:
                yield p + sep
        if rest:
            yield rest


def _all_lines(ctx: CommandContext, data: bytes, sep: bytes = b"\n") -> list[bytes]:
    """Split ``data`` into lines without terminators (a final one is optional)."""
    if not data:
        return []
    parts = data.split(sep)
    if parts[-1] == b"":
        parts.pop()
    return parts


_SUFFIXES = {
    "b": 512,
    "K": 1024,
    "k": 1024,
    "KiB": 1024,
    "kB": 1000,
    "KB": 1000,
    "M": 1024**2,
    "m": 1024**2,
    "MiB": 1024**2,
    "MB": 1000**2,
    "G": 1024**3,
    "GiB": 1024**3,
    "GB": 1000**3,
    "T": 1024**4,
    "TiB": 1024**4,
    "TB": 1000**4,
    "P": 1024**5,
    "PiB": 1024**5,
    "PB": 1000**5,
    "E": 1024**6,
    "EiB": 1024**6,
    "EB": 1000**6,
}


def _parse_size(s: str, suffixes: bool = True) -> int | None:
    """A non-negative count with optional GNU multiplier suffix, or None."""
    m = re.fullmatch(r"(\d+)([A-Za-z]*)", s)
    if not m:
        return None
    n = int(m.group(1))
    suf = m.group(2)
    if not suf:
        return n
    if not suffixes or suf not in _SUFFIXES:
        return None
    return n * _SUFFIXES[suf]


def _display_width(text: str) -> int:
    w = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return w


# --------------------------------------------------------------------------
# head / tail
# --------------------------------------------------------------------------


def _header(ctx: CommandContext, name: str, first: bool) -> None:
    shown = "standard input" if name == "-" else name
    ctx.out(("" if first else "\n") + f"==> {shown} <==\n")


def _head_one(
    ctx: CommandContext, f: IO[bytes], lines: bool, n: int, neg: bool, sep: bytes
) -> None:
    w = ctx.stdout.write
    if lines:
        if not neg:
            if n == 0:
                return
            for count, line in enumerate(_lines(ctx, f, sep), 1):
                w(line)
                if count >= n:
                    return
            return
        buf: collections.deque[bytes] = collections.deque()
        for line in _lines(ctx, f, sep):
            buf.append(line)
            if len(buf) > n:
                w(buf.popleft())
        return
    if not neg:
        left = n
        read = getattr(f, "read1", None) or f.read
        while left > 0:
            ctx.check()
            data = read(min(left, _CHUNK))
            if not data:
                return
            w(data)
            left -= len(data)
        return
    pending = bytearray()
    for chunk in _chunks(ctx, f):
        pending += chunk
        if len(pending) > n:
            cut = len(pending) - n
            w(bytes(pending[:cut]))
            del pending[:cut]


def _parse_count_arg(ctx: CommandContext, val: str, lines: bool) -> tuple[int, str]:
    """head/tail -n/-c argument: (count, sign) where sign is '', '-' or '+'."""
    sign = ""
    body = val
    if body and body[0] in "+-":
        sign = body[0]
        body = body[1:]
    n = _parse_size(body)
    if n is None:
        what = "lines" if lines else "bytes"
        raise CommandError(f"invalid number of {what}: {_ql(val)}")
    return n, sign


@command("head")
def head(ctx: CommandContext) -> int:
    """Usage: head [OPTION]... [FILE]...
    Print the first 10 lines of each FILE to standard output; with more than
    one FILE, precede each with a header giving the file name.

      -c, --bytes=[-]NUM    print the first NUM bytes; with '-', all but the last NUM
      -n, --lines=[-]NUM    print the first NUM lines; with '-', all but the last NUM
      -NUM                  same as -n NUM
      -q, --quiet, --silent never print headers giving file names
      -v, --verbose         always print headers giving file names
      -z, --zero-terminated line delimiter is NUL, not newline
    """
    args = list(ctx.args)
    lines = True
    n = 10
    neg = False
    header: bool | None = None
    sep = b"\n"
    if args and re.match(r"-\d", args[0]):
        m = re.fullmatch(r"-(\d+)(.*)", args.pop(0))
        assert m
        n = int(m.group(1))
        for ch in m.group(2):
            if ch == "c":
                lines = False
            elif ch in "bkm":
                lines = False
                n *= {"b": 512, "k": 1024, "m": 1024 * 1024}[ch]
            elif ch == "l":
                lines = True
            elif ch == "q":
                header = False
            elif ch == "v":
                header = True
            elif ch == "z":
                sep = b"\0"
            else:
                raise _usage_error(ctx, f"invalid trailing option -- {ch}")
    opts, files = _getopt(
        ctx,
        args,
        "c:n:qvz0123456789",
        {
            "bytes=": "c",
            "lines=": "n",
            "quiet": "q",
            "silent": "q",
            "verbose": "v",
            "zero-terminated": "z",
        },
    )
    for k, v in opts:
        if k in "cn":
            assert v is not None
            lines = k == "n"
            n, sign = _parse_count_arg(ctx, v, lines)
            neg = sign == "-"
        elif k.isdigit():
            raise _usage_error(ctx, f"invalid trailing option -- {k}")
        elif k == "q":
            header = False
        elif k == "v":
            header = True
        elif k == "z":
            sep = b"\0"
    if not files:
        files = ["-"]
    if header is None:
        header = len(files) > 1
    status = 0
    first = True
    for name in files:
        f, why = _open(ctx, name)
        if f is None:
            if why == "Is a directory":
                if header:
                    _header(ctx, name, first)
                    first = False
                ctx.err(f"error reading {_q(name)}: {why}")
            else:
                ctx.err(f"cannot open {_q(name)} for reading: {why}")
            status = 1
            continue
        try:
            if header:
                _header(ctx, name, first)
                first = False
            _head_one(ctx, f, lines, n, neg, sep)
        finally:
            _close(ctx, f)
    return status


def _tail_lines_seek(ctx: CommandContext, f: IO[bytes], n: int, sep: bytes) -> bytes:
    """The last ``n`` lines of a seekable file, reading backwards."""
    end = f.seek(0, os.SEEK_END)
    if n == 0 or end == 0:
        return b""
    blocks: list[bytes] = []
    pos = end
    count = 0
    trailing = True
    while pos > 0:
        ctx.check()
        size = min(_CHUNK, pos)
        pos -= size
        f.seek(pos)
        block = f.read(size)
        blocks.append(block)
        scan = block
        if trailing:
            trailing = False
            if scan.endswith(sep):
                scan = scan[:-1]
        count += scan.count(sep)
        if count >= n:
            break
    data = b"".join(reversed(blocks))
    limit = len(data) - 1 if data.endswith(sep) else len(data)
    idx = limit
    for _ in range(n):
        idx = data.rfind(sep, 0, idx)
        if idx < 0:
            return data
    return data[idx + 1 :]


def _tail_one(
    ctx: CommandContext, f: IO[bytes], lines: bool, n: int, plus: bool, sep: bytes
) -> None:
    w = ctx.stdout.write
    if plus:
        skip = max(n - 1, 0)
        if lines:
            it = _lines(ctx, f, sep)
            if skip:
                for i, _line in enumerate(it, 1):
                    if i >= skip:
                        break
            for line in it:
                w(line)
            return
        read = getattr(f, "read1", None) or f.read
        while skip > 0:
            ctx.check()
            data = read(min(skip, _CHUNK))
            if not data:
                return
            skip -= len(data)
        for chunk in _chunks(ctx, f):
            w(chunk)
        return
    seekable = False
    if f is not ctx.stdin:
        try:
            seekable = f.seekable() and statmod.S_ISREG(os.fstat(f.fileno()).st_mode)
        except (OSError, AttributeError, ValueError):
            seekable = False
    if lines:
        if seekable:
            w(_tail_lines_seek(ctx, f, n, sep))
            return
        if n == 0:
            for _ in _chunks(ctx, f):
                pass
            return
        buf: collections.deque[bytes] = collections.deque(maxlen=n)
        for line in _lines(ctx, f, sep):
            buf.append(line)
        for line in buf:
            w(line)
        return
    if seekable:
        end = f.seek(0, os.SEEK_END)
        f.seek(max(end - n, 0))
        for chunk in _chunks(ctx, f):
            w(chunk)
        return
    keep = bytearray()
    for chunk in _chunks(ctx, f):
        keep += chunk
        if len(keep) > n:
            del keep[: len(keep) - n]
    w(bytes(keep))


@command("tail")
def tail(ctx: CommandContext) -> int:
    """Usage: tail [OPTION]... [FILE]...
    Print the last 10 lines of each FILE to standard output; with more than
    one FILE, precede each with a header giving the file name.

      -c, --bytes=[+]NUM    output the last NUM bytes; or from byte NUM on with '+'
      -n, --lines=[+]NUM    output the last NUM lines; or from line NUM on with '+'
      -NUM, +NUM            same as -n NUM / -n +NUM (single FILE only)
      -q, --quiet, --silent never output headers giving file names
      -v, --verbose         always output headers giving file names
      -z, --zero-terminated line delimiter is NUL, not newline
    -f / -F / --follow are not supported (the shell runs each command to completion).
    """
    args = list(ctx.args)
    lines = True
    n = 10
    plus = False
    header: bool | None = None
    sep = b"\n"
    nargs = len(args)
    if args and (
        nargs == 1
        or (nargs == 2 and not (args[1].startswith("-") and len(args[1]) > 1))
        or (nargs in (2, 3) and args[1] == "--")
    ):
        m = re.fullmatch(r"([-+])(\d*)([bcl]?)(f?)", args[0])
        if m and args[0] not in ("-", "-c"):
            args.pop(0)
            plus = m.group(1) == "+"
            n = int(m.group(2)) if m.group(2) else 10
            if m.group(3) in ("b", "c"):
                lines = False
                if m.group(3) == "b":
                    n *= 512
            if m.group(4):
                raise CommandError("-f (follow) is not supported in the corral shell", 1)
    opts, files = _getopt(
        ctx,
        args,
        "c:n:qvzfFs:0123456789",
        {
            "bytes=": "c",
            "lines=": "n",
            "quiet": "q",
            "silent": "q",
            "verbose": "v",
            "zero-terminated": "z",
            "follow?": "f",
            "retry": "retry",
            "sleep-interval=": "s",
            "pid=": "pid",
            "max-unchanged-stats=": "mus",
        },
    )
    for k, v in opts:
        if k in "cn":
            assert v is not None
            lines = k == "n"
            n, sign = _parse_count_arg(ctx, v, lines)
            plus = sign == "+"
        elif k == "q":
            header = False
        elif k == "v":
            header = True
        elif k == "z":
            sep = b"\0"
        elif k.isdigit():
            raise CommandError(f"option used in invalid context -- {k}", 1)
        elif k in ("f", "F"):
            raise CommandError(
                f"-{k} (follow) is not supported in the corral shell: "
                "each command runs to completion; use tail -n N instead",
                1,
            )
    if not files:
        files = ["-"]
    if header is None:
        header = len(files) > 1
    status = 0
    first = True
    for name in files:
        f, why = _open(ctx, name)
        if f is None:
            if why == "Is a directory":
                if header:
                    _header(ctx, name, first)
                    first = False
                ctx.err(f"error reading {_q(name)}: {why}")
            else:
                ctx.err(f"cannot open {_q(name)} for reading: {why}")
            status = 1
            continue
        try:
            if header:
                _header(ctx, name, first)
                first = False
            _tail_one(ctx, f, lines, n, plus, sep)
        finally:
            _close(ctx, f)
    return status


# --------------------------------------------------------------------------
# wc
# --------------------------------------------------------------------------

_WC_NEUTRAL = bytes([*range(0, 9), *range(14, 32), 127])
_UTF8_CONT = bytes(range(0x80, 0xC0))


class _WcCounts:
    def __init__(self) -> None:
        self.lines = 0
        self.words = 0
        self.chars = 0
        self.bytes = 0
        self.maxlen = 0


def _wc_file(
    ctx: CommandContext, f: IO[bytes], want_words: bool, want_chars: bool, want_max: bool
) -> _WcCounts:
    c = _WcCounts()
    in_word = False
    linepos = 0
    for chunk in _chunks(ctx, f):
        c.bytes += len(chunk)
        c.lines += chunk.count(b"\n")
        if want_chars:
            c.chars += len(chunk.translate(None, _UTF8_CONT))
        if want_words:
            body = chunk.translate(None, _WC_NEUTRAL)
            if body:
                parts = body.split()
                c.words += len(parts)
                if in_word and not body[:1].isspace():
                    c.words -= 1
                in_word = not body[-1:].isspace()
        if want_max:
            for ch in decode(chunk):
                if ch in "\n\r\f":
                    c.maxlen = max(c.maxlen, linepos)
                    linepos = 0
                elif ch == "\t":
                    linepos += 8 - linepos % 8
                elif ch == "\v":
                    pass
                elif ch.isprintable() or ch == " ":
                    linepos += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    c.maxlen = max(c.maxlen, linepos)
    return c


@command("wc")
def wc(ctx: CommandContext) -> int:
    """Usage: wc [OPTION]... [FILE]...
    Print newline, word, and byte counts for each FILE, and a total line if
    more than one FILE is specified. A word is a non-zero-length sequence of
    printable characters delimited by white space.

      -c, --bytes            print the byte counts
      -m, --chars            print the character counts (UTF-8 characters)
      -l, --lines            print the newline counts
      -L, --max-line-length  print the maximum display width
      -w, --words            print the word counts
    """
    opts, files = _getopt(
        ctx,
        ctx.args,
        "clLmw",
        {
            "bytes": "c",
            "chars": "m",
            "lines": "l",
            "max-line-length": "L",
            "words": "w",
            "files0-from=": "files0",
        },
    )
    flags = {k for k, _ in opts}
    if "files0" in flags:
        raise CommandError("--files0-from is not supported")
    if not flags:
        flags = {"l", "w", "c"}
    order = [k for k in ("l", "w", "m", "c", "L") if k in flags]
    names = files or [None]
    # Column width, as GNU computes it from the inputs' sizes.
    if len(names) == 1 and len(order) == 1:
        width = 1
    else:
        width = 1
        minimum = 1
        total_size = 0
        for name in names:
            try:
                if name is None or name == "-":
                    st = os.fstat(ctx.stdin.fileno())
                else:
                    st = ctx.resolve(name).stat()
            except (CommandError, OSError, ValueError):
                if name is None or name == "-":
                    minimum = 7
                continue
            if statmod.S_ISREG(st.st_mode):
                total_size += st.st_size
            else:
                minimum = 7
        while total_size >= 10:
            width += 1
            total_size //= 10
        width = max(width, minimum)

    def show(c: _WcCounts, label: str | None) -> None:
        vals = {"l": c.lines, "w": c.words, "m": c.chars, "c": c.bytes, "L": c.maxlen}
        cols = [f"{vals[k]:>{width}}" for k in order]
        ctx.out(" ".join(cols) + (f" {label}" if label is not None else "") + "\n")

    total = _WcCounts()
    status = 0
    for name in names:
        f, why = _open(ctx, name or "-")
        if f is None:
            ctx.err(f"{_qf(name or '-')}: {why}")
            status = 1
            if why == "Is a directory":
                show(_WcCounts(), name)
            continue
        try:
            c = _wc_file(ctx, f, "w" in flags, "m" in flags, "L" in flags)
        finally:
            _close(ctx, f)
        total.lines += c.lines
        total.words += c.words
        total.chars += c.chars
        total.bytes += c.bytes
        total.maxlen = max(total.maxlen, c.maxlen)
        show(c, name)
    if len(names) > 1:
        show(total, "total")
    return status


# --------------------------------------------------------------------------
# cut
# --------------------------------------------------------------------------

_INF = 1 << 62


def _cut_list(ctx: CommandContext, spec: str, pos: bool) -> list[tuple[int, int]]:
    """Parse a cut LIST (``1,3-5,7-``) the way GNU set_fields does."""

    def fail(msg: str) -> CommandError:
        return _usage_error(ctx, msg)

    zero = "byte/character positions are numbered from 1" if pos else "fields are numbered from 1"
    ranges: list[tuple[int, int]] = []
    initial = 1
    value = 0
    lhs = rhs = dash = False
    i = 0
    s = spec
    while True:
        c = s[i] if i < len(s) else ""
        if c == "-":
            if dash:
                raise fail("invalid byte or character range" if pos else "invalid field range")
            dash = True
            i += 1
            if lhs and not value:
                raise fail(zero)
            initial = value if lhs else 1
            value = 0
        elif c in (",", " ", "\t", ""):
            if dash:
                dash = False
                if not lhs and not rhs:
                    raise fail("invalid range with no endpoint: -")
                if not rhs:
                    ranges.append((initial, _INF))
                else:
                    if value < initial:
                        raise fail("invalid decreasing range")
                    ranges.append((initial, value))
                value = 0
            else:
                if value == 0:
                    raise fail(zero)
                ranges.append((value, value))
                value = 0
            if c == "":
                break
            i += 1
            lhs = rhs = False
        elif c.isdigit() and c in "0123456789":
            if dash:
                rhs = True
            else:
                lhs = True
            value = value * 10 + int(c)
            i += 1
        else:
            what = "invalid byte/character position" if pos else "invalid field value"
            raise fail(f"{what} {_ql(s[i:])}")
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _complement_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    nxt = 1
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt < _INF:
        out.append((nxt, _INF))
    return out


@command("cut")
def cut(ctx: CommandContext) -> int:
    """Usage: cut OPTION... [FILE]...
    Print selected parts of lines from each FILE to standard output.

      -b, --bytes=LIST        select only these bytes
      -c, --characters=LIST   select only these characters (bytes, as GNU cut)
      -d, --delimiter=DELIM   use DELIM instead of TAB for field delimiter
      -f, --fields=LIST       select only these fields; also print any line
                              that contains no delimiter, unless -s
      -n                      (ignored)
          --complement        complement the set of selected bytes or fields
      -s, --only-delimited    do not print lines not containing delimiters
          --output-delimiter=STRING  use STRING as the output delimiter
      -z, --zero-terminated   line delimiter is NUL, not newline
    LIST is one or more ranges separated by commas: N, N-M, N-, -M.
    """
    opts, files = _getopt(
        ctx,
        ctx.args,
        "b:c:d:f:nsz",
        {
            "bytes=": "b",
            "characters=": "c",
            "delimiter=": "d",
            "fields=": "f",
            "only-delimited": "s",
            "zero-terminated": "z",
            "complement": "complement",
            "output-delimiter=": "od",
        },
    )
    mode = ""
    spec = ""
    delim: bytes | None = None
    only_delim = False
    complement = False
    out_delim: bytes | None = None
    sep = b"\n"
    for k, v in opts:
        if k in ("b", "c", "f"):
            if mode:
                raise _usage_error(ctx, "only one list may be specified")
            mode = "f" if k == "f" else "b"
            spec = v or ""
        elif k == "d":
            d = encode(v or "")
            if len(d) > 1:
                raise _usage_error(ctx, "the delimiter must be a single character")
            delim = d or b"\0"
        elif k == "s":
            only_delim = True
        elif k == "z":
            sep = b"\0"
        elif k == "complement":
            complement = True
        elif k == "od":
            out_delim = encode(v or "") or b"\0"
    if not mode:
        raise _usage_error(ctx, "you must specify a list of bytes, characters, or fields")
    if mode == "b" and delim is not None:
        raise _usage_error(ctx, "an input delimiter may be specified only when operating on fields")
    if mode == "b" and only_delim:
        raise _usage_error(
            ctx, "suppressing non-delimited lines makes sense\n\tonly when operating on fields"
        )
    ranges = _cut_list(ctx, spec, mode == "b")
    if complement:
        ranges = _complement_ranges(ranges)
    if delim is None:
        delim = b"\t"
    od = out_delim if out_delim is not None else (delim if mode == "f" else b"")

    # Precompute small index sets for speed; ranges reaching far are tested on demand.
    def selected(k: int) -> bool:
        for lo, hi in ranges:
            if k < lo:
                return False
            if k <= hi:
                return True
        return False

    starts = {lo for lo, _ in ranges}
    status = 0
    w = ctx.stdout.write
    for name in files or ["-"]:
        f, why = _open(ctx, name)
        if f is None:
            ctx.err(f"{_qf(name)}: {why}")
            status = 1
            continue
        if mode == "f":
            try:
                _cut_fields(ctx, f, sep, delim, od, ranges, only_delim, w)
            finally:
                _close(ctx, f)
            continue
        try:
            for line in _lines(ctx, f, sep):
                body = line[:-1] if line.endswith(sep) else line
                if mode == "b":
                    out = bytearray()
                    n = len(body)
                    first = True
                    for lo, hi in ranges:
                        if lo > n:
                            break
                        if od and not first and lo in starts:
                            out += od
                        out += body[lo - 1 : min(hi, n)]
                        first = False
                    w(bytes(out) + sep)
                else:
                    if delim not in body:
                        if not only_delim:
                            w(body + sep)
                        continue
                    fields = body.split(delim)
                    picked = [fld for i, fld in enumerate(fields, 1) if selected(i)]
                    w(od.join(picked) + sep)
        finally:
            _close(ctx, f)
    return status


def _cut_fields(
    ctx: CommandContext,
    f: IO[bytes],
    sep: bytes,
    delim: bytes,
    od: bytes,
    ranges: list[tuple[int, int]],
    only_delim: bool,
    w: Callable[[bytes], object],
) -> None:
    """``cut -f``: each line split at most as far as the last field wanted (the
    ranges are sorted and disjoint, so the fields are slices in order); a batch of
    lines written at once."""
    last = ranges[-1][1]
    maxsplit = last if last < _INF else -1
    slices = [(lo - 1, hi) for lo, hi in ranges]
    one = slices[0] if len(slices) == 1 else None
    limit = max_string(ctx.ws.budget)
    for batch in record_batches(ctx.check, f, sep, limit):
        if one is not None:
            # one range: a comprehension (no statement per line); a line without the
            # delimiter whole (or dropped with -s), with fewer fields than wanted empty
            k, hi = one
            split = bytes.split
            if only_delim:
                batch = [body for body in batch if delim in body]
            if k == 0 and od == delim and hi < _INF:
                # fields 1..hi: the line up to the hi-th delimiter (the rest split off
                # once and cut away by length; no join), the whole line with fewer
                picked = [
                    body[: len(body) - len(fields[hi]) - len(delim)] if len(fields) > hi else body
                    for body in batch
                    for fields in (split(body, delim, hi),)
                ]
            elif hi == k + 1:
                picked = [
                    fields[k] if len(fields) > k else body if len(fields) == 1 else b""
                    for body in batch
                    for fields in (split(body, delim, maxsplit),)
                ]
            else:
                join = od.join
                picked = [
                    join(fields[k:hi]) if len(fields) > k else body if len(fields) == 1 else b""
                    for body in batch
                    for fields in (split(body, delim, maxsplit),)
                ]
            if picked:
                w(sep.join(picked) + sep)
            continue
        out: list[bytes] = []
        add = out.append
        for body in batch:
            if delim not in body:
                if not only_delim:
                    add(body)
                continue
            fields = body.split(delim, maxsplit)
            add(od.join([fld for lo, hi in slices for fld in fields[lo:hi]]))
        if out:
            w(sep.join(out) + sep)


# --------------------------------------------------------------------------
# tr
# --------------------------------------------------------------------------

_TR_CLASSES: dict[str, bytes] = {
    "alnum": bytes(c for c in range(128) if chr(c).isalnum()),
    "alpha": bytes(c for c in range(128) if chr(c).isalpha()),
    "blank": b"\t ",
    "cntrl": bytes([*range(32), 127]),
    "digit": b"0123456789",
    "graph": bytes(range(33, 127)),
    "lower": bytes(range(ord("a"), ord("z") + 1)),
    "print": bytes(range(32, 127)),
    "punct": bytes(c for c in range(33, 127) if not chr(c).isalnum()),
    "space": b"\t\n\v\f\r ",
    "upper": bytes(range(ord("A"), ord("Z") + 1)),
    "xdigit": b"0123456789ABCDEFabcdef",
}


class _TrSet:
    """An expanded tr SET: its bytes, and where [:upper:]/[:lower:] classes sit."""

    def __init__(self) -> None:
        self.chars: list[int] = []
        self.case_classes: dict[int, str] = {}  # start index -> class name
        self.fill: tuple[int, int] | None = None  # (index, byte) of a [c*] construct
        self.n_fill = 0
        self.has_class = False
        self.has_equiv = False
        self.restricted_class = False  # a class other than upper/lower
        self.last_kind = ""  # kind of the last element: char, range, class, repeat, equiv


def _tr_unescape(ctx: CommandContext, arg: str) -> list[tuple[int, bool]]:
    """Decode backslash escapes: [(byte, escaped)]."""
    raw = encode(arg)
    out: list[tuple[int, bool]] = []
    i = 0
    simple = {
        ord("a"): 7,
        ord("b"): 8,
        ord("f"): 12,
        ord("n"): 10,
        ord("r"): 13,
        ord("t"): 9,
        ord("v"): 11,
    }
    while i < len(raw):
        c = raw[i]
        if c == 0x5C:  # backslash
            if i + 1 >= len(raw):
                ctx.err("warning: an unescaped backslash at end of string is not portable")
                out.append((c, True))
                i += 1
                continue
            d = raw[i + 1]
            if d in simple:
                out.append((simple[d], True))
                i += 2
            elif 0x30 <= d <= 0x37:
                j = i + 1
                val = 0
                while j < len(raw) and j < i + 4 and 0x30 <= raw[j] <= 0x37:
                    nval = val * 8 + raw[j] - 0x30
                    if nval > 255:
                        break
                    val = nval
                    j += 1
                out.append((val, True))
                i = j
            else:
                out.append((d, True))
                i += 2
        else:
            out.append((c, False))
            i += 1
    return out


def _tr_parse(ctx: CommandContext, arg: str, is_set2: bool) -> _TrSet:
    seq = _tr_unescape(ctx, arg)
    res = _TrSet()
    n = len(seq)
    i = 0

    def is_(k: int, ch: str) -> bool:
        return k < n and seq[k][0] == ord(ch) and not seq[k][1]

    while i < n:
        c, _esc = seq[i]
        if is_(i, "[") and i + 1 < n:
            # [:class:] and [=c=]
            if is_(i + 1, ":") or is_(i + 1, "="):
                kind = chr(seq[i + 1][0])
                j = i + 2
                while j + 1 < n and not (is_(j, kind) and is_(j + 1, "]")):
                    j += 1
                if j + 1 < n and j > i + 2:
                    body = bytes(b for b, _ in seq[i + 2 : j])
                    if kind == ":":
                        name = decode(body)
                        if name not in _TR_CLASSES:
                            raise CommandError(f"invalid character class {_ql(name)}")
                        if name in ("upper", "lower"):
                            res.case_classes[len(res.chars)] = name
                        else:
                            res.restricted_class = True
                        res.has_class = True
                        res.last_kind = "class"
                        res.chars.extend(_TR_CLASSES[name])
                    else:
                        if len(body) != 1:
                            raise CommandError(
                                f"{decode(body)}: equivalence class operand must be "
                                "a single character"
                            )
                        res.chars.append(body[0])
                        res.has_equiv = True
                        res.last_kind = "equiv"
                    i = j + 2
                    continue
            # [c*n]
            if i + 2 < n and is_(i + 2, "*"):
                j = i + 3
                while j < n and not is_(j, "]"):
                    j += 1
                if j < n:
                    if not is_set2:
                        raise CommandError("the [c*] repeat construct may not appear in string1")
                    count_s = bytes(b for b, _ in seq[i + 3 : j]).decode("latin-1")
                    ch = seq[i + 1][0]
                    res.last_kind = "repeat"
                    if count_s == "":
                        res.fill = (len(res.chars), ch)
                        res.n_fill += 1
                    else:
                        try:
                            count = int(count_s, 8 if count_s.startswith("0") else 10)
                        except ValueError:
                            raise CommandError(
                                f"invalid repeat count {_ql(count_s)} in [c*n] construct"
                            ) from None
                        if count == 0:
                            res.fill = (len(res.chars), ch)
                            res.n_fill += 1
                        else:
                            res.chars.extend([ch] * count)
                    i = j + 1
                    continue
        if i + 2 < n and is_(i + 1, "-"):
            lo, hi = c, seq[i + 2][0]
            if hi < lo:
                a = chr(lo) if 32 <= lo < 127 else f"\\{lo:03o}"
                b = chr(hi) if 32 <= hi < 127 else f"\\{hi:03o}"
                raise CommandError(
                    f"range-endpoints of {_ql(a + '-' + b)} are in reverse collating sequence order"
                )
            res.chars.extend(range(lo, hi + 1))
            res.last_kind = "range"
            i += 3
            continue
        res.chars.append(c)
        res.last_kind = "char"
        i += 1
    return res


@command("tr")
def tr(ctx: CommandContext) -> int:
    """Usage: tr [OPTION]... SET1 [SET2]
    Translate, squeeze, and/or delete characters from standard input,
    writing to standard output.

      -c, -C, --complement    use the complement of SET1
      -d, --delete            delete characters in SET1, do not translate
      -s, --squeeze-repeats   replace each sequence of a repeated character
                              that is listed in the last specified SET
      -t, --truncate-set1     first truncate SET1 to length of SET2
    SETs use \\n \\t \\\\ \\NNN escapes, ranges CHAR1-CHAR2, [CHAR*] and [CHAR*REPEAT]
    (SET2 only), [=CHAR=] and the classes [:alnum:] [:alpha:] [:blank:] [:cntrl:]
    [:digit:] [:graph:] [:lower:] [:print:] [:punct:] [:space:] [:upper:] [:xdigit:].
    """
    opts, operands = _getopt(
        ctx,
        ctx.args,
        "cCdst",
        {
            "complement": "c",
            "delete": "d",
            "squeeze-repeats": "s",
            "truncate-set1": "t",
        },
        stop_at_operand=True,  # GNU tr: `tr a -z`, `tr '+=' '-:'` (sets, not options)
    )
    flags = {k for k, _ in opts}
    complement = bool(flags & {"c", "C"})
    delete = "d" in flags
    squeeze = "s" in flags
    truncate = "t" in flags
    nargs = len(operands)
    min_ops = 1 + (delete == squeeze)
    max_ops = 1 + (delete <= squeeze)
    if nargs < min_ops:
        if nargs == 0:
            raise _usage_error(ctx, "missing operand")
        extra = (
            "Two strings must be given when both deleting and squeezing repeats."
            if squeeze
            else "Two strings must be given when translating."
        )
        raise _usage_error(ctx, f"missing operand after {_ql(operands[-1])}\n{extra}")
    if nargs > max_ops:
        msg = f"extra operand {_ql(operands[max_ops])}"
        if nargs == 2:
            msg += "\nOnly one string may be given when deleting without squeezing repeats."
        raise _usage_error(ctx, msg)
    translating = nargs == 2 and not delete
    s1 = _tr_parse(ctx, operands[0], False)
    s2 = _tr_parse(ctx, operands[1], True) if nargs == 2 else None
    set1 = s1.chars
    if complement:
        present = set(set1)
        set1 = [c for c in range(256) if c not in present]
    table: bytes | None = None
    if s2 is not None and s2.n_fill > 1:
        raise CommandError("only one [c*] repeat construct may appear in string2")
    if s2 is not None and not translating and s2.n_fill:
        raise CommandError("the [c*] construct may appear in string2 only when translating")
    if translating:
        assert s2 is not None
        if s2.has_equiv:
            raise CommandError("[=c=] expressions may not appear in string2 when translating")
        if s2.restricted_class:
            raise CommandError(
                "when translating, the only character classes that may appear in\n"
                "string2 are 'upper' and 'lower'"
            )
        if not complement:
            for start in s2.case_classes:
                if s1.case_classes.get(start) not in ("upper", "lower"):
                    raise CommandError("misaligned [:upper:] and/or [:lower:] construct")
        set2 = list(s2.chars)
        if s2.fill is not None:
            idx, ch = s2.fill
            need = max(len(set1) - len(set2), 0)
            set2[idx:idx] = [ch] * need
        if len(set1) > len(set2):
            if truncate:
                set1 = set1[: len(set2)]
            else:
                if not set2:
                    raise CommandError("when not truncating set1, string2 must be non-empty")
                if s2.last_kind == "class":
                    raise CommandError(
                        "when translating with string1 longer than string2,\n"
                        "the latter string must not end with a character class"
                    )
                set2 = set2 + [set2[-1]] * (len(set1) - len(set2))
        if complement and s1.has_class and (len(set2) != len(set1) or len(set(set2)) > 1):
            raise CommandError(
                "when translating with complemented character classes,\n"
                "string2 must map all characters in the domain to one"
            )
        t = bytearray(range(256))
        for a, b in zip(set1, set2, strict=False):
            t[a] = b
        table = bytes(t)
    delete_bytes = bytes(sorted(set(set1))) if delete else None
    squeeze_set: bytes | None = None
    if squeeze:
        if nargs == 2:
            assert s2 is not None
            sq = list(s2.chars)
            if s2.fill is not None:
                sq.append(s2.fill[1])
            squeeze_set = bytes(sorted(set(sq)))
        else:
            squeeze_set = bytes(sorted(set(set1)))
    squeeze_re = None
    if squeeze_set:
        cls = b"".join(re.escape(bytes([c])) for c in squeeze_set)
        squeeze_re = re.compile(b"([" + cls + b"])\\1+")
    last = -1
    w = ctx.stdout.write
    for chunk in _chunks(ctx, ctx.stdin):
        if delete_bytes is not None:
            chunk = chunk.translate(None, delete_bytes)
        if table is not None:
            chunk = chunk.translate(table)
        if squeeze_re is not None and squeeze_set and chunk:
            chunk = squeeze_re.sub(b"\\1", chunk)
            if last >= 0 and last in squeeze_set:
                k = 0
                while k < len(chunk) and chunk[k] == last:
                    k += 1
                chunk = chunk[k:]
            if chunk:
                last = chunk[-1]
        if chunk:
            w(chunk)
    return 0


# --------------------------------------------------------------------------
# sort
# --------------------------------------------------------------------------

_BLANKS = frozenset(b" \t\n")
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            b"JAN",
            b"FEB",
            b"MAR",
            b"APR",
            b"MAY",
            b"JUN",
            b"JUL",
            b"AUG",
            b"SEP",
            b"OCT",
            b"NOV",
            b"DEC",
        ],
        1,
    )
}
_UNIT_ORDER = {c: i for i, c in enumerate(b"KMGTPEZY", 1)}
_UNIT_ORDER[ord("k")] = 1
_NUM_RE = re.compile(rb"[ \t\n]*(-?)(\d*)(?:\.(\d*))?")
_FLOAT_RE = re.compile(
    rb"[ \t\n\v\f\r]*([-+]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][-+]?\d+)?"
    rb"|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?|nan(?:\([\w]*\))?))",
    re.IGNORECASE,
)
_ISPRINT = bytes(range(32, 127))
_NONPRINT = bytes(c for c in range(256) if c not in _ISPRINT)
_NONDICT = bytes(c for c in range(256) if not (chr(c).isalnum() and c < 128) and c not in b" \t")
_UPPER_TABLE = bytes(range(256)).translate(
    bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
)


class _Key:
    def __init__(self) -> None:
        self.sword = 0
        self.schar = 0
        self.eword = -1  # -1: end of line
        self.echar = 0
        self.skipsblanks = False
        self.skipeblanks = False
        self.numeric = False
        self.general = False
        self.human = False
        self.month = False
        self.version = False
        self.random = False
        self.reverse = False
        self.dictionary = False
        self.nonprint = False
        self.fold = False

    def default_compare(self) -> bool:
        return not (
            self.dictionary
            or self.nonprint
            or self.fold
            or self.skipsblanks
            or self.skipeblanks
            or self.month
            or self.numeric
            or self.general
            or self.human
            or self.version
            or self.random
        )

    def set_flag(self, c: str, end: bool) -> bool:
        if c == "b":
            if end:
                self.skipeblanks = True
            else:
                self.skipsblanks = True
        elif c == "d":
            self.dictionary = True
        elif c == "f":
            self.fold = True
        elif c == "g":
            self.general = True
        elif c == "h":
            self.human = True
        elif c == "i":
            self.nonprint = True
        elif c == "M":
            self.month = True
        elif c == "n":
            self.numeric = True
        elif c == "R":
            self.random = True
        elif c == "r":
            self.reverse = True
        elif c == "V":
            self.version = True
        else:
            return False
        return True

    def opts_string(self) -> str:
        flags = [
            ("b", self.skipsblanks or self.skipeblanks),
            ("d", self.dictionary),
            ("f", self.fold),
            ("g", self.general),
            ("h", self.human),
            ("i", self.nonprint),
            ("M", self.month),
            ("n", self.numeric),
            ("R", self.random),
            ("r", self.reverse),
            ("V", self.version),
        ]
        return "".join(c for c, on in flags if on)

    def incompatible(self) -> str | None:
        n = (
            self.numeric
            + self.general
            + self.human
            + self.month
            + (self.version or self.random or self.dictionary or self.nonprint)
        )
        if n > 1:
            flags = [
                ("d", self.dictionary),
                ("f", self.fold),
                ("g", self.general),
                ("h", self.human),
                ("i", self.nonprint),
                ("M", self.month),
                ("n", self.numeric),
                ("R", self.random),
                ("V", self.version),
            ]
            return "".join(c for c, on in flags if on)
        return None


def _sort_parse_key(ctx: CommandContext, spec: str) -> _Key:
    key = _Key()

    def bad(msg: str) -> CommandError:
        return CommandError(f"{msg}: invalid field specification {_ql(spec)}", 2)

    def count(s: str, i: int, what: str) -> tuple[int, int]:
        j = i
        while j < len(s) and s[j].isdigit() and s[j] in "0123456789":
            j += 1
        if j == i:
            raise CommandError(f"{what}: invalid count at start of {_ql(s[i:])}", 2)
        return int(s[i:j]), j

    n, i = count(spec, 0, "invalid number at field start")
    if n == 0:
        raise bad("field number is zero")
    key.sword = n - 1
    if i < len(spec) and spec[i] == ".":
        c, i = count(spec, i + 1, "invalid number after '.'")
        if c == 0:
            raise bad("character offset is zero")
        key.schar = c - 1
    while i < len(spec) and key.set_flag(spec[i], False):
        i += 1
    if i < len(spec) and spec[i] == ",":
        n, i = count(spec, i + 1, "invalid number after ','")
        if n == 0:
            raise bad("field number is zero")
        key.eword = n - 1
        if i < len(spec) and spec[i] == ".":
            key.echar, i = count(spec, i + 1, "invalid number after '.'")
        while i < len(spec) and key.set_flag(spec[i], True):
            i += 1
    if i < len(spec):
        raise bad("stray character in field spec")
    return key


_SKIP_FIELD = re.compile(rb"[ \t\n]*[^ \t\n]*")
_SKIP_BLANKS = re.compile(rb"[ \t\n]*")


def _skip_fields(line: bytes, count: int, tab: int | None, keep_last_tab: bool) -> int:
    """Offset after ``count`` fields (GNU begfield/limfield field walking)."""
    ptr = 0
    lim = len(line)
    if tab is not None:
        t = bytes([tab])
        while ptr < lim and count > 0:
            count -= 1
            idx = line.find(t, ptr)
            if idx < 0:
                return lim
            ptr = idx + 1 if (count or keep_last_tab) else idx
        return ptr
    while ptr < lim and count > 0:
        count -= 1
        m = _SKIP_FIELD.match(line, ptr)
        assert m
        ptr = m.end()
    return ptr


def _begfield(line: bytes, key: _Key, tab: int | None) -> int:
    ptr = _skip_fields(line, key.sword, tab, True)
    if key.skipsblanks:
        m = _SKIP_BLANKS.match(line, ptr)
        assert m
        ptr = m.end()
    return min(len(line), ptr + key.schar)


def _limfield(line: bytes, key: _Key, tab: int | None) -> int:
    lim = len(line)
    if key.eword < 0:
        return lim
    eword = key.eword
    echar = key.echar
    if echar == 0:
        eword += 1
    ptr = _skip_fields(line, eword, tab, echar != 0)
    if echar != 0:
        if key.skipeblanks:
            m = _SKIP_BLANKS.match(line, ptr)
            assert m
            ptr = m.end()
        ptr = min(lim, ptr + echar)
    return ptr


def _num_value(text: bytes) -> int | Decimal:
    m = _NUM_RE.match(text)
    assert m
    sign, ip, fp = m.groups()
    ip = ip or b"0"
    fp = fp or b""
    # an integer compares exactly with the Decimals of other lines, and is cheaper
    # (int() refuses more than 4,300 digits: long ones stay Decimals)
    if fp or len(ip) > 18:
        v: int | Decimal = Decimal(ip.decode() + ("." + fp.decode() if fp else ""))
    else:
        v = int(ip)
    return -v if sign and v else v


def _num_values(lines: list[bytes]) -> list[int | Decimal]:
    """``_num_value`` of every line; a line whose first word (after spaces and tabs) is
    all ASCII digits, as ``uniq -c`` writes them, is read without the regex."""
    return [
        int(word) if word.isdigit() and len(word) <= 18 else _num_value(line)
        for line in lines
        for word in (line.lstrip(b" \t").partition(b" ")[0],)
    ]


def _sort_numeric(lines: list[bytes]) -> None:
    """Sort in place by ``(_num_value(line), line)`` (``sort -n``'s order with the
    last-resort comparison): by bytes, then stably by the number alone; ints (and
    Decimals) compare without building a tuple per line."""
    lines.sort()
    if len(lines) > 1:
        # The first line's number and the byte that ends it begin the last line too:
        # then they begin every line between (sorted by bytes), all numbers are equal
        # and the byte order is the order (``sort -n`` over ``uniq -c`` of distinct lines)
        first = lines[0]
        m = _NUM_RE.match(first)
        assert m
        if m.end() < len(first) and lines[-1].startswith(first[: m.end() + 1]):
            return
    keys = _num_values(lines)
    order = sorted(range(len(lines)), key=keys.__getitem__)
    lines[:] = [lines[i] for i in order]


def _general_value(text: bytes) -> tuple[int, float]:
    m = _FLOAT_RE.match(text)
    if not m:
        return (0, 0.0)
    s = m.group(1).decode().lower()
    try:
        if "x" in s:
            v = float.fromhex(s)
        elif "nan" in s:
            return (1, 0.0)
        else:
            v = float(s)
    except (ValueError, OverflowError):
        return (0, 0.0)
    return (2, v)


def _unit_order(text: bytes) -> int:
    p = 0
    while p < len(text) and text[p] in _BLANKS:
        p += 1
    minus = p < len(text) and text[p] == 0x2D
    p += minus
    max_digit = 0
    while p < len(text) and 0x30 <= text[p] <= 0x39:
        max_digit = max(max_digit, text[p])
        p += 1
    if p < len(text) and text[p] == 0x2E:
        p += 1
        while p < len(text) and 0x30 <= text[p] <= 0x39:
            max_digit = max(max_digit, text[p])
            p += 1
    if max_digit > 0x30:
        order = _UNIT_ORDER.get(text[p], 0) if p < len(text) else 0
        return -order if minus else order
    return 0


def _month_value(text: bytes) -> int:
    t = text.lstrip(b" \t\n")[:3].upper()
    return _MONTHS.get(t, 0)


def _verrevcmp(s1: bytes, s2: bytes) -> int:
    def order(s: bytes, pos: int) -> int:
        if pos == len(s):
            return -1
        c = s[pos]
        if 0x30 <= c <= 0x39:
            return 0
        if 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A:
            return c
        if c == 0x7E:
            return -2
        return c + 256

    def isdig(s: bytes, pos: int) -> bool:
        return pos < len(s) and 0x30 <= s[pos] <= 0x39

    p1 = p2 = 0
    n1, n2 = len(s1), len(s2)
    while p1 < n1 or p2 < n2:
        first_diff = 0
        while (p1 < n1 and not isdig(s1, p1)) or (p2 < n2 and not isdig(s2, p2)):
            c1 = order(s1, p1)
            c2 = order(s2, p2)
            if c1 != c2:
                return c1 - c2
            p1 += 1
            p2 += 1
        while p1 < n1 and s1[p1] == 0x30:
            p1 += 1
        while p2 < n2 and s2[p2] == 0x30:
            p2 += 1
        while isdig(s1, p1) and isdig(s2, p2):
            if not first_diff:
                first_diff = s1[p1] - s2[p2]
            p1 += 1
            p2 += 1
        if isdig(s1, p1):
            return 1
        if isdig(s2, p2):
            return -1
        if first_diff:
            return first_diff
    return 0


def _file_prefixlen(s: bytes) -> int:
    n = len(s)
    prefixlen = 0
    i = 0
    while True:
        if i == n:
            return prefixlen
        i += 1
        prefixlen = i
        while (
            i + 1 < n
            and s[i] == 0x2E
            and ((chr(s[i + 1]).isalpha() and s[i + 1] < 128) or s[i + 1] == 0x7E)
        ):
            i += 2
            while i < n and ((chr(s[i]).isalnum() and s[i] < 128) or s[i] == 0x7E):
                i += 1


def _filevercmp(a: bytes, b: bytes) -> int:
    """gnulib filenvercmp: the ordering of sort -V and ls -v."""
    if not a or not b:
        return (not b) - (not a) if (not a) != (not b) else 0
    if a[:1] == b".":
        if b[:1] != b".":
            return -1
        adot = len(a) == 1
        bdot = len(b) == 1
        if adot or bdot:
            return bdot - adot
        adotdot = a == b".."
        bdotdot = b == b".."
        if adotdot or bdotdot:
            return bdotdot - adotdot
    elif b[:1] == b".":
        return 1
    ap = _file_prefixlen(a)
    bp = _file_prefixlen(b)
    one_pass = ap == len(a) and bp == len(b)
    r = _verrevcmp(a[:ap], b[:bp])
    if r or one_pass:
        return r
    return _verrevcmp(a, b)


class _Ver:
    __slots__ = ("v",)

    def __init__(self, v: bytes) -> None:
        self.v = v

    def __lt__(self, other: _Ver) -> bool:
        return _filevercmp(self.v, other.v) < 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ver) and _filevercmp(self.v, other.v) == 0

    __hash__ = None  # type: ignore[assignment]


class _Rev:
    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Rev) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rev) and bool(self.v == other.v)

    __hash__ = None  # type: ignore[assignment]


def _key_value(line: bytes, key: _Key, tab: int | None, salt: bytes) -> Any:
    if key.sword == 0 and key.schar == 0 and not key.skipsblanks:
        beg = 0
    else:
        beg = _begfield(line, key, tab)
    lim = _limfield(line, key, tab)
    text = line[beg : max(beg, lim)]
    if key.numeric:
        return _num_value(text)
    if key.general:
        return _general_value(text)
    if key.human:
        return (_unit_order(text), _num_value(text))
    if key.month:
        return _month_value(text)
    if key.nonprint:
        text = text.translate(None, _NONPRINT)
    if key.dictionary:
        text = text.translate(None, _NONDICT)
    if key.fold:
        text = text.translate(_UPPER_TABLE)
    if key.version:
        return _Ver(text)
    if key.random:
        return (hashlib.md5(salt + text).digest(), text)
    return text


@command("sort")
def sort(ctx: CommandContext) -> int:
    """Usage: sort [OPTION]... [FILE]...
    Write sorted concatenation of all FILE(s) to standard output (byte order,
    as in the C locale).

      -b, --ignore-leading-blanks  ignore leading blanks
      -d, --dictionary-order      consider only blanks and alphanumeric characters
      -f, --ignore-case           fold lower case to upper case characters
      -g, --general-numeric-sort  compare according to general numerical value
      -i, --ignore-nonprinting    consider only printable characters
      -M, --month-sort            compare (unknown) < 'JAN' < ... < 'DEC'
      -h, --human-numeric-sort    compare human readable numbers (e.g., 2K 1G)
      -n, --numeric-sort          compare according to string numerical value
      -R, --random-sort           shuffle, but group identical keys
      -r, --reverse               reverse the result of comparisons
      -V, --version-sort          natural sort of (version) numbers within text
      -c, --check                 check for sorted input; do not sort
      -C, --check=quiet           like -c, but do not report first bad line
      -k, --key=KEYDEF            sort via a key; KEYDEF gives location and type
      -m, --merge                 merge already sorted files
      -o, --output=FILE           write result to FILE instead of standard output
      -s, --stable                stabilize sort by disabling last-resort comparison
      -t, --field-separator=SEP   use SEP instead of non-blank to blank transition
      -u, --unique                output only the first of an equal run
      -z, --zero-terminated       line delimiter is NUL, not newline
    KEYDEF is F[.C][OPTS][,F[.C][OPTS]]; OPTS are one or more of bdfgiMhnRrV.
    -S, -T and --parallel are accepted and ignored.
    """
    opts, files = _getopt(
        ctx,
        ctx.args,
        "bcCdfghik:mMno:rRsS:t:T:uVz",
        {
            "ignore-leading-blanks": "b",
            "check?": "c",
            "dictionary-order": "d",
            "ignore-case": "f",
            "general-numeric-sort": "g",
            "human-numeric-sort": "h",
            "ignore-nonprinting": "i",
            "key=": "k",
            "merge": "m",
            "month-sort": "M",
            "numeric-sort": "n",
            "output=": "o",
            "reverse": "r",
            "random-sort": "R",
            "stable": "s",
            "buffer-size=": "S",
            "field-separator=": "t",
            "temporary-directory=": "T",
            "unique": "u",
            "version-sort": "V",
            "zero-terminated": "z",
            "parallel=": "parallel",
            "sort=": "sort",
            "random-source=": "random-source",
            "debug": "debug",
            "files0-from=": "files0",
            "compress-program=": "compress",
            "batch-size=": "batch",
        },
        status=2,
    )
    gkey = _Key()
    keys: list[_Key] = []
    check = ""
    output: str | None = None
    stable = unique = False
    tab: int | None = None
    sep = b"\n"
    for k, v in opts:
        if k == "k":
            keys.append(_sort_parse_key(ctx, v or ""))
        elif k == "c":
            if v is None or v in ("diagnose-first",):
                check = "c"
            elif v in ("quiet", "silent"):
                check = "C"
            else:
                raise _usage_error(ctx, f"invalid argument {_ql(v)} for '--check'", 2)
        elif k == "C":
            check = "C"
        elif k == "o":
            if output is not None and output != v:
                raise CommandError("multiple output files specified", 2)
            output = v
        elif k == "s":
            stable = True
        elif k == "u":
            unique = True
        elif k == "z":
            sep = b"\0"
        elif k == "t":
            t = encode(v or "")
            if len(t) != 1:
                if t == b"\\0":
                    t = b"\0"
                elif not t:
                    raise CommandError("empty tab", 2)
                else:
                    raise CommandError(f"multi-character tab {_ql(v or '')}", 2)
            if tab is not None and tab != t[0]:
                raise CommandError("incompatible tabs", 2)
            tab = t[0]
        elif k == "sort":
            word = {
                "general-numeric": "g",
                "human-numeric": "h",
                "month": "M",
                "numeric": "n",
                "random": "R",
                "version": "V",
            }.get(v or "")
            if word is None:
                raise _usage_error(ctx, f"invalid argument {_ql(v or '')} for '--sort'", 2)
            gkey.set_flag(word, False)
        elif k == "files0":
            raise CommandError("--files0-from is not supported", 2)
        elif k in ("S", "T", "m", "parallel", "random-source", "debug", "compress", "batch"):
            pass
        elif k == "b":
            gkey.skipsblanks = gkey.skipeblanks = True
        else:
            gkey.set_flag(k, False)
    # Keys without their own ordering options inherit the global ones.
    for key in keys:
        if key.default_compare() and not key.reverse:
            for attr in (
                "skipsblanks",
                "skipeblanks",
                "numeric",
                "general",
                "human",
                "month",
                "version",
                "random",
                "reverse",
                "dictionary",
                "nonprint",
                "fold",
            ):
                setattr(key, attr, getattr(gkey, attr))
    if not keys and not gkey.default_compare():
        keys = [gkey]
    for key in keys:
        bad = key.incompatible()
        if bad:
            raise CommandError(f"options '-{bad}' are incompatible", 2)
    reverse = gkey.reverse
    if not files:
        files = ["-"]
    if check and len(files) > 1:
        raise CommandError(f"extra operand {_q(files[1])} not allowed with -{check}", 2)
    salt = os.urandom(16) if any(k.random for k in keys) else b""

    def keyfunc(line: bytes) -> tuple[Any, ...]:
        vals = []
        for key in keys:
            v = _key_value(line, key, tab, salt)
            vals.append(_Rev(v) if key.reverse else v)
        return tuple(vals)

    last_resort = not (stable or unique)

    def full(line: bytes) -> tuple[Any, ...]:
        kv = keyfunc(line) if keys else ()
        if last_resort or not keys:
            return (*kv, _Rev(line) if reverse else line)
        return kv

    k0 = keys[0] if len(keys) == 1 else None
    plain_numeric = (
        k0 is not None
        and k0.numeric
        and not (k0.reverse or reverse or k0.skipsblanks)
        and (k0.sword, k0.schar, k0.eword) == (0, 0, -1)
        and last_resort
    )
    if plain_numeric:  # plain `sort -n`: the same key as full(), built directly

        def full(line: bytes) -> tuple[Any, ...]:
            return (_num_value(line), line)

    line_limit = max_string(ctx.ws.budget)

    def open_input(name: str) -> IO[bytes]:
        f, why = _open(ctx, name)
        if f is None:
            if why == "Is a directory":
                raise CommandError(f"read failed: {name}: {why}", 2)
            raise CommandError(f"cannot read: {name}: {why}", 2)
        return f

    if check:
        name = files[0]
        f = open_input(name)
        try:
            prev = None
            i = 0
            for batch in record_batches(ctx.check, f, sep, line_limit):
                for line in batch:
                    i += 1
                    cur = full(line)
                    if prev is not None and (cur < prev or (unique and not prev < cur)):
                        if check == "c":
                            ctx.stderr.write(encode(f"sort: {name}:{i}: disorder: ") + line + b"\n")
                        return 1
                    prev = cur
        finally:
            _close(ctx, f)
        return 0

    def sort_run(lines: list[bytes]) -> None:
        if not keys:  # equal lines are identical: no key, no stability to keep
            lines.sort(reverse=reverse)
        elif plain_numeric:
            _sort_numeric(lines)
        else:
            lines.sort(key=full)

    # Memory held per line besides its bytes: the object and its list slot, and
    # the decorated key that list.sort(key=...) keeps for every line.
    per_line = 56 + ((72 + 160 * len(keys)) if (keys or unique) else 0)
    with SpillDir(ctx.ws) as spill:
        sorter = ExternalSorter(
            ctx,
            spill,
            sep,
            per_line,
            sort_run,
            merge_key=full if keys else None,
            reverse=reverse and not keys,
            unique_key=keyfunc if keys else None,
            unique=unique,
            line_limit=line_limit,
            ties_identical=last_resort or not keys,
            run_bytes=external_sort.run_bytes(ctx.ws.budget.memory_mb),
        )
        for name in files:
            f = open_input(name)
            try:
                sorter.add_file(f)
            finally:
                _close(ctx, f)
        ordered = sorter.result()
        # All input is read (and spilled) before the output opens: -o may name an input.
        if output is not None:
            try:
                w = ctx.open_write(output)
            except CommandError as e:
                raise CommandError(f"open failed: {output}: {_reason(e, output)}", 2) from None
            except OSError as e:
                raise CommandError(f"{output}: {e.strerror or e}", 2) from None
            try:
                with w:
                    write_lines(ctx, ordered, sep, w.write)
            except OSError as e:
                raise CommandError(f"{output}: {e.strerror or e}", 2) from None
        else:
            write_lines(ctx, ordered, sep, ctx.stdout.write)
    return 0


# --------------------------------------------------------------------------
# uniq
# --------------------------------------------------------------------------


@command("uniq")
def uniq(ctx: CommandContext) -> int:
    """Usage: uniq [OPTION]... [INPUT [OUTPUT]]
    Filter adjacent matching lines from INPUT (or standard input),
    writing to OUTPUT (or standard output).

      -c, --count           prefix lines by the number of occurrences
      -d, --repeated        only print duplicate lines, one for each group
      -D                    print all duplicate lines
          --all-repeated[=METHOD]  like -D, but allow separating groups with an
                            empty line; METHOD={none(default),prepend,separate}
      -f, --skip-fields=N   avoid comparing the first N fields
          --group[=METHOD]  show all items, separating groups with an empty line;
                            METHOD={separate(default),prepend,append,both}
      -i, --ignore-case     ignore differences in case when comparing
      -s, --skip-chars=N    avoid comparing the first N characters
      -u, --unique          only print unique lines
      -z, --zero-terminated line delimiter is NUL, not newline
      -w, --check-chars=N   compare no more than N characters in lines
    """
    opts, operands = _getopt(
        ctx,
        ctx.args,
        "cdDf:is:uw:z",
        {
            "count": "c",
            "repeated": "d",
            "all-repeated?": "D",
            "skip-fields=": "f",
            "group?": "group",
            "ignore-case": "i",
            "skip-chars=": "s",
            "unique": "u",
            "zero-terminated": "z",
            "check-chars=": "w",
        },
    )
    count = only_dup = only_uniq = icase = False
    all_rep: str | None = None
    group: str | None = None
    skip_f = skip_c = 0
    check_w: int | None = None
    sep = b"\n"
    for k, v in opts:
        if k == "c":
            count = True
        elif k == "d":
            only_dup = True
        elif k == "D":
            method = v or "none"
            if method not in ("none", "prepend", "separate"):
                raise _usage_error(ctx, f"invalid argument {_ql(method)} for '--all-repeated'")
            all_rep = method
        elif k == "group":
            method = v or "separate"
            if method not in ("separate", "prepend", "append", "both"):
                raise _usage_error(ctx, f"invalid argument {_ql(method)} for '--group'")
            group = method
        elif k in ("f", "s", "w"):
            n = _parse_size(v or "", suffixes=False)
            if n is None:
                what = {
                    "f": "number of fields to skip",
                    "s": "number of bytes to skip",
                    "w": "number of bytes to compare",
                }[k]
                raise CommandError(f"{v}: invalid {what}")
            if k == "f":
                skip_f = n
            elif k == "s":
                skip_c = n
            else:
                check_w = n
        elif k == "i":
            icase = True
        elif k == "u":
            only_uniq = True
        elif k == "z":
            sep = b"\0"
    if len(operands) > 2:
        raise _usage_error(ctx, f"extra operand {_ql(operands[2])}")
    if count and all_rep is not None:
        raise _usage_error(ctx, "printing all duplicated lines and repeat counts is meaningless")
    if group is not None and (count or only_dup or only_uniq or all_rep is not None):
        raise _usage_error(ctx, "--group is mutually exclusive with -c/-d/-D/-u")
    inp = operands[0] if operands else "-"
    f, why = _open(ctx, inp)
    if f is None:
        raise CommandError(f"{_qf(inp)}: {why}")
    out: Any = ctx.stdout
    closer: Any = None
    if len(operands) == 2 and operands[1] != "-":
        try:
            closer = out = ctx.open_write(operands[1])
        except CommandError as e:
            _close(ctx, f)
            raise CommandError(f"{_qf(operands[1])}: {_reason(e, operands[1])}") from None

    def key(body: bytes) -> bytes:
        i = 0
        n = len(body)
        for _ in range(skip_f):
            if i >= n:
                break
            while i < n and body[i] in _BLANKS:
                i += 1
            while i < n and body[i] not in _BLANKS:
                i += 1
        i += min(skip_c, n - i)
        k = body[i:] if check_w is None else body[i : i + check_w]
        return k.upper() if icase else k

    w = out.write
    state = {"groups": 0}

    def flush(lines: list[bytes], n: int) -> None:
        if group is not None:
            if group in ("prepend", "both") or state["groups"]:
                w(sep)
            for line in lines:
                w(line + sep)
            state["groups"] += 1
            return
        if all_rep is not None:
            if n > 1:
                if (all_rep == "separate" and state["groups"]) or all_rep == "prepend":
                    w(sep)
                for line in lines:
                    w(line + sep)
                state["groups"] += 1
            return
        if (n == 1 and only_dup) or (n > 1 and only_uniq):
            return
        if count:
            w(f"{n:7d} ".encode() + lines[0] + sep)
        else:
            w(lines[0] + sep)

    keep_all = all_rep is not None or group is not None
    if not keep_all and not (skip_f or skip_c or icase or check_w is not None):
        try:  # whole lines compared: runs of equal lines found by groupby, in batches
            _uniq_whole_lines(ctx, f, sep, w, count, only_dup, only_uniq)
        finally:
            _close(ctx, f)
            if closer is not None:
                closer.close()
        return 0
    cur: list[bytes] = []
    cur_key = b""
    n = 0
    try:
        for line in _lines(ctx, f, sep):
            body = line[:-1] if line.endswith(sep) else line
            k = key(body)
            if n and k == cur_key:
                n += 1
                if keep_all:
                    cur.append(body)
                continue
            if n:
                flush(cur, n)
            cur = [body]
            cur_key = k
            n = 1
        if n:
            flush(cur, n)
        if group in ("append", "both") and state["groups"]:
            w(sep)
    finally:
        _close(ctx, f)
        if closer is not None:
            closer.close()
    return 0


def _uniq_whole_lines(
    ctx: CommandContext,
    f: IO[bytes],
    sep: bytes,
    w: Callable[[bytes], object],
    count: bool,
    only_dup: bool,
    only_uniq: bool,
) -> None:
    """``uniq [-c] [-d] [-u]`` comparing whole lines: a batch's runs at C speed,
    its output in one write; a run may continue into the next batch."""
    last: bytes | None = None  # the open run: it may go on in the next batch
    last_n = 0
    limit = max_string(ctx.ws.budget)

    def emit(out: list[bytes], body: bytes, n: int) -> None:
        if (n == 1 and only_dup) or (n > 1 and only_uniq):
            return
        out.append(b"%7d %s%s" % (n, body, sep) if count else body + sep)

    one = b"%7d " % 1
    for batch in record_batches(ctx.check, f, sep, limit):
        out: list[bytes] = []
        rest = batch
        if rest and all(map(bytes.__ne__, rest[1:], rest[:-1])):  # no two alike in a row
            if last is not None and rest[0] == last:
                last_n += 1
                rest = rest[1:]
            if last is not None and rest:
                emit(out, last, last_n)
            if len(rest) > 1 and not only_dup:  # runs of one line each, joined in C
                head = rest[:-1]
                out.append((one + (sep + one).join(head) if count else sep.join(head)) + sep)
            if rest:
                last, last_n = rest[-1], 1
        else:
            for body, run in itertools.groupby(rest):
                n = sum(1 for _ in run)
                if last is not None:
                    if body == last:
                        last_n += n
                        continue
                    emit(out, last, last_n)
                last, last_n = body, n
        if out:
            w(b"".join(out))
    if last is not None:
        out = []
        emit(out, last, last_n)
        if out:
            w(out[0])


# --------------------------------------------------------------------------
# nl
# --------------------------------------------------------------------------


def _bre_to_re(pattern: str, plus_special: bool = False) -> bytes:
    """Translate a POSIX basic regular expression to a Python (bytes) one."""
    src = encode(pattern)
    out = bytearray()
    i = 0
    n = len(src)
    in_bracket = False
    bracket_start = False
    while i < n:
        c = src[i : i + 1]
        if in_bracket:
            if c == b"]" and not bracket_start:
                in_bracket = False
                out += c
            elif c == b"[" and src[i + 1 : i + 2] in (b":", b"=", b"."):
                end = src.find(src[i + 1 : i + 2] + b"]", i + 2)
                if end < 0:
                    out += b"\\["
                else:
                    name = src[i + 2 : end].decode("latin-1")
                    chars = _TR_CLASSES.get(name)
                    if chars is not None and src[i + 1 : i + 2] == b":":
                        out += b"".join(re.escape(bytes([x])) for x in chars)
                    else:
                        out += re.escape(src[i + 2 : end])
                    i = end + 2
                    bracket_start = False
                    continue
            elif c == b"\\":
                out += b"\\\\"
            else:
                out += c
            bracket_start = False
            i += 1
            continue
        if c == b"\\" and i + 1 < n:
            d = src[i + 1 : i + 2]
            if d in b"(){}|" or (not plus_special and d in b"+?"):
                out += d
            elif d in b"<>":
                out += b"\\b"
            elif d.isdigit() or d in b"wWsSbB":
                out += b"\\" + d
            else:
                out += re.escape(d)
            i += 2
            continue
        if c == b"[":
            in_bracket = True
            bracket_start = True
            out += c
            if src[i + 1 : i + 2] == b"^":
                out += b"^"
                i += 1
            if src[i + 1 : i + 2] == b"]":
                out += b"\\]"
                i += 1
                bracket_start = False
            i += 1
            continue
        if c in b"(){}|" or (not plus_special and c in b"+?"):
            out += b"\\" + c
        elif c == b"*" and (not out or out.endswith((b"(", b"|")) or out == b"^"):
            out += b"\\*"
        else:
            out += c
        i += 1
    return bytes(out)


def _nl_style(ctx: CommandContext, v: str, what: str) -> tuple[str, re.Pattern[bytes] | None]:
    if v in ("a", "t", "n"):
        return v, None
    if v.startswith("p"):
        try:
            return "p", saferegex.compile(_bre_to_re(v[1:]))
        except re.error as e:
            raise CommandError(f"invalid regular expression: {e}") from None
    raise _usage_error(ctx, f"invalid {what} numbering style: {_ql(v)}")


@command("nl")
def nl(ctx: CommandContext) -> int:
    """Usage: nl [OPTION]... [FILE]...
    Write each FILE to standard output, with line numbers added.

      -b, --body-numbering=STYLE      use STYLE for numbering body lines (default t)
      -d, --section-delimiter=CC      use CC for logical page delimiters (default \\:)
      -f, --footer-numbering=STYLE    use STYLE for numbering footer lines (default n)
      -h, --header-numbering=STYLE    use STYLE for numbering header lines (default n)
      -i, --line-increment=NUMBER     line number increment at each line
      -l, --join-blank-lines=NUMBER   group of NUMBER empty lines counted as one
      -n, --number-format=FORMAT      insert line numbers according to FORMAT
      -p, --no-renumber               do not reset line numbers for each section
      -s, --number-separator=STRING   add STRING after (possible) line number
      -v, --starting-line-number=NUMBER  first line number for each section
      -w, --number-width=NUMBER       use NUMBER columns for line numbers
    STYLE is one of: a (all lines), t (nonempty lines), n (no lines),
    pBRE (lines matching the basic regular expression BRE).
    FORMAT is one of: ln (left justified), rn (right justified), rz (zero padded).
    """
    opts, files = _getopt(
        ctx,
        ctx.args,
        "b:d:f:h:i:l:n:ps:v:w:",
        {
            "body-numbering=": "b",
            "section-delimiter=": "d",
            "footer-numbering=": "f",
            "header-numbering=": "h",
            "line-increment=": "i",
            "join-blank-lines=": "l",
            "number-format=": "n",
            "no-renumber": "p",
            "number-separator=": "s",
            "starting-line-number=": "v",
            "number-width=": "w",
        },
    )
    styles: dict[str, tuple[str, re.Pattern[bytes] | None]] = {
        "header": ("n", None),
        "body": ("t", None),
        "footer": ("n", None),
    }
    delim = b"\\:"
    incr = 1
    join = 1
    fmt = "rn"
    renumber = True
    nsep = b"\t"
    start = 1
    width = 6
    for k, v in opts:
        v = v or ""
        if k == "b":
            styles["body"] = _nl_style(ctx, v, "body")
        elif k == "h":
            styles["header"] = _nl_style(ctx, v, "header")
        elif k == "f":
            styles["footer"] = _nl_style(ctx, v, "footer")
        elif k == "d":
            d = encode(v)
            delim = d + b":" if len(d) == 1 else d
        elif k in ("i", "l", "v", "w"):
            try:
                num = int(v)
            except ValueError:
                num = None
            what = {
                "i": "line number increment",
                "l": "line number of blank lines",
                "v": "starting line number",
                "w": "line number field width",
            }[k]
            if num is None:
                raise CommandError(f"invalid {what}: {_ql(v)}")
            if k in ("l", "w") and num <= 0:
                raise CommandError(f"invalid {what}: {_ql(v)}: Numerical result out of range")
            if k == "i":
                incr = num
            elif k == "l":
                join = num
            elif k == "v":
                start = num
            else:
                width = num
        elif k == "n":
            if v not in ("ln", "rn", "rz"):
                raise _usage_error(ctx, f"invalid line numbering format: {_ql(v)}")
            fmt = v
        elif k == "p":
            renumber = False
        elif k == "s":
            nsep = encode(v)
    blank_prefix = b" " * (width + len(nsep))
    section = "body"
    lineno = start
    blanks = 0
    w = ctx.stdout.write
    status = 0
    header_line = delim * 3
    body_line = delim * 2
    footer_line = delim
    for name in files or ["-"]:
        f, why = _open(ctx, name)
        if f is None:
            ctx.err(f"{_qf(name)}: {why}")
            status = 1
            continue
        try:
            for line in _lines(ctx, f):
                body = line[:-1] if line.endswith(b"\n") else line
                if delim and body in (header_line, body_line, footer_line):
                    if body == header_line:
                        section = "header"
                    else:
                        section = "body" if body == body_line else "footer"
                    if renumber:
                        lineno = start
                    w(b"\n")
                    continue
                style, rx = styles[section]
                number = False
                if style == "a":
                    if join > 1:
                        if body:
                            number = True
                            blanks = 0
                        else:
                            blanks += 1
                            if blanks == join:
                                number = True
                                blanks = 0
                    else:
                        number = True
                elif style == "t":
                    number = bool(body)
                elif style == "p":
                    assert rx is not None
                    number = rx.search(body) is not None
                if number:
                    if fmt == "ln":
                        num = f"{lineno:<{width}}"
                    elif fmt == "rz":
                        num = f"{lineno:0{width}d}"
                    else:
                        num = f"{lineno:>{width}}"
                    w(num.encode() + nsep + body + b"\n")
                    lineno += incr
                else:
                    w(blank_prefix + body + b"\n")
        finally:
            _close(ctx, f)
    return status


# --------------------------------------------------------------------------
# rev / tac
# --------------------------------------------------------------------------


@command("rev")
def rev(ctx: CommandContext) -> int:
    """Usage: rev [options] [file ...]
    Reverse the characters of each line of the files (or standard input).
    """
    _opts, files = _getopt(ctx, ctx.args, "0", {"zero": "0"})
    sep = b"\0" if _opts else b"\n"
    status = 0
    w = ctx.stdout.write
    for name in files or ["-"]:
        f, why = _open(ctx, name)
        if f is None:
            if why == "Is a directory":
                ctx.err(f"{name}: {why}")
            else:
                ctx.err(f"cannot open {name}: {why}")
            status = 1
            continue
        try:
            for line in _lines(ctx, f, sep):
                if line.endswith(sep):
                    w(encode(decode(line[:-1])[::-1]) + sep)
                else:
                    w(encode(decode(line)[::-1]))
        finally:
            _close(ctx, f)
    return status


@command("tac")
def tac(ctx: CommandContext) -> int:
    """Usage: tac [OPTION]... [FILE]...
    Write each FILE to standard output, last line first.

      -b, --before             attach the separator before instead of after
      -r, --regex              interpret the separator as a regular expression
      -s, --separator=STRING   use STRING as the separator instead of newline
    """
    opts, files = _getopt(ctx, ctx.args, "brs:", {"before": "b", "regex": "r", "separator=": "s"})
    before = regex = False
    sepstr: bytes = b"\n"
    for k, v in opts:
        if k == "b":
            before = True
        elif k == "r":
            regex = True
        elif k == "s":
            sepstr = encode(v or "")
    status = 0
    w = ctx.stdout.write
    if regex:
        try:
            rx = saferegex.compile(_bre_to_re(decode(sepstr), plus_special=True))
        except re.error as e:
            raise CommandError(f"{decode(sepstr)}: {e}") from None
    limit = max_string(ctx.ws.budget)
    for name in files or ["-"]:
        f, why = _open(ctx, name)
        if f is None:
            ctx.err(f"failed to open {_q(name)} for reading: {why}")
            status = 1
            continue
        try:
            with SpillDir(ctx.ws) as spill:
                src = _tac_seekable(ctx, f, spill)
                if not sepstr:
                    _tac_copy(ctx, src, 0, _tac_size(src), w)
                elif regex:
                    data = src.read(limit + 1)
                    if len(data) > limit:
                        raise CommandError(too_large(f"{name}: -r", _tac_size(src), limit))
                    _tac_regex(ctx, data, rx, before, w)
                elif _self_overlapping(sepstr):
                    data = src.read(limit + 1)
                    if len(data) > limit:
                        raise CommandError(too_large(name, _tac_size(src), limit))
                    _tac_overlapping(data, sepstr, before, w)
                else:
                    _tac_backwards(ctx, src, sepstr, before, w)
        finally:
            _close(ctx, f)
    return status


_TAC_BLOCK = 1 << 20


def _tac_size(f: IO[bytes]) -> int:
    return f.seek(0, os.SEEK_END)


def _tac_seekable(ctx: CommandContext, f: IO[bytes], spill: SpillDir) -> IO[bytes]:
    """``f`` itself when it is a regular file; else its bytes in memory (small)
    or in a spill file (large)."""
    try:
        if statmod.S_ISREG(os.fstat(f.fileno()).st_mode) and f.seekable():
            f.seek(0)
            return f
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    head: list[bytes] = []
    size = 0
    chunks = _chunks(ctx, f)
    for chunk in chunks:
        head.append(chunk)
        size += len(chunk)
        if size > _TAC_BLOCK * 8:
            sf = spill.new()
            sf.write(b"".join(head))
            head = []
            for more in chunks:
                sf.write(more)
            return sf.reader()
    return io.BytesIO(b"".join(head))


def _tac_copy(
    ctx: CommandContext, f: IO[bytes], start: int, stop: int, w: Callable[[bytes], Any]
) -> None:
    f.seek(start)
    while start < stop:
        ctx.check()
        data = f.read(min(_TAC_BLOCK, stop - start))
        if not data:
            return
        w(data)
        start += len(data)


def _self_overlapping(sep: bytes) -> bool:
    """True when two occurrences of ``sep`` can overlap (a proper prefix is also
    a suffix): then where they are depends on the direction of the search."""
    return any(sep[:k] == sep[-k:] for k in range(1, len(sep)))


def _tac_backwards(
    ctx: CommandContext,
    f: IO[bytes],
    sep: bytes,
    before: bool,
    w: Callable[[bytes], Any],
    block: int = 0,
) -> None:
    """Records of a seekable file, last first, reading blocks from the end.

    Records are cut at every occurrence of ``sep`` (after it, or before it with
    ``-b``). ``sep`` does not overlap itself, so the occurrences found in
    blocks (each read with ``len(sep) - 1`` bytes of overlap) are exactly the
    ones a forward search finds, and the complete records inside a block are
    reversed with one ``split``. A record longer than a block is copied by
    seeking, so memory stays at about one block whatever the line lengths.
    """
    size = _tac_size(f)
    block = block or _TAC_BLOCK
    end = size  # records in [end, size) are written
    blockend = size
    m = len(sep)
    while blockend > 0:
        ctx.check()
        pos = max(0, blockend - block)
        f.seek(pos)
        buf = f.read(min(size, blockend + m - 1) - pos)
        rel_end = blockend - pos  # occurrences must start before this
        blockend = pos
        first = buf.find(sep, 0, rel_end + m - 1)
        if first < 0:
            continue
        last = buf.rfind(sep, 0, rel_end + m - 1)
        first_cut = pos + (first if before else first + m)
        last_cut = pos + (last if before else last + m)
        if last_cut < end:  # the record after the block's last cut
            if end - pos <= len(buf):
                w(buf[last_cut - pos : end - pos])
            else:
                _tac_copy(ctx, f, last_cut, end, w)
        if first_cut < last_cut:  # whole records between the first and last cut
            pieces = buf[first_cut - pos : last_cut - pos].split(sep)
            if before:
                w(sep + sep.join(reversed(pieces[1:])))
            else:
                pieces.pop()
                pieces.reverse()
                pieces.append(b"")
                w(sep.join(pieces))
        end = first_cut
    if end > 0:
        _tac_copy(ctx, f, 0, end, w)


def _tac_overlapping(
    data: bytes, sep: bytes, before: bool, w: Callable[[bytes], Any]
) -> None:
    """Records of in-memory ``data`` cut at the occurrences of a separator that
    can overlap itself, found left to right."""
    cuts = []
    k = data.find(sep)
    while k >= 0:
        cuts.append(k if before else k + len(sep))
        k = data.find(sep, k + len(sep))
    end = len(data)
    out: list[bytes] = []
    for cut in reversed(cuts):
        if cut < end:
            out.append(data[cut:end])
            end = cut
    if end > 0:
        out.append(data[:end])
    w(b"".join(out))


def _tac_regex(
    ctx: CommandContext, data: bytes, rx: re.Pattern[bytes], before: bool, w: Callable[[bytes], Any]
) -> None:
    # GNU tac searches backwards: each separator is the match that starts
    # rightmost before the previous one.
    seps = []
    limit = len(data)
    pos = limit - 1
    while pos >= 0:
        if pos % 1000 == 0:
            ctx.check()
        m = rx.match(data, pos, limit)
        if m and m.end() > m.start():
            seps.append((m.start(), m.end()))
            limit = m.start()
        pos -= 1
    seps.reverse()
    records: list[bytes] = []
    if before:
        prev = 0
        for s, _e in seps:
            if s > prev or records or s > 0:
                records.append(data[prev:s])
            prev = s
        records.append(data[prev:])
        if records and records[0] == b"":
            records.pop(0)
    else:
        prev = 0
        for _s, e in seps:
            records.append(data[prev:e])
            prev = e
        if prev < len(data):
            records.append(data[prev:])
    for rec in reversed(records):
        w(rec)


# --------------------------------------------------------------------------
# paste
# --------------------------------------------------------------------------


def _paste_delims(ctx: CommandContext, spec: str) -> list[bytes]:
    raw = encode(spec)
    out: list[bytes] = []
    i = 0
    table = {
        ord("n"): b"\n",
        ord("t"): b"\t",
        ord("\\"): b"\\",
        ord("b"): b"\b",
        ord("f"): b"\f",
        ord("r"): b"\r",
        ord("v"): b"\v",
        ord("0"): b"",
    }
    while i < len(raw):
        c = raw[i]
        if c == 0x5C:
            if i + 1 >= len(raw):
                raise CommandError(f"delimiter list ends with an unescaped backslash: {spec}")
            d = raw[i + 1]
            out.append(table.get(d, bytes([d])))
            i += 2
        else:
            out.append(bytes([c]))
            i += 1
    return out or [b""]


@command("paste")
def paste(ctx: CommandContext) -> int:
    """Usage: paste [OPTION]... [FILE]...
    Write lines consisting of the sequentially corresponding lines from each
    FILE, separated by TABs, to standard output.

      -d, --delimiters=LIST   reuse characters from LIST instead of TABs
                              (\\n \\t \\\\ and \\0 for no delimiter are understood)
      -s, --serial            paste one file at a time instead of in parallel
      -z, --zero-terminated   line delimiter is NUL, not newline
    """
    opts, files = _getopt(
        ctx,
        ctx.args,
        "d:sz",
        {"delimiters=": "d", "serial": "s", "zero-terminated": "z"},
    )
    delims = [b"\t"]
    serial = False
    sep = b"\n"
    for k, v in opts:
        if k == "d":
            delims = _paste_delims(ctx, v or "")
        elif k == "s":
            serial = True
        elif k == "z":
            sep = b"\0"
    files = files or ["-"]
    w = ctx.stdout.write
    handles: list[IO[bytes] | None] = []
    status = 0
    for name in files:
        f, why = _open(ctx, name)
        if f is None:
            for h in handles:
                if h is not None:
                    _close(ctx, h)
            raise CommandError(f"{_qf(name)}: {why}")
        handles.append(f)
    try:
        if serial:
            for f in handles:
                assert f is not None
                out = bytearray()
                di = 0
                have = False
                for line in _lines(ctx, f, sep):
                    if have:
                        out += delims[di]
                        di = (di + 1) % len(delims)
                    out += line[:-1] if line.endswith(sep) else line
                    have = True
                    if len(out) > _CHUNK:
                        w(bytes(out))
                        out.clear()
                out += sep
                w(bytes(out))
            return status
        iters = [_lines(ctx, f, sep) if f is not None else None for f in handles]
        is_open = [True] * len(handles)
        nopen = len(handles)
        nfiles = len(handles)
        while nopen:
            ctx.check()
            saved = bytearray()
            di = 0
            out = bytearray()
            for i in range(nfiles):
                if not nopen:
                    break
                line = None
                if is_open[i]:
                    it = iters[i]
                    assert it is not None
                    line = next(it, None)
                if line is not None:
                    if saved:
                        out += saved
                        saved.clear()
                    out += line[:-1] if line.endswith(sep) else line
                    if i + 1 == nfiles:
                        out += sep
                    else:
                        out += delims[di]
                        di = (di + 1) % len(delims)
                else:
                    if is_open[i]:
                        is_open[i] = False
                        nopen -= 1
                    if i + 1 == nfiles:
                        if nopen:
                            out += saved
                            saved.clear()
                            out += sep
                    else:
                        saved += delims[di]
                        di = (di + 1) % len(delims)
            w(bytes(out))
    finally:
        for h in handles:
            if h is not None:
                _close(ctx, h)
    return status


# --------------------------------------------------------------------------
# comm
# --------------------------------------------------------------------------


@command("comm")
def comm(ctx: CommandContext) -> int:
    """Usage: comm [OPTION]... FILE1 FILE2
    Compare sorted files FILE1 and FILE2 line by line. With no options, produce
    three-column output: lines only in FILE1, lines only in FILE2, and lines
    in both files.

      -1                      suppress column 1 (lines unique to FILE1)
      -2                      suppress column 2 (lines unique to FILE2)
      -3                      suppress column 3 (lines that appear in both files)
      --check-order           check that the input is correctly sorted
      --nocheck-order         do not check that the input is correctly sorted
      --output-delimiter=STR  separate columns with STR
      --total                 output a summary
      -z, --zero-terminated   line delimiter is NUL, not newline
    """
    opts, files = _getopt(
        ctx,
        ctx.args,
        "123z",
        {
            "check-order": "check",
            "nocheck-order": "nocheck",
            "output-delimiter=": "od",
            "total": "total",
            "zero-terminated": "z",
        },
    )
    show = [True, True, True]
    check: str | None = None
    col_sep = b"\t"
    total_opt = False
    sep = b"\n"
    for k, v in opts:
        if k in "123":
            show[int(k) - 1] = False
        elif k == "check":
            check = "on"
        elif k == "nocheck":
            check = "off"
        elif k == "od":
            col_sep = encode(v or "") or b"\0"
        elif k == "total":
            total_opt = True
        elif k == "z":
            sep = b"\0"
    if len(files) < 2:
        if not files:
            raise _usage_error(ctx, "missing operand")
        raise _usage_error(ctx, f"missing operand after {_ql(files[-1])}")
    if len(files) > 2:
        raise _usage_error(ctx, f"extra operand {_ql(files[2])}")
    handles: list[IO[bytes]] = []
    for name in files:
        f, why = _open(ctx, name)
        if f is None:
            for h in handles:
                _close(ctx, h)
            raise CommandError(f"{_qf(name)}: {why}")
        handles.append(f)
    its = [_lines(ctx, h, sep) for h in handles]
    w = ctx.stdout.write

    def read(i: int) -> bytes | None:
        line = next(its[i], None)
        if line is None:
            return None
        return line[:-1] if line.endswith(sep) else line

    warned = [False, False]
    seen_unpairable = False
    totals = [0, 0, 0]

    def check_order(prev: bytes, cur: bytes, which: int) -> None:
        if check == "off" or not (check == "on" or seen_unpairable):
            return
        if warned[which] or not prev > cur:
            return
        if check == "on":
            raise CommandError(f"file {which + 1} is not in sorted order")
        ctx.err(f"file {which + 1} is not in sorted order")
        warned[which] = True

    def writeline(line: bytes, cls: int) -> None:
        if not show[cls - 1]:
            return
        prefix = b""
        if cls == 2 and show[0]:
            prefix = col_sep
        elif cls == 3:
            prefix = col_sep * (show[0] + show[1])
        w(prefix + line + sep)

    try:
        hist: list[list[bytes | None]] = [[None, None], [None, None]]  # [prev2, prev1]
        this = [read(0), read(1)]
        while this[0] is not None or this[1] is not None:
            a, b = this
            if a is None:
                order = 1
            elif b is None:
                order = -1
            else:
                order = (a > b) - (a < b)
            if order == 0:
                assert b is not None
                writeline(b, 3)
                totals[2] += 1
            else:
                seen_unpairable = True
                if order < 0:
                    assert a is not None
                    writeline(a, 1)
                    totals[0] += 1
                else:
                    assert b is not None
                    writeline(b, 2)
                    totals[1] += 1
            fill = [order <= 0, order >= 0]
            for i in (0, 1):
                if not fill[i]:
                    continue
                hist[i] = [hist[i][1], this[i]]
                this[i] = read(i)
                cur = this[i]
                if cur is not None:
                    prev = hist[i][1]
                    if prev is not None:
                        check_order(prev, cur, i)
                elif hist[i][0] is not None and hist[i][1] is not None:
                    p2, p1 = hist[i][0], hist[i][1]
                    assert p2 is not None and p1 is not None
                    check_order(p2, p1, i)
    finally:
        for h in handles:
            _close(ctx, h)
    if total_opt:
        w(
            f"{totals[0]}".encode()
            + col_sep
            + f"{totals[1]}".encode()
            + col_sep
            + f"{totals[2]}".encode()
            + col_sep
            + b"total"
            + sep
        )
    if warned[0] or warned[1]:
        raise CommandError("input is not in sorted order")
    return 0


# --------------------------------------------------------------------------
# column
# --------------------------------------------------------------------------


@command("column")
def column(ctx: CommandContext) -> int:
    """Usage: column [options] [<file>...]
    Columnate lists (like util-linux column).

      -t, --table                 create a table
      -s, --separator <string>    possible table delimiters (default: whitespace)
      -o, --output-separator <string>  columns separator for table output (default two spaces)
      -c, --output-width <width>  width of output in number of characters
      -x, --fillrows              fill rows before columns
      -R, --table-right <columns> right align text in these columns (numbers, comma separated)
      -L, --keep-empty-lines      don't ignore empty lines
    """
    opts, files = _getopt(
        ctx,
        ctx.args,
        "tns:o:c:xR:LN:J",
        {
            "table": "t",
            "separator=": "s",
            "output-separator=": "o",
            "output-width=": "c",
            "fillrows": "x",
            "table-right=": "R",
            "keep-empty-lines": "L",
            "table-columns=": "N",
            "table-name=": "n",
            "json": "J",
        },
    )
    table = fillrows = keep_empty = False
    seps: str | None = None
    osep = "  "
    width: int | None = None
    right: set[int] = set()
    names: list[str] | None = None
    for k, v in opts:
        if k == "t":
            table = True
        elif k == "s":
            seps = v or ""
        elif k == "o":
            osep = v or ""
        elif k == "c":
            try:
                width = int(v or "")
            except ValueError:
                raise CommandError(f"invalid columns argument: '{v}'") from None
        elif k == "x":
            fillrows = True
        elif k == "L":
            keep_empty = True
        elif k == "R":
            for part in (v or "").split(","):
                if part.strip().isdigit():
                    right.add(int(part) - 1)
        elif k == "N":
            names = (v or "").split(",")
        elif k in ("J", "n"):
            raise CommandError("JSON output is not supported")
    if width is None:
        try:
            width = int(ctx.env.get("COLUMNS", "80"))
        except ValueError:
            width = 80
    texts: list[str] = []
    status = 0
    for name in files or ["-"]:
        f, why = _open(ctx, name)
        if f is None:
            ctx.err(f"{name}: {why}")
            status = 1
            continue
        try:
            for line in _lines(ctx, f):
                t = decode(line[:-1] if line.endswith(b"\n") else line)
                if not t.strip() and not (keep_empty and table):
                    continue
                texts.append(t)
        finally:
            _close(ctx, f)
    out: list[str] = []
    if table:
        rows: list[list[str]] = []
        if names:
            rows.append(names)
        for t in texts:
            if seps is None:
                cells = t.split() if t.strip() else [""]
            else:
                cells = re.split("[" + re.escape(seps) + "]", t) if seps else [t]
            rows.append(cells)
        ncols = max((len(r) for r in rows), default=0)
        widths = [0] * ncols
        for r in rows:
            for i, c in enumerate(r):
                widths[i] = max(widths[i], _display_width(c))
        for r in rows:
            cells = r + [""] * (ncols - len(r))
            parts = []
            for i, c in enumerate(cells):
                pad = widths[i] - _display_width(c)
                if i in right:
                    parts.append(" " * pad + c)
                elif i == ncols - 1:
                    parts.append(c)
                else:
                    parts.append(c + " " * pad)
            out.append(osep.join(parts))
    elif texts:
        maxlen = max(_display_width(t) for t in texts)
        if maxlen >= width:
            out.extend(texts)
        else:
            maxlen = (maxlen + 8) & ~7
            numcols = max(width // maxlen, 1)
            if fillrows:
                line = ""
                chcnt = col = 0
                endcol = maxlen
                for i, t in enumerate(texts):
                    line += t
                    chcnt += _display_width(t)
                    if i == len(texts) - 1:
                        break
                    col += 1
                    if col == numcols:
                        out.append(line)
                        line = ""
                        chcnt = col = 0
                        endcol = maxlen
                    else:
                        while (cnt := (chcnt + 8) & ~7) <= endcol:
                            line += "\t"
                            chcnt = cnt
                        endcol += maxlen
                if chcnt:
                    out.append(line)
            else:
                nents = len(texts)
                numrows = -(-nents // numcols)
                for row in range(numrows):
                    line = ""
                    endcol = maxlen
                    chcnt = 0
                    base = row
                    for _col in range(numcols):
                        line += texts[base]
                        chcnt += _display_width(texts[base])
                        base += numrows
                        if base >= nents:
                            break
                        while (cnt := (chcnt + 8) & ~7) <= endcol:
                            line += "\t"
                            chcnt = cnt
                        endcol += maxlen
                    out.append(line)
    for line in out:
        ctx.out(line + "\n")
    return status


# --------------------------------------------------------------------------
# tee
# --------------------------------------------------------------------------


@command("tee")
def tee(ctx: CommandContext) -> int:
    """Usage: tee [OPTION]... [FILE]...
    Copy standard input to each FILE, and also to standard output.

      -a, --append              append to the given FILEs, do not overwrite
      -i, --ignore-interrupts   ignore interrupt signals (accepted, no effect)
      -p                        diagnose errors writing to non pipes (accepted)
    """
    opts, files = _getopt(
        ctx,
        ctx.args,
        "aip",
        {"append": "a", "ignore-interrupts": "i", "output-error?": "p"},
    )
    append = any(k == "a" for k, _ in opts)
    status = 0
    outs: list[tuple[str, Any]] = []
    for name in files:
        try:
            outs.append((name, ctx.open_write(name, append=append)))
        except (CommandError, OSError) as e:
            ctx.err(f"{name}: {_reason(e, name)}")
            status = 1
    stdout_ok = True
    try:
        for chunk in _chunks(ctx, ctx.stdin):
            if stdout_ok:
                try:
                    ctx.stdout.write(chunk)
                    flush = getattr(ctx.stdout, "flush", None)
                    if flush:
                        flush()
                except BrokenPipeError:
                    stdout_ok = False
                    status = 1
                    if not outs:
                        raise
            for i, (name, fh) in enumerate(outs):
                if fh is None:
                    continue
                try:
                    fh.write(chunk)
                except OSError as e:
                    ctx.err(f"{name}: {e.strerror or e}")
                    status = 1
                    if fh is not ctx.stdout:
                        fh.close()
                    outs[i] = (name, None)
    finally:
        for _name, fh in outs:
            if fh is not None and fh is not ctx.stdout:
                fh.close()
    return status


# --------------------------------------------------------------------------
# diff
# --------------------------------------------------------------------------


def _diff_compareseq(
    xv: list[int], yv: list[int], minimal: bool, check: Callable[[], None]
) -> tuple[list[int], list[int]]:
    """GNU diffseq.h: mark deleted x indexes and inserted y indexes (Myers,
    divide and conquer on the middle snake, with GNU's cost cut-off)."""
    n, m = len(xv), len(yv)
    xdel: list[int] = []
    yins: list[int] = []
    off = m + 1
    size = n + m + 3
    fd = [0] * size
    bd = [0] * size
    diags = n + m + 3
    too_expensive = 1
    while diags:
        too_expensive <<= 1
        diags >>= 2
    too_expensive = max(4096, too_expensive)
    big = 1 << 62

    def diag(
        xoff: int, xlim: int, yoff: int, ylim: int, find_minimal: bool
    ) -> tuple[int, int, bool, bool]:
        dmin = xoff - ylim
        dmax = xlim - yoff
        fmid = xoff - yoff
        bmid = xlim - ylim
        fmin = fmax = fmid
        bmin = bmax = bmid
        odd = (fmid - bmid) & 1
        fd[fmid + off] = xoff
        bd[bmid + off] = xlim
        c = 0
        while True:
            c += 1
            if c % 64 == 0:
                check()
            if fmin > dmin:
                fmin -= 1
                fd[fmin - 1 + off] = -1
            else:
                fmin += 1
            if fmax < dmax:
                fmax += 1
                fd[fmax + 1 + off] = -1
            else:
                fmax -= 1
            for d in range(fmax, fmin - 1, -2):
                tlo = fd[d - 1 + off]
                thi = fd[d + 1 + off]
                x = thi if tlo < thi else tlo + 1
                y = x - d
                while x < xlim and y < ylim and xv[x] == yv[y]:
                    x += 1
                    y += 1
                fd[d + off] = x
                if odd and bmin <= d <= bmax and bd[d + off] <= x:
                    return x, y, True, True
            if bmin > dmin:
                bmin -= 1
                bd[bmin - 1 + off] = big
            else:
                bmin += 1
            if bmax < dmax:
                bmax += 1
                bd[bmax + 1 + off] = big
            else:
                bmax -= 1
            for d in range(bmax, bmin - 1, -2):
                tlo = bd[d - 1 + off]
                thi = bd[d + 1 + off]
                x = tlo if tlo < thi else thi - 1
                y = x - d
                while xoff < x and yoff < y and xv[x - 1] == yv[y - 1]:
                    x -= 1
                    y -= 1
                bd[d + off] = x
                if not odd and fmin <= d <= fmax and x <= fd[d + off]:
                    return x, y, True, True
            if find_minimal:
                continue
            if c >= too_expensive:
                fxybest = -1
                fxbest = 0
                for d in range(fmax, fmin - 1, -2):
                    x = min(fd[d + off], xlim)
                    y = x - d
                    if ylim < y:
                        x = ylim + d
                        y = ylim
                    if fxybest < x + y:
                        fxybest = x + y
                        fxbest = x
                bxybest = big
                bxbest = 0
                for d in range(bmax, bmin - 1, -2):
                    x = max(xoff, bd[d + off])
                    y = x - d
                    if y < yoff:
                        x = yoff + d
                        y = yoff
                    if x + y < bxybest:
                        bxybest = x + y
                        bxbest = x
                if (xlim + ylim) - bxybest < fxybest - (xoff + yoff):
                    return fxbest, fxybest - fxbest, True, False
                return bxbest, bxybest - bxbest, False, True

    stack = [(0, n, 0, m, minimal)]
    steps = 0
    while stack:
        steps += 1
        if steps % 256 == 0:
            check()
        xoff, xlim, yoff, ylim, find_minimal = stack.pop()
        while xoff < xlim and yoff < ylim and xv[xoff] == yv[yoff]:
            xoff += 1
            yoff += 1
        while xoff < xlim and yoff < ylim and xv[xlim - 1] == yv[ylim - 1]:
            xlim -= 1
            ylim -= 1
        if xoff == xlim:
            yins.extend(range(yoff, ylim))
        elif yoff == ylim:
            xdel.extend(range(xoff, xlim))
        else:
            xmid, ymid, lo_min, hi_min = diag(xoff, xlim, yoff, ylim, find_minimal)
            stack.append((xmid, xlim, ymid, ylim, hi_min))
            stack.append((xoff, xmid, yoff, ymid, lo_min))
    return xdel, yins


def _diff_discard(eq: list[list[int]], nclasses: int, minimal: bool) -> list[list[int]]:
    """GNU analyze.c discard_confusing_lines: which lines to leave out of the
    Myers search (0 keep, 1 discard)."""
    counts = [[0] * (nclasses + 1), [0] * (nclasses + 1)]
    for f in (0, 1):
        for c in eq[f]:
            counts[f][c] += 1
    discarded: list[list[int]] = []
    for f in (0, 1):
        end = len(eq[f])
        other = counts[1 - f]
        many = 5
        tem = end // 64
        while True:
            tem >>= 2
            if tem <= 0:
                break
            many *= 2
        disc = [0] * end
        for i, c in enumerate(eq[f]):
            nmatch = other[c]
            if nmatch == 0:
                disc[i] = 1
            elif nmatch > many:
                disc[i] = 2
        discarded.append(disc)
    for f in (0, 1):
        disc = discarded[f]
        end = len(disc)
        i = 0
        while i < end:
            if disc[i] == 2:
                disc[i] = 0
            elif disc[i] != 0:
                provisional = 0
                j = i
                while j < end:
                    if disc[j] == 0:
                        break
                    if disc[j] == 2:
                        provisional += 1
                    j += 1
                while j > i and disc[j - 1] == 2:
                    j -= 1
                    disc[j] = 0
                    provisional -= 1
                length = j - i
                if provisional * 4 > length:
                    while j > i:
                        j -= 1
                        if disc[j] == 2:
                            disc[j] = 0
                else:
                    minimum = 1
                    tem = length >> 2
                    while True:
                        tem >>= 2
                        if tem <= 0:
                            break
                        minimum <<= 1
                    minimum += 1
                    j = 0
                    consec = 0
                    while j < length:
                        if disc[i + j] != 2:
                            consec = 0
                        else:
                            consec += 1
                            if minimum == consec:
                                j -= consec
                            elif minimum < consec:
                                disc[i + j] = 0
                        j += 1
                    j = 0
                    consec = 0
                    while j < length:
                        if j >= 8 and disc[i + j] == 1:
                            break
                        if disc[i + j] == 2:
                            consec = 0
                            disc[i + j] = 0
                        elif disc[i + j] == 0:
                            consec = 0
                        else:
                            consec += 1
                        if consec == 3:
                            break
                        j += 1
                    i += length - 1
                    j = 0
                    consec = 0
                    while j < length:
                        if j >= 8 and disc[i - j] == 1:
                            break
                        if disc[i - j] == 2:
                            consec = 0
                            disc[i - j] = 0
                        elif disc[i - j] == 0:
                            consec = 0
                        else:
                            consec += 1
                        if consec == 3:
                            break
                        j += 1
            i += 1
    if minimal:
        return [[0] * len(eq[0]), [0] * len(eq[1])]
    return discarded


def _diff_shift(changed: list[list[int]], eq: list[list[int]]) -> None:
    """GNU analyze.c shift_boundaries. ``changed`` arrays carry a 0 sentinel at
    each end (index 0 and len+1); ``eq`` is 0-based."""
    for f in (0, 1):
        ch = changed[f]
        oc = changed[1 - f]
        equivs = eq[f]
        i_end = len(equivs)
        # Work in 0-based indexes over arrays offset by one.
        i = 0
        j = 0
        while True:
            while i < i_end and not ch[i + 1]:
                while oc[j + 1]:
                    j += 1
                j += 1
                i += 1
            if i == i_end:
                break
            start = i
            i += 1
            while ch[i + 1]:
                i += 1
            while oc[j + 1]:
                j += 1
            while True:
                runlength = i - start
                while start and equivs[start - 1] == equivs[i - 1]:
                    start -= 1
                    ch[start + 1] = 1
                    i -= 1
                    ch[i + 1] = 0
                    while ch[start - 1 + 1]:
                        start -= 1
                    j -= 1
                    while oc[j + 1]:
                        j -= 1
                corresponding = i if oc[j - 1 + 1] else i_end
                while i != i_end and equivs[start] == equivs[i]:
                    ch[start + 1] = 0
                    start += 1
                    ch[i + 1] = 1
                    i += 1
                    while ch[i + 1]:
                        i += 1
                    j += 1
                    while oc[j + 1]:
                        j += 1
                        corresponding = i
                if runlength == i - start:
                    break
            while corresponding < i:
                start -= 1
                ch[start + 1] = 1
                i -= 1
                ch[i + 1] = 0
                j -= 1
                while oc[j + 1]:
                    j -= 1


class _DiffFile:
    def __init__(self, name: str, label: str, data: bytes, mtime: float | None) -> None:
        self.name = name
        self.label = label
        self.data = data
        self.mtime = mtime
        self.labelled = False
        self.lines = data.split(b"\n")
        if self.lines and self.lines[-1] == b"":
            self.lines.pop()
            self.lines = [ln + b"\n" for ln in self.lines]
        else:
            last = self.lines.pop() if self.lines else b""
            self.lines = [ln + b"\n" for ln in self.lines]
            if last:
                self.lines.append(last)


def _diff_script(
    a: list[bytes],
    b: list[bytes],
    norm: Callable[[bytes], bytes] | None,
    minimal: bool,
    horizon: int,
    check: Callable[[], None] = lambda: None,
) -> list[tuple[int, int, int, int]]:
    """The edit script: [(line0, line1, deleted, inserted)] (0-based)."""
    n0, n1 = len(a), len(b)
    pre = 0
    while pre < n0 and pre < n1 and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < n0 - pre and suf < n1 - pre and a[n0 - 1 - suf] == b[n1 - 1 - suf]:
        suf += 1
    lo = max(pre - horizon, 0)
    hi_skip = max(suf - horizon, 0)
    ra = a[lo : n0 - hi_skip]
    rb = b[lo : n1 - hi_skip]
    classes: dict[bytes, int] = {}
    eq: list[list[int]] = [[], []]
    for f, seq in ((0, ra), (1, rb)):
        out = eq[f]
        for line in seq:
            k = norm(line) if norm else line
            c = classes.get(k)
            if c is None:
                c = classes[k] = len(classes) + 1
            out.append(c)
    disc = _diff_discard(eq, len(classes), minimal)
    idx = [[i for i, d in enumerate(disc[f]) if not d] for f in (0, 1)]
    xv = [eq[0][i] for i in idx[0]]
    yv = [eq[1][i] for i in idx[1]]
    xdel, yins = _diff_compareseq(xv, yv, minimal, check)
    changed = [[0] * (len(eq[0]) + 2), [0] * (len(eq[1]) + 2)]
    for f in (0, 1):
        for i, d in enumerate(disc[f]):
            if d:
                changed[f][i + 1] = 1
    for x in xdel:
        changed[0][idx[0][x] + 1] = 1
    for y in yins:
        changed[1][idx[1][y] + 1] = 1
    _diff_shift(changed, eq)
    script: list[tuple[int, int, int, int]] = []
    len0, len1 = len(eq[0]), len(eq[1])
    c0, c1 = changed
    i0 = i1 = 0
    while i0 < len0 or i1 < len1:
        if c0[i0 + 1] or c1[i1 + 1]:
            l0, l1 = i0, i1
            while c0[i0 + 1]:
                i0 += 1
            while c1[i1 + 1]:
                i1 += 1
            script.append((l0 + lo, l1 + lo, i0 - l0, i1 - l1))
        i0 += 1
        i1 += 1
    return script


_NO_NL = b"\n\\ No newline at end of file\n"


def _diff_line(prefix: bytes, line: bytes) -> bytes:
    return prefix + line if line.endswith(b"\n") else prefix + line + _NO_NL


def _diff_time(mtime: float | None, context_style: bool) -> str:
    if mtime is None:
        mtime = 0.0
    ns = round(mtime * 1e9)
    secs, frac = divmod(ns, 10**9)
    dt = datetime.datetime.fromtimestamp(secs, datetime.UTC)
    if context_style:
        return dt.strftime("%a %b ") + f"{dt.day:2d}" + dt.strftime(" %H:%M:%S %Y")
    return dt.strftime("%Y-%m-%d %H:%M:%S") + f".{frac:09d} +0000"


def _diff_hunks(
    script: list[tuple[int, int, int, int]], context: int
) -> list[list[tuple[int, int, int, int]]]:
    hunks: list[list[tuple[int, int, int, int]]] = []
    for ch in script:
        if hunks:
            prev = hunks[-1][-1]
            top0 = prev[0] + prev[2]
            if ch[0] - top0 < 2 * context + 1:
                hunks[-1].append(ch)
                continue
        hunks.append([ch])
    return hunks


def _diff_render(
    fa: _DiffFile,
    fb: _DiffFile,
    script: list[tuple[int, int, int, int]],
    style: str,
    context: int,
) -> bytes:
    a, b = fa.lines, fb.lines
    out = bytearray()
    if style == "normal":
        for l0, l1, dl, ins in script:
            r0 = f"{l0 + 1},{l0 + dl}" if dl > 1 else f"{l0 + dl}"
            r1 = f"{l1 + 1},{l1 + ins}" if ins > 1 else f"{l1 + ins}"
            letter = "c" if dl and ins else ("d" if dl else "a")
            out += f"{r0}{letter}{r1}\n".encode()
            for k in range(l0, l0 + dl):
                out += _diff_line(b"< ", a[k])
            if dl and ins:
                out += b"---\n"
            for k in range(l1, l1 + ins):
                out += _diff_line(b"> ", b[k])
        return bytes(out)
    ctx_style = style == "context"

    def head(mark: str, f: _DiffFile) -> bytes:
        if f.labelled:
            return encode(f"{mark} {f.label}\n")
        return encode(f"{mark} {f.label}\t{_diff_time(f.mtime, ctx_style)}\n")

    out += head("***" if ctx_style else "---", fa)
    out += head("---" if ctx_style else "+++", fb)
    for hunk in _diff_hunks(script, context):
        first0 = hunk[0][0]
        first1 = hunk[0][1]
        last0 = hunk[-1][0] + hunk[-1][2] - 1
        last1 = hunk[-1][1] + hunk[-1][3] - 1
        first0 = max(first0 - context, 0)
        first1 = max(first1 - context, 0)
        last0 = last0 + context if last0 < len(a) - context else len(a) - 1
        last1 = last1 + context if last1 < len(b) - context else len(b) - 1
        if not ctx_style:

            def rng(fst: int, lst: int) -> str:
                ta, tb = fst + 1, lst + 1
                if tb <= ta:
                    return f"{tb},0" if tb < ta else f"{tb}"
                return f"{ta},{tb - ta + 1}"

            out += f"@@ -{rng(first0, last0)} +{rng(first1, last1)} @@\n".encode()
            i, j = first0, first1
            k = 0
            while i <= last0 or j <= last1:
                if k >= len(hunk) or i < hunk[k][0]:
                    out += _diff_line(b" ", a[i])
                    i += 1
                    j += 1
                else:
                    _l0, _l1, dl, ins = hunk[k]
                    for _ in range(dl):
                        out += _diff_line(b"-", a[i])
                        i += 1
                    for _ in range(ins):
                        out += _diff_line(b"+", b[j])
                        j += 1
                    k += 1
            continue

        def crng(fst: int, lst: int) -> str:
            ta, tb = fst + 1, lst + 1
            return f"{tb}" if tb <= ta else f"{ta},{tb}"

        out += b"***************\n"
        out += f"*** {crng(first0, last0)} ****\n".encode()
        if any(dl for _l0, _l1, dl, _ins in hunk):
            marks: dict[int, bytes] = {}
            for l0, _l1, dl, ins in hunk:
                for k2 in range(l0, l0 + dl):
                    marks[k2] = b"! " if ins else b"- "
            for i in range(first0, last0 + 1):
                out += _diff_line(marks.get(i, b"  "), a[i])
        out += f"--- {crng(first1, last1)} ----\n".encode()
        if any(ins for _l0, _l1, _dl, ins in hunk):
            marks = {}
            for _l0, l1, dl, ins in hunk:
                for k2 in range(l1, l1 + ins):
                    marks[k2] = b"! " if dl else b"+ "
            for j in range(first1, last1 + 1):
                out += _diff_line(marks.get(j, b"  "), b[j])
    return bytes(out)


def _diff_norm(
    icase: bool, all_space: bool, space_change: bool, trailing: bool, strip_cr: bool, tabs: bool
) -> Callable[[bytes], bytes] | None:
    if not (icase or all_space or space_change or trailing or strip_cr or tabs):
        return None
    ws = re.compile(rb"[ \t\v\f\r]+")

    def norm(line: bytes) -> bytes:
        nl = line.endswith(b"\n")
        s = line[:-1] if nl else line
        if strip_cr and s.endswith(b"\r"):
            s = s[:-1]
        if tabs:
            s = s.expandtabs(8)
        if all_space:
            s = ws.sub(b"", s)
        elif space_change:
            s = ws.sub(b" ", s).rstrip(b" ")
        elif trailing:
            s = s.rstrip(b" \t\v\f\r")
        if icase:
            s = s.lower()
        return s + (b"\n" if nl else b"")

    return norm


class _DiffRun:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        self.style = "normal"
        self.context = 3
        self.brief = False
        self.report_same = False
        self.recursive = False
        self.new_file = False
        self.text = False
        self.minimal = False
        self.ignore_blank = False
        self.norm: Callable[[bytes], bytes] | None = None
        self.labels: list[str] = []
        self.switches = ""
        self.excludes: list[str] = []
        self.active: set[tuple[str, str]] = set()
        self.width = 130  # -y: the line width (-W)
        self.suppress_common = False
        self.left_column = False
        self.expand_tabs = False

    def load(self, name: str, host: Path | None, label: str) -> _DiffFile:
        ctx = self.ctx
        if name == "-" and host is None:
            data = b"".join(_chunks(ctx, ctx.stdin))
            return _DiffFile(name, label, data, time.time())
        if host is None and name in ctx.fd_names:
            with ctx.open_read(name) as f:
                data = b"".join(_chunks(ctx, f))
            return _DiffFile(name, label, data, time.time())
        if host is None:
            return _DiffFile(name, label, b"", None)
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            data = b"".join(_chunks(ctx, f))
        return _DiffFile(name, label, data, st.st_mtime_ns / 1e9)

    def files(self, na: str, ha: Path | None, nb: str, hb: Path | None, header: bool) -> int:
        la = self.labels[0] if len(self.labels) > 0 else na
        lb = self.labels[1] if len(self.labels) > 1 else nb
        fa = self.load(na, ha, la)
        fb = self.load(nb, hb, lb)
        fa.labelled = len(self.labels) > 0
        fb.labelled = len(self.labels) > 1
        ctx = self.ctx
        if fa.data == fb.data and not (self.style == "side" and not self.brief):
            if self.report_same:
                ctx.out(f"Files {na} and {nb} are identical\n")
            return 0
        binary = not self.text and (b"\0" in fa.data[:65536] or b"\0" in fb.data[:65536])
        if binary or (self.brief and self.norm is None and not self.ignore_blank):
            kind = "Binary files" if binary and not self.brief else "Files"
            ctx.out(f"{kind} {na} and {nb} differ\n")
            return 1
        horizon = self.context if self.style != "normal" else 0
        script = _diff_script(fa.lines, fb.lines, self.norm, self.minimal, horizon, ctx.check)
        if self.ignore_blank:
            script = [
                s
                for s in script
                if not all(
                    ln.strip() == b""
                    for ln in fa.lines[s[0] : s[0] + s[2]] + fb.lines[s[1] : s[1] + s[3]]
                )
            ]
        if self.style == "side" and not self.brief:  # every line, the same ones too
            if header:
                ctx.out(f"diff{self.switches} {na} {nb}\n")
            ctx.stdout.write(side_by_side(
                fa.lines, fb.lines, script, self.width, self.suppress_common,
                self.left_column, self.expand_tabs,
            ))  # fmt: skip
            return 1 if script else 0
        if not script:
            if self.report_same:
                ctx.out(f"Files {na} and {nb} are identical\n")
            return 0
        if self.brief:
            ctx.out(f"Files {na} and {nb} differ\n")
            return 1
        if header:
            ctx.out(f"diff{self.switches} {na} {nb}\n")
        if self.style == "ed":
            ctx.stdout.write(ed_script(fb.lines, script))
        else:
            ctx.stdout.write(_diff_render(fa, fb, script, self.style, self.context))
        return 1

    def dirs(self, na: str, ha: Path | None, nb: str, hb: Path | None) -> int:
        ctx = self.ctx
        here = (str(ha), str(hb))
        if here in self.active:
            ctx.err(f"{na}: recursive directory loop")
            return 2
        self.active.add(here)
        try:
            return self._dirs(na, ha, nb, hb)
        finally:
            self.active.discard(here)

    def _dirs(self, na: str, ha: Path | None, nb: str, hb: Path | None) -> int:
        ctx = self.ctx
        ea = self.listdir(na, ha)
        eb = self.listdir(nb, hb)
        status = 0
        for name in sorted(set(ea) | set(eb), key=encode):
            ctx.check()
            if any(_fnmatch(name, pat) for pat in self.excludes):
                continue
            pa = f"{na}/{name}"
            pb = f"{nb}/{name}"
            ka, host_a = ea.get(name, (None, None))
            kb, host_b = eb.get(name, (None, None))
            if ka == "escape" or kb == "escape":
                bad = pa if ka == "escape" else pb
                ctx.err(f"{bad}: Permission denied (outside /workspace)")
                status = 2
                continue
            if ka is None or kb is None:
                if self.new_file:
                    if (ka or kb) == "dir":
                        if self.recursive:
                            status = max(status, self.dirs(pa, host_a, pb, host_b))
                        else:
                            ctx.out(f"Only in {na if ka else nb}: {name}\n")
                            status = max(status, 1)
                        continue
                    status = max(status, self.files(pa, host_a, pb, host_b, True))
                    continue
                ctx.out(f"Only in {na if ka else nb}: {name}\n")
                status = max(status, 1)
                continue
            if ka == "dir" and kb == "dir":
                if self.recursive:
                    status = max(status, self.dirs(pa, host_a, pb, host_b))
                else:
                    ctx.out(f"Common subdirectories: {pa} and {pb}\n")
                continue
            if ka != kb:
                da = "directory" if ka == "dir" else "regular file"
                db = "directory" if kb == "dir" else "regular file"
                ctx.out(f"File {pa} is a {da} while file {pb} is a {db}\n")
                status = max(status, 1)
                continue
            status = max(status, self.files(pa, host_a, pb, host_b, True))
        return status

    def listdir(self, guest: str, host: Path | None) -> dict[str, tuple[str, Path | None]]:
        """name -> (kind, resolved host path); kind is dir, file or escape."""
        if host is None:
            return {}
        out: dict[str, tuple[str, Path | None]] = {}
        for e in os.scandir(host):
            try:
                real = self.ctx.resolve(f"{guest}/{e.name}")
            except CommandError:
                out[e.name] = ("escape", None)
                continue
            if real.is_dir():
                out[e.name] = ("dir", real)
            elif real.exists():
                out[e.name] = ("file", real)
            # dangling symlinks are skipped
        return out


def _fnmatch(name: str, pat: str) -> bool:
    return fnmatch.fnmatchcase(name, pat)


@command("diff")
def diff(ctx: CommandContext) -> int:
    """Usage: diff [OPTION]... FILES
    Compare FILES line by line (a minimal diff, hunks as GNU diff prints them).

      -q, --brief                   report only when files differ
      -s, --report-identical-files  report when two files are the same
      -c, -C NUM, --context[=NUM]   output NUM (default 3) lines of copied context
      -u, -U NUM, --unified[=NUM]   output NUM (default 3) lines of unified context
          --normal                  output a normal diff (the default)
      -r, --recursive               recursively compare any subdirectories found
      -N, --new-file                treat absent files as empty
      -x, --exclude=PAT             exclude files that match PAT (with -r)
      -i, --ignore-case             ignore case differences in file contents
      -E, --ignore-tab-expansion    ignore changes due to tab expansion
      -Z, --ignore-trailing-space   ignore white space at line end
      -b, --ignore-space-change     ignore changes in the amount of white space
      -w, --ignore-all-space        ignore all white space
      -B, --ignore-blank-lines      ignore changes where lines are all blank
          --strip-trailing-cr       strip trailing carriage return on input
      -a, --text                    treat all files as text
          --label LABEL             use LABEL instead of file name (can be repeated)
      -d, --minimal                 try hard to find a smaller set of changes
      -y, --side-by-side            output in two columns (-W NUM: at most NUM columns,
          --suppress-common-lines   default 130; --left-column: common lines' left only)
      -t, --expand-tabs             expand tabs to spaces in the output
      -e, --ed                      output an ed script
    FILES are 'FILE1 FILE2' or 'DIR1 DIR2' or 'DIR FILE' or 'FILE DIR'; '-' is stdin.
    Exit status is 0 if inputs are the same, 1 if different, 2 if trouble.
    """
    args = ctx.args
    opts, operands = _getopt(
        ctx,
        args,
        "qscC:uU:rNx:iEZbwBadTtpHlyW:e",
        {
            "side-by-side": "y",
            "width=": "W",
            "suppress-common-lines": "scl",
            "left-column": "lc",
            "ed": "e",
            "brief": "q",
            "report-identical-files": "s",
            "context?": "ctx",
            "unified?": "uni",
            "normal": "normal",
            "recursive": "r",
            "new-file": "N",
            "exclude=": "x",
            "ignore-case": "i",
            "ignore-tab-expansion": "E",
            "ignore-trailing-space": "Z",
            "ignore-space-change": "b",
            "ignore-all-space": "w",
            "ignore-blank-lines": "B",
            "strip-trailing-cr": "cr",
            "text": "a",
            "label=": "label",
            "minimal": "d",
            "initial-tab": "T",
            "expand-tabs": "t",
            "speed-large-files": "H",
            "color?": "color",
            "no-dereference": "nodef",
            "show-c-function": "p",
            "paginate": "l",
        },
        status=2,
        try_prefix=True,
    )
    run = _DiffRun(ctx)
    icase = all_space = space_change = trailing = strip_cr = tabs = False
    for k, v in opts:
        if k == "q":
            run.brief = True
        elif k == "s":
            run.report_same = True
        elif k in ("c", "u"):
            run.style = "context" if k == "c" else "unified"
        elif k in ("C", "U", "ctx", "uni"):
            run.style = "context" if k in ("C", "ctx") else "unified"
            if v is not None:
                n = _parse_size(v, suffixes=False)
                if n is None:
                    raise _usage_error(ctx, f"invalid context length '{v}'", 2, True)
                run.context = n
        elif k == "normal":
            run.style = "normal"
        elif k in ("y", "e"):
            run.style = "side" if k == "y" else "ed"
        elif k == "W":
            if not (v or "").isdigit() or int(v or "0") == 0:
                raise _usage_error(ctx, f"invalid width '{v}'", 2, True)
            run.width = min(int(v or "0"), 100_000)
        elif k == "scl":
            run.suppress_common = True
        elif k == "lc":
            run.left_column = True
        elif k == "t":
            run.expand_tabs = True
        elif k == "r":
            run.recursive = True
        elif k == "N":
            run.new_file = True
        elif k == "x":
            run.excludes.append(v or "")
        elif k == "i":
            icase = True
        elif k == "E":
            tabs = True
        elif k == "Z":
            trailing = True
        elif k == "b":
            space_change = True
        elif k == "w":
            all_space = True
        elif k == "B":
            run.ignore_blank = True
        elif k == "cr":
            strip_cr = True
        elif k == "a":
            run.text = True
        elif k == "label":
            run.labels.append(v or "")
        elif k == "d":
            run.minimal = True
        elif k in ("T", "p", "l"):
            raise CommandError(f"option -{k} is not supported", 2)
    run.norm = _diff_norm(icase, all_space, space_change, trailing, strip_cr, tabs)
    # The switches as typed, for the "diff -r a/x b/x" lines.
    switch_words = []
    skip_next = False
    opt_args_needing = set("Cx")
    seen_dd = False
    for a in args:
        if skip_next:
            switch_words.append(a)
            skip_next = False
            continue
        if seen_dd:
            continue
        if a == "--":
            seen_dd = True
            continue
        if a.startswith("-") and a != "-":
            switch_words.append(a)
            if a.startswith("--"):
                if "=" not in a and any(
                    a[2:] and n.startswith(a[2:]) for n in ("label", "exclude")
                ):
                    skip_next = True
            else:
                body = a[1:]
                for idx, c in enumerate(body):
                    if c in opt_args_needing or c == "U":
                        if idx == len(body) - 1:
                            skip_next = True
                        break
    run.switches = "".join(" " + w for w in switch_words)
    if len(operands) < 2:
        if not operands:
            raise _usage_error(ctx, "missing operand after 'diff'", 2, True)
        raise _usage_error(ctx, f"missing operand after '{operands[-1]}'", 2, True)
    if len(operands) > 2:
        raise _usage_error(ctx, f"extra operand '{operands[2]}'", 2, True)
    na, nb = operands

    def locate(name: str) -> tuple[Path | None, str]:
        """(host path or None for stdin/missing, kind: file/dir/stdin/missing)."""
        if name == "-":
            return None, "stdin"
        if name in ctx.fd_names or name in devices.INPUTS:  # a pipe or a device
            return None, "pipe"
        host = ctx.resolve(name)
        if host.is_dir():
            return host, "dir"
        if host.exists():
            return host, "file"
        return None, "missing"

    try:
        ha, ka = locate(na)
        hb, kb = locate(nb)
        if ka == "missing" and not (run.new_file and kb != "missing"):
            raise CommandError(f"{na}: No such file or directory", 2)
        if kb == "missing" and not (run.new_file and ka != "missing"):
            raise CommandError(f"{nb}: No such file or directory", 2)
        if ka == "dir" and kb == "dir":
            return run.dirs(na, ha, nb, hb)
        if ka == "dir" or kb == "dir":
            if ka == "stdin" or kb == "stdin":
                raise CommandError("cannot compare '-' to a directory", 2)
            if ka == "dir":
                nb_base = posix_basename(nb)
                na = f"{na.rstrip('/')}/{nb_base}"
                ha, ka = locate(na)
                if ka == "missing":
                    raise CommandError(f"{na}: No such file or directory", 2)
            else:
                na_base = posix_basename(na)
                nb = f"{nb.rstrip('/')}/{na_base}"
                hb, kb = locate(nb)
                if kb == "missing":
                    raise CommandError(f"{nb}: No such file or directory", 2)
            if ka == "dir" or kb == "dir":
                return run.dirs(na, ha, nb, hb)
        return run.files(na, ha, nb, hb, False)
    except OSError as e:
        raise CommandError(f"{e.filename or ''}: {e.strerror or e}", 2) from None


@command("sdiff")
def sdiff(ctx: CommandContext) -> int:
    """Usage: sdiff [OPTION]... FILE1 FILE2
    Side-by-side merge of differences between FILE1 and FILE2 (the listing only: no
    interactive merge, -o). Options as diff's: -w NUM width (default 130), -s suppress
    common lines, -l left column, -t expand tabs, -i -b -W (ignore all white space)
    -Z -E -B --strip-trailing-cr -a -d."""
    opts, operands = _getopt(
        ctx, ctx.args, "w:sltibWZEBadHo:",
        {"width=": "w", "suppress-common-lines": "s", "left-column": "l",
         "expand-tabs": "t", "ignore-case": "i", "ignore-space-change": "b",
         "ignore-all-space": "W", "ignore-trailing-space": "Z",
         "ignore-tab-expansion": "E", "ignore-blank-lines": "B",
         "strip-trailing-cr": "cr", "text": "a", "minimal": "d",
         "speed-large-files": "H", "output=": "o"},
        status=2, try_prefix=True,
    )  # fmt: skip
    to_diff = {"s": "--suppress-common-lines", "l": "--left-column", "t": "-t", "i": "-i",
               "b": "-b", "W": "-w", "Z": "-Z", "E": "-E", "B": "-B",
               "cr": "--strip-trailing-cr", "a": "-a", "d": "-d", "H": "-H"}  # fmt: skip
    args = ["-y"]
    for k, v in opts:
        if k == "o":
            raise CommandError("-o (an interactive merge) is not supported", 2)
        if k == "w":
            args.append(f"--width={v}")
        else:
            args.append(to_diff[k])
    if len(operands) != 2:
        what = "missing operand after" if len(operands) < 2 else "extra operand"
        where = operands[-1] if len(operands) == 1 else (operands[2] if operands else "sdiff")
        raise _usage_error(ctx, f"{what} '{where}'", 2, True)
    sub = dataclasses.replace(ctx, argv=["diff", *args, "--", *operands])
    return diff(sub)


def posix_basename(path: str) -> str:
    stripped = path.rstrip("/")
    return stripped.rsplit("/", 1)[-1] if stripped else "/"


# --------------------------------------------------------------------------
# xargs
# --------------------------------------------------------------------------

_SHELL_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def _shell_quote(arg: str) -> str:
    if arg and _SHELL_SAFE.fullmatch(arg):
        return arg
    parts = []
    for piece in re.split(r"(\n)", arg):
        if piece == "\n":
            parts.append("$'\\n'")
        elif piece or not parts:
            parts.append("'" + piece.replace("'", "'\\''") + "'")
    return "".join(parts)


def _xargs_delim(ctx: CommandContext, spec: str) -> int:
    raw = encode(spec)
    if len(raw) == 1:
        return raw[0]
    esc = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "0": 0}
    if raw[:1] == b"\\":
        rest = spec[1:]
        if rest in esc:
            return esc[rest]
        try:
            if rest[:1] == "x" and 1 < len(rest) <= 3:
                return int(rest[1:], 16)
            if rest[:1] in "01234567" and len(rest) <= 3:
                v = int(rest, 8)
                if v < 256:
                    return v
        except ValueError:
            pass
    raise CommandError(
        f"Invalid input delimiter specification {spec}: the delimiter must be either a single "
        "character or an escape sequence starting with \\."
    )


class _XargsQuoteError(Exception):
    pass


def _xargs_items(
    ctx: CommandContext,
    f: IO[bytes],
    delim: int | None,
    replace: bool,
    eof_str: bytes | None,
    errors: list[str],
) -> Iterator[tuple[bytes, bool]]:
    """Input items as (item, ends_logical_line)."""
    if delim is not None:
        d = bytes([delim])
        rest = b""
        for chunk in _chunks(ctx, f):
            parts = (rest + chunk).split(d)
            rest = parts.pop()
            for p in parts:
                yield p, True
        if rest:
            yield rest, True
        return
    buf = bytearray()
    state = "space"
    quote = 0
    prev = 0x0A
    have = False  # an argument is being collected (even if empty, after quotes)
    first = True  # no item yielded yet on this input line
    for chunk in _chunks(ctx, f):
        for c in chunk:
            if state == "space":
                if c in b" \t\n\v\f\r":
                    prev = c
                    continue
                state = "norm"
            if state == "norm":
                if c == 0x0A:
                    if buf or have:
                        item = bytes(buf)
                        if eof_str is not None and item == eof_str:
                            return
                        yield item, prev not in b" \t"
                        buf.clear()
                        have = False
                    first = True
                    state = "space"
                    prev = c
                    continue
                if not replace and c in b" \t":
                    item = bytes(buf)
                    if eof_str is not None and item == eof_str:
                        return
                    yield item, False
                    buf.clear()
                    have = False
                    first = False
                    state = "space"
                    prev = c
                    continue
                if c == 0x5C:
                    state = "backslash"
                    prev = c
                    continue
                if c in (0x27, 0x22):
                    state = "quote"
                    quote = c
                    have = True
                    prev = c
                    continue
                buf.append(c)
                have = True
            elif state == "quote":
                if c == 0x0A:
                    kind = "single" if quote == 0x27 else "double"
                    errors.append(
                        f"unmatched {kind} quote; by default quotes are special to xargs "
                        "unless you use the -0 option"
                    )
                    return
                if c == quote:
                    state = "norm"
                else:
                    buf.append(c)
            elif state == "backslash":
                state = "norm"
                buf.append(c)
                have = True
            prev = c
    if state == "quote" and buf:
        kind = "single" if quote == 0x27 else "double"
        errors.append(
            f"unmatched {kind} quote; by default quotes are special to xargs "
            "unless you use the -0 option"
        )
        return
    if buf:
        # At the very end GNU compares only a line's first item with the EOF string.
        item = bytes(buf)
        if eof_str is not None and first and item == eof_str:
            return
        yield item, True


@command("xargs")
def xargs(ctx: CommandContext) -> int:
    """Usage: xargs [OPTION]... COMMAND [INITIAL-ARGS]...
    Run COMMAND with arguments INITIAL-ARGS and more arguments read from input
    (default command: echo). Commands run one after another.

      -0, --null                   items are separated by a null, not whitespace;
                                   disables quote and backslash processing
      -a, --arg-file=FILE          read arguments from FILE, not standard input
      -d, --delimiter=CHARACTER    items in input stream are separated by CHARACTER
      -E END                       set logical EOF string
      -I R                         replace R in INITIAL-ARGS with names read from input;
                                   unquoted blanks do not terminate input items
      -i, --replace[=R]            same as -I R, R defaults to {}
      -L, --max-lines=MAX-LINES    use at most MAX-LINES non-blank input lines per command
      -n, --max-args=MAX-ARGS      use at most MAX-ARGS arguments per command line
      -P, --max-procs=MAX-PROCS    accepted; commands still run one at a time
      -r, --no-run-if-empty        if there are no arguments, do not run COMMAND
      -s, --max-chars=MAX-CHARS    limit length of command line to MAX-CHARS
      -t, --verbose                print commands before executing them
      -x, --exit                   exit if the size (see -s) is exceeded
    Exit status: 0 on success, 123 if any invocation exited with status 1-125,
    124 if a command exited with 255, 125 if killed by a signal, 126 if it
    cannot be run, 127 if it was not found, 1 on other errors.
    """
    opts, operands = _getopt(
        ctx,
        ctx.args,
        "0a:d:E:e::I:i::L:l::n:P:prs:txo",
        {
            "null": "0",
            "arg-file=": "a",
            "delimiter=": "d",
            "eof?": "e",
            "replace?": "i",
            "max-lines?": "l",
            "max-args=": "n",
            "max-procs=": "P",
            "interactive": "p",
            "no-run-if-empty": "r",
            "max-chars=": "s",
            "verbose": "t",
            "exit": "x",
            "open-tty": "o",
            "show-limits": "show-limits",
            "process-slot-var=": "psv",
        },
        stop_at_operand=True,
    )
    delim: int | None = None
    arg_file: str | None = None
    eof_str: bytes | None = None
    repl: bytes | None = None
    max_lines: int | None = None
    max_args: int | None = None
    no_empty = verbose = exit_on_size = False
    max_chars = 131072

    def number(v: str | None, opt: str, minimum: int) -> int:
        try:
            n = int(v or "")
        except ValueError:
            raise _usage_error(ctx, f'invalid number "{v}" for -{opt} option') from None
        if n < minimum:
            raise _usage_error(ctx, f"value {n} for -{opt} option should be >= {minimum}")
        return n

    for k, v in opts:
        if k == "0":
            delim = 0
        elif k == "a":
            arg_file = v
        elif k == "d":
            delim = _xargs_delim(ctx, v or "")
        elif k in ("E", "e"):
            eof_str = encode(v) if v else None
        elif k in ("I", "i"):
            repl = encode(v if v else "{}") if k == "i" else encode(v or "")
            max_lines = 1
            max_args = None
        elif k in ("L", "l"):
            if max_args is not None:
                ctx.err(
                    "warning: options --max-lines and --max-args/-n are mutually exclusive, "
                    "ignoring previous --max-args value"
                )
                max_args = None
            max_lines = number(v, "L", 1) if v is not None or k == "L" else 1
            repl = None
        elif k == "n":
            n = number(v, "n", 1)
            if max_lines is not None and repl is None:
                ctx.err(
                    "warning: options --max-lines and --max-args/-n are mutually exclusive, "
                    "ignoring previous --max-lines value"
                )
                max_lines = None
            max_args = n
        elif k == "P":
            number(v, "P", 0)
        elif k == "p":
            raise CommandError("-p (interactive) is not supported in the corral shell")
        elif k == "r":
            no_empty = True
        elif k == "s":
            max_chars = number(v, "s", 1)
        elif k == "t":
            verbose = True
        elif k == "x":
            exit_on_size = True
        elif k == "show-limits":
            ctx.err(f"Size of command buffer we are actually using: {max_chars}")
    if repl is not None:
        exit_on_size = True
    command_argv = [encode(a) for a in operands] or [b"echo"]
    base_size = sum(len(a) + 1 for a in command_argv)
    if base_size > max_chars:
        raise CommandError("argument line too long")
    run = ctx.run_command
    if run is None:
        raise CommandError("cannot run commands here")
    child_stdin = [b""]
    if arg_file is not None:
        src, why = _open(ctx, arg_file)
        if src is None:
            raise CommandError(f"Cannot open input file {_q(arg_file)}: {why}")
    else:
        src = ctx.stdin
    state = {"status": 0}

    class _Stop(Exception):
        def __init__(self, status: int) -> None:
            self.status = status

    def execute(argv: list[bytes]) -> None:
        ctx.check()
        sargv = [decode(a) for a in argv]
        if verbose:
            ctx.stderr.write(encode(" ".join(_shell_quote(a) for a in sargv) + "\n"))
        stdin_data = child_stdin[0]
        child_stdin[0] = b""
        try:
            status, out, err = run(sargv, stdin_data)
        except KeyError:
            status, out, err = 127, b"", b""
        if out:
            ctx.stdout.write(out)
        if err:
            ctx.stderr.write(err)
        if status == 0:
            return
        if status == 127:
            if not err:
                ctx.err(f"{sargv[0]}: No such file or directory")
            raise _Stop(127)
        if status == 126:
            if not err:
                ctx.err(f"{sargv[0]}: Permission denied")
            raise _Stop(126)
        if status == 255:
            ctx.err(f"{sargv[0]}: exited with status 255; aborting")
            raise _Stop(124)
        if status > 128:
            ctx.err(f"{sargv[0]}: terminated by signal {status - 128}")
            raise _Stop(125)
        state["status"] = 123

    errors: list[str] = []
    ran = False
    try:
        try:
            items = _xargs_items(ctx, src, delim, repl is not None, eof_str, errors)
            if repl is not None:
                for item, _eol in items:
                    argv = [a.replace(repl, item) for a in command_argv]
                    if sum(len(a) + 1 for a in argv) > max_chars:
                        raise CommandError("argument line too long")
                    execute(argv)
                    ran = True
            else:
                pending: list[bytes] = []
                size = base_size
                lines = 0
                for item, eol in items:
                    need = len(item) + 1
                    if base_size + need > max_chars:
                        if pending:
                            execute(command_argv + pending)
                            ran = True
                        raise CommandError("argument line too long")
                    if size + need > max_chars:
                        if exit_on_size and max_args is not None:
                            raise CommandError("argument line too long")
                        execute(command_argv + pending)
                        ran = True
                        pending = []
                        size = base_size
                        lines = 0
                    pending.append(item)
                    size += need
                    if eol:
                        lines += 1
                    if (max_args is not None and len(pending) >= max_args) or (
                        max_lines is not None and lines >= max_lines
                    ):
                        execute(command_argv + pending)
                        ran = True
                        pending = []
                        size = base_size
                        lines = 0
                if errors and (max_lines is not None or exit_on_size):
                    pending = []  # GNU drops the partial command line on a quoting error here
                if pending or (not ran and not no_empty and not errors):
                    execute(command_argv + pending)
                    ran = True
        finally:
            if arg_file is not None and src is not None:
                _close(ctx, src)
    except _Stop as stop:
        return stop.status
    if errors:
        for e in errors:
            ctx.err(e)
        return 1
    return state["status"]
