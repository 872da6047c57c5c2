"""``dd``: copy a file in blocks, converting on the way (GNU coreutils' operands).

``if= of= bs= ibs= obs= count= skip= seek= conv= iflag= oflag= status=``; numbers with
GNU's multipliers (``c w b kB K MB M GB G …``, ``NxM``). Conversions: ``ucase lcase swab
sync notrunc noerror excl nocreat fsync fdatasync sparse``; flags: ``fullblock
skip_bytes count_bytes seek_bytes append`` (the others are accepted and change nothing
here). Input is read a block at a time (a pipe's block is filled: ``fullblock``),
``ctx.check()`` between blocks, so ``dd if=/dev/zero`` without ``count=`` ends at the
call's wall or disk budget; the summary goes to stderr as GNU's does.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from typing import IO

from ..command import CommandContext, CommandError, QuotaWriter, command
from ..limits import max_string
from .text import _usage_error

_MULT = {
    "": 1, "c": 1, "w": 2, "b": 512,
    "kB": 1000, "K": 1024, "k": 1024, "KiB": 1024,
    "MB": 1000**2, "M": 1024**2, "MiB": 1024**2, "xM": 1024**2,
    "GB": 1000**3, "G": 1024**3, "GiB": 1024**3,
    "TB": 1000**4, "T": 1024**4, "TiB": 1024**4,
    "PB": 1000**5, "P": 1024**5, "PiB": 1024**5,
    "EB": 1000**6, "E": 1024**6, "EiB": 1024**6,
}  # fmt: skip
_NUM = re.compile(r"(\d+)([A-Za-z]*)")
_MAX_BLOCK = 1 << 30  # GNU refuses blocks past what it can allocate; so does corral
_CONVS = {"ucase", "lcase", "swab", "sync", "notrunc", "noerror", "excl", "nocreat",
          "fsync", "fdatasync", "sparse"}  # fmt: skip
_UNSUPPORTED = {"ascii", "ebcdic", "ibm", "block", "unblock"}
_IFLAGS = {"fullblock", "skip_bytes", "count_bytes", "append", "binary", "text", "direct",
           "dsync", "sync", "nonblock", "noatime", "nocache", "noctty", "nofollow",
           "directory", "seek_bytes"}  # fmt: skip


def _number(ctx: CommandContext, text: str) -> int:
    """``N[SUFFIX]`` or ``AxB…`` (a product)."""
    total = 1
    for part in text.split("x"):
        m = _NUM.fullmatch(part)
        if not m or m.group(2) not in _MULT:
            raise CommandError(f"invalid number: \u2018{text}\u2019")
        total *= int(m.group(1)) * _MULT[m.group(2)]
        if total > 1 << 63:
            raise CommandError(f"invalid number: \u2018{text}\u2019: Value too large")
    return total


def _human(n: int) -> str:
    """GNU's ``(2.0 kB, 2.0 KiB)`` part of the summary."""
    if n < 1000:
        return ""
    si = iec = ""
    for unit, div in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)):
        if n >= div:
            si = f"{n / div:.1f} {unit}" if n / div < 10 else f"{n / div:.0f} {unit}"
    for unit, div in (("KiB", 1024), ("MiB", 1024**2), ("GiB", 1024**3), ("TiB", 1024**4)):
        if n >= div:
            iec = f"{n / div:.1f} {unit}" if n / div < 10 else f"{n / div:.0f} {unit}"
    return f" ({si}, {iec})" if iec else f" ({si})"


