"""``git stash`` and ``git apply``."""

from __future__ import annotations

from dulwich.objects import Commit

from ..command import CommandContext
from .commands import Opts, _long_status, _reset_index_path, sub
from .porcelain import State, subject
from .repo import GitFatal, GitRepo

STASH = b"refs/stash"


def _stash_entries(s: State) -> list[tuple[bytes, bytes]]:
    """(sha, message) of ``stash@{0}``, ``stash@{1}``, … (newest first)."""
    from dulwich.reflog import read_reflog

    path = s.g.gitdir / "logs" / "refs" / "stash"
    from .. import hostfs

    if not hostfs.lexists(s.g.ctx.ws, path):
        return []
    with hostfs.open_read(s.g.ctx.ws, path) as f:
        entries = list(read_reflog(f))
    return [(e.new_sha, e.message) for e in reversed(entries)]


def _write_stash_log(s: State, entries: list[tuple[bytes, bytes]]) -> None:
    """Rewrite the stash reflog (newest first in ``entries``) and ``refs/stash``."""
    from dulwich.reflog import format_reflog_line

    who = s.g.ident("COMMITTER")
    lines = []
    prev = b"0" * 40
    for sha, msg in reversed(entries):
        lines.append(format_reflog_line(prev, sha, who.raw(), who.when, who.tz, msg) + b"\n")
        prev = sha
    path = s.g.gitdir / "logs" / "refs" / "stash"
    if entries:
        s.repo.refs.set_if_equals(STASH, None, entries[0][0])
        from dulwich.file import GitFile

        (s.g.gitdir / "logs" / "refs").mkdir(parents=True, exist_ok=True)
        with GitFile(str(path), "wb") as f:
            f.write(b"".join(lines))
    else:
        s.repo.refs.remove_if_equals(STASH, None)
        path.unlink(missing_ok=True)


def _pick(s: State, ops: list[str]) -> int:
    entries = _stash_entries(s)
    if not entries:
        raise GitFatal("No stash entries found.", 1, "")
    n = 0
    if ops:
        spec = ops[0]
        if spec.isdigit():
            n = int(spec)
        elif spec.startswith("stash@{") and spec.endswith("}") and spec[7:-1].isdigit():
            n = int(spec[7:-1])
        else:
            raise GitFatal(f"'{spec}' is not a stash-like commit")
    if n >= len(entries):
        raise GitFatal(f"stash@{{{n}}} is not a valid reference", 1, "error: ")
    return n


@sub("stash")
def git_stash(ctx: CommandContext, args: list[str]) -> int:
    """usage: git stash list
   or: git stash show [--stat] [<stash>]
   or: git stash drop [-q] [<stash>]
   or: git stash (pop | apply) [-q] [<stash>]
   or: git stash [push [-m <message>]]"""
    action = args[0] if args and not args[0].startswith("-") else "push"
    rest = args[1:] if args and not args[0].startswith("-") else args
    g = GitRepo.find(ctx)
    s = State(g)
    if action in ("push", "save"):
        o = Opts(rest, {"-q", "--quiet", "-u", "--include-untracked"}, {"-m", "--message"})
        if o.has("-u", "--include-untracked"):
            raise GitFatal("git stash -u is not supported by corral's git (commit or move "
                           "untracked files first)")  # fmt: skip
        msg = o.get("-m", "--message")
        if action == "save" and o.operands:
            msg = " ".join(o.operands)
        return _push(ctx, s, msg, o.has("-q", "--quiet"))
    if action == "list":
        for i, (_sha, m) in enumerate(_stash_entries(s)):
            ctx.out(f"stash@{{{i}}}: ".encode() + m + b"\n")
        return 0
    o = Opts(rest, {"-q", "--quiet", "--index", "--stat", "-p", "--patch"}, set())
    if action == "show":
        from . import diff as D
        from .commands import _reader

        n = _pick(s, o.operands)
        c = s.commit(_stash_entries(s)[n][0])
        chs = D.changes(s.items(s.commit(c.parents[0]).tree), s.items(c.tree), read=_reader(s))
        if o.has("-p", "--patch"):
            for ch in chs:
                ctx.out(D.patch(ch, _reader(s)))
        else:
            ctx.out(D.stat_block(D.stats(chs, _reader(s))))
        return 0
    if action in ("pop", "apply", "drop"):
        n = _pick(s, o.operands)
        entries = _stash_entries(s)
        sha = entries[n][0]
        if action != "drop":
            _apply(s, s.commit(sha))
            if not o.has("-q", "--quiet"):
                _long_status(ctx, g, s)
        if action != "apply":
            del entries[n]
            _write_stash_log(s, entries)
            if not o.has("-q", "--quiet"):
                ctx.out(f"Dropped refs/stash@{{{n}}} ({sha.decode()})\n")
        return 0
    if action == "clear":
        _write_stash_log(s, [])
        return 0
    raise GitFatal(f"unknown subcommand: {action}", 129, "error: ")


