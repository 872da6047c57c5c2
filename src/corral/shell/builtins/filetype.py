"""``file``: what a file holds, in the words of file(1) 5.44 for the kinds a workspace has.

Checked in libmagic's order: the inode (missing, directory, symbolic link, empty), magic
numbers (gzip, bzip2, xz, zip, tar, PDF, PNG, ELF, …), then text: JSON, CSV (libmagic's
rule: the same number of commas on every line, at least three lines), scripts (a ``#!``
line, or Python's ``from … import`` / ``def name(args):`` lines), the encoding (ASCII,
UTF-8, ISO-8859, else ``data``) and the line notes (CRLF / CR terminators, no line
terminator, lines over 300 bytes). ``-b`` brief, ``-i``/``--mime``, ``--mime-type``,
``--mime-encoding``, ``-L`` follow links, ``-h`` do not (the default), ``-N`` no
padding, ``-F SEP``, ``-0`` (accepted). The first MiB of a file is read; the patterns on
its text are RE2 (linear time).
"""

from __future__ import annotations

import json
import os
import stat as statmod

from ... import saferegex
from .. import hostfs as hfs
from ..command import CommandContext, CommandError, command
from .misc import parse_opts

_READ = 1 << 20  # what is read of a file (JSON and the magic numbers look at this much)
_TEXT = 1 << 16  # what the encoding and line notes look at (file(1) 5.44 too)
_LONG_LINE = 300  # libmagic's MAXLINELEN: "with very long lines"
_CSV_LINES = 10

#: (magic prefix, description, mime type)
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"BZh", "bzip2 compressed data", "application/x-bzip2"),
    (b"\xfd7zXZ\x00", "XZ compressed data, checksum CRC64", "application/x-xz"),
    (b"%PDF-", "PDF document", "application/pdf"),
    (b"\x7fELF", "ELF", "application/x-executable"),
    (b"\x89PNG\r\n\x1a\n", "PNG image data", "image/png"),
    (b"GIF8", "GIF image data", "image/gif"),
    (b"\xff\xd8\xff", "JPEG image data", "image/jpeg"),
    (b"PK\x03\x04", "Zip archive data", "application/zip"),
    (b"PK\x05\x06", "Zip archive data (empty)", "application/zip"),
    (b"\x28\xb5\x2f\xfd", "Zstandard compressed data", "application/zstd"),
    (b"SQLite format 3\x00", "SQLite 3.x database", "application/vnd.sqlite3"),
)

_SHEBANGS = {
    "sh": "POSIX shell script", "bash": "Bourne-Again shell script",
    "dash": "POSIX shell script", "zsh": "Paul Falstad's zsh script",
    "python": "Python script", "python2": "Python script", "python3": "Python script",
    "perl": "Perl script text", "ruby": "Ruby script", "node": "Node.js script",
    "awk": "awk or perl script", "make": "makefile script", "tclsh": "Tcl script",
    "php": "PHP script", "lua": "Lua script",
}  # fmt: skip
_SCRIPT_MIME = {
    "Python script": "text/x-script.python", "POSIX shell script": "text/x-shellscript",
    "Bourne-Again shell script": "text/x-shellscript", "Perl script text": "text/x-perl",
    "Ruby script": "text/x-ruby", "Node.js script": "application/javascript",
}  # fmt: skip
_PY_FROM = saferegex.compile(rb"(?m)^from[ \t\f\r\n]+[A-Za-z0-9_.]+[ \t\f\r\n]+import")
_PY_DEF = saferegex.compile(
    rb"(?m)^[ \t]{0,50}def {1,50}[_a-zA-Z]{1,100}"
    rb"\(([_a-zA-Z][_a-zA-Z0-9]{0,100}(, *[_a-zA-Z][_a-zA-Z0-9]{0,100}){0,100})?\):$"
)
_PY_IMPORT_AS = saferegex.compile(rb"(?m)^import [_a-zA-Z]+ as [a-zA-Z][ \t]*$")


def _is_text(data: bytes, cut: bool) -> str | None:
    """The encoding file(1) names (``ASCII``, ``UTF-8``, ``ISO-8859``), None for binary."""
    text_bytes = set(range(0x20, 0x7F)) | {7, 8, 9, 10, 11, 12, 13, 27}
    if all(b in text_bytes for b in data):
        return "ASCII"
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start >= len(data) - 3 and cut:  # the window ends inside a character
            decoded = data[: e.start].decode("utf-8", "replace")
        else:
            decoded = ""
            if all(b in text_bytes or b >= 0xA0 for b in data):
                return "ISO-8859"
            return None
    if all(ord(c) >= 0x20 or ord(c) in text_bytes for c in decoded):
        return "UTF-8"
    return None


