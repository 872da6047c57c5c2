"""True merges: ``git merge`` of diverged histories, ``--abort``, and the merge state a
``git commit`` concludes.

A merge joins three trees (the merge base's, HEAD's, the other commit's) path by path
as git's ``ort`` strategy does: a file renamed on one side (git's rename pairing, 50 %
alike) meets the other side's version at its new path, one renamed to two names on the
two sides is git's rename/rename conflict; a path changed on one side only takes that
side; changed on both, regular files are merged line by line
(:mod:`xmerge`, git's own algorithm and markers ``<<<<<<< HEAD`` … ``>>>>>>> NAME``);
a file modified on one side and deleted on the other, or added on both with different
contents, or a binary or symbolic link changed on both, is a conflict. Conflicts are
written as git writes them: the working file (with markers, or the surviving version),
the index entries of stages 1-3, ``MERGE_HEAD``, ``MERGE_MSG`` (with its
``# Conflicts:`` list), ``MERGE_MODE`` and ``ORIG_HEAD``; the messages are git's, path
by path in path order. State files in ``.git`` are replaced, never followed (a link
planted there is not written through), and read with ``O_NOFOLLOW``.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field

from dulwich.index import ConflictedIndexEntry, IndexEntry
from dulwich.objects import Commit

from ..command import CommandContext
from .commands import Opts, sub
from .diff import changes
from .porcelain import LocalChanges, State, _entry, cleanup_message, subject, walk
from .repo import GitFatal, GitRepo, Ident
from .xmerge import merge_lines

Item = tuple[int, bytes]  # (mode, sha)

_REGULAR = (0o100644, 0o100755)
_SHA = re.compile(rb"[0-9a-f]{40}")
STATE_FILES = ("MERGE_HEAD", "MERGE_MSG", "MERGE_MODE", "AUTO_MERGE")


@dataclass
class Outcome:
    """What a three-way merge of trees gives."""

    merged: dict[bytes, Item] = field(default_factory=dict)  # stage-0 paths of the result
    # path -> (base, ours, theirs) entries, and what the working file holds (None: gone)
    conflicts: dict[bytes, tuple[Item | None, Item | None, Item | None]] = field(
        default_factory=dict
    )
    worktree: dict[bytes, tuple[int, bytes] | None] = field(default_factory=dict)
    messages: list[tuple[bytes, str]] = field(default_factory=list)  # (path, line)


def blob_reader(s: State):  # type: ignore[no-untyped-def]
    def read(sha: bytes) -> bytes:
        return s.repo[sha].as_raw_string()

    return read


def _binary(data: bytes) -> bool:
    return b"\0" in data[:8000]


def merge_trees(s: State, base: bytes | None, ours: bytes | None, theirs: bytes | None,
                ours_label: str, theirs_label: str) -> Outcome:  # fmt: skip
    """Join ``ours`` and ``theirs`` against ``base`` (tree ids)."""
    b_items, o_items, t_items = s.items(base), s.items(ours), s.items(theirs)
    out = Outcome()

    def blob(item: Item | None) -> bytes:
        return s.repo[item[1]].as_raw_string() if item is not None else b""

    # a file renamed on one side only: its three versions meet at the new path
    sides: dict[bytes, tuple[Item | None, Item | None, Item | None]] = {}
    gone: set[bytes] = set()
    moved = [{ch.old_path: ch.path for ch in changes(b_items, x, read=blob_reader(s))
              if ch.old_path is not None} for x in (o_items, t_items)]  # fmt: skip
    for k, (mine, other, flip) in enumerate(((o_items, t_items, False),
                                            (t_items, o_items, True))):  # fmt: skip
        for old, new in moved[k].items():
            if old not in other or new in other or new in sides or old in moved[1 - k]:
                continue  # kept simple: renamed on both sides, or onto a path in use
            b = b_items[old]
            sides[new] = (b, other[old], mine[new]) if flip else (b, mine[new], other[old])
            gone.add(old)

    for old, new_o in moved[0].items():  # renamed on both sides, to different names
        new_t = moved[1].get(old)
        if new_t is None or new_t == new_o or new_t in o_items or new_o in t_items:
            continue
        name = old.decode("utf-8", "surrogateescape")
        out.messages.append((old, f"CONFLICT (rename/rename): {name} renamed to "
                                  f"{new_o.decode('utf-8', 'surrogateescape')} in {ours_label} "
                                  f"and to {new_t.decode('utf-8', 'surrogateescape')} in "
                                  f"{theirs_label}."))  # fmt: skip
        out.conflicts[old] = (b_items[old], None, None)
        out.conflicts[new_o] = (None, o_items[new_o], None)
        out.conflicts[new_t] = (None, None, t_items[new_t])
        out.worktree[new_t] = (t_items[new_t][0], blob(t_items[new_t]))
        gone.update((old, new_o, new_t))

    for path in sorted(set(b_items) | set(o_items) | set(t_items) | set(sides)):
        s.g.ctx.check()
        if path in gone:  # a rename's source (gone from the result), or done above
            if path in o_items and path not in out.conflicts:
                out.worktree[path] = None
            continue
        b, o, t = sides.get(path) or (b_items.get(path), o_items.get(path), t_items.get(path))
        name = path.decode("utf-8", "surrogateescape")
        if o == t or b == t:
            if o is not None:
                out.merged[path] = o
            continue
        if b == o:
            if t is not None:
                out.merged[path] = t
                out.worktree[path] = (t[0], blob(t))
            else:
                out.worktree[path] = None
            continue
        # changed on both sides, differently
        if o is None or t is None:
            alive, gone_in, kept_in = (t, ours_label, theirs_label) if o is None else (
                o, theirs_label, ours_label)
            out.messages.append((path, f"CONFLICT (modify/delete): {name} deleted in "
                                       f"{gone_in} and modified in {kept_in}.  Version "
                                       f"{kept_in} of {name} left in tree."))  # fmt: skip
            out.conflicts[path] = (b, o, t)
            assert alive is not None
            out.worktree[path] = (alive[0], blob(alive))
            continue
        kind = "content" if b is not None else "add/add"
        mode = o[0] if b is not None and t[0] == b[0] else t[0]
        if b is not None and o[0] != b[0] and t[0] != b[0] and o[0] != t[0]:
            mode = o[0]
        regular = o[0] in _REGULAR and t[0] in _REGULAR and (b is None or b[0] in _REGULAR)
        o_data, t_data = blob(o), blob(t)
        if not regular or _binary(o_data) or _binary(t_data) or _binary(blob(b)):
            if regular:
                out.messages.append((path, f"warning: Cannot merge binary files: {name} "
                                           f"({ours_label} vs. {theirs_label})"))  # fmt: skip
            out.messages.append((path, f"Auto-merging {name}"))
            out.messages.append((path, f"CONFLICT ({kind}): Merge conflict in {name}"))
            out.conflicts[path] = (b, o, t)
            continue
        out.messages.append((path, f"Auto-merging {name}"))
        text, conflicts = merge_lines(blob(b), o_data, t_data, ours_label, theirs_label)
        if conflicts:
            out.messages.append((path, f"CONFLICT ({kind}): Merge conflict in {name}"))
            out.conflicts[path] = (b, o, t)
            out.worktree[path] = (mode, text)
        elif o[1] != s.write_blob(text) or mode != o[0]:
            sha = s.write_blob(text)
            out.merged[path] = (mode, sha)
            out.worktree[path] = (mode, text)
        else:
            out.merged[path] = o
    for path, item in out.merged.items():  # a rename's new path: not in HEAD's tree yet
        if o_items.get(path) != item and path not in out.worktree:
            out.worktree[path] = (item[0], blob(item))
    return out


def auto_merge_tree(s: State, out: Outcome) -> bytes:
    """The tree git records as ``AUTO_MERGE``: the merge's result, conflicted files as
    written to the working tree (with their markers)."""
    from dulwich.index import commit_tree

    items = dict(out.merged)
    for path in out.conflicts:
        want = out.worktree.get(path)
        if want is not None:
            items[path] = (want[0], s.write_blob(want[1]))
    blobs = [(p, sha, mode) for p, (mode, sha) in sorted(items.items())]
    return commit_tree(s.repo.object_store, blobs)


def _dir_clash(paths: set[bytes]) -> bytes | None:
    """A path that is also a directory of another (a file/directory conflict)."""
    for p in paths:
        parts = p.split(b"/")
        for i in range(1, len(parts)):
            if b"/".join(parts[:i]) in paths:
                return p
    return None


def apply(s: State, out: Outcome) -> None:
    """Write the merge's result to the working tree and the index."""
    clash = _dir_clash(set(out.merged) | set(out.conflicts))
    if clash is not None:
        raise GitFatal(f"corral's git cannot merge a file replaced by a directory "
                       f"({clash.decode('utf-8', 'surrogateescape')}); the real git can")
    for path in sorted(set(out.worktree) | set(out.conflicts)):
        s.g.ctx.check()
        want = out.worktree.get(path, "keep")
        if want is None:
            s.wt.remove(path)
        elif want != "keep":
            mode, data = want  # type: ignore[misc]
            st = s.wt.write(path, mode, data)
            if path in out.merged:
                s.index[path] = _entry(st, out.merged[path][1], mode)
        if path in out.conflicts:
            b, o, t = out.conflicts[path]
            s.index[path] = ConflictedIndexEntry(*(_stage_entry(x) for x in (b, o, t)))
        elif want is None and path in s.index:
            del s.index[path]
    s.index.write()


