"""``bzip2``/``bunzip2``/``bzcat`` and ``xz``/``unxz``/``xzcat`` (also ``lzma``/``unlzma``/
``lzcat``): compress or decompress files in place (FILE → FILE.bz2 / FILE.xz, the original
removed unless ``-k``), to standard output (``-c``), or test them (``-t``), with Python's
``bz2`` and ``lzma``. Data is streamed in chunks: decompression never holds more than
one chunk of output at a time, so a small bomb cannot fill memory, and the disk budget
stops what is written. Exit statuses and the wording of errors follow bzip2 1.0 and
xz 5 (a missing file: 1; a corrupt one: 2 for bzip2, 1 for xz).
"""

from __future__ import annotations

import bz2
import lzma
import stat as statmod
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from .. import hostfs as hfs
from ..command import CommandContext, CommandError, command
from .files import CHUNK, _lstat, _reason, _set_meta, _unlink_quietly
from .misc import parse_opts


class _BadData(Exception):
    """The input is not in the format, or is corrupt: the message."""


@dataclass(frozen=True)
class _Codec:
    prog: str  # the name errors are prefixed with
    suffixes: tuple[tuple[str, str], ...]  # (compressed suffix, what it becomes)
    magic: tuple[bytes, ...]
    new_decomp: Callable[[], Any]
    new_comp: Callable[[int], Any]
    corrupt_status: int
    not_format: str  # the message for data not in the format ({name} in it)


_BZIP2 = _Codec(
    "bzip2", ((".bz2", ""), (".bz", ""), (".tbz2", ".tar"), (".tbz", ".tar")), (b"BZh",),
    bz2.BZ2Decompressor, lambda level: bz2.BZ2Compressor(max(level, 1)), 2,
    "{name} is not a bzip2 file.",
)  # fmt: skip
_XZ = _Codec(
    "xz", ((".xz", ""), (".txz", ".tar"), (".lzma", ""), (".tlz", ".tar")),
    (b"\xfd7zXZ\x00", b"\x5d\x00\x00"),
    lambda: lzma.LZMADecompressor(lzma.FORMAT_AUTO), lambda level: lzma.LZMACompressor(
        lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=level), 1,
    "{name}: File format not recognized",
)  # fmt: skip
_LZMA = _Codec(
    "lzma", ((".lzma", ""), (".tlz", ".tar")), (b"\x5d\x00\x00",),
    lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE),
    lambda level: lzma.LZMACompressor(lzma.FORMAT_ALONE, preset=level), 1,
    "{name}: File format not recognized",
)  # fmt: skip
_CODECS = {
    "bzip2": (_BZIP2, False, False), "bunzip2": (_BZIP2, True, False),
    "bzcat": (_BZIP2, True, True), "xz": (_XZ, False, False), "unxz": (_XZ, True, False),
    "xzcat": (_XZ, True, True), "lzma": (_LZMA, False, False),
    "unlzma": (_LZMA, True, False), "lzcat": (_LZMA, True, True),
}  # fmt: skip


def _decompress(
    ctx: CommandContext, codec: _Codec, src: IO[bytes], dst: IO[bytes] | None, name: str
) -> None:
    """Every stream of ``src`` (concatenated ones too) into ``dst`` (None: only test)."""
    d: Any = None
    pending = b""
    streams = 0
    while True:
        if d is None or d.needs_input:
            more = src.read(CHUNK)
            if not more and not pending and (d is None or d.needs_input):
                break
            pending += more
        if d is None:
            if streams and not pending.strip(b"\0"):
                pending = b""
                continue
            if not any(pending.startswith(m[: len(pending)]) for m in codec.magic) or (
                len(pending) >= 3 and not any(pending.startswith(m) for m in codec.magic)
            ):
                if streams:  # bzip2 warns of trailing garbage and keeps the output
                    return
                raise _BadData(codec.not_format.format(name=name))
            if len(pending) < max(len(m) for m in codec.magic):
                more = src.read(CHUNK)
                if more:
                    pending += more
                    continue
            d = codec.new_decomp()
            streams += 1
        try:
            out = d.decompress(pending, CHUNK)
        except (OSError, lzma.LZMAError, EOFError, ValueError) as e:
            if codec is _BZIP2:
                raise _BadData(f"{name}: data integrity (CRC) error in data") from None
            raise _BadData(f"{name}: {'Compressed data is corrupt' if str(e) else e}") from None
        pending = b""
        if out:
            if dst is not None:
                dst.write(out)
            ctx.check()
        if d.eof:
            pending = d.unused_data
            d = None
    if streams == 0 or d is not None:
        if codec is _BZIP2:
            raise _BadData(f"{name}: file ends unexpectedly")
        raise _BadData(f"{name}: Unexpected end of input")


def _compress(
    ctx: CommandContext, codec: _Codec, src: IO[bytes], dst: IO[bytes], level: int
) -> None:
    comp = codec.new_comp(level)
    while chunk := src.read(CHUNK):
        out = comp.compress(chunk)
        if out:
            dst.write(out)
        ctx.check()
    dst.write(comp.flush())