def _push(ctx: CommandContext, s: State, msg: str | None, quiet: bool) -> int:
    head = s.head()
    if head is None:
        raise GitFatal("You do not have the initial commit yet")
    staged = s.staged()
    unstaged = s.unstaged()
    if not staged and not unstaged:
        ctx.out("No local changes to save\n")
        return 0
    hc = s.commit(head)
    branch = s.branch() or "(no branch)"
    base = f"{branch}: {head[:7].decode()} ".encode() + subject(hc)
    who = s.g.ident("COMMITTER")
    author = s.g.ident("AUTHOR")
    index_tree = s.tree_from_index()
    ic = s.make_commit(index_tree, [head], b"index on " + base + b"\n", author, who)
    for ch in unstaged:  # the working tree: the index with unstaged changes staged
        s.stage(ch.path)
    wt_tree = s.tree_from_index()
    text = (f"On {branch}: {msg}".encode() if msg else b"WIP on " + base)
    wc = s.make_commit(wt_tree, [head, ic.id], text, author, who)
    entries = _stash_entries(s)
    entries.insert(0, (wc.id, text))
    _write_stash_log(s, entries)
    s.index = s.repo.open_index()  # drop what stage() did: reset --hard below
    s.checkout_tree(hc.tree, force=True)
    if not quiet:
        ctx.out(b"Saved working directory and index state " + text + b"\n")
    return 0


def _apply(s: State, c: Commit) -> None:
    """Put a stash's working-tree changes back (unstaged; new files staged)."""
    base = s.items(s.commit(c.parents[0]).tree)
    stashed = s.items(c.tree)
    idx = s.items(s.commit(c.parents[1]).tree) if len(c.parents) > 1 else base
    cur_idx = s.index_items()
    conflicts = []
    for p in sorted(set(base) | set(stashed)):
        if base.get(p) == stashed.get(p):
            continue
        entry = s.entry(p)
        wt = s.worktree_item(p, entry)
        theirs = (base.get(p), stashed.get(p))
        if wt not in theirs or cur_idx.get(p) not in theirs:
            conflicts.append(p)
    if conflicts:
        names = "\n\t".join(p.decode() for p in conflicts)
        raise GitFatal(
            f"Your local changes to the following files would be overwritten by merge:\n"
            f"\t{names}\nPlease commit your changes or stash them before you merge.\nAborting",
            1, "error: ",
        )  # fmt: skip
    for p in sorted(set(base) | set(stashed)):
        if base.get(p) == stashed.get(p):
            continue
        if p not in stashed:
            s.wt.remove(p)
            if p in s.index:
                del s.index[p]
            continue
        mode, sha = stashed[p]
        s.wt.write(p, mode, s.repo[sha].as_raw_string())
        if p not in base and p in idx:
            s.stage(p)
    s.index.write()


