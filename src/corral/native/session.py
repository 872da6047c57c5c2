"""A persistent bash inside a native sandbox, driven by the host (issue 16).

A native backend keeps one sandbox per :class:`~corral.Sandbox` alive, started on first
use, and runs every script of ``run()`` in the same bash inside it, so the current
directory, exported variables, functions, aliases and background processes persist from
one call to the next as they do in the corral shell.

The channel
-----------

bash is the sandbox's only program; corral adds nothing inside the sandbox. The host
holds the other end of four pipes:

* **commands** (bash's fd 0, host writes): one protocol line per call, e.g. ::

      builtin source /run/corral/calls/ID.sh </dev/null 61>&-;
      builtin printf '%s %d\\n' ID "$?" >&61

  The script itself is a file in a host directory bound read-only into the sandbox
  (``/run/corral/calls``): it is never parsed as part of a line (no quoting to get
  wrong, and bash reads a file in one piece where it reads a pipe byte by byte).
  ``stdin`` goes the same way (or ``/dev/null``).
* **frames** (fd 61 in bash, host reads): ``<id> <status>\\n`` lines only. Every request
  has a fresh 128-bit random id. The script runs with fd 61 closed, so the programs it
  starts do not inherit it.
* **stdout** and **stderr** (fds 1 and 2): pure data, never parsed. Nothing a program
  writes there can be taken for a frame; bytes that arrive between calls (a background
  job's chatter) are dropped.

What sandboxed code can do to the channel and what corral does about it: bash runs the
agent's code in its own process, so the code can reach the frame pipe (``/proc/PID/fd``,
the saved descriptor bash keeps while a redirection is active) and write to it. A frame
with an id corral never issued, a malformed or oversized line, ends the session
(``error="crash"``, the next call starts a fresh sandbox and says ``restarted``); a frame
with the id of an earlier request is stale and ignored. A frame with the current id is
only a claim: on bwrap corral also checks with the kernel that bash is back waiting for
its next command (``/proc/PID/syscall``: ``read`` on fd 0) before it ends the call, so a
frame forged while the script still runs does not end it. The exit status is what bash
says (the script could say anything anyway). The walls do not depend on the channel:
budgets, program starts, the network and kills are the host's.

Ending a call, not the session
------------------------------

On overrun (wall time, CPU, output, disk, processes) corral interrupts the call: SIGINT to
bash and every process started during the call (bash is interactive, so an interrupted
command returns it to its prompt with its state intact), the processes of the call still
alive a moment later are killed (background jobs started by it included; those of earlier
calls are left alone), and a sync frame proves bash is back. If it does not come back
(the script ignores SIGINT, bash is wedged, a memory kill took bash), the session is
ended and the next call starts a fresh one (``restarted``). ``exit`` in a script ends the
session the same way: the call's exit code is bash's.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import select
import selectors
import signal
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..budget import RunResult, Usage
from ._common import (
    BackendUnavailable,
    OutputCollector,
    disk_at_end,
    disk_usage,
    finish_result,
)
from .spare import start_spare, take_spare

log = logging.getLogger("corral.native.session")

__all__ = ["CALLS_GUEST", "CTL_FD", "SHELL_ARGV", "Forged", "SessionLost", "ShellChannel"]

#: the sandbox's program: an interactive bash (an interrupted command returns it to its
#: prompt), reading commands from fd 0 with no line editing, no startup files
SHELL_ARGV = ["/bin/bash", "--norc", "--noprofile", "--noediting", "-i"]
#: a call's crash message when the sandbox's network relay ended before its shell
RELAY_DIED = (
    "the sandbox's network relay (its first process, corral's) was killed or crashed, "
    "which ended the sandbox: its state is gone, the next call starts a fresh one"
)
#: the frame pipe inside bash (moved there from wherever the launcher put it)
CTL_FD = 61
#: copies of the shell's stdout and stderr (where an interpreter's output goes)
OUT_FD, ERR_FD = 62, 63
#: the persistent interpreters of ``python()``/``js()``: program (checked on the host: the
#: sandbox's /usr is the host's), driver file in the sandbox, coprocess name
INTERPRETERS = {
    "python": (["/usr/bin/python3", "-I", "-u", "/run/corral/py_driver.py"], "__corral_py"),
    "js": (["/usr/bin/node", "/run/corral/js_driver.js"], "__corral_js"),
}
#: corral's own files inside the sandbox (read-only), and the call files there
RUN_GUEST = "/run/corral"
CALLS_GUEST = "/run/corral/calls"
#: the longest frame line (``<32 hex> <status or pid>``)
_MAX_FRAME = 64
_FRAME = re.compile(rb"([0-9a-f]{32}) (S|G|[0-9]{1,7})")


class SessionLost(Exception):
    """The sandbox's shell is gone (it exited, was killed, or closed its channel)."""


