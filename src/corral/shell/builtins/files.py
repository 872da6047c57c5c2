"""File built-ins: cat, ls, cp, mv, rm, mkdir, rmdir, touch, ln, chmod, stat,
readlink, realpath, basename, dirname, find, tar, gzip/gunzip/zcat, base64 and
the md5sum family.

Every path goes through ``ctx.resolve`` (the one resolver, which never leaves
``/workspace``); directory walks list real directories and never follow a
symbolic link without resolving it again. Commands that create many files (cp -r,
tar -x) keep their own account of the disk budget, taken once at the start.
"""

from __future__ import annotations

import base64 as b64mod
import binascii
import contextlib
import errno
import hashlib
import io
import os
import posixpath
import re
import stat as statmod
import tarfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from ... import saferegex
from ...budget import MB
from .. import hostfs as hfs
from ..command import Cancelled, CommandContext, CommandError, command, decode, encode
from ..limits import max_string, too_large
from .misc import (
    human_size,
    parse_date,
    parse_opts,
    strftime_c,
    try_help,
    tz_from_env,
)

OUTSIDE = "Permission denied (outside /workspace)"
CHUNK = 1 << 16
MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------


def _reason(e: BaseException) -> str:
    """The ``strerror`` part of an error, for messages like ``cannot stat 'x': ...``."""
    if isinstance(e, CommandError):
        msg = str(e)
        return OUTSIDE if msg.endswith(OUTSIDE) else msg.rpartition(": ")[2]
    if isinstance(e, OSError):
        return e.strerror or str(e)
    return str(e)


def _lstat(ctx: CommandContext, path: str, follow: bool = False) -> tuple[Path, os.stat_result]:
    """Host path and stat of ``path`` (the link itself unless ``follow``).
    Raises CommandError (escape) or OSError (missing...)."""
    host = ctx.resolve(path, follow_last=follow)
    return host, hfs.lstat(ctx.ws, host)


def _try_lstat(
    ctx: CommandContext, path: str, follow: bool = False
) -> tuple[Path | None, os.stat_result | None, str]:
    try:
        host, st = _lstat(ctx, path, follow)
        return host, st, ""
    except (CommandError, OSError) as e:
        return None, None, _reason(e)


def _join(parent: str, name: str) -> str:
    """Display path of ``name`` inside ``parent`` as GNU tools print it."""
    if parent.endswith("/"):
        return parent + name
    return parent + "/" + name


def _sorted_names(ctx: CommandContext, host: Path | str) -> list[str]:
    """Names in a directory, listed through a descriptor opened beneath the root."""
    return sorted(hfs.listdir(ctx.ws, host), key=os.fsencode)


def _mode_string(mode: int) -> str:
    return statmod.filemode(mode)


def _quote(name: str) -> str:
    """GNU's 'shell-escape' quoting for messages: plain names stay bare."""
    return f"'{name}'"


def _open_nofollow(ctx: CommandContext, host: Path | str) -> IO[bytes]:
    return hfs.open_read(ctx.ws, host)


class _Room:
    """Disk-budget bookkeeping for commands that write many files: the usage is
    measured once, then every byte and file is charged against what is left."""

    def __init__(self, ctx: CommandContext) -> None:
        used, files = ctx.ws.disk_usage()
        budget = ctx.ws.budget
        self.mb = budget.disk_mb
        self.max_files = budget.disk_files
        self.bytes = int(budget.disk_mb * MB) - used
        self.files = budget.disk_files - files

    def charge(self, n: int) -> None:
        if n > self.bytes:
            raise OSError(errno.ENOSPC, f"No space left on device (disk budget of {self.mb:g} MB)")
        self.bytes -= n

    def new_file(self) -> None:
        if self.files <= 0:
            raise OSError(errno.EDQUOT, f"Disk quota exceeded (budget of {self.max_files} files)")
        self.files -= 1


def _set_meta(
    ctx: CommandContext,
    target: Path | int,
    mode: int | None,
    times_ns: tuple[int, int] | None,
) -> None:
    """chmod/utime a descriptor, or a path without following a symlink there
    (reached beneath the root; a symlink is left alone)."""
    if not isinstance(target, int):
        try:
            hfs.set_meta(ctx.ws, target, mode, times_ns)
        except OSError as e:
            if e.errno != errno.ELOOP:
                raise
        return
    if mode is not None:
        os.fchmod(target, mode)
    if times_ns is not None:
        os.utime(target, ns=times_ns)


def _create(
    ctx: CommandContext, host: Path, mode: int = 0o644, exclusive: bool = False
) -> IO[bytes]:
    return hfs.create(ctx.ws, host, mode, exclusive)


def _unlink_quietly(ctx: CommandContext, host: Path) -> None:
    with contextlib.suppress(OSError):
        hfs.unlink(ctx.ws, host)


def _copy_data(ctx: CommandContext, src: IO[bytes], dst: IO[bytes], room: _Room | None) -> int:
    total = 0
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            return total
        if room is not None:
            room.charge(len(chunk))
        dst.write(chunk)
        total += len(chunk)
        ctx.check()


def _local_time(ctx: CommandContext, t: float) -> datetime:
    return datetime.fromtimestamp(t, tz_from_env(ctx.env))


