"""Which lines changed between two texts, chosen the way git's xdiff chooses: a Myers
shortest edit script, then git's ``xdl_change_compact`` (groups of changes slid as
far down as they go, lined up with a change in the other file when they can, else
placed by the indent heuristic, git's default since 2.14). Equal-cost scripts are
ambiguous; this is what makes ``@@`` hunks come out as git prints them.

Returns per-line "changed" flags for both sides; very large differences (the Myers
trace grows with D²) fall back to difflib's matching, then the same compaction."""

from __future__ import annotations

import difflib

#: beyond this many differences the O(D²) trace is not kept: difflib matches instead
MAX_D = 2000

MAX_INDENT = 200
MAX_BLANKS = 20
START_OF_FILE_PENALTY = 1
END_OF_FILE_PENALTY = 21
TOTAL_BLANK_WEIGHT = -30
POST_BLANK_WEIGHT = 6
RELATIVE_INDENT_PENALTY = -4
RELATIVE_INDENT_WITH_BLANK_PENALTY = 10
RELATIVE_OUTDENT_PENALTY = 24
RELATIVE_OUTDENT_WITH_BLANK_PENALTY = 17
RELATIVE_DEDENT_PENALTY = 23
RELATIVE_DEDENT_WITH_BLANK_PENALTY = 17
INDENT_WEIGHT = 60
INDENT_HEURISTIC_MAX_SLIDING = 100


def changed(a: list[bytes], b: list[bytes]) -> tuple[list[int], list[int]]:
    """(rchg_a, rchg_b): 1 for each line of ``a`` deleted / of ``b`` added, with one
    sentinel 0 at both ends (index i of a line is i + 1)."""
    ids: dict[bytes, int] = {}
    xa = [ids.setdefault(x, len(ids)) for x in a]
    xb = [ids.setdefault(x, len(ids)) for x in b]
    ra = [0] * (len(a) + 2)
    rb = [0] * (len(b) + 2)
    # common prefix and suffix never change
    lo = 0
    while lo < len(xa) and lo < len(xb) and xa[lo] == xb[lo]:
        lo += 1
    ha, hb = len(xa), len(xb)
    while ha > lo and hb > lo and xa[ha - 1] == xb[hb - 1]:
        ha -= 1
        hb -= 1
    if not _myers(xa, xb, lo, ha, lo, hb, ra, rb):
        sm = difflib.SequenceMatcher(None, xa[lo:ha], xb[lo:hb], autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag != "equal":
                for i in range(lo + i1, lo + i2):
                    ra[i + 1] = 1
                for j in range(lo + j1, lo + j2):
                    rb[j + 1] = 1
    _compact(xa, a, ra, rb)
    _compact(xb, b, rb, ra)
    return ra, rb


def _myers(xa: list[int], xb: list[int], a0: int, a1: int, b0: int, b1: int,
           ra: list[int], rb: list[int]) -> bool:  # fmt: skip
    n, m = a1 - a0, b1 - b0
    if n == 0 or m == 0:
        for i in range(a0, a1):
            ra[i + 1] = 1
        for j in range(b0, b1):
            rb[j + 1] = 1
        return True
    off = n + m + 1
    v = [0] * (2 * off + 1)
    trace: list[list[int]] = []
    for d in range(min(n + m, MAX_D) + 1):
        trace.append(v[off - d - 1:off + d + 2])
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[off + k - 1] < v[off + k + 1]):
                x = v[off + k + 1]
            else:
                x = v[off + k - 1] + 1
            y = x - k
            while x < n and y < m and xa[a0 + x] == xb[b0 + y]:
                x += 1
                y += 1
            v[off + k] = x
            if x >= n and y >= m:
                _backtrack(trace, d, n, m, a0, b0, ra, rb)
                return True
    return False


def _backtrack(trace: list[list[int]], d_end: int, n: int, m: int, a0: int, b0: int,
               ra: list[int], rb: list[int]) -> None:  # fmt: skip
    x, y = n, m
    for d in range(d_end, 0, -1):
        vd = trace[d]  # v before step d, indices k in [-d-1, d+1] at k + d + 1
        k = x - y

        def at(kk: int, vd: list[int] = vd, d: int = d) -> int:
            return vd[kk + d + 1]

        # came down (an insertion from b) or right (a deletion from a)
        pk = k + 1 if k == -d or (k != d and at(k - 1) < at(k + 1)) else k - 1
        px = at(pk)
        py = px - pk
        while x > px and y > py:  # the snake: equal lines
            x -= 1
            y -= 1
        if x == px:
            rb[b0 + py + 1] = 1  # b[b0 + py] inserted
        else:
            ra[a0 + px + 1] = 1  # a[a0 + px] deleted
        x, y = px, py


def _indent(line: bytes) -> int:
    ret = 0
    for c in line:
        if c == 0x20:
            ret += 1
        elif c == 0x09:
            ret += 8 - ret % 8
        elif c in (0x0A, 0x0D, 0x0B, 0x0C):
            pass
        else:
            return ret
        if ret >= MAX_INDENT:
            return MAX_INDENT
    return -1


