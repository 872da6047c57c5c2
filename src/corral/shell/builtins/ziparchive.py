"""``zip`` and ``unzip`` (Info-ZIP's common options and messages) on Python's zipfile.

zip: ``-r -j -q -D -0..-9`` (``-m -u -x`` refused by name); a member is deflated when
that makes it smaller, else stored, as zip does; an existing archive is updated
(``updating:``). unzip: extract (``-d DIR -o -n -q -qq -j``), ``-l``, ``-Z1``, ``-p``,
``-t``, member names as operands. Files go through the workspace walls and the disk
budget (the archive is built in memory up to :func:`limits.max_string`); members with
absolute paths, ``..`` or links are refused; directories are walked in name order
(Info-ZIP walks them in the directory's order).
"""

from __future__ import annotations

import io
import posixpath
import stat as statmod
import time
import zipfile
import zlib
from datetime import datetime

from .. import hostfs as hfs
from ..command import CommandContext, CommandError, command
from ..limits import max_string, too_large
from .files import _copy_data, _create, _reason, _Room, _set_meta
from .text import _chunks, _usage_error


class _ZipFail(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _dos_time(t: float) -> tuple[int, int, int, int, int, int]:
    d = time.gmtime(max(t, 315532800))  # DOS time starts in 1980 (the sandbox is in UTC)
    return (d.tm_year, d.tm_mon, d.tm_mday, d.tm_hour, d.tm_min, d.tm_sec - d.tm_sec % 2)


def _walk(ctx: CommandContext, name: str, recurse: bool) -> list[tuple[str, str]]:
    """(guest path, archive name) of ``name`` and, with ``recurse``, what is below it."""
    out = [(name, name)]
    stack = [name]
    while recurse and stack:
        ctx.check()
        top = stack.pop()
        host = ctx.resolve(top)
        if not hfs.is_dir(ctx.ws, host, follow=False):
            continue
        below = []
        for e in sorted(hfs.listdir(ctx.ws, host)):
            path = f"{top.rstrip('/')}/{e}"
            below.append((path, path))
        out.extend(below)
        stack.extend(p for p, _ in reversed(below))
    # depth first in name order: a directory's entries right after it
    ordered: list[tuple[str, str]] = []
    children: dict[str, list[tuple[str, str]]] = {}
    for p, a in out[1:]:
        children.setdefault(posixpath.dirname(p), []).append((p, a))

    def visit(p: str, a: str) -> None:
        ordered.append((p, a))
        for c in children.get(p.rstrip("/"), []):
            visit(*c)

    visit(*out[0])
    return ordered


@command("zip")
def zip_cmd(ctx: CommandContext) -> int:
    """Usage: zip [-rjqD0-9] ARCHIVE FILE...
    Add FILEs to the zip ARCHIVE (created, or updated when it exists): -r recurse into
    directories, -j store names without their directories, -q quiet, -D no directory
    entries, -0 store only, -1..-9 compression level (6 by default)."""
    recurse = junk = quiet = no_dirs = False
    level = 6
    ops: list[str] = []
    args = ctx.args
    for k, a in enumerate(args):
        if a == "--":
            ops.extend(args[k + 1 :])
            break
        if a[:1] == "-" and len(a) > 1 and not a.startswith("--"):
            for c in a[1:]:
                if c == "r":
                    recurse = True
                elif c == "j":
                    junk = True
                elif c == "q":
                    quiet = True
                elif c == "D":
                    no_dirs = True
                elif c.isdigit():
                    level = int(c)
                elif c in "muxdfFTy":
                    raise CommandError(f"option -{c} is not supported by corral's zip", 16)
                else:
                    raise CommandError(
                        f"error:  Invalid command arguments (no such option: {c})", 16
                    )
        elif a.startswith("--"):
            raise CommandError(f"error:  Invalid command arguments (no such option: {a[2:]})", 16)
        else:
            ops.append(a)
    if not ops:
        raise _usage_error(ctx, "error:  Nothing to do!", 12)
    archive, names = ops[0], ops[1:]
    if not archive.endswith(".zip") and "." not in posixpath.basename(archive):
        archive += ".zip"
    limit = max_string(ctx.ws.budget)
    buf = io.BytesIO()
    existing: set[str] = set()
    try:
        with ctx.open_read(archive) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise CommandError(too_large(archive, len(data), limit), 16)
        buf.write(data)
        with zipfile.ZipFile(io.BytesIO(data)) as old:
            existing = set(old.namelist())
    except CommandError as e:
        if "No such file" not in str(e):
            raise
    except zipfile.BadZipFile:
        raise CommandError(f"error:  Zip file structure invalid ({archive})", 3) from None
    entries: list[tuple[str, str]] = []
    for name in names:
        try:
            host = ctx.resolve(name)
            exists = hfs.lexists(ctx.ws, host)
        except CommandError:
            exists = False
        if not exists:
            ctx.stdout.write(f"\tzip warning: name not matched: {name}\n".encode())
            continue
        entries.extend(_walk(ctx, name.rstrip("/") or name, recurse))
    if not entries:
        ctx.stdout.write(f"\nzip error: Nothing to do! ({archive})\n".encode())
        return 12
    mode = "a" if existing else "w"
    with zipfile.ZipFile(buf, mode) as zf:
        for guest, arc in entries:
            ctx.check()
            host = ctx.resolve(guest)
            st = hfs.stat(ctx.ws, host)
            is_dir = statmod.S_ISDIR(st.st_mode)
            if is_dir and (no_dirs or junk):
                continue
            arc = posixpath.basename(arc) if junk else arc
            arc = arc.lstrip("/")
            while arc.startswith("./"):
                arc = arc[2:]
            if is_dir:
                arc = arc.rstrip("/") + "/"
            info = zipfile.ZipInfo(arc, _dos_time(st.st_mtime))
            info.external_attr = (st.st_mode & 0xFFFF) << 16
            info.create_system = 3
            data = b""
            if not is_dir:
                with hfs.open_read(ctx.ws, host) as f:
                    data = f.read(limit + 1)
                if len(data) > limit or buf.tell() + len(data) > limit:
                    raise CommandError(too_large(archive, buf.tell() + len(data), limit), 16)
            packed = zlib.compress(data, level)[2:-4] if data and level else b""
            deflate = bool(data) and level > 0 and len(packed) < len(data)
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            verb = "updating" if arc in existing else "adding"
            if arc in existing:
                raise CommandError(f"updating {arc}: corral's zip cannot replace a member", 16)
            zf.writestr(info, data, compresslevel=level if deflate else None)
            if not quiet:
                # zip's percent(): rounded half up
                pct = ((len(data) - len(packed)) * 200 + len(data)) // (2 * len(data))
                how = f"deflated {pct}%" if deflate else "stored 0%"
                ctx.stdout.write(f"  {verb}: {arc} ({how})\n".encode())
    with ctx.open_write(archive) as out:
        out.write(buf.getvalue())
    return 0


def _open_archive(ctx: CommandContext, name: str) -> zipfile.ZipFile:
    limit = max_string(ctx.ws.budget)
    tried = [name] if name.lower().endswith(".zip") else [name, name + ".zip", name + ".ZIP"]
    for cand in tried:
        try:
            with ctx.open_read(cand) as f:
                data = f.read(limit + 1)
        except CommandError:
            continue
        if len(data) > limit:
            raise _ZipFail(too_large(cand, len(data), limit), 9)
        try:
            return zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise _ZipFail(
                "  End-of-central-directory signature not found.  Either this file is not\n"
                "  a zipfile, or it constitutes one disk of a multi-part archive.  In the\n"
                "  latter case the central directory and zipfile comment will be found on\n"
                "  the last disk(s) of this archive.\n"
                f"unzip:  cannot find zipfile directory in one of {name} or\n"
                f"        {name}.zip, and cannot find {name}.ZIP, period.",
                9,
            ) from None
    if len(tried) == 1:
        raise _ZipFail(f"unzip:  cannot find or open {name}.", 9)
    raise _ZipFail(f"unzip:  cannot find or open {name}, {name}.zip or {name}.ZIP.", 9)


def _stamp(info: zipfile.ZipInfo) -> str:
    y, mo, d, h, mi, _s = info.date_time
    return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}"


