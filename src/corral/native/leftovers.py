"""What a killed corral process leaves behind, named so that the next one sweeps it.

A corral process that is SIGKILLed (or OOM-killed, or crashes) runs no clean-up. Its
sandboxes die with it (parent-death signals, pipes closing), but the directories it staged
them in and the cgroups it made for them stay. An unattended fleet that loses a worker now
and then would pile them up: every leftover cgroup is a kernel object, and every stage a
copy of ``/etc`` or a runsc state directory.

So everything of that kind carries the pid of the process that made it:

* temporary directories ``corral-KIND-PID-…`` (:func:`temp_dir`: the bwrap and gVisor
  stages, pool slots and pods, the staged ``/etc``);
* cgroups ``pPID-…`` (:func:`cgroup_name`, every :class:`~corral.native._common.CgroupSet`)
  and ``gvisor-corral-[pod-]PID-…`` (gVisor's, from the container id :func:`container_id`),
  under the ``corral`` groups of the cgroup trees.

A pid alone would not say whether its process is gone: pids are reused, and a process in
another pid namespace that shares ``/tmp`` has pids this one cannot see. So each process
that makes such a thing first makes an *owner file* ``corral-owner-PID-…`` in the
temporary directory and holds a ``flock`` on it for its life (the kernel drops the lock
when the process is gone, however it ended). :func:`sweep`, run once per process before
its first leftover is made, removes a pid's directories and cgroups only when that pid has
an owner file, every owner file of that pid can be locked, and the leftover belongs to
this user. A cgroup that still holds tasks cannot be removed and stays; what an older
corral left (no pid in its name) is not touched.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import re
import stat
import tempfile
import threading
import uuid
from pathlib import Path

from ..deeptree import remove_tree

log = logging.getLogger("corral.native.leftovers")

#: the kinds of temporary directory :func:`temp_dir` makes
KINDS = ("bwrap", "gvisor", "gvpod", "pool", "etc-bwrap", "etc-gvisor")
_TEMP = re.compile(r"corral-(?:" + "|".join(KINDS) + r")-(\d+)-[A-Za-z0-9_]+")
_CGROUP = re.compile(r"(?:p|gvisor-corral-(?:pod-)?)(\d+)-[A-Za-z0-9_.-]+")
_OWNER = re.compile(r"corral-owner-(\d+)-[0-9a-f]+")
_CGROUP_FS = Path("/sys/fs/cgroup")

_lock = threading.Lock()
#: this process's owner file: (pid, fd, path); made again in a forked child
_owner: tuple[int, int, str] | None = None


def _after_fork() -> None:
    global _lock
    _lock = threading.Lock()  # (a thread of the parent may have held it at the fork)


os.register_at_fork(after_in_child=_after_fork)


def temp_dir(kind: str) -> Path:
    """A new private directory ``corral-KIND-PID-…`` in the temporary directory."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of corral directory {kind!r}: one of {KINDS}")
    _register()
    return Path(tempfile.mkdtemp(prefix=f"corral-{kind}-{os.getpid()}-"))


def cgroup_name(name: str) -> str:
    """The name of a cgroup corral makes (``pPID-name``)."""
    _register()
    return f"p{os.getpid()}-{name}"


def container_id(kind: str = "") -> str:
    """A gVisor container id, ``corral-[KIND-]PID-…`` (its cgroup is ``gvisor-`` + it)."""
    _register()
    return f"corral-{kind + '-' if kind else ''}{os.getpid()}-{uuid.uuid4().hex[:12]}"


def _register() -> None:
    """This process's owner file, made (and the leftovers of dead ones swept) once."""
    global _owner
    pid = os.getpid()
    if _owner is not None and _owner[0] == pid:
        return
    with _lock:
        if _owner is not None and _owner[0] == pid:
            return
        if _owner is not None:  # a forked child: the parent's lock is its own business
            with contextlib.suppress(OSError):
                os.close(_owner[1])
        sweep()
        _owner = (pid, *_own_file())


def _own_file() -> tuple[int, str]:
    """A new owner file, locked before it gets its name (a sweeper never sees it
    unlocked)."""
    tmp = tempfile.gettempdir()
    fd, path = tempfile.mkstemp(prefix=".corral-owner-", dir=tmp)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.set_inheritable(fd, False)
        final = os.path.join(tmp, f"corral-owner-{os.getpid()}-{uuid.uuid4().hex[:12]}")
        os.rename(path, final)
    except OSError:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return fd, final