def _stage_entry(item: Item | None) -> IndexEntry | None:
    if item is None:
        return None
    return IndexEntry(ctime=(0, 0), mtime=(0, 0), dev=0, ino=0, mode=item[0], uid=0, gid=0,
                      size=0, sha=item[1])  # fmt: skip


# -- the state of a merge in progress ----------------------------------------------


def read_state(s: State, name: str, limit: int = 1 << 20) -> bytes | None:
    """A file of ``.git`` (MERGE_HEAD, MERGE_MSG, …), None when absent; never through a
    symbolic link."""
    try:
        fd = os.open(s.g.gitdir / name, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        return os.read(fd, limit)
    finally:
        os.close(fd)


def write_state(s: State, name: str, data: bytes) -> None:
    from dulwich.file import GitFile

    with GitFile(str(s.g.gitdir / name), "wb") as f:  # a new file renamed into place
        f.write(data)


def clear_state(s: State) -> None:
    for name in STATE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(s.g.gitdir / name)


def _state_commit(s: State, name: str, command: str) -> bytes | None:
    """The commit a state file (``MERGE_HEAD``, ``CHERRY_PICK_HEAD``) names, None when
    there is none; anything but a commit of this repository is refused."""
    raw = read_state(s, name, 4096)
    if raw is None:
        return None
    m = _SHA.match(raw.strip())
    if m is None or m.group(0) not in s.repo:
        raise GitFatal(f"{name} is not a commit: git {command} --abort starts over")
    return m.group(0)


def merge_head(s: State) -> bytes | None:
    """The commit being merged (``MERGE_HEAD``), None when no merge is in progress."""
    return _state_commit(s, "MERGE_HEAD", "merge")


def unmerged(s: State) -> dict[bytes, ConflictedIndexEntry]:
    return {p: e for p, e in s.index.items() if isinstance(e, ConflictedIndexEntry)}


#: (stage 1, 2, 3 present) -> (short status, long label)
UNMERGED_LABELS = {
    (True, True, True): ("UU", "both modified:"),
    (True, False, True): ("DU", "deleted by us:"),
    (True, True, False): ("UD", "deleted by them:"),
    (False, True, True): ("AA", "both added:"),
    (False, True, False): ("AU", "added by us:"),
    (False, False, True): ("UA", "added by them:"),
    (True, False, False): ("DD", "both deleted:"),
}


def unmerged_kind(e: ConflictedIndexEntry) -> tuple[str, str]:
    return UNMERGED_LABELS[(e.ancestor is not None, e.this is not None, e.other is not None)]


def abort(s: State) -> None:
    """``git merge --abort``: the index and the paths the merge touched back to HEAD;
    other local changes stay."""
    if read_state(s, "MERGE_HEAD", 4096) is None:  # present, even if not a commit
        raise GitFatal("There is no merge to abort (MERGE_HEAD missing).")
    _reset_to_head(s)
    clear_state(s)


# -- git merge -----------------------------------------------------------------------


def _message(s: State, spec: str, target: bytes) -> str:
    """git's default message: ``Merge branch 'x'`` (``into y`` unless y is main/master),
    ``Merge tag 'v'``, ``Merge remote-tracking branch 'o/x'``, ``Merge commit 'c'``."""
    refs = s.repo.refs
    if b"refs/heads/" + spec.encode() in refs:
        what = f"branch '{spec}'"
    elif b"refs/tags/" + spec.encode() in refs:
        what = f"tag '{spec}'"
    elif b"refs/remotes/" + spec.encode() in refs:
        what = f"remote-tracking branch '{spec}'"
    else:
        what = f"commit '{spec}'"
    branch = s.branch()
    into = f" into {branch}" if branch is not None and branch not in ("main", "master") else ""
    return f"Merge {what}{into}\n"


def _refuse_local_changes(ctx: CommandContext, s: State, touched: set[bytes],
                          what: str = "merge") -> bool:
    """git's refusals before a merge writes anything (status 2); True when refused."""
    staged = sorted(ch.path for ch in s.staged())
    if staged:
        names = "".join(f"  {p.decode('utf-8', 'surrogateescape')}\n" for p in staged)
        ctx.stderr.write(f"error: Your local changes to the following files would be "
                         f"overwritten by {what}:\n".encode() + names.encode() +
                         (b"Merge with strategy ort failed.\n" if what == "merge" else b""))
        return True
    dirty = sorted(ch.path for ch in s.unstaged() if ch.path in touched)
    tracked = set(s.index)
    in_way = sorted(p for p in touched if p not in tracked and s.wt.lstat(p) is not None)
    for paths, kind, hint in (
        (dirty, "Your local changes to the following files",
         "Please commit your changes or stash them before you merge."),
        (in_way, "The following untracked working tree files",
         "Please move or remove them before you merge."),
    ):  # fmt: skip
        if paths:
            names = "".join(f"\t{p.decode('utf-8', 'surrogateescape')}\n" for p in paths)
            tail = "Merge with strategy ort failed.\n" if what == "merge" else ""
            ctx.stderr.write(f"error: {kind} would be overwritten by {what}:\n{names}"
                             f"{hint.replace(' merge.', ' ' + what + '.')}\nAborting\n{tail}"
                             .encode("utf-8", "surrogateescape"))  # fmt: skip
            return True
    return False


def _print_stat(ctx: CommandContext, s: State, old_tree: bytes | None, new_tree: bytes) -> None:
    from . import diff as D
    from .commands import _reader, summary_lines

    chs = D.changes(s.items(old_tree), s.items(new_tree), read=_reader(s))
    ctx.out(D.stat_block(D.stats(chs, _reader(s))))
    summary_lines(ctx, chs, mode_changes=False)


@sub("merge")
def git_merge(ctx: CommandContext, args: list[str]) -> int:
    """usage: git merge [--ff | --no-ff | --ff-only] [--no-commit] [-m <msg>] [-q] <commit>
   or: git merge --abort
   or: git merge --continue

A fast-forward when HEAD is behind, else a three-way merge of the two histories
(renames followed): conflicts are left as git leaves them, for git add and git commit,
or git merge --abort."""
    o = Opts(args, {"--ff-only", "--ff", "--no-ff", "-q", "--quiet", "--no-edit", "--edit",
                    "--stat", "-n", "--no-stat", "--abort", "--continue", "--commit",
                    "--no-commit", "--no-verify", "--no-squash", "--no-log",
                    "--allow-unrelated-histories", "--squash"},
             {"-m", "--message"})  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    if o.has("--abort"):
        abort(s)
        return 0
    if o.has("--continue"):
        if merge_head(s) is None:
            raise GitFatal("There is no merge in progress (MERGE_HEAD missing).")
        from .commands import git_commit

        return git_commit(ctx, ["--no-edit"])
    if merge_head(s) is not None:
        if unmerged(s):
            ctx.stderr.write(b"error: Merging is not possible because you have unmerged files.\n"
                             b"hint: Fix them up in the work tree, and then use 'git add/rm "
                             b"<file>'\nhint: as appropriate to mark resolution and make a "
                             b"commit.\n")  # fmt: skip
            raise GitFatal("Exiting because of an unresolved conflict.")
        raise GitFatal("You have not concluded your merge (MERGE_HEAD exists).\n"
                       "Please, commit your changes before you merge.")  # fmt: skip
    if len(o.operands) != 1:
        raise GitFatal("corral's git merges one commit at a time: git merge <commit>")
    spec = o.operands[0]
    target = s.resolve(spec)
    head = s.head()
    quiet = o.has("-q", "--quiet")
    if head is None:
        raise GitFatal("corral's git cannot merge into a branch with no commits yet")
    if target == head or target in {c.id for c in walk(g, [head])}:
        ctx.out("Already up to date.\n")
        return 0
    ff = head in {c.id for c in walk(g, [target])}
    squash = o.has("--squash")
    if squash:
        write_state(s, "SQUASH_MSG", _squash_message(s, head, target))
    if ff and not o.has("--no-ff"):
        return _fast_forward(ctx, s, spec, head, target, quiet, squash)
    if o.has("--ff-only"):
        raise GitFatal("Not possible to fast-forward, aborting.")
    from dulwich.graph import find_merge_base

    bases = find_merge_base(s.repo, [head, target])
    if not bases and not o.has("--allow-unrelated-histories"):
        raise GitFatal("refusing to merge unrelated histories")
    # several bases (criss-cross histories): git merges them into a virtual base first;
    # corral takes the first, which can conflict where git would not
    base_tree = s.commit(bases[0]).tree if bases else None
    head_tree = s.commit(head).tree
    out = merge_trees(s, base_tree, head_tree, s.commit(target).tree, "HEAD", spec)
    touched = set(out.worktree) | set(out.conflicts)
    if _refuse_local_changes(ctx, s, touched):
        return 2
    apply(s, out)
    if squash:
        write_state(s, "AUTO_MERGE", auto_merge_tree(s, out) + b"\n")
        for _path, line in out.messages:
            ctx.out(line + "\n")
        ctx.out("Squash commit -- not updating HEAD\n")
        if out.conflicts:
            write_state(s, "MERGE_MSG", (read_state(s, "SQUASH_MSG") or b"") + b"\n# Conflicts:\n"
                        + b"".join(b"#\t" + p + b"\n" for p in sorted(out.conflicts)))
            ctx.out("Automatic merge failed; fix conflicts and then commit the result.\n")
            return 1
        ctx.stderr.write(b"Automatic merge went well; stopped before committing as requested\n")
        return 0
    write_state(s, "ORIG_HEAD", head + b"\n")
    message = "\n\n".join(o.all("-m", "--message")) + "\n" if o.get("-m", "--message") else (
        _message(s, spec, target))
    for _path, line in out.messages:  # printed under -q too, as git does
        ctx.out(line + "\n")
    if out.conflicts or o.has("--no-commit"):
        if out.conflicts:
            write_state(s, "AUTO_MERGE", auto_merge_tree(s, out) + b"\n")
        write_state(s, "MERGE_HEAD", target + b"\n")
        write_state(s, "MERGE_MODE", b"no-ff" if o.has("--no-ff") else b"")
        if out.conflicts:
            message += "\n# Conflicts:\n" + "".join(
                f"#\t{p.decode('utf-8', 'surrogateescape')}\n" for p in sorted(out.conflicts))
        write_state(s, "MERGE_MSG", message.encode("utf-8", "surrogateescape"))
        if out.conflicts:
            ctx.out("Automatic merge failed; fix conflicts and then commit the result.\n")
            return 1
        ctx.out("Automatic merge went well; stopped before committing as requested\n")
        return 0
    tree = s.tree_from_index()
    c = s.make_commit(tree, [head, target], cleanup_message(message),
                      g.ident("AUTHOR"), g.ident("COMMITTER"))  # fmt: skip
    s.set_head(c.id, f"merge {spec}: Merge made by the 'ort' strategy.".encode())
    if not quiet:
        ctx.out("Merge made by the 'ort' strategy.\n")
        if not o.has("-n", "--no-stat"):
            _print_stat(ctx, s, head_tree, tree)
    return 0


def _squash_message(s: State, head: bytes, target: bytes) -> bytes:
    """SQUASH_MSG: the commits merged, as ``git log`` shows them."""
    from .porcelain import log_header

    mine = {c.id for c in walk(s.g, [head])}
    picked = [c for c in walk(s.g, [target]) if c.id not in mine]
    return b"Squashed commit of the following:\n\n" + b"\n".join(log_header(c) for c in picked)


def _fast_forward(ctx: CommandContext, s: State, spec: str, head: bytes, target: bytes,
                  quiet: bool, squash: bool = False) -> int:  # fmt: skip
    old_tree = s.commit(head).tree
    new_tree = s.commit(target).tree
    try:
        s.checkout_tree(new_tree)
    except LocalChanges as e:
        names = "".join(f"\t{p.decode()}\n" for p in e.paths)
        ctx.stderr.write(b"error: Your local changes to the following files would be "
                         b"overwritten by merge:\n" + names.encode() +
                         b"Please commit your changes or stash them before you merge.\n"
                         b"Aborting\n")  # fmt: skip
        return 1
    if not squash:
        write_state(s, "ORIG_HEAD", head + b"\n")
        s.set_head(target, f"merge {spec}: Fast-forward".encode())
    if quiet:
        return 0
    ctx.out(f"Updating {head[:7].decode()}..{target[:7].decode()}\nFast-forward\n")
    if squash:
        ctx.out("Squash commit -- not updating HEAD\n")
    _print_stat(ctx, s, old_tree, new_tree)
    return 0


# -- git cherry-pick -----------------------------------------------------------------

_PICK_HINT = (b"hint: After resolving the conflicts, mark them with\n"
              b'hint: "git add/rm <pathspec>", then run\n'
              b'hint: "git cherry-pick --continue".\n'
              b'hint: You can instead skip this commit with "git cherry-pick --skip".\n'
              b'hint: To abort and get back to the state before "git cherry-pick",\n'
              b'hint: run "git cherry-pick --abort".\n')  # fmt: skip


def pick_head(s: State) -> bytes | None:
    """The commit a stopped cherry-pick applies (``CHERRY_PICK_HEAD``), or None."""
    return _state_commit(s, "CHERRY_PICK_HEAD", "cherry-pick")


def author_of(g: GitRepo, c: Commit) -> Ident:
    who = g.ident("COMMITTER")  # any ident object to fill in
    name, _, mail = c.author.decode("utf-8", "surrogateescape").rpartition(" <")
    who.name, who.email = name, mail.rstrip(">")
    who.when, who.tz = c.author_time, c.author_timezone
    return who


def clear_pick(s: State) -> None:
    for name in ("CHERRY_PICK_HEAD", "MERGE_MSG", "AUTO_MERGE"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(s.g.gitdir / name)


def commit_picked(ctx: CommandContext, s: State, picked: bytes, message: bytes,
                  quiet: bool = False) -> int:  # fmt: skip
    """Commit the index as the cherry-pick of ``picked`` (its author, ``message``)."""
    from .commands import commit_summary

    head = s.head()
    if head is None:
        raise GitFatal("corral's git cannot cherry-pick onto a branch with no commits yet")
    c = s.make_commit(s.tree_from_index(), [head], message,
                      author_of(s.g, s.commit(picked)), s.g.ident("COMMITTER"))  # fmt: skip
    s.set_head(c.id, b"cherry-pick: " + subject(c))
    clear_pick(s)
    if not quiet:
        commit_summary(ctx, s, c, s.commit(head).tree, show_date=True)
    return 0


@sub("cherry-pick")
def git_cherry_pick(ctx: CommandContext, args: list[str]) -> int:
    """usage: git cherry-pick [--no-commit] <commit>...
   or: git cherry-pick (--continue | --skip | --abort | --quit)

Applies each commit's change onto HEAD by a three-way merge (as git does), keeping its
author and message; a conflict stops, as git stops, for git add and --continue."""
    o = Opts(args, {"--continue", "--abort", "--skip", "--quit", "-n", "--no-commit",
                    "--ff", "--allow-empty", "--keep-redundant-commits"}, set())  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    if o.has("--abort", "--quit") and read_state(s, "CHERRY_PICK_HEAD", 4096) is not None:
        if o.has("--abort"):
            _reset_to_head(s)
        clear_pick(s)
        return 0
    picking = pick_head(s)
    if o.has("--abort", "--quit", "--skip", "--continue") and picking is None:
        ctx.stderr.write(b"error: no cherry-pick or revert in progress\n")
        raise GitFatal("cherry-pick failed")
    if o.has("--abort", "--skip"):
        _reset_to_head(s)
        clear_pick(s)
        return 0
    if o.has("--quit"):
        for name in ("CHERRY_PICK_HEAD", "AUTO_MERGE"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(s.g.gitdir / name)
        return 0
    if o.has("--continue"):
        assert picking is not None
        if unmerged(s):
            ctx.stderr.write(b"error: Committing is not possible because you have unmerged "
                             b"files.\nhint: Fix them up in the work tree, and then use 'git "
                             b"add/rm <file>'\nhint: as appropriate to mark resolution and "
                             b"make a commit.\n")  # fmt: skip
            raise GitFatal("Exiting because of an unresolved conflict.")
        raw = (read_state(s, "MERGE_MSG") or b"").decode("utf-8", "surrogateescape")
        text = "".join(ln for ln in raw.splitlines(True) if not ln.startswith("#"))
        return commit_picked(ctx, s, picking, cleanup_message(text))
    if unmerged(s):
        ctx.stderr.write(b"error: Cherry-picking is not possible because you have unmerged "
                         b"files.\nhint: Fix them up in the work tree, and then use 'git "
                         b"add/rm <file>'\nhint: as appropriate to mark resolution and make "
                         b"a commit.\n")  # fmt: skip
        raise GitFatal("cherry-pick failed")
    if picking is not None or merge_head(s) is not None:
        raise GitFatal("cherry-pick is already in progress\nhint: try \"git cherry-pick "
                       "(--continue | --abort | --quit)\"", 128, "error: ")  # fmt: skip
    if not o.operands:
        raise GitFatal("empty commit set passed")
    targets = [s.resolve(spec) for spec in o.operands]
    for sha in targets:
        if _pick_one(ctx, s, sha, o.has("-n", "--no-commit")):
            return 1
        s = State(g)  # the index as written
    return 0


def _pick_one(ctx: CommandContext, s: State, sha: bytes, no_commit: bool) -> bool:
    """Apply one commit; True when it stopped on a conflict."""
    c = s.commit(sha)
    if len(c.parents) > 1:
        raise GitFatal(f"commit {sha.decode()} is a merge but no -m option was given.",
                       128, "error: ")  # fmt: skip
    head_tree = s.head_tree()
    base = s.commit(c.parents[0]).tree if c.parents else None
    label = f"{sha[:7].decode()} ({subject(c).decode('utf-8', 'surrogateescape')})"
    out = merge_trees(s, base, head_tree, c.tree, "HEAD", label)
    if _refuse_local_changes(ctx, s, set(out.worktree) | set(out.conflicts), "cherry-pick"):
        raise GitFatal("cherry-pick failed", 128, "fatal: ")
    apply(s, out)
    for _path, line in out.messages:
        ctx.out(line + "\n")
    message = c.message
    if out.conflicts:
        write_state(s, "AUTO_MERGE", auto_merge_tree(s, out) + b"\n")
        write_state(s, "CHERRY_PICK_HEAD", sha + b"\n")
        write_state(s, "MERGE_MSG", message + b"\n# Conflicts:\n" + b"".join(
            b"#\t" + p + b"\n" for p in sorted(out.conflicts)))
        ctx.stderr.write(f"error: could not apply {sha[:7].decode()}... ".encode()
                         + subject(c) + b"\n" + _PICK_HINT)  # fmt: skip
        return True
    if no_commit:
        return False
    if s.tree_from_index() == head_tree:
        from .commands import _long_status

        write_state(s, "CHERRY_PICK_HEAD", sha + b"\n")
        write_state(s, "MERGE_MSG", message)
        _long_status(ctx, s.g, s)
        ctx.stderr.write(b"The previous cherry-pick is now empty, possibly due to conflict "
                         b"resolution.\nIf you wish to commit it anyway, use:\n\n    git "
                         b"commit --allow-empty\n\nOtherwise, please use 'git cherry-pick "
                         b"--skip'\n")  # fmt: skip
        return True
    commit_picked(ctx, s, sha, message)
    return False


def _reset_to_head(s: State) -> None:
    """The index and the paths that differ from HEAD in it back to HEAD."""
    head = s.items(s.head_tree())
    idx = s.index_items()
    touched = set(unmerged(s)) | {p for p in set(head) | set(idx) if head.get(p) != idx.get(p)}
    s.write_paths(head, touched)
