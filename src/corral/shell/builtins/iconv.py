"""``iconv``: convert text between character encodings (glibc's options and messages).

``-f/--from-code``, ``-t/--to-code`` (with ``//TRANSLIT``: letters without their accents
and glibc's common replacements, ``?`` for the rest; ``//IGNORE``: drop what cannot be
converted, status 1), ``-c`` (drop silently), ``-o FILE``, ``-l``. Python's codecs do the
work; a file is read in chunks through an incremental decoder (a character split across
two chunks is whole), so a large input costs no more than its chunks.
"""

from __future__ import annotations

import codecs
import unicodedata
from typing import IO

from ..command import CommandContext, CommandError, command
from .text import _chunks, _close, _getopt, _open

#: glibc's transliterations (C.UTF-8's translit tables) for what NFKD does not split
_TRANSLIT = {
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": "<<", "\u00bb": ">>",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2039": "<", "\u203a": ">",
    "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
    "\u2026": "...", "\u20ac": "EUR", "\u00a3": "GBP", "\u00a5": "JPY", "\u00a9": "(C)",
    "\u00ae": "(R)", "\u2122": "(TM)", "\u00bd": " 1/2 ", "\u00bc": " 1/4 ", "\u00be": " 3/4 ",
    "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE",
    "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L", "\u00f0": "d", "\u00d0": "D",
    "\u00fe": "th", "\u00de": "TH", "\u2022": "o", "\u00d7": "x", "\u00f7": ":",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u00b7": ".",
}  # fmt: skip

_ALIASES = {"utf8": "utf-8", "ucs-2": "utf-16", "ucs2": "utf-16", "wchar_t": "utf-32"}


def _codec(name: str) -> tuple[str, str]:
    """(Python codec name, the suffix: "", "translit" or "ignore")."""
    base, _, suffix = name.partition("//")
    base = base.strip().lower() or "utf-8"
    base = _ALIASES.get(base, base)
    try:
        codecs.lookup(base)
    except LookupError:
        raise CommandError(
            "failed to start conversion processing: No such file or directory"
        ) from None
    flags = suffix.lower().split("//")
    how = "translit" if "translit" in flags else "ignore" if "ignore" in flags else ""
    return base, how


def _translit(ch: str, encoding: str) -> str:
    rep = _TRANSLIT.get(ch)
    if rep is None:
        rep = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    try:
        rep.encode(encoding)
    except UnicodeEncodeError:
        return "?"
    return rep or "?"


@command("iconv")
def iconv_cmd(ctx: CommandContext) -> int:
    """Usage: iconv [-c] [-f FROM] [-t TO[//TRANSLIT|//IGNORE]] [-o FILE] [FILE...]
    Convert the text of the FILEs (standard input without one) from encoding FROM to
    encoding TO (both UTF-8 unless given). -c omits characters that cannot be converted;
    -l lists the known encodings."""
    opts, files = _getopt(
        ctx, ctx.args, "cf:t:o:ls",
        {"from-code=": "f", "to-code=": "t", "output=": "o", "list": "l", "silent": "s"},
    )  # fmt: skip
    frm, to, out_name, omit = "utf-8", "utf-8", None, False
    for k, v in opts:
        if k == "f":
            frm = v or ""
        elif k == "t":
            to = v or ""
        elif k == "o":
            out_name = v
        elif k == "c":
            omit = True
        elif k == "l":
            for name in ("ASCII", "ISO-8859-1", "ISO-8859-15", "LATIN1", "UTF-16", "UTF-16BE",
                         "UTF-16LE", "UTF-32", "UTF-8", "WINDOWS-1252"):  # fmt: skip
                ctx.out(name + "//\n")
            return 0
    src, _ = _codec(frm)
    dst, how = _codec(to)
    if omit and not how:
        how = "omit"
    out: IO[bytes] = ctx.open_write(out_name) if out_name else ctx.stdout  # type: ignore[assignment]
    status = 0
    try:
        for name in files or ["-"]:
            f, why = _open(ctx, name)
            if f is None:
                raise CommandError(f"cannot open input file `{name}': {why}")
            try:
                status = max(status, _convert(ctx, f, out, src, dst, how))
            finally:
                _close(ctx, f)
            if status == 1 and how not in ("ignore", "omit", "translit"):
                break
    finally:
        if out is not ctx.stdout:
            out.close()
    return status


def _convert(
    ctx: CommandContext, f: IO[bytes], out: IO[bytes], src: str, dst: str, how: str
) -> int:
    """Convert one input; 1 (after glibc's message) at what cannot be converted."""
    dec = codecs.getincrementaldecoder(src)("strict")
    enc = codecs.getincrementalencoder(dst)("strict")
    pos = 0  # bytes of input consumed (for the message)
    dropped = False
    for chunk in _chunks(ctx, f):
        try:
            text = dec.decode(chunk)
        except UnicodeDecodeError as e:
            good = dec.decode(chunk[: e.start]) if e.start else ""
            _write(out, _encode(enc, good, dst, how))
            ctx.err(f"illegal input sequence at position {pos + e.start}")
            return 1
        try:
            data = enc.encode(text)
        except UnicodeEncodeError:
            if not how:
                # up to the character that cannot be, then glibc's message
                done = bytearray()
                at = pos
                for ch in text:
                    try:
                        done += enc.encode(ch)
                    except UnicodeEncodeError:
                        _write(out, bytes(done))
                        ctx.err(f"illegal input sequence at position {at}")
                        return 1
                    at += len(ch.encode(src, "surrogatepass"))
                data = bytes(done)
            else:
                data, lost = _encode_lossy(enc, text, dst, how)
                dropped = dropped or lost
        _write(out, data)
        pos += len(chunk)
    if dropped and how == "ignore":
        ctx.err(f"illegal input sequence at position {pos}")
        return 1
    return 0


def _encode(enc: codecs.IncrementalEncoder, text: str, dst: str, how: str) -> bytes:
    try:
        return enc.encode(text)
    except UnicodeEncodeError:
        return _encode_lossy(enc, text, dst, how or "ignore")[0]


def _encode_lossy(
    enc: codecs.IncrementalEncoder, text: str, dst: str, how: str
) -> tuple[bytes, bool]:
    """``text`` encoded a character at a time: what cannot be is transliterated or
    dropped. Returns (bytes, whether anything was dropped)."""
    out = bytearray()
    lost = False
    for ch in text:
        try:
            out += enc.encode(ch)
        except UnicodeEncodeError:
            if how == "translit":
                out += enc.encode(_translit(ch, dst))
            else:
                lost = True
    return bytes(out), lost


def _write(out: IO[bytes], data: bytes) -> None:
    if data:
        out.write(data)