@sub("apply")
def git_apply(ctx: CommandContext, args: list[str]) -> int:
    """usage: git apply [--check] [-R | --reverse] [--cached] [-p<n>] [<patch>...]"""
    o = Opts(args, {"--check", "-R", "--reverse", "--stat", "--index", "--cached", "-v"},
             {"-p"})  # fmt: skip
    if o.has("--cached", "--index"):
        raise GitFatal("--cached/--index are not supported by corral's git apply")
    if ctx.run_command is None:
        raise GitFatal("git apply needs the shell's patch command")
    g = GitRepo.find(ctx)
    patches = o.operands or ["-"]
    data = b""
    for p in patches:
        if p == "-":
            data += ctx.stdin.read()
        else:
            with ctx.open_read(p) as f:
                data += f.read()
    if not data.strip():
        raise GitFatal("No valid patches in input (allow with \"--allow-empty\")", 128, "error: ")
    argv = ["patch", "-s", "-f", f"-p{o.get('-p') or '1'}", "-d", ctx.display(g.top)]
    if o.has("-R", "--reverse"):
        argv.append("-R")
    # all or nothing, as git: every hunk must apply before any file is touched
    status, out, err = ctx.run_command([*argv, "--dry-run"], data)
    if status != 0:
        ctx.stderr.write(b"error: patch does not apply\n" + out + err)
        return 1
    if o.has("--check"):
        return 0
    status, out, err = ctx.run_command(argv, data)
    if status != 0:
        ctx.stderr.write(b"error: patch failed\n" + out + err)
        return 1
    return 0


__all__ = ["_reset_index_path", "git_apply", "git_stash"]


@sub("mv")
def git_mv(ctx: CommandContext, args: list[str]) -> int:
    """usage: git mv [-f] [-k] [-n] [-v] <source>... <destination>"""
    import posixpath

    from .. import hostfs
    from .commands import _path_arg, _under
    from .porcelain import _entry

    o = Opts(args, {"-f", "--force", "-k", "-n", "--dry-run", "-v", "--verbose"}, set())
    ops = o.operands + (o.paths or [])
    if len(ops) < 2:
        raise GitFatal("usage: git mv [<options>] <source>... <destination>", 129, "")
    g = GitRepo.find(ctx)
    s = State(g)
    dst_arg = ops[-1]
    dst = _path_arg(g, s, dst_arg)
    dst_is_dir = s.wt.lstat(dst) is not None and hostfs.is_dir(ctx.ws, s.wt.host(dst), False)
    if len(ops) > 2 and not dst_is_dir:
        raise GitFatal(f"destination '{dst_arg}' is not a directory")
    moves: list[tuple[bytes, bytes]] = []
    for a in ops[:-1]:
        src = _path_arg(g, s, a)
        target = dst + b"/" + posixpath.basename(src) if dst_is_dir else dst
        where = f"source={a}, destination={target.decode(errors='replace')}"
        if s.wt.lstat(src) is None:
            if o.has("-k"):
                continue
            raise GitFatal(f"bad source, {where}")
        tracked = [p for p in s.index if _under(p, src)]
        if not tracked:
            if o.has("-k"):
                continue
            raise GitFatal(f"not under version control, {where}")
        if s.wt.lstat(target) is not None and not o.has("-f", "--force"):
            raise GitFatal(f"destination exists, {where}")
        if _under(target, src):
            raise GitFatal(f"can not move directory into itself, {where}")
        moves.append((src, target))
    for src, target in moves:
        if o.has("-v", "--verbose", "-n", "--dry-run"):
            ctx.out(f"Renaming {src.decode()} to {target.decode()}\n")
        if o.has("-n", "--dry-run"):
            continue
        parent = posixpath.dirname(target)
        if parent and s.wt.lstat(parent) is None:
            raise GitFatal(f"renaming '{src.decode()}' failed: No such file or directory")
        hostfs.rename(ctx.ws, s.wt.host(src), s.wt.host(target))
        s.wt.forget_dirs()
        for p in [p for p in s.index if _under(p, src)]:
            e = s.entry(p)
            new = target + p[len(src):]
            del s.index[p]
            if e is None:
                continue
            st = s.wt.lstat(new)
            s.index[new] = _entry(st, e.sha, e.mode) if st is not None else e
    s.index.write()
    return 0