class Forged(Exception):
    """Something in the sandbox wrote to the frame pipe what corral did not ask for."""


#: how much output written outside any call is kept (for a start-up failure's message)
_NOISE_KEPT = 2000


class ShellDied(BackendUnavailable):
    """The sandbox's shell ended before it said it was ready (nothing of a call ran)."""


class ShellChannel:
    """The host's end of the pipes to one sandbox's bash (see the module doc)."""

    def __init__(self, cmd_w: int, ctl_r: int, out_r: int, err_r: int, calls: Path) -> None:
        self.cmd_w = cmd_w
        self.calls = calls
        self._fds = {ctl_r: "ctl", out_r: "out", err_r: "err"}
        self.sel = selectors.DefaultSelector()
        for fd, which in self._fds.items():
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ, which)
        self._ctl = bytearray()
        #: ids issued and no longer waited for (their late frames are ignored)
        self._stale: deque[str] = deque(maxlen=256)
        self._issued: set[str] = set()
        #: where stdout/stderr go now (None: dropped, between calls)
        self.sink: OutputCollector | None = None
        self.closed = False
        #: bytes of stdout and stderr the calls wrote so far
        self.out_total = 0
        self._noise = bytearray()

    # ---- requests

    def _new_id(self) -> str:
        rid = secrets.token_hex(16)
        self._issued.add(rid)
        return rid

    def done_with(self, rid: str) -> None:
        """``rid`` is answered or abandoned: a late frame with it is ignored."""
        if rid in self._issued:
            self._issued.discard(rid)
            self._stale.append(rid)
        for suffix in (".sh", ".in", ".py", ".js"):
            with contextlib.suppress(OSError):
                os.unlink(self.calls / f"{rid}{suffix}")

    def _stdin(self, rid: str, data: bytes) -> str | None:
        """A call's stdin: a file next to its script (a regular file: a FIFO fed by a host
        thread hung now and then on gVisor, whose gofer opens host FIFOs its own way);
        its path in the sandbox, or None without data."""
        if not data:
            return None
        _write_private(self.calls / f"{rid}.in", data)
        return f"{CALLS_GUEST}/{rid}.in"

    def _send(self, line: str) -> None:
        data = memoryview(line.encode())
        while data:
            try:
                n = os.write(self.cmd_w, data)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            except OSError as e:
                raise SessionLost(f"the shell stopped reading its commands ({e.strerror})") from e
            data = data[n:]

    def boot(self, ctl_fd: int, ctl_path: str | None = None) -> str:
        """Set the shell up (quiet prompts, no history, the frame pipe at fd 61: moved
        from ``ctl_fd``, or opened at ``ctl_path``, a FIFO); the id of the frame that says
        it is ready, with the shell's pid (as the sandbox sees it) for a status."""
        if ctl_path is None:
            ctl = f"{CTL_FD}>&{ctl_fd} {ctl_fd}>&-"
        else:
            _plain_path(ctl_path)
            ctl = f"{CTL_FD}>{ctl_path}"
        rid = self._new_id()
        self._send(
            "PS1= PS2= PS3= PS4='+ ' PROMPT_COMMAND=; unset HISTFILE MAIL MAILCHECK MAILPATH; "
            f"set +o history +H; exec {ctl} {OUT_FD}>&1 {ERR_FD}>&2; "
            f"builtin printf '%s %d\\n' {rid} \"$$\" >&{CTL_FD}\n"
        )
        return rid

    def enter(self, guest_dir: str) -> str:
        """Have the shell change to ``guest_dir`` (a plain path, builtins only, nothing
        started; ``OLDPWD`` unset as in a fresh shell); the id of the frame with the
        status (a pooled session taking its workspace, :mod:`corral.native.pool`)."""
        _plain_path(guest_dir)
        rid = self._new_id()
        self._send(
            f"builtin cd -P -- {guest_dir} && builtin unset OLDPWD; "
            f"builtin printf '%s %d\\n' {rid} \"$?\" >&{CTL_FD}\n"
        )
        return rid

    def call(self, script: str, stdin: bytes) -> str:
        """Send one script to run; its request id."""
        rid = self._new_id()
        _write_private(self.calls / f"{rid}.sh", script.encode("utf-8", "surrogateescape"))
        src = self._stdin(rid, stdin) or "/dev/null"
        self._send(
            f"builtin source {CALLS_GUEST}/{rid}.sh <{src} {CTL_FD}>&-; "
            f"builtin printf '%s %d\\n' {rid} \"$?\" >&{CTL_FD}\n"
        )
        return rid

    def code_call(self, language: str, code: str, stdin: bytes) -> str:
        """Send code to the sandbox's persistent interpreter for ``language`` (the shell
        starts it as a coprocess when it is not running); its request id. The frame's
        status is the code's exit status, ``G`` when the interpreter ended."""
        _, name = INTERPRETERS[language]
        rid = self._new_id()
        ext = ".py" if language == "python" else ".js"
        _write_private(self.calls / f"{rid}{ext}", code.encode("utf-8", "surrogateescape"))
        src = self._stdin(rid, stdin) or "-"
        # sourced (a coprocess started on the shell's command line loses its pipes there)
        self._send(
            f"builtin source {RUN_GUEST}/interp.sh {rid} {CALLS_GUEST}/{rid}{ext} {src} {name}\n"
        )
        return rid

    def sync(self) -> str:
        """Ask the shell to say it is at its prompt; the id of that frame."""
        rid = self._new_id()
        self._send(f"builtin printf '%s S\\n' {rid} >&{CTL_FD}\n")
        return rid

    # ---- answers

    def pump(self, timeout: float) -> list[tuple[str, str]]:
        """Read what is there (waiting up to ``timeout``): output into :attr:`sink`,
        frames returned as ``(id, status)``. Raises :class:`SessionLost` when the shell's
        pipes close, :class:`Forged` on a frame corral did not ask for."""
        frames: list[tuple[str, str]] = []
        for key, _ in self.sel.select(max(timeout, 0.0)):
            fd, which = key.fd, key.data
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError as e:
                if e.errno == errno.EINTR:
                    continue
                chunk = b""
            if not chunk:
                raise SessionLost("the shell's pipes closed")
            if which == "ctl":
                frames.extend(self._frames(chunk))
            elif self.sink is not None:  # a call's output (bash's own start-up notes are not)
                self.out_total += len(chunk)  # for the resource samples' out_chars
                self.sink.feed(which, chunk)
            else:
                self._unclaimed(chunk)
        return frames

    def drain(self) -> None:
        """Everything already written to stdout/stderr (a frame is written after the
        output of its call, so once it is read, this is the rest of that output)."""
        for _ in range(4096):
            got = False
            for fd, which in self._fds.items():
                if which == "ctl":
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except (BlockingIOError, OSError):
                    continue
                if chunk:
                    got = True
                    if self.sink is not None:
                        self.out_total += len(chunk)
                        self.sink.feed(which, chunk)
                    else:
                        self._unclaimed(chunk)
            if not got:
                return

    def _unclaimed(self, chunk: bytes) -> None:
        """Output between calls (bash's start-up notes, a launcher's error): dropped, but
        its last bytes are kept for :meth:`last_words`."""
        self._noise += chunk
        del self._noise[: -_NOISE_KEPT]

    def last_words(self, limit: int = _NOISE_KEPT) -> str:
        """What the shell (or its launcher) printed outside any call: why a sandbox that
        died at start died (``bwrap: execvp …``, a kernel refusal). Read once it is gone."""
        buf = bytearray(self._noise[-limit:])
        for fd, which in self._fds.items():
            if which == "ctl":
                continue
            for _ in range(64):
                try:
                    chunk = os.read(fd, 65536)
                except (BlockingIOError, OSError):
                    break
                if not chunk:
                    break
                if len(buf) < limit:
                    buf += chunk[: limit - len(buf)]
        return buf.decode("utf-8", "replace").strip()

    def _frames(self, chunk: bytes) -> list[tuple[str, str]]:
        self._ctl += chunk
        out: list[tuple[str, str]] = []
        while True:
            i = self._ctl.find(b"\n")
            if i < 0:
                if len(self._ctl) > _MAX_FRAME:
                    raise Forged("an oversized frame on the shell's control pipe")
                return out
            line = bytes(self._ctl[:i])
            del self._ctl[: i + 1]
            m = _FRAME.fullmatch(line)
            if m is None:
                raise Forged(f"a malformed frame on the shell's control pipe: {line[:40]!r}")
            rid = m.group(1).decode()
            if rid in self._issued:
                out.append((rid, m.group(2).decode()))
            elif rid not in self._stale:
                raise Forged("a frame with an id corral never issued")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.sel.close()
        for fd in (self.cmd_w, *self._fds):
            with contextlib.suppress(OSError):
                os.close(fd)


