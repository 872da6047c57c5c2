"""``coproc [NAME] command``: a command running concurrently with the shell, joined to
it by two real pipes.

As in bash, the shell gets ``NAME[0]`` (a descriptor reading the command's standard
output) and ``NAME[1]`` (one writing its standard input), numbered the way bash numbers
them (the highest free descriptors below 64: the first coprocess gets 63 and 60),
``NAME_PID``, ``$!`` and a job: ``wait $NAME_PID``, ``wait``, ``kill``, ``jobs`` work on
it. ``exec {NAME[1]}>&-`` closes the write end, so the command reads end-of-file.
A second coprocess while one runs gets bash's warning (``execute_coproc: coproc
[PID:NAME] still exists``) and replaces the variables, the first keeps running.

The coprocess is an ordinary subshell on its own thread (every simple command in it
still goes through the gate). Its standard input and output are unbuffered, so an
interactive exchange (``echo q >&${C[1]}; read -u ${C[0]} a``) works line by line.
The shell's two ends never block past the call's budget: they are non-blocking
descriptors waited on in slices that check the deadline and the interrupt, so a
coprocess that never reads (or never writes) ends the call at its wall budget instead
of hanging the worker. At most :data:`MAX_COPROCS` unreaped coprocesses exist at once
(a finished one is reaped by ``wait``, or when a new coprocess takes its name); every
one still running when the call ends has its ends closed (end-of-file and ``EPIPE``
for it) and is then stopped with the call's background jobs.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import syntax as A
from .command import Cancelled, start_thread

if TYPE_CHECKING:
    from .interp import Job, Shell

#: unreaped coprocesses at once, per top-level call (each holds a thread and two pipes)
MAX_COPROCS = 64
#: bash moves a coprocess's descriptors to the highest free ones below this
_HIGH_FD = 64
_MAX_FD = 1024
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SLICE = 0.05  # seconds between budget checks while an end waits
_STOP_WAIT = 1.0  # at a call's end, how long the coprocesses get to finish together


class _End(io.RawIOBase):
    """The shell's end of one coprocess pipe: a non-blocking descriptor whose waits
    check the call's budget (``check`` raises ``Cancelled``). Reads return what the
    pipe holds (at most one read each, as bash's ``read`` and ``cat`` see a pipe); once
    closed, a read is end-of-file and a write ``Bad file descriptor`` (never Python's
    "closed file" error), also through a copy made by ``exec N>&${C[1]}``."""

    def __init__(self, fd: int, writable: bool, check: Callable[[], None]) -> None:
        super().__init__()
        os.set_blocking(fd, False)
        self._fd = fd
        self._writable = writable
        self._check = check
        self._shut = False
        self._lock = threading.Lock()

    def fileno(self) -> int:
        return self._fd

    def readable(self) -> bool:
        return not self._writable

    def writable(self) -> bool:
        return self._writable

    @property
    def closed(self) -> bool:
        return False  # a closed end still answers (see the class text), never raises

    def _wait(self, write: bool) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLOUT if write else select.POLLIN)
        while not self._shut:
            self._check()
            if poller.poll(int(_SLICE * 1000)):
                return  # ready, or an error/hang-up the next read or write reports

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        buf = bytearray(65536 if size is None or size < 0 else size)
        n = self.readinto(buf)
        return bytes(buf[:n])

    def readinto(self, buf: memoryview | bytearray) -> int:  # type: ignore[override]
        while True:
            if self._shut or not len(buf):
                return 0
            try:
                data = os.read(self._fd, len(buf))
            except BlockingIOError:
                self._wait(write=False)
                continue
            except OSError:
                return 0
            if not data:
                # a coprocess ended by the budget closes its output: that is the budget
                # running out, not an end-of-file to act on
                self._check()
            buf[: len(data)] = data
            return len(data)

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            if self._shut:
                raise OSError(errno.EBADF, "Bad file descriptor")
            try:
                done += os.write(self._fd, view[done : done + 65536])
            except BlockingIOError:
                self._wait(write=True)
            except BrokenPipeError:
                self._check()  # as for reads: the budget ended the coprocess first
                raise
        return done

    def flush(self) -> None:
        pass

    def close(self) -> None:
        with self._lock:
            if not self._shut:
                self._shut = True
                with contextlib.suppress(OSError):
                    os.close(self._fd)


@dataclass
class Coproc:
    name: str
    job: Job
    reader: _End  # NAME[0]: the shell reads the command's output here
    writer: _End  # NAME[1]: the shell writes the command's input here
    fds: tuple[int, int]
    owner: Shell
    reaped: bool = False

    def ends(self) -> tuple[_End, _End]:
        return self.reader, self.writer


def _registry(sh: Shell) -> list[Coproc]:
    reg = sh.__dict__.get("coprocs")
    if reg is None:
        reg = sh.__dict__["coprocs"] = []
    return reg


def _free_fds(sh: Shell, n: int) -> list[int] | None:
    """``n`` descriptor numbers as bash's ``move_to_high_fd`` picks them: downwards
    from 63 among those the shell does not use, then upwards from 64."""
    used = set(sh.io)
    picked = [fd for fd in range(_HIGH_FD - 1, 2, -1) if fd not in used][:n]
    fd = _HIGH_FD
    while len(picked) < n and fd < _MAX_FD:
        if fd not in used:
            picked.append(fd)
        fd += 1
    return picked if len(picked) == n else None


def start(sh: Shell, node: A.Coproc) -> int:
    """Run ``coproc NAME body``: start it and set ``NAME``, ``NAME_PID`` and ``$!``."""
    from .interp import Job, JobEvent, _StagePipe

    name = node.name
    if not _NAME.match(name):
        sh.error(f"`{name}': not a valid identifier")
        return 1
    reg = _registry(sh)
    _reap_replaced(sh, reg)
    live = [c for c in reg if not c.reaped]
    if live and live[-1].job.thread.is_alive():
        last = live[-1]
        sh.error(f"warning: execute_coproc: coproc [{last.job.pid}:{last.name}] still exists")
    if len(live) >= MAX_COPROCS:
        sh.error(
            f"coproc: too many coprocesses (corral allows {MAX_COPROCS} at once; "
            "`wait` for finished ones or close their descriptors)"
        )
        return 1
    numbers = _free_fds(sh, 4)
    if numbers is None:
        sh.error("coproc: no free file descriptor")
        return 1
    rfd, wfd = numbers[0], numbers[3]  # bash: 63 and 60 (61, 62 are the child's, closed)
    try:
        out_r, out_w = os.pipe()  # the command's output -> the shell's NAME[0]
        try:
            in_r, in_w = os.pipe()  # the shell's NAME[1] -> the command's input
        except OSError:
            os.close(out_r)
            os.close(out_w)
            raise
    except OSError as e:
        sh.error(f"coproc: cannot make pipe: {e.strerror}")
        return 1
    reader = _End(out_r, False, sh.check)
    writer = _End(in_w, True, sh.check)
    child_in = os.fdopen(in_r, "rb", buffering=0)
    # a bash built-in whose reader is gone ends the coprocess, as SIGPIPE ends bash's
    child_out = _StagePipe(io.FileIO(out_w, "wb"), 1)

    sub = sh.fork()
    sub.io = {k: v for k, v in sh.io.items() if not _is_end(reg, v)}
    sub.io[0] = child_in
    sub.io[1] = child_out
    sub.cancel_event = JobEvent(sh.cancel_event)
    sh.forget_ended_jobs()
    sh._job_seq[0] += 1
    jid = max(sh.jobs, default=0) + 1
    pid = 10000 + sh._job_seq[0]
    job = Job(jid, threading.Thread(target=lambda: None), text=_text(node), pid=pid)
    job.cancel = sub.cancel_event

    def run() -> None:
        from .interp import BreakLoop, ContinueLoop, ExitShell, OutputLimit, ReturnFn

        try:
            job.status = sub.exec_node(node.body)
        except ExitShell as e:
            job.status = e.status
        except BrokenPipeError:
            job.status = 141  # the shell closed NAME[0]: bash's coprocess gets SIGPIPE
        except (Cancelled, OutputLimit, BreakLoop, ContinueLoop, ReturnFn):
            job.status = 128 + job.signal if job.signal else 137
        except Exception as e:
            sub.error(f"coproc failed: {e}")
            job.status = 1
        finally:
            if job.signal:  # killed: whatever the command did on its closed pipes
                job.status = 128 + job.signal
            for f in (child_out, child_in):
                with contextlib.suppress(OSError):
                    f.close()

    job.thread = threading.Thread(target=run, daemon=True, name=f"corral-coproc-{jid}")
    try:
        start_thread(job.thread)
    except RuntimeError:
        for f in (reader, writer, child_in, child_out):
            with contextlib.suppress(OSError):
                f.close()
        sh.error("coproc: fork: Resource temporarily unavailable (the memory budget)")
        return 254
    sh.jobs[jid] = job
    sh._running.append(job)
    cp = Coproc(name, job, reader, writer, (rfd, wfd), sh)
    job.stop = lambda: _close_ends(cp)
    reg.append(cp)
    sh.io[rfd] = reader  # type: ignore[assignment]
    sh.io[wfd] = writer  # type: ignore[assignment]
    sh.last_bg = str(pid)
    from .expand import ExpansionError

    try:
        sh.unset_var(name)
        sh.set_array(name, [str(rfd), str(wfd)])
        sh.set_var(f"{name}_PID", str(pid))
    except ExpansionError as e:  # a readonly NAME: bash says so and the command runs on
        sh.error(str(e))
    return 0


def _text(node: A.Coproc) -> str:
    from .printer import command_text

    try:
        return command_text(node)
    except Exception:  # the job's label only
        return f"coproc {node.name}"


def _is_end(reg: list[Coproc], f: object) -> bool:
    return any(f is c.reader or f is c.writer for c in reg)


def close_end(sh: Shell, f: object) -> None:
    """``exec N>&-`` on a coprocess end: really close it (the command sees end-of-file
    on its input, or ``EPIPE`` writing its output)."""
    for c in _registry(sh):
        if f is c.reader or f is c.writer:
            if not any(v is f for v in sh.io.values()):
                with contextlib.suppress(OSError):
                    f.close()  # type: ignore[attr-defined]
            k = 0 if f is c.reader else 1
            cur = sh.get_array(c.name) or []
            if len(cur) == 2 and cur[k] == str(c.fds[k]):  # bash marks a closed end -1
                with contextlib.suppress(Exception):
                    sh.set_var(c.name, "-1", str(k))
            return


def _close_ends(c: Coproc) -> None:
    """``kill``: the command's pipes close (a blocked read sees end-of-file, a blocked
    write ``EPIPE``), so it ends as a signalled process would."""
    for end in c.ends():
        with contextlib.suppress(OSError):
            end.close()


def _reap(c: Coproc) -> None:
    """Close a finished coprocess's ends and drop its variables (bash does this when
    it reaps the child)."""
    c.reaped = True
    sh = c.owner
    for fd, end in zip(c.fds, c.ends(), strict=True):
        if sh.io.get(fd) is end:
            del sh.io[fd]
        with contextlib.suppress(OSError):
            end.close()
    cur = sh.get_array(c.name)
    if cur == [str(c.fds[0]), str(c.fds[1])] and sh.get_var(f"{c.name}_PID") == str(c.job.pid):
        v = sh.state.vars.get(c.name)
        if v is None or not v.readonly:
            sh.state.vars.pop(c.name, None)
            sh.state.vars.pop(f"{c.name}_PID", None)


def _reap_replaced(sh: Shell, reg: list[Coproc]) -> None:
    """Reap finished coprocesses a later one replaced (their names point elsewhere)."""
    latest: dict[str, Coproc] = {}
    for c in reg:
        if not c.reaped:
            latest[c.name] = c
    for c in reg:
        if not c.reaped and latest[c.name] is not c and not c.job.thread.is_alive():
            _reap(c)
    reg[:] = [c for c in reg if not c.reaped]


def reap_waited(sh: Shell) -> None:
    """After ``wait``: every finished coprocess of this shell is reaped."""
    reg = sh.__dict__.get("coprocs")
    if not reg:
        return
    for c in reg:
        if not c.reaped and c.owner is sh and not c.job.thread.is_alive():
            _reap(c)
    reg[:] = [c for c in reg if not c.reaped]


def finish_all(sh: Shell) -> None:
    """The end of a call: close every coprocess's ends (end-of-file on its input,
    ``EPIPE`` on its output), so a command still reading or writing ends; the call's
    job stop then ends whatever remains."""
    reg = sh.__dict__.get("coprocs")
    if not reg:
        return
    for c in list(reg):
        for end in c.ends():
            with contextlib.suppress(OSError):
                end.close()
    # one started in a subshell is not among this shell's jobs: stop it here
    end_by = time.monotonic() + _STOP_WAIT
    for c in reg:
        c.job.thread.join(timeout=max(0.0, min(0.05, end_by - time.monotonic())))
        if c.job.thread.is_alive() and c.job.cancel is not None:
            c.job.cancel.set()
    for c in reg:
        c.job.thread.join(timeout=max(0.0, end_by - time.monotonic()))
        _reap(c)
    reg.clear()
