"""The working tree of a repository, reached only through ``shell/hostfs`` (every
open, stat, listing, mkdir and unlink kernel-checked beneath the sandbox root):
listing with ``.gitignore``, blobs of files, and writing trees back out."""

from __future__ import annotations

import os
import stat as statmod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dulwich.ignore import IgnoreFilter
from dulwich.index import IndexEntry, index_entry_from_stat
from dulwich.objects import S_IFGITLINK, Blob, Tree

from .. import hostfs
from ..command import QuotaWriter
from ..limits import max_string
from .repo import GitFatal, GitRepo, bad_path_element


def git_mode(st: os.stat_result) -> int:
    if statmod.S_ISLNK(st.st_mode):
        return 0o120000
    if statmod.S_ISDIR(st.st_mode):
        return 0o040000
    return 0o100755 if st.st_mode & 0o100 else 0o100644


@dataclass
class WorkTree:
    g: GitRepo
    #: directory (relative path) -> whether it is a real directory, for one command
    _dirs: dict[bytes, bool] = field(default_factory=dict)
    _top: list[str] | None = None
    _tracked_dirs: set[bytes] = field(default_factory=set)
    _prune: bool = True

    @property
    def ws(self):
        return self.g.ctx.ws

    def host(self, rel: bytes | str) -> Path:
        r = rel.decode("utf-8", "surrogateescape") if isinstance(rel, bytes) else rel
        return self.g.top / r

    def _stat(self, rel: bytes) -> os.stat_result:
        """lstat beneath the root by the kernel (components, no pathlib on the way)."""
        if self._top is None:
            self._top = hostfs.parts(self.ws, self.g.top)
        parts = self._top + rel.decode("utf-8", "surrogateescape").split("/")
        return self.ws.tree.stat(parts, follow=False)

    def forget_dirs(self) -> None:
        """Drop what :meth:`lstat` learnt about directories (after a rename)."""
        self._dirs.clear()

    def _is_dir(self, rel: bytes) -> bool:
        known = self._dirs.get(rel)
        if known is None:
            try:
                known = statmod.S_ISDIR(self._stat(rel).st_mode)
            except (OSError, ValueError):
                known = False
            self._dirs[rel] = known
        return known

    def lstat(self, rel: bytes) -> os.stat_result | None:
        """lstat of a tracked path; None when missing or behind a symbolic link."""
        cut = rel.rfind(b"/")
        while cut > 0:  # git never looks beyond a link
            if not self._is_dir(rel[:cut]):
                return None
            cut = rel.rfind(b"/", 0, cut)
        try:
            return self._stat(rel)
        except (OSError, ValueError):
            return None

    def read_blob(self, rel: bytes, st: os.stat_result) -> Blob:
        """The blob git would store for this file (a link's target for a link)."""
        if statmod.S_ISLNK(st.st_mode):
            target = hostfs.readlink(self.ws, self.host(rel))
            return Blob.from_string(os.fsencode(target))
        cap = max_string(getattr(self.ws, "budget", None))
        if st.st_size > cap:
            raise GitFatal(f"{rel.decode(errors='replace')}: file too large ({st.st_size} bytes)")
        with hostfs.open_read(self.ws, self.host(rel)) as f:
            data = f.read(cap + 1)
        if len(data) > cap:
            raise GitFatal(f"{rel.decode(errors='replace')}: file too large")
        return Blob.from_string(data)

    def entry(self, rel: bytes, st: os.stat_result, sha: bytes) -> IndexEntry:
        return index_entry_from_stat(st, sha, mode=git_mode(st))

    # -- listing -----------------------------------------------------------------

    def _ignore_filters(self) -> list[tuple[bytes, IgnoreFilter]]:
        out: list[tuple[bytes, IgnoreFilter]] = []
        exclude = self.g.gitdir / "info" / "exclude"
        if hostfs.lexists(self.ws, exclude):
            out.append((b"", IgnoreFilter(self._lines(exclude))))
        return out

    def _lines(self, host: Path) -> list[bytes]:
        try:
            st = hostfs.lstat(self.ws, host)
            if not statmod.S_ISREG(st.st_mode):
                return []
            with hostfs.open_read(self.ws, host) as f:
                return f.read(1 << 20).splitlines()
        except (OSError, ValueError):
            return []

    def walk(self, tracked: set[bytes], prune: bool = True
             ) -> Iterator[tuple[bytes, os.stat_result, bool]]:  # fmt: skip
        """Every file and link below the top, but ``.git``: (path, lstat, ignored).
        With ``prune`` an ignored directory holding nothing tracked is not entered
        (as git: a ``node_modules/`` costs nothing)."""
        self._prune = prune
        filters = self._ignore_filters()
        self._tracked_dirs = set()
        for p in tracked:
            cut = p.rfind(b"/")
            while cut > 0 and p[:cut] not in self._tracked_dirs:
                self._tracked_dirs.add(p[:cut])
                cut = p.rfind(b"/", 0, cut)
        yield from self._walk(b"", filters, False, tracked)

    def _ignored(self, filters: list[tuple[bytes, IgnoreFilter]], rel: bytes, is_dir: bool) -> bool:
        verdict: bool | None = None
        for base, flt in filters:
            if base and not rel.startswith(base):
                continue
            sub = rel[len(base):].decode("utf-8", "surrogateescape") + ("/" if is_dir else "")
            v = flt.is_ignored(sub)
            if v is not None:
                verdict = v
        return bool(verdict)

    def _walk(
        self, prefix: bytes, filters: list[tuple[bytes, IgnoreFilter]], ign: bool,
        tracked: set[bytes],
    ) -> Iterator[tuple[bytes, os.stat_result, bool]]:
        self.g.ctx.check()
        d = self.host(prefix.rstrip(b"/")) if prefix else self.g.top
        gi = d / ".gitignore"
        if hostfs.lexists(self.ws, gi):
            filters = [*filters, (prefix, IgnoreFilter(self._lines(gi)))]
        try:
            with hostfs.scandir(self.ws, d) as it:
                entries = sorted((os.fsencode(e.name), e.stat(follow_symlinks=False))
                                 for e in it)  # fmt: skip
        except (OSError, ValueError):
            return
        for name, st in entries:
            if not prefix and name == b".git":
                continue
            rel = prefix + name
            if statmod.S_ISDIR(st.st_mode):
                if hostfs.lexists(self.ws, self.host(rel + b"/.git")):
                    continue  # a nested repository: not ours
                sub_ign = ign or self._ignored(filters, rel, True)
                if sub_ign and self._prune and rel not in self._tracked_dirs:
                    continue  # an ignored directory with nothing tracked: not walked
                yield from self._walk(rel + b"/", filters, sub_ign, tracked)
            elif statmod.S_ISREG(st.st_mode) or statmod.S_ISLNK(st.st_mode):
                if rel in tracked:  # a tracked file is never ignored: no need to ask
                    yield rel, st, False
                else:
                    yield rel, st, ign or self._ignored(filters, rel, False)

    # -- writing -----------------------------------------------------------------

    def _mkdirs(self, rel: bytes) -> None:
        self._dirs.clear()
        parts = rel.split(b"/")[:-1]
        for i in range(1, len(parts) + 1):
            h = self.host(b"/".join(parts[:i]))
            try:
                st = hostfs.lstat(self.ws, h)
            except FileNotFoundError:
                hostfs.mkdir(self.ws, h, 0o755)
                continue
            if statmod.S_ISDIR(st.st_mode):
                continue
            hostfs.unlink(self.ws, h)  # a file or link where a directory goes
            hostfs.mkdir(self.ws, h, 0o755)

    def write(self, rel: bytes, mode: int, data: bytes) -> os.stat_result:
        """Write one file (or link) of a tree; returns its lstat."""
        for part in rel.split(b"/"):
            if bad_path_element(part):
                raise GitFatal(f"invalid path '{rel.decode(errors='replace')}'")
        self.g.ctx.check()
        self._mkdirs(rel)
        h = self.host(rel)
        try:
            st = hostfs.lstat(self.ws, h)
            if statmod.S_ISDIR(st.st_mode):
                raise GitFatal(f"cannot write {rel.decode(errors='replace')}: a directory is there")
            hostfs.unlink(self.ws, h)
        except FileNotFoundError:
            pass
        self.ws.charge(0, new_files=1)
        if mode == 0o120000:
            hostfs.symlink(self.ws, os.fsdecode(data), h)
        else:
            fmode = 0o755 if mode & 0o100 else 0o644
            with QuotaWriter(hostfs.create(self.ws, h, fmode), self.ws, rel.decode()) as f:
                f.write(data)
        return hostfs.lstat(self.ws, h)

    def remove(self, rel: bytes) -> None:
        """Remove a tracked file and the directories it leaves empty."""
        self._dirs.clear()
        h = self.host(rel)
        try:
            st = hostfs.lstat(self.ws, h)
        except (FileNotFoundError, ValueError):
            return
        if statmod.S_ISDIR(st.st_mode):
            return
        hostfs.unlink(self.ws, h)
        parts = rel.split(b"/")[:-1]
        while parts:
            try:
                hostfs.rmdir(self.ws, self.host(b"/".join(parts)))
            except OSError:
                break
            parts.pop()


def tree_items(store, tree_id: bytes | None, prefix: bytes = b"") -> dict[bytes, tuple[int, bytes]]:
    """path -> (mode, sha) of every blob below a tree (submodules skipped)."""
    out: dict[bytes, tuple[int, bytes]] = {}
    if tree_id is None:
        return out
    stack = [(prefix, tree_id)]
    while stack:
        pre, tid = stack.pop()
        tree = store[tid]
        if not isinstance(tree, Tree):
            raise GitFatal("corrupt tree object " + tid.decode())
        for name, mode, sha in tree.items():
            if bad_path_element(name):
                raise GitFatal(f"invalid path '{(pre + name).decode(errors='replace')}' in tree")
            if statmod.S_ISDIR(mode):
                stack.append((pre + name + b"/", sha))
            elif mode != S_IFGITLINK:
                out[pre + name] = (mode, sha)
    return out