def _plain_path(path: str) -> None:
    """``path`` is absolute and safe to write unquoted in a line for the shell."""
    if not path.startswith("/") or any(c in path for c in " ;&|$`'\"\n<>()*?[]{}~#=\\"):
        raise ValueError(f"not a plain path: {path!r}")


def _write_private(path: Path, data: bytes) -> None:
    """A call file, readable by the sandbox's user, written before it is named."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    os.rename(tmp, path)


def wait_frame(
    chan: ShellChannel,
    rid: str,
    deadline: float,
    *,
    idle: Callable[[], bool] | None = None,
    tick: float = 0.05,
    check: Callable[[], bool] | None = None,
) -> str | None:
    """Pump until the frame ``rid`` arrives and (``idle``) the shell is back at its
    prompt; its status, or ``None`` at ``deadline`` or when ``check()`` says stop."""
    status: str | None = None
    settle = 0.0002  # after the frame: how long to wait before looking at the shell again
    while True:
        now = time.monotonic()
        if now >= deadline:
            return None
        wait = settle if status is not None else min(tick, deadline - now)
        for fid, st in chan.pump(wait):
            if fid == rid:
                status = st
        if status is not None:
            if idle is None or idle():
                chan.drain()
                return status
            settle = min(settle * 2, tick)  # not back yet (or the frame was forged)
        if check is not None and check():
            return None


_CLK = os.sysconf("SC_CLK_TCK")


def boot_ticks() -> int:
    """Now, in the clock ticks of ``/proc/PID/stat``'s start time."""
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * _CLK)


