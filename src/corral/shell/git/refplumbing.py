"""Read-only plumbing over refs and ancestry: ``show-ref`` and ``merge-base``, with
git's output, statuses and messages."""

from __future__ import annotations

from dulwich.objects import Tag

from ..command import CommandContext
from .commands import Opts, sub
from .porcelain import State
from .repo import GitFatal, GitRepo

#: an annotated tag's chain of tags is peeled at most this deep (git stops too)
_MAX_PEEL = 64


def _peeled(s: State, sha: bytes) -> bytes | None:
    """The object an annotated tag (chain) points at; None when ``sha`` is no tag."""
    obj = s.repo[sha]
    if not isinstance(obj, Tag):
        return None
    for _ in range(_MAX_PEEL):
        sha = obj.object[1]
        obj = s.repo[sha]
        if not isinstance(obj, Tag):
            return sha
    raise GitFatal(f"tag chain too deep at {sha.decode()}")


def _matches(ref: str, patterns: list[str]) -> bool:
    """git's show-ref pattern: the ref's name, or its tail in whole components."""
    return not patterns or any(ref == p or ref.endswith("/" + p) for p in patterns)


@sub("show-ref")
def git_show_ref(ctx: CommandContext, args: list[str]) -> int:
    """usage: git show-ref [-q | --quiet] [--head] [-d | --dereference] [-s | --hash[=<n>]]
                    [--abbrev[=<n>]] [--tags] [--heads] [--] [<pattern>...]
   or: git show-ref --verify [-q | --quiet] [-d | --dereference] [-s | --hash[=<n>]]
                    [--] [<ref>...]"""
    o = Opts(args, {"-q", "--quiet", "--head", "-d", "--dereference", "-s", "--hash",
                    "--tags", "--heads", "--verify", "--abbrev"}, set())  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    quiet = o.has("-q", "--quiet")
    hash_only = o.has("-s", "--hash")
    deref = o.has("-d", "--dereference")
    width = 7 if o.has("--abbrev") else 40
    patterns = o.operands + (o.paths or [])
    refs = s.repo.refs.as_dict()
    names: list[str] = []
    if o.has("--verify"):
        for p in patterns:
            b = p.encode("utf-8", "surrogateescape")
            if not (p == "HEAD" or p.startswith("refs/")) or b not in refs:
                if quiet:
                    return 1
                raise GitFatal(f"'{p}' - not a valid ref")
            names.append(p)
        if not patterns:
            raise GitFatal("--verify requires a reference")
    else:
        kinds = [k for k, flag in (("refs/tags/", "--tags"), ("refs/heads/", "--heads"))
                 if o.has(flag)]  # fmt: skip
        for b in sorted(refs):
            name = b.decode("utf-8", "surrogateescape")
            if name == "HEAD":
                if o.has("--head"):
                    names.append(name)
                continue
            if kinds and not name.startswith(tuple(kinds)):
                continue
            if _matches(name, patterns):
                names.append(name)
    if not names:
        return 1
    if quiet:
        return 0
    lines: list[str] = []
    for name in names:
        ctx.check()
        sha = refs[name.encode("utf-8", "surrogateescape")]
        hexid = sha.decode()[:width]
        lines.append(hexid if hash_only else f"{hexid} {name}")
        if deref:
            peeled = _peeled(s, sha)
            if peeled is not None:
                pid = peeled.decode()[:width]
                lines.append(pid if hash_only else f"{pid} {name}^{{}}")
    ctx.out("".join(line + "\n" for line in lines))
    return 0


@sub("merge-base")
def git_merge_base(ctx: CommandContext, args: list[str]) -> int:
    """usage: git merge-base [-a | --all] <commit> <commit>...
   or: git merge-base --is-ancestor <commit> <commit>"""
    from dulwich.graph import find_merge_base

    o = Opts(args, {"-a", "--all", "--is-ancestor"}, set())
    revs = o.operands + (o.paths or [])
    ancestor = o.has("--is-ancestor")
    if len(revs) < 2 or (ancestor and len(revs) != 2):
        raise GitFatal(git_merge_base.__doc__ or "", 129, "")
    g = GitRepo.find(ctx)
    s = State(g)
    shas: list[bytes] = []
    for r in revs:
        sha = s.try_resolve(r)
        if sha is None:
            raise GitFatal(f"Not a valid object name {r}")
        shas.append(sha)
    ctx.check()
    bases = find_merge_base(s.repo, shas)
    if ancestor:
        return 0 if shas[0] in bases else 1
    if not bases:
        return 1
    picked = sorted(bases) if o.has("-a", "--all") else [bases[0]]
    ctx.out("".join(b.decode() + "\n" for b in picked))
    return 0


_FER_DEFAULT = "%(objectname) %(objecttype)\t%(refname)"
_FER_DATES = ("authordate", "committerdate", "taggerdate", "creatordate")
_FER_FIELDS = frozenset({
    "refname", "objectname", "objecttype", "subject", "contents:subject", "authorname",
    "authoremail", "committername", "committeremail", "taggername", "taggeremail", "HEAD",
    "upstream", *_FER_DATES,
})  # fmt: skip


