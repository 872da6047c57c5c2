"""One persistent guest interpreter (CPython or QuickJS) in wasmtime.

The guest's ``_start`` runs on its own thread (wasmtime releases the GIL) with
a driver program that loops: read a request, run it, answer. Requests and
answers are JSON lines over two FIFOs in a private directory, which the host
opens ``O_RDWR`` first so that no open ever blocks. Each interpreter has its own
``Engine`` so that ``engine.increment_epoch()`` stops this guest and no other:
the store's deadline is one tick, so the guest traps at its next loop
back-edge. A dead interpreter (killed, crashed, exited) is replaced on the
next call, and that call's result says so.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import select
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import wasmtime

from ..budget import MB, Budget, RunResult, Usage
from ..deeptree import remove_tree
from ..errors import GuestStartError
from ..trapsignals import ensure_trap_handlers, note_wasmtime_handlers
from .guest_channel import (
    FRAME_MAX,
    FRAME_VALUES_MAX,
    ChannelError,
    FrameReader,
    encode_request,
    new_id,
)
from .modcache import EngineSettings, load_module
from .samples import CallSampler, thread_reader
from .wasi_shadow import GuestStopped, PollOneoff

ToolHandler = Callable[[str, dict[str, Any]], dict[str, Any]]
DiskCheck = Callable[[], str | None]

LANGS = ("python", "js")
GUEST_ROOT = "/workspace"
_START_TIMEOUT_S = 60.0
_STOP_WAIT_S = 5.0
#: how long past its wall a call's guest may take to wait for the next line after `done`
_PARK_GRACE_S = 0.5
_STDERR_TAIL = 4000


def _driver_source(language: str) -> str:
    name = "python_driver.py" if language == "python" else "js_driver.js"
    return resources.files("corral.wasm.guest").joinpath(name).read_text()


@dataclass
class _Dead:
    kind: str  # "exit", "fuel", "interrupt", "trap", "error"
    exit_code: int = 1
    message: str = ""


class _Output:
    """A call's stdout and stderr, from every path a guest writes them on.

    Framed output from the driver and raw bytes on fd 1 arrive on the host's
    reader thread; raw bytes on fd 2 arrive on a FIFO the host's loop reads too.
    All count against one cap; past it the rest is dropped and ``over`` is set
    (the host then stops the guest). Between calls nothing is
    kept but a short tail of stderr, for start-up failures.
    """

    def __init__(self, wake: Callable[[], None]) -> None:
        self._lock = threading.Lock()
        self._wake = wake
        self.active = False
        self.cap = 0
        self.used = 0
        self.over = False
        self.parts: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._decoders: dict[str, codecs.IncrementalDecoder] = {}
        self.tail = b""
        self.on_output: Callable[[str, str], None] | None = None

    def begin(self, cap: int, on_output: Callable[[str, str], None] | None = None) -> None:
        with self._lock:
            self.active, self.cap, self.used, self.over = True, cap, 0, False
            self.on_output = on_output
            self.parts = {"stdout": [], "stderr": []}
            self._decoders = {
                k: codecs.getincrementaldecoder("utf-8")("replace") for k in self.parts
            }

    def end(self) -> tuple[str, str]:
        kept = []
        with self._lock:
            for stream, dec in self._decoders.items():
                kept.append((stream, self._add_locked(stream, dec.decode(b"", final=True))[1]))
            self.active = False
            out = "".join(self.parts["stdout"]), "".join(self.parts["stderr"])
        for stream, text in kept:
            self._tell(stream, text)
        self.on_output = None
        return out

    def add_text(self, stream: str, text: str) -> bool:
        with self._lock:
            ok, kept = self._add_locked(stream, text)
        self._tell(stream, kept)
        return ok

    def add_bytes(self, stream: str, data: bytes) -> bool:
        with self._lock:
            if not self.active:
                if stream == "stderr":
                    self.tail = (self.tail + data)[-_STDERR_TAIL:]
                return True
            ok, kept = self._add_locked(stream, self._decoders[stream].decode(data))
        self._tell(stream, kept)
        return ok

    def _tell(self, stream: str, text: str) -> None:
        """Hand output to the caller as it arrives (outside the lock)."""
        cb = self.on_output
        if cb is not None and text:
            cb(stream, text)

    def _add_locked(self, stream: str, text: str) -> tuple[bool, str]:
        """Keep ``text`` within the cap: (still under the cap, what was kept)."""
        if self.over or not text:
            return not self.over, ""
        room = self.cap - self.used
        if len(text) > room:
            kept = text[: max(room, 0)]
            self.parts[stream].append(kept)
            self.used = self.cap
            self.over = True
            return False, kept
        self.parts[stream].append(text)
        self.used += len(text)
        return True, text


class Interpreter:
    """A guest interpreter bound to one sandbox directory."""

    def __init__(self, language: str, workdir: Path, budget: Budget) -> None:
        if language not in LANGS:
            raise ValueError(f"unknown language {language!r}; expected one of {LANGS}")
        self.language = language
        self.workdir = workdir
        self.budget = budget
        self.settings = EngineSettings(fuel=budget.fuel is not None)
        self.engine = wasmtime.Engine(self.settings.make_config())
        note_wasmtime_handlers()  # the engine's trap handlers are in place now
        self.module = load_module(self.engine, language, self.settings)
        self.starts = 0
        self._alive = False
        self._thread: threading.Thread | None = None
        self._dead: _Dead | None = None
        self._iodir: str | None = None
        self._in_fd = -1
        self._out_fd = -1
        self._err_fd = -1
        self._wake_r = -1
        self._wake_w = -1
        self._fd_lock = threading.Lock()
        self._reader = FrameReader(FRAME_MAX)
        self._output = _Output(self._wake)
        self._stop = threading.Event()
        self._poll: PollOneoff | None = None
        self._store: wasmtime.Store | None = None
        self._memory: wasmtime.Memory | None = None
        self._kill_reason: str | None = None
        self._call_budget = budget
        self._in_run: int | None = None  # the thread inside run(), if any
        self._close_later = False  # close() asked from a callback of run()

    # -- lifecycle ---------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._alive

    def start(self) -> None:
        ensure_trap_handlers()
        self._iodir = tempfile.mkdtemp(prefix="corral-io-")
        fin = os.path.join(self._iodir, "in")
        fout = os.path.join(self._iodir, "out")
        os.mkfifo(fin, 0o600)
        ferr = os.path.join(self._iodir, "err")
        os.mkfifo(fout, 0o600)
        os.mkfifo(ferr, 0o600)
        self._in_fd = os.open(fin, os.O_RDWR | os.O_CLOEXEC)
        self._out_fd = os.open(fout, os.O_RDWR | os.O_CLOEXEC)
        self._err_fd = os.open(ferr, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._reader = FrameReader(FRAME_MAX)
        self._output = output = _Output(self._wake)
        self._dead = None
        self._kill_reason = None
        self._stop = threading.Event()
        self._poll = PollOneoff(self._stop, gated=self.language == "python")

        store = wasmtime.Store(self.engine)
        store.set_limits(memory_size=int(self.budget.memory_mb * MB))
        store.set_epoch_deadline(1)
        if self.budget.fuel is not None:
            store.set_fuel(1 << 62)  # start-up is not charged to any call
        wasi = wasmtime.WasiConfig()
        if self.language == "python":
            wasi.argv = ["python", "-S", "-c", _driver_source("python")]
            wasi.env = [
                ("PYTHONDONTWRITEBYTECODE", "1"),
                ("PYTHONUNBUFFERED", "1"),
                ("PYTHONIOENCODING", "utf-8"),
                ("PYTHONHASHSEED", "0"),
                ("HOME", GUEST_ROOT),
                ("PWD", GUEST_ROOT),
            ]
        else:
            wasi.argv = ["qjs", "--std", "-e", _driver_source("js")]
            wasi.env = [("HOME", GUEST_ROOT), ("PWD", GUEST_ROOT)]
        wasi.stdin_file = fin
        wasi.stdout_file = fout
        # a FIFO the host reads in its own loop, counted and never a host file; not
        # wasmtime's stderr_custom, whose Python callback runs on a wasmtime (tokio)
        # thread and aborts the process when it fires while Python is exiting
        wasi.stderr_file = ferr
        wasi.preopen_dir(str(self.workdir), GUEST_ROOT)
        store.set_wasi(wasi)
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        self._poll.define(linker)
        instance = linker.instantiate(store, self.module)
        start_fn = instance.exports(store)["_start"]
        mem = instance.exports(store)["memory"]
        self._store = store
        self._memory = mem if isinstance(mem, wasmtime.Memory) else None
        thread = threading.Thread(
            target=self._guest_main,
            args=(store, start_fn, self._wake_w),
            name=f"corral-{self.language}",
            daemon=True,
        )
        self._thread = thread
        self._alive = True
        thread.start()
        self.starts += 1
        rid = new_id()
        self._reader.expect(rid)
        hello = {"op": "hello", "frame_max": FRAME_MAX, "frame_values": FRAME_VALUES_MAX}
        self._send_raw(encode_request(rid, hello))
        deadline = time.monotonic() + max(_START_TIMEOUT_S, self.budget.wall_s)
        msg: dict[str, Any] | None = None
        with contextlib.suppress(ChannelError):
            while msg is None:
                item = self._next(deadline, None)
                if item is None or item[0] in ("tick", "wake"):
                    break
                if item[0] == "frame":
                    msg = item[1]
        clock = msg.get("clock_ns") if msg is not None else None
        if msg is None or msg.get("op") != "ready" or not isinstance(clock, int):
            self._drain_err()
            tail = output.tail.decode("utf-8", "replace").strip()
            detail = tail or (self._dead.message if self._dead else "no answer")
            self._shutdown(kill=True)
            raise GuestStartError(f"the {self.language} guest failed to start: {detail}")
        self._poll.calibrate(clock)

    def _guest_main(self, store: wasmtime.Store, start_fn: Any, wake_w: int) -> None:
        try:
            start_fn(store)
            dead = _Dead("exit", 0)
        except wasmtime.ExitTrap as e:
            dead = _Dead("exit", e.code, f"exited with code {e.code}")
        except GuestStopped:
            dead = _Dead("interrupt", 1, "interrupted")
        except wasmtime.Trap as e:
            code = e.trap_code
            if code == wasmtime.TrapCode.OUT_OF_FUEL:
                dead = _Dead("fuel", 1, "fuel budget exhausted")
            elif code == wasmtime.TrapCode.INTERRUPT or self._stop.is_set():
                dead = _Dead("interrupt", 1, "interrupted")
            else:
                dead = _Dead("trap", 1, f"wasm trap: {e.message.splitlines()[0]}")
        except Exception as e:  # wasmtime.WasmtimeError and friends
            dead = _Dead("error", 1, f"{type(e).__name__}: {e}")
        self._dead = dead
        self._wake(wake_w)

    def _wake(self, fd: int | None = None) -> None:
        """Wake the host's reader (the guest died, or overran its output)."""
        with self._fd_lock, contextlib.suppress(OSError):
            if self._wake_w >= 0 and fd in (None, self._wake_w):
                os.write(self._wake_w, b"!")

    def close(self) -> None:
        if self._in_run == threading.get_ident():
            # from a callback of run() (a monitor's kill on a guest's intent or tool
            # call): run() stops the guest and closes when the callback returns
            self._close_later = True
            return
        if not self._alive:
            self._cleanup_io()
            return
        with contextlib.suppress(OSError):
            self._send_raw(encode_request(new_id(), {"op": "exit"}), block=False)
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._shutdown(kill=True)

    def _shutdown(self, kill: bool) -> None:
        """Stop the guest thread (trapping it wherever it is) and free it all."""
        thread = self._thread
        if kill and thread is not None and thread.is_alive():
            self._stop.set()  # a guest waiting in poll_oneoff traps at once
            if self._poll is not None:
                self._poll.open_gate()  # one at the gate too
            self.engine.increment_epoch()  # a running guest traps at its next back-edge
            end = time.monotonic() + _STOP_WAIT_S
            while thread.is_alive() and time.monotonic() < end:
                # a guest blocked reading stdin gets bytes, one blocked writing
                # stdout gets room: either returns to WebAssembly and traps
                with contextlib.suppress(OSError):
                    self._send_raw(b"\n" * 512, block=False)
                self._drain()
                self._drain_err()  # and one blocked writing stderr
                thread.join(0.01)
        self._alive = False
        if thread is not None:
            thread.join(timeout=1.0)
        self._cleanup_io()
        self._thread = None
        self._store = None
        self._memory = None

    def _drain_err(self) -> bool:
        """Take what the guest wrote on fd 2 so far; False once past the output cap."""
        ok = True
        with self._fd_lock:
            fd = self._err_fd
            while fd >= 0:
                try:
                    chunk = os.read(fd, 1 << 16)
                except (BlockingIOError, OSError):
                    break
                if not chunk:
                    break
                if not self._output.add_bytes("stderr", chunk):
                    ok = False
        return ok

    def _drain(self) -> int:
        """Read and drop whatever the guest's stdout holds; how many bytes."""
        n = 0
        with self._fd_lock:
            fd = self._out_fd
            while fd >= 0 and select.select([fd], [], [], 0)[0]:
                try:
                    chunk = os.read(fd, 1 << 16)
                except OSError:
                    break
                if not chunk:
                    break
                n += len(chunk)
        return n

    def _cleanup_io(self) -> None:
        with self._fd_lock:
            for fd in (self._in_fd, self._out_fd, self._err_fd, self._wake_r, self._wake_w):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._in_fd = self._out_fd = self._err_fd = self._wake_r = self._wake_w = -1
        if self._iodir:
            remove_tree(self._iodir, ignore_errors=True)
            self._iodir = None

    # -- protocol ----------------------------------------------------------

    def _send_raw(self, data: bytes, *, block: bool = True) -> None:
        if self._poll is not None:
            self._poll.open_gate()  # the guest may read it (first: a long line fills the FIFO)
        view = memoryview(data)
        while view:
            if not block and not select.select([], [self._in_fd], [], 0)[1]:
                return
            n = os.write(self._in_fd, view)
            view = view[n:]

    def _next(self, deadline: float, tick: float | None) -> tuple[str, Any] | None:
        """The next item from the guest: ``("frame", msg)``, ``("raw", bytes)``,
        ``("tick", None)`` when ``tick`` elapses, ``("wake", None)`` when the guest
        died or overran its output, or None at ``deadline``. Raises ChannelError."""
        while True:
            item = self._reader.next()
            if item is not None:
                return item
            now = time.monotonic()
            if now >= deadline:
                return None
            wait = deadline - now if tick is None else min(deadline - now, tick)
            fds = [self._out_fd, self._err_fd, self._wake_r]
            ready, _, _ = select.select(fds, [], [], wait)
            if self._out_fd in ready:
                self._reader.feed(os.read(self._out_fd, 1 << 20))
                continue
            if self._err_fd in ready:
                if not self._drain_err():
                    return "wake", None  # past the output budget
                continue
            if ready:
                # the guest's last writes are complete before its thread ends
                if select.select([self._out_fd], [], [], 0)[0]:
                    continue
                return "wake", None
            if tick is not None and time.monotonic() < deadline:
                return "tick", None

    # -- running code --------------------------------------------------------

    def run(
        self,
        code: str,
        *,
        stdin: str = "",
        tools: list[str] | None = None,
        tool_handler: ToolHandler | None = None,
        disk_check: DiskCheck | None = None,
        budget: Budget | None = None,
        argv: list[str] | None = None,
        fresh: bool = False,
        env: dict[str, str] | None = None,
        on_output: Callable[[str, str], None] | None = None,
        on_intent: Callable[[dict[str, Any]], None] | None = None,
        on_sample: Callable[[dict[str, Any]], None] | None = None,
        file_screen: dict[str, Any] | None = None,
        file_check: Callable[[str, str], tuple[bool, str]] | None = None,
    ) -> RunResult:
        """Run ``code``; ``budget`` overrides the per-call limits (wall time,
        output, fuel) for this call only; ``on_output(stream, text)`` gets the
        output as the guest writes it; ``on_intent(frame)`` gets what the guest says
        it tried (``{"op": "intent", "kind": "spawn" | "connect" | "open", ...}``:
        claims, for events only); ``on_sample(data)`` gets a resource sample of the guest
        thread about once a second while it runs (:mod:`corral.wasm.samples`);
        ``file_screen`` (:meth:`corral.policy.Policy.file_screen`) the workspace paths the
        guest asks ``file_check(op, path) -> (allowed, reason)`` about before it opens,
        removes or renames them."""
        self._in_run = threading.get_ident()
        ensure_trap_handlers()  # a guest's trap must stay the guest's, not the process's
        try:
            return self._run_call(
                code, stdin=stdin, tools=tools, tool_handler=tool_handler,
                disk_check=disk_check, budget=budget, argv=argv, fresh=fresh, env=env,
                on_output=on_output, on_intent=on_intent, on_sample=on_sample,
                file_screen=file_screen, file_check=file_check,
            )  # fmt: skip
        finally:
            self._in_run = None
            if self._close_later:
                self._close_later = False
                self.close()

    def _run_call(
        self,
        code: str,
        *,
        stdin: str,
        tools: list[str] | None,
        tool_handler: ToolHandler | None,
        disk_check: DiskCheck | None,
        budget: Budget | None,
        argv: list[str] | None,
        fresh: bool,
        env: dict[str, str] | None,
        on_output: Callable[[str, str], None] | None,
        on_intent: Callable[[dict[str, Any]], None] | None,
        on_sample: Callable[[dict[str, Any]], None] | None,
        file_screen: dict[str, Any] | None = None,
        file_check: Callable[[str, str], tuple[bool, str]] | None = None,
    ) -> RunResult:
        restarted = False
        if self._alive and (self._reader.pending or self._drain()):
            # bytes the guest wrote after its last answer: nothing after `done`
            # may answer this call, so this call gets a fresh interpreter
            self._shutdown(kill=True)
        if not self._alive:
            restarted = self.starts > 0
            self._cleanup_io()
            self.start()
        result = RunResult(language=self.language, restarted=restarted)
        budget = budget or self.budget
        self._call_budget = budget
        cap = budget.output_chars
        output = self._output
        tool_calls = 0
        fuel_start = None
        if budget.fuel is not None and self.settings.fuel and self._store is not None:
            self._wait_until_blocked()
            self._store.set_fuel(budget.fuel)
            fuel_start = budget.fuel
        assert self._thread is not None and self._thread.ident is not None
        try:
            cpu_clock = time.pthread_getcpuclockid(self._thread.ident)
            cpu0 = time.clock_gettime(cpu_clock)
        except (OSError, AttributeError):
            cpu_clock, cpu0 = None, 0.0
        t0 = time.monotonic()
        deadline = t0 + budget.wall_s
        tick = 0.02 if disk_check is not None else None
        sampler = None
        if on_sample is not None:
            src = f"{self.language}-guest"
            sampler = CallSampler(on_sample, thread_reader(self._thread), source=src)
            tick = min(tick or sampler.interval, sampler.interval)
        request: dict[str, Any] = {
            "op": "exec",
            "code": code,
            "stdin": stdin,
            "cap": cap,
            "tools": tools or [],
        }
        if file_screen is not None and file_check is not None:
            request["files"] = file_screen
        if fresh:
            request.update(fresh=True, argv=argv or [""], env=env or {})
        if on_output is not None:
            request["stream"] = True  # the driver hands each write on at once
        rid = new_id()
        self._reader.reset()
        self._reader.expect(rid)
        output.begin(cap, on_output)
        self._send_raw(encode_request(rid, request))
        done: dict[str, Any] | None = None
        kill: str | None = None
        while True:
            if self._close_later:
                kill, result.error_message = "killed", "the session was stopped"
                break
            if sampler is not None:
                sampler.tick(output.used)
            try:
                item = self._next(deadline, tick)
            except ChannelError as e:
                kill, result.error_message = "crash", f"guest broke the protocol: {e}"
                break
            if item is None:
                kill = "wall_time"
                break
            what, msg = item
            if what == "raw":
                if not output.add_bytes("stdout", msg):
                    kill = "output"
                    break
                continue
            if what == "tick":
                if disk_check is not None and (reason := disk_check()):
                    kill = "disk"
                    result.error_message = reason
                    break
                continue
            if what == "wake":
                if output.over:
                    kill = "output"
                break
            op = msg.get("op")
            if op == "out":
                data = msg.get("data")
                stream = msg.get("stream")
                if not isinstance(data, str) or stream not in ("stdout", "stderr"):
                    kill = "crash"
                    result.error_message = "guest broke the protocol: a malformed output frame"
                    break
                if not output.add_text(stream, data):
                    kill = "output"  # a guest that bypassed its own driver's cap
                    break
            elif op == "tool":
                tool_calls += 1
                reply = self._tool_reply(msg, tool_handler)
                try:
                    line = encode_request(rid, reply)
                except (TypeError, ValueError, RecursionError) as e:
                    line = encode_request(
                        rid, {"ok": False, "kind": "error", "error": f"tool result: {e}"}
                    )
                self._send_raw(line)
            elif op == "filecheck":
                # a file operation the guest's driver asks about (corral.wasm.filescreen)
                fop, fpath = msg.get("file_op"), msg.get("path")
                allowed, reason = True, ""
                if file_check is not None:
                    try:
                        allowed, reason = file_check(fop, fpath)
                    except Exception as e:
                        allowed, reason = False, f"corral could not decide: {e}"
                self._send_raw(encode_request(rid, {"ok": allowed, "reason": reason}))
            elif op == "intent":
                if on_intent is not None:
                    with contextlib.suppress(Exception):  # a claim never breaks the call
                        on_intent(msg)
            elif op == "done" and self._reader.pending == 0:
                done = msg
                break
            else:
                kill = "crash"
                result.error_message = (
                    "guest broke the protocol: bytes after its answer"
                    if op == "done"
                    else f"guest broke the protocol: unknown frame {str(op)[:40]!r}"
                )
                break
        if output.over and kill is None:
            kill = "output"
        if (
            done is not None
            and kill is None
            and self._poll is not None
            and self._poll.gated
            and not self._poll.wait_parked(deadline + _PARK_GRACE_S - time.monotonic())
        ):
            # the call ends when the guest waits for the host's next line: code that
            # wrote this call's `done` itself and ran on is stopped at the wall
            done, kill = None, "wall_time"
        wall = time.monotonic() - t0
        cpu = 0.0
        if cpu_clock is not None:
            with contextlib.suppress(OSError):  # the guest thread may be gone
                cpu = time.clock_gettime(cpu_clock) - cpu0

        if not self._drain_err() and kill is None:  # the guest's last stderr bytes
            kill = "output"
        if kill is not None:
            self._kill_reason = kill
            self._shutdown(kill=True)
        stdout, stderr = output.end()
        usage = Usage(wall_s=wall, cpu_s=max(cpu, 0.0), output_chars=output.used)
        usage.tool_calls = tool_calls
        if self._alive and self._memory is not None and self._store is not None:
            with contextlib.suppress(Exception):
                usage.memory_bytes = self._memory.data_len(self._store)
        if fuel_start is not None and self._alive and self._store is not None:
            self._wait_until_blocked()
            with contextlib.suppress(Exception):
                usage.fuel = fuel_start - self._store.get_fuel()
        result.usage = usage
        result.stdout = stdout
        result.stderr = stderr
        if kill == "output":
            result.truncated = True

        if done is not None:
            self._finish_done(result, done)
        elif kill is not None:
            self._finish_kill(result, kill)
        else:
            self._finish_dead(result)
        return result

    @staticmethod
    def _tool_reply(msg: dict[str, Any], tool_handler: ToolHandler | None) -> dict[str, Any]:
        name, args = msg.get("name"), msg.get("args")
        if not isinstance(name, str) or not isinstance(args, dict):
            return {"ok": False, "kind": "error", "error": "malformed tool call"}
        if tool_handler is None:
            return {"ok": False, "kind": "denied", "error": "no tools are registered"}
        try:
            return tool_handler(name, args)
        except RecursionError:
            return {"ok": False, "kind": "error", "error": "tool arguments nested too deeply"}
    def _wait_until_blocked(self, limit_s: float = 0.05) -> None:
        """Wait until the guest thread sleeps in its next read, so the fuel it
        spends after answering is charged to this call, every time."""
        thread = self._thread
        if thread is None or thread.native_id is None:
            return
        path = f"/proc/self/task/{thread.native_id}/stat"
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            try:
                with open(path, "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                return
            if state != b"R":
                return
            time.sleep(0.0002)

    def _finish_done(self, result: RunResult, done: dict[str, Any]) -> None:
        code = done.get("exit_code", 1)
        result.exit_code = code if isinstance(code, int) else 1
        err = done.get("error")
        if done.get("dropped"):
            result.truncated = True
        if isinstance(err, dict):
            etype = str(err.get("type", "Error"))
            emsg = str(err.get("message", ""))
            result.error_type, result.error_message = etype, emsg
            if etype == "OutputLimitExceeded":
                result.error = result.budget_exceeded = "output"
                result.truncated = True
                result.error_message = (
                    f"output budget of {self._call_budget.output_chars} characters exceeded"
                )
            elif etype == "MemoryError" or (etype == "InternalError" and "out of memory" in emsg):
                result.error = result.budget_exceeded = "memory"
                result.error_message = (
                    f"memory budget of {self.budget.memory_mb} MB exceeded ({etype})"
                )
            else:
                result.error = "exception"
        elif result.exit_code != 0:
            result.error = "exit"
        if result.truncated:
            result.stdout += _marker(done.get("dropped", 0))

    def _finish_kill(self, result: RunResult, kill: str) -> None:
        result.exit_code = 137 if kill != "crash" else 1
        result.error = kill
        if kill == "wall_time":
            result.budget_exceeded = "wall_time"
            result.error_message = f"wall-time budget of {self._call_budget.wall_s:g} s exceeded"
        elif kill == "disk":
            result.budget_exceeded = "disk"
        elif kill == "output":
            result.budget_exceeded = "output"
            result.error_message = (
                f"output budget of {self._call_budget.output_chars} characters exceeded"
            )
            result.stdout += _marker(None)
        result.stderr += f"\n[corral] {result.error_message}\n"

    def _finish_dead(self, result: RunResult) -> None:
        dead = self._dead or _Dead("error", 1, "guest stopped")
        self._shutdown(kill=False)
        result.exit_code = dead.exit_code
        if dead.kind == "exit":
            result.error = "exit" if dead.exit_code else None
            result.error_message = dead.message or None
            return
        if dead.kind == "fuel":
            result.error = result.budget_exceeded = "fuel"
            result.error_message = f"fuel budget of {self._call_budget.fuel} units exhausted"
        else:
            result.error = "crash"
            result.error_message = dead.message
        result.exit_code = 137 if dead.kind == "fuel" else 1
        result.stderr += f"\n[corral] {result.error_message}\n"


def _marker(dropped: int | None) -> str:
    n = f" {dropped} characters dropped" if dropped else ""
    return f"\n[corral: output truncated at the output budget;{n}]\n"
