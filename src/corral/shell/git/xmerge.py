"""A three-way merge of one file's lines, as git merges them: a port of git's
``xdiff/xmerge.c`` at the level ``git merge`` uses (``XDL_MERGE_ZEALOUS``, the
``merge`` conflict style, markers of 7). Each side's change script against the base
comes from :mod:`xdiff` (git's own line choice); overlapping changes become a
conflict unless identical; a conflict is refined by diffing its two sides (only the
lines that differ stay in conflict) and conflicts at most three lines apart are
joined. Sides whose last line lacks a newline get one inside a conflict block, as
git writes them."""

from __future__ import annotations

from dataclasses import dataclass

from .diff import lines_of
from .xdiff import script

MARKER = 7


@dataclass
class _Change:  # xdchange_t: lines [i1, i1+chg1) of the old file became [i2, i2+chg2)
    i1: int
    i2: int
    chg1: int
    chg2: int


@dataclass
class _Merge:  # xdmerge_t
    mode: int  # 0 conflict, 1 take side 1, 2 take side 2, 4 identical after refining
    i0: int
    chg0: int
    i1: int
    chg1: int
    i2: int
    chg2: int


def _script(a: list[bytes], b: list[bytes]) -> list[_Change]:
    return [_Change(*x) for x in script(a, b)]


def _append(ms: list[_Merge], mode: int, i0: int, chg0: int, i1: int, chg1: int,
            i2: int, chg2: int) -> None:  # fmt: skip
    m = ms[-1] if ms else None
    if m is not None and (i1 <= m.i1 + m.chg1 or i2 <= m.i2 + m.chg2):
        if mode != m.mode:
            m.mode = 0
        m.chg0 = i0 + chg0 - m.i0
        m.chg1 = i1 + chg1 - m.i1
        m.chg2 = i2 + chg2 - m.i2
    else:
        ms.append(_Merge(mode, i0, chg0, i1, chg1, i2, chg2))


def _refine(ms: list[_Merge], s1: list[bytes], s2: list[bytes]) -> list[_Merge]:
    """xdl_refine_conflicts: a conflict's two sides diffed; only their changes conflict."""
    out: list[_Merge] = []
    for m in ms:
        if m.mode or m.chg1 == 0 or m.chg2 == 0:
            out.append(m)
            continue
        script = _script(s1[m.i1 : m.i1 + m.chg1], s2[m.i2 : m.i2 + m.chg2])
        if not script:
            m.mode = 4
            out.append(m)
            continue
        for x in script:
            out.append(_Merge(0, m.i0, m.chg0, m.i1 + x.i1, x.chg1, m.i2 + x.i2, x.chg2))
    return out


def _simplify(ms: list[_Merge]) -> list[_Merge]:
    """xdl_simplify_non_conflicts: conflicts at most three lines apart become one."""
    out: list[_Merge] = []
    for m in ms:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.mode == 0
            and m.mode == 0
            and m.i1 - (prev.i1 + prev.chg1) <= 3
        ):
            prev.chg1 = m.i1 + m.chg1 - prev.i1
            prev.chg2 = m.i2 + m.chg2 - prev.i2
            continue
        out.append(m)
    return out


def _with_nl(lines: list[bytes]) -> list[bytes]:
    if lines and not lines[-1].endswith(b"\n"):
        return [*lines[:-1], lines[-1] + b"\n"]
    return lines


def merge_lines(base: bytes, ours: bytes, theirs: bytes, name1: str, name2: str
                ) -> tuple[bytes, int]:  # fmt: skip
    """The merged text and how many conflicts it holds (marked ``<<<<<<< name1``,
    ``=======``, ``>>>>>>> name2``)."""
    s0, s1, s2 = lines_of(base), lines_of(ours), lines_of(theirs)
    x1 = _script(s0, s1)
    x2 = _script(s0, s2)
    if not x1:
        return theirs, 0
    if not x2:
        return ours, 0
    ms: list[_Merge] = []
    a = b = 0
    while a < len(x1) and b < len(x2):
        c1, c2 = x1[a], x2[b]
        if c1.i1 + c1.chg1 < c2.i1:
            _append(ms, 1, c1.i1, c1.chg1, c1.i2, c1.chg2,
                    c2.i2 - c2.i1 + c1.i1, c1.chg1)  # fmt: skip
            a += 1
            continue
        if c2.i1 + c2.chg1 < c1.i1:
            _append(ms, 2, c2.i1, c2.chg1, c1.i2 - c1.i1 + c2.i1, c2.chg1,
                    c2.i2, c2.chg2)  # fmt: skip
            b += 1
            continue
        if (
            c1.i1 != c2.i1
            or c1.chg1 != c2.chg1
            or c1.chg2 != c2.chg2
            or s1[c1.i2 : c1.i2 + c1.chg2] != s2[c2.i2 : c2.i2 + c2.chg2]
        ):
            off = c1.i1 - c2.i1
            ffo = off + c1.chg1 - c2.chg1
            i0, i1, i2 = c1.i1, c1.i2, c2.i2
            if off > 0:
                i0 -= off
                i1 -= off
            else:
                i2 += off
            chg0 = c1.i1 + c1.chg1 - i0
            chg1 = c1.i2 + c1.chg2 - i1
            chg2 = c2.i2 + c2.chg2 - i2
            if ffo < 0:
                chg0 -= ffo
                chg1 -= ffo
            else:
                chg2 += ffo
            _append(ms, 0, i0, chg0, i1, chg1, i2, chg2)
        e1 = c1.i1 + c1.chg1
        e2 = c2.i1 + c2.chg1
        if e1 >= e2:
            b += 1
        if e2 >= e1:
            a += 1
    while a < len(x1):
        c1 = x1[a]
        _append(ms, 1, c1.i1, c1.chg1, c1.i2, c1.chg2,
                c1.i1 + len(s2) - len(s0), c1.chg1)  # fmt: skip
        a += 1
    while b < len(x2):
        c2 = x2[b]
        _append(ms, 2, c2.i1, c2.chg1, c2.i1 + len(s1) - len(s0), c2.chg1,
                c2.i2, c2.chg2)  # fmt: skip
        b += 1
    ms = _simplify(_refine(ms, s1, s2))
    out: list[bytes] = []
    i = 0
    conflicts = 0
    for m in ms:
        if m.mode == 0:
            conflicts += 1
            out += s1[i : m.i1]
            out.append(b"<" * MARKER + b" " + name1.encode() + b"\n")
            out += _with_nl(s1[m.i1 : m.i1 + m.chg1])
            out.append(b"=" * MARKER + b"\n")
            out += _with_nl(s2[m.i2 : m.i2 + m.chg2])
            out.append(b">" * MARKER + b" " + name2.encode() + b"\n")
        elif m.mode & 3:
            out += s1[i : m.i1]
            if m.mode & 1:
                side = s1[m.i1 : m.i1 + m.chg1]
                out += _with_nl(side) if m.mode & 2 else side
            if m.mode & 2:
                out += s2[m.i2 : m.i2 + m.chg2]
        else:
            continue
        i = m.i1 + m.chg1
    out += s1[i:]
    return b"".join(out), conflicts
