"""``git rebase <upstream> [<branch>]``, non-interactive: the branch's own commits
replayed onto ``upstream`` one by one (each a three-way merge, :mod:`merging`), keeping
their authors and messages, then the branch moved to the last one. Commits whose change
``upstream`` already holds (the same blobs at the same paths) are dropped, as git drops
cherry-picks it finds by patch id. Picks are made on trees only; the working tree is
written once at the end, or where a conflict stops the rebase: then HEAD is detached at
the last replayed commit, the conflict is left as a merge leaves it, and the rest waits
in ``.git/rebase-merge/`` (git's layout) for ``--continue``, ``--skip`` or ``--abort``.
"""

from __future__ import annotations

import contextlib
import os

from ...deeptree import remove_tree
from ..command import CommandContext
from .commands import Opts, _detach, sub
from .merging import (
    _SHA,
    apply,
    author_of,
    auto_merge_tree,
    merge_trees,
    read_state,
    unmerged,
    write_state,
)
from .porcelain import State, subject, walk
from .repo import GitFatal, GitRepo

_DIR = "rebase-merge"
_HINT = (b"hint: Resolve all conflicts manually, mark them as resolved with\n"
         b'hint: "git add/rm <conflicted_files>", then run "git rebase --continue".\n'
         b'hint: You can instead skip this commit: run "git rebase --skip".\n'
         b'hint: To abort and get back to the state before "git rebase", run '
         b'"git rebase --abort".\n')  # fmt: skip


def _changes(s: State, sha: bytes) -> frozenset[tuple[bytes, object, object]]:
    c = s.commit(sha)
    old = s.items(s.commit(c.parents[0]).tree) if c.parents else {}
    new = s.items(c.tree)
    return frozenset((p, old.get(p), new.get(p)) for p in set(old) | set(new)
                     if old.get(p) != new.get(p))  # fmt: skip


def _to_replay(s: State, head: bytes, upstream: bytes) -> list[bytes]:
    """The branch's commits (oldest first) not in ``upstream``, merges left out, and
    those whose change ``upstream`` already has."""
    g = s.g
    theirs = {c.id for c in walk(g, [upstream])}
    order: list[bytes] = []
    sha: bytes | None = head
    while sha is not None and sha not in theirs:  # the first-parent line back to upstream
        g.ctx.check()
        c = s.commit(sha)
        if len(c.parents) <= 1:
            order.append(sha)
        sha = c.parents[0] if c.parents else None
    order.reverse()
    ours_ids = {c.id for c in walk(g, [head])}
    applied = {_changes(s, c.id) for c in walk(g, [upstream]) if c.id not in ours_ids}
    return [x for x in order if _changes(s, x) not in applied]


def _state_dir(s: State) -> str:
    return str(s.g.gitdir / _DIR)


def _read(s: State, name: str) -> str | None:
    raw = read_state(s, f"{_DIR}/{name}")
    return None if raw is None else raw.decode("utf-8", "surrogateescape")


def _write(s: State, name: str, text: str) -> None:
    write_state(s, f"{_DIR}/{name}", text.encode("utf-8", "surrogateescape"))


def in_progress(s: State) -> bool:
    return os.path.isdir(_state_dir(s)) and not os.path.islink(_state_dir(s))


def _finish(ctx: CommandContext, s: State, head_name: str, new_head: bytes,
            onto: bytes) -> int:  # fmt: skip
    """Point the branch at ``new_head``, HEAD back on it, the state removed."""
    if head_name.startswith("refs/heads/"):
        s.update_ref(head_name.encode(), new_head,
                     f"rebase (finish): {head_name} onto {onto.decode()}".encode())  # fmt: skip
        s.repo.refs.set_symbolic_ref(b"HEAD", head_name.encode())
    else:
        s.update_ref(b"HEAD", new_head, b"rebase (finish): returning to HEAD")
    _clear(s)
    ctx.stderr.write(f"Successfully rebased and updated {head_name}.\n".encode())
    return 0


