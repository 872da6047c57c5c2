"""diff's side-by-side (``diff -y``, ``sdiff``) and ed-script (``diff -e``) output, as
GNU diffutils 3 prints them, from an edit script of ``(line0, line1, deleted, inserted)``
(0-based) over the two files' lines (each keeping its ``\\n``; the last may lack it).

Side by side: each half is ``(W - 3) / 2``-ish columns (GNU's arithmetic, W = 130 by
default), tabs kept as tabs unless ``-t``; a changed pair is ``|``, a line only on the
left ``<`` and only on the right ``>`` (the right-only ones of a change first, as GNU
does); common lines have no mark (``-l``: only their left side, with ``(``), or are left
out (``--suppress-common-lines``).
"""

from __future__ import annotations

Script = list[tuple[int, int, int, int]]

_TAB = 8
_GUTTER = 3


def side_geometry(width: int, expand_tabs: bool) -> tuple[int, int]:
    """(half width, column of the right half) for a total ``width`` (GNU's formula)."""
    t = 1 if expand_tabs else _TAB
    off = (width + t + _GUTTER) // (2 * t) * t
    half = max(0, min(off - _GUTTER, width - off))
    return half, (off if half else width)


def _tab_from_to(out: bytearray, frm: int, to: int, expand: bool) -> int:
    if not expand:
        tab = frm + _TAB - frm % _TAB
        while tab <= to:
            out += b"\t"
            frm = tab
            tab += _TAB
    if frm < to:
        out += b" " * (to - frm)
    return to


def _half(out: bytearray, line: bytes, indent: int, bound: int, expand: bool) -> int:
    """One side's text within ``bound`` columns; returns the column reached."""
    text = line.decode("utf-8", "surrogateescape")
    in_pos = out_pos = 0
    for ch in text:
        if ch == "\n":
            break
        if ch == "\t":
            spaces = _TAB - in_pos % _TAB  # (a half starts on a tab stop)
            if in_pos == out_pos:
                stop = out_pos + spaces
                if expand:
                    stop = min(stop, bound)
                    out += b" " * max(stop - out_pos, 0)
                    out_pos = max(stop, out_pos)
                elif stop < bound:
                    out_pos = stop
                    out += b"\t"
            in_pos += spaces
        elif ch == "\r":
            out += b"\r"
            _tab_from_to(out, 0, indent, expand)
            in_pos = out_pos = 0
        elif ch == "\b":
            if in_pos != 0:
                in_pos -= 1
                if in_pos < bound:
                    if out_pos <= in_pos:
                        out += b" " * (in_pos - out_pos)
                        out_pos = in_pos
                    else:
                        out_pos = in_pos
                        out += b"\b"
        elif ch in "\f\v":
            if in_pos < bound:
                out += ch.encode()
        else:
            if in_pos < bound:
                in_pos += 1
                out_pos = in_pos
                out += ch.encode("utf-8", "surrogateescape")
            else:
                in_pos += 1
    return out_pos


def _sdiff_line(
    out: bytearray, left: bytes | None, sep: str, right: bytes | None,
    half: int, col2: int, expand: bool,
) -> None:  # fmt: skip
    col = 0
    newline = False
    if left is not None:
        newline = left.endswith(b"\n")
        col = _half(out, left, 0, half, expand)
    if sep != " ":
        col = _tab_from_to(out, col, (half + col2 - 1) // 2, expand) + 1
        if sep == "|" and right is not None and newline != right.endswith(b"\n"):
            sep = "/" if newline else "\\"
        out += sep.encode()
    if right is not None:
        newline = newline or right.endswith(b"\n")
        if right[:1] != b"\n":
            col = _tab_from_to(out, col, col2, expand)
            _half(out, right, col, half, expand)
    if newline:
        out += b"\n"


def side_by_side(
    a: list[bytes], b: list[bytes], script: Script, width: int = 130,
    suppress_common: bool = False, left_column: bool = False, expand_tabs: bool = False,
) -> bytes:  # fmt: skip
    half, col2 = side_geometry(width, expand_tabs)
    out = bytearray()

    def common(i: int, j: int) -> None:
        if suppress_common:
            return
        if left_column:
            _sdiff_line(out, a[i], "(", None, half, col2, expand_tabs)
        else:
            _sdiff_line(out, a[i], " ", b[j], half, col2, expand_tabs)

    i = j = 0
    for l0, l1, dl, ins in script:
        while i < l0:
            common(i, j)
            i += 1
            j += 1
        pairs = min(dl, ins)
        for k in range(pairs):
            _sdiff_line(out, a[l0 + k], "|", b[l1 + k], half, col2, expand_tabs)
        for k in range(pairs, ins):
            _sdiff_line(out, None, ">", b[l1 + k], half, col2, expand_tabs)
        for k in range(pairs, dl):
            _sdiff_line(out, a[l0 + k], "<", None, half, col2, expand_tabs)
        i, j = l0 + dl, l1 + ins
    while i < len(a):
        common(i, j)
        i += 1
        j += 1
    return bytes(out)


def ed_script(b: list[bytes], script: Script) -> bytes:
    """``diff -e``: ed commands turning the first file into the second, last change first
    (a line that is a lone ``.`` is written ``..``, then fixed by ``s/.//``, as GNU)."""
    out = bytearray()
    for l0, l1, dl, ins in reversed(script):
        if dl:
            rng = f"{l0 + 1},{l0 + dl}" if dl > 1 else f"{l0 + 1}"
            out += f"{rng}{'c' if ins else 'd'}\n".encode()
        else:
            out += f"{l0}a\n".encode()
        ended = True
        for k in range(l1, l1 + ins):
            line = b[k] if b[k].endswith(b"\n") else b[k] + b"\n"
            if line == b".\n":  # a lone dot would end the insertion: doubled, then fixed
                out += b"..\n.\ns/.//\n"
                ended = True
                if k != l1 + ins - 1:
                    out += b"a\n"
                    ended = False
            else:
                out += line
                ended = False
        if ins and not ended:
            out += b".\n"
    return bytes(out)