@sub("tag")
def git_tag(ctx: CommandContext, args: list[str]) -> int:
    """usage: git tag [-l] [<pattern>]
   or: git tag [-a] [-m <msg>] [-f] <tagname> [<commit>]
   or: git tag -d <tagname>..."""
    import fnmatch

    from dulwich.objects import Tag

    from .commands import _check_branch_name

    o = Opts(args, {"-l", "--list", "-d", "--delete", "-a", "--annotate", "-f", "--force", "-n"},
             {"-m", "--message"})  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    refs = s.repo.refs
    if o.has("-d", "--delete"):
        status = 0
        for name in o.operands:
            ref = b"refs/tags/" + name.encode()
            if ref not in refs:
                ctx.stderr.write(f"error: tag '{name}' not found.\n".encode())
                status = 1
                continue
            sha = refs[ref]
            refs.remove_if_equals(ref, None)
            ctx.out(f"Deleted tag '{name}' (was {sha[:7].decode()})\n")
        return status
    if not o.operands or o.has("-l", "--list"):
        names = sorted(k.decode() for k in refs.keys(base=b"refs/tags/"))
        pats = o.operands or ["*"]
        for n in names:
            if any(fnmatch.fnmatchcase(n, p) for p in pats):
                ctx.out(n + "\n")
        return 0
    name = o.operands[0]
    _check_branch_name(name)
    ref = b"refs/tags/" + name.encode()
    if ref in refs and not o.has("-f", "--force"):
        raise GitFatal(f"tag '{name}' already exists")
    target = s.resolve(o.operands[1] if len(o.operands) > 1 else "HEAD")
    msg = o.get("-m", "--message")
    if msg is not None or o.has("-a", "--annotate"):
        if msg is None:
            raise GitFatal("no tag message given: use -m <msg> (there is no editor in the sandbox)")
        who = g.ident("COMMITTER")
        t = Tag()
        t.object = (Commit, target)
        t.name = name.encode()
        t.tagger = who.raw()
        t.tag_time, t.tag_timezone = who.when, who.tz
        from .porcelain import cleanup_message

        t.message = cleanup_message(msg)
        s.repo.object_store.add_object(t)
        target = t.id
    refs[ref] = target
    return 0


@sub("describe")
def git_describe(ctx: CommandContext, args: list[str]) -> int:
    """usage: git describe [--tags] [--always] [--abbrev=<n>] [<commit-ish>]"""
    from dulwich.objects import Tag

    from .porcelain import walk

    abbrev = 7
    rest = []
    for a in args:
        if a.startswith("--abbrev="):
            v = a.split("=", 1)[1]
            if not v.isdigit():
                raise GitFatal(f"--abbrev: '{v}' is not a number", 129)
            abbrev = max(4, min(40, int(v))) if int(v) else 0
        else:
            rest.append(a)
    o = Opts(rest, {"--tags", "--always", "--long"}, set())
    g = GitRepo.find(ctx)
    s = State(g)
    start = s.resolve(o.operands[0] if o.operands else "HEAD")
    names: dict[bytes, str] = {}
    for ref in sorted(s.repo.refs.keys(base=b"refs/tags/")):
        obj = s.repo[s.repo.refs[b"refs/tags/" + ref]]
        if isinstance(obj, Tag):
            while isinstance(obj, Tag):
                obj = s.repo[obj.object[1]]
            names.setdefault(obj.id, ref.decode())
        elif o.has("--tags"):
            names.setdefault(obj.id, ref.decode())
    history = walk(g, [start])
    for c in history:
        if c.id in names:
            behind = {x.id for x in walk(g, [c.id])}
            n = sum(1 for x in history if x.id not in behind)
            if n == 0 and not o.has("--long"):
                ctx.out(names[c.id] + "\n")
            else:
                ctx.out(f"{names[c.id]}-{n}-g{start[:abbrev].decode()}\n")
            return 0
    if o.has("--always"):
        ctx.out(start[:abbrev].decode() + "\n")
        return 0
    if names or list(s.repo.refs.keys(base=b"refs/tags/")):
        raise GitFatal("No annotated tags can describe '" + start.decode() + "'.\n"
                       "However, there were unannotated tags: try --tags.")  # fmt: skip
    raise GitFatal("No names found, cannot describe anything.")


