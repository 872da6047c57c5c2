"""Reading history: which commits ``log`` / ``rev-list`` show (``--author``,
``--committer``, ``--grep``, ``--since`` / ``--until``, ``--follow``), and
``rev-list``, ``shortlog`` and ``blame``."""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable

from dulwich.objects import Commit

from ..command import CommandContext
from . import diff as D
from .commands import LOG_FLAGS, LOG_VALUED, Opts, _reader, select_commits, sub
from .porcelain import State, format_date, quote_path, subject
from .repo import GitFatal, GitRepo, parse_date

# -- which commits -----------------------------------------------------------------------

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
          "month": 30 * 86400, "year": 365 * 86400}  # fmt: skip
_AGO = re.compile(r"(\d+)[\s.]*(second|minute|hour|day|week|month|year)s?(?:[\s.]+ago)?\.?",
                  re.IGNORECASE)  # fmt: skip


def approxidate(text: str, now: float | None = None) -> int:
    """``--since`` / ``--until``: a date git reads (ISO, RFC 2822, ``@EPOCH``), or
    ``N units ago`` / ``N.units``, ``yesterday``, ``today``, ``now``, ``last week``."""
    t = int(time.time() if now is None else now)
    s = text.strip().lower()
    if s in ("now", "today"):
        return t
    if s == "yesterday":
        return t - 86400
    m = re.fullmatch(r"last[\s.]+(second|minute|hour|day|week|month|year)", s)
    if m:
        return t - _UNITS[m.group(1)]
    total, pos = 0, 0
    for m in _AGO.finditer(s):
        if s[pos:m.start()].strip(" ,.") not in ("", "and"):
            break
        total += int(m.group(1)) * _UNITS[m.group(2).lower()]
        pos = m.end()
    else:
        if pos and not s[pos:].strip(" ,."):
            return t - total
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):  # a day: its start, in UTC
        y, mo, d = (int(x) for x in s.split("-"))
        return calendar.timegm((y, mo, d, 0, 0, 0, 0, 0, 0))
    try:
        return parse_date(text)[0]
    except GitFatal:
        raise GitFatal(f"invalid date '{text}' (corral's git reads dates, 'N days ago', "
                       "'yesterday')") from None  # fmt: skip


class CommitFilter:
    """``--author`` / ``--committer`` / ``--grep`` (regexes: basic by default, ``-E``,
    ``-F``, ``-i``; several of one kind: any; ``--all-match``: every ``--grep``;
    ``--invert-grep``), ``--since`` / ``--until`` (the committer date), merges."""

    def __init__(self, o: Opts) -> None:
        from ..builtins.grep_sed import RegexError, compile_posix

        icase = o.has("-i", "--regexp-ignore-case")
        fixed = o.has("-F", "--fixed-strings")
        extended = o.has("-E", "--extended-regexp")

        def comp(p: str) -> Callable[[str], bool]:
            if fixed:
                needle = p.lower() if icase else p
                return (lambda s: needle in s.lower()) if icase else (lambda s: needle in s)
            try:
                rx = compile_posix(p, extended, ignore_case=icase)
            except RegexError as e:
                raise GitFatal(f"command line, '{p}': {e}") from None
            return lambda s: rx.search(s) is not None

        self.authors = [comp(p) for p in o.all("--author")]
        self.committers = [comp(p) for p in o.all("--committer")]
        self.greps = [comp(p) for p in o.all("--grep")]
        self.all_match = o.has("--all-match")
        self.invert = o.has("--invert-grep")
        since = o.get("--since", "--after", "--since-as-filter")
        until = o.get("--until", "--before")
        self.since = approxidate(since) if since is not None else None
        self.until = approxidate(until) if until is not None else None
        self.merges = True if o.has("--merges") else False if o.has("--no-merges") else None
        self.active = bool(self.authors or self.committers or self.greps or since or until
                           or self.merges is not None)  # fmt: skip

    def keep(self, c: Commit) -> bool:
        if self.since is not None and c.commit_time < self.since:
            return False
        if self.until is not None and c.commit_time > self.until:
            return False
        if self.merges is not None and (len(c.parents) > 1) != self.merges:
            return False
        text = lambda b: b.decode("utf-8", "surrogateescape")  # noqa: E731
        if self.authors and not any(m(text(c.author)) for m in self.authors):
            return False
        if self.committers and not any(m(text(c.committer)) for m in self.committers):
            return False
        if self.greps:
            lines = text(c.message).split("\n")
            hits = [any(m(ln) for ln in lines) for m in self.greps]
            ok = all(hits) if self.all_match else any(hits)
            if ok == self.invert:
                return False
        return True


