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

import contextlib
import json
import os
import select
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import wasmtime

from .budget import MB, Budget, RunResult, Usage
from .errors import GuestStartError
from .modcache import EngineSettings, load_module

ToolHandler = Callable[[str, dict[str, Any]], dict[str, Any]]
DiskCheck = Callable[[], str | None]

LANGS = ("python", "js")
GUEST_ROOT = "/workspace"
_START_TIMEOUT_S = 60.0
_MAX_LINE = 64 * MB


def _driver_source(language: str) -> str:
    name = "python_driver.py" if language == "python" else "js_driver.js"
    return resources.files("corral.guest").joinpath(name).read_text()


@dataclass
class _Dead:
    kind: str  # "exit", "fuel", "interrupt", "trap", "error"
    exit_code: int = 1
    message: str = ""


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
        self.module = load_module(self.engine, language, self.settings)
        self.starts = 0
        self._alive = False
        self._thread: threading.Thread | None = None
        self._dead: _Dead | None = None
        self._iodir: str | None = None
        self._in_fd = -1
        self._out_fd = -1
        self._fd_lock = threading.Lock()
        self._pending = b""
        self._store: wasmtime.Store | None = None
        self._memory: wasmtime.Memory | None = None
        self._kill_reason: str | None = None
        self._call_budget = budget

    # -- lifecycle ---------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._alive

    def start(self) -> None:
        self._iodir = tempfile.mkdtemp(prefix="corral-io-")
        fin = os.path.join(self._iodir, "in")
        fout = os.path.join(self._iodir, "out")
        os.mkfifo(fin, 0o600)
        os.mkfifo(fout, 0o600)
        self._in_fd = os.open(fin, os.O_RDWR | os.O_CLOEXEC)
        self._out_fd = os.open(fout, os.O_RDWR | os.O_CLOEXEC)
        self._pending = b""
        self._dead = None
        self._kill_reason = None

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
        wasi.stderr_file = os.path.join(self._iodir, "stderr")
        wasi.preopen_dir(str(self.workdir), GUEST_ROOT)
        store.set_wasi(wasi)
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        instance = linker.instantiate(store, self.module)
        start_fn = instance.exports(store)["_start"]
        mem = instance.exports(store)["memory"]
        self._store = store
        self._memory = mem if isinstance(mem, wasmtime.Memory) else None
        thread = threading.Thread(
            target=self._guest_main,
            args=(store, start_fn, self._out_fd),
            name=f"corral-{self.language}",
            daemon=True,
        )
        self._thread = thread
        self._alive = True
        thread.start()
        self.starts += 1
        msg = self._read_msg(time.monotonic() + max(_START_TIMEOUT_S, self.budget.wall_s))
        if msg is None or msg.get("op") != "ready":
            detail = self._stderr_tail() or (self._dead.message if self._dead else "no answer")
            self._shutdown(kill=True)
            raise GuestStartError(f"the {self.language} guest failed to start: {detail}")

    def _guest_main(self, store: wasmtime.Store, start_fn: Any, out_fd: int) -> None:
        try:
            start_fn(store)
            dead = _Dead("exit", 0)
        except wasmtime.ExitTrap as e:
            dead = _Dead("exit", e.code, f"exited with code {e.code}")
        except wasmtime.Trap as e:
            code = e.trap_code
            if code == wasmtime.TrapCode.OUT_OF_FUEL:
                dead = _Dead("fuel", 1, "fuel budget exhausted")
            elif code == wasmtime.TrapCode.INTERRUPT:
                dead = _Dead("interrupt", 1, "interrupted")
            else:
                dead = _Dead("trap", 1, f"wasm trap: {e.message.splitlines()[0]}")
        except Exception as e:  # wasmtime.WasmtimeError and friends
            dead = _Dead("error", 1, f"{type(e).__name__}: {e}")
        self._dead = dead
        with self._fd_lock, contextlib.suppress(OSError):
            if out_fd == self._out_fd:
                os.write(out_fd, b'{"op":"_dead"}\n')

    def close(self) -> None:
        if not self._alive:
            self._cleanup_io()
            return
        with contextlib.suppress(OSError):
            os.write(self._in_fd, b'{"op":"exit"}\n')
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._shutdown(kill=True)

    def _shutdown(self, kill: bool) -> None:
        if kill and self._thread is not None and self._thread.is_alive():
            self.engine.increment_epoch()
        self._alive = False
        self._cleanup_io()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self._thread = None
        self._store = None
        self._memory = None

    def _cleanup_io(self) -> None:
        with self._fd_lock:
            for fd in (self._in_fd, self._out_fd):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._in_fd = self._out_fd = -1
        if self._iodir:
            shutil.rmtree(self._iodir, ignore_errors=True)
            self._iodir = None

    def _stderr_tail(self) -> str:
        if not self._iodir:
            return ""
        try:
            with open(os.path.join(self._iodir, "stderr"), "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 2000))
                return f.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    # -- protocol ----------------------------------------------------------

    def _send(self, obj: dict[str, Any]) -> None:
        data = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
        view = memoryview(data)
        while view:
            n = os.write(self._in_fd, view)
            view = view[n:]

    def _read_msg(self, deadline: float, tick: float | None = None) -> dict[str, Any] | None:
        """The next message, or None when ``deadline`` passes (or ``tick`` elapses:
        then ``{"op": "_tick"}``)."""
        while b"\n" not in self._pending:
            now = time.monotonic()
            if now >= deadline:
                return None
            wait = deadline - now
            if tick is not None:
                wait = min(wait, tick)
            ready, _, _ = select.select([self._out_fd], [], [], wait)
            if not ready:
                if tick is not None and time.monotonic() < deadline:
                    return {"op": "_tick"}
                continue
            chunk = os.read(self._out_fd, 1 << 20)
            self._pending += chunk
            if len(self._pending) > _MAX_LINE and b"\n" not in self._pending:
                return {"op": "_overflow"}
        line, _, self._pending = self._pending.partition(b"\n")
        try:
            msg = json.loads(line)
        except ValueError:
            return {"op": "_garbage"}
        return msg if isinstance(msg, dict) else {"op": "_garbage"}

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
    ) -> RunResult:
        """Run ``code``; ``budget`` overrides the per-call limits (wall time,
        output, fuel) for this call only."""
        restarted = False
        if not self._alive:
            restarted = self.starts > 0
            self._cleanup_io()
            self.start()
        result = RunResult(language=self.language, restarted=restarted)
        budget = budget or self.budget
        self._call_budget = budget
        cap = budget.output_chars
        out: dict[str, list[str]] = {"stdout": [], "stderr": []}
        used_chars = 0
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
        request: dict[str, Any] = {
            "op": "exec",
            "code": code,
            "stdin": stdin,
            "cap": cap,
            "tools": tools or [],
        }
        if fresh:
            request.update(fresh=True, argv=argv or [""], env=env or {})
        self._send(request)
        done: dict[str, Any] | None = None
        kill: str | None = None
        while True:
            msg = self._read_msg(deadline, tick)
            if msg is None:
                kill = "wall_time"
                break
            op = msg.get("op")
            if op == "_tick":
                if disk_check is not None and (reason := disk_check()):
                    kill = "disk"
                    result.error_message = reason
                    break
                continue
            if op == "out":
                data = msg.get("data")
                stream = msg.get("stream")
                if not isinstance(data, str) or stream not in out:
                    kill = "crash"
                    result.error_message = "malformed output frame from guest"
                    break
                room = cap - used_chars
                if len(data) > room:  # a guest that bypassed its own driver's cap
                    out[stream].append(data[: max(room, 0)])
                    used_chars = cap
                    result.truncated = True
                    kill = "output"
                    break
                out[stream].append(data)
                used_chars += len(data)
            elif op == "tool":
                tool_calls += 1
                name, args = msg.get("name"), msg.get("args")
                if not isinstance(name, str) or not isinstance(args, dict):
                    reply = {"ok": False, "kind": "error", "error": "malformed tool call"}
                elif tool_handler is None:
                    reply = {"ok": False, "kind": "denied", "error": "no tools are registered"}
                else:
                    reply = tool_handler(name, args)
                self._send(reply)
            elif op == "done":
                done = msg
                break
            elif op == "_dead":
                break
            else:  # _garbage, _overflow, or an unknown op: the protocol is broken
                kill = "crash"
                result.error_message = f"guest broke the protocol ({op})"
                break
        wall = time.monotonic() - t0
        cpu = 0.0
        if cpu_clock is not None:
            with contextlib.suppress(OSError):  # the guest thread may be gone
                cpu = time.clock_gettime(cpu_clock) - cpu0

        if kill is not None:
            self._kill_reason = kill
            self._shutdown(kill=True)
        usage = Usage(wall_s=wall, cpu_s=max(cpu, 0.0), output_chars=used_chars)
        usage.tool_calls = tool_calls
        if self._alive and self._memory is not None and self._store is not None:
            with contextlib.suppress(Exception):
                usage.memory_bytes = self._memory.data_len(self._store)
        if fuel_start is not None and self._alive and self._store is not None:
            self._wait_until_blocked()
            with contextlib.suppress(Exception):
                usage.fuel = fuel_start - self._store.get_fuel()
        result.usage = usage
        result.stdout = "".join(out["stdout"])
        result.stderr = "".join(out["stderr"])

        if done is not None:
            self._finish_done(result, done)
        elif kill is not None:
            self._finish_kill(result, kill)
        else:
            self._finish_dead(result)
        return result

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
        tail = self._stderr_tail()
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
        result.stderr += f"\n[corral] {result.error_message}\n" + (tail + "\n" if tail else "")


def _marker(dropped: int | None) -> str:
    n = f" {dropped} characters dropped" if dropped else ""
    return f"\n[corral: output truncated at the output budget;{n}]\n"
