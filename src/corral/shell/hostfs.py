"""File operations of the built-ins on paths already resolved by ``ctx.resolve``,
each carried out beneath the sandbox root by the kernel.

``ctx.resolve`` checks a path as a string; between that check and the use, a
background job can swap a directory on it for a symlink to ``/etc``. These
functions take the resolved host path, turn it back into components under the
root and reach it through :class:`corral.beneath.Beneath` (``openat2`` with
``RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS``, or a walk through directory
descriptors): a swap can then only change which file *inside* the root is
reached. The last component is never followed (as ``O_NOFOLLOW`` did before),
except by :func:`stat`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat as statmod
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import PathEscape
from ..files import Workspace, open_op

Host = Path | str
_O_PATH = getattr(os, "O_PATH", 0)


def parts(ws: Workspace, host: Host) -> list[str]:
    """Components of ``host`` below the root. PathEscape if it is not below it."""
    try:
        rel = Path(host).relative_to(ws.root)
    except ValueError:
        raise PathEscape(f"{host}: Permission denied (outside /workspace)") from None
    return [p for p in rel.parts if p not in ("", ".")]


def _note(
    ws: Workspace, op: str, host: Host, ps: list[str] | None = None, *, check: bool = True
) -> None:
    """Before ``op`` on ``host``: ask the workspace's file gate (the policy's file rules;
    ``PermissionError`` when refused), then report it to the file hook (the shell
    worker's file notices)."""
    if ws.file_gate is None and ws.file_hook is None:
        return
    if ps is None:
        try:
            ps = parts(ws, host)
        except PathEscape:
            return
    if check:
        ws.check(op, ps)
    if ws.file_hook is not None:
        ws.note(op, "/workspace/" + "/".join(ps))


def open_fd(ws: Workspace, host: Host, flags: int, mode: int = 0o666) -> int:
    ps = parts(ws, host)
    op = open_op(flags)
    ws.check(op, ps)
    fd = ws.tree.open(ps, flags, mode, follow_last=False)
    _note(ws, op, host, ps, check=False)
    return fd


def open_read(ws: Workspace, host: Host) -> IO[bytes]:
    return os.fdopen(open_fd(ws, host, os.O_RDONLY), "rb")


def create(ws: Workspace, host: Host, mode: int = 0o644, exclusive: bool = False) -> IO[bytes]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_EXCL if exclusive else 0)
    return os.fdopen(open_fd(ws, host, flags, mode), "wb")


def lstat(ws: Workspace, host: Host) -> os.stat_result:
    return ws.tree.stat(parts(ws, host), follow=False)


def stat(ws: Workspace, host: Host) -> os.stat_result:
    """stat following a final symlink (by the guest's rules, never outside)."""
    return ws.tree.stat(parts(ws, host), follow=True)


def is_dir(ws: Workspace, host: Host, follow: bool = True) -> bool:
    try:
        st = ws.tree.stat(parts(ws, host), follow=follow)
    except (OSError, ValueError):
        return False
    return statmod.S_ISDIR(st.st_mode)


def lexists(ws: Workspace, host: Host) -> bool:
    try:
        lstat(ws, host)
    except (OSError, ValueError):
        return False
    return True


@contextlib.contextmanager
def scandir(ws: Workspace, host: Host, follow: bool = False) -> Iterator[Iterator[os.DirEntry]]:
    """``os.scandir`` of a directory descriptor (entries' ``path`` is the bare
    name; their ``stat(follow_symlinks=False)`` goes through the descriptor)."""
    fd = ws.tree.scandir_fd(parts(ws, host), follow=follow)
    try:
        with os.scandir(fd) as it:
            yield it
    finally:
        os.close(fd)


def listdir(ws: Workspace, host: Host) -> list[str]:
    fd = ws.tree.scandir_fd(parts(ws, host), follow=False)
    try:
        return os.listdir(fd)
    finally:
        os.close(fd)


def mkdir(ws: Workspace, host: Host, mode: int = 0o777) -> None:
    ps = parts(ws, host)
    _note(ws, "mkdir", host, ps)
    ws.tree.mkdir(ps, mode)


def unlink(ws: Workspace, host: Host) -> None:
    ps = parts(ws, host)
    _note(ws, "delete", host, ps)
    ws.tree.unlink(ps)


def rmdir(ws: Workspace, host: Host) -> None:
    ps = parts(ws, host)
    _note(ws, "delete", host, ps)
    ws.tree.rmdir(ps)


#: the most entries a directory being renamed may hold while file rules apply (each new
#: name is checked against them: ``mv x .git`` must not bring ``x/hooks/pre-commit`` in)
RENAME_CHECK_MAX = 200_000


def rename(ws: Workspace, src: Host, dst: Host) -> None:
    sp, dp = parts(ws, src), parts(ws, dst)
    _note(ws, "delete", src, sp)  # the old name goes away
    _note(ws, "rename", dst, dp)  # the new name is written
    if ws.file_gate is not None:
        _check_moved_tree(ws, sp, dp)
    ws.tree.rename(sp, dp)


def _check_moved_tree(ws: Workspace, sp: list[str], dp: list[str]) -> None:
    """The names a directory's contents get under its new name, each checked as the new
    name is (a path the rules name deep under the destination is refused)."""
    try:
        if not statmod.S_ISDIR(ws.tree.stat(sp, follow=False).st_mode):
            return
    except OSError:
        return  # (the rename itself says why)
    stack: list[list[str]] = [[]]
    seen = 0
    while stack:
        rel = stack.pop()
        try:
            names = ws.tree.listdir([*sp, *rel])
        except OSError:
            continue
        seen += len(names)
        if seen > RENAME_CHECK_MAX:
            raise PermissionError(
                errno.EACCES,
                f"Permission denied (corral: a directory of more than {RENAME_CHECK_MAX} "
                "entries cannot be checked against the policy's file rules)",
            )
        for name in names:
            ws.check("rename", [*dp, *rel, name])
            try:
                is_dir = statmod.S_ISDIR(ws.tree.stat([*sp, *rel, name], follow=False).st_mode)
            except OSError:
                continue
            if is_dir:
                stack.append([*rel, name])


def symlink(ws: Workspace, target: str, host: Host) -> None:
    ps = parts(ws, host)
    _note(ws, "symlink", host, ps)
    ws.tree.symlink(target, ps)


def link(ws: Workspace, src: Host, dst: Host) -> None:
    sp, dp = parts(ws, src), parts(ws, dst)
    ws.check("link", sp)  # a second name for a file is a way to change it
    _note(ws, "link", dst, dp)
    ws.tree.link(sp, dp)


def readlink(ws: Workspace, host: Host) -> str:
    return ws.tree.readlink(parts(ws, host))


def set_meta(
    ws: Workspace, host: Host, mode: int | None, times_ns: tuple[int, int] | None
) -> None:
    """chmod/utime the file itself; a symlink is left alone."""
    if mode is not None:
        _note(ws, "chmod", host)
    ws.tree.set_meta(parts(ws, host), mode, times_ns, follow=False)


def utime(ws: Workspace, host: Host, times_ns: tuple[int, int] | None) -> None:
    """Set times on the entry itself (a symlink's own times)."""
    ws.tree.utime(parts(ws, host), times_ns, follow=False)