class CallState:
    """One call's budgets and what ended it (filled by the tier's checks)."""

    def __init__(self, out: OutputCollector, t0: float, wall: float, cpu_limit: float) -> None:
        self.out = out
        self.t0 = t0
        self.wall = wall
        self.cpu_limit = cpu_limit
        self.ticks0 = boot_ticks()
        self.killed: str | None = None
        #: a budget the call hit without being killed for it (a memory kill of a process)
        self.detected: str | None = None
        self.note: str | None = None
        #: what the call used (filled by the tier when it ends)
        self.cpu_s = 0.0
        self.memory_bytes = 0
        #: the call's interpreter had to be started again (python()/js())
        self.restarted = False
        #: someone asked to interrupt the call (``Sandbox.interrupt()``, any thread)
        self.interrupted = False


class NativeSession:
    """One persistent sandbox of a native tier and its shell. A tier subclasses it with
    how to start the sandbox, see its processes and kill them; :meth:`call` is the same
    for every tier. Used under the backend's lock (one call at a time)."""

    #: how long an interrupted call has to bring the shell back to its prompt
    interrupt_grace = 1.0

    chan: ShellChannel

    def __init__(self) -> None:
        self.lost: str | None = None  # why the session had to go
        #: the backend's kill() took it: gone for the next call even before it is reaped
        self.killed = False
        self.calls = 0
        #: how many program starts the monitor had seen when the last call began
        self.first_spawn = 0
        #: language -> "running" or "lost" (the persistent interpreters of python()/js())
        self.interps: dict[str, str] = {}
        self.lang_calls: dict[str, int] = {}
        #: the call running now (for :meth:`interrupt_call` from another thread)
        self.current: CallState | None = None
        #: started ahead as the backend's spare (corral.native.spare): not yet in use
        self.spare = False
        #: started while the workspace was over its disk budget (``RLIMIT_FSIZE`` 0)
        self.files_frozen = False
        #: the host's end of the network relay's status pipe (relaybin), if it has one
        self.relay_status: int | None = None

    def relay_pipe(self) -> int:
        """A status pipe for the sandbox's network relay: the write end (for the sandbox,
        closed here by the caller once passed on); the read end is kept."""
        r, w = os.pipe()
        os.set_blocking(r, False)
        self.relay_status = r
        return w

    def relay_died(self) -> bool:
        """The sandbox's network relay (its first process) ended without its shell's
        status: killed or crashed (a guest can trace or kill it). Asked once the sandbox
        ended; waits up to a second for the pipe's last writer to go."""
        fd = self.relay_status
        if fd is None:
            return False
        with contextlib.suppress(OSError):
            p = select.poll()
            p.register(fd, select.POLLIN)
            if p.poll(1000):
                return os.read(fd, 64) == b""
        return False

    def close_relay_pipe(self) -> None:
        fd, self.relay_status = self.relay_status, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def activate(self) -> None:
        """The session is the backend's live one now (after :meth:`start`, or when a
        spare is taken)."""
        self.spare = False

    def interrupt_call(self) -> bool:
        """Interrupt the running call as Ctrl-C would (any thread): it ends as an
        overrun does (SIGINT, the grace, its processes killed), the session lives on.
        False when no call runs."""
        st = self.current
        if st is None:
            return False
        st.interrupted = True
        return True

    # ---- what a tier provides

    def alive(self) -> bool:
        raise NotImplementedError

    def idle(self) -> bool:
        """Whether the shell is back at its prompt, as the kernel sees it (True when the
        tier cannot look)."""
        return True

    def enter_call(self, st: CallState) -> None:
        """Before the script is sent (e.g. a cgroup of the call's own)."""

    def leave_call(self, st: CallState) -> None:
        """After the call, whatever ended it."""

    def check(self, st: CallState) -> bool:
        """The tier's budget checks while the call runs (sets ``st.killed``); True: stop."""
        return False

    def ends_session(self, st: CallState) -> bool:
        """Whether ``st.killed`` ends the whole session rather than the call."""
        return False

    def interrupt(self, st: CallState) -> None:
        """SIGINT to the shell and to every process the call started."""
        raise NotImplementedError

    def kill_call(self, st: CallState) -> None:
        """SIGKILL every process the call started, except the shell."""
        raise NotImplementedError

    def exit_code(self) -> int:
        """The sandbox's exit code once the shell is gone (waits for it)."""
        raise NotImplementedError

    def end(self) -> None:
        """Stop the sandbox and release everything."""
        raise NotImplementedError

    # ---- the call

    def kill_interpreter(self, language: str) -> None:
        """SIGKILL the sandbox's persistent interpreter for ``language``."""
        raise NotImplementedError

    def call(
        self, script: str, stdin: bytes, st: CallState, language: str = "bash"
    ) -> tuple[int, str | None]:
        """Run ``script`` (bash, or code for the ``language`` interpreter); (exit code,
        crash message). Budget overruns are in ``st``; :attr:`lost` says when the session
        ended with this call, ``st.restarted`` when the interpreter had to be started
        again."""
        chan = self.chan
        self.calls += 1
        if language != "bash":
            st.restarted = self.interps.get(language) == "lost"
            self.lang_calls[language] = self.lang_calls.get(language, 0) + 1
        self.enter_call(st)
        rid = ""
        status: str | None = None
        crash: str | None = None

        def stop() -> bool:
            if st.interrupted:
                st.killed = "interrupted"
                return True
            if st.out.over:
                st.killed = "output"
                return True
            return self.check(st)

        self.current = st
        try:
            chan.sink = st.out
            rid = (
                chan.call(script, stdin)
                if language == "bash"
                else chan.code_call(language, script, stdin)
            )
            status = wait_frame(chan, rid, st.t0 + st.wall, idle=self.idle, check=stop)
            if status is None and st.killed is None:
                st.killed = "wall_time"
        except SessionLost:
            self.lost = "the shell ended"
            with contextlib.suppress(SessionLost, Forged):
                chan.drain()
        except Forged as e:
            self.lost = crash = f"the session's control channel was tampered with: {e}"
        self.current = None
        chan.sink = None
        if st.killed is not None and self.lost is None:
            if self.ends_session(st):
                self.lost = f"the session was ended ({st.killed})"
            else:
                self._abort(st)
        if language != "bash":
            if st.killed is not None and self.lost is None:
                with contextlib.suppress(OSError):
                    self.kill_interpreter(language)  # its state is the overrun's
                self.interps[language] = "lost"
            elif status == "G":
                self.interps[language] = "lost"
                crash = f"the {language} interpreter ended (its state is gone; the next call " \
                    "starts a fresh one)"
            else:
                self.interps[language] = "running"
        if rid:
            chan.done_with(rid)
        self.leave_call(st)
        if self.lost is not None:
            code = self.exit_code()
            if crash is None and st.killed is None and self.relay_died():
                crash = RELAY_DIED
            return code, crash
        assert status is not None or st.killed is not None
        return (int(status) if status is not None and status.isdigit() else 137), crash

    def _abort(self, st: CallState) -> None:
        """End an overrunning call; the session too when its shell does not come back."""
        chan = self.chan
        try:
            self.interrupt(st)
            rid = chan.sync()
            back = wait_frame(
                chan, rid, time.monotonic() + self.interrupt_grace, idle=self.idle, tick=0.02
            )
            chan.done_with(rid)
        except (SessionLost, Forged):
            back = None
        if back is None:
            # killing the call's processes now would let the shell go on with the rest
            # of the script: the whole session goes instead
            self.lost = "the shell did not come back from an interrupted call"
            return
        with contextlib.suppress(OSError):
            self.kill_call(st)  # its background jobs too
        # the shell reports the jobs just killed at its next prompt: here, not in the next
        # call's output
        with contextlib.suppress(SessionLost, Forged):
            rid = chan.sync()
            wait_frame(chan, rid, time.monotonic() + 0.5, idle=self.idle, tick=0.02)
            chan.done_with(rid)


