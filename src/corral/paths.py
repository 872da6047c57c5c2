"""Where corral keeps its files on the host.

Everything lives under one directory: ``$CORRAL_HOME`` if set, else
``$XDG_CACHE_HOME/corral``, else ``~/.cache/corral``.
"""

from __future__ import annotations

import os
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
