"""``Fleet(local=True)``: slots as worker processes of this machine, one sandbox per
worker at a time, no Ray.

Workers are spawned: a fresh ``python -m corral.fleet.local`` each (not forked from the
trainer, which may hold threads, CUDA contexts or a Ray client; and, unlike
multiprocessing's spawn, without re-importing the trainer's ``__main__``). The trainer
talks to each worker over one socketpair (``multiprocessing.connection`` framing):
requests ``(id, op, payload)`` one way; replies ``("r", id, ok, value)`` and event
batches ``("e", batch)`` the other.
A worker exits when the pipe closes (its trainer died: it closes its sandbox first),
when its parent pid changes, or when it has had no sandbox for ``slot_idle_s``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing.connection import Connection
from typing import Any

from .records import EpisodeLost, FleetError

START_TIMEOUT_S = 120.0  # a new worker's first sandbox (imports, the shell template)
#: ops answered at once by the worker's reader thread, beside a running call
INLINE = frozenset({"end", "decide", "status"})


def dumps(obj: Any) -> bytes:
    """Pickle with cloudpickle when installed (lambdas, closures), else pickle."""
    try:
        import cloudpickle

        return cloudpickle.dumps(obj)
    except ImportError:
        return pickle.dumps(obj)


def _worker_main(conn: Any, parent_pid: int, slot_idle_s: float) -> None:
    """The worker process: one SlotCore, served over ``conn``."""
    from .slot import SlotCore

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the trainer's to handle
    send_lock = threading.Lock()

    def send(msg: tuple[Any, ...]) -> None:
        try:
            data = pickle.dumps(msg)
        except Exception as e:  # an unpicklable result or exception
            if msg[0] == "r":
                data = pickle.dumps(("r", msg[1], False, FleetError(f"cannot send back: {e!r}")))
            else:
                return
        with send_lock:
            conn.send_bytes(data)

    core = SlotCore(
        lambda batch: send(("e", batch)),
        slot_idle_s=slot_idle_s,
        parent_pid=parent_pid,
        on_exit=lambda: os._exit(0),
    )
    pool = ThreadPoolExecutor(1, thread_name_prefix="slot-call")

    def handle(rid: int, op: str, payload: Any) -> None:
        try:
            if op == "create":
                value = core.create(payload)
            elif op == "call":
                value = core.call(*payload)
            elif op == "episode":
                fn_bytes, item = payload
                value = core.run_episode(pickle.loads(fn_bytes), item)  # cloudpickle's output
            elif op == "release":
                value = core.release()
            elif op == "end":
                session, reason, rule = payload
                value = core.end(reason, rule, session)
            elif op == "decide":
                value = core.decide(*payload)
            elif op == "status":
                value = core.status()
            else:
                raise FleetError(f"unknown op {op!r}")
            send(("r", rid, True, value))
        except BaseException as e:
            send(("r", rid, False, e))

    try:
        while True:
            try:
                rid, op, data = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break  # the trainer is gone
            try:
                payload = pickle.loads(data) if isinstance(data, bytes) else data
            except Exception as e:  # e.g. a class this worker cannot import
                send(("r", rid, False, FleetError(f"the slot cannot load this {op}: {e!r}")))
                continue
            if op == "shutdown":
                break
            if op in INLINE:
                threading.Thread(target=handle, args=(rid, op, payload), daemon=True).start()
            else:
                pool.submit(handle, rid, op, payload)
    finally:
        core.shutdown()
        os._exit(0)


class LocalSlot:
    """The trainer's handle on one worker process."""

    def __init__(self, hub_ingest: Any, slot_idle_s: float, node: str) -> None:
        ours, theirs = socket.socketpair()
        self.node = node
        self._ingest = hub_ingest
        try:
            # a fresh interpreter (as multiprocessing's spawn, without re-importing the
            # trainer's __main__): python -m corral.fleet.local FD PARENT IDLE
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "corral.fleet.local",
                    str(theirs.fileno()),
                    str(os.getpid()),
                    repr(float(slot_idle_s)),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=_worker_env(),
            )
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self.pid = self._proc.pid
        self._lock = threading.Lock()
        self._futures: dict[int, Future[Any]] = {}
        self._next = 0
        self.dead: str | None = None
        self._reader = threading.Thread(target=self._read, name="fleet-slot-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                msg = pickle.loads(self._conn.recv_bytes())
            except (EOFError, OSError):
                break
            except Exception as e:  # a message that does not unpickle: treat as lost
                self._fail(f"a bad message from the worker: {e!r}")
                return
            if msg[0] == "e":
                self._ingest(msg[1])
            elif msg[0] == "r":
                with self._lock:
                    fut = self._futures.pop(msg[1], None)
                if fut is not None:
                    if msg[2]:
                        fut.set_result(msg[3])
                    else:
                        fut.set_exception(msg[3])
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=1.0)
        code = self._proc.returncode
        how = (
            f"killed by signal {-code}" if code is not None and code < 0
            else f"exit status {code}" if code is not None else "still running, pipe closed"
        )
        self._fail(f"its worker process (pid {self.pid}) died ({how})")

    def _fail(self, why: str) -> None:
        with self._lock:
            self.dead = self.dead or why
            futures, self._futures = self._futures, {}
        for fut in futures.values():
            if not fut.done():
                fut.set_exception(EpisodeLost(f"the episode's sandbox was lost: {why}"))

    def request(self, op: str, payload: Any = None, timeout: float | None = None) -> Any:
        fut: Future[Any] = Future()
        try:
            data = dumps(payload)
        except Exception as e:
            raise FleetError(f"cannot send this {op} to the slot (not picklable): {e}") from None
        with self._lock:
            if self.dead:
                raise EpisodeLost(f"the episode's sandbox was lost: {self.dead}")
            self._next += 1
            rid = self._next
            self._futures[rid] = fut
            try:
                self._conn.send_bytes(pickle.dumps((rid, op, data)))
            except (OSError, ValueError) as e:
                self._futures.pop(rid, None)
                raise EpisodeLost(f"the episode's sandbox was lost: {e}") from None
        return fut.result(timeout)

    def send_only(self, op: str, payload: Any) -> None:
        """Fire and forget (decisions, ends): the reply is ignored."""
        with contextlib.suppress(EpisodeLost):
            fut: Future[Any] = Future()
            with self._lock:
                if self.dead:
                    return
                self._next += 1
                self._futures[self._next] = fut
                with contextlib.suppress(OSError, ValueError):
                    self._conn.send_bytes(pickle.dumps((self._next, op, pickle.dumps(payload))))

    # the slot protocol (the same on Ray)
    def create(self, spec: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.request("create", spec, timeout=START_TIMEOUT_S)
        except FutureTimeout:
            self.kill()  # a worker that does not come up is not waited for forever
            self._fail(f"its worker process (pid {self.pid}) did not start a sandbox "
                       f"within {START_TIMEOUT_S:g} s")
            raise EpisodeLost(f"the episode's sandbox was lost: {self.dead}") from None

    def call(self, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return self.request("call", (method, args, kwargs))

    def episode(self, fn_blob: Any, item: Any) -> Any:
        return self.request("episode", (fn_blob, item))

    def release(self) -> None:
        self.request("release", None, timeout=120.0)

    def end(self, session: str, reason: str, rule: str | None) -> None:
        self.send_only("end", (session, reason, rule))

    def decide(self, session: str, alert_id: str, action: str) -> None:
        self.send_only("decide", (session, alert_id, action))

    def status(self) -> dict[str, Any]:
        return self.request("status", None, timeout=30.0)

    def alive(self) -> bool:
        return self.dead is None and self._proc.poll() is None

    def kill(self) -> None:
        """Stop the worker: ask, then SIGKILL if it does not go."""
        with contextlib.suppress(Exception), self._lock:
            self._conn.send_bytes(pickle.dumps((0, "shutdown", None)))
        try:
            self._proc.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5.0)
        with contextlib.suppress(OSError):
            self._conn.close()


class LocalTransport:
    """Slots as spawned worker processes of this machine (one node: ``"local"``)."""

    name = "local"

    def __init__(self, ingest: Any, slot_idle_s: float) -> None:
        self._ingest = ingest
        self._slot_idle_s = slot_idle_s

    def nodes(self) -> dict[str, tuple[float, float]]:
        from .placement import local_resources

        return {"local": local_resources()}

    def gpus(self) -> dict[str, float]:
        return {}  # one machine: the pool is where the trainer asked for it

    def new_slot(self, node: str) -> LocalSlot:
        return LocalSlot(self._ingest, self._slot_idle_s, node)

    def prepare_fn(self, fn: Any) -> Any:
        return dumps(fn)

    def flush(self) -> None:
        """Nothing to do: a worker's events come before its replies on the same pipe."""

    def close(self) -> None:
        pass


def _worker_env() -> dict[str, str]:
    """The worker's environment: this one, with this copy of corral first on the path."""
    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = env.get("PYTHONPATH", "")
    if src not in path.split(os.pathsep):
        env["PYTHONPATH"] = src + (os.pathsep + path if path else "")
    return env


if __name__ == "__main__":
    fd, parent, idle = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    _worker_main(Connection(fd), parent, idle)