def run_in_session(
    backend: Any,
    make: Callable[[], NativeSession],
    script: str,
    stdin: bytes,
    timeout: float | None,
    on_output: Callable[[str, str], None] | None,
    language: str = "bash",
) -> tuple[RunResult, NativeSession]:
    """``script`` in ``backend``'s warm session (``backend._sess``), started with
    ``make()`` when there is none or the last one was lost (the result says
    ``restarted`` then). Called under the backend's lock."""
    sess = backend._sess
    if sess is not None and (sess.killed or not sess.alive()):
        backend._end_session(lost=True)
        sess = None
    restarted = False
    budget = backend.budget
    backend._disk_floor = backend._disk_baseline()
    wall, cpu_limit, fsize = backend._run_limits(timeout)
    if sess is not None and sess.files_frozen != backend._disk_over:
        # over the disk budget (or under it again): the session's processes hold the
        # other file-size limit, and a process keeps its own: a new session
        backend._end_session(lost=True)
        sess = None
    out = OutputCollector(budget.output_chars, on_output)
    if sess is None:
        restarted, backend._lost = backend._lost, False
        spare = take_spare(backend)
        if spare is not None and spare.files_frozen != backend._disk_over:
            spare.end()
            spare = None
        if spare is not None:
            sess = backend._sess = spare
            sess.activate()
        else:
            sess = _start_session(backend, make)
        start_spare(backend, make)  # (on a thread, once this call let go of the lock)
        if sess.killed:
            # killed while it started: as a kill during a call, not "unavailable"
            res = finish_result(
                language=language, out=out, exit_code=137, killed=None, detected=None,
                budget=budget, limits=backend.limits, wall_limit=wall, usage=Usage(),
            )  # fmt: skip
            res.error_message = "the sandbox was killed while it started"
            res.restarted = restarted
            return res, sess
    st = CallState(out, time.monotonic(), wall, cpu_limit)
    had = backend._interps_before_loss if restarted else set()
    exit_code, crash = sess.call(script, stdin, st, language)
    if sess.lost is not None:
        backend._end_session(lost=True)
    used, nfiles = disk_usage(backend.root)
    usage = Usage(wall_s=time.monotonic() - st.t0, cpu_s=st.cpu_s, memory_bytes=st.memory_bytes,
                  disk_bytes=used, disk_files=nfiles)  # fmt: skip
    detected, note = st.detected, st.note
    if st.killed is None and detected is None:
        if exit_code == 128 + signal.SIGXCPU:
            detected = "cpu"
        elif (note := disk_at_end(exit_code, fsize, backend._disk_floor, used, nfiles)):
            detected = "disk"
    interrupted = st.killed == "interrupted"
    res = finish_result(
        language=language, out=out, exit_code=130 if interrupted else exit_code,
        killed=None if interrupted else st.killed, detected=None if interrupted else detected,
        budget=budget, limits=backend.limits, wall_limit=wall, usage=usage, note=note,
    )  # fmt: skip
    if interrupted:  # as Ctrl-C: exit 130, not a budget
        res.error = res.error_message = "interrupted"
    if fsize == 0:
        res.stderr = backend._disk_note() + res.stderr
    if st.killed == "denied":
        res.exit_code = 137
        res.stderr += f"\n[corral] {note}\n"
    if language == "bash":
        res.restarted = restarted
    else:
        # a fresh session restarts only the interpreters that were running before
        res.restarted = st.restarted or language in had
        if res.restarted or sess.lang_calls[language] == 1:
            ev = "interpreter.restarted" if res.restarted else "interpreter.started"
            backend.emitter.emit(ev, data={"language": language, "backend": backend.name})
    if crash is not None and res.error in (None, "exit"):
        res.error, res.error_message = "crash", crash
        res.stderr += f"\n[corral] {crash}\n"
    return res, sess