def _unsafe(name: str) -> bool:
    return name.startswith("/") or ".." in name.split("/")


@command("unzip")
def unzip_cmd(ctx: CommandContext) -> int:
    """Usage: unzip [-lZ1ptoqnj] [-d DIR] ARCHIVE [MEMBER...]
    Extract (or with -l list, -Z1 list names, -p write to stdout, -t test) the members of
    a zip ARCHIVE: -d DIR extract there, -o overwrite, -n never overwrite, -q quiet (-qq
    quieter), -j junk directories."""
    listing = names_only = pipe = test = overwrite = never = junk = False
    quiet = 0
    dest = "."
    ops: list[str] = []
    args = ctx.args
    k = 0
    while k < len(args):
        a = args[k]
        if a == "-Z1":
            names_only = True
        elif a == "-d":
            if k + 1 >= len(args):
                raise CommandError(
                    "error:  must specify directory to which to extract with -d option", 10
                )
            dest = args[k + 1]
            k += 1
        elif a.startswith("-d") and len(a) > 2:
            dest = a[2:]
        elif a[:1] == "-" and len(a) > 1:
            for c in a[1:]:
                if c == "l":
                    listing = True
                elif c == "p":
                    pipe = True
                elif c == "t":
                    test = True
                elif c == "o":
                    overwrite = True
                elif c == "n":
                    never = True
                elif c == "q":
                    quiet += 1
                elif c == "j":
                    junk = True
                elif c in "aXUCKLMV":
                    continue
                else:
                    raise CommandError(f"error:  unrecognized option -{c}", 10)
        else:
            ops.append(a)
        k += 1
    if not ops:
        raise _usage_error(ctx, "error:  no zipfile specified", 10)
    try:
        zf = _open_archive(ctx, ops[0])
    except _ZipFail as e:
        if str(e).startswith("unzip:"):  # no archive: a message on stderr
            ctx.stderr.write(f"{e}\n".encode())
        else:  # not a zip file: unzip says so on stdout
            ctx.stdout.write(f"Archive:  {ops[0]}\n{e}\n".encode())
        return e.status
    wanted = ops[1:]
    with zf:
        members = [m for m in zf.infolist() if not wanted or m.filename in wanted]
        missing = [w for w in wanted if w not in {m.filename for m in zf.infolist()}]
        if names_only:
            for m in members:
                ctx.out(m.filename + "\n")
            return 11 if missing else 0
        if pipe:
            for m in members:
                if not m.is_dir():
                    with zf.open(m) as src:
                        _copy_data(ctx, src, ctx.stdout, None)  # type: ignore[arg-type]
            return 11 if missing else 0
        if listing:
            head = "" if quiet else f"Archive:  {ops[0]}\n"
            if quiet < 2:
                head += "  Length      Date    Time    Name\n---------  ---------- -----   ----\n"
            ctx.out(head)
            total = 0
            for m in members:
                total += m.file_size
                ctx.out(f"{m.file_size:>9}  {_stamp(m)}   {m.filename}\n")
            if quiet < 2:
                n = len(members)
                ctx.out(f"---------                     -------\n{total:>9}"
                        f"                     {n} file{'' if n == 1 else 's'}\n")  # fmt: skip
            return 0
        if test:
            if quiet < 2:
                ctx.out(f"Archive:  {ops[0]}\n")
            bad = None
            for m in members:  # read through, a chunk at a time (the budget is checked)
                try:
                    with zf.open(m) as src:
                        for _ in _chunks(ctx, src):  # type: ignore[arg-type]
                            pass
                except (zipfile.BadZipFile, zlib.error, EOFError):
                    bad = m.filename
                if not quiet:
                    ctx.out(
                        f"    testing: {m.filename:<24} {'OK' if bad != m.filename else 'bad'}\n"
                    )
            if bad is not None:
                ctx.out(f"At least one error was detected in {ops[0]}.\n")
                return 2
            if quiet < 2:
                ctx.out(f"No errors detected in compressed data of {ops[0]}.\n")
            return 0
        if not quiet:
            ctx.out(f"Archive:  {ops[0]}\n")
        return _extract(ctx, zf, members, dest, overwrite, never, junk, quiet) or (
            11 if missing else 0
        )


