"""Which lines changed between two texts, chosen the way git's xdiff chooses them (a
port of ``xprepare.c``/``xdiffi.c``): common ends trimmed, lines without a match
marked at once, divide-and-conquer Myers on the rest (with xdiff's cost heuristics
for large inputs, so time stays near-linear), then ``xdl_change_compact`` (groups of
changes slid as far down as they go, lined up with a change in the other file when
they can, else placed by the indent heuristic, git's default since 2.14). Equal-cost
scripts are ambiguous; this is what makes ``@@`` hunks come out as git prints them."""

from __future__ import annotations

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


XDL_MAX_EQLIMIT = 1024
XDL_SIMSCAN_WINDOW = 100
XDL_KPDIS_RUN = 4
XDL_MAX_COST_MIN = 256
XDL_HEUR_MIN_COST = 256
XDL_SNAKE_CNT = 20
XDL_K_HEUR = 4
_BIG = 1 << 62


def changed(a: list[bytes], b: list[bytes]) -> tuple[list[int], list[int]]:
    """(rchg_a, rchg_b): 1 for each line of ``a`` deleted / of ``b`` added, with one
    sentinel 0 at both ends (index i of a line is i + 1). xdiff's steps: common ends
    trimmed, lines without a match (and runs of over-common ones) marked changed at
    once, the rest by divide-and-conquer Myers, then change compaction."""
    ids: dict[bytes, int] = {}
    xa = [ids.setdefault(x, len(ids)) for x in a]
    xb = [ids.setdefault(x, len(ids)) for x in b]
    ra = [0] * (len(a) + 2)
    rb = [0] * (len(b) + 2)
    n1, n2 = len(xa), len(xb)
    lim = min(n1, n2)
    i = 0
    while i < lim and xa[i] == xb[i]:
        i += 1
    dstart = i
    j = 0
    while j < lim - dstart and xa[n1 - 1 - j] == xb[n2 - 1 - j]:
        j += 1
    dend1, dend2 = n1 - j - 1, n2 - j - 1
    count1: dict[int, int] = {}
    count2: dict[int, int] = {}
    for x in xa:
        count1[x] = count1.get(x, 0) + 1
    for x in xb:
        count2[x] = count2.get(x, 0) + 1
    ha1, ri1 = _cleanup(xa, count2, dstart, dend1, ra)
    ha2, ri2 = _cleanup(xb, count1, dstart, dend2, rb)
    _recs_cmp(ha1, ri1, ra, ha2, ri2, rb)
    _compact(xa, a, ra, rb)
    _compact(xb, b, rb, ra)
    return ra, rb


def script(a: list[bytes], b: list[bytes]) -> list[tuple[int, int, int, int]]:
    """xdl_build_script: the changes between ``a`` and ``b`` in order, each
    ``(i1, i2, chg1, chg2)``: lines ``a[i1:i1+chg1]`` became ``b[i2:i2+chg2]``."""
    ra, rb = changed(a, b)
    out: list[tuple[int, int, int, int]] = []
    i1, i2 = len(a), len(b)
    while i1 >= 0 or i2 >= 0:
        if (i1 > 0 and ra[i1]) or (i2 > 0 and rb[i2]):
            l1, l2 = i1, i2
            while i1 > 0 and ra[i1]:
                i1 -= 1
            while i2 > 0 and rb[i2]:
                i2 -= 1
            out.append((i1, i2, l1 - i1, l2 - i2))
        i1 -= 1
        i2 -= 1
    out.reverse()
    return out


def _bogosqrt(n: int) -> int:
    i = 1
    while n > 0:
        n >>= 2
        i <<= 1
    return i