def follow(s: State, commits: list[Commit], path: bytes) -> list[Commit]:
    """``--follow PATH``: the commits that changed the file, through its renames."""
    out = []
    read = _reader(s)
    from .commands import _parent_tree

    for c in commits:
        chs = D.changes(s.items(_parent_tree(s, c)), s.items(c.tree), read=read)
        for ch in chs:
            if ch.path == path:
                out.append(c)
                if ch.old_path is not None:
                    path = ch.old_path
                break
    return out


# -- rev-list ------------------------------------------------------------------------------


@sub("rev-list")
def git_rev_list(ctx: CommandContext, args: list[str]) -> int:
    """usage: git rev-list [--count] [--all] [-n <n>] [--reverse] [--author=<p>]
       [--grep=<p>] [--since=<date>] [--until=<date>] <commit>... [--] [<path>...]"""
    o = Opts(args, LOG_FLAGS | {"--count"}, LOG_VALUED, numeric_n=True, revlist=True)
    if not o.operands and not o.has("--all"):
        raise GitFatal("usage: git rev-list [<options>] <commit>... [--] [<path>...]", 129, "")
    g = GitRepo.find(ctx)
    s = State(g)
    commits = select_commits(ctx, s, g, o)
    if o.has("--count"):
        ctx.out(f"{len(commits)}\n")
        return 0
    for c in commits:
        ctx.out(c.id.decode() + "\n")
    return 0


# -- shortlog -------------------------------------------------------------------------------


@sub("shortlog")
def git_shortlog(ctx: CommandContext, args: list[str]) -> int:
    """usage: git shortlog [-s | --summary] [-n | --numbered] [-e | --email]
       [-c | --committer] [<revision>...] [[--] <path>...]"""
    o = Opts(args, LOG_FLAGS | {"-s", "--summary", "-e", "--email", "-n", "--numbered",
                                "-c", "--committer"}, LOG_VALUED - {"--committer", "-n"},
             revlist=True)  # fmt: skip
    numbered = o.has("-n", "--numbered")
    g = GitRepo.find(ctx)
    s = State(g)
    groups: dict[str, list[str]] = {}
    by_committer = o.has("-c", "--committer")
    if not o.operands and not o.has("--all"):
        # as git without a revision and stdin not a terminal: a log read from stdin
        data = ctx.stdin.read() if ctx.stdin is not None else b""
        for who, subj in _parse_log(data.decode("utf-8", "surrogateescape"), o.has("-e")):
            groups.setdefault(who, []).append(subj)
    else:
        for c in select_commits(ctx, s, g, o):
            ident = (c.committer if by_committer else c.author).decode("utf-8", "surrogateescape")
            name, _, mail = ident.rpartition(" <")
            who = f"{name} <{mail}" if o.has("-e", "--email") else name
            groups.setdefault(who, []).insert(0, subject(c).decode("utf-8", "surrogateescape"))
    order = sorted(groups, key=lambda w: (-len(groups[w]), w) if numbered else (0, w))
    for who in order:
        if o.has("-s", "--summary"):
            ctx.out(f"{len(groups[who]):6d}\t{who}\n")
        else:
            ctx.out(f"{who} ({len(groups[who])}):\n"
                    + "".join(f"      {t}\n" for t in groups[who]) + "\n")  # fmt: skip
    return 0


