"""The state git's porcelain commands compute: HEAD, the index, the three-way status,
revisions, commits, and text that several commands print (log entries, status)."""

from __future__ import annotations

import os
import stat as statmod
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from dulwich.index import Index, IndexEntry, commit_tree
from dulwich.objects import Blob, Commit, Tag, Tree

from .diff import Change, changes
from .repo import GitFatal, GitRepo, Ident
from .worktree import WorkTree, tree_items

Items = dict[bytes, tuple[int, bytes]]


class Unknown(GitFatal):
    """An argument that is neither a revision nor a path."""

    def __init__(self, arg: str) -> None:
        super().__init__(
            f"ambiguous argument '{arg}': unknown revision or path not in the working tree.\n"
            "Use '--' to separate paths from revisions, like this:\n"
            "'git <command> [<revision>...] -- [<file>...]'"
        )


def quote_path(p: bytes, quote_sp: bool = False) -> str:
    """git's ``core.quotePath``: C-quoted in double quotes when unusual (and, for
    short status, when it holds a space)."""
    special = any(c < 0x20 or c in (0x22, 0x5C) or c >= 0x7F or (quote_sp and c == 0x20)
                  for c in p)  # fmt: skip
    if not special:
        return p.decode("ascii")
    out = []
    esc = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r",
           0x22: '\\"', 0x5C: "\\\\"}  # fmt: skip
    for c in p:
        if c in esc:
            out.append(esc[c])
        elif c < 0x20 or c >= 0x7F:
            out.append(f"\\{c:03o}")
        else:
            out.append(chr(c))
    return '"' + "".join(out) + '"'


def relative(path: bytes, prefix: str) -> bytes:
    """``path`` (from the top) as seen from the cwd ``prefix``."""
    pre = prefix.encode()
    if not pre:
        return path
    if path.startswith(pre):
        return path[len(pre):]
    ups = pre.rstrip(b"/").split(b"/")
    parts = path.split(b"/")
    i = 0
    while i < len(ups) and i < len(parts) - 1 and ups[i] == parts[i]:
        i += 1
    return b"../" * (len(ups) - i) + b"/".join(parts[i:])


