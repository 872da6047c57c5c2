"""Sandbox launchers started from a thread that lives as long as the process.

A launcher's parent-death signal (bwrap's ``--die-with-parent``, runsc's
``PR_SET_PDEATHSIG``) follows the *thread* that forked it, not the process: a session
started by a call made from a short-lived thread died with that thread. :func:`popen`
forks from the main thread when called there (it lasts as long as the process), else
from one process-wide thread that does nothing but start processes, so a sandbox ends
with this process and never with a thread of it. Only the fork and exec move: the caller
prepares everything and gets the ``Popen`` back (or its exception).
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from typing import Any

__all__ = ["popen"]

_lock = threading.Lock()
_jobs: queue.SimpleQueue | None = None
_pid = 0


def popen(*args: Any, **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen(*args, **kwargs)``, forked by a thread that lives as long as
    this process."""
    if threading.current_thread() is threading.main_thread():
        return subprocess.Popen(*args, **kwargs)
    done = threading.Event()
    box: list[Any] = []
    _queue().put((args, kwargs, box, done))
    done.wait()
    result = box[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _queue() -> queue.SimpleQueue:
    global _jobs, _pid
    with _lock:
        if _jobs is None or _pid != os.getpid():  # (a forked child has no such thread)
            _jobs, _pid = queue.SimpleQueue(), os.getpid()
            threading.Thread(target=_serve, args=(_jobs,), name="corral-spawner",
                             daemon=True).start()  # fmt: skip
        return _jobs


def _serve(jobs: queue.SimpleQueue) -> None:
    while True:
        args, kwargs, box, done = jobs.get()
        try:
            box.append(subprocess.Popen(*args, **kwargs))
        except BaseException as e:  # handed to the caller
            box.append(e)
        finally:
            done.set()