def interrupt_session(backend: Any) -> None:
    """``Sandbox.interrupt()`` on a native backend: the running call of its warm session
    is interrupted (a no-op between calls)."""
    sess = backend._sess
    if sess is not None:
        sess.interrupt_call()


def _start_session(backend: Any, make: Callable[[], NativeSession]) -> NativeSession:
    """A new session for ``backend``, started and live (``killed`` set when a kill()
    came while it started: it is ended then). Raises what stopped its start otherwise."""
    sess = make()
    backend._sess = sess  # (the backend's kill() from another thread reaches it)
    try:
        try:
            sess.start()
        except ShellDied as e:
            if sess.killed:
                raise
            # nothing of the call ran yet: one more try, and the reason stays in the log
            log.warning("the sandbox's shell died at start; starting it once more: %s", e)
            sess = make()
            backend._sess = sess
            sess.start()
    except BaseException as e:  # (the session ended itself)
        backend._sess = None
        if not (sess.killed and isinstance(e, Exception)):
            raise
        backend._lost = True
        return sess
    if sess.killed:  # (a kill() that came before there was anything to kill)
        backend._end_session(lost=True)
        return sess
    sess.activate()
    return sess


def end_session(backend: Any, lost: bool) -> None:
    """End ``backend``'s warm session (``lost``: not by ``close()``; the next call says
    ``restarted``, and so does the next call of each interpreter that was running)."""
    sess, backend._sess = backend._sess, None
    if sess is None:
        return
    sess.end()
    if lost:
        backend._lost = True
        backend._interps_before_loss = {k for k, v in sess.interps.items() if v == "running"}


