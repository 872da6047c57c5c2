"""A pooled bwrap session handed to the sandbox that takes it (see
:mod:`corral.native.pool` for the walls): the taker's workspace mounted over the
session's ``/workspace``, checked from the kernel's side, and everything per sandbox
made the taker's. Anything that does not check out ends the session (``False``): the
sandbox then starts one the normal way."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..templates.mounts import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_RECURSIVE,
    MOUNT_ATTR_NODEV,
    MOUNT_ATTR_NOSUID,
    MOUNT_ATTR_RDONLY,
    MOVE_MOUNT_F_EMPTY_PATH,
    OPEN_TREE_CLOEXEC,
    OPEN_TREE_CLONE,
    SYS_MOUNT_SETATTR,
    SYS_MOVE_MOUNT,
    SYS_OPEN_TREE,
    _MountAttr,
)
from .session import Forged, SessionLost, wait_frame

if TYPE_CHECKING:
    from .bwrap import BwrapBackend
    from .bwrap_session import BwrapSession

log = logging.getLogger("corral.native.pool")

__all__ = ["HandoverFailed", "attach_workspace", "hand_over"]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.unshare.argtypes = (ctypes.c_int,)
_libc.setns.argtypes = (ctypes.c_int, ctypes.c_int)
CLONE_FS = 0x00000200
CLONE_NEWNS = 0x00020000
MOVE_MOUNT_T_EMPTY_PATH = 0x40
GUEST_WS = "/workspace"
_ENTER_WAIT = 5.0


class HandoverFailed(Exception):
    """The pooled session cannot be given this workspace (it is ended)."""


def _ident(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def attach_workspace(launcher_pid: int, slot_ws: Path, workspace: Path) -> tuple[int, int]:
    """Mount ``workspace`` (a clone of its mount made here, in this process's namespace:
    the path resolved as the host sees it) over ``slot_ws`` in the mount namespace of
    ``launcher_pid`` (a pooled sandbox's launcher), from where it propagates to the
    sandbox's ``/workspace``; the (device, inode) mounted."""
    tree = _libc.syscall(SYS_OPEN_TREE, AT_FDCWD, os.fsencode(str(workspace)),
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)  # fmt: skip
    if tree < 0:
        e = ctypes.get_errno()
        raise HandoverFailed(f"cannot clone the workspace's mount: {os.strerror(e)}")
    try:
        got = _ident(os.fstat(tree))
        if got != _ident(os.stat(workspace)):
            raise HandoverFailed("the workspace changed while it was mounted")
        attr = _MountAttr(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0, 0)
        if _libc.syscall(SYS_MOUNT_SETATTR, tree, b"", AT_EMPTY_PATH | AT_RECURSIVE,
                         ctypes.byref(attr), ctypes.sizeof(attr)) != 0:  # fmt: skip
            e = ctypes.get_errno()
            raise HandoverFailed(f"cannot make the workspace's mount nosuid,nodev: "
                                 f"{os.strerror(e)}")  # fmt: skip
        ns = os.open(f"/proc/{launcher_pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        try:
            if os.fstat(ns).st_ino == os.stat("/proc/self/ns/mnt").st_ino:
                # never over the slot in the host's own namespace
                raise HandoverFailed("the session's launcher is in the host's mount namespace")
            _move_in(ns, tree, slot_ws)
        finally:
            os.close(ns)
        return got
    finally:
        os.close(tree)


class _Worker:
    """One process-wide thread for jobs off the taker's path (starting a thread waits for
    it to run: ms on a loaded host). ``mounts``: the thread has a filesystem context of
    its own (``unshare(CLONE_FS)``) and enters sessions' mount namespaces; it never starts
    a thread (one would inherit that namespace)."""

    def __init__(self, name: str, mounts: bool) -> None:
        self.name, self.mounts = name, mounts
        self._jobs: queue.SimpleQueue | None = None
        self._owner = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], object]) -> None:
        with self._lock:
            if self._jobs is None or self._owner != os.getpid():  # (a forked child: its own)
                self._jobs, self._owner = queue.SimpleQueue(), os.getpid()
                threading.Thread(target=self._serve, args=(self._jobs,), name=self.name,
                                 daemon=True).start()  # fmt: skip
            self._jobs.put(fn)

    def _serve(self, jobs: queue.SimpleQueue) -> None:
        why = None
        home = -1
        if self.mounts:
            # the host's namespace, entered again after each job: a session's namespace
            # (and the workspace mounted there) is not kept alive by this thread
            home = os.open("/proc/thread-self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
            if _libc.unshare(CLONE_FS) != 0:
                why = f"unshare(CLONE_FS): {os.strerror(ctypes.get_errno())}"
        while True:
            fn = jobs.get()
            try:
                if why is not None:
                    raise HandoverFailed(why)
                fn()
            except Exception:
                log.debug("pool job failed", exc_info=True)
            finally:
                if home >= 0 and why is None and _libc.setns(home, CLONE_NEWNS) != 0:
                    why = f"setns(host mnt): {os.strerror(ctypes.get_errno())}"

    def call(self, fn: Callable[[], object], timeout: float = 10.0) -> object:
        """``fn()`` on the thread; its result (its exception raised here)."""
        done = threading.Event()
        box: dict[str, object] = {}

        def job() -> None:
            try:
                box["result"] = fn()
            except BaseException as e:
                box["error"] = e
                raise
            finally:
                done.set()

        self.submit(job)
        if not done.wait(timeout):
            raise HandoverFailed(f"{self.name} did not answer")
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box.get("result")


_MOUNTS = _Worker("corral-pool-mount", mounts=True)
_LATER = _Worker("corral-pool-later", mounts=False)


def later(fn: Callable[[], object]) -> None:
    """``fn()`` soon, on a process-wide thread (in order): starting threads a sandbox
    needs a moment later (an egress proxy's, a sampler's), off a taker's path."""
    _LATER.submit(fn)


def _move_in(ns: int, tree: int, target: Path) -> None:
    """``move_mount(tree -> target)`` from the mount thread, in the namespace ``ns``."""

    def work() -> None:
        if _libc.setns(ns, CLONE_NEWNS) != 0:
            raise HandoverFailed(f"setns(mnt): {os.strerror(ctypes.get_errno())}")
        if _libc.syscall(SYS_MOVE_MOUNT, tree, b"", AT_FDCWD, os.fsencode(str(target)),
                         MOVE_MOUNT_F_EMPTY_PATH) != 0:  # fmt: skip
            raise HandoverFailed(f"move_mount: {os.strerror(ctypes.get_errno())}")

    try:
        _MOUNTS.call(work)
    except HandoverFailed as e:
        raise HandoverFailed(f"cannot mount the workspace in the session: {e}") from e


def hand_over(b: BwrapBackend, sess: BwrapSession) -> bool:
    """Make the pooled ``sess`` ``b``'s live session: its workspace, checked, and ``b``'s
    per-sandbox state. ``False`` (the session ended) when anything does not check out."""
    t0 = time.monotonic()
    try:
        _give_workspace(b, sess)
        _give_walls(b, sess)
    except (HandoverFailed, OSError, SessionLost, Forged) as e:
        log.warning("a pooled session could not take the workspace (%s): starting one", e)
        with contextlib.suppress(Exception):
            sess.end()
        return False
    try:
        _make_own(b, sess)
    except Exception as e:
        log.warning("a pooled session could not be made the sandbox's (%s): starting one", e)
        b._sess = None
        with contextlib.suppress(Exception):
            sess.end()
        return False
    log.debug("pooled session taken in %.1f ms", (time.monotonic() - t0) * 1000)
    return True


def _give_workspace(b: BwrapBackend, sess: BwrapSession) -> None:
    sp, slot = sess.sp, sess.b
    if sp is None or sp.proc is None or slot._stage is None or not sess.shell_pid:
        raise HandoverFailed("the session is not complete")
    want = attach_workspace(sp.proc.pid, slot._stage / "ws", b.root)
    seen = _ident(os.stat(f"/proc/{sp.child_pid}/root{GUEST_WS}"))
    if seen != want:
        raise HandoverFailed(f"the sandbox's {GUEST_WS} is not the workspace")
    rid = sess.chan.enter(GUEST_WS)
    status = wait_frame(sess.chan, rid, time.monotonic() + _ENTER_WAIT, idle=sess.idle,
                        tick=0.01)  # fmt: skip
    sess.chan.done_with(rid)
    if status != "0":
        raise HandoverFailed(f"the shell could not enter {GUEST_WS} (status {status})")
    if _ident(os.stat(f"/proc/{sess.shell_pid}/cwd")) != want:
        raise HandoverFailed("the shell's directory is not the workspace")
    if not sess.alive():
        raise HandoverFailed("the session ended")


def _give_walls(b: BwrapBackend, sess: BwrapSession) -> None:
    """The policy's file walls (:mod:`corral.filewalls`) for the taker's workspace,
    mounted in the session's own mount namespace before its first call, as bwrap mounts
    them at a normal start: corral's mode-000 blank over what the sandbox may not read,
    each read-only wall a read-only clone of the file itself (reached beneath the
    workspace without following a symlink: the clone is of that descriptor's file). The
    targets are opened beneath the sandbox's ``/workspace`` without following a symlink,
    from inside its namespace."""
    from .. import filewalls

    if b.file_walls is None:
        return
    plan = b.file_walls(b.root)
    if plan is None or not plan.walls:
        return
    filewalls.announce_cut(plan, b)
    stage = b._stage if b._stage is not None else sess.b._stage
    if stage is None or sess.sp is None:
        raise HandoverFailed("no stage for the file walls")
    blanks = filewalls.make_blanks(stage)
    trees: list[tuple[str, int]] = []
    try:
        for w, source in filewalls.sources(plan, b.root, blanks):
            path = isinstance(source, Path)
            src = os.open(source, os.O_PATH | os.O_CLOEXEC) if path else source
            try:
                trees.append((w.rel, _clone_readonly(src)))
            finally:
                os.close(src)
        ns = os.open(f"/proc/{sess.sp.child_pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        try:
            if os.fstat(ns).st_ino == os.stat("/proc/self/ns/mnt").st_ino:
                raise HandoverFailed("the sandbox is in the host's mount namespace")
            _MOUNTS.call(functools.partial(_mount_walls, ns, trees))
        finally:
            os.close(ns)
    finally:
        for _, tree in trees:
            os.close(tree)


def _clone_readonly(src: int) -> int:
    """A detached read-only clone of the mount of what ``src`` (a descriptor) names."""
    tree = _libc.syscall(SYS_OPEN_TREE, src, b"", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                         | AT_EMPTY_PATH)  # fmt: skip
    if tree < 0:
        raise HandoverFailed(f"open_tree (file wall): {os.strerror(ctypes.get_errno())}")
    attr = _MountAttr(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0, 0)
    if _libc.syscall(SYS_MOUNT_SETATTR, tree, b"", AT_EMPTY_PATH, ctypes.byref(attr),
                     ctypes.sizeof(attr)) != 0:  # fmt: skip
        e = ctypes.get_errno()
        os.close(tree)
        raise HandoverFailed(f"mount_setattr (file wall): {os.strerror(e)}")
    return tree


def _mount_walls(ns: int, trees: list[tuple[str, int]]) -> None:
    """(On the mount thread) each tree moved onto ``/workspace/REL`` in namespace ``ns``."""
    from ..filewalls import open_beneath

    if _libc.setns(ns, CLONE_NEWNS) != 0:
        raise HandoverFailed(f"setns(mnt): {os.strerror(ctypes.get_errno())}")
    for rel, tree in trees:
        try:
            target = open_beneath(Path(GUEST_WS), rel)
        except OSError as e:
            raise HandoverFailed(f"file wall target /workspace/{rel}: {e}") from e
        try:
            if _libc.syscall(SYS_MOVE_MOUNT, tree, b"", target, b"",
                             MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0:  # fmt: skip
                e = ctypes.get_errno()
                raise HandoverFailed(f"move_mount (file wall /workspace/{rel}): {os.strerror(e)}")
        finally:
            os.close(target)


def _make_own(b: BwrapBackend, sess: BwrapSession) -> None:
    """Everything per sandbox becomes ``b``'s (before any call of its runs)."""
    sp, slot = sess.sp, sess.b
    assert sp is not None
    sess.b = b
    b._current = {"proc": sp.proc, "cgroup": sess.cgroup, "supervisor": sess.supervisor,
                  "child_pid": sp.child_pid}  # fmt: skip
    slot._current = {}
    b._sess = sess  # (b.kill() reaches it from here on)
    sup = sess.supervisor
    if sup is not None:
        sup.gate, sup.emitter, sup.session = b.gate, b.emitter, b.session
        sup.on_spawn = None
        if sup.watch is not None:  # the new mount's program starts are decided too
            sup.watch.attach(sp.child_pid, sup._on_open_exec, sup._fail_closed)
    sampler = sp.sampler
    if sampler is not None:
        sampler.emitter = b.emitter
        sampler.in_call = b._lock.locked
        sampler.gpu = b.gpu_sampler
    if sp.listener is not None:
        if b.proxy is None:
            raise HandoverFailed("the session has a proxy port and the sandbox no proxy")
        # served from another thread (connections wait in the socket's backlog meanwhile)
        _LATER.submit(functools.partial(b.proxy.serve, sp.listener, label=b.session[:20]))
    fw = b._file_watch()
    if fw is not None:  # the taker's file events, on the new mount (its reader: later)
        fw.new_call()
        fw.attach(sp.child_pid, start_reader=False)
        sp.files = fw
        _LATER.submit(fw.start_reader)
    sp.sampler = None  # (its samples start from the other thread, not in activate())
    sess.activate()
    sp.sampler = sampler
    if sampler is not None:
        _LATER.submit(sampler.start)