class _Options:
    def __init__(self, ctx: CommandContext) -> None:
        self.inp = self.out = None  # type: str | None
        self.ibs = self.obs = 512
        self.count: int | None = None
        self.skip = self.seek = 0
        self.conv: set[str] = set()
        self.iflag: set[str] = set()
        self.oflag: set[str] = set()
        self.status = ""
        for arg in ctx.args:
            key, eq, val = arg.partition("=")
            if not eq:
                raise _usage_error(ctx, f"unrecognized operand \u2018{arg}\u2019")
            if key == "if":
                self.inp = val
            elif key == "of":
                self.out = val
            elif key in ("bs", "ibs", "obs"):
                n = _number(ctx, val)
                if n == 0 or n > _MAX_BLOCK:
                    raise CommandError(f"invalid number: \u2018{val}\u2019")
                if key in ("bs", "ibs"):
                    self.ibs = n
                if key in ("bs", "obs"):
                    self.obs = n
            elif key == "cbs":
                _number(ctx, val)
            elif key == "count":
                self.count = _number(ctx, val)
            elif key in ("skip", "iseek"):
                self.skip = _number(ctx, val)
            elif key in ("seek", "oseek"):
                self.seek = _number(ctx, val)
            elif key == "conv":
                for c in val.split(","):
                    if c in _UNSUPPORTED:
                        raise CommandError(f"conv={c} is not supported by corral's dd")
                    if c not in _CONVS:
                        raise _usage_error(ctx, f"invalid conversion: \u2018{c}\u2019")
                    self.conv.add(c)
            elif key in ("iflag", "oflag"):
                for f in val.split(","):
                    if f not in _IFLAGS:
                        what = "input" if key == "iflag" else "output"
                        raise _usage_error(ctx, f"invalid {what} flag: \u2018{f}\u2019")
                    (self.iflag if key == "iflag" else self.oflag).add(f)
            elif key == "status":
                if val not in ("none", "noxfer", "progress"):
                    raise _usage_error(ctx, f"invalid status level: \u2018{val}\u2019")
                self.status = val
            else:
                raise _usage_error(ctx, f"unrecognized operand \u2018{arg}\u2019")
        if "ucase" in self.conv and "lcase" in self.conv:
            raise _usage_error(ctx, "cannot combine lcase and ucase")
        if "excl" in self.conv and "nocreat" in self.conv:
            raise _usage_error(ctx, "cannot combine excl and nocreat")


def _open_out(ctx: CommandContext, o: _Options) -> IO[bytes]:
    """``of=``: created unless ``nocreat``, never truncated here (``seek=`` keeps what
    lies before it; the caller truncates there unless ``notrunc``)."""
    assert o.out is not None
    if o.out.startswith("/dev/"):
        try:
            return ctx.open_write(o.out, append="append" in o.oflag)
        except CommandError as e:
            raise CommandError(f"failed to open '{o.out}': {str(e).split(': ', 1)[-1]}") from None
    flags = os.O_WRONLY | (os.O_APPEND if "append" in o.oflag else 0)
    excl = "excl" in o.conv
    try:
        fd = -1
        if not excl:
            try:
                fd = ctx.open_fd(o.out, flags)
            except CommandError as e:
                if "nocreat" in o.conv or "No such file" not in str(e):
                    raise
        if fd < 0:
            ctx.ws.charge(0, new_files=1)  # the file-count budget
            fd = ctx.open_fd(o.out, flags | os.O_CREAT | (os.O_EXCL if excl else 0))
    except CommandError as e:
        raise CommandError(f"failed to open '{o.out}': {str(e).split(': ', 1)[-1]}") from None
    return QuotaWriter(os.fdopen(fd, "wb"), ctx.ws, ctx.guest_path(o.out))  # type: ignore[return-value]


def _read_block(ctx: CommandContext, f: IO[bytes], size: int) -> bytes:
    """Up to ``size`` bytes: a pipe's short reads are joined (as ``iflag=fullblock``)."""
    data = f.read(size)
    if not data or len(data) == size:
        return data or b""
    parts = [data]
    got = len(data)
    while got < size:
        ctx.check()
        more = f.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _skip_input(ctx: CommandContext, f: IO[bytes], nbytes: int) -> bool:
    """Skip ``nbytes`` of input (a seek where the input seeks); False if it ended first."""
    try:
        if f.seekable():
            end = f.seek(0, os.SEEK_END)
            f.seek(min(nbytes, end))
            return nbytes <= end
    except (OSError, ValueError, AttributeError):
        pass
    left = nbytes
    while left > 0:
        ctx.check()
        piece = f.read(min(left, 1 << 16))
        if not piece:
            return False
        left -= len(piece)
    return True


