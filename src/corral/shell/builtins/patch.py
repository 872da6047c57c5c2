"""patch: apply unified diffs (``diff -u``, ``git diff``) to workspace files."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from .. import hostfs as hfs
from ..command import CommandContext, CommandError, command
from ..limits import max_string
from .misc import parse_opts

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_NO_NL = b"\\ No newline at end of file"


@dataclass
class Hunk:
    old_start: int
    new_start: int
    old: list[bytes] = field(default_factory=list)  # lines with their b"\n" (or not)
    new: list[bytes] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # the hunk's lines as written


@dataclass
class FilePatch:
    old_name: str
    new_name: str
    hunks: list[Hunk] = field(default_factory=list)


def _name(line: bytes) -> str:
    text = line[4:].decode("utf-8", "surrogateescape").rstrip("\n")
    text = text.split("\t", 1)[0]
    if text.startswith('"') and text.endswith('"') and len(text) > 1:
        text = text[1:-1]
    return text


def parse_patch(data: bytes) -> list[FilePatch]:
    """The file patches of a unified diff; raises CommandError on a bad hunk."""
    lines = data.splitlines(keepends=True)
    out: list[FilePatch] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if line.startswith(b"--- ") and i + 1 < n and lines[i + 1].startswith(b"+++ "):
            fp = FilePatch(_name(line), _name(lines[i + 1]))
            out.append(fp)
            i += 2
            while i < n and lines[i].startswith(b"@@"):
                m = _HUNK.match(lines[i])
                if m is None:
                    raise CommandError(f"malformed patch at line {i + 1}: {_show(lines[i])}", 2)
                old_len = 1 if m.group(2) is None else int(m.group(2))
                new_len = 1 if m.group(4) is None else int(m.group(4))
                h = Hunk(int(m.group(1)), int(m.group(3)))
                i += 1
                o = nn = 0
                while i < n and (o < old_len or nn < new_len):
                    ln = lines[i]
                    h.raw.append(ln if ln.endswith(b"\n") else ln + b"\n")
                    tag, body = ln[:1], ln[1:]
                    if ln in (b"\n", b"\r\n"):  # an empty context line lost its space
                        tag, body = b" ", ln
                    if tag == b" ":
                        h.old.append(body)
                        h.new.append(body)
                        o += 1
                        nn += 1
                    elif tag == b"-":
                        h.old.append(body)
                        o += 1
                    elif tag == b"+":
                        h.new.append(body)
                        nn += 1
                    elif ln.startswith(b"\\"):
                        pass
                    else:
                        raise CommandError(
                            f"malformed patch at line {i + 1}: {_show(ln)}", 2
                        )
                    i += 1
                    if i < n and lines[i].startswith(_NO_NL):
                        h.raw.append(lines[i] if lines[i].endswith(b"\n") else lines[i] + b"\n")
                        _strip_nl(h, tag)
                        i += 1
                if o < old_len or nn < new_len:
                    raise CommandError(f"malformed patch at line {i + 1}: hunk is short", 2)
                fp.hunks.append(h)
            continue
        i += 1
    return out


def _strip_nl(h: Hunk, tag: bytes) -> None:
    """``\\ No newline at end of file`` after the last line of a side."""
    if tag in (b" ", b"-") and h.old:
        h.old[-1] = h.old[-1].rstrip(b"\n")
    if tag in (b" ", b"+") and h.new:
        h.new[-1] = h.new[-1].rstrip(b"\n")


def _show(line: bytes) -> str:
    return line.decode("utf-8", "surrogateescape").rstrip("\n")


def _strip(name: str, p: int | None) -> str:
    if p is None:
        return posixpath.basename(name)
    parts = name.split("/")
    if p >= len(parts):
        return ""
    return "/".join(parts[p:])


def _find(lines: list[bytes], want: list[bytes], at: int, start: int) -> int | None:
    """Where ``want`` matches ``lines`` at or nearest to ``at`` (from ``start`` on)."""
    if not want:
        return max(min(at, len(lines)), start)
    limit = len(lines) - len(want)
    for off in range(0, max(limit, at) + 1):
        for pos in (at + off, at - off) if off else (at,):
            if start <= pos <= limit and lines[pos : pos + len(want)] == want:
                return pos
    return None


def apply_hunks(
    lines: list[bytes], hunks: list[Hunk], reverse: bool
) -> tuple[list[bytes], list[str], list[int]]:
    """(new lines, messages, numbers of failed hunks)."""
    out = list(lines)
    msgs: list[str] = []
    failed: list[int] = []
    delta = 0
    floor = 0
    for k, h in enumerate(hunks, 1):
        old, new = (h.new, h.old) if reverse else (h.old, h.new)
        start = (h.new_start if reverse else h.old_start) - (1 if old else 0)
        at = max(start + delta, 0)
        pos = _find(out, old, at, floor)
        if pos is None:
            failed.append(k)
            msgs.append(f"Hunk #{k} FAILED at {start + 1 if old else start}.")
            continue
        if pos != at:
            off = pos - at
            word = "line" if abs(off) == 1 else "lines"
            msgs.append(f"Hunk #{k} succeeded at {pos + 1} (offset {off} {word}).")
        out[pos : pos + len(old)] = new
        delta += len(new) - len(old) + (pos - at)
        floor = pos + len(new)
    return out, msgs, failed


@command("patch")
def patch(ctx: CommandContext) -> int:
    """Usage: patch [OPTION]... [ORIGFILE [PATCHFILE]]
    Apply a unified diff (diff -u, git diff) read from PATCHFILE or standard input.

      -p, --strip=NUM       strip NUM leading components from file names
      -R, --reverse         undo the patch (swap old and new)
      -N, --forward         skip patches that seem reversed or already applied
          --dry-run         print what would happen, change no file
      -i, --input=FILE      read the patch from FILE
      -o, --output=FILE     write the result to FILE
      -d, --directory=DIR   change to DIR first
      -s, --silent, --quiet say nothing unless there is an error
      -b, --backup          keep the original as FILE.orig
      -E, --remove-empty-files  remove files that are empty after patching
      -u, --unified, -f, --force, -t, --batch, -l  (accepted)
    Hunks that do not apply are saved to FILE.rej; the exit status is then 1.
    """
    opts, operands = parse_opts(
        ctx,
        "p:RNi:o:d:sbEuftlF:",
        [
            "strip=", "reverse", "forward", "dry-run", "input=", "output=", "directory=",
            "silent", "quiet", "backup", "remove-empty-files", "unified", "force", "batch",
            "fuzz=", "verbose", "no-backup-if-mismatch", "posix",
        ],
        status=2,
    )
    strip: int | None = None
    reverse = forward = dry = silent = backup = remove_empty = False
    infile: str | None = None
    outfile: str | None = None
    directory: str | None = None
    for o, v in opts:
        if o in ("-p", "--strip"):
            if not v.isdigit():
                raise CommandError(f"**** strip count {v} is not a number", 2)
            strip = int(v)
        elif o in ("-R", "--reverse"):
            reverse = True
        elif o in ("-N", "--forward"):
            forward = True
        elif o == "--dry-run":
            dry = True
        elif o in ("-i", "--input"):
            infile = v
        elif o in ("-o", "--output"):
            outfile = v
        elif o in ("-d", "--directory"):
            directory = v
        elif o in ("-s", "--silent", "--quiet"):
            silent = True
        elif o in ("-b", "--backup"):
            backup = True
        elif o in ("-E", "--remove-empty-files"):
            remove_empty = True
    if len(operands) > 2:
        raise CommandError(f"**** extra operand '{operands[2]}'", 2)
    target = operands[0] if operands else None
    if len(operands) == 2:
        infile = operands[1]
    limit = max_string(ctx.ws.budget)
    with ctx.open_read(infile or "-") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise CommandError(f"patch too large (over {limit} bytes)", 2)
    if directory:
        host = ctx.resolve(directory)
        if not host.is_dir():
            raise CommandError(
                f"**** Can't change to directory {directory} : No such file or directory", 2
            )
        ctx.cwd = ctx.guest_path(directory)
    files = parse_patch(data)
    if not files:
        raise CommandError("**** Only garbage was found in the patch input.", 2)
    status = 0
    say = (lambda s: None) if silent else (lambda s: ctx.out(s + "\n"))
    for fp in files:
        ctx.check()
        old_name, new_name = fp.old_name, fp.new_name
        if reverse:
            old_name, new_name = new_name, old_name
        creating = old_name == "/dev/null"
        deleting = new_name == "/dev/null"
        cand = [_strip(x, strip) for x in (old_name, new_name) if x != "/dev/null"]
        cand = [c for c in cand if c]
        name = target
        if name is None:
            name = next((c for c in cand if _exists(ctx, c)), cand[-1] if cand else "")
        if not name:
            ctx.err("can't find file to patch: no file name in the patch")
            status = max(status, 1)
            continue
        exists = _exists(ctx, name)
        if not exists and fp.hunks and all(not h.old for h in fp.hunks):
            creating = True  # every hunk adds to an empty file
        if not exists and not creating:
            ctx.out(f"can't find file to patch at input line: {name}\n")
            ctx.err(f"{name}: No such file or directory -- skipping this patch")
            status = max(status, 1)
            continue
        orig: list[bytes] = []
        if exists:
            with ctx.open_read(name) as g:
                raw = g.read(limit + 1)
            if len(raw) > limit:
                raise CommandError(f"{name}: file too large (over {limit} bytes)", 2)
            orig = raw.splitlines(keepends=True)
        verb = "checking" if dry else "patching"
        say(f"{verb} file {outfile} (read from {name})" if outfile else f"{verb} file {name}")
        if creating and exists and orig and forward:
            say("The next patch would create the file " + name + ",\n"
                "which already exists!  Skipping patch.")
            status = max(status, 1)
            continue
        new_lines, msgs, failed = apply_hunks(orig, fp.hunks, reverse)
        if failed and len(failed) == len(fp.hunks) and fp.hunks:
            _, _, bfail = apply_hunks(orig, fp.hunks, not reverse)
            if not bfail:
                what = "Unreversed" if reverse else "Reversed (or previously applied)"
                if forward:
                    say(f"{what} patch detected!  Skipping patch.")
                else:
                    ask = "Ignore -R?" if reverse else "Assume -R?"
                    say(f"{what} patch detected!  {ask} [n] ")
                    say("Apply anyway? [n] ")
                    say("Skipping patch.")
                rej = (outfile or name) + ".rej"
                say(f"{len(failed)} out of {len(fp.hunks)} hunk"
                    f"{'s' if len(fp.hunks) != 1 else ''} ignored"
                    + ("" if dry else f" -- saving rejects to file {rej}"))
                if not dry:
                    with ctx.open_write(rej) as w:
                        w.write(_reject_text(fp, failed))
                status = max(status, 1)
                continue
        for m in msgs:
            say(m)
        if failed:
            total = len(fp.hunks)
            rej = (outfile or name) + ".rej"
            say(f"{len(failed)} out of {total} hunk{'s' if total != 1 else ''} FAILED"
                + ("" if dry else f" -- saving rejects to file {rej}"))
            if not dry:
                with ctx.open_write(rej) as w:
                    w.write(_reject_text(fp, failed))
            status = max(status, 1)
        if dry:
            continue
        body = b"".join(new_lines)
        dest = outfile or name
        if (backup or msgs or failed) and exists and not outfile:  # GNU: backup-if-mismatch
            with ctx.open_write(name + ".orig") as w:
                w.write(b"".join(orig))
        if (deleting or remove_empty) and not body and not outfile:
            try:
                hfs.unlink(ctx.ws, ctx.resolve(name, follow_last=False))
            except OSError as e:
                raise CommandError(f"{name}: {e.strerror}", 2) from None
            continue
        parent = posixpath.dirname(dest)
        if parent and not _exists(ctx, parent):
            _mkdirs(ctx, parent)
        with ctx.open_write(dest) as w:
            w.write(body)
    return status


def _exists(ctx: CommandContext, name: str) -> bool:
    try:
        return ctx.resolve(name).exists()
    except CommandError:
        return False


def _reject_text(fp: FilePatch, failed: list[int]) -> bytes:
    out = [f"--- {fp.old_name}\n+++ {fp.new_name}\n".encode()]
    for k in failed:
        h = fp.hunks[k - 1]
        out.append(
            f"@@ -{_range(h.old_start, len(h.old))} +{_range(h.new_start, len(h.new))} @@\n"
            .encode()
        )
        out += h.raw
    return b"".join(out)


def _range(start: int, count: int) -> str:
    return str(start) if count == 1 else f"{start},{count}"


def _mkdirs(ctx: CommandContext, path: str) -> None:
    """Create ``path`` and its missing parents (a new file's directory)."""
    parent = posixpath.dirname(path.rstrip("/"))
    if parent and not _exists(ctx, parent):
        _mkdirs(ctx, parent)
    ctx.ws.charge(0, new_files=1)
    try:
        hfs.mkdir(ctx.ws, ctx.resolve(path), 0o755)
    except FileExistsError:
        pass
    except OSError as e:
        raise CommandError(f"{path}: {e.strerror}", 2) from None
