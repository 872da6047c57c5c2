"""Where corral keeps its files on the host.

Everything lives under one directory: ``$CORRAL_HOME`` if set, else
``$XDG_CACHE_HOME/corral``, else ``~/.cache/corral``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def corral_home() -> Path:
    """The root of corral's cache (runtimes, compiled modules)."""
    env = os.environ.get("CORRAL_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "corral"


def runtimes_dir() -> Path:
    return corral_home() / "runtimes"


def modules_dir() -> Path:
    return corral_home() / "modules"


_guest_lock = threading.Lock()
_guest_roots: list[Path] = []


def note_guest_writable(path: str | os.PathLike[str]) -> None:
    """A directory a guest can write (a sandbox's workspace). Kept when corral's home
    lies beneath it: its caches are then not trusted in this process
    (:func:`beneath_guest_writable`)."""
    try:
        root = Path(os.path.realpath(path))
        home = Path(os.path.realpath(corral_home()))
    except (OSError, ValueError):
        return
    if root != home and root not in home.parents:
        return  # the usual case: the workspace is elsewhere
    with _guest_lock:
        if root not in _guest_roots:
            _guest_roots.append(root)


def beneath_guest_writable(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` lies in a directory noted by :func:`note_guest_writable`."""
    real = Path(os.path.realpath(path))
    with _guest_lock:
        roots = list(_guest_roots)
    return any(real == r or r in real.parents for r in roots)
