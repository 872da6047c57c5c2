"""Slots as Ray actors: one actor per slot, one episode's sandbox in it at a time.

Actors are *not* detached: Ray ends an actor when the process that created it (the
trainer) dies, and the slot's own watchdog ends its sandbox at the TTL or idle timeout
in any case. Actors ask for no CPU from Ray (``num_cpus=0``): the fleet's own cap per
node decides how many live at once, and each is pinned to the node the fleet chose
(``NodeAffinitySchedulingStrategy``). Their events reach the trainer through an inbox
per node (a small asyncio actor pinned to the node, :func:`_inbox_class`): a slot's
batches go to its own node's inbox (bounded: a slot waits when the trainer lags), and
one thread of the trainer long-polls every inbox at once (one outstanding ``take`` per
inbox, ``ray.wait`` on all of them), so no single actor carries the whole fleet's events.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import time
from typing import Any

from ..deeptree import remove_tree
from ..trapsignals import keep_fatal_handlers
from .records import EpisodeLost, FleetError

_ACTOR_CLS: Any = None
_INBOX_CLS: Any = None
START_TIMEOUT_S = 120.0
#: batches an inbox holds before its slots wait (each batch is one slot's ~20 ms of events)
INBOX_BATCHES = 2_000
#: how long one take waits for a first batch (the drain thread's poll of an idle node)
TAKE_WAIT_S = 0.5
PUT_TIMEOUT_S = 30.0

log = logging.getLogger("corral.fleet")


def _inbox_class() -> Any:
    """The per-node event inbox actor class (made once Ray is imported)."""
    global _INBOX_CLS
    if _INBOX_CLS is not None:
        return _INBOX_CLS
    import ray

    @ray.remote(num_cpus=0, max_restarts=0)
    class EventInbox:
        """Batches of a node's slots, in the order they were put, until the trainer
        takes them. Counts what it was given, so the trainer can wait for all of it."""

        def __init__(self, maxsize: int) -> None:
            import asyncio

            self._q: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue(maxsize)
            self._given = 0

        async def put(self, batch: list[dict[str, Any]]) -> None:
            await self._q.put(batch)
            self._given += 1

        async def take(self, max_batches: int, wait_s: float) -> list[list[dict[str, Any]]]:
            import asyncio

            out: list[list[dict[str, Any]]] = []
            if self._q.empty():
                try:
                    out.append(await asyncio.wait_for(self._q.get(), wait_s))
                except TimeoutError:
                    return out
            while len(out) < max_batches and not self._q.empty():
                out.append(self._q.get_nowait())
            return out

        async def given(self) -> int:
            return self._given

    _INBOX_CLS = EventInbox
    return EventInbox


def _actor_class() -> Any:
    """The actor class, made once Ray is imported (Ray stays an optional extra)."""
    global _ACTOR_CLS
    if _ACTOR_CLS is not None:
        return _ACTOR_CLS
    import ray

    @ray.remote(num_cpus=0, max_concurrency=8, max_restarts=0)
    class SlotActor:
        def __init__(self, inbox: Any, slot_idle_s: float) -> None:
            from .slot import SlotCore

            def push(batch: list[dict[str, Any]]) -> None:
                ray.get(inbox.put.remote(batch), timeout=PUT_TIMEOUT_S)

            self.core = SlotCore(push, slot_idle_s=slot_idle_s, on_exit=lambda: os._exit(0))

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

    def __init__(self, actor_cls: Any, inbox: Any, slot_idle_s: float, node: str) -> None:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self.node = node
        self.dead: str | None = None
        self.actor = actor_cls.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node, soft=False)
        ).remote(inbox, slot_idle_s)
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
        self._cls = _actor_class()
        self._inbox_cls = _inbox_class()
        #: node -> its inbox; what the drain thread took from each (batches); dead ones
        self._inboxes: dict[str, Any] = {}
        self._taken: dict[str, int] = {}
        self._lost: set[str] = set()
        self._cond = threading.Condition()
        self._stop = threading.Event()
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

    def _inbox(self, node: str) -> Any:
        """The node's inbox, started on first use (on that node)."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        with self._cond:
            box = self._inboxes.get(node)
            if box is None:
                box = self._inbox_cls.options(
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node, soft=False)
                ).remote(INBOX_BATCHES)
                self._inboxes[node] = box
                self._taken[node] = 0
                self._lost.discard(node)
                self._cond.notify_all()
            return box

    def _drain_loop(self) -> None:
        """Keep one ``take`` outstanding on every inbox; ingest what comes back, each
        node's batches in their order (a node's next take is issued after its last one
        was ingested)."""
        ray = self._ray
        waiting: dict[Any, str] = {}
        polling: set[str] = set()
        while not self._stop.is_set():
            with self._cond:
                boxes = [(n, b) for n, b in self._inboxes.items() if n not in polling]
            for node, box in boxes:
                waiting[box.take.remote(256, TAKE_WAIT_S)] = node
                polling.add(node)
            if not waiting:
                with self._cond:
                    self._cond.wait(0.2)
                continue
            try:
                ready, _ = ray.wait(list(waiting), num_returns=1, timeout=TAKE_WAIT_S * 2)
            except Exception:
                if self._stop.is_set():
                    return
                self._stop.wait(0.5)
                continue
            if ready:  # and whatever else is ready by now
                more, _ = ray.wait(list(waiting), num_returns=len(waiting), timeout=0)
                ready = list(dict.fromkeys([*ready, *more]))
            for ref in ready:
                node = waiting.pop(ref)
                polling.discard(node)
                try:
                    batches = ray.get(ref)
                except Exception as e:  # the node (or its inbox) died
                    log.error("fleet: the event inbox of node %s is gone: %s", node[:12], e)
                    with self._cond:
                        self._inboxes.pop(node, None)
                        self._lost.add(node)
                        self._cond.notify_all()
                    continue
                for batch in batches:
                    try:
                        self._ingest(batch)
                    except Exception:
                        log.exception("fleet: could not take in a batch of events")
                with self._cond:
                    self._taken[node] = self._taken.get(node, 0) + len(batches)
                    self._cond.notify_all()

    def nodes(self) -> dict[str, tuple[float, float]]:
        out = {}
        for n in self._ray.nodes():
            if n.get("Alive"):
                res = n.get("Resources") or {}
                out[n["NodeID"]] = (float(res.get("CPU", 1.0)), float(res.get("memory", 2**31)))
        return out

    def gpus(self) -> dict[str, float]:
        """GPUs per live node (Ray's ``GPU`` resource)."""
        return {
            n["NodeID"]: float((n.get("Resources") or {}).get("GPU", 0.0))
            for n in self._ray.nodes()
            if n.get("Alive")
        }

    def new_slot(self, node: str) -> RaySlot:
        return RaySlot(self._cls, self._inbox(node), self._slot_idle_s, node)

    def prepare_fn(self, fn: Any) -> Any:
        return self._ray.put(fn)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until the trainer took in every batch the inboxes were given so far
        (slots push before a call or a release returns, so after this the trainer has
        seen their events). An inbox that died or does not answer is skipped."""
        if self._stop.is_set():
            return
        with self._cond:
            boxes = dict(self._inboxes)
        if not boxes:
            return
        refs = {node: box.given.remote() for node, box in boxes.items()}
        targets: dict[str, int] = {}
        for node, ref in refs.items():
            try:
                targets[node] = self._ray.get(ref, timeout=10)
            except Exception:
                log.debug("fleet: inbox of %s did not answer", node[:12], exc_info=True)
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._stop.is_set():
                behind = [
                    n for n, t in targets.items()
                    if n not in self._lost and self._taken.get(n, 0) < t
                ]  # fmt: skip
                left = deadline - time.monotonic()
                if not behind or left <= 0:
                    if behind:
                        log.warning("fleet: events of %d node(s) not taken in yet", len(behind))
                    return
                self._cond.wait(min(left, 0.5))

    def close(self) -> None:
        self.flush()
        self._stop.set()
        self._drain.join(timeout=5)
        with self._cond:
            boxes = list(self._inboxes.values())
            self._inboxes.clear()
        for box in boxes:
            with contextlib.suppress(Exception):
                self._ray.kill(box, no_restart=True)
        if self._started:
            self._ray.shutdown()
            if self._handlers is not None:
                self._handlers.restore()  # ray.shutdown resets them to the default
            if self._tmp:
                remove_tree(self._tmp, ignore_errors=True)
