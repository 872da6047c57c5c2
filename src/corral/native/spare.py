"""A spare warm session, started ahead (``backend_options={"spare": True}``, bwrap).

With ``spare`` on, once a backend's session is taken the backend starts its next one in
the background, so a session that is lost (``exit``, a kill, an overrun the shell did
not come back from) is replaced at once: the next call runs in the spare, warm, and
says ``restarted`` as before.

A spare is the backend's own: the same workspace, policy, budgets, monitor and
program table; it is never handed to another backend. It is started under the
backend's lock, between calls (its start uses the backend's per-run state; a call that
comes meanwhile waits for it), with nothing of the agent's in it until it is taken.
Its resource samples start when it is taken. At most one per backend; ended at
``close()``. Off by default: each warm root session holds a fanotify group (128 per user
by default), so a spare halves how many sandboxes a host can run.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("corral.native.spare")

__all__ = ["end_spare", "start_spare", "take_spare"]


def take_spare(backend: Any) -> Any:
    """The backend's spare session if one is ready and alive (it is the caller's now),
    else ``None``. Called under the backend's lock."""
    sess, backend._spare = getattr(backend, "_spare", None), None
    if sess is None:
        return None
    if sess.killed or not sess.alive():
        sess.end()
        return None
    return sess


def start_spare(backend: Any, make: Callable[[], Any]) -> None:
    """Have the backend's spare thread start its next session (when ``backend.spare``
    and none is there or starting). One thread per backend, alive until ``close()``:
    bwrap's ``--die-with-parent`` follows the thread that started it, so the thread that
    starts a session must outlive it."""
    if not getattr(backend, "spare", False) or backend._no_spare:
        return
    if backend._spare is not None or backend._spare_wanted:
        return
    backend._spare_wanted = True
    if backend._spare_jobs is None:
        backend._spare_jobs = queue.SimpleQueue()
        backend._spare_thread = threading.Thread(
            target=_serve, args=(backend,), name="corral-spare", daemon=True
        )
        backend._spare_thread.start()
    backend._spare_jobs.put(make)


def _serve(backend: Any) -> None:
    while True:
        make = backend._spare_jobs.get()
        if make is None:
            return
        try:
            _start_one(backend, make)
        finally:
            backend._spare_wanted = False


def _start_one(backend: Any, make: Callable[[], Any]) -> None:
    with backend._lock:
        if backend._no_spare or backend._spare is not None:
            return
        current = backend._current  # (a kill() meanwhile reaches the live sandbox)
        sess = make()
        sess.spare = True
        try:
            sess.start()
        except Exception as e:
            if not backend._no_spare:  # (not a close() that killed it as it started)
                log.warning("the spare session did not start: %s", e)
            return
        finally:
            backend._current = current
        backend._spare = sess


def end_spare(backend: Any) -> None:
    """No more spares (``close()``): the one there, or starting, is ended, and the
    spare thread ends (so do the sessions it started: they are ended right after)."""
    backend._no_spare = True
    jobs = getattr(backend, "_spare_jobs", None)
    if jobs is not None:
        jobs.put(None)
    t = getattr(backend, "_spare_thread", None)
    # (it takes the lock: not joined while holding it; it sees _no_spare then)
    if t is not None and t is not threading.current_thread() and not _holds(backend._lock):
        t.join()
    sess, backend._spare = getattr(backend, "_spare", None), None
    if sess is not None:
        sess.end()


def _holds(lock: Any) -> bool:
    is_owned = getattr(lock, "_is_owned", None)
    return bool(is_owned()) if is_owned is not None else False
