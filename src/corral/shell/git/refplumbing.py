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