def _cleanup(x: list[int], other: dict[int, int], dstart: int, dend: int,
             r: list[int]) -> tuple[list[int], list[int]]:  # fmt: skip
    """xdiff's ``xdl_cleanup_records`` for one side: the records the search looks at
    (and their indexes); lines with no match on the other side are marked changed."""
    mlim = min(_bogosqrt(len(x)), XDL_MAX_EQLIMIT)
    dis = [0] * (len(x) + 1)
    for i in range(dstart, dend + 1):
        nm = other.get(x[i], 0)
        dis[i] = 0 if nm == 0 else (2 if nm >= mlim else 1)
    ha: list[int] = []
    ri: list[int] = []
    for i in range(dstart, dend + 1):
        if dis[i] == 1 or (dis[i] == 2 and not _clean_mmatch(dis, i, dstart, dend)):
            ri.append(i)
            ha.append(x[i])
        else:
            r[i + 1] = 1
    return ha, ri


def _clean_mmatch(dis: list[int], i: int, s: int, e: int) -> bool:
    s = max(s, i - XDL_SIMSCAN_WINDOW)
    e = min(e, i + XDL_SIMSCAN_WINDOW)
    rdis0, rpdis0 = 0, 1
    r = 1
    while i - r >= s:
        if not dis[i - r]:
            rdis0 += 1
        elif dis[i - r] == 2:
            rpdis0 += 1
        else:
            break
        r += 1
    if rdis0 == 0:
        return False
    rdis1, rpdis1 = 0, 1
    r = 1
    while i + r <= e:
        if not dis[i + r]:
            rdis1 += 1
        elif dis[i + r] == 2:
            rpdis1 += 1
        else:
            break
        r += 1
    if rdis1 == 0:
        return False
    rdis1 += rdis0
    rpdis1 += rpdis0
    return rpdis1 * XDL_KPDIS_RUN < rpdis1 + rdis1


def _recs_cmp(ha1: list[int], ri1: list[int], r1: list[int],
              ha2: list[int], ri2: list[int], r2: list[int]) -> None:  # fmt: skip
    """xdiff's ``xdl_recs_cmp``: shrink the box by its snakes, mark what is left when
    one side is empty, else split at the middle snake and do both halves."""
    ndiags = len(ha1) + len(ha2) + 3
    mxcost = max(_bogosqrt(ndiags), XDL_MAX_COST_MIN)
    stack = [(0, len(ha1), 0, len(ha2), False)]
    while stack:
        off1, lim1, off2, lim2, need_min = stack.pop()
        while off1 < lim1 and off2 < lim2 and ha1[off1] == ha2[off2]:
            off1 += 1
            off2 += 1
        while off1 < lim1 and off2 < lim2 and ha1[lim1 - 1] == ha2[lim2 - 1]:
            lim1 -= 1
            lim2 -= 1
        if off1 == lim1:
            for k in range(off2, lim2):
                r2[ri2[k] + 1] = 1
        elif off2 == lim2:
            for k in range(off1, lim1):
                r1[ri1[k] + 1] = 1
        else:
            i1, i2, min_lo, min_hi = _split(ha1, off1, lim1, ha2, off2, lim2, need_min, mxcost)
            stack.append((i1, lim1, i2, lim2, min_hi))
            stack.append((off1, i1, off2, i2, min_lo))


