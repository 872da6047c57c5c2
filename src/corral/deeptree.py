"""Walking and removing directory trees an agent built, however deep.

``shutil.rmtree`` recurses once per level (Python 3.11): a tree 1,000 directories deep,
which an agent makes with ``for i in $(seq 1500); do mkdir d; cd d; done``, raises
``RecursionError`` in the host when the sandbox is cleaned up (``ignore_errors`` only
ignores ``OSError``), and the workspace is left on disk. :func:`remove_tree` walks with
a stack instead: every step is relative to its parent's descriptor and never follows a
symlink (as shutil's descriptor-based walk), at most :data:`MAX_HELD` directories are
held open at once (a chain deeper than that is moved up to the top directory, whole, by
one ``rename``, and removed from there), so the cost is linear in the tree's size and
the descriptors it takes are bounded whatever its depth.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
from collections.abc import Iterator

__all__ = ["MAX_HELD", "remove_tree", "walk"]

#: directories held open at once while removing a tree
MAX_HELD = 64
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PARKED = itertools.count()


def remove_tree(
    path: str | os.PathLike[str], *, dir_fd: int | None = None, ignore_errors: bool = False
) -> None:
    """Remove the directory ``path`` (relative to ``dir_fd`` when given) and everything
    in it. A symlink at ``path`` is an error, as for ``shutil.rmtree``; symlinks inside
    are removed, never followed. ``ignore_errors``: what cannot be removed is left and
    the rest still removed; otherwise the first error is raised once the walk is done."""
    errors: list[OSError] = []
    name = os.fspath(path)
    parent = dir_fd
    own_parent: int | None = None
    try:
        if dir_fd is None:
            full = os.path.abspath(name)
            head, name = os.path.split(full.rstrip("/") or "/")
            own_parent = parent = os.open(head or "/", _OPEN_DIR)
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise OSError(f"cannot remove a tree through a symbolic link: {os.fspath(path)}")
        top = os.open(name, _OPEN_DIR, dir_fd=parent)
        try:
            _clear(top, errors)
        finally:
            os.close(top)
        os.rmdir(name, dir_fd=parent)
    except OSError as e:
        errors.append(e)
    finally:
        if own_parent is not None:
            os.close(own_parent)
    if errors and not ignore_errors:
        raise errors[0]


def _clear(top: int, errors: list[OSError]) -> None:
    """Remove everything inside the directory ``top``."""
    while True:
        names = os.listdir(top)
        if not names:
            return
        removed = 0
        # (directory descriptor, names left in it, (parent descriptor, its name) or None)
        stack: list[tuple[int, list[str], tuple[int, str] | None]] = [(top, names, None)]
        try:
            while stack:
                fd, left, own = stack[-1]
                if not left:
                    stack.pop()
                    if own is not None:
                        os.close(fd)
                        try:
                            os.rmdir(own[1], dir_fd=own[0])
                            removed += 1
                        except OSError as e:
                            errors.append(e)
                    continue
                name = left.pop()
                try:
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    if not stat.S_ISDIR(st.st_mode):
                        os.unlink(name, dir_fd=fd)
                        removed += 1
                        continue
                    if len(stack) >= MAX_HELD:
                        # too deep to hold: move the rest of the chain up, whole, and
                        # remove it from the top on a later pass
                        _park(fd, name, top)
                        continue
                    sub = os.open(name, _OPEN_DIR, dir_fd=fd)
                    sst = os.fstat(sub)
                    if (sst.st_dev, sst.st_ino) != (st.st_dev, st.st_ino):
                        os.close(sub)  # swapped since the stat: left for the next pass
                        continue
                    try:
                        listing = os.listdir(sub)
                    except OSError:
                        os.close(sub)
                        raise
                    stack.append((sub, listing, (fd, name)))
                except FileNotFoundError:
                    continue
                except OSError as e:
                    errors.append(e)
        finally:
            for fd, _, own in stack:
                if own is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        if errors or not removed:
            return  # what is left could not be removed (or is being refilled)


def _park(fd: int, name: str, top: int) -> None:
    """Move the directory ``name`` (in ``fd``) into ``top`` under a fresh name."""
    while True:
        parked = f".corral-rm-{os.getpid()}-{next(_PARKED)}"
        try:
            os.rename(name, parked, src_dir_fd=fd, dst_dir_fd=top)
            return
        except (FileExistsError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError as e:
            if e.errno == 39:  # ENOTEMPTY: a directory of that name is there
                continue
            raise


def walk(
    top: str | os.PathLike[str],
) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top)`` top-down, without recursion (Python 3.11's recurses once per
    level: ``RecursionError`` at ~1,000) and without following symlinks: ``(dirpath,
    dirnames, filenames)``, symlinks to directories among the file names; the caller
    may prune ``dirnames`` in place. Directories that cannot be read are skipped (as
    are those whose path passes PATH_MAX)."""
    stack = [os.fspath(top)]
    while stack:
        path = stack.pop()
        dirs: list[str] = []
        files: list[str] = []
        try:
            with os.scandir(path) as it:
                for entry in it:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
        except OSError:
            continue
        yield path, dirs, files
        stack.extend(os.path.join(path, d) for d in reversed(dirs))