def _is_csv(data: bytes) -> bool:
    """libmagic's is_csv: every line has the same number of commas (outside quotes)."""
    nf = tf = nl = 0
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        i += 1
        if c == 0x22:  # '"': to the closing quote (a doubled one stays inside)
            while i < n:
                if data[i] == 0x22:
                    if i + 1 < n and data[i + 1] == 0x22:
                        i += 2
                        continue
                    i += 1
                    break
                i += 1
        elif c == 0x2C:
            nf += 1
        elif c == 0x0A:
            nl += 1
            if nl == _CSV_LINES:
                return tf != 0 and tf == nf
            if tf == 0:
                if nf == 0:
                    return False
                tf = nf
            elif tf != nf:
                return False
            nf = 0
    return tf != 0 and nl > 2


def _is_json(data: bytes) -> bool:
    s = data.strip()
    if not s or s[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(s)
    except (ValueError, RecursionError):
        return False
    return True


def _script(data: bytes) -> str | None:
    if data.startswith(b"#!"):
        line = data[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
        if line and line[0].rsplit("/", 1)[-1] == "env":
            line = [a for a in line[1:] if not a.startswith("-")]
        if line:
            prog = line[0].rsplit("/", 1)[-1]
            base = prog.rstrip("0123456789.")
            return _SHEBANGS.get(prog) or _SHEBANGS.get(base) or f"a {prog} script"
    head = data[:8192]
    if _PY_FROM.search(head) or _PY_DEF.search(head) or _PY_IMPORT_AS.search(head):
        return "Python script"
    return None


def _line_notes(data: bytes) -> list[str]:
    notes = []
    crlf = data.count(b"\r\n")
    lf = data.count(b"\n") - crlf
    cr = data.count(b"\r") - crlf
    longest = max((len(x) for x in data.replace(b"\r\n", b"\n").split(b"\n")), default=0)
    if longest > _LONG_LINE:
        notes.append(f"with very long lines ({longest})")
    kinds = [k for k, n in (("CRLF", crlf), ("CR", cr), ("LF", lf)) if n]
    if kinds and kinds != ["LF"]:
        notes.append(f"with {', '.join(kinds)} line terminators")
    if not kinds:
        notes.append("with no line terminators")
    return notes


def _gzip_desc(data: bytes, complete: bool) -> str:
    """file(1)'s gzip line: the stored name, date, flags, OS and size of the data."""
    parts = ["gzip compressed data"]
    flags = data[3] if len(data) > 3 else 0
    if flags & 0x08 and len(data) > 10:
        pos = 10
        if flags & 0x04 and len(data) >= 12:
            pos += 2 + int.from_bytes(data[10:12], "little")
        end = data.find(b"\0", pos, pos + 4096)
        if end > pos:
            parts.append(f'was "{data[pos:end].decode("latin-1")}"')
    mtime = int.from_bytes(data[4:8], "little") if len(data) >= 8 else 0
    if mtime:
        import time

        parts.append("last modified: " + time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(mtime)))
    if len(data) > 8 and data[8] == 2:
        parts.append("max compression")
    if len(data) > 9:
        os_name = {0: "FAT filesystem (MS-DOS, OS/2, NT)", 3: "Unix", 7: "Macintosh",
                   11: "NTFS filesystem (NT)"}.get(data[9])  # fmt: skip
        if os_name:
            parts.append(f"from {os_name}")
    if complete and len(data) >= 18:
        parts.append(f"original size modulo 2^32 {int.from_bytes(data[-4:], 'little')}")
    return ", ".join(parts)


def describe(data: bytes, complete: bool) -> tuple[str, str, str]:
    """(description, mime type, charset) of a regular file's first bytes."""
    if not data:
        return "empty", "inode/x-empty", "binary"
    if len(data) == 1:
        return "very short file (no magic)", "application/octet-stream", "binary"
    if data[:2] == b"\x1f\x8b":
        return _gzip_desc(data, complete), "application/gzip", "binary"
    if data[:4] == b"PK\x03\x04" and len(data) >= 10:
        need = int.from_bytes(data[4:6], "little")
        method = {0: "store", 8: "deflate", 12: "bzip2", 14: "lzma"}.get(
            int.from_bytes(data[8:10], "little"), str(int.from_bytes(data[8:10], "little"))
        )
        desc = f"Zip archive data, at least v{need // 10}.{need % 10} to extract"
        return f"{desc}, compression method={method}", "application/zip", "binary"
    if data[:3] == b"BZh" and data[3:4].isdigit() and data[3:4] != b"0":
        return (
            f"bzip2 compressed data, block size = {data[3] - 48}00k",
            "application/x-bzip2",
            "binary",
        )
    for magic, desc, mime in _MAGIC:
        if data.startswith(magic):
            return desc, mime, "binary"
    if len(data) >= 262 and data[257:262] == b"ustar":
        gnu = data[257:265] == b"ustar  \x00"
        return f"POSIX tar archive{' (GNU)' if gnu else ''}", "application/x-tar", "binary"
    window = data[:_TEXT]
    enc = _is_text(window, len(data) > _TEXT)
    if enc is None:
        return "data", "application/octet-stream", "binary"
    charset = {"ASCII": "us-ascii", "UTF-8": "utf-8", "ISO-8859": "iso-8859-1"}[enc]
    if _is_json(data):
        return "JSON text data", "application/json", charset
    if _is_csv(window):
        return "CSV text", "text/csv", charset
    text = {"ASCII": "ASCII text", "UTF-8": "Unicode text, UTF-8 text"}.get(enc, "ISO-8859 text")
    kind = _script(data)
    notes = _line_notes(window)
    if kind is not None:
        desc = f"{kind}, {text} executable"
        mime = _SCRIPT_MIME.get(kind, "text/plain")
    else:
        desc, mime = text, "text/plain"
    return ", ".join([desc, *notes]), mime, charset


@command("file")
def file_cmd(ctx: CommandContext) -> int:
    """Usage: file [-bhiLN0] [--mime-type] [--mime-encoding] [-F SEP] FILE...
    Determine the type of each FILE (see the module's text for what is recognised)."""
    opts, names = parse_opts(
        ctx, "bhiLNF:0zkr",
        ["brief", "mime", "mime-type", "mime-encoding", "dereference", "no-dereference",
         "no-pad", "separator=", "print0", "uncompress", "keep-going", "raw"],
    )  # fmt: skip
    brief = follow = no_pad = False
    mode = "desc"
    sep = ":"
    for k, v in opts:
        if k in ("-b", "--brief"):
            brief = True
        elif k in ("-i", "--mime"):
            mode = "mime"
        elif k == "--mime-type":
            mode = "type"
        elif k == "--mime-encoding":
            mode = "encoding"
        elif k in ("-L", "--dereference"):
            follow = True
        elif k in ("-h", "--no-dereference"):
            follow = False
        elif k in ("-N", "--no-pad"):
            no_pad = True
        elif k in ("-F", "--separator"):
            sep = v
    if not names:
        raise CommandError(
            "Usage: file [-bcdEhikLlNnprsSvzZ0] [--apple] [--extension] [--mime-encoding] "
            "[--mime-type] [-e <testname>] [-F <separator>]  [-f <namefile>] [-m <magicfiles>] "
            "[-P <parameter=value>] [--exclude-quiet]\n       <file> ...\n"
            "       file -C [-m <magicfiles>]\n       file [--help]"
        )
    shown = ["/dev/stdin" if n == "-" else n for n in names]
    width = max(len(n) for n in shown) + len(sep)
    for name, label in zip(names, shown, strict=True):
        ctx.check()
        desc, mime, charset = _examine(ctx, name, follow)
        out = {"desc": desc, "mime": f"{mime}; charset={charset}", "type": mime,
               "encoding": charset}[mode]  # fmt: skip
        if desc.startswith("cannot open"):
            out = desc  # in every mode
        if brief:
            ctx.out(out + "\n")
        else:
            label += sep
            ctx.out(f"{label if no_pad else label.ljust(width)} {out}\n")
    return 0


def _examine(ctx: CommandContext, name: str, follow: bool) -> tuple[str, str, str]:
    if name == "-":  # shown as /dev/stdin
        data = ctx.stdin.read(_READ)
        return describe(data, len(data) < _READ)
    try:
        host = ctx.resolve(name, follow_last=follow)
        st = hfs.stat(ctx.ws, host) if follow else hfs.lstat(ctx.ws, host)
    except (CommandError, OSError) as e:
        why = e.strerror if isinstance(e, OSError) else str(e).rpartition(": ")[2]
        return f"cannot open `{name}' ({why or e})", "cannot open", "binary"
    if statmod.S_ISLNK(st.st_mode):
        return (f"symbolic link to {hfs.readlink(ctx.ws, host)}", "inode/symlink", "binary")
    if statmod.S_ISDIR(st.st_mode):
        return "directory", "inode/directory", "binary"
    if statmod.S_ISFIFO(st.st_mode):
        return "fifo (named pipe)", "inode/fifo", "binary"
    if not statmod.S_ISREG(st.st_mode):
        return "special", "inode/x-special", "binary"
    try:
        fd = hfs.open_fd(ctx.ws, host, os.O_RDONLY)
    except OSError as e:
        return f"cannot open `{name}' ({e.strerror})", "cannot open", "binary"
    with os.fdopen(fd, "rb") as f:
        data = f.read(_READ)
    return describe(data, st.st_size <= _READ)