def _split(ha1: list[int], off1: int, lim1: int, ha2: list[int], off2: int, lim2: int,
           need_min: bool, mxcost: int) -> tuple[int, int, bool, bool]:  # fmt: skip
    """xdiff's ``xdl_split``: the middle snake (forward and backward searches meet),
    or, past the cost limits, a good-enough split."""
    dmin, dmax = off1 - lim2, lim1 - off2
    fmid, bmid = off1 - off2, lim1 - lim2
    odd = (fmid - bmid) & 1
    fmin = fmax = fmid
    bmin = bmax = bmid
    kvdf: dict[int, int] = {fmid: off1}
    kvdb: dict[int, int] = {bmid: lim1}
    ec = 0
    while True:
        ec += 1
        got_snake = False
        if fmin > dmin:
            fmin -= 1
            kvdf[fmin - 1] = -1
        else:
            fmin += 1
        if fmax < dmax:
            fmax += 1
            kvdf[fmax + 1] = -1
        else:
            fmax -= 1
        for d in range(fmax, fmin - 1, -2):
            i1 = kvdf[d - 1] + 1 if kvdf[d - 1] >= kvdf[d + 1] else kvdf[d + 1]
            prev1 = i1
            i2 = i1 - d
            while i1 < lim1 and i2 < lim2 and ha1[i1] == ha2[i2]:
                i1 += 1
                i2 += 1
            if i1 - prev1 > XDL_SNAKE_CNT:
                got_snake = True
            kvdf[d] = i1
            if odd and bmin <= d <= bmax and kvdb[d] <= i1:
                return i1, i2, True, True
        if bmin > dmin:
            bmin -= 1
            kvdb[bmin - 1] = _BIG
        else:
            bmin += 1
        if bmax < dmax:
            bmax += 1
            kvdb[bmax + 1] = _BIG
        else:
            bmax -= 1
        for d in range(bmax, bmin - 1, -2):
            i1 = kvdb[d - 1] if kvdb[d - 1] < kvdb[d + 1] else kvdb[d + 1] - 1
            prev1 = i1
            i2 = i1 - d
            while i1 > off1 and i2 > off2 and ha1[i1 - 1] == ha2[i2 - 1]:
                i1 -= 1
                i2 -= 1
            if prev1 - i1 > XDL_SNAKE_CNT:
                got_snake = True
            kvdb[d] = i1
            if not odd and fmin <= d <= fmax and i1 <= kvdf[d]:
                return i1, i2, True, True
        if need_min:
            continue
        if got_snake and ec > XDL_HEUR_MIN_COST:
            best = 0
            spl = (0, 0)
            for d in range(fmax, fmin - 1, -2):
                dd = d - fmid if d > fmid else fmid - d
                i1 = kvdf[d]
                i2 = i1 - d
                v = (i1 - off1) + (i2 - off2) - dd
                if (v > XDL_K_HEUR * ec and v > best and off1 + XDL_SNAKE_CNT <= i1 < lim1
                        and off2 + XDL_SNAKE_CNT <= i2 < lim2):  # fmt: skip
                    k = 1
                    while ha1[i1 - k] == ha2[i2 - k]:
                        if k == XDL_SNAKE_CNT:
                            best = v
                            spl = (i1, i2)
                            break
                        k += 1
            if best > 0:
                return spl[0], spl[1], True, False
            best = 0
            for d in range(bmax, bmin - 1, -2):
                dd = d - bmid if d > bmid else bmid - d
                i1 = kvdb[d]
                i2 = i1 - d
                v = (lim1 - i1) + (lim2 - i2) - dd
                if (v > XDL_K_HEUR * ec and v > best and off1 < i1 <= lim1 - XDL_SNAKE_CNT
                        and off2 < i2 <= lim2 - XDL_SNAKE_CNT):  # fmt: skip
                    k = 0
                    while ha1[i1 + k] == ha2[i2 + k]:
                        if k == XDL_SNAKE_CNT - 1:
                            best = v
                            spl = (i1, i2)
                            break
                        k += 1
            if best > 0:
                return spl[0], spl[1], False, True
        if ec >= mxcost:
            fbest = fbest1 = -1
            for d in range(fmax, fmin - 1, -2):
                i1 = min(kvdf[d], lim1)
                i2 = i1 - d
                if lim2 < i2:
                    i1 = lim2 + d
                    i2 = lim2
                if fbest < i1 + i2:
                    fbest = i1 + i2
                    fbest1 = i1
            bbest = bbest1 = _BIG
            for d in range(bmax, bmin - 1, -2):
                i1 = max(off1, kvdb[d])
                i2 = i1 - d
                if i2 < off2:
                    i1 = off2 + d
                    i2 = off2
                if i1 + i2 < bbest:
                    bbest = i1 + i2
                    bbest1 = i1
            if (lim1 + lim2) - bbest < fbest - (off1 + off2):
                return fbest1, fbest - fbest1, True, False
            return bbest1, bbest - bbest1, False, True


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
