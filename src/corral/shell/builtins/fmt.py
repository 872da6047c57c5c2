"""``fmt``: GNU fmt's paragraph filling, a port of coreutils' ``fmt.c``.

Lines are filled by fmt's dynamic program (``fmt_paragraph``): every break is
costed by how far the line falls short of the goal width (93 % of the maximum),
how ragged it is against the next line, and bonuses and penalties for breaking
after a sentence end, punctuation, before an opening parenthesis, widows and
orphans; the cheapest set of breaks wins, as in GNU. Input tabs count to columns
of 8; a word ending a sentence (``.?!`` then closing marks, at a line's end or
before two spaces) is followed by two spaces, other spacing inside a line is
kept (``-u``: one space, two after a sentence). A paragraph is a run of
non-blank lines of the same indentation (``-c``: the second line's indentation
goes for the rest, ``-t``: the first line's differs from the rest, ``-s``: lines
are only split, never joined); blank lines are kept.

Bounded: words of a paragraph are costed at most ``max_width`` columns ahead (a
line holds at most as many words as fit), so the work is linear in the input
times the width; the width is at most 2,500 (GNU's limit too).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..command import CommandContext, CommandError, command
from ..limits import max_string

TABWIDTH = 8
LEEWAY = 7
MAXCHARS = 5000
MAXWORDS = 1000


def _equiv(n: int) -> int:
    return n * n


SENTENCE_BONUS = _equiv(50)
NOBREAK_COST = _equiv(600)
PAREN_BONUS = _equiv(40)
PUNCT_BONUS = _equiv(40)
LINE_COST = _equiv(70)
MAXCOST = 1 << 62


def _short_cost(n: int) -> int:
    return _equiv(n * 10)


def _ragged_cost(n: int) -> int:
    return _short_cost(n) // 2


def _widow_cost(n: int) -> int:
    return _equiv(200) // (n + 2)


def _orphan_cost(n: int) -> int:
    return _equiv(150) // (n + 2)


@dataclass
class Word:
    text: str
    length: int
    space: int = 1
    paren: bool = False
    period: bool = False
    punct: bool = False
    final: bool = False
    best_cost: int = 0
    next_break: int = 0
    line_length: int = 0


_OPEN = "([`'\""
_CLOSE = ")]'\""
_PERIOD = ".?!"
_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


@dataclass
class Line:
    indent: int
    words: list[tuple[str, int]]  # (text, columns of blank after it; -1 at the line's end)
    blank: bool


def _scan(line: str) -> Line:
    col = 0
    i, n = 0, len(line)
    while i < n and line[i] in " \t":
        col = (col // TABWIDTH + 1) * TABWIDTH if line[i] == "\t" else col + 1
        i += 1
    indent = col
    words: list[tuple[str, int]] = []
    while i < n:
        j = i
        while j < n and line[j] not in " \t":
            j += 1
        text = line[i:j]
        col += len(text)
        start = col
        while j < n and line[j] in " \t":
            col = (col // TABWIDTH + 1) * TABWIDTH if line[j] == "\t" else col + 1
            j += 1
        words.append((text, col - start if j < n else -1))
        i = j
    return Line(indent, words, not words)


def _make_word(text: str, space: int, uniform: bool) -> Word:
    w = Word(text, len(text))
    w.paren = text[0] in _OPEN
    w.punct = text[-1] in _PUNCT
    k = len(text) - 1
    while k > 0 and text[k] in _CLOSE:
        k -= 1
    w.period = text[k] in _PERIOD
    at_end = space < 0
    w.space = max(space, 0)
    w.final = w.period and (at_end or w.space > 1)
    if at_end or uniform:
        w.space = 2 if w.final else 1
    return w


class Formatter:
    def __init__(self, max_width: int, goal_width: int, uniform: bool, tabs_out: bool) -> None:
        self.max_width = max_width
        self.goal_width = goal_width
        self.uniform = uniform
        self.tabs = tabs_out
        self.last_line_length = 0
        self.out: list[str] = []

    def paragraph(self, words: list[Word], first_indent: int, other_indent: int) -> None:
        if not words:
            return
        words[-1].period = words[-1].final = True  # as get_paragraph marks the last word
        self.first_indent, self.other_indent = first_indent, other_indent
        self.last_line_length = 0  # GNU: get_paragraph starts each paragraph afresh
        # GNU holds at most MAXWORDS - 2 words or MAXCHARS characters of a paragraph:
        # past that it fills what it has and writes it up to a cheap break
        buf: list[Word] = []
        chars = 0
        for w in words:
            if buf and (len(buf) == MAXWORDS - 2 or chars + w.length > MAXCHARS):
                buf = self._flush(buf)
                chars = sum(x.length for x in buf)
            buf.append(w)
            chars += w.length
        self._fill(buf)
        self._put(buf, len(buf) - 1)
        buf.pop()

    def _flush(self, buf: list[Word]) -> list[Word]:
        """GNU's flush_paragraph: the lines up to the cheapest break near the end are
        written; the words after it are what is kept."""
        self._fill(buf)
        limit = len(buf) - 1
        split, best = limit, MAXCOST
        w = buf[0].next_break
        while w != limit:
            cost = buf[w].best_cost - buf[buf[w].next_break].best_cost
            if cost < best:
                split, best = w, cost
            if best <= MAXCOST - LINE_COST:
                best += LINE_COST
            w = buf[w].next_break
        self._put(buf, split)
        return buf[split:limit]

    def _base_cost(self, words: list[Word], k: int) -> int:
        cost = LINE_COST
        this = words[k]
        if k > 0:
            prev = words[k - 1]
            if prev.period:
                cost += -SENTENCE_BONUS if prev.final else NOBREAK_COST
            elif prev.punct:
                cost -= PUNCT_BONUS
            elif k > 1 and words[k - 2].final:
                cost += _widow_cost(prev.length)
        if this.paren:
            cost -= PAREN_BONUS
        elif this.final:
            cost += _orphan_cost(this.length)
        return cost

    def _line_cost(self, words: list[Word], nxt: int, length: int) -> int:
        limit = len(words) - 1  # the sentinel
        if nxt == limit:
            return 0
        cost = _short_cost(self.goal_width - length)
        if words[nxt].next_break != limit:
            cost += _ragged_cost(length - words[nxt].line_length)
        return cost

    def _fill(self, words: list[Word]) -> None:
        words.append(Word("", self.max_width))  # the sentinel
        limit = len(words) - 1
        words[limit].best_cost = 0
        for start in range(limit - 1, -1, -1):
            best = MAXCOST
            length = self.first_indent if start == 0 else self.other_indent
            w = start
            length += words[w].length
            while True:
                w += 1
                wcost = self._line_cost(words, w, length) + words[w].best_cost
                if start == 0 and self.last_line_length > 0:
                    wcost += _ragged_cost(length - self.last_line_length)
                if wcost < best:
                    best = wcost
                    words[start].next_break = w
                    words[start].line_length = length
                if w == limit:
                    break
                length += words[w - 1].space + words[w].length
                if length >= self.max_width:
                    break
            words[start].best_cost = best + self._base_cost(words, start)

    def _put(self, words: list[Word], finish: int) -> None:
        """The lines from the first word up to word ``finish``."""
        k = 0
        indent = self.first_indent
        while k != finish:
            end = words[k].next_break
            col = 0
            parts: list[str] = []
            col = self._space(parts, col, indent)
            for j in range(k, end):
                parts.append(words[j].text)
                col += words[j].length
                if j != end - 1:
                    col = self._space(parts, col, words[j].space)
            self.last_line_length = col
            self.out.append("".join(parts) + "\n")
            k = end
            indent = self.other_indent

    def _space(self, parts: list[str], col: int, space: int) -> int:
        target = col + space
        if self.tabs:
            tab_target = target // TABWIDTH * TABWIDTH
            if col + 1 < tab_target:
                while col < tab_target:
                    parts.append("\t")
                    col = (col // TABWIDTH + 1) * TABWIDTH
        if target > col:
            parts.append(" " * (target - col))
            col = target
        return col


def format_text(
    text: str, max_width: int, goal_width: int, uniform: bool, mode: str
) -> str:
    """``text`` filled as GNU fmt fills it (``mode``: ``""``, ``"split"``, ``"crown"``,
    ``"tagged"``)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    scanned = [_scan(ln) for ln in lines]
    f = Formatter(max_width, goal_width, uniform, False)
    i, n = 0, len(scanned)
    other = 0  # GNU keeps it from one paragraph to the next (-t uses that)
    while i < n:
        ln = scanned[i]
        if ln.blank:
            f.out.append("\n")
            i += 1
            continue
        first = ln.indent
        para = [ln]
        i += 1
        same = mode != "split" and i < n and not scanned[i].blank
        nxt_indent = scanned[i].indent if same else -1
        # set_other_indent
        if mode == "crown":
            other = nxt_indent if same else first
        elif mode == "tagged":
            if same and nxt_indent != first:
                other = nxt_indent
            elif other == first:
                other = 3 if first == 0 else 0
        else:
            other = first
        # the rest of the paragraph
        if mode == "split":
            pass
        elif mode in ("crown", "tagged"):
            if same and (mode == "crown" or nxt_indent != first):
                para.append(scanned[i])
                i += 1
                while i < n and not scanned[i].blank and scanned[i].indent == other:
                    para.append(scanned[i])
                    i += 1
        else:
            while i < n and not scanned[i].blank and scanned[i].indent == other:
                para.append(scanned[i])
                i += 1
        # GNU writes tabs once it has read one: in this paragraph's lines or in the
        # leading blanks of the line after it (read ahead to end the paragraph)
        ahead = lines[i][: len(lines[i]) - len(lines[i].lstrip(" \t"))] if i < n else ""
        if not f.tabs and ("\t" in ahead or any("\t" in lines[j] for j in range(i - len(para), i))):
            f.tabs = True
        words = [
            _make_word(t, sp, uniform) for line in para for (t, sp) in line.words
        ]
        f.paragraph(words, first, other)
    return "".join(f.out)