def _fer_parse(fmt: str) -> list[tuple[bool, str]]:
    """A for-each-ref format as (is_atom, text) pieces; unknown atoms are git's fatal."""
    out: list[tuple[bool, str]] = []
    i, n = 0, len(fmt)
    while i < n:
        if fmt.startswith("%%", i):
            out.append((False, "%"))
            i += 2
        elif fmt.startswith("%(", i):
            j = fmt.find(")", i)
            if j < 0:
                raise GitFatal(f"malformed format string {fmt[i:]}")
            atom = fmt[i + 2 : j]
            name = atom.lstrip("*").split(":", 1)[0]
            base = "contents:subject" if atom.lstrip("*").startswith("contents:subject") else name
            if base not in _FER_FIELDS:
                raise GitFatal(f"unknown field name: {atom}")
            out.append((True, atom))
            i = j + 1
        else:
            j = fmt.find("%", i + 1)
            j = n if j < 0 else j
            out.append((False, fmt[i:j]))
            i = j
    return out


def _fer_value(s: State, name: str, sha: bytes, atom: str, head: str | None) -> str | int:
    """One atom's value for the ref ``name`` at ``sha`` (a date atom ending in
    ``:raw-sort``: its timestamp, for sorting)."""
    from .porcelain import format_date, subject

    deref = atom.startswith("*")
    key, _, mod = atom.lstrip("*").partition(":")
    if key == "contents":
        key, mod = "subject", ""
    if key == "refname":
        if deref:
            return ""
        if mod == "short":
            for pre in ("refs/heads/", "refs/tags/", "refs/remotes/"):
                if name.startswith(pre):
                    return name[len(pre):]
            return name
        if mod.startswith("lstrip=") and mod[7:].lstrip("-").isdigit():
            parts = name.split("/")
            k = int(mod[7:])
            return "/".join(parts[k:])
        return name
    if key == "HEAD":
        return "*" if head is not None and name == "refs/heads/" + head else " "
    if key == "upstream":
        return ""
    obj = s.repo[sha]
    if deref:
        peeled = _peeled(s, sha)
        if peeled is None:
            return ""
        sha, obj = peeled, s.repo[peeled]
    if key == "objectname":
        return sha.decode()[:7] if mod == "short" else sha.decode()
    if key == "objecttype":
        return obj.type_name.decode()
    is_tag = isinstance(obj, Tag)
    if key == "subject":
        if is_tag:
            return obj.message.split(b"\n", 1)[0].decode("utf-8", "replace")
        return subject(obj).decode("utf-8", "replace")  # type: ignore[arg-type]
    who, what = (key[:-4], "date") if key.endswith("date") else (key[:-4], key[-4:])
    if key.endswith("email"):
        who, what = key[:-5], "email"
    if who == "creator":
        who = "tagger" if is_tag else "committer"
    if is_tag != (who == "tagger"):
        return ""
    ident = (obj.tagger if is_tag else obj.author if who == "author" else obj.committer)
    if what == "date":
        when, tz = ((obj.tag_time, obj.tag_timezone) if is_tag else
                    (obj.author_time, obj.author_timezone) if who == "author" else
                    (obj.commit_time, obj.commit_timezone))  # fmt: skip
        if mod == "raw-sort":
            return int(when)
        return format_date(int(when), int(tz), mod or "default")
    text = ident.decode("utf-8", "replace")
    name_part, _, mail = text.partition(" <")
    return name_part if what == "name" else "<" + mail


@sub("for-each-ref")
def git_for_each_ref(ctx: CommandContext, args: list[str]) -> int:
    """usage: git for-each-ref [--count=<count>] [--sort=<key>]... [--format=<format>]
                         [<pattern>...]"""
    import fnmatch

    o = Opts(args, set(), {"--format", "--sort", "--count"})
    fmt = _fer_parse(o.get("--format") or _FER_DEFAULT)
    count_s = o.get("--count")
    if count_s is not None and not count_s.isdigit():
        raise GitFatal("option `count' expects a numerical value", 129, "error: ")
    sorts = o.values.get("--sort") or ["refname"]
    for key in sorts:
        _fer_parse(f"%({key.lstrip('-')})")
    g = GitRepo.find(ctx)
    s = State(g)
    head = s.branch()
    patterns = o.operands + (o.paths or [])
    refs = s.repo.refs.as_dict()
    rows: list[tuple[str, bytes]] = []
    for b in refs:
        name = b.decode("utf-8", "surrogateescape")
        if name == "HEAD" or not name.startswith("refs/"):
            continue
        if patterns and not any(
            name == p or name.startswith(p.rstrip("/") + "/") or fnmatch.fnmatchcase(name, p)
            for p in patterns
        ):
            continue
        rows.append((name, refs[b]))
    rows.sort()
    for key in sorts:  # git: the last --sort is the main key (stable sorts, in order)
        atom = key.lstrip("-")
        dated = atom.split(":", 1)[0] in _FER_DATES
        if dated:  # by the timestamp; an object without that date sorts as 0
            atom = atom.split(":", 1)[0] + ":raw-sort"
        values = {name: _fer_value(s, name, sha, atom, head) or (0 if dated else "")
                  for name, sha in rows}  # fmt: skip
        rows.sort(key=lambda r: (isinstance(values[r[0]], str), values[r[0]]),
                  reverse=key.startswith("-"))  # fmt: skip
    if count_s is not None:
        rows = rows[: int(count_s)]
    out: list[str] = []
    for name, sha in rows:
        ctx.check()
        out.append("".join(str(_fer_value(s, name, sha, t, head)) if atom else t
                           for atom, t in fmt) + "\n")  # fmt: skip
    ctx.out("".join(out))
    return 0