def _clear(s: State) -> None:
    path = _state_dir(s)
    if in_progress(s):
        remove_tree(path, ignore_errors=True)
    for name in ("REBASE_HEAD", "MERGE_MSG", "AUTO_MERGE"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(s.g.gitdir / name)


def _pick_all(ctx: CommandContext, s: State, todo: list[bytes], done: list[bytes],
              current: bytes, head_name: str, onto: bytes, orig: bytes) -> int:  # fmt: skip
    """Replay ``todo`` onto ``current`` (trees only); at a conflict, write the working
    tree and the state and stop."""
    g = s.g
    worktree_at = s.head()  # what the working tree and index hold now
    total = len(done) + len(todo)
    while todo:
        sha = todo.pop(0)
        done.append(sha)
        c = s.commit(sha)
        base = s.commit(c.parents[0]).tree if c.parents else None
        label = f"{sha[:7].decode()} ({subject(c).decode('utf-8', 'surrogateescape')})"
        out = merge_trees(s, base, s.commit(current).tree, c.tree, "HEAD", label)
        if out.conflicts:  # git's rebase is quiet about picks that merge cleanly
            for _path, line in out.messages:
                ctx.out(line + "\n")
            if worktree_at != current:
                s.checkout_tree(s.commit(current).tree, force=True)
            _detach(s, current)
            apply(s, out)
            if os.path.islink(_state_dir(s)):
                raise GitFatal(".git/rebase-merge is a symbolic link: refusing to write there")
            os.makedirs(_state_dir(s), exist_ok=True)
            _write(s, "head-name", head_name + "\n")
            _write(s, "onto", onto.decode() + "\n")
            _write(s, "orig-head", orig.decode() + "\n")
            _write(s, "done", "".join(f"pick {x.decode()}\n" for x in done))
            _write(s, "git-rebase-todo", "".join(f"pick {x.decode()}\n" for x in todo))
            _write(s, "msgnum", f"{len(done)}\n")
            _write(s, "end", f"{total}\n")
            write_state(s, "REBASE_HEAD", sha + b"\n")
            write_state(s, "AUTO_MERGE", auto_merge_tree(s, out) + b"\n")
            write_state(s, "MERGE_MSG", c.message)
            ctx.stderr.write(f"error: could not apply {sha[:7].decode()}... ".encode()
                             + subject(c) + b"\n" + _HINT + f"Could not apply "
                             f"{sha[:7].decode()}... ".encode() + subject(c) + b"\n")  # fmt: skip
            return 1
        from dulwich.index import commit_tree

        blobs = [(p, x, mode) for p, (mode, x) in sorted(out.merged.items())]
        tree = commit_tree(s.repo.object_store, blobs)
        if tree == s.commit(current).tree:
            continue  # the change is already there: dropped, as git drops it
        new = s.make_commit(tree, [current], c.message, author_of(g, c), g.ident("COMMITTER"))
        current = new.id
    if worktree_at != current:
        s.checkout_tree(s.commit(current).tree)
    return _finish(ctx, s, head_name, current, onto)


@sub("rebase")
def git_rebase(ctx: CommandContext, args: list[str]) -> int:
    """usage: git rebase <upstream> [<branch>]
   or: git rebase (--continue | --skip | --abort | --quit)

Non-interactive: the current branch's own commits replayed onto <upstream>."""
    o = Opts(args, {"--continue", "--abort", "--skip", "--quit", "-q", "--quiet",
                    "--no-autostash", "--merge", "-m"}, set())  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    if o.has("--continue", "--abort", "--skip", "--quit"):
        if not in_progress(s):
            raise GitFatal("No rebase in progress?")
        return _resume(ctx, s, o)
    if in_progress(s):
        raise GitFatal("It seems that there is already a rebase-merge directory, and\n"
                       "I wonder if you are in the middle of another rebase.  If that is the\n"
                       "case, please try\n\tgit rebase (--continue | --abort | --skip)\n"
                       "If that is not the case, please\n\trm -fr \".git/rebase-merge\"\n"
                       "and run me again.  I am stopping in case you still have something\n"
                       "valuable there.\n")  # fmt: skip
    if not o.operands or len(o.operands) > 2:
        raise GitFatal("corral's git rebases onto an upstream: git rebase <upstream> [<branch>]"
                       " (no -i: there is no editor in the sandbox)")  # fmt: skip
    upstream = s.resolve(o.operands[0])
    if len(o.operands) == 2:
        from .commands import _switch_to

        rc = _switch_to(ctx, s, o.operands[1], None, False, "checkout", quiet=True)
        if rc:
            return rc
        s = State(g)
    head = s.head()
    if head is None:
        raise GitFatal("corral's git cannot rebase a branch with no commits")
    if conflicted := unmerged(s):
        ctx.out("".join(f"{p.decode('utf-8', 'surrogateescape')}: needs merge\n"
                        for p in sorted(conflicted)))  # fmt: skip
        ctx.stderr.write(b"error: cannot rebase: You have unstaged changes.\n"
                         b"error: additionally, your index contains uncommitted changes.\n"
                         b"error: Please commit or stash them.\n")  # fmt: skip
        return 1
    if s.staged():
        ctx.stderr.write(b"error: cannot rebase: Your index contains uncommitted changes.\n"
                         b"error: Please commit or stash them.\n")  # fmt: skip
        return 1
    if s.unstaged():
        ctx.stderr.write(b"error: cannot rebase: You have unstaged changes.\n"
                         b"error: Please commit or stash them.\n")  # fmt: skip
        return 1
    head_ref = s.head_ref()
    head_name = head_ref.decode() if head_ref else "detached HEAD"
    from dulwich.graph import find_merge_base

    bases = find_merge_base(s.repo, [head, upstream])
    if bases and bases[0] == upstream:
        branch = s.branch()
        ctx.out(f"Current branch {branch or 'HEAD'} is up to date.\n")
        return 0
    write_state(s, "ORIG_HEAD", head + b"\n")
    todo = _to_replay(s, head, upstream)
    return _pick_all(ctx, s, todo, [], upstream, head_name, upstream, head)


def _resume(ctx: CommandContext, s: State, o: Opts) -> int:
    head_name = (_read(s, "head-name") or "").strip()
    onto = (_read(s, "onto") or "").strip().encode()
    orig = (_read(s, "orig-head") or "").strip().encode()
    todo = [ln.split()[1].encode() for ln in (_read(s, "git-rebase-todo") or "").splitlines()
            if len(ln.split()) >= 2]  # fmt: skip
    done = [ln.split()[1].encode() for ln in (_read(s, "done") or "").splitlines()
            if len(ln.split()) >= 2]  # fmt: skip
    for sha in [onto, orig, *todo, *done]:
        if not _SHA.fullmatch(sha) or sha not in s.repo:
            raise GitFatal("the rebase state in .git/rebase-merge is corrupt: "
                           "rm -fr .git/rebase-merge")  # fmt: skip
    if o.has("--quit"):
        _clear(s)
        return 0
    if o.has("--abort"):
        s.checkout_tree(s.commit(orig).tree, force=True)
        if head_name.startswith("refs/heads/"):
            s.update_ref(head_name.encode(), orig, b"rebase (abort)")
            s.repo.refs.set_symbolic_ref(b"HEAD", head_name.encode())
        else:
            s.update_ref(b"HEAD", orig, b"rebase (abort)")
        _clear(s)
        return 0
    current = s.head()
    assert current is not None
    if o.has("--skip"):
        s.checkout_tree(s.commit(current).tree, force=True)
    else:
        if unmerged(s):
            ctx.stderr.write(b"error: you must edit all merge conflicts and then\n"
                             b"mark them as resolved using git add\n")  # fmt: skip
            return 1
        stopped = done[-1] if done else None
        tree = s.tree_from_index()
        if stopped is not None and tree != s.commit(current).tree:
            from .commands import commit_summary

            c = s.commit(stopped)
            new = s.make_commit(tree, [current], c.message, author_of(s.g, c),
                                s.g.ident("COMMITTER"))  # fmt: skip
            s.update_ref(b"HEAD", new.id, b"rebase (continue): " + subject(new))
            commit_summary(ctx, s, new, s.commit(current).tree, show_date=False)
            current = new.id
    for name in ("REBASE_HEAD", "MERGE_MSG", "AUTO_MERGE"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(s.g.gitdir / name)
    return _pick_all(ctx, s, todo, done, current, head_name, onto, orig)


def status_lines(s: State, conflicts: bool) -> str | None:
    """What ``git status`` says first while a rebase is stopped, or None."""
    if not in_progress(s):
        return None
    onto = (_read(s, "onto") or "").strip()
    head_name = (_read(s, "head-name") or "").strip()
    done = [ln for ln in (_read(s, "done") or "").splitlines() if ln.strip()]
    todo = [ln for ln in (_read(s, "git-rebase-todo") or "").splitlines() if ln.strip()]

    def shown(line: str) -> str:
        parts = line.split()
        if len(parts) < 2 or not _SHA.fullmatch(parts[1].encode()) or parts[1].encode() \
                not in s.repo:  # fmt: skip
            return "   " + line
        c = s.commit(parts[1].encode())
        return f"   pick {parts[1][:7]} {subject(c).decode('utf-8', 'surrogateescape')}"

    out = [f"interactive rebase in progress; onto {onto[:7]}\n"]
    n = len(done)
    out.append(f"Last command{'s' if n > 1 else ''} done ({n} command{'s' if n != 1 else ''}"
               f" done):\n")  # fmt: skip
    out += [shown(ln) + "\n" for ln in done[-2:]]
    if n > 2:
        out.append("  (see more in file .git/rebase-merge/done)\n")
    if todo:
        k = len(todo)
        out.append(f"Next command{'s' if k > 1 else ''} to do ({k} remaining "
                   f"command{'s' if k != 1 else ''}):\n")  # fmt: skip
        out += [shown(ln) + "\n" for ln in todo[:2]]
        out.append('  (use "git rebase --edit-todo" to view and edit)\n')
    else:
        out.append("No commands remaining.\n")
    branch = head_name.removeprefix("refs/heads/")
    out.append(f"You are currently rebasing branch '{branch}' on '{onto[:7]}'.\n")
    if conflicts:
        out.append('  (fix conflicts and then run "git rebase --continue")\n')
    else:
        out.append('  (all conflicts fixed: run "git rebase --continue")\n')
    out.append('  (use "git rebase --skip" to skip this patch)\n'
               '  (use "git rebase --abort" to check out the original branch)\n\n')  # fmt: skip
    return "".join(out)