def interp_script() -> str:
    """What the shell sources for one request to a persistent interpreter: ``$1`` the
    request id, ``$2`` the code file, ``$3`` the stdin file (or ``-``), ``$4`` the
    language's name. Starts the interpreter as a disowned background process when it is
    not running, connected through two FIFOs corral made in ``/run/corral`` (requests in,
    answers out; its stdout and stderr are the shell's, not the frame pipe), hands it the
    request, waits for its answer with the same id and writes the frame (``G``: the
    interpreter ended)."""
    cases = []
    for argv, name in INTERPRETERS.values():
        fifo = f"{RUN_GUEST}/io/{name}"
        cases.append(
            f"  {name})\n"
            f"    if ! {{ [[ -n ${{{name}_pid-}} ]] && "
            f'builtin kill -0 "${name}_pid" 2>/dev/null; }}; then\n'
            f'      [[ -n ${{{name}_in-}} ]] && builtin exec {{{name}_in}}>&- {{{name}_out}}<&-\n'
            f"      {' '.join(argv)} 3<{fifo}.req 4>{fifo}.ans </dev/null {CTL_FD}>&- &\n"
            f"      {name}_pid=$!; builtin disown $! 2>/dev/null\n"
            f"      builtin exec {{{name}_in}}>{fifo}.req {{{name}_out}}<{fifo}.ans\n"
            "    fi\n"
            f'    __corral_in=${{{name}_in}} __corral_out=${{{name}_out}} ;;\n'
        )
    return (
        "# corral: one request to a persistent interpreter (see corral/native/session.py)\n"
        'case "$4" in\n' + "".join(cases) + "  *) builtin return 2 ;;\nesac\n"
        "__corral_st=G\n"
        'if [[ -n $__corral_in ]] && builtin printf \'%s %s %s\\n\' "$1" "$2" "$3" '
        '>&"$__corral_in" 2>/dev/null; then\n'
        "  while IFS=' ' builtin read -r __corral_id __corral_st <&\"$__corral_out\"; do\n"
        '    [[ $__corral_id == "$1" ]] && break\n'
        "    __corral_st=G\n"
        "  done\n"
        "fi\n"
        f"builtin printf '%s %s\\n' \"$1\" \"${{__corral_st:-G}}\" >&{CTL_FD}\n"
        "builtin unset __corral_id __corral_st __corral_in __corral_out\n"
    )


