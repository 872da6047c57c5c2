"""Telling this test process's sandbox leftovers from another's (pytest-xdist).

Under xdist each worker stages its sandboxes under its own temporary directory
(``tests/conftest.py``); a path under the system's temporary directory but not under
this process's belongs to another test process running at the same time."""

from __future__ import annotations

import os


def ours(path: str) -> bool:
    """Whether ``path`` (a mount point, a stage directory) may be this process's."""
    mine = os.environ.get("CORRAL_TEST_WORKER_TMP")
    if not mine:
        return True
    shared = os.path.dirname(mine.rstrip("/")) + "/"
    return not path.startswith(shared) or path.startswith(mine.rstrip("/") + "/")
