"""The host's side of a shell worker: start it, run scripts in it, kill it.

One :class:`ShellProcess` per sandbox. The worker (:mod:`.worker`) is forked from a
template process that every sandbox of this host process shares; a script runs there
and only its output and its questions come back. The host answers the questions
(policy, guests, tools, network) through a :class:`Handler`, and ends the call itself:
at the deadline (plus a short grace for the worker to stop cleanly) the worker is
killed through its pidfd, and the next call gets a fresh one (``restarted``). Anything
the worker says that is not a well-formed, expected frame kills it too
(``error="crash"``). Output beyond the budget is cut on the host, whatever the
worker claims.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import resource
import select
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, Protocol

from ..budget import MB, Budget
from ..procinfo import proc_cpu_s
from . import worker_channel as C
from .samples import CallSampler, process_reader, summed_reader, thread_reader
from .template import _START_TIMEOUT_S, TEMPLATE, WorkerUnavailable

#: time the worker gets past its deadline to stop by itself and say so
GRACE_S = 0.5
#: address space a worker may map beyond its template and ``memory_mb`` (thread
#: stacks, malloc arenas, the interpreter's own growth)
MEMORY_SLACK = 256 * MB
#: budgets after which the worker is replaced even when it stopped the script itself
_RESTART_AFTER = frozenset({"wall_time", "memory", "cpu_time"})
#: the largest stdin the shell may hand a WASI guest (``cat big | python3 ...``)
GUEST_STDIN_MAX = 64 * MB

OnOutput = Callable[[str, str], None]


class Handler(Protocol):
    """What the host does with a worker's questions (the sandbox implements it)."""

    def on_exec(self, argv: list[str], cwd: str, line: str) -> tuple[bool, str]: ...

    def run_guest(
        self,
        language: str,
        code: str,
        stdin: str,
        argv: list[str],
        fresh: bool,
        env: dict[str, str],
        deadline: float,
    ) -> tuple[int, str, str] | None: ...  # None: the call's time is up

    def call_tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]: ...

    def fetch(self, argv: list[str], cwd: str, deadline: float) -> tuple[int, bytes, bytes]: ...

    def on_file(self, op: str, path: str, refused: bool) -> None: ...

    def decide_file(self, op: str, path: str) -> tuple[bool, str]: ...


#: what a file notice may name (the worker's claims; anything else is dropped)
FILE_OPS = frozenset(
    {"read", "write", "append", "create", "delete", "chmod", "rename", "symlink", "link",
     "mkdir"}
)  # fmt: skip
#: file notices taken from one call; the rest are counted and dropped
FILE_NOTICES_MAX = 10_000
#: notices one frame may carry (the worker sends at most 64)
NOTICES_PER_FRAME = 1024
PATH_MAX = 4096


def file_notice(d: dict[str, Any]) -> tuple[str, str, bool] | None:
    """(op, path, refused) of a worker's file notice, or None when it is malformed: an
    unknown op, a path that is not an absolute, normalised str of at most 4096
    characters, or one outside /workspace that is not marked refused."""
    op, path, refused = d.get("file_op"), d.get("path"), d.get("refused", False)
    if op not in FILE_OPS or not isinstance(path, str) or not isinstance(refused, bool):
        return None
    if not path.startswith("/") or len(path) > PATH_MAX or "\x00" in path:
        return None
    if path != os.path.normpath(path) or path.startswith("//"):
        return None
    inside = path == "/workspace" or path.startswith("/workspace/")
    if not inside and not refused:
        return None
    return op, path, refused


@dataclass
class ShellResult:
    status: int = 0
    stdout: str = ""
    stderr: str = ""
    exceeded: str | None = None  # "wall_time" "output" "memory" "interrupted" "disk"
    crashed: str = ""  # why the worker was lost (error="crash")
    restarted: bool = False
    cpu_s: float = 0.0
    memory_bytes: int = 0
    output_bytes: int = 0


def shell_confinement() -> dict[str, Any]:
    """What the kernel will enforce on this host's shell workers (for events and doctor)."""
    from .. import landlock

    abi, why = landlock.status()
    return {
        "worker": "process",
        "landlock": {"abi": abi, "fs": abi > 0, "tcp": abi >= 4, "scoped": abi >= 6,
                     "reason": why},
        "limits": ["RLIMIT_AS", "RLIMIT_FSIZE", "wall-time kill"],
    }  # fmt: skip