@sub("clean")
def git_clean(ctx: CommandContext, args: list[str]) -> int:
    """usage: git clean [-n | --dry-run] [-f | --force] [-d] [-x | -X] [-q] [-e <pattern>]
       [--] [<pathspec>...]"""
    import fnmatch

    from .. import hostfs
    from .porcelain import quote_path, relative
    from .reading import Pathspec

    o = Opts(args, {"-n", "--dry-run", "-f", "--force", "-d", "-x", "-X", "-q", "--quiet"},
             {"-e", "--exclude"})  # fmt: skip
    dry = o.has("-n", "--dry-run")
    if not dry and not o.has("-f", "--force"):
        raise GitFatal("clean.requireForce defaults to true and neither -i, -n, nor -f given; "
                       "refusing to clean")  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    dirs, every, only_ignored = o.has("-d"), o.has("-x"), o.has("-X")
    # a directory with nothing tracked is one candidate (``dir/``), cleaned only with -d
    if only_ignored:
        ignored = s.ignored_untracked()
        every_file = s.untracked(collapse=False, ignored_too=True)
        cands = [p for p in s.untracked(collapse=True, ignored_too=True)
                 if p in ignored or (p.endswith(b"/") and all(
                     q in ignored for q in every_file if q.startswith(p)))]  # fmt: skip
    else:
        cands = s.untracked(collapse=True, ignored_too=every)
    excludes = o.all("-e", "--exclude")
    specs = Pathspec(g, o.operands + (o.paths or []))
    prefix = g.prefix()
    for p in cands:
        ctx.check()
        is_dir = p.endswith(b"/")
        if is_dir and not dirs:
            continue
        bare = p.rstrip(b"/")
        if not specs.match(bare):
            continue
        base = bare.rsplit(b"/", 1)[-1].decode("utf-8", "surrogateescape")
        if any(fnmatch.fnmatchcase(base, e) for e in excludes):
            continue
        shown = quote_path(relative(p, prefix))
        if dry:
            ctx.out(f"Would remove {shown}\n")
            continue
        host = s.wt.host(bare)
        if is_dir:
            _remove_tree(ctx, host)
        else:
            hostfs.unlink(ctx.ws, host)
        if not o.has("-q", "--quiet"):
            ctx.out(f"Removing {shown}\n")
    return 0


def _remove_tree(ctx: CommandContext, top) -> None:
    """Remove a directory and what it holds, never following a link (kernel-checked
    beneath the workspace, as every hostfs call)."""
    import stat as statmod

    from .. import hostfs

    todo, dirs = [top], []
    while todo:
        d = todo.pop()
        dirs.append(d)
        with hostfs.scandir(ctx.ws, d) as it:
            entries = [(e.name, e.stat(follow_symlinks=False).st_mode) for e in it]
        for name, mode in entries:
            ctx.check()
            if statmod.S_ISDIR(mode):
                todo.append(d / name)
            else:
                hostfs.unlink(ctx.ws, d / name)
    for d in reversed(dirs):
        hostfs.rmdir(ctx.ws, d)
