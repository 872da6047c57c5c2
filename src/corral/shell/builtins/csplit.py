"""``csplit``: split a file at line numbers and regular-expression matches (GNU).

Patterns: ``N`` (before line N), ``/RE/[OFFSET]`` (before the matching line, moved by
OFFSET), ``%RE%[OFFSET]`` (skip to it, no file), ``{N}`` (the previous pattern N more
times), ``{*}`` (as often as it matches). Options ``-f PREFIX -n DIGITS -s/-q -z -k``.
Sizes are printed as GNU does; on an error the files made are removed unless ``-k``.
Regular expressions are GNU BREs run by RE2 (``saferegex``); the input is held in memory
up to :func:`limits.max_string`.
"""

from __future__ import annotations

import contextlib
import re

from ... import saferegex
from .. import hostfs as hfs
from ..command import CommandContext, CommandError, command
from ..limits import max_string, too_large
from .grep_sed import RegexError, posix_to_python
from .text import _getopt, _usage_error

_PAT = re.compile(r"([/%])(.*)\1([+-]\d+)?", re.S)
_REPEAT = re.compile(r"\{(\d+|\*)\}")


class _Stop(Exception):
    """A pattern failed: the message; the rest of the input still goes to a file."""


@command("csplit")
def csplit_cmd(ctx: CommandContext) -> int:
    """Usage: csplit [OPTION]... FILE PATTERN...
    Output pieces of FILE separated by PATTERN(s) to files 'xx00', 'xx01', ..., and output
    byte counts of each piece to standard output.
      -f, --prefix=PREFIX   use PREFIX instead of 'xx'
      -k, --keep-files      do not remove output files on errors
      -n, --digits=DIGITS   use specified number of digits instead of 2
      -s, --quiet, --silent do not print counts of output file sizes
      -z, --elide-empty-files  remove empty output files"""
    opts, ops = _getopt(
        ctx, ctx.args, "f:kn:sqz",
        {"prefix=": "f", "keep-files": "k", "digits=": "n", "quiet": "s", "silent": "s",
         "elide-empty-files": "z"},
        stop_at_operand=False,
    )  # fmt: skip
    prefix, keep, digits, quiet, elide = "xx", False, 2, False, False
    for k, v in opts:
        if k == "f":
            prefix = v or ""
        elif k == "k":
            keep = True
        elif k == "n":
            if not (v or "").isdigit():
                raise CommandError(f"invalid number: \u2018{v}\u2019")
            digits = min(int(v or "2"), 64)
        elif k in ("s", "q"):
            quiet = True
        elif k == "z":
            elide = True
    if not ops:
        raise _usage_error(ctx, "missing operand")
    if len(ops) < 2:
        raise _usage_error(ctx, f"missing operand after \u2018{ops[0]}\u2019")
    patterns = _parse(ops[1:])
    limit = max_string(ctx.ws.budget)
    with ctx.open_read(ops[0]) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise CommandError(too_large(ops[0], len(data), limit))
    lines = data.splitlines(keepends=True)
    made: list[str] = []
    status = 0

    def emit(chunk: list[bytes]) -> None:
        if elide and not chunk:
            return
        name = f"{prefix}{len(made):0{digits}d}"
        with ctx.open_write(name) as out:
            out.write(b"".join(chunk))
        made.append(name)
        if not quiet:
            ctx.out(f"{sum(map(len, chunk))}\n")

    cur = 0  # the first line of the piece being made
    after = 0  # where the next search starts (after the last match)
    try:
        for kind, arg, offset, times in patterns:
            for rep in range(times if times >= 0 else len(lines) + 1):
                ctx.check()
                if kind == "line":
                    at = arg * (rep + 1) - 1  # type: ignore[operator]
                    if at > len(lines) or (at == len(lines) and rep > 0):
                        shown = arg if rep == 0 else f"{arg}\u2019 on repetition {rep}"
                        raise _Stop(f"\u2018{shown}\u2019: line number out of range")
                    emit(lines[cur:at])
                    cur = after = at
                    continue
                rx, text = arg  # type: ignore[misc]
                hit = next(
                    (i for i in range(after, len(lines)) if rx.search(_text(lines[i]))), None
                )
                if hit is None:
                    if times < 0:  # {*}: as often as it matches
                        break
                    where = f" on repetition {rep}" if rep else ""
                    raise _Stop(f"\u2018{text}\u2019: match not found{where}")
                at = min(max(hit + offset, cur), len(lines))
                after = hit + 1
                if kind == "skip":
                    cur = at
                else:
                    emit(lines[cur:at])
                    cur = at
    except _Stop as e:
        emit(lines[cur:])
        ctx.err(str(e))
        status = 1
        if not keep:
            for name in made:
                with contextlib.suppress(OSError, CommandError):
                    hfs.unlink(ctx.ws, ctx.resolve(name))
        return status
    emit(lines[cur:])
    return status


def _text(line: bytes) -> str:
    return line.decode("utf-8", "surrogateescape").rstrip("\n")


def _parse(args: list[str]) -> list[tuple[str, object, int, int]]:
    """(kind: line/split/skip, line number or (regex, text), offset, times: 1, N+1, -1)."""
    out: list[tuple[str, object, int, int]] = []
    prev_line = 0
    for a in args:
        m = _REPEAT.fullmatch(a)
        if m:
            if not out:
                raise CommandError(f"\u2018{a}\u2019: invalid pattern")
            kind, arg, off, _ = out[-1]
            out[-1] = (kind, arg, off, -1 if m.group(1) == "*" else int(m.group(1)) + 1)
            continue
        if a.isdigit():
            n = int(a)
            if n == 0:
                raise CommandError("0: line number must be greater than zero")
            if n < prev_line:
                raise CommandError(
                    f"line number \u2018{n}\u2019 is smaller than preceding line number, "
                    f"{prev_line}"
                )
            prev_line = n
            out.append(("line", n, 0, 1))
            continue
        m = _PAT.fullmatch(a)
        if not m:
            raise CommandError(f"{a}: invalid pattern")
        try:
            rx = saferegex.compile(posix_to_python(m.group(2), False))
        except (RegexError, re.error) as e:
            raise CommandError(f"{a}: {e}") from None
        kind = "split" if m.group(1) == "/" else "skip"
        out.append((kind, (rx, a), int(m.group(3) or 0), 1))
    return out