@command(*_CODECS)
def bzxz(ctx: CommandContext) -> int:
    """Usage: bzip2|xz [-cdzkftqv] [-1..-9] [FILE]...
    Compress (bzip2 → FILE.bz2, xz → FILE.xz) or decompress (-d, bunzip2, unxz) FILEs in
    place, removing the original unless -k; -c writes standard output (bzcat, xzcat:
    decompress to it); -t tests integrity. With no FILE, or FILE -, standard input goes to
    standard output.
      -c, --stdout   -d, --decompress   -z, --compress   -k, --keep   -f, --force
      -t, --test     -q, --quiet        -v, --verbose    -1 … -9      (xz: -T N, -e, -0)"""
    codec, decompress, to_stdout = _CODECS[ctx.name]
    prog = ctx.name if ctx.name in ("bzip2", "bunzip2", "bzcat") else codec.prog
    opts, operands = parse_opts(
        ctx, "cdzkftqvsT:e0123456789",
        ["stdout", "to-stdout", "decompress", "uncompress", "compress", "keep", "force",
         "test", "quiet", "verbose", "small", "threads=", "extreme", "fast", "best"],
    )  # fmt: skip
    keep = force = test = quiet = verbose = False
    level = 9 if codec is _BZIP2 else 6
    for k, _v in opts:
        if k in ("-c", "--stdout", "--to-stdout"):
            to_stdout = True
        elif k in ("-d", "--decompress", "--uncompress"):
            decompress = True
        elif k in ("-z", "--compress"):
            decompress = False
        elif k in ("-k", "--keep"):
            keep = True
        elif k in ("-f", "--force"):
            force = True
        elif k in ("-t", "--test"):
            test = decompress = True
        elif k in ("-q", "--quiet"):
            quiet = True
        elif k in ("-v", "--verbose"):
            verbose = True
        elif k == "--fast":
            level = 1
        elif k == "--best":
            level = 9
        elif len(k) == 2 and k[1].isdigit():
            level = int(k[1])
    status = 0

    def fail(msg: str, st: int) -> None:
        nonlocal status
        ctx.stderr.write(f"{prog}: {msg}\n".encode("utf-8", "surrogateescape"))
        status = max(status, st)

    def run(src: IO[bytes], dst: IO[bytes] | None, name: str) -> None:
        if decompress:
            _decompress(ctx, codec, src, dst, name)
        else:
            assert dst is not None
            _compress(ctx, codec, src, dst, level)

    for name in operands or ["-"]:
        ctx.check()
        if name == "-" or (name.startswith("/dev/") and (to_stdout or test)):
            label = "(stdin)" if name == "-" else name
            try:
                src = ctx.stdin if name == "-" else ctx.open_read(name)
            except CommandError as e:
                fail(f"Can't open input file {name}: {_reason(e)}.", 1)
                continue
            try:
                run(src, None if test else ctx.stdout, label)
            except _BadData as e:
                fail(str(e), codec.corrupt_status)
            finally:
                if src is not ctx.stdin:
                    src.close()
            continue
        try:
            host, st = _lstat(ctx, name, follow=True)
        except (CommandError, OSError) as e:
            if codec is _BZIP2:
                fail(f"Can't open input file {name}: {_reason(e)}.", 1)
            else:
                fail(f"{name}: {_reason(e)}", 1)
            continue
        if statmod.S_ISDIR(st.st_mode):
            fail(f"Input file {name} is a directory." if codec is _BZIP2
                 else f"{name}: Is a directory, skipping", 1)  # fmt: skip
            continue
        out_name: str | None = None
        if not (to_stdout or test):
            if decompress:
                for suf, becomes in codec.suffixes:
                    if name.endswith(suf) and len(name) > len(suf):
                        out_name = name[: -len(suf)] + becomes
                        break
                if out_name is None:
                    if codec is not _BZIP2:
                        fail(f"{name}: Filename has an unknown suffix, skipping", 1)
                        continue
                    out_name = name + ".out"
                    if not quiet:
                        ctx.stderr.write(
                            f"{prog}: Can't guess original name for {name} -- using "
                            f"{out_name}\n".encode("utf-8", "surrogateescape")
                        )
            else:
                if any(name.endswith(s) for s, _ in codec.suffixes):
                    fail(f"Input file {name} already has .{codec.suffixes[0][0][1:]} suffix."
                         if codec is _BZIP2 else
                         f"{name}: File already has `{codec.suffixes[0][0]}' suffix, skipping",
                         1 if codec is _BZIP2 else 2)  # fmt: skip
                    continue
                out_name = name + codec.suffixes[0][0]
        out_host = None
        if out_name is not None:
            try:
                out_host = ctx.resolve(out_name, follow_last=False)
            except CommandError as e:
                fail(f"{out_name}: {_reason(e)}", 1)
                continue
            if hfs.lexists(ctx.ws, out_host):
                if not force:
                    fail(f"Output file {out_name} already exists." if codec is _BZIP2
                         else f"{out_name}: File exists", 1)  # fmt: skip
                    continue
                hfs.unlink(ctx.ws, out_host)
        try:
            with hfs.open_read(ctx.ws, host) as fin:
                if out_name is None:
                    run(fin, None if test else ctx.stdout, name)
                else:
                    with ctx.open_write(out_name) as fout:
                        run(fin, fout, name)
                        fout.flush()
                        _set_meta(ctx, fout.fileno(), statmod.S_IMODE(st.st_mode),
                                  (st.st_atime_ns, st.st_mtime_ns))  # fmt: skip
        except _BadData as e:
            if out_host is not None:
                _unlink_quietly(ctx, out_host)
            fail(str(e), codec.corrupt_status)
            continue
        except OSError as e:
            if out_host is not None:
                _unlink_quietly(ctx, out_host)
            if isinstance(e, BrokenPipeError):
                raise
            fail(f"{out_name or name}: {_reason(e)}", 1)
            continue
        if verbose and not quiet:
            ctx.stderr.write(f"  {name}: done\n".encode("utf-8", "surrogateescape"))
        if out_host is not None and not keep:
            hfs.unlink(ctx.ws, host)
    return status
