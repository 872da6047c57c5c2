"""git's diff output: ``diff --git`` patches with ``@@`` hunks (3 lines of
context, the function line git's default ``funcname`` rule finds), ``--stat`` and
``--name-only``/``--name-status``, and the summary lines of ``commit``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

ZERO = b"0" * 40
_FUNC = re.compile(rb"^[A-Za-z_$]")


@dataclass
class Change:
    """One path's change: ``old``/``new`` are (mode, sha) or None."""

    path: bytes
    old: tuple[int, bytes] | None
    new: tuple[int, bytes] | None
    #: the source of a rename (``path`` is where it went) and how similar (percent)
    old_path: bytes | None = None
    similarity: int = 100

    @property
    def status(self) -> str:
        if self.old_path is not None:
            return "R"
        if self.old is None:
            return "A"
        if self.new is None:
            return "D"
        return "M"


Items = dict[bytes, tuple[int, bytes]]


def changes(old: Items, new: Items, renames: bool = True,
            read: Callable[[bytes], bytes] | None = None) -> list[Change]:  # fmt: skip
    """What differs between two path -> (mode, sha) maps, with renames paired as git
    pairs them: the same blob deleted at one path and added at another, then (given
    ``read``) files at least 50 % alike by git's measure (``diffcore-delta``)."""
    out = []
    for p in sorted(set(old) | set(new)):
        a, b = old.get(p), new.get(p)
        if a != b:
            out.append(Change(p, a, b))
    if renames:
        out = _exact_renames(out)
        if read is not None:
            out = _similar_renames(out, read)
    return out


MAX_SCORE = 60000
MIN_SCORE = 30000  # git's default: 50 %
RENAME_LIMIT = 1000  # git's diff.renameLimit: sources x destinations past its square


def _spans(data: bytes) -> dict[int, int]:
    """git's ``hash_chars``: byte counts per hash of lines (cut at 64 bytes)."""
    out: dict[int, int] = {}
    text = not is_binary(data)
    a1 = a2 = n = 0
    size = len(data)
    i = 0
    while i < size:
        c = data[i]
        i += 1
        if text and c == 0x0D and i < size and data[i] == 0x0A:
            continue
        old1 = a1
        a1 = ((a1 << 7) ^ (a2 >> 25)) & 0xFFFFFFFF
        a2 = ((a2 << 7) ^ (old1 >> 25)) & 0xFFFFFFFF
        a1 = (a1 + c) & 0xFFFFFFFF
        n += 1
        if n < 64 and c != 0x0A:
            continue
        h = ((a1 + a2 * 0x61) & 0xFFFFFFFF) % 107927
        out[h] = out.get(h, 0) + n
        n = a1 = a2 = 0
    return out


def similarity_score(src: bytes, dst: bytes) -> int:
    """git's ``estimate_similarity`` (0..60000)."""
    max_size, base = max(len(src), len(dst)), min(len(src), len(dst))
    if max_size * (MAX_SCORE - MIN_SCORE) < (max_size - base) * MAX_SCORE:
        return 0
    if not dst:
        return 0
    hs, hd = _spans(src), _spans(dst)
    copied = 0
    for h, cnt in hs.items():
        copied += min(cnt, hd.get(h, 0))
    return copied * MAX_SCORE // max_size