#: the names corral's front for vim (``guest/vim.sh``) is installed as (``editor``, what
#: Debian's sensible-editor runs, is vim's when it resolves to vim)
VIM_NAMES = ("vi", "vim", "view", "vimdiff", "rvim", "rview", "editor")


def install_drivers(run_dir: Path) -> None:
    """Put the interpreters' drivers, the script that reaches them and their FIFOs where
    the sandbox sees them (``/run/corral``, read-only; the FIFOs in ``io/``, a directory
    the sandbox's user cannot add to)."""
    import shutil

    here = Path(__file__).with_name("guest")
    for name in ("py_driver.py", "js_driver.js"):
        shutil.copy(here / name, run_dir / name)
        os.chmod(run_dir / name, 0o644)
    _write_private(run_dir / "interp.sh", interp_script().encode())
    # sudo and doas as the sandbox's own user (nothing inside is privileged): first on PATH
    bin_dir = run_dir / "bin"
    bin_dir.mkdir(mode=0o755, exist_ok=True)
    # and vi/vim with no terminal: an error or the keys from stdin, never a wait (vim.sh)
    fronts = {"sudo": "sudo.sh", "doas": "sudo.sh"}
    fronts |= dict.fromkeys(VIM_NAMES, "vim.sh")
    for name, script in fronts.items():
        shutil.copy(here / script, bin_dir / name)
        os.chmod(bin_dir / name, 0o755)
    io = run_dir / "io"  # gVisor opens a FIFO for writing only on a writable mount
    io.mkdir(mode=0o755, exist_ok=True)
    for _, name in INTERPRETERS.values():
        for end in (".req", ".ans"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(io / f"{name}{end}")
            os.mkfifo(io / f"{name}{end}", 0o600)
            os.chmod(io / f"{name}{end}", 0o666)  # the sandbox's user, whatever its uid


def check_interpreter(backend: Any, language: str) -> list[str]:
    """The program of ``language``'s interpreter (its argv), or a clear error when the
    sandbox does not have it (the sandbox's ``/usr`` is the host's)."""

    if language not in INTERPRETERS:
        raise ValueError(f"unknown language {language!r}; expected 'python' or 'js'")
    argv = INTERPRETERS[language][0]
    if not os.access(argv[0], os.X_OK):
        what = {"python": "python3 (Debian: python3)", "js": "node (Debian: nodejs)"}[language]
        raise BackendUnavailable(
            f"{language}() on the {backend.name} backend runs {what} inside the sandbox, "
            f"and {argv[0]} is not installed here"
        )
    return list(argv)