@command("dd")
def dd_cmd(ctx: CommandContext) -> int:
    """Usage: dd [OPERAND]...
    Copy a file, converting and formatting according to the operands: if=FILE of=FILE
    bs=BYTES ibs=BYTES obs=BYTES count=N skip=N seek=N conv=CONVS iflag=FLAGS oflag=FLAGS
    status=LEVEL (none, noxfer, progress)."""
    if ctx.args and ctx.args[0] == "--":
        ctx.argv = [ctx.argv[0], *ctx.args[1:]]
    o = _Options(ctx)
    limit = max_string(ctx.ws.budget)  # a block is held whole: within the memory budget
    for size in (o.ibs, o.obs):
        if size > limit:
            raise CommandError(f"memory exhausted by input buffer of size {size} bytes "
                               f"(corral holds at most {limit} bytes a block)")  # fmt: skip
    start = time.monotonic()
    if o.inp is None:
        f: IO[bytes] = ctx.stdin
    else:
        try:
            f = ctx.open_read(o.inp)
        except CommandError as e:
            raise CommandError(f"failed to open '{o.inp}': {str(e).split(': ', 1)[-1]}") from None
    out: IO[bytes] = ctx.stdout if o.out is None else _open_out(ctx, o)
    status = 0
    full_in = part_in = full_out = part_out = total = 0
    try:
        skip = o.skip if "skip_bytes" in o.iflag else o.skip * o.ibs
        if skip and not _skip_input(ctx, f, skip):
            ctx.err(f"{o.inp or 'standard input'}: cannot skip to specified offset")
        if o.out is not None and not o.out.startswith("/dev/"):
            seek = o.seek if "seek_bytes" in o.oflag else o.seek * o.obs
            fd = out.fileno()
            size = os.fstat(fd).st_size
            if "notrunc" not in o.conv:
                if seek > size:
                    ctx.ws.charge(seek - size)  # a sparse file still counts
                os.ftruncate(fd, seek)
            if "append" not in o.oflag:
                os.lseek(fd, seek, os.SEEK_SET)
        left = None
        if o.count is not None:
            left = o.count if "count_bytes" in o.iflag else o.count * o.ibs
        pending = bytearray()
        while left is None or left > 0:
            ctx.check()
            want = o.ibs if left is None else min(o.ibs, left)
            block = _read_block(ctx, f, want)
            if not block:
                break
            if left is not None:
                left -= len(block)
            if len(block) == o.ibs:
                full_in += 1
            else:
                part_in += 1
                if "sync" in o.conv:
                    block += bytes(o.ibs - len(block))
            if "swab" in o.conv:  # swap each pair of bytes (an odd last one stays)
                n = len(block) - len(block) % 2
                b = bytearray(block)
                b[0:n:2], b[1:n:2] = block[1:n:2], block[0:n:2]
                block = bytes(b)
            if "ucase" in o.conv:
                block = block.upper()
            elif "lcase" in o.conv:
                block = block.lower()
            if o.ibs == o.obs and not pending:
                out.write(block)
                total += len(block)
                if len(block) == o.obs:
                    full_out += 1
                else:
                    part_out += 1
                continue
            pending += block
            while len(pending) >= o.obs:
                out.write(bytes(pending[: o.obs]))
                del pending[: o.obs]
                total += o.obs
                full_out += 1
        if pending:
            out.write(bytes(pending))
            total += len(pending)
            part_out += 1
        out.flush()
        if "fsync" in o.conv or "fdatasync" in o.conv:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.fsync(out.fileno())
    finally:
        if f is not ctx.stdin:
            f.close()
        if out is not ctx.stdout:
            out.close()
    if o.status != "none":
        ctx.stderr.write(
            f"{full_in}+{part_in} records in\n{full_out}+{part_out} records out\n".encode()
        )
        if o.status != "noxfer":
            secs = max(time.monotonic() - start, 1e-6)
            rate = total / secs
            shown = _human(int(rate)).strip(" ()").split(",")[0] or f"{rate:.0f} B"
            ctx.stderr.write(
                f"{total} byte{'' if total == 1 else 's'}{_human(total)} copied, "
                f"{secs:.6g} s, {shown}/s\n".encode()
            )
    return status
