"""Slots as Ray actors: one actor per slot, one episode's sandbox in it at a time.

Actors are *not* detached: Ray ends an actor when the process that created it (the
trainer) dies, and the slot's own watchdog ends its sandbox at the TTL or idle timeout
in any case. Actors ask for no CPU from Ray (``num_cpus=0``): the fleet's own cap per
node decides how many live at once, and each is pinned to the node the fleet chose
(``NodeAffinitySchedulingStrategy``). Their events reach the trainer through one Ray
queue per fleet (``ray.util.queue.Queue``), drained by a thread of the trainer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from typing import Any

from .records import EpisodeLost, FleetError
from .signals import keep_fatal_handlers

_ACTOR_CLS: Any = None
START_TIMEOUT_S = 120.0


def _actor_class() -> Any:
    """The actor class, made once Ray is imported (Ray stays an optional extra)."""
    global _ACTOR_CLS
    if _ACTOR_CLS is not None:
        return _ACTOR_CLS
    import ray

    @ray.remote(num_cpus=0, max_concurrency=8, max_restarts=0)
    class SlotActor:
        def __init__(self, events: Any, slot_idle_s: float) -> None:
            from .slot import SlotCore

            self._events = events
            self.core = SlotCore(
                lambda batch: events.put(batch, timeout=30),
                slot_idle_s=slot_idle_s,
                on_exit=lambda: os._exit(0),
            )

        def pid(self) -> int:
            return os.getpid()

        def create(self, spec: dict[str, Any]) -> dict[str, Any]:
            return self.core.create(spec)

        def call(self, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
            return self.core.call(method, args, kwargs)

        def episode(self, fn: Any, item: Any) -> Any:
            return self.core.run_episode(fn, item)

        def release(self) -> None:
            self.core.release()

        def end(self, session: str, reason: str, rule: str | None) -> None:
            self.core.end(reason, rule, session)

        def decide(self, session: str, alert_id: str, action: str) -> None:
            self.core.decide(session, alert_id, action)

        def status(self) -> dict[str, Any]:
            return self.core.status()

        def __ray_shutdown__(self) -> None:
            self.core.shutdown()

    _ACTOR_CLS = SlotActor
    return SlotActor


def _unwrap(e: BaseException, slot: RaySlot) -> BaseException:
    """Ray's errors as the fleet's: a dead actor is EpisodeLost; a raised error its cause."""
    import ray.exceptions as rex

    if isinstance(e, rex.RayTaskError):
        cause = getattr(e, "cause", None)
        if isinstance(cause, BaseException):
            return cause
    if isinstance(e, rex.RayActorError | rex.WorkerCrashedError | rex.NodeDiedError):
        slot.dead = str(e).splitlines()[0] if str(e) else type(e).__name__
        return EpisodeLost(
            f"the episode's sandbox was lost: its Ray actor (pid {slot.pid}, node "
            f"{slot.node[:12]}) died: {type(e).__name__}: {slot.dead}"
        )
    return e


class RaySlot:
    """The trainer's handle on one slot actor."""

    def __init__(self, actor_cls: Any, events: Any, slot_idle_s: float, node: str) -> None:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self.node = node
        self.dead: str | None = None
        self.actor = actor_cls.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node, soft=False)
        ).remote(events, slot_idle_s)
        self.pid = None
        try:
            self.pid = ray.get(self.actor.pid.remote(), timeout=START_TIMEOUT_S)
        except Exception as e:
            self.kill()  # a slot that comes up later must not be left behind
            err = _unwrap(e, self)
            if err is e:
                raise FleetError(
                    f"a slot actor on node {node[:12]} did not start within "
                    f"{START_TIMEOUT_S:g} s: {type(e).__name__}: {e}"
                ) from None
            raise err from None

    def _get(self, ref: Any, timeout: float | None = None) -> Any:
        import ray

        try:
            return ray.get(ref, timeout=timeout)
        except Exception as e:
            err = _unwrap(e, self)
            if err is e:
                raise
            raise err from None

    def create(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self._get(self.actor.create.remote(spec))

    def call(self, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return self._get(self.actor.call.remote(method, args, kwargs))

    def episode(self, fn_ref: Any, item: Any) -> Any:
        return self._get(self.actor.episode.remote(fn_ref, item))

    def release(self) -> None:
        self._get(self.actor.release.remote(), timeout=120)

    def end(self, session: str, reason: str, rule: str | None) -> None:
        with contextlib.suppress(Exception):
            self.actor.end.remote(session, reason, rule)

    def decide(self, session: str, alert_id: str, action: str) -> None:
        with contextlib.suppress(Exception):
            self.actor.decide.remote(session, alert_id, action)

    def status(self) -> dict[str, Any]:
        return self._get(self.actor.status.remote(), timeout=30)

    def alive(self) -> bool:
        if self.dead is not None:
            return False
        try:
            self.status()
        except Exception:
            return False
        return True

    def kill(self) -> None:
        import ray

        with contextlib.suppress(Exception):
            ray.kill(self.actor, no_restart=True)
        self.dead = self.dead or "killed"


class RayTransport:
    """Slots as Ray actors on the nodes of a cluster (joined, or started here)."""

    name = "ray"

    def __init__(self, ingest: Any, slot_idle_s: float, address: str | None) -> None:
        try:
            import ray
            from ray.util.queue import Queue
        except ImportError:
            raise FleetError(
                "the fleet needs Ray: pip install 'corral[fleet]' (or Fleet(local=True))"
            ) from None
        self._ray = ray
        self._started = False
        self._tmp: str | None = None
        self._handlers = None
        if not ray.is_initialized():
            with keep_fatal_handlers() as saved:  # a wasm trap here must stay wasmtime's
                self._init_ray(ray, address)
            self._handlers = saved
        self._slot_idle_s = slot_idle_s
        self._ingest = ingest
        # bounded: slots wait (and so do their sandboxes' steps) when the trainer lags
        self._queue = Queue(maxsize=10_000, actor_options={"num_cpus": 0})
        self._cls = _actor_class()
        self._stop = threading.Event()
        self._drain_lock = threading.Lock()
        self._drain = threading.Thread(target=self._drain_loop, name="fleet-events", daemon=True)
        self._drain.start()

    def _init_ray(self, ray: Any, address: str | None) -> None:
        if address is not None:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
            return
        # a small, bounded local cluster: this machine's cores, no dashboard,
        # logs in a temp dir removed on close, a 128 MB object store
        self._tmp = tempfile.mkdtemp(prefix="corral-ray-")
        ray.init(
            num_cpus=os.cpu_count() or 1,
            include_dashboard=False,
            log_to_driver=False,
            object_store_memory=128 * 2**20,
            _temp_dir=self._tmp,
            configure_logging=False,
        )
        self._started = True

    def _drain_loop(self) -> None:
        from ray.util.queue import Empty

        while not self._stop.is_set():
            try:
                first = self._queue.get(block=True, timeout=0.5)
            except Empty:
                continue
            except Exception:
                if self._stop.is_set():
                    return
                self._stop.wait(0.5)
                continue
            with self._drain_lock:  # flush() drains too: one at a time keeps the order
                self._ingest(first)
                self._drain_now()

    def _drain_now(self) -> None:
        from ray.util.queue import Empty

        with contextlib.suppress(Empty):
            while (n := self._queue.qsize()) > 0:
                for batch in self._queue.get_nowait_batch(min(n, 256)):
                    self._ingest(batch)

    def nodes(self) -> dict[str, tuple[float, float]]:
        out = {}
        for n in self._ray.nodes():
            if n.get("Alive"):
                res = n.get("Resources") or {}
                out[n["NodeID"]] = (float(res.get("CPU", 1.0)), float(res.get("memory", 2**31)))
        return out

    def new_slot(self, node: str) -> RaySlot:
        return RaySlot(self._cls, self._queue, self._slot_idle_s, node)

    def prepare_fn(self, fn: Any) -> Any:
        return self._ray.put(fn)

    def flush(self) -> None:
        """Take in every batch queued so far (slots push before a call or a release
        returns, so after this the trainer has seen their events)."""
        with contextlib.suppress(Exception), self._drain_lock:
            self._drain_now()

    def close(self) -> None:
        self.flush()
        self._stop.set()
        self._drain.join(timeout=5)
        with contextlib.suppress(Exception):
            self._queue.shutdown()
        if self._started:
            self._ray.shutdown()
            if self._handlers is not None:
                self._handlers.restore()  # ray.shutdown resets them to the default
            if self._tmp:
                shutil.rmtree(self._tmp, ignore_errors=True)
