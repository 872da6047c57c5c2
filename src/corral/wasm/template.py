"""The shell worker template: one process per host process that has imported the shell
and every built-in, and forks a worker for each sandbox (:mod:`.worker` holds its code).

This module is the template's host side and imports only the standard library, so
:func:`warm_up` can start the template at the first mention of ``corral.Sandbox``,
before the host has imported the sandbox itself: the two imports overlap.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from ..errors import CorralError

_START_TIMEOUT_S = 20.0


class WorkerUnavailable(CorralError):
    """The shell worker could not be started."""


class _Template:
    """The shared template process that forks workers (started once, restarted if lost)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.ctl: socket.socket | None = None
        self.ready = False
        self.pid = os.getpid()
        # a host that forks (multiprocessing, a trainer's workers) gives its child a
        # template of its own: the parent's control socket is never shared
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self.lock = threading.Lock()
        if self.ctl is not None:
            with contextlib.suppress(OSError):
                os.close(self.ctl.detach())
        self.proc, self.ctl, self.ready, self.pid = None, None, False, os.getpid()

    def start(self) -> None:
        """Start the template in the background (returns at once)."""
        with self.lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # Only what Python needs to start: the host's secrets (tokens, keys in its
        # environment) never reach a worker's memory.
        env = {k: v for k, v in os.environ.items() if k in _TEMPLATE_ENV}
        env["MALLOC_ARENA_MAX"] = "2"  # per-thread arenas would eat the address-space limit
        src = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "corral.wasm.worker", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
                close_fds=True,
                start_new_session=True,
            )
        except OSError as e:
            raise WorkerUnavailable(f"cannot start the shell worker template: {e}") from e
        finally:
            child.close()
        self.ctl = parent
        self.ready = False

    def fork(self, chan: socket.socket, cfg: dict[str, Any]) -> tuple[int, int]:
        """A new worker on ``chan``: (pid, pidfd)."""
        with self.lock:
            for attempt in (0, 1):
                self._start_locked()
                assert self.ctl is not None
                try:
                    # the request goes first: a template still importing finds it waiting
                    # when it is ready (and forks before anything it could do later)
                    socket.send_fds(
                        self.ctl, [json.dumps({"op": "fork", "cfg": cfg}).encode()], [chan.fileno()]
                    )
                    if not self.ready:
                        self._wait_ready()
                    msg, fds = self._recv(1)
                except (OSError, WorkerUnavailable) as e:
                    self._stop_locked()
                    if attempt:
                        raise WorkerUnavailable(f"the shell worker template failed: {e}") from e
                    continue
                reply = json.loads(msg)
                if "pid" not in reply or len(fds) != 1:
                    for fd in fds:
                        os.close(fd)
                    raise WorkerUnavailable(f"the template refused: {reply.get('error')}")
                return int(reply["pid"]), fds[0]
        raise WorkerUnavailable("unreachable")

    def _recv(self, nfds: int) -> tuple[bytes, list[int]]:
        assert self.ctl is not None
        r, _, _ = select.select([self.ctl], [], [], _START_TIMEOUT_S)
        if not r:
            raise WorkerUnavailable(f"the template did not answer in {_START_TIMEOUT_S:g} s")
        msg, fds, _flags, _addr = socket.recv_fds(self.ctl, 65536, nfds)
        if not msg:
            raise WorkerUnavailable("the template exited")
        return msg, fds

    def _wait_ready(self) -> None:
        msg, fds = self._recv(0)
        for fd in fds:
            os.close(fd)
        if json.loads(msg).get("ready") is not True:
            raise WorkerUnavailable("the template did not start")
        self.ready = True

    def _stop_locked(self) -> None:
        if self.ctl is not None:
            with contextlib.suppress(OSError):
                self.ctl.close()
            self.ctl = None
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
            self.proc = None
        self.ready = False


TEMPLATE = _Template()


def warm_up() -> None:
    """Start the template now, in the background, if it is not running: its imports
    (the shell and every built-in, in its own process) then overlap the host's own.
    A failure here is not reported: the first worker's start tries again and says why."""
    with contextlib.suppress(Exception):
        TEMPLATE.start()


#: the host environment variables a worker template inherits
_TEMPLATE_ENV = frozenset(
    {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV",
     "CORRAL_HOME", "CORRAL_SANDBOX_DIR", "TMPDIR"}
)  # fmt: skip