def _full_time(ctx: CommandContext, ns: int) -> str:
    dt = _local_time(ctx, ns // 1_000_000_000)
    return strftime_c("%Y-%m-%d %H:%M:%S.%N %z", dt, ns % 1_000_000_000)


# ---------------------------------------------------------------------------
# cat
# ---------------------------------------------------------------------------


def _visible(data: bytes, tabs: bool) -> bytes:
    out = bytearray()
    for b in data:
        if b >= 128:
            out += b"M-"
            b -= 128
        if b < 32:
            if b == 9 and not tabs:
                out.append(9)
            else:
                out += b"^" + bytes([b + 64])
        elif b == 127:
            out += b"^?"
        else:
            out.append(b)
    return bytes(out)


@dataclass
class _CatState:
    line_no: int = 0
    at_start: bool = True
    blank_run: int = 0


@command("cat")
def cat(ctx: CommandContext) -> int:
    """Usage: cat [OPTION]... [FILE]...
    Concatenate FILE(s) to standard output. With no FILE, or when FILE is -, read
    standard input.

      -A, --show-all           equivalent to -vET
      -b, --number-nonblank    number nonempty output lines, overrides -n
      -e                       equivalent to -vE
      -E, --show-ends          display $ at end of each line
      -n, --number             number all output lines
      -s, --squeeze-blank      suppress repeated empty output lines
      -t                       equivalent to -vT
      -T, --show-tabs          display TAB characters as ^I
      -u                       (ignored)
      -v, --show-nonprinting   use ^ and M- notation, except for LFD and TAB
    """
    opts, files = parse_opts(
        ctx,
        "AbeEnstTuv",
        [
            "show-all",
            "number-nonblank",
            "show-ends",
            "number",
            "squeeze-blank",
            "show-tabs",
            "show-nonprinting",
        ],
    )
    number = nonblank = ends = squeeze = tabs = nonprint = False
    for o, _ in opts:
        if o in ("-A", "--show-all"):
            nonprint = ends = tabs = True
        elif o in ("-b", "--number-nonblank"):
            nonblank = True
        elif o == "-e":
            nonprint = ends = True
        elif o in ("-E", "--show-ends"):
            ends = True
        elif o in ("-n", "--number"):
            number = True
        elif o in ("-s", "--squeeze-blank"):
            squeeze = True
        elif o == "-t":
            nonprint = tabs = True
        elif o in ("-T", "--show-tabs"):
            tabs = True
        elif o in ("-v", "--show-nonprinting"):
            nonprint = True
    if nonblank:
        number = False
    plain = not (number or nonblank or ends or squeeze or tabs or nonprint)
    state = _CatState()
    status = 0
    for name in files or ["-"]:
        try:
            f = ctx.open_read(name)
        except CommandError as e:
            ctx.err(str(e))
            status = 1
            continue
        read = getattr(f, "read1", f.read) if name == "-" else f.read
        try:
            if plain:
                while True:
                    chunk = read(CHUNK)
                    if not chunk:
                        break
                    ctx.stdout.write(chunk)
                    ctx.check()
            else:
                _cat_lines(ctx, f, state, number, nonblank, ends, squeeze, tabs, nonprint)
        except OSError as e:
            if isinstance(e, BrokenPipeError):
                raise
            ctx.err(f"{name}: {e.strerror}")
            status = 1
        finally:
            if name != "-":
                f.close()
    return status


def _cat_lines(
    ctx: CommandContext,
    f: IO[bytes],
    state: _CatState,
    number: bool,
    nonblank: bool,
    ends: bool,
    squeeze: bool,
    tabs: bool,
    nonprint: bool,
) -> None:
    count = 0
    out = bytearray()
    while True:
        piece = f.readline(CHUNK)
        if not piece:
            break
        count += 1
        if count % 1000 == 0:
            ctx.check()
        has_nl = piece.endswith(b"\n")
        body = piece[:-1] if has_nl else piece
        if state.at_start:
            blank = has_nl and not body
            if blank:
                state.blank_run += 1
                if squeeze and state.blank_run > 1:
                    continue
            else:
                state.blank_run = 0
            if number or (nonblank and not blank):
                state.line_no += 1
                out += f"{state.line_no:6d}\t".encode()
        if nonprint:
            body = _visible(body, tabs)
        elif tabs:
            body = body.replace(b"\t", b"^I")
        out += body
        if has_nl:
            out += b"$\n" if ends else b"\n"
        state.at_start = has_nl
        if len(out) >= CHUNK:
            ctx.stdout.write(bytes(out))
            out.clear()
    if out:
        ctx.stdout.write(bytes(out))


# ---------------------------------------------------------------------------
# ls
# ---------------------------------------------------------------------------


@dataclass
class _LsEnt:
    name: str  # as shown
    st: os.stat_result | None
    host: Path | None
    guest: str  # guest path, for following a symlink through the resolver
    target: str | None = None  # symlink target text
    target_st: os.stat_result | None = None
    target_ok: bool = False


@dataclass
class _LsOpts:
    long: bool = False
    all: bool = False
    almost: bool = False
    recursive: bool = False
    reverse: bool = False
    sort: str = "name"  # name, time, size, none, version, extension
    human: bool = False
    directory: bool = False
    classify: bool = False
    slash: bool = False
    inode: bool = False
    size_blocks: bool = False
    numeric: bool = False
    no_owner: bool = False
    no_group: bool = False
    full_time: bool = False
    time_field: str = "mtime"
    zero: bool = False
    group_dirs: bool = False
    #: the short format: "one" a line (-1, the default off a terminal), "columns" (-C),
    #: "across" (-x), "commas" (-m), in ``width`` columns (-w, $COLUMNS, else 80)
    layout: str = "one"
    width: int = 80
    status: int = 0
    now: float = field(default_factory=time.time)


def _ls_time(st: os.stat_result, which: str) -> tuple[float, int]:
    if which == "atime":
        return st.st_atime, st.st_atime_ns
    if which == "ctime":
        return st.st_ctime, st.st_ctime_ns
    return st.st_mtime, st.st_mtime_ns


def _version_key(name: str) -> list[tuple[int, int | bytes]]:
    parts = re.split(r"(\d+)", name)
    key: list[tuple[int, int | bytes]] = []
    for i, p in enumerate(parts):
        if i % 2:
            key.append((1, int(p)))
        elif p:
            key.append((0, os.fsencode(p)))
    return key


def _ls_sort(ents: list[_LsEnt], o: _LsOpts) -> list[_LsEnt]:
    if o.sort == "none":
        return ents
    by_name = sorted(ents, key=lambda e: os.fsencode(e.name))
    if o.sort == "time":
        res = sorted(by_name, key=lambda e: -_ls_time(e.st, o.time_field)[1] if e.st else 0)
    elif o.sort == "size":
        res = sorted(by_name, key=lambda e: -(e.st.st_size if e.st else 0))
    elif o.sort == "version":
        res = sorted(ents, key=lambda e: _version_key(e.name))
    elif o.sort == "extension":
        res = sorted(
            by_name,
            key=lambda e: os.fsencode(e.name.rpartition(".")[2] if "." in e.name[1:] else ""),
        )
    else:
        res = by_name
    if o.reverse:
        res.reverse()
    if o.group_dirs:
        res = [e for e in res if _ls_is_dir(e)] + [e for e in res if not _ls_is_dir(e)]
    return res


def _ls_is_dir(e: _LsEnt) -> bool:
    if e.st is None:
        return False
    if statmod.S_ISDIR(e.st.st_mode):
        return True
    return (
        statmod.S_ISLNK(e.st.st_mode)
        and e.target_st is not None
        and statmod.S_ISDIR(e.target_st.st_mode)
    )


def _indicator(mode: int, o: _LsOpts) -> str:
    if statmod.S_ISDIR(mode):
        return "/" if (o.classify or o.slash) else ""
    if not o.classify:
        return ""
    if statmod.S_ISLNK(mode):
        return "@"
    if statmod.S_ISFIFO(mode):
        return "|"
    if statmod.S_ISSOCK(mode):
        return "="
    if statmod.S_ISREG(mode) and mode & 0o111:
        return "*"
    return ""


def _ls_follow(ctx: CommandContext, e: _LsEnt) -> None:
    """Fill in a symlink's target text and the target's stat (via the resolver)."""
    if e.st is None or not statmod.S_ISLNK(e.st.st_mode) or e.host is None:
        return
    try:
        e.target = os.readlink(e.host)
    except OSError:
        e.target = "?"
    try:
        th = ctx.resolve(e.guest)
        e.target_st = os.stat(th)
        e.target_ok = True
    except (CommandError, OSError):
        e.target_st = None


def _ls_date(ctx: CommandContext, st: os.stat_result, o: _LsOpts) -> str:
    t, ns = _ls_time(st, o.time_field)
    if o.full_time:
        return _full_time(ctx, ns)
    dt = _local_time(ctx, t)
    six_months = 31556952 // 2
    if o.now - six_months < t <= o.now + 1:
        return f"{MONTH_ABBR[dt.month - 1]} {dt.day:2d} {dt.hour:02d}:{dt.minute:02d}"
    return f"{MONTH_ABBR[dt.month - 1]} {dt.day:2d}  {dt.year}"


def _blocks_1k(st: os.stat_result) -> int:
    return -(-st.st_blocks // 2)


def _ls_print(ctx: CommandContext, ents: list[_LsEnt], o: _LsOpts, total: bool) -> None:
    if not ents and not total:
        return
    lines: list[str] = []
    end = "\0" if o.zero else "\n"
    if total and (o.long or o.size_blocks):
        blocks = sum(e.st.st_blocks for e in ents if e.st)
        tot = human_size(blocks * 512) if o.human else str(-(-blocks // 2))
        lines.append(f"total {tot}")

    def blocks_col(e: _LsEnt) -> str:
        if not e.st:
            return "?"
        return human_size(e.st.st_blocks * 512) if o.human else str(_blocks_1k(e.st))

    if o.long:
        rows = []
        for e in ents:
            st = e.st
            if st is None:
                continue
            if o.classify or o.long:
                _ls_follow(ctx, e)
            size = (
                f"{os.major(st.st_rdev)}, {os.minor(st.st_rdev)}"
                if statmod.S_ISCHR(st.st_mode) or statmod.S_ISBLK(st.st_mode)
                else (human_size(st.st_size) if o.human else str(st.st_size))
            )
            name = e.name
            if statmod.S_ISLNK(st.st_mode):
                name += " -> " + (e.target or "")
                if o.classify and e.target_st is not None:
                    name += _indicator(e.target_st.st_mode, o)
            else:
                name += _indicator(st.st_mode, o)
            owner = "1000" if o.numeric else "user"
            row = []
            if o.inode:
                row.append(str(st.st_ino))
            if o.size_blocks:
                row.append(blocks_col(e))
            row += [_mode_string(st.st_mode), str(st.st_nlink)]
            if not o.no_owner:
                row.append(owner)
            if not o.no_group:
                row.append(owner)
            row += [size, _ls_date(ctx, st, o), name]
            rows.append(row)
        if rows:
            ncol = len(rows[0])
            widths = [max(len(r[i]) for r in rows) for i in range(ncol)]
            first_owner = (1 if o.inode else 0) + (1 if o.size_blocks else 0) + 2
            owner_cols = set(range(first_owner, ncol - 2 - 1))
            for r in rows:
                cells = []
                for i, c in enumerate(r):
                    if i == ncol - 1 or i == ncol - 2:
                        cells.append(c)
                    elif i in owner_cols:
                        cells.append(c.ljust(widths[i]))
                    elif i == (1 if o.inode else 0) + (1 if o.size_blocks else 0):
                        cells.append(c)  # mode string
                    else:
                        cells.append(c.rjust(widths[i]))
                lines.append(" ".join(cells))
    else:
        prefix_w = 0
        pre: list[str] = []
        for e in ents:
            p = ""
            if o.inode:
                p += str(e.st.st_ino) if e.st else "?"
            if o.size_blocks:
                p += (" " if p else "") + blocks_col(e)
            pre.append(p)
        if o.inode and o.size_blocks:
            wi = max((len(str(e.st.st_ino)) for e in ents if e.st), default=0)
            wb = max((len(blocks_col(e)) for e in ents), default=0)
            pre = [
                f"{(str(e.st.st_ino) if e.st else '?'):>{wi}} {blocks_col(e):>{wb}}" for e in ents
            ]
        prefix_w = max((len(p) for p in pre), default=0)
        names = []
        for e, p in zip(ents, pre, strict=True):
            ind = _indicator(e.st.st_mode, o) if e.st else ""
            names.append((p.rjust(prefix_w) + " " if p else "") + e.name + ind)
        if o.layout != "one" and names and not o.zero:
            ctx.out("".join(line + "\n" for line in lines) + _ls_layout(names, o))
            return
        lines += names
    ctx.out("".join(line + end for line in lines))


def _ls_indent(frm: int, to: int) -> str:
    """GNU ls's padding: a tab where it reaches a tab stop not past ``to``, else spaces."""
    out = []
    while frm < to:
        if to // 8 > (frm + 1) // 8:
            out.append("\t")
            frm += 8 - frm % 8
        else:
            out.append(" ")
            frm += 1
    return "".join(out)


def _ls_layout(names: list[str], o: _LsOpts) -> str:
    """-C (down the columns), -x (across) or -m (commas) within ``o.width`` columns,
    with GNU ls's column arithmetic (each column 2 wider than its longest name but the
    last; as many columns as fit in fewer than ``width``)."""
    n = len(names)
    lens = [len(x) for x in names]
    width = o.width
    if o.layout == "commas":
        out, pos = [], 0
        for i, (name, ln) in enumerate(zip(names, lens, strict=True)):
            if i:
                if width == 0 or pos + ln + 2 < width:
                    out.append(", ")
                    pos += 2
                else:
                    out.append(",\n")
                    pos = 0
            out.append(name)
            pos += ln
        return "".join(out) + "\n"
    by_columns = o.layout == "columns"
    max_cols = max(1, min(width // 3 if width else n, n))
    best_cols, best_widths = 1, [max(lens)]
    for cols in range(max_cols, 0, -1):
        rows = (n + cols - 1) // cols
        widths = [3] * cols
        for k, ln in enumerate(lens):
            idx = k // rows if by_columns else k % cols
            widths[idx] = max(widths[idx], ln + (0 if idx == cols - 1 else 2))
        if cols == 1 or width == 0 or sum(widths) < width:
            best_cols, best_widths = cols, widths
            break
    cols, widths = best_cols, best_widths
    rows = (n + cols - 1) // cols
    out = []
    if by_columns:
        for r in range(rows):
            pos, col, k = 0, 0, r
            while True:
                out.append(names[k])
                nxt = k + rows
                if nxt >= n:
                    break
                out.append(_ls_indent(pos + lens[k], pos + widths[col]))
                pos += widths[col]
                col += 1
                k = nxt
            out.append("\n")
    else:
        pos = 0
        for k in range(n):
            col = k % cols
            if k and col == 0:
                out.append("\n")
                pos = 0
            elif k:
                out.append(_ls_indent(pos + lens[k - 1], pos + widths[col - 1]))
                pos += widths[col - 1]
            out.append(names[k])
        out.append("\n")
    return "".join(out)


def _ls_dir_entries(ctx: CommandContext, host: Path, guest: str, o: _LsOpts) -> list[_LsEnt]:
    ents: list[_LsEnt] = []
    if o.all:
        dot_st = os.lstat(host)
        parent = host if host == ctx.ws.root else host.parent
        ents.append(_LsEnt(".", dot_st, host, guest))
        ents.append(_LsEnt("..", os.lstat(parent), parent, posixpath.dirname(guest)))
    with os.scandir(host) as it:
        for i, d in enumerate(it):
            if i % 1000 == 999:
                ctx.check()
            if d.name.startswith(".") and not (o.all or o.almost):
                continue
            try:
                st = d.stat(follow_symlinks=False)
            except OSError:
                st = None
            ent = _LsEnt(d.name, st, Path(d.path), guest + "/" + d.name)
            wants_target = o.classify or o.long or o.group_dirs
            if wants_target and st is not None and statmod.S_ISLNK(st.st_mode):
                _ls_follow(ctx, ent)
            ents.append(ent)
    return ents


def _ls_listing(
    ctx: CommandContext,
    disp: str,
    host: Path,
    guest: str,
    o: _LsOpts,
    header: bool,
    first: list[bool],
) -> None:
    try:
        ents = _ls_dir_entries(ctx, host, guest, o)
    except OSError as e:
        ctx.err(f"cannot open directory '{disp}': {e.strerror}")
        o.status = max(o.status, 2 if first[0] else 1)
        return
    if not first[0]:
        ctx.out("\n")
    first[0] = False
    if header:
        ctx.out(f"{disp}:\n")
    ents = _ls_sort(ents, o)
    _ls_print(ctx, ents, o, total=True)
    if o.recursive:
        for e in ents:
            if e.name in (".", "..") or e.st is None or not statmod.S_ISDIR(e.st.st_mode):
                continue
            assert e.host is not None
            _ls_listing(ctx, _join(disp, e.name), e.host, e.guest, o, True, first)


@command("ls")
def ls(ctx: CommandContext) -> int:
    """Usage: ls [OPTION]... [FILE]...
    List information about the FILEs (the current directory by default), sorted
    by name in C-locale (byte) order, one per line.

      -a, --all             do not ignore entries starting with .
      -A, --almost-all      do not list implied . and ..
      -d, --directory       list directories themselves, not their contents
      -F, --classify        append indicator (one of */=@|) to entries
      -p                    append / indicator to directories
      -h, --human-readable  with -l and -s, print sizes like 1K 234M 2G
      -i, --inode           print the index number of each file
      -l                    use a long listing format
      -g / -o               like -l, but do not list owner / group
      -n, --numeric-uid-gid like -l, but list numeric user and group IDs
      -R, --recursive       list subdirectories recursively
      -r, --reverse         reverse order while sorting
      -S                    sort by file size, largest first
      -t                    sort by time, newest first
      -U                    do not sort;  -v  natural sort of version numbers
      -X                    sort alphabetically by entry extension
      -u / -c               with -lt: use access / status change time
      -s, --size            print the allocated size of each file, in blocks
      -1                    one entry per line (the default: output is not a terminal)
      -C / -x / -m          entries in columns, down / across, or separated by commas,
                            within -w COLS (else $COLUMNS, else 80) columns
          --format=WORD     long, single-column, vertical, across, commas
          --full-time       like -l --time-style=full-iso
          --group-directories-first
          --color[=WHEN]    accepted and ignored (no colors)
      -L / -H               follow symbolic links (only those that stay inside)
    Owner and group are always shown as 'user'.
    """
    raw = [a for a in ctx.args if not (a == "--color" or a.startswith("--color="))]
    opts, operands = parse_opts(
        ctx,
        "aAdFphilgonRrStUvXucs1CxmLHQNqbGkw:T:",
        [
            "width=",
            "tabsize=",
            "format=",
            "sort=",
            "all",
            "almost-all",
            "directory",
            "classify",
            "human-readable",
            "inode",
            "numeric-uid-gid",
            "recursive",
            "reverse",
            "size",
            "full-time",
            "group-directories-first",
            "dereference",
            "zero",
            "literal",
            "hide-control-chars",
            "no-group",
        ],
        status=2,
        args=raw,
    )
    o = _LsOpts()
    cols_env = ctx.env.get("COLUMNS", "")
    if cols_env.isdigit() and 0 < int(cols_env) <= 1 << 20:
        o.width = int(cols_env)
    deref = False
    for k, v in opts:
        if k in ("-a", "--all"):
            o.all = True
        elif k in ("-A", "--almost-all"):
            o.almost = True
        elif k in ("-d", "--directory"):
            o.directory = True
        elif k in ("-F", "--classify"):
            o.classify = True
        elif k == "-p":
            o.slash = True
        elif k in ("-h", "--human-readable"):
            o.human = True
        elif k in ("-i", "--inode"):
            o.inode = True
        elif k == "-l":
            o.long = True
            o.layout = "one"
        elif k == "-1":  # one a line, unless long (GNU: -1 does not undo -l)
            o.layout = "one"
        elif k in ("-C", "-x", "-m"):  # the last format given wins
            o.layout = {"-C": "columns", "-x": "across", "-m": "commas"}[k]
            o.long = False
        elif k == "--format":
            fmt = {"long": "long", "verbose": "long", "single-column": "one", "commas": "commas",
                   "across": "across", "horizontal": "across", "vertical": "columns"}.get(v)
            if fmt is None:
                raise CommandError(f"invalid argument '{v}' for '--format'", 2)
            o.long = fmt == "long"
            o.layout = "one" if fmt == "long" else fmt
        elif k in ("-w", "--width"):
            if not v.isdigit():
                raise CommandError(f"invalid line width: '{v}'", 2)
            o.width = min(int(v), 1 << 20)
        elif k == "--sort":
            by = {"none": "none", "size": "size", "time": "time", "version": "version",
                  "extension": "extension"}.get(v)  # fmt: skip
            if by is None:  # (coreutils 9.1: no 'name'; 'width' is not done here)
                raise CommandError(
                    f"invalid argument '{v}' for '--sort'\nValid arguments are:\n"
                    "  - 'none'\n  - 'time'\n  - 'size'\n  - 'extension'\n  - 'version'\n"
                    "  - 'width'\nTry 'ls --help' for more information."
                )
            o.sort = by
        elif k in ("-T", "--tabsize"):
            pass  # the padding is GNU's default (tabs every 8 columns)
        elif k == "-g":
            o.long = o.no_owner = True
        elif k in ("-o",):
            o.long = o.no_group = True
        elif k in ("-G", "--no-group"):
            o.no_group = True
        elif k in ("-n", "--numeric-uid-gid"):
            o.long = o.numeric = True
        elif k in ("-R", "--recursive"):
            o.recursive = True
        elif k in ("-r", "--reverse"):
            o.reverse = True
        elif k == "-S":
            o.sort = "size"
        elif k == "-t":
            o.sort = "time"
        elif k == "-U":
            o.sort = "none"
        elif k == "-v":
            o.sort = "version"
        elif k == "-X":
            o.sort = "extension"
        elif k == "-u":
            o.time_field = "atime"
        elif k == "-c":
            o.time_field = "ctime"
        elif k in ("-s", "--size"):
            o.size_blocks = True
        elif k == "--full-time":
            o.long = o.full_time = True
        elif k == "--group-directories-first":
            o.group_dirs = True
        elif k in ("-L", "-H", "--dereference"):
            deref = True
        elif k == "--zero":
            o.zero = True
    if o.all:
        o.almost = False
    follow_cmdline = not (o.long or o.directory or o.classify) or deref
    files: list[_LsEnt] = []
    dirs: list[tuple[str, Path, str, _LsEnt]] = []
    for path in operands or ["."]:
        try:
            host = ctx.resolve(path, follow_last=False)
            st = os.lstat(host)
        except (CommandError, OSError) as e:
            ctx.err(f"cannot access '{path}': {_reason(e)}")
            o.status = 2
            continue
        guest = ctx.guest_path(path)
        ent = _LsEnt(path, st, host, guest)
        if statmod.S_ISLNK(st.st_mode):
            _ls_follow(ctx, ent)
            if deref and ent.target_st is not None:
                ent.st = ent.target_st
                ent.host = ctx.resolve(path)
        is_dir = statmod.S_ISDIR(st.st_mode) or (
            follow_cmdline and ent.target_st is not None and statmod.S_ISDIR(ent.target_st.st_mode)
        )
        if is_dir and not o.directory:
            real = ctx.resolve(path) if statmod.S_ISLNK(st.st_mode) else host
            dirs.append((path, real, guest, ent))
        else:
            files.append(ent)
    first = [True]
    if files:
        _ls_print(ctx, _ls_sort(files, o), o, total=False)
        first[0] = False
    if dirs:
        order = _ls_sort([d[3] for d in dirs], o)
        by_id = {id(d[3]): d for d in dirs}
        header = len(operands) > 1 or o.recursive or bool(files) or o.status != 0
        for ent in order:
            disp, real, guest, _ = by_id[id(ent)]
            _ls_listing(ctx, disp, real, guest, o, header, first)
    return o.status


# ---------------------------------------------------------------------------
# cp, mv, rm
# ---------------------------------------------------------------------------


@dataclass
class _CpOpts:
    recursive: bool = False
    preserve: bool = False
    force: bool = False
    no_clobber: bool = False
    update: bool = False
    verbose: bool = False
    deref: bool | None = None  # None: GNU default (follow unless recursive)
    links: bool = False  # -l: hard link instead of copying
    symbolic: bool = False  # -s
    status: int = 0


def _copy_meta(
    ctx: CommandContext, host: Path | int, st: os.stat_result, preserve: bool, new: bool
) -> None:
    """cp's mode/time handling, on an open descriptor or (never following a
    symlink) on a path."""
    if preserve:
        _set_meta(ctx, host, statmod.S_IMODE(st.st_mode), (st.st_atime_ns, st.st_mtime_ns))
    elif new:
        _set_meta(ctx, host, statmod.S_IMODE(st.st_mode) & ~ctx.umask, None)


def _cp_one(
    ctx: CommandContext,
    src: str,
    dst: str,
    o: _CpOpts,
    room: _Room,
    top: bool,
) -> None:
    follow = o.deref if o.deref is not None else (top and not o.recursive)
    try:
        shost, sst = _lstat(ctx, src, follow=follow)
    except (CommandError, OSError) as e:
        ctx.err(f"cannot stat '{src}': {_reason(e)}")
        o.status = 1
        return
    is_dir = statmod.S_ISDIR(sst.st_mode)
    if is_dir and not o.recursive:
        ctx.err(f"-r not specified; omitting directory '{src}'")
        o.status = 1
        return
    try:
        dhost = ctx.resolve(dst, follow_last=False)
    except CommandError as e:
        ctx.err(f"cannot create '{dst}': {_reason(e)}")
        o.status = 1
        return
    try:
        dlst: os.stat_result | None = hfs.lstat(ctx.ws, dhost)
    except OSError:
        dlst = None
    dst_st = dlst
    if dlst is not None and statmod.S_ISLNK(dlst.st_mode) and not statmod.S_ISLNK(sst.st_mode):
        try:
            dhost = ctx.resolve(dst)
            dst_st = hfs.lstat(ctx.ws, dhost)
        except (CommandError, OSError):
            dst_st = None
    if dst_st is not None and os.path.samestat(sst, dst_st):
        ctx.err(f"'{src}' and '{dst}' are the same file")
        o.status = 1
        return
    if is_dir:
        if dst_st is not None and not statmod.S_ISDIR(dst_st.st_mode):
            ctx.err(f"cannot overwrite non-directory '{dst}' with directory '{src}'")
            o.status = 1
            return
        sh, dh = str(shost), str(dhost)
        if dh == sh or dh.startswith(sh + "/"):
            ctx.err(f"cannot copy a directory, '{src}', into itself, '{dst}'")
            o.status = 1
            return
        new = dst_st is None
        if new:
            try:
                room.new_file()
                hfs.mkdir(ctx.ws, dhost, 0o700)
            except OSError as e:
                ctx.err(f"cannot create directory '{dst}': {_reason(e)}")
                o.status = 1
                return
            if o.verbose:
                ctx.out(f"'{src}' -> '{dst}'\n")
        try:
            names = _sorted_names(ctx, shost)
        except OSError as e:
            ctx.err(f"cannot access '{src}': {e.strerror}")
            o.status = 1
            names = []
        for n in names:
            ctx.check()
            _cp_one(ctx, _join(src, n), _join(dst, n), o, room, top=False)
        _copy_meta(ctx, dhost, sst, o.preserve, new)
        return
    if dst_st is not None:
        if statmod.S_ISDIR(dst_st.st_mode):
            ctx.err(f"cannot overwrite directory '{dst}' with non-directory")
            o.status = 1
            return
        if o.no_clobber:
            return
        if o.update and dst_st.st_mtime_ns >= sst.st_mtime_ns:
            return
    try:
        if o.symbolic or o.links or statmod.S_ISLNK(sst.st_mode):
            if dlst is not None:
                hfs.unlink(ctx.ws, ctx.resolve(dst, follow_last=False))
            room.new_file()
            if o.symbolic:
                hfs.symlink(ctx.ws, src if src.startswith("/") else ctx.guest_path(src), dhost)
            elif o.links:
                hfs.link(ctx.ws, shost, dhost)
            else:
                hfs.symlink(ctx.ws, hfs.readlink(ctx.ws, shost), dhost)
        elif statmod.S_ISREG(sst.st_mode):
            new = dst_st is None
            if new:
                room.new_file()
            with _open_nofollow(ctx, shost) as fin:
                try:
                    fout = _create(ctx, dhost)
                except OSError as e:
                    if not o.force or e.errno not in (errno.EACCES, errno.EPERM):
                        raise
                    hfs.unlink(ctx.ws, dhost)
                    fout = _create(ctx, dhost)
                with fout:
                    _copy_data(ctx, fin, fout, room)
                    fout.flush()
                    _copy_meta(ctx, fout.fileno(), sst, o.preserve, new)
        else:
            ctx.err(f"cannot copy special file '{src}'")
            o.status = 1
            return
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise CommandError(f"error writing '{dst}': {e.strerror}") from None
        ctx.err(f"cannot create regular file '{dst}': {e.strerror}")
        o.status = 1
        return
    if o.verbose:
        ctx.out(f"'{src}' -> '{dst}'\n")


def _target_operands(
    ctx: CommandContext, operands: list[str], target_dir: str | None, no_target: bool
) -> tuple[list[tuple[str, str]], str | None]:
    """(source, destination) pairs for cp/mv/ln-style operands."""
    name = ctx.name
    if target_dir is not None:
        try:
            th = ctx.resolve(target_dir)
        except CommandError as e:
            raise CommandError(f"target directory '{target_dir}': {_reason(e)}") from None
        if not th.is_dir():
            raise CommandError(
                f"target directory '{target_dir}': "
                + ("Not a directory" if th.exists() else "No such file or directory")
            )
        if not operands:
            raise CommandError(f"missing file operand\n{try_help(name)}")
        return [(s, _join(target_dir, _base(s))) for s in operands], target_dir
    if not operands:
        raise CommandError(f"missing file operand\n{try_help(name)}")
    if len(operands) == 1:
        raise CommandError(
            f"missing destination file operand after '{operands[0]}'\n{try_help(name)}"
        )
    dest = operands[-1]
    srcs = operands[:-1]
    try:
        dh = ctx.resolve(dest)
        dest_is_dir = dh.is_dir()
        dest_exists = dh.exists()
    except CommandError:
        dest_is_dir = dest_exists = False
    if no_target:
        if len(srcs) > 1:
            raise CommandError(f"extra operand '{operands[2]}'\n{try_help(name)}")
        return [(srcs[0], dest)], None
    if len(srcs) > 1 and not dest_is_dir:
        if dest_exists:
            raise CommandError(f"target '{dest}' is not a directory")
        raise CommandError(f"target '{dest}': No such file or directory")
    if dest_is_dir:
        return [(s, _join(dest, _base(s))) for s in srcs], dest
    return [(srcs[0], dest)], None


def _base(path: str) -> str:
    stripped = path.rstrip("/")
    return posixpath.basename(stripped) if stripped else "/"


@command("cp")
def cp(ctx: CommandContext) -> int:
    """Usage: cp [OPTION]... SOURCE DEST  |  cp [OPTION]... SOURCE... DIRECTORY
    Copy SOURCE to DEST, or multiple SOURCE(s) to DIRECTORY.

      -a, --archive            same as -dR --preserve=all
      -d, -P, --no-dereference never follow symbolic links in SOURCE
      -L, --dereference        always follow symbolic links in SOURCE
      -f, --force              if a destination cannot be opened, remove it and retry
      -i, --interactive        not supported (no terminal): refused
      -l, --link               hard link files instead of copying
      -n, --no-clobber         do not overwrite an existing file
      -p, --preserve[=LIST]    preserve mode and timestamps
      -r, -R, --recursive      copy directories recursively
      -s, --symbolic-link      make symbolic links instead of copying
      -t, --target-directory=DIRECTORY  copy all SOURCE arguments into DIRECTORY
      -T, --no-target-directory  treat DEST as a normal file
      -u, --update             copy only when SOURCE is newer than DEST or DEST is missing
      -v, --verbose            explain what is being done
    """
    raw = []
    for a in ctx.args:
        raw.append("--preserve" if a.startswith("--preserve=") else a)
    opts, operands = parse_opts(
        ctx,
        "adPLfilnprRst:Tuvx",
        [
            "archive",
            "no-dereference",
            "dereference",
            "force",
            "interactive",
            "link",
            "no-clobber",
            "preserve",
            "recursive",
            "symbolic-link",
            "target-directory=",
            "no-target-directory",
            "update",
            "verbose",
            "one-file-system",
            "no-preserve=",
            "remove-destination",
            "parents",
            "sparse=",
            "reflink",
            "attributes-only",
            "strip-trailing-slashes",
        ],
    )
    o = _CpOpts()
    target_dir: str | None = None
    no_target = False
    for k, v in opts:
        if k in ("-a", "--archive"):
            o.recursive = o.preserve = True
            o.deref = False
        elif k in ("-d", "-P", "--no-dereference"):
            o.deref = False
        elif k in ("-L", "--dereference"):
            o.deref = True
        elif k in ("-f", "--force", "--remove-destination"):
            o.force = True
            o.no_clobber = False
        elif k in ("-i", "--interactive"):
            raise CommandError("-i (interactive) is not supported: there is no terminal")
        elif k in ("-l", "--link"):
            o.links = True
        elif k in ("-n", "--no-clobber"):
            o.no_clobber = True
        elif k in ("-p", "--preserve"):
            o.preserve = True
        elif k in ("-r", "-R", "--recursive"):
            o.recursive = True
        elif k in ("-s", "--symbolic-link"):
            o.symbolic = True
        elif k in ("-t", "--target-directory"):
            target_dir = v
        elif k in ("-T", "--no-target-directory"):
            no_target = True
        elif k in ("-u", "--update"):
            o.update = True
        elif k in ("-v", "--verbose"):
            o.verbose = True
    pairs, _ = _target_operands(ctx, operands, target_dir, no_target)
    room = _Room(ctx)
    for src, dst in pairs:
        ctx.check()
        _cp_one(ctx, src, dst, o, room, top=True)
    return o.status


@command("mv")
def mv(ctx: CommandContext) -> int:
    """Usage: mv [OPTION]... SOURCE DEST  |  mv [OPTION]... SOURCE... DIRECTORY
    Rename SOURCE to DEST, or move SOURCE(s) to DIRECTORY.

      -f, --force              do not prompt before overwriting (the default here)
      -i, --interactive        not supported (no terminal): refused
      -n, --no-clobber         do not overwrite an existing file
      -t, --target-directory=DIRECTORY  move all SOURCE arguments into DIRECTORY
      -T, --no-target-directory  treat DEST as a normal file
      -u, --update             move only when SOURCE is newer than DEST or DEST is missing
      -v, --verbose            explain what is being done
    """
    opts, operands = parse_opts(
        ctx,
        "fint:Tuv",
        [
            "force",
            "interactive",
            "no-clobber",
            "target-directory=",
            "no-target-directory",
            "update",
            "verbose",
            "strip-trailing-slashes",
        ],
    )
    no_clobber = update = verbose = no_target = False
    target_dir: str | None = None
    for k, v in opts:
        if k in ("-f", "--force"):
            no_clobber = False
        elif k in ("-i", "--interactive"):
            raise CommandError("-i (interactive) is not supported: there is no terminal")
        elif k in ("-n", "--no-clobber"):
            no_clobber = True
        elif k in ("-t", "--target-directory"):
            target_dir = v
        elif k in ("-T", "--no-target-directory"):
            no_target = True
        elif k in ("-u", "--update"):
            update = True
        elif k in ("-v", "--verbose"):
            verbose = True
    pairs, _ = _target_operands(ctx, operands, target_dir, no_target)
    status = 0
    for src, dst in pairs:
        try:
            shost, sst = _lstat(ctx, src)
        except (CommandError, OSError) as e:
            ctx.err(f"cannot stat '{src}': {_reason(e)}")
            status = 1
            continue
        if shost == ctx.ws.root:
            ctx.err(f"cannot move '{src}' to '{dst}': Device or resource busy")
            status = 1
            continue
        try:
            dhost = ctx.resolve(dst, follow_last=False)
        except CommandError as e:
            ctx.err(f"cannot move '{src}' to '{dst}': {_reason(e)}")
            status = 1
            continue
        try:
            dst_st: os.stat_result | None = hfs.lstat(ctx.ws, dhost)
        except OSError:
            dst_st = None
        if dst_st is not None and os.path.samestat(sst, dst_st):
            ctx.err(f"'{src}' and '{dst}' are the same file")
            status = 1
            continue
        src_dir = statmod.S_ISDIR(sst.st_mode)
        sh, dh = str(shost), str(dhost)
        if src_dir and dh.startswith(sh + "/"):
            ctx.err(f"cannot move '{src}' to a subdirectory of itself, '{dst}'")
            status = 1
            continue
        if dst_st is not None:
            if no_clobber:
                continue
            if update and dst_st.st_mtime_ns >= sst.st_mtime_ns:
                continue
            dst_dir = statmod.S_ISDIR(dst_st.st_mode)
            if src_dir and not dst_dir:
                ctx.err(f"cannot overwrite non-directory '{dst}' with directory '{src}'")
                status = 1
                continue
            if dst_dir and not src_dir:
                ctx.err(f"cannot overwrite directory '{dst}' with non-directory")
                status = 1
                continue
        try:
            hfs.rename(ctx.ws, shost, dhost)
        except OSError as e:
            ctx.err(f"cannot move '{src}' to '{dst}': {e.strerror}")
            status = 1
            continue
        if verbose:
            ctx.out(f"renamed '{src}' -> '{dst}'\n")
    return status


def _rm_tree(
    ctx: CommandContext, dir_fd: int, name: str, disp: str, verbose: bool, counter: list[int],
    parts: list[str],
) -> bool:
    """Remove directory ``name`` (relative to ``dir_fd``; ``parts``: its components
    below the workspace) and its contents without following any symlink; a file the
    policy's file rules protect is asked about first. Returns True on success."""
    ok = True
    try:
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError as e:
        ctx.err(f"cannot remove '{disp}': {e.strerror}")
        return False
    try:
        with os.scandir(fd) as it:
            entries = sorted(it, key=lambda e: os.fsencode(e.name))
        for e in entries:
            counter[0] += 1
            if counter[0] % 500 == 0:
                ctx.check()
            child = _join(disp, e.name)
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                ok = _rm_tree(ctx, fd, e.name, child, verbose, counter, [*parts, e.name]) and ok
            else:
                try:
                    ctx.ws.check("delete", [*parts, e.name])
                    os.unlink(e.name, dir_fd=fd)
                    if verbose:
                        ctx.out(f"removed '{child}'\n")
                except OSError as err:
                    ctx.err(f"cannot remove '{child}': {err.strerror}")
                    ok = False
    finally:
        os.close(fd)
    if ok:
        try:
            ctx.ws.check("delete", parts)
            os.rmdir(name, dir_fd=dir_fd)
            if verbose:
                ctx.out(f"removed directory '{disp}'\n")
        except OSError as err:
            ctx.err(f"cannot remove '{disp}': {err.strerror}")
            ok = False
    return ok


@command("rm")
def rm(ctx: CommandContext) -> int:
    """Usage: rm [OPTION]... [FILE]...
    Remove (unlink) the FILE(s). /workspace itself is never removed.

      -f, --force           ignore nonexistent files and arguments, never prompt
      -r, -R, --recursive   remove directories and their contents recursively
      -d, --dir             remove empty directories
      -v, --verbose         explain what is being done
      -i, -I                not supported (no terminal): refused
    """
    opts, operands = parse_opts(
        ctx,
        "frRdviI",
        [
            "force",
            "recursive",
            "dir",
            "verbose",
            "interactive",
            "preserve-root",
            "no-preserve-root",
            "one-file-system",
        ],
    )
    force = recursive = rmdir_ok = verbose = False
    for k, _ in opts:
        if k in ("-f", "--force"):
            force = True
        elif k in ("-r", "-R", "--recursive"):
            recursive = True
        elif k in ("-d", "--dir"):
            rmdir_ok = True
        elif k in ("-v", "--verbose"):
            verbose = True
        elif k in ("-i", "-I", "--interactive"):
            raise CommandError("-i/-I (interactive) is not supported: there is no terminal")
    if not operands:
        if force:
            return 0
        raise CommandError(f"missing operand\n{try_help('rm')}")
    status = 0
    counter = [0]
    for path in operands:
        ctx.check()
        if _base(path) in (".", ".."):
            ctx.err(f"refusing to remove '.' or '..' directory: skipping '{path}'")
            status = 1
            continue
        try:
            host = ctx.resolve(path, follow_last=False)
        except CommandError as e:
            ctx.err(f"cannot remove '{path}': {_reason(e)}")
            status = 1
            continue
        if host == ctx.ws.root:
            ctx.err("refusing to remove '/workspace'")
            status = 1
            continue
        try:
            st = hfs.lstat(ctx.ws, host)
        except OSError as e:
            if not (force and e.errno == errno.ENOENT):
                ctx.err(f"cannot remove '{path}': {e.strerror}")
                status = 1
            continue
        if statmod.S_ISDIR(st.st_mode):
            if recursive:
                pfd = hfs.open_fd(ctx.ws, host.parent, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    if not _rm_tree(ctx, pfd, host.name, path, verbose, counter,
                                    hfs.parts(ctx.ws, host)):
                        status = 1
                finally:
                    os.close(pfd)
                continue
            if not rmdir_ok:
                ctx.err(f"cannot remove '{path}': Is a directory")
                status = 1
                continue
            try:
                hfs.rmdir(ctx.ws, host)
            except OSError as e:
                ctx.err(f"cannot remove '{path}': {e.strerror}")
                status = 1
                continue
            if verbose:
                ctx.out(f"removed directory '{path}'\n")
            continue
        try:
            hfs.unlink(ctx.ws, host)
        except OSError as e:
            ctx.err(f"cannot remove '{path}': {e.strerror}")
            status = 1
            continue
        if verbose:
            ctx.out(f"removed '{path}'\n")
    return status


# ---------------------------------------------------------------------------
# mkdir, rmdir, touch, ln
# ---------------------------------------------------------------------------


def _mkdir_masked(ctx: CommandContext, host: Path) -> None:
    """A new directory, ``0777 & ~umask`` (the shell's umask, not the process's)."""
    hfs.mkdir(ctx.ws, host, 0o777 & ~ctx.umask)
    if ctx.umask & 0o022 != 0o022:  # a looser mask than the process's: set it after
        _set_meta(ctx, host, 0o777 & ~ctx.umask, None)


@command("mkdir")
def mkdir(ctx: CommandContext) -> int:
    """Usage: mkdir [OPTION]... DIRECTORY...
    Create the DIRECTORY(ies), if they do not already exist.

      -m, --mode=MODE   set file mode (as in chmod), not a=rwx - umask
      -p, --parents     no error if existing, make parent directories as needed
      -v, --verbose     print a message for each created directory
    """
    opts, operands = parse_opts(ctx, "m:pv", ["mode=", "parents", "verbose"])
    mode: str | None = None
    parents = verbose = False
    for k, v in opts:
        if k in ("-m", "--mode"):
            mode = v
        elif k in ("-p", "--parents"):
            parents = True
        else:
            verbose = True
    if not operands:
        raise CommandError(f"missing operand\n{try_help('mkdir')}")
    final_mode: int | None = None
    if mode is not None:
        changes = _parse_mode(mode)
        if changes is None:
            raise CommandError(f"invalid mode '{mode}'")
        final_mode, _ = _apply_mode(changes, 0o777, True, umask=0)
    status = 0
    for path in operands:
        try:
            if parents:
                comps = path.split("/")
                last = max(i for i, c in enumerate(comps) if c) if path.strip("/") else -1
                for i, c in enumerate(comps):
                    if not c or c in (".", ".."):
                        continue
                    shown = "/".join(comps[: i + 1])
                    h = ctx.resolve(shown)
                    if hfs.is_dir(ctx.ws, h):
                        continue
                    if hfs.lexists(ctx.ws, h):
                        if i == last:
                            raise OSError(errno.EEXIST, "File exists", shown)
                        raise OSError(errno.ENOTDIR, "Not a directory", shown)
                    try:
                        ctx.ws.charge(0, new_files=1)  # the file-count budget
                        _mkdir_masked(ctx, h)
                    except FileExistsError:
                        continue
                    except OSError as e:
                        raise OSError(e.errno, e.strerror, shown) from None
                    if i == last and final_mode is not None:
                        _set_meta(ctx, h, final_mode, None)
                    if verbose:
                        ctx.out(f"mkdir: created directory '{shown}'\n")
            else:
                host = ctx.resolve(path, follow_last=False)
                if not hfs.lexists(ctx.ws, host):
                    ctx.ws.charge(0, new_files=1)  # the file-count budget
                _mkdir_masked(ctx, host)
                if final_mode is not None:
                    _set_meta(ctx, host, final_mode, None)
                if verbose:
                    ctx.out(f"mkdir: created directory '{path}'\n")
        except CommandError as e:
            ctx.err(f"cannot create directory '{path}': {_reason(e)}")
            status = 1
        except OSError as e:
            shown = e.filename if isinstance(e.filename, str) and parents else path
            ctx.err(f"cannot create directory '{shown}': {e.strerror}")
            status = 1
    return status


@command("rmdir")
def rmdir(ctx: CommandContext) -> int:
    """Usage: rmdir [OPTION]... DIRECTORY...
    Remove the DIRECTORY(ies), if they are empty.

          --ignore-fail-on-non-empty  ignore failures due solely to non-empty dirs
      -p, --parents   remove DIRECTORY and its ancestors (as typed)
      -v, --verbose   output a diagnostic for every directory processed
    """
    opts, operands = parse_opts(ctx, "pv", ["parents", "verbose", "ignore-fail-on-non-empty"])
    parents = verbose = ignore = False
    for k, _ in opts:
        if k in ("-p", "--parents"):
            parents = True
        elif k in ("-v", "--verbose"):
            verbose = True
        else:
            ignore = True
    if not operands:
        raise CommandError(f"missing operand\n{try_help('rmdir')}")
    status = 0
    for path in operands:
        todo = [path]
        if parents:
            p = path.rstrip("/")
            while True:
                p = posixpath.dirname(p)
                if not p or p in ("/", "."):
                    break
                todo.append(p)
        for p in todo:
            if verbose:
                ctx.out(f"rmdir: removing directory, '{p}'\n")
            try:
                host = ctx.resolve(p, follow_last=False)
                if host == ctx.ws.root:
                    raise OSError(errno.EBUSY, "Device or resource busy")
                st = hfs.lstat(ctx.ws, host)
                if not statmod.S_ISDIR(st.st_mode):
                    raise OSError(errno.ENOTDIR, "Not a directory")
                hfs.rmdir(ctx.ws, host)
            except (CommandError, OSError) as e:
                if ignore and isinstance(e, OSError) and e.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    break
                ctx.err(f"failed to remove '{p}': {_reason(e)}")
                status = 1
                break
    return status


_TOUCH_T = re.compile(r"(\d{2}|\d{4})?(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{2}))?")


def _parse_touch_t(ctx: CommandContext, s: str) -> int:
    m = re.fullmatch(r"((?:\d\d){4,6})(?:\.(\d\d))?", s)
    if not m:
        raise ValueError(s)
    digits, sec = m.group(1), int(m.group(2) or 0)
    now = datetime.now(tz_from_env(ctx.env))
    if len(digits) == 12:
        year, rest = int(digits[:4]), digits[4:]
    elif len(digits) == 10:
        yy = int(digits[:2])
        year, rest = (2000 + yy if yy < 69 else 1900 + yy), digits[2:]
    else:
        year, rest = now.year, digits
    mo, d, h, mi = int(rest[:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8])
    dt = datetime(year, mo, d, h, mi, sec, tzinfo=tz_from_env(ctx.env))
    return int(dt.timestamp()) * 1_000_000_000


@command("touch")
def touch(ctx: CommandContext) -> int:
    """Usage: touch [OPTION]... FILE...
    Update the access and modification times of each FILE to the current time,
    creating empty files that do not exist.

      -a                     change only the access time
      -c, --no-create        do not create any files
      -d, --date=STRING      use STRING (as in date -d) instead of the current time
      -h, --no-dereference   affect each symbolic link instead of what it points to
      -m                     change only the modification time
      -r, --reference=FILE   use this file's times instead of the current time
      -t STAMP               use [[CC]YY]MMDDhhmm[.ss] instead of the current time
    """
    opts, operands = parse_opts(
        ctx, "acd:fhmr:t:", ["no-create", "date=", "no-dereference", "reference=", "time="]
    )
    only_a = only_m = no_create = no_deref = False
    when: tuple[int, int] | None = None
    for k, v in opts:
        if k == "-a":
            only_a = True
        elif k == "-m":
            only_m = True
        elif k in ("-c", "--no-create"):
            no_create = True
        elif k in ("-h", "--no-dereference"):
            no_deref = True
        elif k in ("-d", "--date"):
            tz = tz_from_env(ctx.env)
            try:
                dt, ns = parse_date(v, datetime.now(tz), tz)
            except (ValueError, OverflowError):
                raise CommandError(f"invalid date format '{v}'") from None
            t = int(dt.timestamp()) * 1_000_000_000 + ns
            when = (t, t)
        elif k == "-t":
            try:
                t = _parse_touch_t(ctx, v)
            except (ValueError, OverflowError):
                raise CommandError(f"invalid date format '{v}'") from None
            when = (t, t)
        elif k in ("-r", "--reference"):
            try:
                _, rst = _lstat(ctx, v, follow=True)
            except (CommandError, OSError) as e:
                raise CommandError(f"failed to get attributes of '{v}': {_reason(e)}") from None
            when = (rst.st_atime_ns, rst.st_mtime_ns)
        elif k == "--time":
            if v in ("access", "atime", "use"):
                only_a = True
            elif v in ("modify", "mtime"):
                only_m = True
    if not operands:
        raise CommandError(f"missing file operand\n{try_help('touch')}")
    status = 0
    for path in operands:
        try:
            host = ctx.resolve(path, follow_last=not no_deref)
            exists = os.path.lexists(host)
            if not exists:
                if no_create or no_deref:
                    continue
                if not hfs.is_dir(ctx.ws, host.parent):
                    raise OSError(errno.ENOENT, "No such file or directory")
                ctx.ws.charge(0, new_files=1)  # the file-count budget
                fd = hfs.open_fd(ctx.ws, host, os.O_WRONLY | os.O_CREAT, 0o644)
                with contextlib.suppress(OSError):
                    if ctx.umask != 0o022:  # the shell's umask
                        os.fchmod(fd, 0o666 & ~ctx.umask)
                os.close(fd)
            now_ns = time.time_ns()
            a, m = when if when is not None else (now_ns, now_ns)
            if only_a or only_m:
                st = hfs.lstat(ctx.ws, host)
                if only_a and not only_m:
                    m = st.st_mtime_ns
                if only_m and not only_a:
                    a = st.st_atime_ns
            hfs.utime(ctx.ws, host, (a, m))
        except (CommandError, OSError) as e:
            ctx.err(f"cannot touch '{path}': {_reason(e)}")
            status = 1
    return status


@command("ln")
def ln(ctx: CommandContext) -> int:
    """Usage: ln [OPTION]... TARGET LINK_NAME  |  ln [OPTION]... TARGET... DIRECTORY
    Create a link to TARGET with the name LINK_NAME (or in DIRECTORY, or in the
    current directory with one operand). Hard links by default.

      -s, --symbolic          make symbolic links instead of hard links (the target
                              text is stored as given; reading through it is checked)
      -f, --force             remove existing destination files
      -n, --no-dereference    treat LINK_NAME as a normal file if it is a symbolic
                              link to a directory
      -r, --relative          with -s, create links relative to link location
      -t, --target-directory=DIRECTORY   -T, --no-target-directory
      -v, --verbose           print name of each linked file
    A link whose own location is outside /workspace is refused.
    """
    opts, operands = parse_opts(
        ctx,
        "sfnrt:TvLP",
        [
            "symbolic",
            "force",
            "no-dereference",
            "relative",
            "target-directory=",
            "no-target-directory",
            "verbose",
            "logical",
            "physical",
        ],
    )
    symbolic = force = no_deref = relative = verbose = no_target = False
    target_dir: str | None = None
    for k, v in opts:
        if k in ("-s", "--symbolic"):
            symbolic = True
        elif k in ("-f", "--force"):
            force = True
        elif k in ("-n", "--no-dereference"):
            no_deref = True
        elif k in ("-r", "--relative"):
            relative = True
        elif k in ("-t", "--target-directory"):
            target_dir = v
        elif k in ("-T", "--no-target-directory"):
            no_target = True
        elif k in ("-v", "--verbose"):
            verbose = True
    if not operands:
        raise CommandError(f"missing file operand\n{try_help('ln')}")
    pairs: list[tuple[str, str]]
    if target_dir is None and len(operands) == 1:
        pairs = [(operands[0], _join(".", _base(operands[0])))]
    elif target_dir is None and not no_target and len(operands) == 2 and no_deref:
        dest = operands[1]
        try:
            dl = ctx.resolve(dest, follow_last=False)
            is_real_dir = hfs.is_dir(ctx.ws, dl, follow=False)
        except CommandError:
            is_real_dir = False
        pairs = [(operands[0], _join(dest, _base(operands[0])) if is_real_dir else dest)]
    else:
        pairs, _ = _target_operands(ctx, operands, target_dir, no_target)
    status = 0
    kind = "symbolic link" if symbolic else "hard link"
    for target, link in pairs:
        try:
            lhost = ctx.resolve(link, follow_last=False)
        except CommandError as e:
            ctx.err(f"failed to create {kind} '{link}': {_reason(e)}")
            status = 1
            continue
        try:
            if not symbolic:
                thost, tst = _lstat(ctx, target)
                if statmod.S_ISDIR(tst.st_mode):
                    ctx.err(f"{target}: hard link not allowed for directory")
                    status = 1
                    continue
        except (CommandError, OSError) as e:
            ctx.err(f"failed to access '{target}': {_reason(e)}")
            status = 1
            continue
        text = target
        if symbolic and relative:
            tguest = ctx.guest_path(target)
            text = posixpath.relpath(tguest, posixpath.dirname(ctx.guest_path(link)))
        try:
            if hfs.lexists(ctx.ws, lhost):
                if not force:
                    raise FileExistsError(errno.EEXIST, "File exists")
                if not symbolic and os.path.samestat(hfs.lstat(ctx.ws, lhost), tst):
                    ctx.err(f"'{target}' and '{link}' are the same file")
                    status = 1
                    continue
                if hfs.is_dir(ctx.ws, lhost, follow=False):
                    raise IsADirectoryError(errno.EISDIR, "Is a directory")
                hfs.unlink(ctx.ws, lhost)
            if symbolic:
                hfs.symlink(ctx.ws, text, lhost)
            else:
                hfs.link(ctx.ws, thost, lhost)
        except OSError as e:
            ctx.err(f"failed to create {kind} '{link}': {e.strerror}")
            status = 1
            continue
        if verbose:
            ctx.out(f"'{link}' {'->' if symbolic else '=>'} '{text}'\n")
    return status


# ---------------------------------------------------------------------------
# chmod
# ---------------------------------------------------------------------------

_WHO_BITS = {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}
_Change = tuple[str, str, str]  # (who, op, perms)


def _parse_mode(spec: str) -> list[_Change] | int | None:
    if re.fullmatch(r"[0-7]{1,4}", spec):
        return int(spec, 8)
    changes: list[_Change] = []
    for clause in spec.split(","):
        m = re.fullmatch(r"([ugoa]*)((?:[-+=](?:[rwxXst]*|[ugo]))+)", clause)
        if not m:
            return None
        who = m.group(1)
        for op, perms in re.findall(r"([-+=])([ugo]|[rwxXst]*)", m.group(2)):
            changes.append((who, op, perms))
    return changes


def _apply_mode(
    changes: list[_Change] | int, mode: int, is_dir: bool, umask: int = 0o022
) -> tuple[int, bool]:
    """New permission bits; and whether the umask changed the result (GNU warns)."""
    cur = statmod.S_IMODE(mode)
    if isinstance(changes, int):
        if is_dir and changes < 0o1000:
            return changes | (cur & 0o6000), False
        return changes, False
    implicit = False
    for who, op, perms in changes:
        mask = 0
        for w in who or "a":
            mask |= _WHO_BITS[w]
        if perms in ("u", "g", "o"):
            shift = {"u": 6, "g": 3, "o": 0}[perms]
            bits = (cur >> shift) & 7
            val = (bits << 6) | (bits << 3) | bits
        else:
            val = 0
            for p in perms:
                if p == "r":
                    val |= 0o444
                elif p == "w":
                    val |= 0o222
                elif p == "x":
                    val |= 0o111
                elif p == "X":
                    if is_dir or cur & 0o111:
                        val |= 0o111
                elif p == "s":
                    val |= 0o6000
                elif p == "t":
                    val |= 0o1000
        val &= mask
        if not who:
            implicit = True
            val &= ~umask
        if op == "+":
            cur |= val
        elif op == "-":
            cur &= ~val
        else:
            preserved = ~mask & 0o7777 if who else 0
            if is_dir:
                preserved |= cur & 0o6000 & ~val if not who else 0
            cur = (cur & preserved) | val
    return cur, implicit


def _chmod_walk(
    ctx: CommandContext, host: Path, disp: str, changes: list[_Change] | int, flags: dict[str, bool]
) -> int:
    status = 0
    try:
        names = _sorted_names(ctx, host)
    except OSError as e:
        ctx.err(f"cannot read directory '{disp}': {e.strerror}")
        return 1
    for n in names:
        ctx.check()
        child = host / n
        cdisp = _join(disp, n)
        try:
            st = hfs.lstat(ctx.ws, child)
        except OSError:
            continue
        if statmod.S_ISLNK(st.st_mode):
            continue
        status |= _chmod_one(ctx, child, st, cdisp, changes, flags)
        if statmod.S_ISDIR(st.st_mode):
            status |= _chmod_walk(ctx, child, cdisp, changes, flags)
    return status


def _chmod_one(
    ctx: CommandContext,
    host: Path,
    st: os.stat_result,
    disp: str,
    changes: list[_Change] | int,
    flags: dict[str, bool],
) -> int:
    is_dir = statmod.S_ISDIR(st.st_mode)
    new, implicit = _apply_mode(changes, st.st_mode, is_dir)
    old = statmod.S_IMODE(st.st_mode)
    try:
        if new != old:
            _set_meta(ctx, host, new, None)
    except OSError as e:
        if not flags["quiet"]:
            ctx.err(f"changing permissions of '{disp}': {e.strerror}")
        return 1
    ftype = st.st_mode & ~0o7777
    if flags["verbose"] or (flags["changes"] and new != old):
        old_s, new_s = _mode_string(ftype | old)[1:], _mode_string(ftype | new)[1:]
        if new != old:
            ctx.out(f"mode of '{disp}' changed from {old:04o} ({old_s}) to {new:04o} ({new_s})\n")
        else:
            ctx.out(f"mode of '{disp}' retained as {old:04o} ({old_s})\n")
    if implicit:
        naive, _ = _apply_mode(changes, st.st_mode, is_dir, umask=0)
        if new & ~naive:
            ctx.err(
                f"{disp}: new permissions are {_mode_string(ftype | new)[1:]}, "
                f"not {_mode_string(ftype | naive)[1:]}"
            )
            return 1
    return 0


@command("chmod")
def chmod(ctx: CommandContext) -> int:
    """Usage: chmod [OPTION]... MODE[,MODE]... FILE...  |  chmod [OPTION]... OCTAL-MODE FILE...
    Change the mode of each FILE to MODE: octal (755) or symbolic ([ugoa]*[-+=][rwxXst]*
    clauses separated by commas, e.g. u+x, go-w, a=r, g=u). Without [ugoa], bits in
    the umask (022) are not affected.

      -c, --changes          like verbose but report only when a change is made
      -f, --silent, --quiet  suppress most error messages
      -v, --verbose          output a diagnostic for every file processed
      -R, --recursive        change files and directories recursively (symbolic
                             links met on the way are not followed)
          --reference=RFILE  use RFILE's mode instead of MODE
    """
    args: list[str] = []
    mode_arg: str | None = None
    for a in ctx.args:
        # "-w", "-x", "-rwx", "-w,+x": modes that look like options.
        if mode_arg is None and re.fullmatch(r"-[rwxXst]+(,.*)?|-[0-7]+", a):
            mode_arg = a
        else:
            args.append(a)
    opts, operands = parse_opts(
        ctx, "cfvR", ["changes", "silent", "quiet", "verbose", "recursive", "reference="], args=args
    )
    flags = {"changes": False, "quiet": False, "verbose": False}
    recursive = False
    reference: str | None = None
    for k, v in opts:
        if k in ("-c", "--changes"):
            flags["changes"] = True
        elif k in ("-f", "--silent", "--quiet"):
            flags["quiet"] = True
        elif k in ("-v", "--verbose"):
            flags["verbose"] = True
        elif k in ("-R", "--recursive"):
            recursive = True
        elif k == "--reference":
            reference = v
    changes: list[_Change] | int | None
    if reference is not None:
        try:
            _, rst = _lstat(ctx, reference, follow=True)
        except (CommandError, OSError) as e:
            raise CommandError(f"failed to get attributes of '{reference}': {_reason(e)}") from None
        changes = statmod.S_IMODE(rst.st_mode)
        if mode_arg is not None:
            operands.insert(0, mode_arg)
    else:
        if mode_arg is None:
            if not operands:
                raise CommandError(f"missing operand\n{try_help('chmod')}")
            mode_arg = operands.pop(0)
        changes = _parse_mode(mode_arg)
        if changes is None:
            raise CommandError(f"invalid mode: '{mode_arg}'\n{try_help('chmod')}")
    if not operands:
        raise CommandError(f"missing operand after '{mode_arg}'\n{try_help('chmod')}")
    status = 0
    for path in operands:
        try:
            host, st = _lstat(ctx, path, follow=True)
        except (CommandError, OSError) as e:
            if not flags["quiet"]:
                ctx.err(f"cannot access '{path}': {_reason(e)}")
            status = 1
            continue
        status |= _chmod_one(ctx, host, st, path, changes, flags)
        if recursive and statmod.S_ISDIR(st.st_mode):
            status |= _chmod_walk(ctx, host, path, changes, flags)
    return status


# ---------------------------------------------------------------------------
# stat
# ---------------------------------------------------------------------------


def _file_type(st: os.stat_result) -> str:
    m = st.st_mode
    if statmod.S_ISREG(m):
        return "regular empty file" if st.st_size == 0 else "regular file"
    if statmod.S_ISDIR(m):
        return "directory"
    if statmod.S_ISLNK(m):
        return "symbolic link"
    if statmod.S_ISFIFO(m):
        return "fifo"
    if statmod.S_ISSOCK(m):
        return "socket"
    if statmod.S_ISCHR(m):
        return "character special file"
    if statmod.S_ISBLK(m):
        return "block special file"
    return "weird file"


def _shell_escape(name: str, always: bool) -> str:
    if not always and re.fullmatch(r"[A-Za-z0-9_./+,:@%^=-]+", name):
        return name
    return "'" + name.replace("'", "'\\''") + "'"


_STAT_DEFAULT = (
    "  File: %N\n"
    "  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n"
    "Device: %Hd,%Ld\tInode: %-11i Links: %h\n"
    "Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n"
    "Access: %x\n"
    "Modify: %y\n"
    "Change: %z\n"
    " Birth: %w\n"
)
_STAT_TERSE = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o\n"


def _stat_format(
    ctx: CommandContext, fmt: str, name: str, host: Path, st: os.stat_result, default: bool
) -> str:
    def directive(m: re.Match[str]) -> str:
        flags, width, prec, conv = m.group(1), m.group(2), m.group(3), m.group(4)
        if conv == "%":
            return "%"
        val: str | int
        if conv == "n":
            val = name
        elif conv == "N":
            val = _shell_escape(name, not default)
            if statmod.S_ISLNK(st.st_mode):
                with contextlib.suppress(OSError):
                    val += " -> " + _shell_escape(os.readlink(host), not default)
        elif conv == "s":
            val = st.st_size
        elif conv == "b":
            val = st.st_blocks
        elif conv == "B":
            val = 512
        elif conv == "o":
            val = st.st_blksize
        elif conv == "a":
            val = f"{statmod.S_IMODE(st.st_mode):o}"
            if "#" in flags:
                val = "0" + val
            if width.startswith("0") and len(val) < int(width):
                val = val.rjust(int(width), "0")
            return val
        elif conv == "A":
            val = _mode_string(st.st_mode)
        elif conv == "f":
            return f"{st.st_mode:x}"
        elif conv == "F":
            val = _file_type(st)
        elif conv in "Ug":
            val = "user" if conv == "U" else 1000
        elif conv in "uG":
            val = 1000 if conv == "u" else "user"
        elif conv == "i":
            val = st.st_ino
        elif conv == "h":
            val = st.st_nlink
        elif conv == "d":
            val = st.st_dev
        elif conv == "D":
            return f"{st.st_dev:x}"
        elif conv == "Hd":
            val = os.major(st.st_dev)
        elif conv == "Ld":
            val = os.minor(st.st_dev)
        elif conv == "t":
            return f"{os.major(st.st_rdev):x}"
        elif conv == "T":
            return f"{os.minor(st.st_rdev):x}"
        elif conv == "m":
            val = "/workspace"
        elif conv in "xyz":
            ns = {"x": st.st_atime_ns, "y": st.st_mtime_ns, "z": st.st_ctime_ns}[conv]
            val = _full_time(ctx, ns)
        elif conv in "XYZ":
            ns = {"X": st.st_atime_ns, "Y": st.st_mtime_ns, "Z": st.st_ctime_ns}[conv]
            if prec:
                digits = int(prec[1:] or 9)
                frac = f"{ns % 1_000_000_000:09d}"[:digits]
                val = f"{ns // 1_000_000_000}" + (f".{frac}" if digits else "")
            else:
                val = ns // 1_000_000_000
        elif conv == "w":
            val = "-"
        elif conv == "W":
            val = 0
        elif conv == "C":
            val = "?"
        else:
            return m.group(0)
        text = str(val)
        if conv in "A" and prec:
            text = text[: int(prec[1:] or 0)]
        if width:
            w = int(width)
            if "-" in flags:
                text = text.ljust(w)
            else:
                text = text.rjust(w, "0" if width.startswith("0") and isinstance(val, int) else " ")
        return text

    return re.sub(
        r"%([-#+ ]*)(\d*)(\.\d*)?(Hd|Ld|[%nNsbBoaAfFuUgGihdDtTmxyzXYZwWC])", directive, fmt
    )


def _stat_escapes(fmt: str) -> str:
    def rep(m: re.Match[str]) -> str:
        s = m.group(1)
        table = {"n": "\n", "t": "\t", "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "r": "\r"}
        table["v"] = "\v"
        table['"'] = '"'
        if s in table:
            return table[s]
        if s[0] in "01234567":
            return chr(int(s, 8))
        if s[0] == "x":
            return chr(int(s[1:], 16))
        return "\\" + s

    return re.sub(r"\\([0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)", rep, fmt)


@command("stat")
def stat(ctx: CommandContext) -> int:
    """Usage: stat [OPTION]... FILE...
    Display file status.

      -L, --dereference     follow links
      -c, --format=FORMAT   use FORMAT instead of the default; a newline follows
          --printf=FORMAT   like --format, but interpret backslash escapes and do
                            not add a trailing newline
      -t, --terse           print the information in terse form
    FORMAT: %n name, %N quoted name (with -> target), %s size, %b blocks, %B block
    unit, %o I/O block, %a octal mode, %A mode string, %f raw mode (hex), %F file
    type, %u/%U owner id/name, %g/%G group id/name, %i inode, %h links, %d/%D device,
    %m mount point, %x/%y/%z access/modify/change time, %X/%Y/%Z as epoch seconds,
    %w/%W birth time (unknown: - and 0), %% a percent sign.
    """
    opts, operands = parse_opts(
        ctx, "Lc:tf", ["dereference", "format=", "printf=", "terse", "file-system"]
    )
    deref = terse = False
    fmt: str | None = None
    for k, v in opts:
        if k in ("-L", "--dereference"):
            deref = True
        elif k in ("-c", "--format"):
            fmt = v + "\n"
        elif k == "--printf":
            fmt = _stat_escapes(v)
        elif k in ("-t", "--terse"):
            terse = True
        elif k in ("-f", "--file-system"):
            raise CommandError("-f (file system status) is not supported")
    if not operands:
        raise CommandError(f"missing operand\n{try_help('stat')}")
    status = 0
    for path in operands:
        try:
            host, st = _lstat(ctx, path, follow=deref)
        except (CommandError, OSError) as e:
            ctx.err(f"cannot statx '{path}': {_reason(e)}")
            status = 1
            continue
        if fmt is not None:
            text = _stat_format(ctx, fmt, path, host, st, default=False)
        elif terse:
            text = _stat_format(ctx, _STAT_TERSE, path, host, st, default=False)
        else:
            text = _stat_format(ctx, _STAT_DEFAULT, path, host, st, default=True)
        ctx.out(text)
    return status


# ---------------------------------------------------------------------------
# readlink, realpath, basename, dirname
# ---------------------------------------------------------------------------


def _canonical(ctx: CommandContext, path: str, mode: str) -> str:
    """Canonical guest path of ``path``: mode "e" (all must exist), "f" (all but
    the last), "m" (none). Raises CommandError / OSError."""
    host = ctx.resolve(path)
    if mode == "e" and not host.exists():
        raise OSError(errno.ENOENT, "No such file or directory")
    if mode == "f" and host != ctx.ws.root and not host.parent.is_dir():
        raise OSError(errno.ENOENT, "No such file or directory")
    if mode in ("e", "f") and path.endswith("/") and host.exists() and not host.is_dir():
        raise OSError(errno.ENOTDIR, "Not a directory")
    return ctx.display(host)


@command("readlink")
def readlink(ctx: CommandContext) -> int:
    """Usage: readlink [OPTION]... FILE...
    Print the value of a symbolic link, or (with -f/-e/-m) the canonical file name
    as a /workspace/... path.

      -f, --canonicalize           every component but the last must exist
      -e, --canonicalize-existing  every component must exist
      -m, --canonicalize-missing   no component needs to exist
      -n, --no-newline             do not output the trailing delimiter
      -q, -s, --quiet, --silent    suppress most error messages (the default)
      -v, --verbose                report error messages
      -z, --zero                   end each output line with NUL, not newline
    """
    opts, operands = parse_opts(
        ctx,
        "femnqsvz",
        [
            "canonicalize",
            "canonicalize-existing",
            "canonicalize-missing",
            "no-newline",
            "quiet",
            "silent",
            "verbose",
            "zero",
        ],
    )
    mode = ""
    no_nl = verbose = False
    end = "\n"
    for k, _ in opts:
        if k in ("-f", "--canonicalize"):
            mode = "f"
        elif k in ("-e", "--canonicalize-existing"):
            mode = "e"
        elif k in ("-m", "--canonicalize-missing"):
            mode = "m"
        elif k in ("-n", "--no-newline"):
            no_nl = True
        elif k in ("-v", "--verbose"):
            verbose = True
        elif k in ("-q", "-s", "--quiet", "--silent"):
            verbose = False
        elif k in ("-z", "--zero"):
            end = "\0"
    if not operands:
        raise CommandError(f"missing operand\n{try_help('readlink')}")
    if no_nl and len(operands) > 1:
        ctx.err("ignoring --no-newline with multiple arguments")
        no_nl = False
    status = 0
    for path in operands:
        try:
            if mode:
                out = _canonical(ctx, path, mode)
            else:
                host = ctx.resolve(path, follow_last=False)
                out = os.readlink(host)
        except (CommandError, OSError) as e:
            if verbose:
                ctx.err(f"{path}: {_reason(e)}")
            status = 1
            continue
        ctx.out(out + ("" if no_nl else end))
    return status


@command("realpath")
def realpath(ctx: CommandContext) -> int:
    """Usage: realpath [OPTION]... FILE...
    Print the resolved absolute file name (a /workspace/... path); all but the last
    component must exist.

      -e, --canonicalize-existing  all components of the path must exist
      -m, --canonicalize-missing   no path components need exist or be a directory
      -s, --strip, --no-symlinks   don't expand symlinks
      -q, --quiet                  suppress most error messages
          --relative-to=DIR        print the resolved path relative to DIR
          --relative-base=DIR      print absolute paths unless paths below DIR
      -z, --zero                   end each output line with NUL, not newline
    """
    opts, operands = parse_opts(
        ctx,
        "emsqzLP",
        [
            "canonicalize-existing",
            "canonicalize-missing",
            "strip",
            "no-symlinks",
            "quiet",
            "relative-to=",
            "relative-base=",
            "zero",
            "logical",
            "physical",
        ],
    )
    mode = "f"
    strip = quiet = False
    rel_to: str | None = None
    rel_base: str | None = None
    end = "\n"
    for k, v in opts:
        if k in ("-e", "--canonicalize-existing"):
            mode = "e"
        elif k in ("-m", "--canonicalize-missing"):
            mode = "m"
        elif k in ("-s", "--strip", "--no-symlinks"):
            strip = True
        elif k in ("-q", "--quiet"):
            quiet = True
        elif k == "--relative-to":
            rel_to = v
        elif k == "--relative-base":
            rel_base = v
        elif k in ("-z", "--zero"):
            end = "\0"
    if not operands:
        raise CommandError(f"missing operand\n{try_help('realpath')}")

    def canon(p: str) -> str:
        if strip:
            g = ctx.guest_path(p)
            if mode != "m":
                _canonical(ctx, p, mode)
            return g
        return _canonical(ctx, p, mode)

    try:
        to = canon(rel_to) if rel_to is not None else None
        base = canon(rel_base) if rel_base is not None else None
    except (CommandError, OSError) as e:
        raise CommandError(f"{rel_to if rel_to is not None else rel_base}: {_reason(e)}") from None
    if base is not None and to is None:
        to = base
    status = 0
    for path in operands:
        try:
            out = canon(path)
        except (CommandError, OSError) as e:
            if not quiet:
                ctx.err(f"{path}: {_reason(e)}")
            status = 1
            continue
        if to is not None:
            under_base = base is None or out == base or out.startswith(base.rstrip("/") + "/")
            if under_base:
                out = posixpath.relpath(out, to)
        ctx.out(out + end)
    return status


def _basename(name: str, suffix: str) -> str:
    stripped = name.rstrip("/")
    if not stripped:
        return "/" if name else ""
    base = stripped.rpartition("/")[2]
    if suffix and base != suffix and base.endswith(suffix):
        base = base[: -len(suffix)]
    return base


@command("basename")
def basename(ctx: CommandContext) -> int:
    """Usage: basename NAME [SUFFIX]  |  basename OPTION... NAME...
    Print NAME with any leading directory components removed; also remove a
    trailing SUFFIX.

      -a, --multiple       support multiple arguments and treat each as a NAME
      -s, --suffix=SUFFIX  remove a trailing SUFFIX; implies -a
      -z, --zero           end each output line with NUL, not newline
    """
    opts, operands = parse_opts(ctx, "as:z", ["multiple", "suffix=", "zero"])
    multiple = False
    suffix = ""
    end = "\n"
    for k, v in opts:
        if k in ("-a", "--multiple"):
            multiple = True
        elif k in ("-s", "--suffix"):
            suffix = v
            multiple = True
        else:
            end = "\0"
    if not operands:
        raise CommandError(f"missing operand\n{try_help('basename')}")
    if not multiple:
        if len(operands) > 2:
            raise CommandError(f"extra operand '{operands[2]}'\n{try_help('basename')}")
        if len(operands) == 2:
            suffix = operands[1]
        operands = operands[:1]
    ctx.out("".join(_basename(n, suffix) + end for n in operands))
    return 0


def _dirname(name: str) -> str:
    stripped = name.rstrip("/")
    if not stripped:
        return "/" if name else "."
    if "/" not in stripped:
        return "."
    return stripped.rpartition("/")[0].rstrip("/") or "/"


@command("dirname")
def dirname(ctx: CommandContext) -> int:
    """Usage: dirname [OPTION] NAME...
    Output each NAME with its last non-slash component and trailing slashes
    removed; if NAME contains no /'s, output '.'.

      -z, --zero  end each output line with NUL, not newline
    """
    opts, operands = parse_opts(ctx, "z", ["zero"])
    if not operands:
        raise CommandError(f"missing operand\n{try_help('dirname')}")
    end = "\0" if opts else "\n"
    ctx.out("".join(_dirname(n) + end for n in operands))
    return 0


# ---------------------------------------------------------------------------
# find
# ---------------------------------------------------------------------------


def glob_to_regex(pat: str, ignore_case: bool = False) -> re.Pattern[str]:
    """fnmatch(3) without FNM_PATHNAME/FNM_PERIOD: * and ? match any character,
    [...] classes (with ! or ^ negation and [:alpha:] names), \\ escapes."""
    classes = {
        "alpha": "a-zA-Z",
        "digit": "0-9",
        "alnum": "a-zA-Z0-9",
        "upper": "A-Z",
        "lower": "a-z",
        "space": r" \t\n\r\f\v",
        "blank": r" \t",
        "punct": r"!-/:-@\[-`{-~",
        "xdigit": "0-9A-Fa-f",
        "cntrl": r"\x00-\x1f\x7f",
        "print": r" -~",
        "graph": r"!-~",
    }
    out = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\" and i < n:
            out.append(re.escape(pat[i]))
            i += 1
        elif c == "[":
            j = i
            neg = False
            if j < n and pat[j] in "!^":
                neg = True
                j += 1
            body = []
            first = True
            while j < n and (pat[j] != "]" or first):
                first = False
                if pat[j] == "[" and j + 1 < n and pat[j + 1] == ":":
                    k = pat.find(":]", j + 2)
                    if k > 0 and pat[j + 2 : k] in classes:
                        body.append(classes[pat[j + 2 : k]])
                        j = k + 2
                        continue
                ch = pat[j]
                if ch == "\\" and j + 1 < n:
                    j += 1
                    ch = pat[j]
                if ch == "-" and body and j + 1 < n and pat[j + 1] != "]":
                    body.append("-")
                else:
                    body.append(re.escape(ch) if ch not in "-" else r"\-")
                j += 1
            if j >= n:
                out.append(r"\[")
                continue
            out.append("[" + ("^" if neg else "") + "".join(body) + "]")
            i = j + 1
        else:
            out.append(re.escape(c))
    return saferegex.compile("(?s:" + "".join(out) + r")\Z", re.I if ignore_case else 0)


def _find_regex(pat: str, kind: str, ignore_case: bool) -> re.Pattern[str]:
    """GNU find's default regex dialect is emacs: \\( \\| \\) group, ( | ) literal."""
    if kind in ("emacs", "posix-basic", "grep", "sed", "ed"):
        out = []
        i = 0
        while i < len(pat):
            c = pat[i]
            if c == "\\" and i + 1 < len(pat):
                nxt = pat[i + 1]
                basic = kind != "emacs"
                if nxt in "()|" or (basic and nxt in "{}+?"):
                    out.append(nxt)
                else:
                    out.append("\\" + nxt)
                i += 2
                continue
            if c in "()|" or (c in "{}" and True) or (kind != "emacs" and c in "+?"):
                out.append("\\" + c)
            else:
                out.append(c)
            i += 1
        pat = "".join(out)
    try:
        return saferegex.compile(pat + r"\Z", re.I if ignore_case else 0)
    except re.error as e:
        raise CommandError(f"Invalid regular expression: {e}") from None


@dataclass
class _FEnt:
    path: str
    host: Path
    depth: int
    start: str
    st: os.stat_result
    guest: str

    @property
    def name(self) -> str:
        if self.depth == 0:
            stripped = self.path.rstrip("/")
            return stripped.rpartition("/")[2] if stripped else "/"
        return self.path.rpartition("/")[2]


_FPred = Callable[[_FEnt], bool]
_TYPE_TESTS = {
    "f": statmod.S_ISREG,
    "d": statmod.S_ISDIR,
    "l": statmod.S_ISLNK,
    "p": statmod.S_ISFIFO,
    "s": statmod.S_ISSOCK,
    "b": statmod.S_ISBLK,
    "c": statmod.S_ISCHR,
}
_GLOBAL_OPTS = {
    "-maxdepth",
    "-mindepth",
    "-depth",
    "-d",
    "-xdev",
    "-mount",
    "-noleaf",
    "-ignore_readdir_race",
    "-noignore_readdir_race",
    "-daystart",
    "-follow",
    "-regextype",
    "-warn",
    "-nowarn",
}


def _exec_dir(e: _FEnt) -> str:
    """Where ``-execdir`` runs for ``e``: the directory holding it (``.`` itself for ``.``)."""
    if e.name in (".", "/"):
        return e.guest
    return posixpath.dirname(e.guest.rstrip("/")) or "/"


class _Find:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        self.now = time.time()
        self.maxdepth: int | None = None
        self.mindepth = 0
        self.depth_first = False
        self.follow = "P"
        self.regextype = "emacs"
        self.has_action = False
        self.status = 0
        self.quit = False
        self.prune_flag = False
        #: -exec ... {} + (and -execdir's, with the directory of the batch)
        self.batches: list[tuple[list[str], list[str], list[str | None]]] = []
        self.pending: dict[int, list[str]] = {}
        self.tz = tz_from_env(ctx.env)
        self.out = bytearray()

    # -- output --------------------------------------------------------------

    def emit(self, data: bytes) -> None:
        self.out += data
        if len(self.out) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.out:
            self.ctx.stdout.write(bytes(self.out))
            self.out.clear()

    # -- parsing -------------------------------------------------------------

    def parse(self, toks: list[str]) -> _FPred:
        self.toks = toks
        self.i = 0
        if not toks:
            return lambda e: True
        pred = self.p_comma()
        if self.i < len(toks):
            tok = toks[self.i]
            if tok == ")":
                raise CommandError("invalid expression; you have too many ')'")
            raise CommandError(f"paths must precede expression: `{tok}'")
        return pred

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def arg(self, name: str) -> str:
        if self.i >= len(self.toks):
            raise CommandError(f"missing argument to `{name}'")
        self.i += 1
        return self.toks[self.i - 1]

    def p_comma(self) -> _FPred:
        left = self.p_or()
        while self.peek() == ",":
            self.i += 1
            right = self.p_or()
            left = (lambda a, b: lambda e: (a(e), b(e))[1])(left, right)
        return left

    def p_or(self) -> _FPred:
        left = self.p_and()
        while self.peek() in ("-o", "-or"):
            op = self.toks[self.i]
            self.i += 1
            if self.peek() in (None, ")", ","):
                raise CommandError(f"expected an expression after '{op}'")
            right = self.p_and()
            left = (lambda a, b: lambda e: a(e) or b(e))(left, right)
        return left

    def p_and(self) -> _FPred:
        left = self.p_not()
        while True:
            tok = self.peek()
            if tok is None or tok in (")", ",", "-o", "-or"):
                return left
            if tok in ("-a", "-and"):
                self.i += 1
                if self.peek() in (None, ")", ","):
                    raise CommandError(f"expected an expression after '{tok}'")
            right = self.p_not()
            left = (lambda a, b: lambda e: a(e) and b(e))(left, right)

    def p_not(self) -> _FPred:
        tok = self.peek()
        if tok in ("!", "-not"):
            self.i += 1
            if self.peek() in (None, ")", ","):
                raise CommandError(f"expected an expression after '{tok}'")
            inner = self.p_not()
            return lambda e: not inner(e)
        if tok == "(":
            self.i += 1
            if self.peek() == ")":
                raise CommandError("invalid expression; empty parentheses are not allowed.")
            inner = self.p_comma()
            if self.peek() != ")":
                raise CommandError(
                    "invalid expression; I was expecting to find a ')' somewhere "
                    "but did not see one."
                )
            self.i += 1
            return inner
        if tok in (")", "-o", "-or", "-a", "-and", ","):
            raise CommandError(
                f"invalid expression; you have used a binary operator '{tok}' "
                "with nothing before it."
            )
        return self.primary()

    def _num(self, name: str, arg: str) -> tuple[str, int]:
        m = re.fullmatch(r"([+-]?)(\d+)", arg)
        if not m:
            raise CommandError(f"invalid argument `{arg}' to `{name}'")
        return m.group(1), int(m.group(2))

    @staticmethod
    def _cmp(sign: str, n: int) -> Callable[[float], bool]:
        if sign == "+":
            return lambda v: v > n
        if sign == "-":
            return lambda v: v < n
        return lambda v: v == n

    def _stat_of(self, path: str, name: str) -> os.stat_result:
        try:
            _, st = _lstat(self.ctx, path, follow=self.follow != "P")
            return st
        except (CommandError, OSError) as e:
            raise CommandError(f"'{path}': {_reason(e)}") from None

    def primary(self) -> _FPred:
        tok = self.toks[self.i]
        self.i += 1
        ctx = self.ctx
        if tok in ("-name", "-iname"):
            rx = glob_to_regex(self.arg(tok), tok == "-iname")
            return lambda e: rx.match(e.name) is not None
        if tok in ("-path", "-ipath", "-wholename", "-iwholename"):
            rx = glob_to_regex(self.arg(tok), tok.startswith("-i"))
            return lambda e: rx.match(e.path) is not None
        if tok in ("-lname", "-ilname"):
            rx = glob_to_regex(self.arg(tok), tok == "-ilname")

            def lname(e: _FEnt) -> bool:
                if not statmod.S_ISLNK(e.st.st_mode):
                    return False
                try:
                    return rx.match(os.readlink(e.host)) is not None
                except OSError:
                    return False

            return lname
        if tok in ("-regex", "-iregex"):
            rx = _find_regex(self.arg(tok), self.regextype, tok == "-iregex")
            return lambda e: rx.match(e.path) is not None
        if tok in ("-type", "-xtype"):
            spec = self.arg(tok)
            kinds = spec.split(",")
            for k in kinds:
                if k not in _TYPE_TESTS:
                    raise CommandError(f"Unknown argument to {tok}: {k}")
            tests = [_TYPE_TESTS[k] for k in kinds]
            if tok == "-xtype":

                def xtype(e: _FEnt) -> bool:
                    mode = e.st.st_mode
                    if statmod.S_ISLNK(mode):
                        with contextlib.suppress(CommandError, OSError):
                            mode = os.stat(ctx.resolve(e.guest)).st_mode
                    return any(t(mode) for t in tests)

                return xtype
            return lambda e: any(t(e.st.st_mode) for t in tests)
        if tok == "-size":
            arg = self.arg(tok)
            m = re.fullmatch(r"([+-]?)(\d+)([bcwkMG]?)", arg)
            if not m:
                m2 = re.fullmatch(r"[+-]?\d+(.)", arg)
                if m2:
                    raise CommandError(f"invalid -size type `{m2.group(1)}'")
                raise CommandError(f"invalid argument `{arg}' to `-size'")
            unit = {"": 512, "b": 512, "c": 1, "w": 2, "k": 1024, "M": MB, "G": 1024 * MB}[
                m.group(3)
            ]
            cmp = self._cmp(m.group(1), int(m.group(2)))
            return lambda e: cmp(-(-e.st.st_size // unit))
        if tok in ("-mtime", "-atime", "-ctime"):
            sign, n = self._num(tok, self.arg(tok))
            cmp = self._cmp(sign, n)
            attr = "st_" + tok[1:]
            return lambda e: cmp((self.now - getattr(e.st, attr)) // 86400)
        if tok in ("-mmin", "-amin", "-cmin"):
            sign, n = self._num(tok, self.arg(tok))
            attr = "st_" + tok[1] + "time"
            if sign == "+":
                return lambda e: self.now - getattr(e.st, attr) > n * 60
            if sign == "-":
                return lambda e: self.now - getattr(e.st, attr) < n * 60
            return lambda e: -(-(self.now - getattr(e.st, attr)) // 60) == n
        if tok in ("-newer", "-anewer", "-cnewer"):
            ref = self.arg(tok)
            rst = self._stat_of(ref, tok)
            attr = {"-newer": "st_mtime_ns", "-anewer": "st_atime_ns", "-cnewer": "st_ctime_ns"}[
                tok
            ]
            return lambda e: getattr(e.st, attr) > rst.st_mtime_ns
        if tok == "-samefile":
            rst = self._stat_of(self.arg(tok), tok)
            return lambda e: (e.st.st_dev, e.st.st_ino) == (rst.st_dev, rst.st_ino)
        if tok == "-empty":

            def empty(e: _FEnt) -> bool:
                if statmod.S_ISREG(e.st.st_mode):
                    return e.st.st_size == 0
                if statmod.S_ISDIR(e.st.st_mode):
                    try:
                        with os.scandir(e.host) as it:
                            return next(it, None) is None
                    except OSError:
                        return False
                return False

            return empty
        if tok in ("-executable", "-readable", "-writable"):
            flag = {"-executable": os.X_OK, "-readable": os.R_OK, "-writable": os.W_OK}[tok]
            return lambda e: os.access(e.host, flag, follow_symlinks=False)
        if tok == "-perm":
            arg = self.arg(tok)
            kind = arg[0] if arg[:1] in ("-", "/", "+") else ""
            spec = arg[len(kind) :]
            changes = _parse_mode(spec)
            if changes is None:
                raise CommandError(f"invalid mode `{arg}'")
            want, _ = _apply_mode(changes, 0, False, umask=0)
            if kind == "-":
                return lambda e: (statmod.S_IMODE(e.st.st_mode) & want) == want
            if kind in ("/", "+"):
                return lambda e: want == 0 or bool(statmod.S_IMODE(e.st.st_mode) & want)
            return lambda e: statmod.S_IMODE(e.st.st_mode) == want
        if tok in ("-user", "-group"):
            who = self.arg(tok)
            if not who.isdigit() and who not in ("user", "root"):  # the sandbox's accounts
                what = "a known user" if tok == "-user" else "an existing group"
                raise CommandError(f"'{who}' is not the name of {what}")
            return lambda e: who in ("user", "1000")
        if tok in ("-uid", "-gid"):
            sign, n = self._num(tok, self.arg(tok))
            cmp = self._cmp(sign, n)
            return lambda e: cmp(1000)
        if tok in ("-nouser", "-nogroup", "-false"):
            return lambda e: False
        if tok == "-true":
            return lambda e: True
        if tok == "-links":
            sign, n = self._num(tok, self.arg(tok))
            cmp = self._cmp(sign, n)
            return lambda e: cmp(e.st.st_nlink)
        if tok == "-inum":
            sign, n = self._num(tok, self.arg(tok))
            cmp = self._cmp(sign, n)
            return lambda e: cmp(e.st.st_ino)
        if tok in _GLOBAL_OPTS:
            return self.global_opt(tok)
        # actions
        if tok == "-print":
            self.has_action = True
            return lambda e: (self.emit(encode(e.path) + b"\n"), True)[1]
        if tok == "-print0":
            self.has_action = True
            return lambda e: (self.emit(encode(e.path) + b"\0"), True)[1]
        if tok == "-printf":
            self.has_action = True
            fmt = self.arg(tok)
            return lambda e: (self.emit(self.printf(fmt, e)), True)[1]
        if tok == "-ls":
            self.has_action = True
            return lambda e: (self.emit(self.ls_line(e)), True)[1]
        if tok in ("-fprint", "-fprint0", "-fprintf", "-fls"):
            raise CommandError(f"{tok} is not supported; redirect the output instead")
        if tok == "-prune":

            def prune(e: _FEnt) -> bool:
                self.prune_flag = True
                return True

            return prune
        if tok == "-quit":
            self.has_action = True

            def quit_(e: _FEnt) -> bool:
                self.quit = True
                return True

            return quit_
        if tok == "-delete":
            self.has_action = True
            self.depth_first = True
            return self.delete
        if tok in ("-exec", "-ok", "-execdir", "-okdir"):
            self.has_action = True
            in_dir = tok in ("-execdir", "-okdir")
            ask = tok in ("-ok", "-okdir")
            cmd: list[str] = []
            while True:
                if self.i >= len(self.toks):
                    raise CommandError(f"missing argument to `{tok}'")
                t = self.toks[self.i]
                self.i += 1
                if t == ";":
                    break
                if t == "+" and cmd and cmd[-1] == "{}" and not ask:
                    return self.exec_plus(cmd[:-1], in_dir)
                cmd.append(t)
            if not cmd:
                raise CommandError(f"missing argument to `{tok}'")
            if ask:  # the question goes to stderr; the answer (stdin) is never a yes here
                return lambda e: self.refuse_ok(cmd, e, in_dir)
            return lambda e: self.exec_one(cmd, e, in_dir)
        if tok.startswith("-") and len(tok) > 1:
            raise CommandError(f"unknown predicate `{tok}'")
        raise CommandError(f"paths must precede expression: `{tok}'")

    def global_opt(self, tok: str) -> _FPred:
        if tok in ("-maxdepth", "-mindepth"):
            arg = self.arg(tok)
            if not arg.isdigit():
                raise CommandError(
                    f"Expected a positive decimal integer argument to {tok}, but got '{arg}'"
                )
            if tok == "-maxdepth":
                self.maxdepth = int(arg)
            else:
                self.mindepth = int(arg)
        elif tok in ("-depth", "-d"):
            self.depth_first = True
        elif tok == "-follow":
            self.follow = "L"
        elif tok == "-regextype":
            kind = self.arg(tok)
            known = (
                "emacs",
                "posix-basic",
                "posix-extended",
                "posix-egrep",
                "egrep",
                "findutils-default",
                "grep",
                "sed",
                "awk",
                "gnu-awk",
                "posix-awk",
                "ed",
                "posix-minimal-basic",
            )
            if kind not in known:
                raise CommandError(
                    f"Unknown regular expression type '{kind}'; valid types are "
                    "'findutils-default', 'awk', 'egrep', 'ed', 'emacs', ..."
                )
            self.regextype = "emacs" if kind == "findutils-default" else kind
        elif tok == "-daystart":
            d = datetime.now(self.tz).replace(hour=0, minute=0, second=0, microsecond=0)
            self.now = d.timestamp() + 86400
        return lambda e: True

    # -- actions -------------------------------------------------------------

    def delete(self, e: _FEnt) -> bool:
        if e.host == self.ctx.ws.root or e.path in (".", "./"):
            return True
        try:
            if statmod.S_ISDIR(e.st.st_mode):
                hfs.rmdir(self.ctx.ws, e.host)
            else:
                hfs.unlink(self.ctx.ws, e.host)
            return True
        except OSError as err:
            self.ctx.err(f"cannot delete '{e.path}': {err.strerror}")
            self.status = 1
            return False

    def run(self, argv: list[str], cwd: str | None = None) -> int:
        if self.ctx.run_command is None:
            raise CommandError("-exec is not available here")
        self.flush()
        if cwd is None:
            st, out, err = self.ctx.run_command(argv, b"")
        else:
            st, out, err = self.ctx.run_command(argv, b"", cwd=cwd)
        self.ctx.stdout.write(out)
        self.ctx.stderr.write(err)
        return st

    def exec_one(self, cmd: list[str], e: _FEnt, in_dir: bool = False) -> bool:
        if not in_dir:
            return self.run([a.replace("{}", e.path) for a in cmd]) == 0
        # -execdir: run in the directory holding the file, which is `./NAME` there
        argv = [a.replace("{}", "./" + e.name) for a in cmd]
        return self.run(argv, cwd=_exec_dir(e)) == 0

    def refuse_ok(self, cmd: list[str], e: _FEnt, in_dir: bool) -> bool:
        """``-ok``/``-okdir``: GNU asks on stderr and reads the answer from stdin; an
        unattended run has no one to say yes, so the command never runs."""
        shown = ("./" + e.name) if in_dir else e.path
        self.flush()
        self.ctx.stderr.write(encode(f"< {' '.join(a.replace('{}', shown) for a in cmd)} > ? "))
        return False

    def exec_plus(self, cmd: list[str], in_dir: bool = False) -> _FPred:
        """``-exec CMD {} +`` (``-execdir``: one batch a directory, run there)."""
        batch: list[str] = []
        where: list[str | None] = [None]  # -execdir: the directory of the batch
        self.batches.append((cmd, batch, where))

        def add(e: _FEnt) -> bool:
            if in_dir:
                d = _exec_dir(e)
                if where[0] is not None and d != where[0]:
                    self.flush_batch(cmd, batch, where)
                where[0] = d
                batch.append("./" + e.name)
            else:
                batch.append(e.path)
            if len(batch) >= 1000 or sum(len(p) for p in batch) > 100_000:
                self.flush_batch(cmd, batch, where)
            return True

        return add

    def flush_batch(self, cmd: list[str], batch: list[str], where: list[str | None]) -> None:
        if batch:
            if self.run(cmd + batch, where[0]) != 0:
                self.status = 1
            batch.clear()

    def printf(self, fmt: str, e: _FEnt) -> bytes:
        out = bytearray()
        i, n = 0, len(fmt)
        while i < n:
            c = fmt[i]
            if c == "\\" and i + 1 < n:
                nxt = fmt[i + 1]
                esc = {"n": "\n", "t": "\t", "\\": "\\", "a": "\a", "b": "\b", "f": "\f"}
                esc.update({"r": "\r", "v": "\v", "0": "\0"})
                if nxt in "01234567":
                    m = re.match(r"[0-7]{1,3}", fmt[i + 1 :])
                    assert m
                    out.append(int(m.group(0), 8) & 0xFF)
                    i += 1 + len(m.group(0))
                    continue
                if nxt == "c":
                    break
                out += encode(esc.get(nxt, "\\" + nxt))
                i += 2
                continue
            if c != "%" or i + 1 >= n:
                out += encode(c)
                i += 1
                continue
            m = re.match(r"%([-+ #0]*)(\d*)(\.\d+)?([%pfhPHdDsSkbmMyYlinugUGtacTAC])", fmt[i:])
            if not m:
                out += encode("%")
                i += 1
                continue
            flags, width, prec, conv = m.groups()
            i += m.end()
            if conv in "TAC":
                if i >= n:
                    break
                k = fmt[i]
                i += 1
                val = self.time_field(e, conv, k)
            else:
                val = self.field(e, conv)
            if prec and conv not in "TAC":
                val = val[: int(prec[1:])]
            if width:
                w = int(width)
                val = val.ljust(w) if "-" in flags else val.rjust(w, "0" if "0" in flags else " ")
            out += encode(val)
        return bytes(out)

    def field(self, e: _FEnt, conv: str) -> str:
        st = e.st
        if conv == "%":
            return "%"
        if conv == "p":
            return e.path
        if conv == "f":
            return e.name if e.depth else e.path.rstrip("/").rpartition("/")[2] or e.path
        if conv == "h":
            head = e.path.rpartition("/")[0] if "/" in e.path.rstrip("/") else "."
            return head if head or not e.path.startswith("/") else "/"
        if conv == "P":
            return e.path[len(e.start) :].lstrip("/") if e.depth else ""
        if conv == "H":
            return e.start
        if conv == "d":
            return str(e.depth)
        if conv == "s":
            return str(st.st_size)
        if conv == "k":
            return str(-(-st.st_blocks // 2))
        if conv == "b":
            return str(st.st_blocks)
        if conv == "m":
            return f"{statmod.S_IMODE(st.st_mode):o}"
        if conv == "M":
            return _mode_string(st.st_mode)
        if conv in "yY":
            mode = st.st_mode
            if conv == "Y" and statmod.S_ISLNK(mode):
                try:
                    mode = os.stat(self.ctx.resolve(e.guest)).st_mode
                except (CommandError, FileNotFoundError):
                    return "N"
                except OSError:
                    return "?"
            for k, t in _TYPE_TESTS.items():
                if t(mode):
                    return k
            return "U"
        if conv == "l":
            if statmod.S_ISLNK(st.st_mode):
                try:
                    return os.readlink(e.host)
                except OSError:
                    return ""
            return ""
        if conv == "i":
            return str(st.st_ino)
        if conv == "n":
            return str(st.st_nlink)
        if conv in "ug":
            return "user"
        if conv in "UG":
            return "1000"
        if conv == "S":
            return f"{(st.st_blocks * 512) / st.st_size if st.st_size else 1.0:g}"
        if conv == "D":
            return str(st.st_dev)
        # %t %a %c: ctime(3)-like with fractional seconds
        ns = {"t": st.st_mtime_ns, "a": st.st_atime_ns, "c": st.st_ctime_ns}[conv]
        dt = datetime.fromtimestamp(ns // 1_000_000_000, self.tz)
        return strftime_c("%a %b %e %H:%M:%S", dt) + f".{ns % 1_000_000_000:09d}0 {dt.year}"

    def time_field(self, e: _FEnt, conv: str, k: str) -> str:
        ns = {"T": e.st.st_mtime_ns, "A": e.st.st_atime_ns, "C": e.st.st_ctime_ns}[conv]
        secs, frac = divmod(ns, 1_000_000_000)
        if k == "@":
            return f"{secs}.{frac:09d}0"
        dt = datetime.fromtimestamp(secs, self.tz)
        if k in "ST":
            base = strftime_c("%" + k, dt)
            return f"{base}.{frac:09d}0"
        if k == "+":
            return strftime_c("%Y-%m-%d+%H:%M:%S", dt) + f".{frac:09d}0"
        return strftime_c("%" + k, dt, frac)

    def ls_line(self, e: _FEnt) -> bytes:
        st = e.st
        now = self.now
        dt = datetime.fromtimestamp(st.st_mtime, self.tz)
        if now - 31556952 // 2 < st.st_mtime <= now + 1:
            when = f"{MONTH_ABBR[dt.month - 1]} {dt.day:2d} {dt.hour:02d}:{dt.minute:02d}"
        else:
            when = f"{MONTH_ABBR[dt.month - 1]} {dt.day:2d}  {dt.year}"
        name = e.path
        if statmod.S_ISLNK(st.st_mode):
            with contextlib.suppress(OSError):
                name += " -> " + os.readlink(e.host)
        line = (
            f"{st.st_ino:9d} {-(-st.st_blocks // 2):6d} {_mode_string(st.st_mode)} "
            f"{st.st_nlink:3d} {'user':<8} {'user':<8} {st.st_size:8d} {when} {name}\n"
        )
        return encode(line)

    # -- walking -------------------------------------------------------------

    def walk(self, pred: _FPred, start: str) -> None:
        ctx = self.ctx
        try:
            host = ctx.resolve(start, follow_last=self.follow != "P" or start.endswith("/"))
            st = os.lstat(host)
        except (CommandError, OSError) as e:
            ctx.err(f"'{start}': {_reason(e)}")
            self.status = 1
            return
        guest = ctx.guest_path(start)
        seen: set[tuple[int, int]] = set()
        counter = [0]
        self.visit(pred, _FEnt(start, host, 0, start, st, guest), seen, counter)

    def visit(self, pred: _FPred, e: _FEnt, seen: set[tuple[int, int]], counter: list[int]) -> None:
        if self.quit:
            return
        counter[0] += 1
        if counter[0] % 200 == 0:
            self.ctx.check()
        st = e.st
        if self.follow == "L" and statmod.S_ISLNK(st.st_mode):
            try:
                th = self.ctx.resolve(e.guest)
                tst = os.stat(th)
                e = _FEnt(e.path, th, e.depth, e.start, tst, e.guest)
                st = tst
            except (CommandError, OSError):
                pass
        is_dir = statmod.S_ISDIR(st.st_mode)
        in_range = e.depth >= self.mindepth
        self.prune_flag = False
        if in_range and not self.depth_first:
            self.apply(pred, e)
        descend = (
            is_dir
            and (self.maxdepth is None or e.depth < self.maxdepth)
            and not (self.prune_flag and not self.depth_first)
            and not self.quit
        )
        if descend:
            key = (st.st_dev, st.st_ino)
            if key in seen:
                self.ctx.err(
                    f"File system loop detected; '{e.path}' is part of the same file system loop."
                )
                self.status = 1
                descend = False
            else:
                seen.add(key)
        if descend:
            try:
                names = _sorted_names(self.ctx, e.host)
            except OSError as err:
                self.ctx.err(f"'{e.path}': {err.strerror}")
                self.status = 1
                names = []
            for n in names:
                if self.quit:
                    break
                child = e.host / n
                try:
                    cst = os.lstat(child)
                except OSError:
                    continue
                self.visit(
                    pred,
                    _FEnt(_join(e.path, n), child, e.depth + 1, e.start, cst, e.guest + "/" + n),
                    seen,
                    counter,
                )
            seen.discard((st.st_dev, st.st_ino))
        if in_range and self.depth_first and not self.quit:
            self.apply(pred, e)

    def apply(self, pred: _FPred, e: _FEnt) -> None:
        matched = pred(e)
        if matched and not self.has_action:
            self.emit(encode(e.path) + b"\n")


@command("find")
def find(ctx: CommandContext) -> int:
    """Usage: find [-H] [-L] [-P] [PATH...] [EXPRESSION]
    Search for files in directory hierarchies (default path: .). Paths print as GNU
    prints them, relative to each PATH as given; entries are visited in C-locale
    name order. Symbolic links are never followed out of /workspace.

    Tests: -name -iname -path -ipath -wholename -regex -iregex (-regextype), -lname,
      -type [fdlpsbc][,..], -xtype, -size [+-]N[bckwMG], -empty, -newer FILE,
      -mtime/-atime/-ctime [+-]N, -mmin/-amin/-cmin [+-]N, -perm [-/]MODE,
      -links N, -inum N, -samefile F, -user/-group/-uid/-gid, -executable,
      -readable, -writable, -true, -false
    Operators: ( EXPR ), ! EXPR, -not, EXPR -a EXPR, EXPR -o EXPR, EXPR , EXPR
    Options: -maxdepth N, -mindepth N, -depth, -daystart, -follow, -regextype T
    Actions: -print, -print0, -printf FORMAT, -ls, -delete, -prune, -quit,
      -exec COMMAND {} ;  and  -exec COMMAND {} +
    """
    args = list(ctx.args)
    f = _Find(ctx)
    while (args and args[0] in ("-P", "-H", "-L")) or (args and re.fullmatch(r"-[DO].*", args[0])):
        a = args.pop(0)
        if a in ("-P", "-H", "-L"):
            f.follow = a[1]
        elif a in ("-D", "-O") and args:
            args.pop(0)
    paths: list[str] = []
    while (
        args
        and not (args[0].startswith("-") and len(args[0]) > 1)
        and args[0]
        not in (
            "!",
            "(",
            ")",
            ",",
        )
    ):
        paths.append(args.pop(0))
    pred = f.parse(args)
    for p in paths or ["."]:
        if f.quit:
            break
        if p == "":
            ctx.err("'': No such file or directory")
            f.status = 1
            continue
        f.walk(pred, p)
    for cmd, batch, where in f.batches:
        f.flush_batch(cmd, batch, where)
    f.flush()
    return f.status


# ---------------------------------------------------------------------------
# tar
# ---------------------------------------------------------------------------

_TAR_ARG_LETTERS = set("fCbTXKLNgV")


def _tar_expand_old(args: list[str]) -> list[str]:
    """``tar czf a.tgz dir`` -> ``tar -c -z -f a.tgz dir``."""
    if not args or args[0].startswith("-"):
        return args
    letters, rest = args[0], args[1:]
    out: list[str] = []
    for c in letters:
        out.append("-" + c)
        if c in _TAR_ARG_LETTERS:
            if not rest:
                out.append("")
            else:
                out.append(rest.pop(0))
    return out + rest


class _TarFail(Exception):
    """Stop tar with 'Error is not recoverable: exiting now'."""


class _Tar:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        self.errors = False
        self.verbose = 0
        self.excludes: list[str] = []
        self.ugswidth = 19
        self.tz = tz_from_env(ctx.env)

    def err(self, msg: str) -> None:
        self.ctx.err(msg)
        self.errors = True

    def excluded(self, name: str) -> bool:
        if not self.excludes:
            return False
        clean = name.rstrip("/")
        while clean.startswith("./"):
            clean = clean[2:]
        parts = clean.split("/")
        for pat in self.excludes:
            p = pat.rstrip("/")
            while p.startswith("./"):
                p = p[2:]
            rx = glob_to_regex(p)
            for i in range(len(parts)):
                if rx.match("/".join(parts[i:])) or rx.match("/".join(parts[: i + 1])):
                    return True
        return False

    def list_line(self, m: tarfile.TarInfo) -> str:
        kind = {
            tarfile.DIRTYPE: "d",
            tarfile.SYMTYPE: "l",
            tarfile.LNKTYPE: "h",
            tarfile.CHRTYPE: "c",
            tarfile.BLKTYPE: "b",
            tarfile.FIFOTYPE: "p",
        }.get(m.type, "-")
        modes = _mode_string(m.mode & 0o7777)[1:]
        modes = ("-" if kind == "h" else kind) + modes
        user = m.uname or str(m.uid)
        group = m.gname or str(m.gid)
        size = str(m.size)
        pad = len(user) + 1 + len(group) + 1 + len(size)
        if pad > self.ugswidth:
            self.ugswidth = pad
        dt = datetime.fromtimestamp(int(m.mtime), self.tz)
        when = strftime_c("%Y-%m-%d %H:%M", dt)
        name = m.name + ("/" if m.isdir() and not m.name.endswith("/") else "")
        line = f"{modes} {user}/{group} {size:>{self.ugswidth - pad + len(size)}} {when} {name}"
        if m.issym():
            line += f" -> {m.linkname}"
        elif m.islnk():
            line += f" link to {m.linkname}"
        return line

    # -- create --------------------------------------------------------------

    def create(
        self, archive: str, mode: str, base: str, names: list[str], deref: bool,
        append: str = "",
    ) -> None:  # fmt: skip
        """-c; with ``append`` "r" (-r) or "u" (-u, only what is newer than the archive's
        copy), the archive's members first: the archive is read whole (up to the memory
        limit for one value) and written again with the new members after them."""
        ctx = self.ctx
        old = b""
        if append:
            if archive == "-":
                raise CommandError("Cannot update an archive on standard output", 2)
            limit = max_string(ctx.ws.budget)
            try:
                with ctx.open_read(archive) as fh:
                    old = fh.read(limit + 1)
            except CommandError:
                old = b""  # GNU makes the archive
            if len(old) > limit:
                raise CommandError(too_large(archive, len(old), limit), 2)
            if old[:2] in (b"\x1f\x8b", b"BZ") or old[:6] == b"\xfd7zXZ\x00":
                raise CommandError("Cannot update compressed archives", 2)
        if not names and not append:
            raise CommandError(
                "Cowardly refusing to create an empty archive\n"
                "Try 'tar --help' or 'tar --usage' for more information.",
                2,
            )
        to_stdout = archive == "-"
        listing = ctx.stderr if to_stdout else ctx.stdout
        if to_stdout:
            out: IO[bytes] = ctx.stdout
            arch_key = None
        else:
            try:
                out = ctx.open_write(archive)  # type: ignore[assignment]
            except CommandError as e:
                raise CommandError(f"{archive}: Cannot open: {_reason(e)}", 2) from None
            ast = os.stat(ctx.resolve(archive))
            arch_key = (ast.st_dev, ast.st_ino)
        warned_abs = False
        links: dict[tuple[int, int], str] = {}
        try:
            with tarfile.open(fileobj=out, mode=mode, format=tarfile.GNU_FORMAT) as tf:
                have: dict[str, int] = {}
                if old:
                    try:
                        with tarfile.open(fileobj=io.BytesIO(old), mode="r:") as otf:
                            for m in otf:
                                ctx.check()
                                tf.addfile(m, otf.extractfile(m) if m.isreg() else None)
                                have[m.name.rstrip("/")] = max(have.get(m.name, 0), int(m.mtime))
                    except tarfile.TarError:
                        raise CommandError(
                            "This does not look like a tar archive\n"
                            "tar: Exiting with failure status due to previous errors", 2
                        ) from None
                for name in names:
                    member = name
                    if member.startswith("/"):
                        if not warned_abs:
                            ctx.err("Removing leading `/' from member names")
                            warned_abs = True
                        member = member.lstrip("/") or "."
                    path = posixpath.join(base, name) if not name.startswith("/") else name
                    try:
                        host = ctx.resolve(path, follow_last=deref)
                        st = os.lstat(host)
                    except (CommandError, OSError) as e:
                        self.err(f"{name}: Cannot stat: {_reason(e)}")
                        continue
                    seen = have.get(member.rstrip("/"))
                    if append == "u" and seen is not None and seen >= int(st.st_mtime):
                        continue  # -u: the archive's copy is as new
                    self.add(tf, host, st, member, arch_key, links, listing, deref, path)
        except OSError as e:
            if isinstance(e, BrokenPipeError):
                raise
            raise CommandError(
                f"{archive}: Cannot write: {e.strerror}\n"
                "tar: Error is not recoverable: exiting now",
                2,
            ) from None
        finally:
            if not to_stdout:
                out.close()

    def add(
        self,
        tf: tarfile.TarFile,
        host: Path,
        st: os.stat_result,
        member: str,
        arch_key: tuple[int, int] | None,
        links: dict[tuple[int, int], str],
        listing: IO[bytes],
        deref: bool,
        guest: str,
    ) -> None:
        ctx = self.ctx
        ctx.check()
        if self.excluded(member):
            return
        if arch_key is not None and (st.st_dev, st.st_ino) == arch_key:
            ctx.err(f"{member}: file is the archive; not dumped")
            return
        ti = tarfile.TarInfo(member)
        ti.mode = statmod.S_IMODE(st.st_mode)
        ti.mtime = int(st.st_mtime)
        ti.uid = ti.gid = 1000
        ti.uname = ti.gname = "user"
        fobj: IO[bytes] | None = None
        if statmod.S_ISLNK(st.st_mode):
            ti.type = tarfile.SYMTYPE
            ti.linkname = hfs.readlink(ctx.ws, host)
        elif statmod.S_ISDIR(st.st_mode):
            ti.type = tarfile.DIRTYPE
        elif statmod.S_ISREG(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in links:
                ti.type = tarfile.LNKTYPE
                ti.linkname = links[key]
            else:
                if st.st_nlink > 1:
                    links[key] = member
                ti.type = tarfile.REGTYPE
                ti.size = st.st_size
                try:
                    fobj = _open_nofollow(ctx, host)
                except OSError as e:
                    self.err(f"{member}: Cannot open: {e.strerror}")
                    return
        else:
            self.err(
                f"{member}: socket ignored"
                if statmod.S_ISSOCK(st.st_mode)
                else f"{member}: special file ignored"
            )
            return
        if self.verbose:
            shown = member + ("/" if ti.isdir() and not member.endswith("/") else "")
            line = self.list_line(ti) if self.verbose > 1 else shown
            listing.write(encode(line + "\n"))
        try:
            tf.addfile(ti, fobj)
        finally:
            if fobj is not None:
                fobj.close()
        if ti.isdir():
            try:
                names = _sorted_names(ctx, host)
            except OSError as e:
                self.err(f"{member}: Cannot open: {e.strerror}")
                return
            for n in names:
                child = host / n
                cguest = guest.rstrip("/") + "/" + n
                try:
                    if deref:
                        child = ctx.resolve(cguest)
                    cst = hfs.lstat(ctx.ws, child)
                except (CommandError, OSError) as e:
                    self.err(f"{_join(member, n)}: Cannot stat: {_reason(e)}")
                    continue
                self.add(tf, child, cst, _join(member, n), arch_key, links, listing, deref, cguest)

    # -- list / extract ------------------------------------------------------

    def open_archive(self, archive: str, mode: str) -> tuple[tarfile.TarFile, IO[bytes]]:
        ctx = self.ctx
        try:
            f = ctx.open_read(archive)
        except CommandError as e:
            raise CommandError(
                f"{archive}: Cannot open: {_reason(e)}\ntar: Error is not recoverable: exiting now",
                2,
            ) from None
        try:
            return tarfile.open(fileobj=_unwrap_gzip(f), mode="r|" if mode == "r|*" else mode), f
        except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError):
            if archive != "-":
                f.close()
            raise CommandError(
                "This does not look like a tar archive\n"
                "tar: Exiting with failure status due to previous errors",
                2,
            ) from None

    def members(
        self, tf: tarfile.TarFile, wanted: list[str], strip: int
    ) -> Iterator[tuple[tarfile.TarInfo, str]]:
        found = dict.fromkeys(wanted, False)
        try:
            for m in tf:
                self.ctx.check()
                name = m.name
                if wanted:
                    hit = None
                    for w in wanted:
                        wn = w.rstrip("/")
                        if (
                            name.rstrip("/") == wn
                            or name.startswith(wn + "/")
                            or (any(c in w for c in "*?[") and glob_to_regex(w).match(name))
                        ):
                            hit = w
                            break
                    if hit is None:
                        continue
                    found[hit] = True
                if self.excluded(name):
                    continue
                if strip:
                    parts = [p for p in name.split("/") if p]
                    if len(parts) <= strip:
                        continue
                    name = "/".join(parts[strip:])
                yield m, name
        except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
            if isinstance(e, BrokenPipeError):
                raise
            self.err(
                "Unexpected EOF in archive"
                if isinstance(e, EOFError | tarfile.ReadError)
                else f"{e}"
            )
        for w, ok in found.items():
            if not ok:
                self.err(f"{w}: Not found in archive")

    def list(self, archive: str, mode: str, wanted: list[str], strip: int) -> None:
        tf, f = self.open_archive(archive, mode)
        try:
            for m, name in self.members(tf, wanted, strip):
                if self.verbose:
                    m2 = m.replace(name=name, deep=False)
                    line = self.list_line(m2)
                else:
                    line = name + ("/" if m.isdir() and not name.endswith("/") else "")
                self.ctx.stdout.write(encode(line + "\n"))
        finally:
            if archive != "-":
                f.close()

    def extract(
        self,
        archive: str,
        mode: str,
        base: str,
        wanted: list[str],
        strip: int,
        keep_old: bool,
        to_stdout: bool,
        no_mtime: bool,
    ) -> None:
        ctx = self.ctx
        try:
            dest_host = ctx.resolve(base)
        except CommandError as e:
            raise CommandError(
                f"{base}: Cannot open: {_reason(e)}\ntar: Error is not recoverable: exiting now", 2
            ) from None
        if not hfs.is_dir(ctx.ws, dest_host):
            raise CommandError(
                f"{base}: Cannot open: No such file or directory\n"
                "tar: Error is not recoverable: exiting now",
                2,
            )
        dest_guest = ctx.guest_path(base)
        room = _Room(ctx)
        tf, f = self.open_archive(archive, mode)
        dir_times: list[tuple[Path, int, int]] = []
        try:
            for m, name in self.members(tf, wanted, strip):
                if m.islnk() and strip:
                    parts = [p for p in m.linkname.split("/") if p]
                    m = m.replace(linkname="/".join(parts[strip:]), deep=False)
                shown = name + ("/" if m.isdir() and not name.endswith("/") else "")
                if self.verbose:
                    line = (
                        self.list_line(m.replace(name=name, deep=False))
                        if self.verbose > 1
                        else shown
                    )
                    (ctx.stderr if to_stdout else ctx.stdout).write(encode(line + "\n"))
                if to_stdout:
                    if m.isreg():
                        src = tf.extractfile(m)
                        if src is not None:
                            while chunk := src.read(CHUNK):
                                ctx.stdout.write(chunk)
                                ctx.check()
                    continue
                problem = self.check_member(m, name, dest_host)
                if problem:
                    self.err(f"{m.name}: {problem}")
                    continue
                try:
                    self.extract_one(tf, m, name, dest_guest, room, keep_old, no_mtime, dir_times)
                except OSError as e:
                    if isinstance(e, _BadGzip):
                        raise
                    if e.errno in (errno.ENOSPC, errno.EDQUOT):
                        raise _TarFail(f"{name}: Cannot write: {e.strerror}") from None
                    self.err(f"{name}: Cannot open: {e.strerror}")
                except CommandError as e:
                    self.err(f"{name}: Cannot open: {_reason(e)}")
        except _TarFail as e:
            raise CommandError(f"{e}\ntar: Error is not recoverable: exiting now", 2) from None
        except (tarfile.TarError, EOFError, zlib.error, _BadGzip) as e:
            # a member's data ends early or is corrupt (read while extracting)
            why = "Unexpected EOF in archive" if isinstance(e, EOFError | tarfile.ReadError) else e
            raise CommandError(f"{why}\ntar: Error is not recoverable: exiting now", 2) from None
        finally:
            if archive != "-":
                f.close()
            for host, mode_bits, mtime in reversed(dir_times):
                with contextlib.suppress(OSError):
                    times = (mtime * 10**9,) * 2 if mtime >= 0 else None
                    _set_meta(ctx, host, mode_bits, times)

    def check_member(self, m: tarfile.TarInfo, name: str, dest_host: Path) -> str | None:
        """Why a member must not be extracted (None if it is fine)."""
        if name.startswith("/") or m.name.startswith("/"):
            return "refusing to extract: member name is an absolute path"
        if ".." in name.split("/"):
            return "refusing to extract: member name contains '..'"
        if (
            m.ischr()
            or m.isblk()
            or m.isfifo()
            or not (m.isreg() or m.isdir() or m.issym() or m.islnk())
        ):
            return "refusing to extract: special file"
        if m.issym() or m.islnk():
            target = m.linkname
            if target.startswith("/"):
                return "refusing to extract: link to an absolute path"
            base = posixpath.dirname(name) if m.issym() else ""
            norm = posixpath.normpath(posixpath.join(base, target))
            if norm == ".." or norm.startswith("../"):
                return "refusing to extract: link points outside the destination"
        try:
            tarfile.data_filter(m.replace(name=name, deep=False), str(dest_host))
        except tarfile.FilterError:
            return "refusing to extract: unsafe member (rejected by the 'data' filter)"
        return None

    def extract_one(
        self,
        tf: tarfile.TarFile,
        m: tarfile.TarInfo,
        name: str,
        dest_guest: str,
        room: _Room,
        keep_old: bool,
        no_mtime: bool,
        dir_times: list[tuple[Path, int, int]],
    ) -> None:
        ctx = self.ctx
        guest = posixpath.join(dest_guest, name)
        parent = ctx.resolve(posixpath.dirname(guest))
        if not hfs.is_dir(ctx.ws, parent):
            self.make_parents(posixpath.dirname(guest), room)
        host = ctx.resolve(guest, follow_last=False)
        exists = hfs.lexists(ctx.ws, host)
        mode_bits = (m.mode or 0o644) & 0o777
        if m.isdir():
            if exists and not hfs.is_dir(ctx.ws, host):
                if keep_old:
                    raise OSError(errno.EEXIST, "File exists")
                hfs.unlink(ctx.ws, host)
                exists = False
            if not exists:
                room.new_file()
                hfs.mkdir(ctx.ws, host, 0o700)
            dir_times.append((host, mode_bits | 0o700, -1 if no_mtime else int(m.mtime)))
            return
        if exists:
            if keep_old:
                raise OSError(errno.EEXIST, "File exists")
            if hfs.is_dir(ctx.ws, host, follow=False):
                raise OSError(errno.EISDIR, "Is a directory")
            hfs.unlink(ctx.ws, host)
        room.new_file()
        if m.issym():
            hfs.symlink(ctx.ws, m.linkname, host)
            return
        if m.islnk():
            target = ctx.resolve(posixpath.join(dest_guest, m.linkname), follow_last=False)
            hfs.link(ctx.ws, target, host)
            return
        src = tf.extractfile(m)
        with _create(ctx, host, 0o600, exclusive=True) as out:
            if src is not None:
                try:
                    _copy_data(ctx, src, out, room)
                except BaseException:
                    out.close()
                    hfs.unlink(ctx.ws, host)
                    raise
            out.flush()
            mtime_ns = int(m.mtime) * 10**9
            _set_meta(ctx, out.fileno(), mode_bits, None if no_mtime else (mtime_ns, mtime_ns))

    def make_parents(self, guest_dir: str, room: _Room) -> None:
        ctx = self.ctx
        parts = [p for p in guest_dir[len("/workspace") :].split("/") if p]
        cur = "/workspace"
        for p in parts:
            cur += "/" + p
            h = ctx.resolve(cur)
            if hfs.is_dir(ctx.ws, h):
                continue
            if hfs.lexists(ctx.ws, h):
                raise OSError(errno.ENOTDIR, "Not a directory")
            room.new_file()
            hfs.mkdir(ctx.ws, h, 0o755)


class _Prefixed:
    """A byte stream whose first bytes were already read (``head``)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def read(self, n: int = -1) -> bytes:
        if self.head:
            data = self.head if n < 0 else self.head[:n]
            self.head = self.head[len(data) :]
            if n < 0:
                data += self.rest.read()
            return data
        return self.rest.read(n)


def _unwrap_gzip(f: IO[bytes]) -> IO[bytes]:
    """A gzip stream decompressed as GNU tar's ``gzip -d`` does: every member in turn
    (tarfile's own stream mode stops after the first one, then fails mid-member with an
    internal ReadError); anything else as it is."""
    import gzip as gziplib

    head = b""
    while len(head) < 6:  # long enough for xz's magic
        more = f.read(6 - len(head))
        if not more:
            break
        head += more
    src = _Prefixed(head, f)
    if head[:2] == b"\x1f\x8b":
        return gziplib.GzipFile(fileobj=src, mode="rb")  # type: ignore[arg-type]
    if head[:3] == b"BZh":  # bzip2 and xz, streamed as tar -j / -J read them
        import bz2

        return bz2.BZ2File(src, mode="rb")  # type: ignore[arg-type,return-value]
    if head == b"\xfd7zXZ\x00":
        import lzma

        return _XzReader(lzma.LZMAFile(src, mode="rb"))  # type: ignore[arg-type,return-value]
    return src  # type: ignore[return-value]


class _XzReader:
    """An xz stream whose corrupt data reads as the archive's early end (EOFError), as
    a corrupt gzip or bzip2 one does, instead of lzma's own error."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f

    def read(self, n: int = -1) -> bytes:
        import lzma

        try:
            return self.f.read(n)
        except lzma.LZMAError as e:
            raise EOFError(str(e)) from None


def _bad_gzip() -> type[Exception]:
    import gzip as gziplib

    return gziplib.BadGzipFile


_BadGzip = _bad_gzip()


@command("tar")
def tar(ctx: CommandContext) -> int:
    """Usage: tar [OPTION]... [FILE]...
    Create, list or extract tar archives (old-style 'tar czf a.tgz dir' works too).

      -c, --create            create a new archive
      -t, --list              list the contents of an archive
      -x, --extract, --get    extract files from an archive
      -f, --file=ARCHIVE      use archive file ARCHIVE (- is stdin/stdout; default -)
      -C, --directory=DIR     change to directory DIR
      -z, --gzip  -j, --bzip2  -J, --xz   filter the archive (auto-detected on read)
      -a, --auto-compress     use archive suffix to determine the compression
      -v, --verbose           verbosely list files processed (-vv: long listing)
      -O, --to-stdout         extract files to standard output
      -k, --keep-old-files    don't replace existing files when extracting
      -m, --touch             don't extract file modified time
      -h, --dereference       follow symlinks (inside /workspace) when creating
          --exclude=PATTERN   exclude files matching PATTERN
          --strip-components=N  strip N leading components from file names on extraction
    Extraction refuses absolute member names, '..', links that point outside the
    destination and special files, and stops when the disk budget is exhausted.
    """
    args = _tar_expand_old(list(ctx.args))
    opts, operands = parse_opts(
        ctx,
        "ctxrudf:C:zjJavOkmhpPoT:X:",
        [
            "create",
            "list",
            "extract",
            "get",
            "append",
            "update",
            "file=",
            "directory=",
            "gzip",
            "gunzip",
            "ungzip",
            "bzip2",
            "xz",
            "auto-compress",
            "verbose",
            "to-stdout",
            "keep-old-files",
            "touch",
            "dereference",
            "exclude=",
            "strip-components=",
            "preserve-permissions",
            "same-permissions",
            "no-same-owner",
            "same-owner",
            "no-same-permissions",
            "absolute-names",
            "overwrite",
            "wildcards",
            "no-wildcards",
            "numeric-owner",
            "owner=",
            "group=",
            "mode=",
            "mtime=",
            "sort=",
            "format=",
            "files-from=",
            "exclude-from=",
            "no-recursion",
            "recursion",
            "totals",
            "warning=",
            "delete",
        ],
        status=2,
        args=args,
    )
    t = _Tar(ctx)
    action = ""
    archive = "-"
    base = "."
    comp = ""
    auto = False
    to_stdout = keep_old = no_mtime = deref = False
    strip = 0
    files_from: list[str] = []
    for k, v in opts:
        if k in ("-c", "--create", "-t", "--list", "-x", "--extract", "--get"):
            new = {"-c": "c", "--create": "c", "-t": "t", "--list": "t"}.get(k, "x")
            if action and action != new:
                raise CommandError(
                    "You may not specify more than one '-Acdtrux', '--delete' or  '--test-label'"
                    " option\nTry 'tar --help' or 'tar --usage' for more information.",
                    2,
                )
            action = new
        elif k in ("-r", "--append", "-u", "--update"):
            new = "r" if k in ("-r", "--append") else "u"
            if action and action != new:
                raise CommandError(
                    "You may not specify more than one '-Acdtrux', '--delete' or  '--test-label'"
                    " option\nTry 'tar --help' or 'tar --usage' for more information.",
                    2,
                )
            action = new
        elif k == "--delete":
            raise CommandError("--delete: deleting from archives is not supported", 2)
        elif k in ("-f", "--file"):
            archive = v
        elif k in ("-C", "--directory"):
            base = v
        elif k in ("-z", "--gzip", "--gunzip", "--ungzip"):
            comp = "gz"
        elif k in ("-j", "--bzip2"):
            comp = "bz2"
        elif k in ("-J", "--xz"):
            comp = "xz"
        elif k in ("-a", "--auto-compress"):
            auto = True
        elif k in ("-v", "--verbose"):
            t.verbose += 1
        elif k in ("-O", "--to-stdout"):
            to_stdout = True
        elif k in ("-k", "--keep-old-files"):
            keep_old = True
        elif k in ("-m", "--touch"):
            no_mtime = True
        elif k in ("-h", "--dereference"):
            deref = True
        elif k == "--exclude":
            t.excludes.append(v)
        elif k == "--strip-components":
            if not v.isdigit():
                raise CommandError(f"Invalid number of elements: '{v}'", 2)
            strip = int(v)
        elif k in ("-T", "--files-from", "-X", "--exclude-from"):
            try:
                with ctx.open_read(v) as fh:
                    lines = [ln for ln in decode(fh.read()).splitlines() if ln]
            except CommandError as e:
                raise CommandError(f"{v}: Cannot open: {_reason(e)}", 2) from None
            if k in ("-T", "--files-from"):
                files_from.extend(lines)
            else:
                t.excludes.extend(lines)
    if not action:
        raise CommandError(
            "You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\n"
            "Try 'tar --help' or 'tar --usage' for more information.",
            2,
        )
    if archive == "":
        raise CommandError(
            "option requires an argument -- 'f'\n"
            "Try 'tar --help' or 'tar --usage' for more information.",
            2,
        )
    if auto and not comp and action == "c":
        low = archive.lower()
        if low.endswith((".gz", ".tgz", ".taz")):
            comp = "gz"
        elif low.endswith((".bz2", ".tbz", ".tbz2", ".tb2")):
            comp = "bz2"
        elif low.endswith((".xz", ".txz")):
            comp = "xz"
    names = files_from + operands
    if action == "c":
        mode = "w|" + comp
        t.create(archive, mode, base, names, deref)
    elif action in ("r", "u"):
        if comp:
            raise CommandError("Cannot update compressed archives", 2)
        t.create(archive, "w|", base, names, deref, append=action)
    elif action == "t":
        t.list(archive, "r|*", names, strip)
    else:
        t.extract(archive, "r|*", base, names, strip, keep_old, to_stdout, no_mtime)
    if t.errors:
        ctx.err("Exiting with failure status due to previous errors")
        return 2
    return 0


# ---------------------------------------------------------------------------
# gzip, gunzip, zcat
# ---------------------------------------------------------------------------

_GZ_SUFFIXES = (".gz", "-gz", ".z", "-z", "_z", ".tgz", ".taz")


class _GzipError(Exception):
    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _gz_decompress(ctx: CommandContext, src: IO[bytes], dst: IO[bytes] | None) -> int:
    """Stream-decompress every gzip member of ``src`` into ``dst`` (None: just
    test). Returns the bytes written. Raises _GzipError with gzip's wording."""
    d: zlib._Decompress | None = None
    pending = b""
    total_out = 0
    members = 0
    drain = False  # the last call filled the output limit: zlib may hold more
    while True:
        if not pending and not drain:
            pending = src.read(CHUNK)
            if not pending:
                break
        if d is None:
            if len(pending) < 2:
                more = src.read(CHUNK)
                if more:
                    pending += more
                    continue
            if pending[:2] != b"\x1f\x8b":
                if members == 0:
                    raise _GzipError("not in gzip format")
                if not pending.strip(b"\0"):
                    pending = b""
                    continue
                raise _GzipError("decompression OK, trailing garbage ignored", 2)
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            members += 1
        try:
            out = d.decompress(pending, CHUNK)
        except zlib.error as e:
            if "incorrect data check" in str(e) or "incorrect length check" in str(e):
                raise _GzipError("invalid compressed data--crc error") from None
            raise _GzipError("invalid compressed data--format violated") from None
        if out:
            if dst is not None:
                dst.write(out)
            total_out += len(out)
            ctx.check()
        drain = len(out) == CHUNK and not d.eof
        if d.eof:
            # everything after the member's end is in unused_data; unconsumed_tail may
            # still hold a copy of it (reading both doubled the rest of the stream)
            pending = d.unused_data
            d = None
        else:
            pending = d.unconsumed_tail
    if members == 0 or d is not None:
        raise _GzipError("unexpected end of file")
    return total_out


def _gz_compress(
    ctx: CommandContext, src: IO[bytes], dst: IO[bytes], name: str, mtime: int, level: int
) -> int:
    """Write a gzip stream like GNU gzip (OS byte 3, original name if any).
    Returns the size of the deflate data (for -v)."""
    flags = 0x08 if name else 0
    xfl = 2 if level == 9 else (4 if level == 1 else 0)
    header = b"\x1f\x8b\x08" + bytes([flags]) + (mtime & 0xFFFFFFFF).to_bytes(4, "little")
    header += bytes([xfl, 3])
    if name:
        header += encode(name).replace(b"\0", b"") + b"\0"
    dst.write(header)
    comp = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    crc = 0
    size = 0
    deflated = 0
    while chunk := src.read(CHUNK):
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        out = comp.compress(chunk)
        if out:
            dst.write(out)
            deflated += len(out)
        ctx.check()
    out = comp.flush()
    dst.write(out)
    deflated += len(out)
    dst.write(crc.to_bytes(4, "little") + (size & 0xFFFFFFFF).to_bytes(4, "little"))
    return deflated


def _gz_header_len(data: bytes) -> int:
    """Length of the gzip header at the start of ``data`` (10 if unknown)."""
    if len(data) < 10:
        return 10
    flags = data[3]
    pos = 10
    if flags & 4 and len(data) >= pos + 2:
        pos += 2 + int.from_bytes(data[pos : pos + 2], "little")
    for bit in (8, 16):
        if flags & bit:
            end = data.find(b"\0", pos)
            pos = end + 1 if end >= 0 else pos
    if flags & 2:
        pos += 2
    return pos


def _gz_ratio(n_in: int, n_out: int) -> str:
    """gzip -v's ratio: how much smaller the compressed data is (GNU's ``%5.1f%%``)."""
    return f"{100.0 * (n_in - n_out) / n_in if n_in else 0.0:5.1f}%"


def _gz_list(
    ctx: CommandContext, names: list[str], quiet: bool, verbose: bool, suffix: str
) -> int:
    """``gzip -l``: compressed and uncompressed sizes (the trailer's), the ratio and the
    name without its suffix, a totals line for several files."""
    head = "         compressed        uncompressed  ratio uncompressed_name\n"
    if verbose:
        head = "method  crc     date  time  " + head
    status = 0
    tot_c = tot_u = last_head = 0
    for name in names or ["-"]:
        try:
            with ctx.open_read(name) as f:
                csize = f.seek(0, os.SEEK_END)
                f.seek(0)
                hlen = _gz_header_len(f.read(4096))
                f.seek(max(csize - 8, 0))
                tail = f.read(8)
        except (CommandError, OSError, ValueError) as e:
            ctx.stderr.write(encode(f"gzip: {name}: {_reason(e)}\n"))
            status = 1
            continue
        usize = int.from_bytes(tail[4:8], "little") if len(tail) == 8 else 0
        data = max(csize - hlen - 8, 0)
        base = name[: -len(suffix)] if name.endswith(suffix) else name
        line = f"{csize:>19} {usize:>19} {_gz_ratio_of(usize, data)} {base}\n"
        if verbose:
            crc = int.from_bytes(tail[:4], "little") if len(tail) == 8 else 0
            line = f"defla {crc:08x} {'Jan  1 00:00'} " + line
        if head and not quiet:  # GNU: the header comes with the first file listed
            ctx.out(head)
        head = ""
        ctx.out(line)
        tot_c, tot_u, last_head = tot_c + csize, tot_u + usize, hlen + 8
    if len(names) > 1:  # GNU takes only the last file's header off the total
        ratio = _gz_ratio_of(tot_u, max(tot_c - last_head, 0))
        ctx.out(f"{tot_c:>19} {tot_u:>19} {ratio} (totals)\n")
    return status


def _gz_ratio_of(usize: int, data: int) -> str:
    """gzip -l's ratio (GNU's ``%5.1f%%``)."""
    return f"{100.0 * (usize - data) / usize if usize else 0.0:5.1f}%"


@command("gzip", "gunzip", "zcat")
def gzip(ctx: CommandContext) -> int:
    """Usage: gzip [OPTION]... [FILE]...
    Compress or uncompress FILEs (by default, compress FILE in place into FILE.gz).
    gunzip is gzip -d; zcat is gzip -dc. With no FILE, or when FILE is -, read
    standard input and write standard output.

      -c, --stdout      write on standard output, keep original files unchanged
      -d, --decompress  decompress
      -f, --force       force overwrite of output file and compress links
      -k, --keep        keep (don't delete) input files
      -l, --list        list compressed file contents
      -q, --quiet       suppress all warnings
      -S, --suffix=SUF  use suffix SUF on compressed files
      -t, --test        test compressed file integrity
      -v, --verbose     verbose mode
      -1, --fast  ...  -9, --best   compression level (default 6)
      -n / -N           do not save / save the original name (accepted)
    Output is written in chunks and stops at the disk budget.
    """
    opts, operands = parse_opts(
        ctx,
        "cdfklqS:tvnNr123456789",
        [
            "stdout",
            "to-stdout",
            "decompress",
            "uncompress",
            "force",
            "keep",
            "list",
            "quiet",
            "suffix=",
            "test",
            "verbose",
            "fast",
            "best",
            "no-name",
            "name",
            "recursive",
        ],
    )
    prog = ctx.name
    to_stdout = prog == "zcat"
    decompress = prog in ("gunzip", "zcat")
    force = keep = quiet = test = verbose = listing = no_name = False
    level = 6
    suffix = ".gz"
    for k, v in opts:
        if k in ("-c", "--stdout", "--to-stdout"):
            to_stdout = True
        elif k in ("-d", "--decompress", "--uncompress"):
            decompress = True
        elif k in ("-f", "--force"):
            force = True
        elif k in ("-k", "--keep"):
            keep = True
        elif k in ("-l", "--list"):
            listing = True
        elif k in ("-q", "--quiet"):
            quiet = True
        elif k in ("-S", "--suffix"):
            suffix = v
        elif k in ("-t", "--test"):
            test = decompress = True
        elif k in ("-v", "--verbose"):
            verbose = True
        elif k in ("-n", "--no-name"):
            no_name = True
        elif k in ("-N", "--name"):
            no_name = False
        elif k == "--fast":
            level = 1
        elif k == "--best":
            level = 9
        elif k in ("-r", "--recursive"):
            raise CommandError("-r is not supported")
        elif len(k) == 2 and k[1].isdigit():
            level = int(k[1])
    status = 0

    def warn(msg: str, st: int, nl: bool = False) -> None:
        nonlocal status
        if st == 1 or not quiet:
            ctx.stderr.write(encode(("\n" if nl else "") + f"gzip: {msg}\n"))
        status = max(status, st) if status != 1 else 1

    if listing:
        return _gz_list(ctx, operands, quiet, verbose, suffix)
    for name in operands or ["-"]:
        ctx.check()
        if name == "-" or (name.startswith("/dev/") and (to_stdout or test)):
            # standard input, or a device or a pipe (`gzip -dc <(…)`): a stream
            try:
                src = ctx.stdin if name == "-" else ctx.open_read(name)
            except CommandError as e:
                warn(f"{name}: {_reason(e)}", 1)
                continue
            try:
                if decompress:
                    _gz_decompress(ctx, src, None if test else ctx.stdout)
                else:
                    _gz_compress(ctx, src, ctx.stdout, "", 0, level)
            except _GzipError as e:
                warn(f"{'stdin' if name == '-' else name}: {e}", e.status, nl=True)
            finally:
                if src is not ctx.stdin:
                    src.close()
            continue
        try:
            host, st = _lstat(ctx, name)
        except (CommandError, OSError) as e:
            if to_stdout and decompress and not name.endswith(suffix):
                try:
                    host, st = _lstat(ctx, name + suffix)
                    name = name + suffix
                except (CommandError, OSError):
                    warn(f"{name}: {_reason(e)}", 1)
                    continue
            else:
                warn(f"{name}: {_reason(e)}", 1)
                continue
        if statmod.S_ISLNK(st.st_mode):
            if not (force or to_stdout):
                warn(f"{name}: Too many levels of symbolic links", 1)
                continue
            try:
                host, st = _lstat(ctx, name, follow=True)
            except (CommandError, OSError) as e:
                warn(f"{name}: {_reason(e)}", 1)
                continue
        if statmod.S_ISDIR(st.st_mode):
            warn(f"{name} is a directory -- ignored", 2)
            continue
        if not statmod.S_ISREG(st.st_mode):
            warn(f"{name} is not a directory or a regular file - ignored", 2)
            continue
        if decompress:
            out_name = None
            if not (to_stdout or test):
                low = name.lower()
                for suf in (suffix, *_GZ_SUFFIXES):
                    if low.endswith(suf.lower()) and len(name) > len(suf):
                        out_name = name[: -len(suf)] + (".tar" if suf in (".tgz", ".taz") else "")
                        break
                if out_name is None:
                    warn(f"{name}: unknown suffix -- ignored", 2)
                    continue
        else:
            if not to_stdout and name.endswith(suffix):
                warn(f"{name} already has {suffix} suffix -- unchanged", 0)
                continue
            out_name = None if to_stdout else name + suffix
        out_host: Path | None = None
        if out_name is not None:
            try:
                out_host = ctx.resolve(out_name, follow_last=False)
            except CommandError as e:
                warn(f"{out_name}: {_reason(e)}", 1)
                continue
            if hfs.lexists(ctx.ws, out_host):
                if not force:
                    warn(f"{out_name} already exists;\tnot overwritten", 2)
                    continue
                if hfs.is_dir(ctx.ws, out_host, follow=False):
                    warn(f"{out_name} is a directory -- ignored", 2)
                    continue
                hfs.unlink(ctx.ws, out_host)
        try:
            fin = _open_nofollow(ctx, host)
        except OSError as e:
            warn(f"{name}: {e.strerror}", 1)
            continue
        deflated = 0
        try:
            with fin:
                if out_name is None:
                    dst: IO[bytes] | None = None if test else ctx.stdout
                    if decompress:
                        _gz_decompress(ctx, fin, dst)
                    else:
                        assert dst is not None
                        _gz_compress(ctx, fin, dst, "" if no_name else _base(name),
                                     0 if no_name else int(st.st_mtime), level)  # fmt: skip
                else:
                    assert out_host is not None
                    with ctx.open_write(out_name) as fout:
                        if decompress:
                            _gz_decompress(ctx, fin, fout)
                        else:
                            deflated = _gz_compress(
                                ctx, fin, fout, "" if no_name else _base(name),
                                0 if no_name else int(st.st_mtime), level,
                            )  # fmt: skip
                        fout.flush()
                        _set_meta(
                            ctx,
                            fout.fileno(),
                            statmod.S_IMODE(st.st_mode),
                            (st.st_atime_ns, st.st_mtime_ns),
                        )
        except _GzipError as e:
            if out_host is not None and e.status != 2:
                _unlink_quietly(ctx, out_host)
            warn(f"{name}: {e}", e.status, nl=True)
            if e.status == 2 and out_name is not None and not keep:
                _unlink_quietly(ctx, host)
            continue
        except (OSError, Cancelled) as e:
            if out_host is not None:
                _unlink_quietly(ctx, out_host)
            if isinstance(e, BrokenPipeError | Cancelled):
                raise
            ctx.stderr.write(encode(f"gzip: {out_name or name}: {_reason(e)}\n"))
            return 1
        if out_host is not None:
            new_size = hfs.lstat(ctx.ws, out_host).st_size
            if verbose:
                if decompress:
                    with _open_nofollow(ctx, host) as fh:
                        hlen = _gz_header_len(fh.read(4096))
                    ratio = _gz_ratio(new_size, st.st_size - hlen - 8)
                else:
                    ratio = _gz_ratio(st.st_size, deflated)
                verb = "created" if keep else "replaced with"
                ctx.stderr.write(encode(f"{name}:\t{ratio} -- {verb} {out_name}\n"))
            if not keep:
                hfs.unlink(ctx.ws, host)
        elif test and verbose:
            ctx.stderr.write(encode(f"{name}:\t OK\n"))
    return status


# ---------------------------------------------------------------------------
# base64
# ---------------------------------------------------------------------------

_B64_ALPHABET = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


@command("base64")
def base64(ctx: CommandContext) -> int:
    """Usage: base64 [OPTION]... [FILE]
    Base64 encode or decode FILE, or standard input, to standard output.

      -d, --decode          decode data
      -i, --ignore-garbage  when decoding, ignore non-alphabet characters
      -w, --wrap=COLS       wrap encoded lines after COLS characters (default 76);
                            0 disables line wrapping
    """
    opts, operands = parse_opts(ctx, "diw:", ["decode", "ignore-garbage", "wrap="])
    decode_mode = ignore = False
    wrap = 76
    for k, v in opts:
        if k in ("-d", "--decode"):
            decode_mode = True
        elif k in ("-i", "--ignore-garbage"):
            ignore = True
        else:
            if not v.isdigit():
                raise CommandError(f"invalid wrap size: '{v}'")
            wrap = int(v)
    if len(operands) > 1:
        raise CommandError(f"extra operand '{operands[1]}'\n{try_help('base64')}")
    src = ctx.open_read(operands[0] if operands else "-")
    try:
        if decode_mode:
            return _b64_decode(ctx, src, ignore)
        _b64_encode(ctx, src, wrap)
        return 0
    finally:
        if operands and operands[0] != "-":
            src.close()


def _b64_encode(ctx: CommandContext, src: IO[bytes], wrap: int) -> None:
    col = 0
    carry = b""
    wrote = False
    while True:
        chunk = src.read(CHUNK * 3 // 4 * 3 // 3 * 3)
        data = carry + chunk
        if chunk:
            cut = len(data) - len(data) % 3
            data, carry = data[:cut], data[cut:]
        else:
            carry = b""
        text = b64mod.b64encode(data)
        if wrap:
            out = bytearray()
            pos = 0
            while pos < len(text):
                take = min(wrap - col, len(text) - pos)
                out += text[pos : pos + take]
                pos += take
                col += take
                if col == wrap:
                    out += b"\n"
                    col = 0
            ctx.stdout.write(bytes(out))
        else:
            ctx.stdout.write(text)
        wrote = wrote or bool(text)
        ctx.check()
        if not chunk:
            break
    if wrap and col:
        ctx.stdout.write(b"\n")
    elif not wrap and wrote:
        pass


def _b64_quanta(block: bytes) -> tuple[bytes, bool]:
    """Decode whole 4-byte quanta; '=' may only pad the end of a quantum.
    Returns (decoded bytes, ok)."""
    if b"=" not in block:
        return binascii.a2b_base64(block), True
    out = bytearray()
    start = 0
    for q in range(0, len(block), 4):
        quantum = block[q : q + 4]
        if b"=" not in quantum:
            continue
        valid = (
            quantum[3:] == b"="
            and b"=" not in quantum[:2]
            and (quantum[2:3] == b"=" or b"=" not in quantum[2:3])
        )
        out += binascii.a2b_base64(block[start:q]) if q > start else b""
        if not valid:
            return bytes(out) + _b64_partial(quantum[: quantum.index(b"=")]), False
        out += binascii.a2b_base64(quantum)
        start = q + 4
    out += binascii.a2b_base64(block[start:]) if start < len(block) else b""
    return bytes(out), True


def _b64_decode(ctx: CommandContext, src: IO[bytes], ignore: bool) -> int:
    pending = b""
    while True:
        chunk = src.read(CHUNK)
        data = chunk.replace(b"\n", b"")
        if ignore:
            data = bytes(b for b in data if b in _B64_ALPHABET or b == 61)
        pending += data
        bad = next((i for i, b in enumerate(pending) if b not in _B64_ALPHABET and b != 61), None)
        good = pending if bad is None else pending[:bad]
        whole = len(good) - len(good) % 4
        out, ok = _b64_quanta(good[:whole])
        ctx.stdout.write(out)
        if not ok:
            raise CommandError("invalid input")
        rest = good[whole:]
        if bad is not None or not chunk:
            if rest:
                ctx.stdout.write(_b64_partial(rest))
            if bad is not None or rest:
                raise CommandError("invalid input")
            return 0
        pending = rest
        ctx.check()


def _b64_partial(rest: bytes) -> bytes:
    """Decode an incomplete final quantum the way GNU does before failing."""
    rest = rest.rstrip(b"=")
    if len(rest) < 2:
        return b""
    return binascii.a2b_base64(rest + b"=" * (-len(rest) % 4))


# ---------------------------------------------------------------------------
# md5sum, sha1sum, sha256sum, sha512sum (and sha224sum, sha384sum)
# ---------------------------------------------------------------------------

_SUMS = {
    "md5sum": ("md5", "MD5"),
    "sha1sum": ("sha1", "SHA1"),
    "sha224sum": ("sha224", "SHA224"),
    "sha256sum": ("sha256", "SHA256"),
    "sha384sum": ("sha384", "SHA384"),
    "sha512sum": ("sha512", "SHA512"),
    "b2sum": ("blake2b", "BLAKE2b"),
}


def _escape_name(name: str) -> tuple[str, str]:
    if "\\" in name or "\n" in name or "\r" in name:
        return "\\", name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return "", name


def _unescape_name(name: str) -> str:
    out = []
    i = 0
    while i < len(name):
        c = name[i]
        if c == "\\" and i + 1 < len(name):
            nxt = name[i + 1]
            out.append({"n": "\n", "r": "\r", "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _digest(ctx: CommandContext, algo: str, f: IO[bytes]) -> str:
    h = hashlib.new(algo)
    while chunk := f.read(CHUNK):
        h.update(chunk)
        ctx.check()
    return h.hexdigest()


@command("md5sum", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "b2sum")
def checksum(ctx: CommandContext) -> int:
    """Usage: md5sum [OPTION]... [FILE]...  (also sha1sum, sha256sum, sha512sum...)
    Print or check checksums, as 'HASH  NAME' lines (md5sum, sha1sum, sha224sum,
    sha256sum, sha384sum, sha512sum). With no FILE, or when FILE is -, read
    standard input.

      -b, --binary   read in binary mode (marks names with *)
      -c, --check    read checksums from the FILEs and check them
          --tag      create a BSD-style checksum
      -t, --text     read in text mode (default)
      -z, --zero     end each output line with NUL, not newline
    With --check: --ignore-missing, --quiet (no OK lines), --status (no output;
    the exit status tells), --strict (fail on improperly formatted lines),
    -w/--warn (warn about improperly formatted lines).
    """
    algo, tag_name = _SUMS[ctx.name]
    opts, operands = parse_opts(
        ctx,
        "bctwz",
        [
            "binary",
            "check",
            "tag",
            "text",
            "zero",
            "ignore-missing",
            "quiet",
            "status",
            "strict",
            "warn",
        ],
    )
    kinds = {k for k, _ in opts}
    check = bool(kinds & {"-c", "--check"})
    binary = bool(kinds & {"-b", "--binary"})
    tag = "--tag" in kinds
    end = "\0" if kinds & {"-z", "--zero"} else "\n"
    if check:
        return _check_sums(ctx, algo, tag_name, operands or ["-"], kinds)
    status = 0
    for name in operands or ["-"]:
        try:
            f = ctx.open_read(name)
        except CommandError as e:
            ctx.err(str(e))
            status = 1
            continue
        try:
            digest = _digest(ctx, algo, f)
        except OSError as e:
            if isinstance(e, BrokenPipeError):
                raise
            ctx.err(f"{name}: {e.strerror}")
            status = 1
            continue
        finally:
            if name != "-":
                f.close()
        prefix, shown = _escape_name(name) if end == "\n" else ("", name)
        if tag:
            ctx.out(f"{prefix}{tag_name} ({shown}) = {digest}{end}")
        else:
            ctx.out(f"{prefix}{digest} {'*' if binary else ' '}{shown}{end}")
    return status


def _check_sums(
    ctx: CommandContext, algo: str, tag_name: str, lists: list[str], kinds: set[str]
) -> int:
    hexlen = hashlib.new(algo).digest_size * 2
    quiet = "--quiet" in kinds
    silent = "--status" in kinds
    strict = "--strict" in kinds
    warn = bool(kinds & {"-w", "--warn"})
    ignore_missing = "--ignore-missing" in kinds
    line_re = re.compile(rf"^(\\)?([0-9a-fA-F]{{{hexlen}}}) ([ *])(.*)$")
    tag_re = re.compile(rf"^(\\)?{tag_name} \((.*)\) = ([0-9a-fA-F]{{{hexlen}}})$")
    status = 0
    for listname in lists:
        try:
            lf = ctx.open_read(listname)
        except CommandError as e:
            ctx.err(str(e))
            status = 1
            continue
        bad_lines = failed = unreadable = ok_lines = 0
        shown_list = "standard input" if listname == "-" else listname
        try:
            for lineno, raw in enumerate(lf, 1):
                if lineno % 1000 == 0:
                    ctx.check()
                line = decode(raw).rstrip("\n").rstrip("\r")
                m = line_re.match(line)
                if m:
                    escaped, want, name = m.group(1), m.group(2), m.group(4)
                else:
                    m2 = tag_re.match(line)
                    if not m2:
                        if line.strip() and not line.startswith("#"):
                            bad_lines += 1
                            if warn:
                                ctx.err(
                                    f"{shown_list}: {lineno}: improperly formatted {tag_name} "
                                    "checksum line"
                                )
                        continue
                    escaped, name, want = m2.group(1), m2.group(2), m2.group(3)
                if escaped:
                    name = _unescape_name(name)
                ok_lines += 1
                try:
                    f = ctx.open_read(name)
                except CommandError as e:
                    if ignore_missing and str(e).endswith("No such file or directory"):
                        continue
                    ctx.err(str(e))
                    unreadable += 1
                    if not silent:
                        ctx.out(f"{name}: FAILED open or read\n")
                    continue
                try:
                    got = _digest(ctx, algo, f)
                finally:
                    if name != "-":
                        f.close()
                if got == want.lower():
                    if not (quiet or silent):
                        ctx.out(f"{name}: OK\n")
                else:
                    failed += 1
                    if not silent:
                        ctx.out(f"{name}: FAILED\n")
        finally:
            if listname != "-":
                lf.close()
        if ok_lines == 0:
            ctx.err(f"{shown_list}: no properly formatted checksum lines found")
            status = 1
            continue
        if not silent:
            if bad_lines:
                s = "line is" if bad_lines == 1 else "lines are"
                ctx.err(f"WARNING: {bad_lines} {s} improperly formatted")
            if unreadable:
                s = (
                    "listed file could not be read"
                    if unreadable == 1
                    else ("listed files could not be read")
                )
                ctx.err(f"WARNING: {unreadable} {s}")
            if failed:
                s = (
                    "computed checksum did NOT match"
                    if failed == 1
                    else ("computed checksums did NOT match")
                )
                ctx.err(f"WARNING: {failed} {s}")
        if failed or unreadable or (strict and bad_lines):
            status = 1
    return status