# --------------------------------------------------------------------------- one worker


class ShellProcess:
    """The shell worker of one sandbox."""

    def __init__(
        self, root: Path, budget: Budget, *, landlock: bool = True, cpu_s: float | None = None
    ) -> None:
        self.root = root
        self.budget = budget
        self.landlock = landlock
        self.cpu_s = cpu_s  # per call, enforced by the kernel (RLIMIT_CPU), when given
        self.sock: socket.socket | None = None
        self.pid = 0
        self.pidfd = -1
        self.starts = 0
        self.confinement: dict[str, Any] = {}
        self.cwd = "/workspace"
        self._lost = False  # the previous worker was killed: the next result says restarted
        self.file_notices = 0  # file notices taken in the current call
        self._killed = threading.Event()

    # -- life -------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.sock is not None

    def start(self) -> None:
        if self.sock is not None:
            return
        host, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        cfg = {
            "root": str(self.root),
            "budget": self.budget.to_dict(),
            "memory_bytes": int(self.budget.memory_mb * MB),
            "memory_slack_bytes": MEMORY_SLACK,
            "disk_bytes": int(self.budget.disk_mb * MB),
            "landlock": self.landlock,
        }
        try:
            pid, pidfd = TEMPLATE.fork(peer, cfg)
        finally:
            peer.close()
        self.sock, self.pid, self.pidfd = host, pid, pidfd
        self._killed.clear()
        try:
            hello = self._read_hello()
        except BaseException:
            self.kill()
            raise
        if "error" in hello.data:
            self.kill()
            raise WorkerUnavailable(f"the shell worker could not confine itself: {hello.data}")
        conf = hello.data.get("confinement")
        self.confinement = conf if isinstance(conf, dict) else {}
        self.starts += 1
        self.cwd = "/workspace"

    def _read_hello(self) -> C.Frame:
        assert self.sock is not None
        reader = C.Reader(max_json=65536, max_blob=0)
        end = time.monotonic() + _START_TIMEOUT_S
        while True:
            left = end - time.monotonic()
            r, _, _ = select.select([self.sock], [], [], max(left, 0))
            if not r:
                raise WorkerUnavailable(f"the shell worker did not start in {_START_TIMEOUT_S:g} s")
            data = self.sock.recv(65536)
            if not data:
                raise WorkerUnavailable("the shell worker exited while starting")
            frames = reader.feed(data)
            if frames:
                if frames[0].kind != C.HELLO:
                    raise WorkerUnavailable("the shell worker did not say hello")
                return frames[0]

    def kill(self) -> None:
        """Kill the worker now (any thread may call this); the next run starts a new one."""
        self._killed.set()
        if self.pidfd >= 0:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)

    def _drop(self) -> None:
        """Forget a worker that is dead or being killed."""
        self.kill()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        if self.pidfd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
        self.sock, self.pid, self.pidfd = None, 0, -1
        self._lost = True

    def close(self) -> None:
        self._drop()
        self._lost = False

    def cancel(self) -> None:
        """Interrupt the running script as Ctrl-C would (exit 130)."""
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.sendall(C.encode(C.CANCEL, 0))

    # -- running ------------------------------------------------------------------------

    def run(
        self,
        script: str,
        stdin: bytes,
        *,
        wall_s: float,
        handler: Handler,
        ask_exec: bool,
        tools: list[str],
        on_output: OnOutput | None = None,
        disk_check: Callable[[], str | None] | None = None,
        on_sample: Callable[[dict[str, Any]], None] | None = None,
        predecided: dict[str, Any] | None = None,
        file_screen: dict[str, Any] | None = None,
    ) -> ShellResult:
        """Run ``script`` in the worker; ``on_sample(data)`` gets a resource sample of the
        worker about once a second while it runs (:mod:`corral.wasm.samples`);
        ``predecided``: the commands the worker may run without asking and only report
        (:mod:`corral.wasm.predecided`); ``file_screen``: the workspace paths whose file
        operations the worker asks about first (:mod:`corral.wasm.filescreen`)."""
        res = ShellResult()
        self.file_notices = 0
        if self._killed.is_set() and self.sock is not None:
            self._drop()  # killed between calls: start afresh
        rid = int.from_bytes(os.urandom(4), "big") or 1
        limit = self.budget.output_chars
        request = C.encode(
            C.RUN,
            rid,
            {
                "script": script,
                "wall_s": wall_s,
                "output_chars": limit,
                "ask_exec": ask_exec,
                "tools": tools,
                "predecided": predecided,
                "files": file_screen,
            },
            stdin,
        )
        for attempt in (0, 1):
            self.start()
            assert self.sock is not None
            sock = self.sock
            sock.settimeout(max(wall_s + GRACE_S, 1.0))
            try:
                sock.sendall(request)
                break
            except OSError:  # the worker died since the last call: one fresh start
                self._drop()
                if attempt:
                    raise WorkerUnavailable("the shell worker does not take requests") from None
        res.restarted = self._lost and self.starts > 1
        self._lost = False
        if self.cpu_s is not None:
            self._limit_cpu(self.cpu_s)
        deadline = time.monotonic() + wall_s
        # output frames are cut at the budget anyway; a guest's stdin may be larger
        reader = C.Reader(max_blob=max(limit + 65536, GUEST_STDIN_MAX))
        out: list[str] = []
        err: list[str] = []
        decoders = {
            C.STDOUT: codecs.getincrementaldecoder("utf-8")("replace"),
            C.STDERR: codecs.getincrementaldecoder("utf-8")("replace"),
        }
        next_disk = time.monotonic() + 0.5
        pid = self.pid
        sampler = (
            CallSampler(
                on_sample,
                summed_reader(process_reader(pid), thread_reader(threading.current_thread())),
                source="shell",
                pid=pid,
            )
            if on_sample is not None
            else None
        )
        try:
            while True:
                now = time.monotonic()
                if sampler is not None:
                    sampler.tick(res.output_bytes, now)
                if self._killed.is_set():
                    raise _Stop("killed", "")
                if now > deadline + GRACE_S:
                    raise _Stop("wall_time", "")
                if disk_check is not None and now >= next_disk:
                    next_disk = now + 0.5
                    problem = disk_check()
                    if problem:
                        raise _Stop("disk", problem)
                wait = min(deadline + GRACE_S, next_disk) - now
                if sampler is not None:
                    wait = min(wait, sampler.wait(now))
                r, _, _ = select.select([sock], [], [], max(wait, 0.0))
                if not r:
                    continue
                try:
                    data = sock.recv(1 << 20)
                except ConnectionResetError:
                    data = b""
                if not data:
                    if self._killed.is_set():
                        raise _Stop("killed", "")
                    raise _Stop("crash", "the shell worker died")
                for fr in reader.feed(data):
                    # a backlog of frames (16 busy workers' notices for one GIL) must not
                    # carry a call past its wall: checked per frame, not per read
                    if time.monotonic() > deadline + GRACE_S:
                        raise _Stop("wall_time", "")
                    if fr.kind in (C.STDOUT, C.STDERR):
                        self._output(fr, rid, res, limit, out if fr.kind == C.STDOUT else err,
                                     decoders[fr.kind], on_output)  # fmt: skip
                    elif fr.kind == C.REQUEST:
                        self._answer(fr, handler, deadline)
                    elif fr.kind == C.DONE and fr.id == rid:
                        self._done(fr, res)
                        for kind, dec in decoders.items():
                            tail = dec.decode(b"", final=True)
                            if tail:
                                (out if kind == C.STDOUT else err).append(tail)
                        res.stdout, res.stderr = "".join(out), "".join(err)
                        if res.exceeded in _RESTART_AFTER:
                            # what overran its budget may still run in the worker (a job's
                            # thread stuck in a built-in, half-built state after a
                            # MemoryError): it ends with the worker, the next call gets a
                            # fresh one (restarted=True)
                            self._drop()
                        return res
                    else:
                        raise _Stop("crash", f"unexpected frame (kind {fr.kind}, id {fr.id})")
        except _Stop as stop:
            self._drop()
            res.stdout, res.stderr = "".join(out), "".join(err)
            res.status = 137
            if stop.kind in ("wall_time", "disk", "output"):
                res.exceeded = stop.kind
                if stop.kind == "disk":
                    res.crashed = stop.why
            elif stop.kind == "killed":
                res.exceeded = "killed"
            else:
                res.crashed = stop.why
            return res
        except TimeoutError:  # a send to a worker that stopped reading
            self._drop()
            res.stdout, res.stderr = "".join(out), "".join(err)
            res.status, res.exceeded = 137, "wall_time"
            return res
        except (C.ProtocolError, ValueError, TypeError, KeyError) as e:
            self._drop()
            res.stdout, res.stderr = "".join(out), "".join(err)
            res.status = 137
            res.crashed = f"the shell worker broke the protocol: {e}"
            return res
        except BaseException:
            self._drop()
            raise

    def _limit_cpu(self, cpu_s: float) -> None:
        """RLIMIT_CPU for this call: the worker gets SIGXCPU (it stops the script and
        says ``cpu_time``) at what it has used so far + ``cpu_s``, SIGKILL 2 s later."""
        used = proc_cpu_s(self.pid)
        if used is None:
            return  # the worker is gone: this call will find out
        soft = int(used + cpu_s) + 1
        with contextlib.suppress(OSError, ValueError):
            resource.prlimit(self.pid, resource.RLIMIT_CPU, (soft, soft + 2))

    def _output(
        self,
        fr: C.Frame,
        rid: int,
        res: ShellResult,
        limit: int,
        sink: list[str],
        dec: codecs.IncrementalDecoder,
        on_output: OnOutput | None,
    ) -> None:
        if fr.id != rid or fr.data:
            raise _Stop("crash", "output frame for another call")
        blob = fr.blob
        room = limit - res.output_bytes
        over = len(blob) > room
        if over:
            blob = blob[: max(room, 0)]
        res.output_bytes += len(blob)
        text = dec.decode(blob)
        if text:
            sink.append(text)
            if on_output is not None:
                on_output("stdout" if fr.kind == C.STDOUT else "stderr", text)
        if over:
            raise _Stop("output", "")

    def _done(self, fr: C.Frame, res: ShellResult) -> None:
        d = fr.data
        status = d.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 0 <= status <= 255:
            raise C.ProtocolError(f"bad exit status {status!r}")
        exceeded = d.get("exceeded")
        if exceeded not in (None, "wall_time", "output", "memory", "interrupted", "cpu_time"):
            raise C.ProtocolError(f"bad budget name {exceeded!r}")
        cwd = d.get("cwd")
        if isinstance(cwd, str) and (cwd == "/workspace" or cwd.startswith("/workspace/")):
            self.cwd = cwd
        res.status = status
        res.exceeded = exceeded
        for key, attr in (("cpu_s", "cpu_s"), ("maxrss", "memory_bytes")):
            v = d.get(key)
            if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0:
                setattr(res, attr, type(getattr(res, attr))(v))

    def _ask(self, fn: Callable[..., Any], *args: Any) -> Any:
        """The host's own answer: its failure is not the worker's (nor a protocol error)."""
        try:
            return fn(*args)
        except Exception as e:
            if self._killed.is_set():  # the sandbox was stopped while answering
                raise _Stop("killed", "") from None
            raise _Stop("crash", f"corral could not answer: {type(e).__name__}: {e}") from None

    def _file_notice(self, d: dict[str, Any], handler: Handler) -> None:
        """A file the worker says it touched: a claim, checked, never raises."""
        self.file_notices += 1
        if self.file_notices > FILE_NOTICES_MAX:
            return
        notice = file_notice(d)
        if notice is None:
            return
        on_file = getattr(handler, "on_file", None)
        if on_file is not None:
            with contextlib.suppress(Exception):
                on_file(*notice)

    def _exec_notice(self, d: dict[str, Any], handler: Handler) -> None:
        """A command the worker ran without asking: decided here all the same."""
        allowed, reason = self._ask(handler.on_exec, *_exec_args(d))
        if not allowed:  # it ran without asking, but it needed the question
            raise _Stop("crash", f"the shell worker ran a refused command: {reason}")

    def _answer(self, fr: C.Frame, handler: Handler, deadline: float) -> None:
        assert self.sock is not None
        d = fr.data
        op = d.get("op")
        reply: dict[str, Any]
        blob = b""
        if op == "notices" and fr.id == 0:  # the worker's notices, batched, in order
            items = d.get("items")
            if not isinstance(items, list) or not 0 < len(items) <= NOTICES_PER_FRAME:
                raise C.ProtocolError("malformed notices")
            for item in items:
                if time.monotonic() > deadline + GRACE_S:
                    raise _Stop("wall_time", "")
                if type(item) is not dict:
                    raise C.ProtocolError("only exec and file notices may be batched")
                kind = item.get("op")
                if kind == "exec":
                    self._exec_notice(item, handler)
                elif kind == "file":
                    self._file_notice(item, handler)
                else:
                    raise C.ProtocolError("only exec and file notices may be batched")
            return
        if op == "file" and fr.id == 0:  # a notice: a claim, checked, never raises
            self._file_notice(d, handler)
            return
        if op == "filecheck" and fr.id != 0:  # a file operation about to happen
            notice = file_notice(d)
            if notice is None or notice[2]:
                raise C.ProtocolError("malformed file check")
            decide = getattr(handler, "decide_file", None)
            if decide is None:
                reply = {"allowed": True, "reason": ""}
            else:
                allowed, reason = self._ask(decide, notice[0], notice[1])
                reply = {"allowed": allowed, "reason": reason}
        elif op == "exec":
            if fr.id == 0:  # a notice: no answer is awaited
                self._exec_notice(d, handler)
                return
            allowed, reason = self._ask(handler.on_exec, *_exec_args(d))
            reply = {"allowed": allowed, "reason": reason}
        elif op == "guest":
            lang, code, argv, env = d.get("language"), d.get("code"), d.get("argv"), d.get("env")
            if (
                lang not in ("python", "js")
                or not isinstance(code, str)
                or not _strs(argv)
                or not isinstance(env, dict)
                or not _strs(list(env.keys()))
                or not _strs(list(env.values()))
            ):
                raise C.ProtocolError("malformed guest request")
            r = self._ask(
                handler.run_guest, lang, code, fr.blob.decode("utf-8", "surrogateescape"), argv,
                bool(d.get("fresh")), env, deadline,
            )  # fmt: skip
            if r is None:
                reply = {"cancelled": True}
            else:
                o, e = (x.encode("utf-8", "surrogateescape") for x in r[1:])
                reply, blob = {"status": r[0], "stdout_len": len(o)}, o + e
        elif op == "tool":
            name, args = d.get("name"), d.get("args")
            if not isinstance(name, str) or not isinstance(args, dict):
                raise C.ProtocolError("malformed tool request")
            reply = self._ask(handler.call_tool, name, args)
        elif op == "fetch":
            argv, cwd = d.get("argv"), d.get("cwd")
            if not _strs(argv) or not argv or not isinstance(cwd, str):
                raise C.ProtocolError("malformed fetch request")
            status, o, e = self._ask(handler.fetch, argv, cwd, deadline)
            reply, blob = {"status": status, "stdout_len": len(o)}, o + e
        else:
            raise C.ProtocolError(f"unknown request {op!r}")
        if self._killed.is_set():
            raise _Stop("killed", "")
        try:
            self.sock.sendall(C.encode(C.REPLY, fr.id, reply, blob))
        except TimeoutError:
            raise
        except OSError:
            raise _Stop("killed" if self._killed.is_set() else "crash", "the worker died") from None


class _Stop(Exception):
    def __init__(self, kind: str, why: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.why = why


def _strs(v: Any) -> bool:
    return isinstance(v, list) and all(map(isinstance, v, repeat(str)))


def _exec_args(d: dict[str, Any]) -> tuple[list[str], str, str]:
    """An exec request's (argv, cwd, line), checked."""
    argv, cwd, line = d.get("argv"), d.get("cwd"), d.get("line", "")
    if not _strs(argv) or not argv or not isinstance(cwd, str) or not isinstance(line, str):
        raise C.ProtocolError("malformed exec request")
    return argv, cwd, line
