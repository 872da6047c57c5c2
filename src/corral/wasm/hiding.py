"""Files the policy refuses to let a sandbox read, out of the WebAssembly guests' reach.

The Python and JavaScript guests' drivers check each open, remove, rename and mkdir
against the policy's file rules (:mod:`corral.wasm.filescreen`), but that check runs in
the guest's own interpreter: code that imports QuickJS's ``qjs:std``/``qjs:os`` itself
(``await import("qjs:std")``) or reaches past Python's audit hook opens any file beneath
its preopened workspace. The wall is WASI's: a guest reaches only what is beneath the
directory it was given. So for the length of each call of the tier (a shell script, a
Python or a JavaScript call: guest code runs only inside one), every file or directory
of the workspace that the policy refuses to let the sandbox read without a person (the
native tiers' hiding walls, :func:`corral.filewalls.plan_walls`) is renamed out of
the workspace into a stash beside it, and renamed back when the call ends.

* The stash is a directory on the workspace's filesystem, outside it (beside it, else in
  the system's temporary directory): a rename, never a copy. Where no such place can be
  made, nothing is hidden and the call says so on stderr (the drivers' checks remain).
* Nothing is lost on a crash: a record of what was moved where is written (and synced)
  under corral's state directory before the first rename, and removed once everything is
  back; a sandbox that starts on the workspace puts back what a dead one left
  (:func:`recover`).
* Put back without following a symlink (each parent opened beneath the workspace); a
  parent the call removed is made again. What the call made at a hidden name meanwhile is
  a write the policy refused: it is moved into the sandbox's quarantine first. What
  cannot be put back stays in the stash, named in the record and on stderr.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..filewalls import move_out, open_beneath

log = logging.getLogger("corral.wasm.hiding")

__all__ = ["Hidden", "held", "hide", "records_dir", "recover"]


def records_dir() -> Path:
    """Where the records of hidden files live (``$CORRAL_HOME/hidden``)."""
    from ..paths import corral_home

    return corral_home() / "hidden"


def _trusted_stash(stash: Path, root: Path) -> bool:
    """A record is data a guest may have written (corral's home beneath a workspace): its
    stash must be a directory corral made (its name, this user's, mode 0700, no symlink)
    outside the workspace, or nothing is taken from it."""
    try:
        st = os.lstat(stash)
        inside = stash.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False
    return (
        stat.S_ISDIR(st.st_mode)
        and st.st_uid == os.geteuid()
        and stat.S_IMODE(st.st_mode) == 0o700
        and stash.name.startswith(".corral-hidden-")
        and not inside
    )


def _key(root: Path) -> str:
    return hashlib.sha256(os.fsencode(str(root))).hexdigest()[:32]


def _record_path(root: Path, stash: Path) -> Path:
    return records_dir() / f"{_key(root)}-{stash.name}.json"


def _started(pid: int) -> str | None:
    """A process's start time (clock ticks since boot), or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return raw.rpartition(b")")[2].split()[19].decode()


@dataclass
class Hidden:
    """What one call hid: ``(rel, name in the stash)`` pairs, and where the stash is."""

    root: Path
    stash: Path | None = None
    moved: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""

    def restore(self, quarantine: Callable[[], Path]) -> str:
        """Put everything back; returns lines for the call's stderr ("" if none)."""
        if self.stash is None or not self.moved:
            return self.note
        notes, left = _put_back(self.root, self.stash, self.moved, quarantine)
        record = _record_path(self.root, self.stash)
        if left:
            _write_record(record, self.root, self.stash, left)
        else:
            with contextlib.suppress(OSError):
                record.unlink()
            with contextlib.suppress(OSError):
                self.stash.rmdir()
        return self.note + notes


_held: dict[str, tuple[threading.RLock, list[int]]] = {}
_held_lock = threading.Lock()


@contextlib.contextmanager
def held(root: Path) -> Iterator[None]:
    """One guest run at a time per workspace, across this process's threads and other
    processes (an ``flock`` beside the records): a run that ends puts back what another
    run on the same workspace must not see. Re-entrant within a thread (a tool a guest
    calls may start another guest)."""
    key = _key(root)
    with _held_lock:
        lock, state = _held.setdefault(key, (threading.RLock(), [0, -1]))
    with lock:
        if state[0] == 0:
            records_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            fd = os.open(records_dir() / f"{key}.lock", flags, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            state[1] = fd
        state[0] += 1
        try:
            yield
        finally:
            state[0] -= 1
            if state[0] == 0:
                os.close(state[1])  # (the flock goes with it)
                state[1] = -1


def hide(root: Path, rels: list[str]) -> Hidden:
    """Rename each of ``rels`` (paths beneath ``root``, none beneath another) out of the
    workspace; :meth:`Hidden.restore` puts them back."""
    done = Hidden(root)
    if not rels:
        return done
    stash = _make_stash(root)
    if stash is None:
        done.note = (
            f"corral: {len(rels)} file(s) the policy refuses to let the sandbox read could not "
            "be taken out of the guests' reach (no directory on the workspace's filesystem "
            "outside it could be made): only the guests' own checks refuse them\n"
        )
        log.warning("no stash for %s: %d refused files left in the guests' reach", root, len(rels))
        return done
    done.stash = stash
    plan = [(rel, f"{i}") for i, rel in enumerate(rels)]
    record = _record_path(root, stash)
    _write_record(record, root, stash, plan)  # before the first rename: nothing is lost
    sfd = os.open(stash, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for rel, name in plan:
            parent, _, base = rel.rpartition("/")
            try:
                pfd = open_beneath(root, parent) if parent else os.open(
                    root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
                )
            except OSError as e:
                done.note += f"corral: {rel}: not taken out of the guests' reach ({e})\n"
                continue
            try:
                os.rename(base, name, src_dir_fd=pfd, dst_dir_fd=sfd)
                done.moved.append((rel, name))
            except FileNotFoundError:
                pass  # gone since the walk
            except OSError as e:
                done.note += (
                    f"corral: {rel}: not taken out of the guests' reach ({e.strerror or e})\n"
                )
            finally:
                os.close(pfd)
    finally:
        os.close(sfd)
    if done.moved:  # (the first record already names them all: a failure here loses nothing)
        with contextlib.suppress(OSError):
            _write_record(record, root, stash, done.moved)
    else:
        with contextlib.suppress(OSError):
            record.unlink()
        with contextlib.suppress(OSError):
            stash.rmdir()
        done.stash = None
    return done


def recover(root: Path, quarantine: Callable[[], Path]) -> str:
    """Put back what a sandbox that died during a call left hidden from ``root`` (a
    record whose process is alive belongs to a call running now and is left alone);
    returns the notes ("" if there was nothing)."""
    notes = ""
    for record in sorted(records_dir().glob(f"{_key(root)}-*.json")):
        try:
            data = json.loads(record.read_text())
            stash = Path(data["stash"])
            moved = [(str(r), str(n)) for r, n in data["moved"]]
            owner, start = int(data["pid"]), str(data["start"])
            if Path(data["root"]) != root:
                continue
        except FileNotFoundError:
            continue
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("unreadable record of hidden files %s: %s", record, e)
            notes += f"corral: a record of hidden files could not be read ({record}: {e})\n"
            continue
        if _started(owner) == start:
            continue
        if not _trusted_stash(stash, root) or not all(n.isdigit() for _, n in moved):
            log.warning("a record of hidden files names a stash corral did not make: %s", record)
            notes += f"corral: a record of hidden files was not followed ({record})\n"
            continue
        # only what is still in the stash (a crash between the record and a rename)
        present = [(r, n) for r, n in moved if os.path.lexists(stash / n)]
        if not present:
            with contextlib.suppress(OSError):
                record.unlink()
            with contextlib.suppress(OSError):
                stash.rmdir()
            continue
        log.warning("putting back %d file(s) a dead sandbox left hidden from %s",
                    len(present), root)
        notes += Hidden(root, stash, present).restore(quarantine)
    return notes


def _make_stash(root: Path) -> Path | None:
    try:
        dev = os.stat(root).st_dev
    except OSError:
        return None
    for base in (root.parent, Path(tempfile.gettempdir()), records_dir().parent):
        try:
            if os.stat(base).st_dev != dev:
                continue
            d = Path(tempfile.mkdtemp(prefix=".corral-hidden-", dir=base))
        except OSError:
            continue
        with contextlib.suppress(OSError):
            os.chmod(d, 0o700)
        return d
    return None


def _write_record(record: Path, root: Path, stash: Path, moved: list[tuple[str, str]]) -> None:
    record.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = record.with_suffix(f".{os.getpid()}.tmp")
    data = json.dumps({
        "root": str(root), "stash": str(stash), "moved": moved,
        "pid": os.getpid(), "start": _started(os.getpid()),
    })
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, data.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, record)


def _put_back(
    root: Path, stash: Path, moved: list[tuple[str, str]], quarantine: Callable[[], Path]
) -> tuple[str, list[tuple[str, str]]]:
    notes = ""
    left: list[tuple[str, str]] = []
    sfd = os.open(stash, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for rel, name in moved:
            parent, _, base = rel.rpartition("/")
            try:
                pfd = open_beneath(root, parent, make_dirs=True)
            except OSError as e:
                left.append((rel, name))
                notes += f"corral: {rel}: left at {stash / name} ({e})\n"
                continue
            try:
                if _exists(base, pfd):  # the call made something at the hidden name
                    for m in move_out(root, [rel], quarantine()):
                        where = f"moved to {m.to}" if m.to else m.note
                        notes += (
                            f"corral: {rel}: made while the policy refused to let the sandbox "
                            f"read it; taken out of the workspace ({where})\n"
                        )
                os.rename(name, base, src_dir_fd=sfd, dst_dir_fd=pfd)
            except OSError as e:
                left.append((rel, name))
                notes += f"corral: {rel}: left at {stash / name} ({e.strerror or e})\n"
            finally:
                os.close(pfd)
    finally:
        os.close(sfd)
    return notes, left


def _exists(name: str, dir_fd: int) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True
