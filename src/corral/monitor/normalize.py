"""Command text with its obfuscation undone, for the monitor's line rules.

An attacker hides a command from text rules by writing it the way the shell will
rewrite it anyway: ``c''url``, ``"cu"rl``, ``c\\url``, ``c$@url``, ``${IFS}`` for
spaces, ``$'\\x63url'``, ``{curl,-s,URL}``, ``$(printf '\\x63\\x75')``, a wrapper
or an absolute path in front of the shell a download is piped to
(``| /usr/bin/busybox sh``), a here-string fed to a shell or an interpreter, code in
a string literal run by ``exec('…\\n…')`` (its ``\\n`` are line breaks), or a literal
payload decoded by ``base64 -d`` (gzip or zlib inside too)/``xxd -r -p``/``rev``/``tr``'s rot13 and
run. :func:`deobfuscate` gives
the text as the shell would see it: each of those forms rewritten in place, and
each literal payload it can decode and that the text runs (base64, hex, reversed,
piped to a shell or interpreter, evaluated or substituted; printable text only, decoded
payloads normalized again one level down) appended as a line of its own: decoded data
only written to a file is data until something runs it (the sequence rules see that).
``None`` when nothing changed (the common case costs one linear-time search).

The monitor adds what this returns as one more *derived* subject next to the
command (see :func:`corral.monitor.rules.subjects_of`): rules still see the text as
written, and also the text as run. Every pattern here is RE2 (:mod:`corral.saferegex`):
linear in the text; the text is cut at :data:`MAX_TEXT` characters and at most
:data:`MAX_PAYLOADS` payloads of :data:`MAX_PAYLOAD` characters each are decoded.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import zlib
from typing import Final

from .. import saferegex

__all__ = ["GATE", "MAX_PAYLOAD", "MAX_PAYLOADS", "MAX_TEXT", "deobfuscate"]

#: characters of a command normalized (the rest is left out of the normalized text)
MAX_TEXT: Final = 65536
#: payloads decoded per text, and the largest encoded payload looked at
MAX_PAYLOADS: Final = 8
MAX_PAYLOAD: Final = 16384
_DEPTH: Final = 2

# Characters one of which every rewrite below needs (quotes, backslash, $, braces, the
# separators a wrapper or payload follows): most commands have none and cost one C scan.
GATE: Final = frozenset("'\"\\${|;&(`\n<")
# Whether any rewrite below can apply (one pass over the text).
_TRIGGER: Final = saferegex.compile(
    r"IFS|''|\"\"|\\[0-7a-zA-Z]|\$'|\$[@*]|\$\{[@*]\}|\$\{[A-Za-z0-9_]+:?-\}|\$\(\)|``|"
    r"\{[^\s{},]*,|<<<|base64|b64|xxd|hex|\brev\b|\btr\s|(?:\$\(|`)\s*(?:printf|echo)\b|"
    r"\b(?:un)?pack1?\b|H\*|fromCharCode|\bchr\b|\.chr\b|\bbytes\s*\(\s*\[|\.join\b|"
    r"['\"]\s*\+\s*['\"]|"
    r"\w['\"][\w./:-]+['\"]|['\"][\w./:-]+['\"]\w|"
    r"\$\{?[A-Za-z_][A-Za-z0-9_]{0,31}\}?\$\{?[A-Za-z_]|[A-Za-z]\$\{?[A-Za-z_][A-Za-z0-9_]{0,31}\}?\b|"
    r"\$\{[A-Za-z_][A-Za-z0-9_]{0,31}\}\w|"
    r"(?:[;&|(`\n]|\$\()\s*(?:/|busybox\b|command\s|exec\s|nohup\s|setsid\s|builtin\s|"
    r"stdbuf\s|nice\s|timeout\s|env\s)"
)

# literal assignments (a=cu b='rl') and the references that paste them together ($a$b)
_ASSIGN: Final = saferegex.compile(
    r"([A-Za-z_][A-Za-z0-9_]{0,31})=(?:'([^'\n$`\\]*)'|\"([^\"\n$`\\]*)\"|([\w./:@%+,-]*))"
)
_REF: Final = saferegex.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]{0,31})\}|\$([A-Za-z_][A-Za-z0-9_]{0,31})"
)
_MAX_VARS: Final = 64
#: the longest assigned value pasted, and the longest quoted piece or printed literal
#: joined into a word (checked after the match: a bounded repeat of a Unicode class is
#: a large RE2 program, and these were 1.3 s of every process's import)
_MAX_VALUE: Final = 128
_MAX_PIECE: Final = 256
_IFS: Final = saferegex.compile(r"\$\{IFS[^}\s]{0,16}\}|\$IFS\b")
# ANSI-C quoting: $'\x63url'
_ANSI_C: Final = saferegex.compile(r"\$'((?:[^'\\]|\\.){0,2048})'")
_ANSI_ESC: Final = re.compile(r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|[0-7]{1,3}|.)", re.S)
# runs of \xHH / \NNN escapes in a printf or echo -e string
_ESC_RUN: Final = saferegex.compile(r"(?:\\x[0-9a-fA-F]{2}|\\[0-3][0-7]{2}){3,}")
# a command that turns \n into line breaks (the script it writes is read line by line), or
# code run from a string literal (exec('...\n...'), eval, compile), whose \n are line breaks
_PRINTS_ESCAPES: Final = saferegex.compile(
    r"\bprintf\b|\becho\s+-\w*e|\b(?:exec|eval|compile)\s*\(\s*[rbu]?['\"]"
)
# $(printf 'curl') / `echo curl`: a literal printed by a substitution
_PRINTED: Final = saferegex.compile(
    r"\$\(\s*(?:printf|echo(?:\s+-[neE]+)?)\s+(['\"]?)([\w./:-]+)\1\s*\)"
    r"|`\s*(?:printf|echo(?:\s+-[neE]+)?)\s+(['\"]?)([\w./:-]+)\3\s*`"
)
# parts that expand to nothing inside a word: $@, $*, ${@}, ${x:-}, $(), ``
_EMPTY: Final = saferegex.compile(r"\$[@*]|\$\{[@*]\}|\$\{[A-Za-z0-9_]{1,64}:?-\}|\$\(\)|``")
_EMPTY_QUOTES: Final = saferegex.compile(r"(?:''|\"\")+")
# a quoted piece of a word: "cu"rl, c'ur'l
_QUOTED_PIECE: Final = saferegex.compile(r"'([\w./:-]+)'|\"([\w./:-]+)\"")
# a backslash before a letter inside or at the start of a word: c\url, \curl
_BACKSLASH: Final = saferegex.compile(r"\\([A-Za-z0-9_])")
# {curl,-s,http://x} as a word of its own
_BRACES: Final = saferegex.compile(
    r"(^|[\s;&|(`]|\$\()\{([^\s{}'\",]{1,256}(?:,[^\s{}'\",]{0,256}){1,64})\}"
)
_CMD_POS: Final = r"([;&|(`\n]\s*|\$\(\s*)"
# wrappers that run the next word as the command, at a command's position
_WRAPPER: Final = saferegex.compile(
    _CMD_POS
    + r"(?:(?:/usr)?(?:/local)?/s?bin/)?(?:busybox|command|exec|nohup|setsid|builtin"
    r"|stdbuf(?:\s+-\S+){1,4}|nice(?:\s+-n\s*-?\d+|\s+-\d+)?"
    r"|timeout(?:\s+-\S+){0,4}\s+\d+[smhd]?|env(?:\s+-i|\s+\w+=\S*){0,16})\s+([\w/.'\"$])"
)
# an absolute path of a system program at a command's position
_ABS_PATH: Final = saferegex.compile(_CMD_POS + r"(?:/usr)?(?:/local)?/s?bin/(\w)")
# a here-string fed to a shell or an interpreter: bash <<< 'curl x | sh', python - <<< '…'
_HERE_SHELL: Final = saferegex.compile(
    r"\b(?:(?:ba|z|da|k|a)?sh|python[\d.]*|perl|ruby|node|php|lua)\s+(?:-\S*\s+){0,4}<<<\s*(?:'([^']{1,16384})'|\"([^\"]{1,16384})\"|(\S{1,16384}))"
)
# the decoded bytes are run, not just written: piped to a shell or interpreter, evaluated,
# substituted into the command line, sourced, or executed by code
_RUNS_CUE: Final = saferegex.compile(
    r"\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:\S*/)?(?:(?:ba|z|da|k|a)?sh|python[\d.]*|perl|ruby|node|php)\b"
    r"|\beval\b|\$\(|`|<\(|\bsource\b|\bos\.(?:system|popen)\s*\(|\bsubprocess\."
    r"|\b(?:exec|execSync|execFile|execFileSync|spawn|spawnSync|popen|Popen|Function"
    r"|runInThisContext|runInNewContext|instance_eval|class_eval)\s*\("
    r"|\bsystem\s*\(|\b(?:Invoke-Expression|iex)\b"
)
_B64_CUE: Final = saferegex.compile(
    r"(?i)base64|b64decode|b64_decode|atob\b|frombase64|\s-enc(?:odedcommand)?\s"
    r"|\bunpack1?\s*\(?\s*['\"]m0?['\"]"
)
_B64_TOKEN: Final = saferegex.compile(r"[A-Za-z0-9+/_-]{16,16384}={0,2}")
_HEX_CUE: Final = saferegex.compile(
    r"(?i)xxd\s+(?:-\w+\s+)*-r|fromhex|unhexlify|hex\s+-d|\bbasenc\b|H\*|['\"]hex['\"]|hex2bin"
)
_HEX_TOKEN: Final = saferegex.compile(r"(?:[0-9a-fA-F]{2}){8,8192}")
# character codes turned into text: Perl/Ruby pack('c*'/'C*'/'U*'), String.fromCharCode,
# chr() joins and chains, bytes([...]), Ruby's 99.chr
_CHARS_CUE: Final = saferegex.compile(
    r"\bpack\s*\(?\s*(?:q\s*[/(]|['\"])[cCU]\*|fromCharCode|\bchr\s*\(|\bmap\s*\(\s*chr\b"
    r"|\bbytes\s*\(\s*\[|\.chr\b|\bmap\s*\{\s*chr\b"
)
_CHAR_CODE = r"(?:0[xX][0-9a-fA-F]{1,2}|\d{1,3})"
_CHARS_LIST: Final = saferegex.compile(_CHAR_CODE + r"(?:\s*,\s*" + _CHAR_CODE + r"){3,}")
_CHARS_CHAIN: Final = saferegex.compile(
    r"(?:\bchr\s*\(\s*\d{1,3}\s*\)\s*[.+,]?\s*){4,}|(?:\b\d{1,3}\.chr\b\s*\+?\s*){4,}"
)
_CODE: Final = saferegex.compile(_CHAR_CODE)
# a command split into string literals and joined again: ''.join(['cu','rl']),
# ['cu','rl'].join(''), 'cu' + 'rl'
_STR = r"(?:'[^'\n\\]*'|\"[^\"\n\\]*\")"
_JOIN_PY: Final = saferegex.compile(
    r"(" + _STR + r")\s*\.join\s*\(\s*[\[(]((?:\s*" + _STR + r"\s*,)+\s*" + _STR
    + r"\s*,?\s*)[\])]\s*\)"
)
_JOIN_JS: Final = saferegex.compile(
    r"\[((?:\s*" + _STR + r"\s*,)+\s*" + _STR + r"\s*)\]\s*\.join\s*\(\s*(" + _STR + r")?\s*\)"
)
_CONCAT: Final = saferegex.compile(r"(?:" + _STR + r"\s*\+\s*)+" + _STR)
_PIECE: Final = saferegex.compile(_STR)
_REV_CUE: Final = saferegex.compile(r"\|\s*rev\b")
# rot13 by tr: tr 'A-Za-z' 'N-ZA-Mn-za-m' (either case order, either set first)
_ROT13_CUE: Final = saferegex.compile(
    r"\btr\s+['\"]?[A-Za-z-]{0,12}['\"]?\s+['\"]?[A-Za-z-]{0,6}(?:N-ZA-M|n-za-m)"
    r"|\btr\s+['\"]?[A-Za-z-]{0,6}(?:N-ZA-M|n-za-m)"
)
_REV_TEXT: Final = saferegex.compile(
    r"\b(?:echo|printf)\s+(?:-\w+\s+)*(?:'([^']{4,4096})'|\"([^\"]{4,4096})\")"
)

_WORD: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_SAFE: Final = _WORD | frozenset("./:-")


def _word_at(text: str, i: int) -> bool:
    """A word character or a quote at ``i`` (quotes join pieces of one word)."""
    return 0 <= i < len(text) and (text[i] in _WORD or text[i] in "'\"")


def _letter_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i] in _WORD


def _ansi_c(m: saferegex.Match[str]) -> str:
    body = m.group(1)

    def esc(e: re.Match[str]) -> str:
        s = e.group(1)
        simple = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b",
                  "E": "\x1b", "f": "\f", "v": "\v"}  # fmt: skip
        if s in simple:
            return simple[s]
        if s[0] == "x" and len(s) > 1:
            return chr(int(s[1:], 16))
        if s[0] == "u" and len(s) > 1:
            return chr(int(s[1:], 16))
        if s[0] in "01234567":
            return chr(int(s, 8) & 0xFF)
        return s

    decoded = _ANSI_ESC.sub(esc, body)
    if decoded and all(c in _SAFE for c in decoded):
        return decoded
    if "'" not in decoded and decoded.isprintable():
        return f"'{decoded}'"
    return m.group(0)


def _esc_run(m: saferegex.Match[str]) -> str:
    out = []
    s = m.group(0)
    i = 0
    while i < len(s):
        if s[i + 1] == "x":
            out.append(chr(int(s[i + 2 : i + 4], 16)))
            i += 4
        else:
            out.append(chr(int(s[i + 1 : i + 4], 8)))
            i += 4
    text = "".join(out)
    return text if text.isprintable() and "'" not in text and '"' not in text else s


def _pasted(text: str) -> str:
    """References to literal assignments of the same text replaced by their values, when
    a word is pasted together from them (``a=cu;b=rl;$a$b``)."""
    values: dict[str, str] = {}
    for m in _ASSIGN.finditer(text):
        start, end = m.start(), m.end()
        if start and text[start - 1] not in " \t;&|(\n":
            continue
        if end < len(text) and text[end] not in " \t;&|)\n":
            continue
        value = m.group(2) or m.group(3) or m.group(4) or ""
        if len(value) > _MAX_VALUE:
            continue
        values[m.group(1)] = value
        if len(values) >= _MAX_VARS:
            break
    if not values:
        return text

    def ref(m: saferegex.Match[str]) -> str:
        got = values.get(m.group(1) or m.group(2))
        return m.group(0) if got is None else got

    return _REF.sub(ref, text)


def _printed(m: saferegex.Match[str]) -> str:
    got = m.group(2) or m.group(4) or ""
    return got if len(got) <= _MAX_PIECE else m[0]


def _rewrite(text: str) -> str:
    """The in-place rewrites, in the order the shell would undo them."""
    if "=" in text and "$" in text:
        text = _pasted(text)
    if "IFS" in text:
        text = _IFS.sub(" ", text)
    if "$'" in text:
        text = _ANSI_C.sub(_ansi_c, text)
    if "\\" in text:
        text = _ESC_RUN.sub(_esc_run, text)
        if "\\n" in text and _PRINTS_ESCAPES.search(text):
            text = text.replace("\\n", "\n")  # a script written by printf, line by line
    if "$(" in text or "`" in text:
        text = _PRINTED.sub(_printed, text)
    if "$" in text or "`" in text:
        text = _EMPTY.sub(
            lambda m: ""
            if _letter_at(text, m.start() - 1) or _letter_at(text, m.end())
            else m[0],
            text,
        )
    if "''" in text or '""' in text:
        text = _EMPTY_QUOTES.sub(
            lambda m: "" if _word_at(text, m.start() - 1) and _word_at(text, m.end()) else m[0],
            text,
        )
    if "'" in text or '"' in text:
        text = _QUOTED_PIECE.sub(
            lambda m: (m.group(1) or m.group(2))
            if len(m[0]) <= _MAX_PIECE + 2
            and (_word_at(text, m.start() - 1) or _word_at(text, m.end()))
            else m[0],
            text,
        )
    if "\\" in text:
        text = _BACKSLASH.sub(
            lambda m: m.group(1)
            if m.start() == 0 or text[m.start() - 1] in _WORD or text[m.start() - 1] in " \t;|&("
            else m[0],
            text,
        )
    if "{" in text:
        text = _BRACES.sub(lambda m: m.group(1) + m.group(2).replace(",", " "), text)
    for _ in range(3):  # wrappers inside wrappers: nohup env -i busybox sh
        new = _WRAPPER.sub(r"\1\2", text)
        if new == text:
            break
        text = new
    if "/" in text:
        text = _ABS_PATH.sub(r"\1\2", text)
    return text


def _printable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 4:
        return None
    good = sum(1 for c in text if c.isprintable() or c in "\n\t\r")
    return text if good >= len(text) * 0.95 and any(c in " =/;|.(" for c in text) else None


def _inflated(raw: bytes) -> bytes:
    """``raw`` decompressed when it is gzip or zlib data (at most :data:`MAX_PAYLOAD`
    bytes out: a decompression bomb costs no more than a payload), else ``raw``."""
    if raw[:2] == b"\x1f\x8b":
        wbits = 16 + zlib.MAX_WBITS
    elif len(raw) > 1 and raw[0] == 0x78 and (raw[0] * 256 + raw[1]) % 31 == 0:
        wbits = zlib.MAX_WBITS
    else:
        return raw
    try:
        return zlib.decompressobj(wbits).decompress(raw, MAX_PAYLOAD)
    except zlib.error:
        return raw


def _raw_inflated(raw: bytes) -> bytes:
    """``raw`` as a headerless deflate stream (at most :data:`MAX_PAYLOAD` bytes out), or
    nothing when it is not one."""
    try:
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, MAX_PAYLOAD)
    except zlib.error:
        return b""


def _b64(token: str) -> str | None:
    token = token.rstrip("=")
    if len(token) % 4 == 1:
        return None
    padded = token + "=" * (-len(token) % 4)
    try:
        if "-" in token or "_" in token:
            raw = base64.urlsafe_b64decode(padded)
        else:
            raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    got = _printable(_inflated(raw))
    if got is None and raw and not raw.isascii():
        got = _printable(_raw_inflated(raw))  # PHP's gzinflate, Node's inflateRawSync
    return got


def _chars(run: str) -> str | None:
    """The text a run of character codes spells, when it is printable text."""
    codes = [int(c, 16) if c[:2] in ("0x", "0X") else int(c) for c in _CODE.findall(run)]
    if len(codes) < 4 or not all(9 <= c < 127 for c in codes):
        return None
    text = "".join(map(chr, codes))
    return text if _printable(text.encode()) is not None else None


def _pieces(run: str) -> list[str]:
    return [m.group(0)[1:-1] for m in _PIECE.finditer(run)]


def _joined(text: str) -> list[str]:
    """Commands assembled from string literals (joined or concatenated), assembled."""
    out: list[str] = []
    if ".join" in text:
        for m in _JOIN_PY.finditer(text):
            out.append(m.group(1)[1:-1].join(_pieces(m.group(2))))
        for m in _JOIN_JS.finditer(text):
            sep = m.group(2)[1:-1] if m.group(2) else ","
            out.append(sep.join(_pieces(m.group(1))))
    if "+" in text:
        out.extend("".join(_pieces(m.group(0))) for m in _CONCAT.finditer(text))
    return [t for t in out if len(t) >= 4 and t.isprintable()]


def _payloads(text: str) -> list[str]:
    """Literal payloads in ``text`` that it decodes and runs, decoded."""
    out: list[str] = []
    if "<<<" in text:
        for m in _HERE_SHELL.finditer(text):
            body = m.group(1) or m.group(2) or m.group(3)
            if body:
                out.append(body)
            if len(out) >= MAX_PAYLOADS:
                return out
    if not _RUNS_CUE.search(text):
        return out
    if _B64_CUE.search(text):
        for m in _B64_TOKEN.finditer(text):
            got = _b64(m.group(0))
            if got is not None:
                out.append(got)
            if len(out) >= MAX_PAYLOADS:
                return out
    if _HEX_CUE.search(text):
        for m in _HEX_TOKEN.finditer(text):
            got = _printable(bytes.fromhex(m.group(0)))
            if got is not None:
                out.append(got)
            if len(out) >= MAX_PAYLOADS:
                return out
    if ".join" in text or "+" in text:
        for got in _joined(text):
            out.append(got)
            if len(out) >= MAX_PAYLOADS:
                return out
    if _CHARS_CUE.search(text):
        for pattern in (_CHARS_LIST, _CHARS_CHAIN):
            for m in pattern.finditer(text):
                got = _chars(m.group(0)[:MAX_PAYLOAD])
                if got is not None:
                    out.append(got)
                if len(out) >= MAX_PAYLOADS:
                    return out
    if _REV_CUE.search(text):
        for m in _REV_TEXT.finditer(text):
            out.append((m.group(1) or m.group(2))[::-1])
            if len(out) >= MAX_PAYLOADS:
                return out
    if "tr" in text and _ROT13_CUE.search(text):
        for m in _REV_TEXT.finditer(text):
            out.append(codecs.decode(m.group(1) or m.group(2), "rot13"))
            if len(out) >= MAX_PAYLOADS:
                return out
    return out


def _normalize(text: str, depth: int) -> str:
    if GATE.isdisjoint(text) or not _TRIGGER.search(text):
        return text
    rewritten = _rewrite(text)
    payloads = _payloads(text)
    if not payloads:
        return rewritten
    parts = [rewritten]
    for p in payloads:
        p = p[:MAX_PAYLOAD]
        parts.append(_normalize(p, depth + 1) if depth < _DEPTH else p)
    return "\n".join(parts)


def deobfuscate(text: str) -> str | None:
    """``text`` as the shell would run it (see the module's doc), or ``None`` when it
    holds nothing to undo. Only the first :data:`MAX_TEXT` characters are read."""
    if not text:
        return None
    head = text[:MAX_TEXT]
    out = _normalize(head, 0)
    return None if out == head else out