@command("fmt")
def fmt_cmd(ctx: CommandContext) -> int:
    """Usage: fmt [-WIDTH] [OPTION]... [FILE]...
Reformat each paragraph in the FILE(s), writing to standard output (GNU fmt's
line breaking). -w WIDTH (75), -g GOAL (93% of WIDTH), -u uniform spacing,
-s split long lines only, -c crown margin, -t tagged paragraph."""
    width: int | None = None
    goal: int | None = None
    uniform = False
    mode = ""
    files: list[str] = []
    args = list(ctx.args)
    k = 0

    def num(v: str, what: str) -> int:
        if not v.isdigit() or int(v) > 2500:
            raise CommandError(f"invalid {what}: '{v}'", 1)
        return int(v)

    while k < len(args):
        a = args[k]
        if a == "--":
            files.extend(args[k + 1 :])
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            if name in ("width", "goal"):
                if not eq:
                    k += 1
                    if k >= len(args):
                        raise CommandError(f"option '--{name}' requires an argument", 1)
                    val = args[k]
                if name == "width":
                    width = num(val, "width")
                else:
                    goal = num(val, "width")
            elif name == "uniform-spacing":
                uniform = True
            elif name == "split-only":
                mode = "split"
            elif name == "crown-margin":
                mode = "crown"
            elif name == "tagged-paragraph":
                mode = "tagged"
            else:
                raise CommandError(f"unrecognized option '{a}'", 1)
        elif a.startswith("-") and len(a) > 1:
            if a[1:].isdigit():
                width = num(a[1:], "width")
            else:
                j = 1
                while j < len(a):
                    c = a[j]
                    if c in "wgp":
                        val = a[j + 1 :]
                        if not val:
                            k += 1
                            if k >= len(args):
                                raise CommandError(f"option requires an argument -- '{c}'", 1)
                            val = args[k]
                        if c == "p":
                            raise CommandError("-p (prefix) is not supported here", 1)
                        if c == "w":
                            width = num(val, "width")
                        else:
                            goal = num(val, "width")
                        break
                    if c == "u":
                        uniform = True
                    elif c == "s":
                        mode = "split"
                    elif c == "c":
                        mode = "crown"
                    elif c == "t":
                        mode = "tagged"
                    else:
                        raise CommandError(f"invalid option -- '{c}'", 1)
                    j += 1
        else:
            files.append(a)
        k += 1
    max_width = width if width is not None else (goal + 10 if goal is not None else 75)
    if goal is None:
        goal = max_width * (2 * (100 - LEEWAY) + 1) // 200
    if goal > max_width:
        raise CommandError("GOAL cannot be greater than WIDTH.", 1)
    limit = max_string(ctx.ws.budget)
    status = 0
    for name in files or ["-"]:
        ctx.check()
        try:
            with ctx.open_read(name) as fh:
                data = fh.read(limit + 1)
        except CommandError as e:
            ctx.err(str(e))
            status = 1
            continue
        if len(data) > limit:
            raise CommandError(f"{name}: too large (over {limit} bytes)", 1)
        text = data.decode("utf-8", "surrogateescape")
        ctx.out(format_text(text, max_width, goal, uniform, mode))
    return status