def _similar_renames(chs: list[Change], read: Callable[[bytes], bytes]) -> list[Change]:
    gone = [ch for ch in chs if ch.new is None and ch.old is not None]
    added = [ch for ch in chs if ch.old is None and ch.new is not None]
    if not gone or not added or len(gone) * len(added) > RENAME_LIMIT * RENAME_LIMIT:
        return chs
    scored = []
    cache: dict[bytes, bytes] = {}

    def data(sha: bytes) -> bytes:
        if sha not in cache:
            cache[sha] = read(sha)
        return cache[sha]

    for di, dch in enumerate(added):
        for si, sch in enumerate(gone):
            if (sch.old[0] & 0o170000) != (dch.new[0] & 0o170000):  # type: ignore[index]
                continue  # a link never pairs with a file
            sc = similarity_score(data(sch.old[1]), data(dch.new[1]))  # type: ignore[index]
            if sc >= MIN_SCORE:
                scored.append((-sc, di, si, sc))
    if not scored:
        return chs
    scored.sort()
    used_src: set[int] = set()
    paired: dict[int, tuple[int, int]] = {}
    for _neg, di, si, sc in scored:
        if di in paired or si in used_src:
            continue
        paired[di] = (si, sc)
        used_src.add(si)
    gone_paths = {gone[si].path for si in used_src}
    out: list[Change] = []
    for ch in chs:
        if ch.new is None and ch.path in gone_paths:
            continue
        if ch.old is None and ch.new is not None:
            di = added.index(ch)
            if di in paired:
                si, sc = paired[di]
                src = gone[si]
                out.append(Change(ch.path, src.old, ch.new, old_path=src.path,
                                  similarity=sc * 100 // MAX_SCORE))  # fmt: skip
                continue
        out.append(ch)
    return out


def _exact_renames(chs: list[Change]) -> list[Change]:
    gone: dict[bytes, list[Change]] = {}
    for ch in chs:
        if ch.new is None and ch.old is not None:
            gone.setdefault(ch.old[1], []).append(ch)
    if not gone:
        return chs
    used: set[bytes] = set()
    out: list[Change] = []
    for ch in chs:
        if ch.old is None and ch.new is not None and gone.get(ch.new[1]):
            src = gone[ch.new[1]].pop(0)
            used.add(src.path)
            out.append(Change(ch.path, src.old, ch.new, old_path=src.path))
        else:
            out.append(ch)
    return [ch for ch in out if not (ch.new is None and ch.path in used)]


def pprint_rename(a: bytes, b: bytes) -> bytes:
    """git's ``a => b`` with the common directories factored out: ``d/{a => b}``."""
    la, lb = len(a), len(b)
    pfx = 0
    i = 0
    while i < la and i < lb and a[i] == b[i]:
        if a[i] == 0x2F:
            pfx = i + 1
        i += 1
    sa, sb = a + b"\0", b + b"\0"  # the C strings' terminators take part
    oi, ni = la, lb
    sfx = 0
    adj = 1 if pfx else 0
    while pfx - adj <= oi and pfx - adj <= ni and sa[oi] == sb[ni]:
        if sa[oi] == 0x2F:
            sfx = la - oi
        oi -= 1
        ni -= 1
        if oi < 0 or ni < 0:
            break
    am = max(0, la - pfx - sfx)
    bm = max(0, lb - pfx - sfx)
    out = b""
    if pfx + sfx:
        out += a[:pfx] + b"{"
    out += a[pfx:pfx + am] + b" => " + b[pfx:pfx + bm]
    if pfx + sfx:
        out += b"}" + a[la - sfx:]
    return out


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:8000]


def lines_of(data: bytes) -> list[bytes]:
    """Lines as git cuts them: at ``\\n`` only (a lone ``\\r`` stays in its line)."""
    parts = data.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


_lines = lines_of


def _range(start: int, length: int) -> str:
    if length == 1:
        return str(start + 1)
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def _funcname(a: list[bytes], before: int) -> bytes:
    for i in range(before - 1, -1, -1):
        if _FUNC.match(a[i]):
            return b" " + a[i].rstrip()[:80].rstrip()
    return b""


def hunks(a_data: bytes, b_data: bytes, context: int = 3) -> list[bytes]:
    """The ``@@`` hunks of a text diff, lines chosen as git's xdiff chooses them."""
    from .xdiff import changed

    a, b = _lines(a_data), _lines(b_data)
    ra, rb = changed(a, b)
    out: list[bytes] = []
    for i1, i2, j1, j2, ops in _groups(ra, rb, len(a), len(b), context):
        head = f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@".encode()
        out.append(head + _funcname(a, i1) + b"\n")
        for tag, x1, x2, y1, y2 in ops:
            if tag == "equal":
                out += [_line(b" ", ln) for ln in a[x1:x2]]
                continue
            out += [_line(b"-", ln) for ln in a[x1:x2]]
            out += [_line(b"+", ln) for ln in b[y1:y2]]
    return out


Op = tuple[str, int, int, int, int]


def opcodes(a: list[bytes], b: list[bytes]) -> list[Op]:
    """Runs of equal and changed lines between ``a`` and ``b``, as git's xdiff pairs them."""
    from .xdiff import changed

    ra, rb = changed(a, b)
    return _opcodes(ra, rb, len(a), len(b))


def _opcodes(ra: list[int], rb: list[int], n: int, m: int) -> list[Op]:
    """Runs of equal and changed lines from the per-line change flags."""
    ops: list[Op] = []
    i = j = 0
    while i < n or j < m:
        i0, j0 = i, j
        while i < n and j < m and not ra[i + 1] and not rb[j + 1]:
            i += 1
            j += 1
        if i > i0:
            ops.append(("equal", i0, i, j0, j))
        i0, j0 = i, j
        while i < n and ra[i + 1]:
            i += 1
        while j < m and rb[j + 1]:
            j += 1
        if i > i0 or j > j0:
            ops.append(("change", i0, i, j0, j))
        elif i == i0 and j == j0 and (i < n or j < m):
            break  # flags out of step: should not happen
    return ops


def _groups(ra: list[int], rb: list[int], n: int, m: int,
            context: int) -> list[tuple[int, int, int, int, list[Op]]]:  # fmt: skip
    """Hunks: changes with ``context`` equal lines around, merged when closer than
    twice that (as xdiff's ``xdl_get_hunk``)."""
    ops = _opcodes(ra, rb, n, m)
    out = []
    cur: list[Op] = []
    for op in ops:
        tag, i1, i2, j1, j2 = op
        if tag != "equal":
            cur.append(op)
            continue
        size = i2 - i1
        if not cur:  # leading context
            if size > context:
                op = (tag, i2 - context, i2, j2 - context, j2)
            cur.append(op)
            continue
        if size > 2 * context:
            cur.append((tag, i1, i1 + context, j1, j1 + context))
            out.append(cur)
            cur = [(tag, i2 - context, i2, j2 - context, j2)]
        else:
            cur.append(op)
    if cur and any(t != "equal" for t, *_ in cur):
        if cur[-1][0] == "equal" and cur[-1][2] - cur[-1][1] > context:
            t, i1, _i2, j1, _j2 = cur[-1]
            cur[-1] = (t, i1, i1 + context, j1, j1 + context)
        out.append(cur)
    result = []
    for g in out:
        g = [o for o in g if o[2] > o[1] or o[4] > o[3]]
        result.append((g[0][1], g[-1][2], g[0][3], g[-1][4], g))
    return result


def _line(mark: bytes, ln: bytes) -> bytes:
    if ln.endswith(b"\n"):
        return mark + ln
    return mark + ln + b"\n\\ No newline at end of file\n"


def counts(a_data: bytes, b_data: bytes) -> tuple[int, int]:
    """(insertions, deletions) of a text change."""
    from .xdiff import changed

    a, b = _lines(a_data), _lines(b_data)
    ra, rb = changed(a, b)
    return sum(rb), sum(ra)


def _q(name: bytes) -> bytes:
    from .porcelain import quote_path

    return quote_path(name).encode("utf-8", "surrogateescape")


def short(sha: bytes) -> str:
    return sha[:7].decode()


Reader = Callable[[bytes], bytes]


def patch(ch: Change, read: Reader, src: bytes = b"a/", dst: bytes = b"b/",
          words: str | None = None) -> bytes:  # fmt: skip
    """The ``diff --git`` text of one change; ``read(sha)`` gives a blob's data; with
    ``words`` ("plain", "porcelain") the hunks in ``--word-diff`` form."""
    p = ch.path
    op = ch.old_path if ch.old_path is not None else p
    out = [b"diff --git " + _q(src + op) + b" " + _q(dst + p) + b"\n"]
    if ch.old_path is not None and ch.old is not None and ch.new is not None:
        if ch.old[0] != ch.new[0]:
            out.append(f"old mode {ch.old[0]:06o}\nnew mode {ch.new[0]:06o}\n".encode())
        out.append(f"similarity index {ch.similarity}%\n".encode() + b"rename from "
                   + _q(op) + b"\nrename to " + _q(p) + b"\n")  # fmt: skip
        if ch.old[1] == ch.new[1]:
            return b"".join(out)
        out.append(f"index {short(ch.old[1])}..{short(ch.new[1])}".encode()
                   + (f" {ch.new[0]:06o}".encode() if ch.old[0] == ch.new[0] else b"")
                   + b"\n")  # fmt: skip
        a_data, b_data = read(ch.old[1]), read(ch.new[1])
        if is_binary(a_data) or is_binary(b_data):
            out.append(b"Binary files " + _q(src + op) + b" and " + _q(dst + p) + b" differ\n")
            return b"".join(out)
        tab_a = b"\t" if b" " in op else b""
        tab_b = b"\t" if b" " in p else b""
        out.append(b"--- " + _q(src + op) + tab_a + b"\n+++ " + _q(dst + p) + tab_b + b"\n")
        out += _worded(hunks(a_data, b_data), words)
        return b"".join(out)
    old_sha = ch.old[1] if ch.old else ZERO
    new_sha = ch.new[1] if ch.new else ZERO
    if ch.old is None:
        out.append(f"new file mode {ch.new[0]:06o}\n".encode())  # type: ignore[index]
        out.append(f"index {short(old_sha)}..{short(new_sha)}\n".encode())
    elif ch.new is None:
        out.append(f"deleted file mode {ch.old[0]:06o}\n".encode())
        out.append(f"index {short(old_sha)}..{short(new_sha)}\n".encode())
    else:
        if ch.old[0] != ch.new[0]:
            out.append(f"old mode {ch.old[0]:06o}\nnew mode {ch.new[0]:06o}\n".encode())
        if old_sha == new_sha:
            return b"".join(out)
        mode = f" {ch.new[0]:06o}" if ch.old[0] == ch.new[0] else ""
        out.append(f"index {short(old_sha)}..{short(new_sha)}{mode}\n".encode())
    a_data = read(old_sha) if ch.old else b""
    b_data = read(new_sha) if ch.new else b""
    a_name = _q(src + p) if ch.old else b"/dev/null"
    b_name = _q(dst + p) if ch.new else b"/dev/null"
    if is_binary(a_data) or is_binary(b_data):
        out.append(b"Binary files " + a_name + b" and " + b_name + b" differ\n")
        return b"".join(out)
    hs = hunks(a_data, b_data)
    if hs:
        tab = b"\t" if b" " in p else b""
        a_tab = tab if ch.old else b""
        b_tab = tab if ch.new else b""
        out.append(b"--- " + a_name + a_tab + b"\n+++ " + b_name + b_tab + b"\n")
        out += _worded(hs, words)
    return b"".join(out)


def _worded(lines: list[bytes], words: str | None) -> list[bytes]:
    if words is None:
        return lines
    from .worddiff import render

    return render(lines, words)


@dataclass
class Stat:
    path: bytes
    ins: int
    dele: int
    binary: tuple[int, int] | None = None  # old, new sizes
    old_path: bytes | None = None


def stats(chs: list[Change], read: Reader) -> list[Stat]:
    out = []
    for ch in chs:
        a = read(ch.old[1]) if ch.old else b""
        b = read(ch.new[1]) if ch.new else b""
        if is_binary(a) or is_binary(b):
            out.append(Stat(ch.path, 0, 0, (len(a), len(b)), ch.old_path))
        else:
            out.append(Stat(ch.path, *counts(a, b), old_path=ch.old_path))
    return out


def summary_line(sts: list[Stat]) -> str:
    n = len(sts)
    ins = sum(s.ins for s in sts)
    dele = sum(s.dele for s in sts)
    text = f" {n} file{'s' if n != 1 else ''} changed"
    if ins or not dele:
        text += f", {ins} insertion{'s' if ins != 1 else ''}(+)"
    if dele or not ins:
        text += f", {dele} deletion{'s' if dele != 1 else ''}(-)"
    return text + "\n"


def stat_block(sts: list[Stat], width: int = 80) -> str:
    """``--stat``: one line a file and the summary."""
    if not sts:
        return ""
    names = [(pprint_rename(s.old_path, s.path) if s.old_path is not None else s.path)
             .decode("utf-8", "surrogateescape") for s in sts]  # fmt: skip
    name_w = max(len(n) for n in names)
    totals = [s.ins + s.dele for s in sts]
    max_change = max(totals)
    num_w = max(len(str(max_change)), 3 if any(s.binary for s in sts) else 0)
    graph_w = width - name_w - num_w - 6
    if graph_w < 6:
        graph_w = 6
    lines = []
    for s, name, total in zip(sts, names, totals, strict=True):
        if s.binary is not None:
            lines.append(f" {name:<{name_w}} | {'Bin':>{num_w}} {s.binary[0]} -> "
                         f"{s.binary[1]} bytes\n")  # fmt: skip
            continue
        add, rem = s.ins, s.dele
        if max_change > graph_w:
            add = _scale(add, max_change, graph_w)
            rem = _scale(rem, max_change, graph_w)
        graph = "+" * add + "-" * rem
        lines.append(f" {name:<{name_w}} | {total:>{num_w}}{' ' + graph if graph else ''}\n")
    return "".join(lines) + summary_line(sts)


def _scale(n: int, total: int, width: int) -> int:
    if not n:
        return 0
    return 1 + (n * (width - 1)) // total