def _parse_log(text: str, email: bool) -> list[tuple[str, str]]:
    """(author, subject) of each commit of a ``git log`` (default format) on stdin,
    oldest first as git's shortlog lists them."""
    out: list[tuple[str, str]] = []
    who: str | None = None
    want_subject = False
    for line in text.split("\n"):
        if line.startswith("commit "):
            who, want_subject = None, False
        elif line.startswith("Author: ") and who is None:
            ident = line[8:].strip()
            name, _, mail = ident.rpartition(" <")
            who = f"{name} <{mail}" if email and name else (name or ident)
        elif who is not None and line.startswith("    ") and not want_subject:
            out.append((who, line.strip()))
            want_subject = True
    out.reverse()
    return out


# -- blame -------------------------------------------------------------------------------------


@sub("blame")
def git_blame(ctx: CommandContext, args: list[str]) -> int:
    """usage: git blame [-s] [-e] [-l] [-L <start>,<end>] [<rev>] [--] <file>"""
    o = Opts(args, {"-s", "-e", "--show-email", "-l", "-f", "--show-name", "-n",
                    "--show-number", "--root", "-w"}, {"-L"})  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    operands = o.operands + (o.paths or [])
    rev: str | None = None
    if len(operands) == 2:
        rev, operands = operands[0], operands[1:]
    if len(operands) != 1:
        raise GitFatal("usage: git blame [<options>] [<rev>] [--] <file>", 129, "")
    from .commands import _path_arg

    path = _path_arg(g, s, operands[0])
    read = _reader(s)
    start = s.resolve(rev) if rev is not None else s.head()
    if start is None:
        raise GitFatal("no such ref: HEAD")
    at_start = _entry_at(s, s.commit(start).tree, path)
    if rev is None:
        st = s.wt.lstat(path)
        if st is None:
            raise GitFatal(f"no such path '{operands[0]}' in HEAD")
        data = s.wt.read_blob(path, st).as_raw_string()
    else:
        if at_start is None:
            raise GitFatal(f"no such path {operands[0]} in {rev}")
        data = read(at_start[1])
    lines = D.lines_of(data)
    # owner[i]: the commit a line comes from (None: not committed yet)
    owner: list[Commit | None] = [None] * len(lines)
    cur_lines, cur_map = lines, list(range(len(lines)))  # line in cur -> final line
    cur_sha = at_start[1] if at_start is not None else None
    boundary: set[bytes] = set()
    commit = s.commit(start)
    if rev is None and at_start is not None:  # the working file against HEAD's
        head_lines = D.lines_of(read(at_start[1]))
        cur_map = _carry(head_lines, cur_lines, cur_map)
        cur_lines = head_lines
    elif rev is None:
        cur_map, cur_lines = [], []
    final = path
    names: list[bytes] = [path] * len(lines)  # the path a line had in its commit
    while cur_lines and any(m is not None for m in cur_map):
        ctx.check()
        parent = s.commit(commit.parents[0]) if commit.parents and \
            commit.parents[0] in s.repo.object_store else None  # fmt: skip
        p_path = path
        p_entry = _entry_at(s, parent.tree, path) if parent is not None else None
        if parent is not None and p_entry is None:  # renamed in this commit?
            p_items = s.items(parent.tree)
            for ch in D.changes(p_items, s.items(commit.tree), read=read):
                if ch.path == path and ch.old_path is not None:
                    p_path, p_entry = ch.old_path, p_items[ch.old_path]
                    break
        if p_entry is not None and p_entry[1] == cur_sha:  # the file is as its parent's
            commit, path = parent, p_path  # type: ignore[assignment]
            continue
        p_lines = D.lines_of(read(p_entry[1])) if p_entry is not None else []
        carried = _carry(p_lines, cur_lines, cur_map) if p_lines else []
        kept = {m for m in carried if m is not None}
        for m in cur_map:
            if m is not None and m not in kept:
                owner[m], names[m] = commit, path
        if parent is None:
            boundary.add(commit.id)
            break
        commit, cur_lines, cur_map, path = parent, p_lines, carried, p_path
        cur_sha = p_entry[1] if p_entry is not None else None
    return _blame_out(ctx, o, lines, owner, boundary, names, final)