def _measure(lines: list[bytes], split: int) -> tuple[int, int, int, int, int, int]:
    nrec = len(lines)
    if split >= nrec:
        eof, indent = 1, -1
    else:
        eof, indent = 0, _indent(lines[split])
    pre_blank, pre_indent = 0, -1
    for i in range(split - 1, -1, -1):
        pre_indent = _indent(lines[i])
        if pre_indent != -1:
            break
        pre_blank += 1
        if pre_blank == MAX_BLANKS:
            pre_indent = 0
            break
    post_blank, post_indent = 0, -1
    for i in range(split + 1, nrec):
        post_indent = _indent(lines[i])
        if post_indent != -1:
            break
        post_blank += 1
        if post_blank == MAX_BLANKS:
            post_indent = 0
            break
    return eof, indent, pre_blank, pre_indent, post_blank, post_indent


def _score(m: tuple[int, int, int, int, int, int], s: list[int]) -> None:
    eof, indent, pre_blank, pre_indent, post_blank_n, post_indent = m
    if pre_indent == -1 and pre_blank == 0:
        s[1] += START_OF_FILE_PENALTY
    if eof:
        s[1] += END_OF_FILE_PENALTY
    post_blank = 1 + post_blank_n if indent == -1 else 0
    total_blank = pre_blank + post_blank
    s[1] += TOTAL_BLANK_WEIGHT * total_blank
    s[1] += POST_BLANK_WEIGHT * post_blank
    ind = indent if indent != -1 else post_indent
    any_blanks = total_blank != 0
    s[0] += ind
    if ind == -1 or pre_indent == -1:
        return
    if ind > pre_indent:
        s[1] += RELATIVE_INDENT_WITH_BLANK_PENALTY if any_blanks else RELATIVE_INDENT_PENALTY
    elif ind == pre_indent:
        return
    elif post_indent != -1 and post_indent > ind:
        s[1] += RELATIVE_OUTDENT_WITH_BLANK_PENALTY if any_blanks else RELATIVE_OUTDENT_PENALTY
    else:
        s[1] += RELATIVE_DEDENT_WITH_BLANK_PENALTY if any_blanks else RELATIVE_DEDENT_PENALTY


def _cmp(s1: list[int], s2: list[int]) -> int:
    ci = (s1[0] > s2[0]) - (s1[0] < s2[0])
    return INDENT_WEIGHT * ci + (s1[1] - s2[1])


class _Group:
    """A run of changed lines [start, end) in one file (xdiff's ``xdlgroup``)."""

    def __init__(self, r: list[int], nrec: int) -> None:
        self.r, self.nrec = r, nrec
        self.start = self.end = 0
        while self.r[self.end + 1]:
            self.end += 1

    def next(self) -> bool:
        if self.end == self.nrec:
            return False
        self.start = self.end + 1
        self.end = self.start
        while self.r[self.end + 1]:
            self.end += 1
        return True

    def previous(self) -> bool:
        if self.start == 0:
            return False
        self.end = self.start - 1
        self.start = self.end
        while self.r[self.start]:  # r[start - 1 + 1]
            self.start -= 1
        return True


def _slide_down(g: _Group, x: list[int]) -> bool:
    if g.end < g.nrec and x[g.start] == x[g.end]:
        g.r[g.start + 1] = 0
        g.r[g.end + 1] = 1
        g.start += 1
        g.end += 1
        while g.r[g.end + 1]:
            g.end += 1
        return True
    return False


def _slide_up(g: _Group, x: list[int]) -> bool:
    if g.start > 0 and x[g.start - 1] == x[g.end - 1]:
        g.start -= 1
        g.end -= 1
        g.r[g.start + 1] = 1
        g.r[g.end + 1] = 0
        while g.r[g.start]:
            g.start -= 1
        return True
    return False


def _compact(x: list[int], lines: list[bytes], r: list[int], ro: list[int]) -> None:
    g = _Group(r, len(x))
    go = _Group(ro, len(ro) - 2)
    while True:
        if g.end != g.start:
            while True:
                groupsize = g.end - g.start
                end_matching_other = -1
                while _slide_up(g, x):
                    go.previous()
                earliest_end = g.end
                if go.end > go.start:
                    end_matching_other = g.end
                while _slide_down(g, x):
                    go.next()
                    if go.end > go.start:
                        end_matching_other = g.end
                if groupsize == g.end - g.start:
                    break
            if g.end == earliest_end:
                pass
            elif end_matching_other != -1:
                while go.end == go.start:
                    _slide_up(g, x)
                    go.previous()
            else:
                shift = max(earliest_end, g.end - groupsize - 1,
                            g.end - INDENT_HEURISTIC_MAX_SLIDING)  # fmt: skip
                best_shift = -1
                best: list[int] = [0, 0]
                while shift <= g.end:
                    score = [0, 0]
                    _score(_measure(lines, shift), score)
                    _score(_measure(lines, shift - groupsize), score)
                    if best_shift == -1 or _cmp(score, best) <= 0:
                        best = score
                        best_shift = shift
                    shift += 1
                while g.end > best_shift:
                    _slide_up(g, x)
                    go.previous()
        if not g.next():
            break
        go.next()
