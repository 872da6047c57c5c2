"""The policy's file rules inside the workspace as mounts (bubblewrap).

``filesystem.deny`` names files inside the workspace (a grader's reference solution:
``**/gold.patch``) and ``ask_write`` the agents' control plane (``**/AGENTS.md``,
``**/.claude/**``, ``.git/hooks``). A command that *names* such a file is decided before
it runs, but a real program opens files itself: ``cat < $(echo gold).patch``, a Python
``open``, a rename, a hard link. Deciding each of those in corral's Python would race
the kernel; so the files are walled by the kernel instead, at the sandbox's start:

* a file (or directory) the policy refuses to let the sandbox **read** gets a mount of
  corral's own empty, mode-000 file (directory) over it: every open fails with
  ``Permission denied``, whatever path, name or program reaches it;
* one it refuses to let it **write** is bound onto itself **read-only**: writes, renames,
  removal and hard links fail (``Read-only file system``, ``Device or resource busy``).

"Refuses" is the policy's decision without a person: ``deny``, and ``ask`` when no
approver is configured (an approver's questions stay with the command checks). The walk
takes what is there when each sandbox starts (the files the task was set up with, and
what earlier calls left): a walled name cannot be renamed, moved or linked away while the
sandbox runs, so the next start finds it again. The walk follows no symlink, and a
read-only source is opened beneath the workspace without following one
(``--ro-bind-fd``): no name in the workspace can point a mount at a host file.

Where no wall could stand (a *new* ``.git/hooks`` or ``.claude/``: a mount needs a name
that exists) and on gVisor (hiding walls only), what a run made or changed under a name
the policy refuses to let it write is taken out of the workspace after the run
(:func:`undone`, :func:`move_out`), so the host never finds it at rest.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

log = logging.getLogger("corral.filewalls")

__all__ = ["PROBE", "Moved", "Wall", "WallPlan", "move_out", "plan_walls", "undone"]

#: the name a directory is probed with: refused for a file inside it means the whole
#: directory is walled (a ``dir/**`` rule covers the files made in it later too)
PROBE = ".corral-probe"
#: at most this many walls (each is a mount): past it, the plan says it was cut short
MAX_WALLS = 256
#: at most this many workspace entries are looked at per start
MAX_ENTRIES = 200_000

#: (kind "read" or "write", guest path) -> refused without asking a person?
Refused = Callable[[str, str], bool]
#: (op, guest path) -> could the policy refuse it? (a fast screen; None: ask ``refused``)
Screen = Callable[[str, str], bool]


@dataclass(frozen=True)
class Wall:
    kind: Literal["hide", "readonly"]
    #: relative to the workspace, "/"-separated, no symlink on the way (at the walk)
    rel: str
    is_dir: bool


#: an entry as walked: (device, inode, is a directory, size, permission bits, mtime in
#: ns, a digest of the contents of a file up to :data:`DIGEST_MAX`). Not the ctime: the
#: workspace lent to a sandbox's own uid and given back changes every file's.
Mark = tuple[int, int, bool, int, int, int, bytes]
#: files up to this size are marked by their contents too (a program can set an mtime back)
DIGEST_MAX = 64 * 1024


@dataclass
class WallPlan:
    walls: list[Wall] = field(default_factory=list)
    #: why the plan is incomplete (too many entries or walls), or None
    cut: str | None = None
    #: each entry at or beneath a read-only wall, as walked (what :func:`undone` compares)
    marks: dict[str, Mark] = field(default_factory=dict)
    #: the walk stopped before the whole workspace was seen (too many entries): the
    #: marks are not all there is (walls past :data:`MAX_WALLS` stop only the walls)
    partial: bool = False


def plan_walls(
    root: Path,
    refused: Refused,
    screen: Screen | None = None,
    guest_root: str = "/workspace",
    max_walls: int = MAX_WALLS,
    max_entries: int = MAX_ENTRIES,
) -> WallPlan:
    """The walls for the workspace at ``root`` (its guest path ``guest_root``)."""
    return WallPlanner(refused, screen, guest_root, max_walls, max_entries).plan(root)


#: a directory as last scanned: (device, inode, mtime in ns), its entries with their
#: walls: (name, is a directory, wall kind or None), and of them the directories and
#: walled ones (all a walk outside a read-only wall goes through)
_Entry = tuple[str, bool, "str | None"]
_Scanned = tuple[tuple[int, int, int], list[_Entry], list[_Entry]]


class WallPlanner:
    """Plans the walls of one workspace again and again (each sandbox start): a
    directory whose device, inode and mtime are as when it was last scanned is not
    scanned or judged again (a name made, removed or renamed in it changes its mtime)."""

    def __init__(
        self,
        refused: Refused,
        screen: Screen | None = None,
        guest_root: str = "/workspace",
        max_walls: int = MAX_WALLS,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.refused, self.screen, self.guest_root = refused, screen, guest_root
        self.max_walls, self.max_entries = max_walls, max_entries
        self._dirs: dict[str, _Scanned] = {}
        self._marks: dict[str, tuple[tuple[int, int, int, int], Mark]] = {}
        self._root: Path | None = None

    def _may(self, kind: str, path: str) -> bool:
        return self.screen is None or self.screen(kind, path)

    def _judge(self, rel: str, is_dir: bool) -> str | None:
        path = f"{self.guest_root}/{rel}"
        probe = f"{path}/{PROBE}" if is_dir else path
        # a path the write screen lets through is one no read rule names either
        # (the write screen asks about deny|ask|ask_write, the read one deny|ask)
        if not self._may("write", path) and not (is_dir and self._may("write", probe)):
            return None
        refused = self.refused
        if refused("read", path) or (is_dir and refused("read", probe)):
            return "hide"
        if refused("write", path) or (is_dir and refused("write", probe)):
            return "readonly"
        return None

    def _entries(self, base: str, rel_dir: str, seen: dict[str, _Scanned]) -> _Scanned | None:
        d = f"{base}/{rel_dir}" if rel_dir else base
        st = os.lstat(d)
        if not stat.S_ISDIR(st.st_mode):
            return None
        key = (st.st_dev, st.st_ino, st.st_mtime_ns)
        old = self._dirs.get(rel_dir)
        if old is not None and old[0] == key:
            seen[rel_dir] = old
            return old
        entries: list[_Entry] = []
        for name, is_dir, is_file in sorted(_scan(d)):
            if not (is_dir or is_file):
                continue  # a symlink or a special file: walled by what it names, if anything
            rel = f"{rel_dir}/{name}" if rel_dir else name
            entries.append((name, is_dir, self._judge(rel, is_dir)))
        scanned = (key, entries, [e for e in entries if e[1] or e[2] is not None])
        seen[rel_dir] = scanned
        return scanned

    def plan(self, root: Path, max_entries: int | None = None) -> WallPlan:
        """The walls for the workspace at ``root`` now (at most ``max_entries``
        entries looked at: the planner's own bound by default)."""
        limit = self.max_entries if max_entries is None else max_entries
        if root != self._root:
            self._dirs, self._marks, self._root = {}, {}, root
        plan = WallPlan()
        seen: dict[str, _Scanned] = {}
        marks: dict[str, tuple[tuple[int, int, int, int], Mark]] = {}
        count = 0
        base = os.fspath(root)
        # (directory, inside a read-only wall already: only hiding is left to do there)
        stack: list[tuple[str, bool]] = [("", False)]
        try:
            while stack:
                rel_dir, frozen = stack.pop()
                try:
                    scanned = self._entries(base, rel_dir, seen)
                except OSError:
                    continue  # (unreadable or gone: nothing in it can be opened either)
                if scanned is None:
                    continue
                count += len(scanned[1])
                if count > limit:
                    plan.cut = f"the workspace has more than {limit} entries"
                    plan.partial = True
                    return plan
                # outside a read-only wall only directories and walled names matter
                for name, is_dir, kind in scanned[1] if frozen else scanned[2]:
                    rel = f"{rel_dir}/{name}" if rel_dir else name
                    if kind == "readonly" or frozen:
                        mark = self._mark(base, rel, marks)
                        if mark is not None:
                            plan.marks[rel] = mark
                    if kind == "readonly" and frozen:
                        kind = None
                    if kind is not None:
                        if len(plan.walls) >= self.max_walls:
                            # no more walls; the walk goes on for the marks
                            plan.cut = f"more than {self.max_walls} workspace paths are walled"
                        else:
                            plan.walls.append(Wall(kind, rel, is_dir))  # type: ignore[arg-type]
                        if kind == "hide" and is_dir:
                            continue  # nothing beneath can be reached
                    if is_dir:
                        stack.append((rel, frozen or kind == "readonly"))
            return plan
        finally:
            self._dirs = seen  # (directories no longer reached are forgotten)
            self._marks = marks

    def _mark(
        self, base: str, rel: str, marks: dict[str, tuple[tuple[int, int, int, int], Mark]]
    ) -> Mark | None:
        """``rel``'s :data:`Mark`; a file's contents read again only if its ctime (which
        no program can set back) moved since the last walk."""
        try:
            st = os.lstat(f"{base}/{rel}")
        except OSError:
            return None
        key = (st.st_dev, st.st_ino, st.st_size, st.st_ctime_ns)
        old = self._marks.get(rel)
        mark = old[1] if old is not None and old[0] == key else _mark(base, rel, st)
        marks[rel] = (key, mark)
        return mark


def _mark(base: str, rel: str, st: os.stat_result) -> Mark:
    if stat.S_ISDIR(st.st_mode):
        return (st.st_dev, st.st_ino, True, 0, 0, 0, b"")
    digest = b""
    if stat.S_ISREG(st.st_mode) and st.st_size <= DIGEST_MAX:
        digest = _digest(f"{base}/{rel}")
    perm = stat.S_IMODE(st.st_mode)
    return (st.st_dev, st.st_ino, False, st.st_size, perm, st.st_mtime_ns, digest)


def _digest(path: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return b"?"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b"?"
        return hashlib.blake2b(os.read(fd, DIGEST_MAX + 1), digest_size=16).digest()
    except OSError:
        return b"?"
    finally:
        os.close(fd)


def undone(before: WallPlan, after: WallPlan) -> list[str]:
    """What a run wrote that the policy refuses to let it write: the entries at or
    beneath a read-only wall in ``after`` (a walk after the run) that ``before`` (the
    walk at the sandbox's start) did not have, or had as another file or with other
    contents. On bubblewrap that is what was made where nothing was walled yet (a new
    ``.git/hooks``, ``.claude/``, ``AGENTS.md``); on gVisor, which has no read-only
    walls, also what was changed beneath one (and on bubblewrap beneath a name past
    :data:`MAX_WALLS`, left unwalled). The topmost of each, sorted. Raises
    :class:`ValueError` when either walk was :attr:`~WallPlan.partial`: its marks are
    not the whole workspace."""
    if before.partial or after.partial:
        raise ValueError(after.cut if after.partial else before.cut)
    found: set[str] = set()
    for rel, mark in after.marks.items():
        old = before.marks.get(rel)
        if old is None or old[:3] != mark[:3] or (not mark[2] and old != mark):
            found.add(rel)

    def inside(rel: str) -> bool:
        head = rel.rpartition("/")[0]
        while head:
            if head in found:
                return True
            head = head.rpartition("/")[0]
        return False

    return sorted(rel for rel in found if not inside(rel))


@dataclass(frozen=True)
class Moved:
    """An entry :func:`move_out` took out of the workspace."""

    rel: str
    is_dir: bool
    #: where it is now (corral's quarantine), or None: removed (``note`` says why)
    to: str | None
    note: str = ""


#: on another filesystem than the quarantine, a file up to this size is copied there
#: before it is removed (a directory is removed)
COPY_MAX = 1 << 20

#: what one sandbox's quarantine holds at most (disk bytes, entries): past it what a
#: run left is removed, not kept. Unbounded, a run could leave its disk budget's worth
#: under a walled name each time, and the host kept every copy outside any budget.
QUARANTINE_BYTES = 64 << 20
QUARANTINE_ENTRIES = 10_000


@dataclass
class Room:
    """What a quarantine may still take."""

    bytes: int = QUARANTINE_BYTES
    entries: int = QUARANTINE_ENTRIES


def move_out(root: Path, rels: list[str], dest: Path, room: Room | None = None) -> list[Moved]:
    """Take each of ``rels`` (paths beneath ``root``) out of the workspace: renamed
    into ``dest`` (made if missing, mode 0700), or removed where that is another
    filesystem (a file up to :data:`COPY_MAX` copied there first) or where it would not
    fit in ``room`` (what the quarantine may still take; spent as entries go in). Each
    parent is reached beneath ``root`` without following a symlink, and the entry itself
    is moved or removed by its name in that parent: a program still running that swaps a
    name for a symlink gets its symlink moved, never what it points at."""
    room = room if room is not None else Room()
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    dfd = os.open(dest, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    moved: list[Moved] = []
    try:
        for rel in rels:
            parent, _, name = rel.rpartition("/")
            try:
                pfd = (
                    open_beneath(root, parent)
                    if parent
                    else os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
                )
            except OSError as e:
                moved.append(Moved(rel, False, None, f"left: {e}"))
                continue
            try:
                moved.append(_move_one(pfd, name, rel, dfd, dest, room))
            except OSError as e:
                moved.append(Moved(rel, False, None, f"left: {e.strerror or e}"))
            finally:
                os.close(pfd)
    finally:
        os.close(dfd)
    return moved


def _move_one(pfd: int, name: str, rel: str, dfd: int, dest: Path, room: Room) -> Moved:
    from .deeptree import remove_tree
    from .files import tree_usage

    st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
    is_dir = stat.S_ISDIR(st.st_mode)
    if is_dir:
        top = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                      dir_fd=pfd)  # fmt: skip
        size, entries = tree_usage(top, stop_after=room.entries + 1)
        entries += 1
    else:
        size, entries = st.st_blocks * 512, 1
    target = _free_name(dfd, _flat(rel))
    if size <= room.bytes and entries <= room.entries:
        try:
            os.rename(name, target, src_dir_fd=pfd, dst_dir_fd=dfd)
            room.bytes -= size
            room.entries -= entries
            return Moved(rel, is_dir, str(dest / target))
        except OSError as e:  # another filesystem (EXDEV), or else: it goes all the same
            why = e.strerror or str(e)
    else:
        why = (
            f"the quarantine keeps at most {QUARANTINE_BYTES >> 20} MB / "
            f"{QUARANTINE_ENTRIES} entries"
        )
    to = None
    if stat.S_ISREG(st.st_mode) and st.st_size <= min(COPY_MAX, room.bytes) and room.entries:
        to = _copy_file(pfd, name, dfd, target, dest)
        if to is not None:
            room.bytes -= st.st_size
            room.entries -= 1
    if is_dir:
        remove_tree(name, dir_fd=pfd)
    else:
        os.unlink(name, dir_fd=pfd)
    return Moved(rel, is_dir, to, "" if to else f"removed (not moved: {why})")


def _flat(rel: str) -> str:
    """A name in the quarantine for ``rel``: its path with ``%`` for ``/``, the front
    cut so that it fits in a name (255 bytes, room left for a count)."""
    raw = os.fsencode(rel.replace("/", "%"))
    if len(raw) > 240:
        raw = b"..." + raw[-237:]
    return os.fsdecode(raw)


def _free_name(dfd: int, base: str) -> str:
    for n in range(10_000):
        name = base if n == 0 else f"{base}.{n}"
        try:
            os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            return name
    raise OSError(errno.EEXIST, "no free name in the quarantine")


def _copy_file(pfd: int, name: str, dfd: int, target: str, dest: Path) -> str | None:
    try:
        src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=pfd)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(src).st_mode):
            return None
        data = os.read(src, COPY_MAX + 1)[:COPY_MAX]
    finally:
        os.close(src)
    out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600, dir_fd=dfd)
    try:
        os.write(out, data)
    finally:
        os.close(out)
    return str(dest / target)


