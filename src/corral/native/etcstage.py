"""The curated ``/etc`` of the native sandboxes, staged once per process.

Only the entries of :data:`ETC_ALLOW` are ever shown (no ``shadow``, ``sudoers``, ssh
keys, ``pip.conf``), with a synthetic ``passwd`` and ``group``. Binding them one by one
cost bwrap ~0.3 ms per entry (~15 ms of every sandbox's start), and copying them all
cost gVisor 0.3-1.7 s per backend; so a copy is made once per process and shared,
read-only, by every sandbox of that kind:

* ``bwrap``: the allowed files and the small directories (at most :data:`SMALL_TREE`
  entries) are copied into one directory bound read-only at ``/etc``; the large
  directories (``ssl``, ``alternatives``) are bound over it, live, as before;
* ``gvisor``: every allowed entry is copied (a top-level symlink stays a symlink), the
  one directory gVisor binds at ``/etc``.

A node is copied only when a bind would show it to anyone (world-readable, and
world-searchable for a directory) and it is a regular file, a directory or a symlink;
any other entry is bound as it is (bwrap) or left out (gVisor, as before), so the copy
never shows more than the binds did. The copy is owned by this process's user, files
``0644`` at most, directories ``0755``, in a private temporary directory.

Before each use a stage is re-checked: every copied source (its inode, size, mode, times)
and every copy must be as they were, else a new stage is built (a changed ``/etc`` is
picked up; a changed copy is never used). A superseded stage is removed once no
sandbox holds it (:meth:`StagedEtc.release`); all are removed when the process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..deeptree import remove_tree
from . import leftovers

log = logging.getLogger("corral.native.etcstage")

__all__ = ["ETC_ALLOW", "GROUP", "PASSWD", "SMALL_TREE", "StagedEtc", "stage_etc", "staged_etc"]

#: /etc entries shown when they exist (no shadow, sudoers, ssh keys, pip.conf)
ETC_ALLOW = (
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "nsswitch.conf", "hosts", "host.conf",
    "gai.conf", "resolv.conf", "protocols", "services", "networks", "rpc", "ethertypes",
    "ssl", "ca-certificates", "ca-certificates.conf", "alternatives", "localtime",
    "timezone", "mime.types", "magic", "magic.mime", "bash.bashrc", "profile", "profile.d",
    "inputrc", "shells", "os-release", "debian_version", "issue", "terminfo",
    "python3", "python3.11", "python3.12", "perl", "gitconfig", "vim", "wgetrc", "xattr.conf",
    "locale.alias", "locale.gen", "environment", "mke2fs.conf", "java-17-openjdk",
    "fonts", "xml", "sgml", "login.defs", "iproute2", "manpath.config", "default",
)  # fmt: skip

PASSWD = (
    "root:x:0:0:root:/root:/usr/sbin/nologin\n"
    "corral:x:1000:1000:corral sandbox:/workspace:/bin/bash\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
)
GROUP = "root:x:0:\ncorral:x:1000:\nnogroup:x:65534:\n"

#: where the entries are taken from (a test points it elsewhere)
ETC_ROOT = "/etc"
#: bwrap: a directory whose tree has at most this many entries is copied, a larger one bound
SMALL_TREE = 16
#: the largest file copied (bwrap binds a larger one)
_MAX_FILE = 4 << 20

Kind = Literal["bwrap", "gvisor"]
_Sig = tuple[int, int, int, int, int, int]


def _sig(st: os.stat_result) -> _Sig:
    return (st.st_dev, st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _stat(path: str, follow: bool) -> _Sig | None:
    try:
        return _sig(os.stat(path, follow_symlinks=follow))
    except OSError:
        return None


@dataclass
class StagedEtc:
    """One staged ``/etc``: ``path`` to bind at ``/etc``, ``binds`` (host path, path in
    the sandbox) to bind read-only over it."""

    path: Path
    binds: tuple[tuple[str, str], ...]
    #: (path, follow symlinks, signature) of every copied source and every copy
    checks: tuple[tuple[str, bool, _Sig | None], ...]
    holders: int = 0
    superseded: bool = False
    #: the process that made it (a forked child never removes its parent's)
    owner: int = field(default_factory=os.getpid)
    _gone: bool = field(default=False, repr=False)

    def fresh(self) -> bool:
        """Whether the sources are unchanged and the copy is untouched."""
        if self._gone:
            return False
        return all(_stat(p, follow) == sig for p, follow, sig in self.checks)

    def release(self) -> None:
        """A sandbox no longer uses this stage (removed once superseded and unused)."""
        with _lock:
            self.holders = max(self.holders - 1, 0)
            if self.superseded and self.holders == 0:
                self._remove()

    def _remove(self) -> None:
        self._gone = True
        if self.owner == os.getpid():
            remove_tree(self.path.parent, ignore_errors=True)


_lock = threading.Lock()
_current: dict[str, StagedEtc] = {}
_all: list[StagedEtc] = []


def staged_etc(kind: Kind) -> StagedEtc:
    """The process's staged ``/etc`` for ``kind``, re-checked (rebuilt when stale), held
    for the caller: :meth:`StagedEtc.release` when the sandbox using it is gone."""
    key = f"{kind}:{ETC_ROOT}:{os.getpid()}"  # (a forked child makes its own)
    with _lock:
        cur = _current.get(key)
        if cur is not None and not cur.fresh():
            log.info("the staged /etc changed or its sources did: staging it again")
            cur.superseded = True
            if cur.holders == 0:
                cur._remove()
            _all.remove(cur)
            cur = None
        if cur is None:
            cur = _build(kind)
            _current[key] = cur
            _all.append(cur)
        cur.holders += 1
        return cur


@atexit.register
def _cleanup() -> None:
    with _lock:
        for st in _all:
            st._remove()
        _all.clear()
        _current.clear()


def _readable(st: os.stat_result) -> bool:
    """Whether a bind would show this node's content to the sandbox's user: anyone may
    read it (a directory: and search it)."""
    if stat.S_ISDIR(st.st_mode):
        return st.st_mode & 0o005 == 0o005
    return bool(st.st_mode & 0o004)


def _plan(src: str, follow_top: bool, limit: int | None, strict: bool) -> list[str] | None:
    """The nodes of the tree at ``src`` to copy (paths), or ``None`` when it must be bound
    instead (too large; ``strict``: a node not readable by anyone or a special file in it,
    else such a node is left out, with what is below it)."""
    nodes: list[str] = []
    stack = [(src, follow_top)]
    while stack:
        p, follow = stack.pop()
        try:
            st = os.stat(p, follow_symlinks=follow)
        except OSError:
            if p == src:
                return None
            continue  # (vanished while looked at: the checks catch a later change)
        mode = st.st_mode
        if stat.S_ISLNK(mode) or (
            stat.S_ISREG(mode) and _readable(st) and st.st_size <= _MAX_FILE
        ):
            nodes.append(p)
        elif stat.S_ISDIR(mode) and _readable(st):
            nodes.append(p)
            try:
                names = sorted(os.listdir(p))
            except OSError:
                return None
            stack.extend((os.path.join(p, n), False) for n in names)
        elif strict or p == src:
            return None
        if limit is not None and len(nodes) > limit:
            return None
    return nodes


def _copy(src: str, dest: str, follow_top: bool, nodes: list[str],
          checks: list[tuple[str, bool, _Sig | None]]) -> None:  # fmt: skip
    """Copy the planned ``nodes`` of ``src`` to ``dest``, recording what is checked."""
    base = len(src)
    for p in nodes:
        follow = follow_top and p == src
        st = os.stat(p, follow_symlinks=follow)
        out = dest + p[base:]
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(p), out)
        elif stat.S_ISDIR(st.st_mode):
            os.mkdir(out, 0o755)
            os.chmod(out, 0o755)
        else:
            flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
            fd = os.open(p, flags if follow else flags | os.O_NOFOLLOW)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since planned
                    raise OSError(f"{p} is no longer a regular file")
                with open(out, "xb") as f, open(fd, "rb", closefd=False) as r:
                    shutil.copyfileobj(r, f)
            finally:
                os.close(fd)
            os.chmod(out, st.st_mode & 0o755)
            os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))
        checks.append((p, follow, _sig(st)))
    for p in reversed(nodes):  # the copies, once complete (a directory's times change
        out = dest + p[base:]  # while entries are added to it)
        st = os.stat(p, follow_symlinks=follow_top and p == src)
        if stat.S_ISDIR(st.st_mode):
            os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))
        checks.append((out, False, _stat(out, False)))


def _build(kind: Kind) -> StagedEtc:
    root = leftovers.temp_dir(f"etc-{kind}")
    try:
        os.chmod(root, 0o755)
        dest = root / "etc"
        dest.mkdir(mode=0o755)
        checks: list[tuple[str, bool, _Sig | None]] = []
        binds: list[tuple[str, str]] = []
        follow_top = kind == "bwrap"  # a bind shows what a top-level symlink points to
        limit = SMALL_TREE if kind == "bwrap" else None
        for name in ETC_ALLOW:
            src = f"{ETC_ROOT}/{name}"
            if not os.path.lexists(src):
                checks.append((src, False, None))  # appearing later: staged again
                continue
            nodes = _plan(src, follow_top, limit, strict=kind == "bwrap")
            if nodes is not None:
                try:
                    _copy(src, str(dest / name), follow_top, nodes, checks)
                    continue
                except OSError as e:
                    log.debug("/etc/%s not copied (%s)", name, e)
                    _remove_partial(dest / name)
                    if kind == "gvisor":
                        continue
            if kind == "bwrap" and os.path.exists(src):
                # bound over the copy: a mount point of its own kind
                if os.path.isdir(src):
                    (dest / name).mkdir(mode=0o755)
                else:
                    (dest / name).touch(mode=0o644)
                binds.append((src, f"/etc/{name}"))
                checks.append((src, True, _stat(src, True)))
        for fname, text in (("passwd", PASSWD), ("group", GROUP)):
            p = dest / fname
            p.write_text(text)
            os.chmod(p, 0o644)
            checks.append((str(p), False, _stat(str(p), False)))
        checks.append((str(dest), False, _stat(str(dest), False)))
        checks.append((str(root), False, _stat(str(root), False)))
        return StagedEtc(path=dest, binds=tuple(binds), checks=tuple(checks))
    except BaseException:
        remove_tree(root, ignore_errors=True)
        raise


def _remove_partial(p: Path) -> None:
    with contextlib.suppress(OSError):
        if p.is_symlink() or not p.is_dir():
            p.unlink()
        else:
            remove_tree(p)


def stage_etc(dest: Path, follow_top: bool = True) -> None:
    """A private copy of the allowed ``/etc`` entries at ``dest`` (every entry copied, as
    the gVisor stage is; ``follow_top``: a top-level symlink is copied as what it points
    to), with the synthetic ``passwd`` and ``group``. For a build that needs its own."""
    dest.mkdir()
    checks: list[tuple[str, bool, _Sig | None]] = []
    for name in ETC_ALLOW:
        src = f"{ETC_ROOT}/{name}"
        if not os.path.lexists(src):
            continue
        nodes = _plan(src, follow_top, None, strict=False)
        if nodes is None:
            continue
        try:
            _copy(src, str(dest / name), follow_top, nodes, checks)
        except OSError:
            _remove_partial(dest / name)
    (dest / "passwd").write_text(PASSWD)
    (dest / "group").write_text(GROUP)