@dataclass
class State:
    """HEAD, the index and what differs between them and the working tree."""

    g: GitRepo
    wt: WorkTree = field(init=False)
    index: Index = field(init=False)

    def __post_init__(self) -> None:
        self.wt = WorkTree(self.g)
        try:
            self.index = self.g.repo.open_index()
        except Exception as e:
            raise GitFatal(f"index file corrupt: {e}") from None

    @property
    def repo(self):
        return self.g.repo

    # -- HEAD ----------------------------------------------------------------------

    def head_ref(self) -> bytes | None:
        """``refs/heads/NAME`` HEAD points at, None when detached."""
        raw = self.repo.refs.read_ref(b"HEAD")
        if raw is not None and raw.startswith(b"ref: "):
            return raw[5:].strip()
        return None

    def branch(self) -> str | None:
        ref = self.head_ref()
        if ref is None:
            return None
        return ref.decode().removeprefix("refs/heads/")

    def head(self) -> bytes | None:
        try:
            return self.repo.refs[b"HEAD"]
        except KeyError:
            return None

    def head_tree(self) -> bytes | None:
        h = self.head()
        return self.commit(h).tree if h else None

    def commit(self, sha: bytes) -> Commit:
        obj = self.repo[sha]
        while isinstance(obj, Tag):
            obj = self.repo[obj.object[1]]
        if not isinstance(obj, Commit):
            raise GitFatal(f"{sha.decode()} is not a commit")
        return obj

    def items(self, tree: bytes | None) -> Items:
        return tree_items(self.repo.object_store, tree)

    def entry(self, path: bytes) -> IndexEntry | None:
        """The index entry at ``path`` (None when absent or in conflict)."""
        if path not in self.index:
            return None
        e = self.index[path]
        return e if isinstance(e, IndexEntry) else None

    def index_items(self) -> Items:
        out: Items = {}
        for path, entry in self.index.items():
            if isinstance(entry, IndexEntry):
                out[path] = (entry.mode, entry.sha)
        return out

    # -- revisions -------------------------------------------------------------------

    def resolve(self, spec: str) -> bytes:
        """A revision to a commit id; Unknown when it names nothing."""
        sha = self.try_resolve(spec)
        if sha is None:
            raise Unknown(spec)
        return sha

    def try_resolve(self, spec: str, peel: bool = True) -> bytes | None:
        """A revision's commit id (``peel=False``: an annotated tag's own id)."""
        base, ops = _split_rev(spec)
        if base is None:
            return None
        sha = self._base(base)
        if sha is None:
            return None
        if not ops and not peel:
            return sha if sha in self.repo.object_store else None
        for op, n in ops:
            c = self.commit(sha)
            if op == "~":
                for _ in range(n):
                    if not c.parents:
                        return None
                    sha = c.parents[0]
                    c = self.commit(sha)
            else:
                if n == 0:
                    continue
                if len(c.parents) < n:
                    return None
                sha = c.parents[n - 1]
        return self.commit(sha).id

    def _base(self, name: str) -> bytes | None:
        refs = self.repo.refs
        if name in ("HEAD", "@"):
            return self.head()
        b = name.encode("utf-8", "surrogateescape")
        for cand in (b, b"refs/" + b, b"refs/tags/" + b, b"refs/heads/" + b,
                     b"refs/remotes/" + b, b"refs/remotes/" + b + b"/HEAD"):  # fmt: skip
            try:
                return refs[cand]
            except (KeyError, ValueError):
                continue
        if 4 <= len(b) <= 40 and all(c in b"0123456789abcdef" for c in b.lower()):
            b = b.lower()
            if len(b) == 40 and b in self.repo.object_store:
                return b
            found = [s for s in self._all_ids_with(b)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise GitFatal(f"ambiguous argument '{name}': short object ID is ambiguous")
        return None

    def _all_ids_with(self, prefix: bytes) -> list[bytes]:
        out = []
        for sha in self.repo.object_store:
            if sha.startswith(prefix):
                out.append(sha)
                if len(out) > 1:
                    break
        return out

    # -- status ----------------------------------------------------------------------

    def worktree_item(self, path: bytes, entry: IndexEntry | None) -> tuple[int, bytes] | None:
        """(mode, sha) of the working file at ``path``; None when it is gone."""
        st = self.wt.lstat(path)
        if st is None or statmod.S_ISDIR(st.st_mode):
            return None
        from .worktree import git_mode

        mode = git_mode(st)
        if entry is not None and _stat_same(entry, st) and entry.mode == mode:
            return entry.mode, entry.sha
        return mode, self.wt.read_blob(path, st).id

    def unstaged(self) -> list[Change]:
        out = []
        for path, entry in sorted(self.index.items()):
            if not isinstance(entry, IndexEntry):
                continue
            self.g.ctx.check()
            now = self.worktree_item(path, entry)
            old = (entry.mode, entry.sha)
            if now != old:
                out.append(Change(path, old, now))
        return out

    def staged(self) -> list[Change]:
        head = self.items(self.head_tree())
        for path, entry in self.index.items():
            if not isinstance(entry, IndexEntry):
                head.pop(path, None)  # in conflict: "Unmerged paths", not a change
        return changes(head, self.index_items(),
                       read=lambda sha: self.repo[sha].as_raw_string())  # fmt: skip

    def untracked(self, collapse: bool = True, ignored_too: bool = False) -> list[bytes]:
        """Untracked files (``dir/`` for a directory holding nothing tracked when
        ``collapse``); ``ignored_too`` adds the ignored ones (``add -f``)."""
        tracked = set(self.index)
        dirs = set()
        for p in tracked:
            parts = p.split(b"/")
            for i in range(1, len(parts)):
                dirs.add(b"/".join(parts[:i]))
        out: list[bytes] = []
        for rel, _st, ignored in self.wt.walk(tracked, prune=not ignored_too):
            if (ignored and not ignored_too) or rel in tracked:
                continue
            if collapse:
                parts = rel.split(b"/")
                for i in range(1, len(parts)):
                    d = b"/".join(parts[:i])
                    if d not in dirs:
                        rel = d + b"/"
                        break
            if not out or out[-1] != rel:
                out.append(rel)
        return sorted(set(out))

    def ignored(self, collapse: bool = True) -> list[bytes]:
        """Untracked files ``.gitignore`` ignores (``status --ignored``): with ``collapse``,
        ``dir/`` for the topmost untracked directory holding nothing but ignored files."""
        tracked = set(self.index)
        keep: set[bytes] = set()  # directories holding something tracked or not ignored
        found: list[bytes] = []
        for rel, _st, ign in self.wt.walk(tracked, prune=False):
            if rel in tracked or not ign:
                cut = rel.rfind(b"/")
                while cut > 0 and rel[:cut] not in keep:
                    keep.add(rel[:cut])
                    cut = rel.rfind(b"/", 0, cut)
                continue
            found.append(rel)
        out: set[bytes] = set()
        for rel in found:
            shown = rel
            if collapse:
                parts = rel.split(b"/")
                for i in range(1, len(parts)):
                    d = b"/".join(parts[:i])
                    if d not in keep:
                        shown = d + b"/"
                        break
            out.add(shown)
        return sorted(out)

    # -- writing -----------------------------------------------------------------------

    def write_blob(self, data: bytes) -> bytes:
        blob = Blob.from_string(data)
        self.repo.object_store.add_object(blob)
        return blob.id

    def ignored_untracked(self) -> set[bytes]:
        """Untracked files that ``.gitignore`` ignores (for ``add``'s refusal)."""
        tracked = set(self.index)
        return {rel for rel, _st, ign in self.wt.walk(tracked, prune=False)
                if ign and rel not in tracked}  # fmt: skip

    def stage(self, path: bytes) -> bool:
        """Put the working file at ``path`` in the index (or drop it when gone)."""
        st = self.wt.lstat(path)
        if st is None or statmod.S_ISDIR(st.st_mode):
            if path in self.index:
                del self.index[path]
                return True
            return False
        entry = self.entry(path)
        from .worktree import git_mode

        if entry is not None and entry.mode == git_mode(st) and _stat_same(entry, st):
            return False  # unchanged since it was staged: not read again
        blob = self.wt.read_blob(path, st)
        if blob.id not in self.repo.object_store:
            self.repo.object_store.add_object(blob)
        self.index[path] = self.wt.entry(path, st, blob.id)
        return True

    def tree_from_index(self) -> bytes:
        blobs = [(p, sha, mode) for p, (mode, sha) in sorted(self.index_items().items())]
        return commit_tree(self.repo.object_store, blobs)

    def make_commit(self, tree: bytes, parents: list[bytes], message: bytes,
                    author: Ident, committer: Ident) -> Commit:  # fmt: skip
        c = Commit()
        c.tree = tree
        c.parents = parents
        c.author = author.raw()
        c.committer = committer.raw()
        c.author_time, c.author_timezone = author.when, author.tz
        c.commit_time, c.commit_timezone = committer.when, committer.tz
        c.encoding = None
        c.message = message
        self.repo.object_store.add_object(c)
        return c

    def set_head(self, sha: bytes, message: bytes) -> None:
        """Move the branch HEAD names (or HEAD itself when detached)."""
        self.update_ref(self.head_ref() or b"HEAD", sha, message)

    def update_ref(self, ref: bytes, sha: bytes, message: bytes | None) -> None:
        """Set ``ref``, with a reflog line when the committer is known."""
        try:
            who = self.g.ident("COMMITTER")
        except GitFatal:
            self.repo.refs.set_if_equals(ref, None, sha)
            return
        self.repo.refs.set_if_equals(ref, None, sha, committer=who.raw(), timestamp=who.when,
                                     timezone=who.tz, message=message)  # fmt: skip

    def checkout_tree(self, new_tree: bytes | None, force: bool = False) -> None:
        """Make the index and working tree the tree ``new_tree``: paths that change
        between HEAD and it are written or removed; others keep local changes.
        Refuses (unless ``force``) when a local change would be lost."""
        old = self.items(self.head_tree())
        new = self.items(new_tree)
        idx = self.index_items()
        touched = [p for p in set(old) | set(new) if old.get(p) != new.get(p)]
        if not force:
            lost = []
            for p in touched:
                entry = self.entry(p)
                cur_idx = idx.get(p)
                wt = self.worktree_item(p, entry)
                if cur_idx != old.get(p) and cur_idx != new.get(p):
                    lost.append(p)
                elif wt != cur_idx and wt != new.get(p):
                    if wt is None and cur_idx is None:
                        continue
                    if wt is not None and cur_idx is None and p not in old:
                        lost.append(p)  # an untracked file in the way
                        continue
                    lost.append(p)
            if lost:
                raise LocalChanges(sorted(lost))
            paths = touched
        else:
            paths = list(set(old) | set(new) | set(idx))
        self.write_paths(new, paths)

    def write_paths(self, tree: Items, paths: Iterable[bytes]) -> None:
        """``paths`` in the index and working tree as ``tree`` (path -> (mode, sha)) has
        them: written, or removed where ``tree`` has no such path; then the index saved."""
        for p in sorted(paths):
            self.g.ctx.check()
            if p not in tree:
                self.wt.remove(p)
                if p in self.index:
                    del self.index[p]
                continue
            mode, sha = tree[p]
            st = self.wt.write(p, mode, self.repo[sha].as_raw_string())
            self.index[p] = _entry(st, sha, mode)
        self.index.write()


class LocalChanges(GitFatal):
    def __init__(self, paths: list[bytes]) -> None:
        super().__init__("", status=1)
        self.paths = paths


def _entry(st: os.stat_result, sha: bytes, mode: int) -> IndexEntry:
    from dulwich.index import index_entry_from_stat

    return index_entry_from_stat(st, sha, mode=mode)


def _stat_same(entry: IndexEntry, st: os.stat_result) -> bool:
    def secs(t) -> float:
        if isinstance(t, tuple):
            return t[0] + t[1] / 1e9
        return float(t)

    if entry.size != (st.st_size & 0xFFFFFFFF):
        return False
    mtime = secs(entry.mtime)
    if abs(mtime - st.st_mtime) > 1e-6:
        return False
    # racy git: a file written in the same second the index was last read may change
    # without its size or mtime changing; hash it then
    return time.time() - st.st_mtime > 2


def _split_rev(spec: str) -> tuple[str | None, list[tuple[str, int]]]:
    """``NAME~2^`` -> (NAME, [("~", 2), ("^", 1)])."""
    i = len(spec)
    for j, ch in enumerate(spec):
        if ch in "~^":
            i = j
            break
    base, rest = spec[:i], spec[i:]
    if not base:
        return None, []
    ops: list[tuple[str, int]] = []
    k = 0
    while k < len(rest):
        op = rest[k]
        if op not in "~^":
            return None, []
        k += 1
        num = ""
        while k < len(rest) and rest[k].isdigit():
            num += rest[k]
            k += 1
        ops.append((op, int(num) if num else 1))
    return base, ops


# -- printing -------------------------------------------------------------------------


_DATE_MODES = ("default", "iso", "iso8601", "iso-strict", "iso8601-strict", "short", "raw",
               "unix", "rfc", "rfc2822", "relative", "local", "human")


def check_date_mode(mode: str) -> str:
    """A ``--date`` value, or git's ``unknown date format`` (128)."""
    base = mode.removesuffix("-local") if mode != "local" else mode
    if base in _DATE_MODES or mode.startswith("format:") or mode.startswith("format-local:"):
        return mode
    raise GitFatal(f"unknown date format {mode}")


def _offset(tz: int, colon: bool = False) -> str:
    sign = "-" if tz < 0 else "+"
    off = abs(tz)
    return f"{sign}{off // 3600:02d}{':' if colon else ''}{off % 3600 // 60:02d}"


def relative_date(when: int, now: float | None = None) -> str:
    """git's ``--date=relative`` (``show_date_relative``)."""
    now_s = int(time.time() if now is None else now)
    if now_s < when:
        return "in the future"
    diff = now_s - when

    def unit(n: int, name: str) -> str:
        return f"{n} {name}{'' if n == 1 else 's'}"

    if diff < 90:
        return unit(diff, "second") + " ago"
    diff = (diff + 30) // 60
    if diff < 90:
        return unit(diff, "minute") + " ago"
    diff = (diff + 30) // 60
    if diff < 36:
        return unit(diff, "hour") + " ago"
    diff = (diff + 12) // 24
    if diff < 14:
        return unit(diff, "day") + " ago"
    if diff < 70:
        return unit((diff + 3) // 7, "week") + " ago"
    if diff < 365:
        return unit((diff + 15) // 30, "month") + " ago"
    if diff < 1825:
        total = (diff * 12 * 2 + 365) // (365 * 2)
        years, months = divmod(total, 12)
        if months:
            return f"{unit(years, 'year')}, {unit(months, 'month')} ago"
        return unit(years, "year") + " ago"
    return unit((diff + 183) // 365, "year") + " ago"


def format_date(when: int, tz: int, mode: str = "default") -> str:
    """A date as ``git log --date=MODE`` prints it (``default``: git's own form)."""
    local = mode.endswith("-local") or mode == "local" or mode.startswith("format-local:")
    if local:
        tz = time.localtime(when).tm_gmtoff or 0
        mode = "default" if mode == "local" else mode.removesuffix("-local")
        mode = mode.replace("format-local:", "format:", 1)
    t = time.gmtime(when + tz)
    if mode.startswith("format:"):
        fmt = mode[7:].replace("%z", _offset(tz).replace("%", "%%")).replace("%Z", "")
        return time.strftime(fmt, t)
    if mode in ("iso", "iso8601"):
        return time.strftime("%Y-%m-%d %H:%M:%S ", t) + _offset(tz)
    if mode in ("iso-strict", "iso8601-strict"):
        return time.strftime("%Y-%m-%dT%H:%M:%S", t) + _offset(tz, colon=True)
    if mode == "short":
        return time.strftime("%Y-%m-%d", t)
    if mode == "raw":
        return f"{when} {_offset(tz)}"
    if mode == "unix":
        return str(when)
    if mode in ("rfc", "rfc2822"):
        return time.strftime("%a, ", t) + str(t.tm_mday) + time.strftime(" %b %Y %H:%M:%S ", t) \
            + _offset(tz)
    if mode == "relative":
        return relative_date(when)
    if mode == "human":
        now = time.gmtime(time.time() + tz)
        if now.tm_year != t.tm_year:
            return time.strftime("%b ", t) + str(t.tm_mday) + time.strftime(" %Y", t)
        return time.strftime("%a %b ", t) + str(t.tm_mday) + time.strftime(" %H:%M", t)
    out = time.strftime("%a %b ", t) + str(t.tm_mday) + time.strftime(" %H:%M:%S %Y", t)
    return out if local else out + " " + _offset(tz)


def log_header(c: Commit, decorate: str = "", date: str = "default", abbrev: bool = False
               ) -> bytes:  # fmt: skip
    out = [b"commit " + (c.id[:7] if abbrev else c.id) + decorate.encode() + b"\n"]
    if len(c.parents) > 1:
        out.append(b"Merge: " + b" ".join(p[:7] for p in c.parents) + b"\n")
    out.append(b"Author: " + c.author + b"\n")
    out.append(b"Date:   " + format_date(c.author_time, c.author_timezone, date).encode() + b"\n")
    out.append(b"\n")
    msg = c.message.rstrip(b"\n")
    for line in msg.split(b"\n"):
        out.append(b"    " + line + b"\n")
    return b"".join(out)


def subject(c: Commit) -> bytes:
    """The first paragraph of the message joined into one line (git's ``%s``)."""
    lines = []
    for line in c.message.split(b"\n"):
        if not line.strip():
            if lines:
                break
            continue
        lines.append(line.rstrip())
    return b" ".join(lines)


def walk(g: GitRepo, starts: list[bytes], limit: int | None = None) -> list[Commit]:
    """Commits reachable from ``starts``, newest commit time first (git's default
    order for ``log``)."""
    import heapq

    st = g.repo
    seen: set[bytes] = set()
    heap: list[tuple[int, int, bytes]] = []
    n = 0
    for s in starts:
        if s not in seen:
            seen.add(s)
            c = st[s]
            heapq.heappush(heap, (-c.commit_time, n, s))
            n += 1
    out: list[Commit] = []
    while heap and (limit is None or len(out) < limit):
        g.ctx.check()
        _, _, sha = heapq.heappop(heap)
        c = st[sha]
        out.append(c)
        for p in c.parents:
            if p not in seen:
                seen.add(p)
                try:
                    pc = st[p]
                except KeyError:
                    continue  # a shallow history
                heapq.heappush(heap, (-pc.commit_time, n, p))
                n += 1
    return out


def tree_of(obj: Commit | Tree) -> bytes:
    return obj.tree if isinstance(obj, Commit) else obj.id


def cleanup_message(text: str) -> bytes:
    """``--cleanup=whitespace``: trailing spaces off, blank runs collapsed, one
    newline at the end."""
    lines = [ln.rstrip() for ln in text.split("\n")]
    out: list[str] = []
    for ln in lines:
        if not ln and (not out or not out[-1]):
            continue
        out.append(ln)
    while out and not out[-1]:
        out.pop()
    if not out:
        return b""
    return ("\n".join(out) + "\n").encode("utf-8", "surrogateescape")