def _extract(
    ctx: CommandContext,
    zf: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    dest: str,
    overwrite: bool,
    never: bool,
    junk: bool,
    quiet: int,
) -> int:
    room = _Room(ctx)
    status = 0
    base = ctx.guest_path(dest)
    for m in members:
        ctx.check()
        name = posixpath.basename(m.filename.rstrip("/")) if junk else m.filename
        if junk and m.is_dir():
            continue
        mode = (m.external_attr >> 16) & 0xFFFF
        if _unsafe(name) or statmod.S_ISLNK(mode):
            ctx.err(f"skipping: {m.filename}  (corral refuses absolute paths, '..' and links)")
            status = 1
            continue
        guest = posixpath.join(base, name)
        shown = posixpath.join(dest, name) if dest != "." else name
        try:
            _make_dirs(ctx, posixpath.dirname(guest.rstrip("/")), room)
            host = ctx.resolve(guest.rstrip("/"), follow_last=False)
            if m.is_dir():
                if not hfs.is_dir(ctx.ws, host):
                    room.new_file()
                    hfs.mkdir(ctx.ws, host, 0o755)
                    if not quiet:
                        ctx.out(f"   creating: {shown.rstrip('/')}/\n")
                continue
            if hfs.lexists(ctx.ws, host):
                if never:
                    continue
                if not overwrite:
                    ctx.err(f"{shown} exists: corral's unzip does not ask; use -o or -n")
                    status = 1
                    continue
                hfs.unlink(ctx.ws, host)
            room.new_file()
            with zf.open(m) as src, _create(ctx, host, 0o600, exclusive=True) as out:
                _copy_data(ctx, src, out, room)
                out.flush()
                when = datetime(*m.date_time).timestamp()  # the sandbox's TZ is UTC
                perm = mode & 0o777 or 0o644
                _set_meta(ctx, out.fileno(), perm, (int(when * 1e9),) * 2)
            if not quiet:
                verb = "inflating" if m.compress_type == zipfile.ZIP_DEFLATED else "extracting"
                ctx.out(f"{verb:>11}: {shown:<23} \n")
        except (OSError, CommandError, zipfile.BadZipFile, zlib.error) as e:
            ctx.err(f"cannot create {shown}: {_reason(e)}")
            status = 2 if isinstance(e, zipfile.BadZipFile | zlib.error) else 50
            if isinstance(e, OSError) and e.errno is not None and e.errno == 28:
                return 50
    return status


def _make_dirs(ctx: CommandContext, guest_dir: str, room: _Room) -> None:
    parts = [p for p in guest_dir[len("/workspace") :].split("/") if p]
    cur = "/workspace"
    for p in parts:
        cur += "/" + p
        h = ctx.resolve(cur)
        if hfs.is_dir(ctx.ws, h):
            continue
        room.new_file()
        hfs.mkdir(ctx.ws, h, 0o755)