def _entry_at(s: State, tree_id: bytes, path: bytes) -> tuple[int, bytes] | None:
    """(mode, sha) of the blob at ``path`` in a tree (walking only its directories)."""
    from dulwich.objects import Tree

    sha = tree_id
    mode = 0o040000
    for part in path.split(b"/"):
        t = s.repo[sha]
        if not isinstance(t, Tree):
            return None
        try:
            mode, sha = t[part]
        except KeyError:
            return None
    return None if mode & 0o040000 and not mode & 0o100000 else (mode, sha)


def _carry(old: list[bytes], new: list[bytes], new_map: list[int | None]) -> list[int | None]:
    """For each line of ``old``: the final line it becomes (through the unchanged lines
    from ``old`` to ``new``), or None."""
    out: list[int | None] = [None] * len(old)
    for tag, i1, i2, j1, _j2 in D.opcodes(old, new):
        if tag == "equal":
            for k in range(i2 - i1):
                out[i1 + k] = new_map[j1 + k]
    return out


def _blame_out(ctx: CommandContext, o: Opts, lines: list[bytes], owner: list[Commit | None],
               boundary: set[bytes], names: list[bytes], final: bytes) -> int:  # fmt: skip
    n = len(lines)
    lo, hi = 1, n
    spec = o.get("-L")
    if spec is not None:
        m = re.fullmatch(r"(\d+)?,?(\+?\d+)?", spec)
        if m is None or not (m.group(1) or m.group(2)):
            raise GitFatal(f"invalid -L argument '{spec}'", 128)
        lo = int(m.group(1) or 1)
        if m.group(2):
            hi = lo + int(m.group(2)[1:]) - 1 if m.group(2).startswith("+") else int(m.group(2))
        if lo < 1 or lo > max(n, 1):
            raise GitFatal(f"file has only {n} line{'s' if n != 1 else ''}")
        hi = min(hi, n)
    now = int(time.time())
    email = o.has("-e", "--show-email")
    rows = []
    for i in range(lo - 1, hi):
        c = owner[i]
        if c is None:
            sha, who = "0" * 40, "<not.committed.yet>" if email else "Not Committed Yet"
            when = format_date(now, 0, "iso")
        else:
            sha = c.id.decode()
            ident = c.author.decode("utf-8", "surrogateescape")
            name, _, mail = ident.rpartition(" <")
            who = "<" + mail if email else name
            when = format_date(c.author_time, c.author_timezone, "iso")
        mark = "^" if c is not None and c.id in boundary and not o.has("--root") else ""
        short = sha if o.has("-l") else sha[: 8 - len(mark)]
        rows.append((mark + short, who, when, i + 1, lines[i], quote_path(names[i])))
    width = max((len(r[1]) for r in rows), default=0)
    numw = len(str(hi))
    # the file's name on each line once a line comes from another name (a rename)
    show_name = o.has("-f", "--show-name") or any(n != final for n in names)
    namew = max((len(r[5]) for r in rows), default=0)
    for sha, who, when, num, text, name in rows:
        if show_name:
            sha += f" {name:<{namew}}"
        head = f"{sha} {num:>{numw}}) " if o.has("-s") else \
            f"{sha} ({who:<{width}} {when} {num:>{numw}}) "  # fmt: skip
        body = text if text.endswith(b"\n") else text + b"\n"
        ctx.stdout.write(head.encode("utf-8", "surrogateescape") + body)
    return 0