@atexit.register
def _remove_own_file() -> None:
    """At a normal exit, this process's owner file goes (a killed one's, the next sweep's)."""
    if _owner is not None and _owner[0] == os.getpid():
        with contextlib.suppress(OSError):
            os.unlink(_owner[2])


def _dead_pids(tmp: str) -> tuple[set[int], list[tuple[int, str]]]:
    """The pids whose every owner file can be locked (their processes are gone), and the
    locked descriptors (held until the sweep is over: no process can take the pid's files
    meanwhile) with their paths."""
    files: dict[int, list[str]] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir(tmp):
            m = _OWNER.fullmatch(name)
            if m and int(m.group(1)) != os.getpid():
                files.setdefault(int(m.group(1)), []).append(os.path.join(tmp, name))
    dead: set[int] = set()
    held: list[tuple[int, str]] = []
    for pid, paths in files.items():
        got: list[tuple[int, str]] = []
        alive = False
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
            except OSError:
                alive = True  # (not ours to judge: a symlink, or gone meanwhile)
                break
            try:
                st = os.fstat(fd)
                if st.st_uid != os.geteuid() or not stat.S_ISREG(st.st_mode):
                    raise BlockingIOError
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                alive = True
                break
            got.append((fd, path))
        if alive:
            for fd, _ in got:
                os.close(fd)
        else:
            dead.add(pid)
            held += got
    return dead, held


def sweep() -> int:
    """Remove the directories and cgroups of corral processes that are gone (see the
    module's text). Returns how many leftovers it removed; never raises."""
    tmp = tempfile.gettempdir()
    try:
        dead, held = _dead_pids(tmp)
    except Exception as e:  # (a sweep must never stop a sandbox from starting)
        log.debug("no sweep of leftovers: %s", e)
        return 0
    removed = 0
    try:
        if dead:
            removed += _sweep_temp(tmp, dead)
            removed += _sweep_cgroups(dead)
        for _, path in held:
            with contextlib.suppress(OSError):
                os.unlink(path)
    finally:
        for fd, _ in held:
            os.close(fd)
    if removed:
        log.info("removed %d directories and cgroups left by killed corral processes", removed)
    return removed


def _sweep_temp(tmp: str, dead: set[int]) -> int:
    n = 0
    with contextlib.suppress(OSError):
        for name in os.listdir(tmp):
            m = _TEMP.fullmatch(name)
            if m is None or int(m.group(1)) not in dead:
                continue
            path = os.path.join(tmp, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if st.st_uid != os.geteuid() or not stat.S_ISDIR(st.st_mode):
                continue
            remove_tree(path, ignore_errors=True)  # (never follows a symlink inside)
            n += 1
    return n


def _corral_groups() -> list[Path]:
    """The ``corral`` groups corral makes its cgroups in: at each hierarchy's root, and
    beside and under this process's own cgroup (v1: in each controller's tree)."""
    own: set[str] = {"/"}
    with contextlib.suppress(OSError), open("/proc/self/cgroup") as f:
        for line in f:
            path = line.rstrip("\n").split(":", 2)[-1] or "/"
            own.add(path)
            own.add(os.path.dirname(path.rstrip("/")) or "/")
    trees = [_CGROUP_FS]
    with contextlib.suppress(OSError):
        trees += [d for d in _CGROUP_FS.iterdir() if d.is_dir() and not d.is_symlink()]
    out: list[Path] = []
    for tree in trees:
        for rel in own:
            g = tree / rel.lstrip("/") / "corral"
            if g not in out and g.is_dir() and not g.is_symlink():
                out.append(g)
    return out


def _sweep_cgroups(dead: set[int]) -> int:
    n = 0
    for group in _corral_groups():
        try:
            children = list(group.iterdir())
        except OSError:
            continue
        for d in children:
            m = _CGROUP.fullmatch(d.name)
            if m is None or int(m.group(1)) not in dead or d.is_symlink() or not d.is_dir():
                continue
            gone = True
            for sub, _, _ in os.walk(d, topdown=False):  # (its call groups first)
                try:
                    os.rmdir(sub)
                except OSError:
                    gone = False  # (tasks still in it)
            n += gone
    return n