def _scan(directory: str) -> Iterator[tuple[str, bool, bool]]:
    with os.scandir(directory) as it:
        for e in it:
            try:
                yield e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False)
            except OSError:
                continue


def open_beneath(root: Path, rel: str, make_dirs: bool = False) -> int:
    """An ``O_PATH`` descriptor of ``root/rel`` reached without following any symlink
    (each component opened beneath the last); raises :class:`OSError` if one is a
    symlink or gone. ``make_dirs``: ``rel`` is a directory, its missing components are
    made (mode 0755) on the way, and ``""`` is ``root`` itself."""
    fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    if make_dirs and not rel:
        return fd
    try:
        parts = rel.split("/")
        for i, part in enumerate(parts):
            if part in ("", ".", ".."):
                raise OSError(f"bad path component {part!r} in {rel!r}")
            try:
                nxt = os.open(part, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except FileNotFoundError:
                if not make_dirs:
                    raise
                os.mkdir(part, 0o755, dir_fd=fd)
                nxt = os.open(part, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = nxt
            mode = os.fstat(fd).st_mode
            if stat.S_ISLNK(mode):
                raise OSError(f"{rel!r} has a symlink on the way")
            if (make_dirs or i < len(parts) - 1) and not stat.S_ISDIR(mode):
                raise OSError(f"{rel!r}: {part!r} is not a directory")
        return fd
    except BaseException:
        os.close(fd)
        raise


def blank_paths(directory: Path) -> tuple[Path, Path]:
    return directory / "walled-file", directory / "walled-dir"


def make_blanks(directory: Path) -> tuple[Path, Path]:
    """corral's own empty file and directory, mode 000, that hide what they cover."""
    f, d = blank_paths(directory)
    if not f.exists():
        f.touch()
    if not d.exists():
        d.mkdir()
    os.chmod(f, 0)
    os.chmod(d, 0)
    return f, d


@dataclass(frozen=True)
class Source:
    """A read-only wall's source: the descriptor bwrap is given (``--ro-bind-fd``) and
    what it must be (its path beneath the workspace, the file's device and inode)."""

    fd: int
    rel: str
    is_dir: bool
    dev: int
    ino: int


def sources(
    plan: WallPlan, root: Path, blanks: tuple[Path, Path], *, readonly: bool = True
) -> Iterator[tuple[Wall, Path | int]]:
    """Each wall of ``plan`` in mount order (read-only ones first: a hidden file inside a
    read-only directory is mounted over later) with what is mounted there: corral's blank
    (a path) for a hiding wall whose path is still what the walk found, or for a read-only
    wall a descriptor of its file reached beneath ``root`` without following a symlink
    (the caller closes it). A wall whose path changed since the walk is left out
    (logged); read-only walls too unless ``readonly``. The one walk of the walls that
    bwrap's arguments, gVisor's mounts and a pooled session's handover all use."""
    for w in sorted(plan.walls, key=lambda w: (w.kind != "readonly", w.rel)):
        if w.kind == "hide":
            if _still_there(root, w):  # (a runtime would make a missing mount point)
                yield w, _blank(blanks, w)
            continue
        if not readonly:
            continue
        try:
            fd = open_beneath(root, w.rel)
        except OSError as e:
            log.warning("file wall on /workspace/%s left out: %s", w.rel, e)
            continue
        yield w, fd


def announce_cut(plan: WallPlan, owner: object) -> None:
    """Log once per ``owner`` (a backend) that ``plan`` was cut short, when it was."""
    if plan.cut is not None and plan.cut != getattr(owner, "_walls_cut", None):
        owner._walls_cut = plan.cut  # type: ignore[attr-defined]
        log.warning("file walls cut short (%s): the rest is checked by name only", plan.cut)


def bwrap_args(
    plan: WallPlan, root: Path, blanks: tuple[Path, Path], guest_root: str = "/workspace"
) -> tuple[list[str], list[Source]]:
    """bubblewrap arguments for ``plan`` (after the workspace's own bind), and the
    descriptors they pass (the caller passes them to bwrap, then closes them). A
    read-only wall whose path changed since the walk is left out (logged)."""
    args: list[str] = []
    fds: list[Source] = []
    try:
        for w, src in sources(plan, root, blanks):
            dest = f"{guest_root}/{w.rel}"
            if isinstance(src, Path):
                args += ["--ro-bind", str(src), dest]
                continue
            try:
                st = os.fstat(src)
            except BaseException:
                os.close(src)
                raise
            fds.append(Source(src, w.rel, w.is_dir, st.st_dev, st.st_ino))
            args += ["--ro-bind-fd", str(src), dest]
    except BaseException:
        for f in fds:
            with contextlib.suppress(OSError):
                os.close(f.fd)
        raise
    return args, fds


def oci_mounts(
    plan: WallPlan, root: Path, blanks: tuple[Path, Path], guest_root: str = "/workspace"
) -> tuple[list[dict], int]:
    """gVisor's (OCI) mounts for ``plan``: the hiding walls only, and how many read-only
    walls were left out. A spec names a mount's source by path, and runsc resolves it
    on the host: a workspace file's path could be turned into a symlink to a host file
    by a program still running in the warm session, so only corral's own blanks (whose
    mount can only hide) are used."""
    mounts = [
        {"destination": f"{guest_root}/{w.rel}", "type": "bind", "source": str(src),
         "options": ["rbind", "ro"]}
        for w, src in sources(plan, root, blanks, readonly=False)
    ]  # fmt: skip
    return mounts, sum(w.kind != "hide" for w in plan.walls)


def _blank(blanks: tuple[Path, Path], w: Wall) -> Path:
    return blanks[1] if w.is_dir else blanks[0]


def _still_there(root: Path, w: Wall) -> bool:
    """Whether a hiding wall's path is still what the walk found (reached without a
    symlink, a directory or not as walked)."""
    try:
        fd = open_beneath(root, w.rel)
    except OSError as e:
        log.info("file wall on %s left out: %s", w.rel, e)
        return False
    try:
        return stat.S_ISDIR(os.fstat(fd).st_mode) == w.is_dir
    finally:
        os.close(fd)


def reopen_in_stage(stage: bytes, sources: list[Source], blanks: tuple[bytes, bytes]) -> None:
    """In bwrap's process, before it runs (root: the workspace bound at ``stage``):
    each source descriptor opened again through ``stage``, so that the path bwrap reads
    back from it is one its user can reach (the workspace's own parents may not be).
    The same file or, if it is not the one walked, corral's blank (hides it)."""
    for src in sources:
        try:
            nfd = open_beneath(Path(os.fsdecode(stage)), src.rel)
            st = os.fstat(nfd)
            if (st.st_dev, st.st_ino) != (src.dev, src.ino):
                os.close(nfd)
                raise OSError("changed since the walk")
        except OSError:
            nfd = os.open(blanks[1] if src.is_dir else blanks[0], os.O_PATH | os.O_CLOEXEC)
        os.dup2(nfd, src.fd)
        os.close(nfd)
