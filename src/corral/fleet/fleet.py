"""``Fleet``: many contained episodes, on Ray or on a local process pool, one API.

    from corral.fleet import Fleet
    with Fleet(policy="default") as fleet:
        sb = fleet.sandbox(tags={"run": "r1", "episode": 42})
        r = sb.run("pytest -q")                 # a StepResult: r.step, r.alerts
        results = fleet.map(episode, range(1000), tags=lambda i: {"run": "r1", "episode": i})
        rows = fleet.verdicts(run="r1")
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..events import Event, check_tags
from .hub import Hub, OnAlert, Verdicts
from .placement import Admission, Capacity, sandbox_nodes
from .records import EpisodeEnded, EpisodeLost, FleetAlert, FleetError, StepResult
from .rules import FleetRules, load_rules
from .slot import SANDBOX_OPTIONS

log = logging.getLogger("corral.fleet")

TagsLike = dict[str, Any] | Callable[[Any], dict[str, Any]] | None


def _check_seconds(name: str, value: Any, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise FleetError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


class Fleet:
    """Sandboxes for many episodes, as Ray actors (default) or local worker processes.

    Args:
        policy: the policy every sandbox gets (a built-in name, a path, YAML, a dict).
        address: join this Ray cluster (``"auto"``: the one this machine belongs to);
            without it, a Ray already initialised here is used, else a small local one
            is started (this machine's cores, no dashboard, logs in a temp dir) and
            stopped on ``close()``.
        local: a pool of local worker processes instead of Ray (same API).
        audit_dir: one hash-chained audit log per run, ``<audit_dir>/<run>.sqlite``.
        on_alert: ``callback(alert) -> "end" | "mark" | "continue" | None``, called in
            this process for every alert of every episode (``fleet.sandbox(on_alert=)``
            overrides it per episode). The step that raised the alert returns only once
            it answered; ``"end"`` kills the sandbox and later calls raise
            :class:`EpisodeEnded`. No answer within ``decide_timeout_s``: ended.
        ttl_s, idle_s: a sandbox is ended when it has lived ``ttl_s`` seconds or done
            nothing for ``idle_s``, by its own slot (even if this process is gone).
        per_cpu, mem_per_sandbox_mb, max_per_node: the cap of live sandboxes per node.
        create_rate: new sandboxes per second at most (``None``: no limit).
        fleet_rules: fleet-level rules (see :mod:`corral.fleet.rules`); ``[]`` for none.
        progress: ``fleet.map``'s progress bar (default: on when stderr is a terminal).
        gpu_nodes: whether sandboxes may go to nodes with GPUs (the trainer's): ``None``
            (default) only when no node is without GPUs, ``True`` always, ``False`` never.
        report_to, report_token: a ``corral serve`` URL and a token of it: every event
            goes there too (its dashboard, event stream, alerts and audit log show the
            episodes as the token's tenant's; :mod:`corral.fleet.report`).
        **sandbox_options: more :class:`~corral.Sandbox` arguments (``budget``,
            ``backend``, ``monitor``, ``env``, ``backend_options``, ``capabilities``).
    """

    def __init__(
        self,
        policy: Any = "default",
        *,
        address: str | None = None,
        local: bool = False,
        audit_dir: str | Path | None = None,
        audit_key: bytes | None = None,
        on_alert: OnAlert | None = None,
        ttl_s: float | None = 3600.0,
        idle_s: float | None = 600.0,
        per_cpu: float = 4.0,
        mem_per_sandbox_mb: float = 256.0,
        max_per_node: int | None = None,
        create_rate: float | None = 50.0,
        fleet_rules: Any = None,
        decide_timeout_s: float = 30.0,
        slot_idle_s: float = 120.0,
        progress: bool | None = None,
        report_to: str | None = None,
        report_token: str | None = None,
        gpu_nodes: bool | None = None,
        **sandbox_options: Any,
    ) -> None:
        unknown = sorted(set(sandbox_options) - SANDBOX_OPTIONS)
        if unknown:
            raise FleetError(
                f"unknown Fleet option(s): {', '.join(unknown)}; sandbox options are "
                f"{', '.join(sorted(SANDBOX_OPTIONS))}"
            )
        if local and address is not None:
            raise FleetError("give local=True or address=..., not both")
        if on_alert is not None and not callable(on_alert):
            raise FleetError("on_alert must be callable")
        self._ttl = _check_seconds("ttl_s", ttl_s)
        self._idle = _check_seconds("idle_s", idle_s)
        self._decide_timeout = _check_seconds("decide_timeout_s", decide_timeout_s, False)
        slot_idle = _check_seconds("slot_idle_s", slot_idle_s, False)
        self._options: dict[str, Any] = {"policy": policy, **sandbox_options}
        if policy is not None:
            from ..policy import load

            load(policy)  # a bad policy fails here, once, not in every slot
        self._on_alert = on_alert
        self._progress = progress
        self._capacity = Capacity(per_cpu, mem_per_sandbox_mb, max_per_node)
        self.hub = Hub(audit_dir=audit_dir, rules=FleetRules(load_rules(fleet_rules)),
                       audit_key=audit_key)
        #: the events sent on to a ``corral serve`` (``report_to``), if any
        self.report: Any = None
        if report_to is not None:
            from .report import ServerReport

            self.report = ServerReport(report_to, report_token)
            self.hub.subscribe(self.report)
        self._transport: Any
        if local:
            from .local import LocalTransport

            self._transport = LocalTransport(self.hub.ingest, slot_idle or 120.0)
        else:
            from .rayslots import RayTransport

            self._transport = RayTransport(self.hub.ingest, slot_idle or 120.0, address)
        self.backend = self._transport.name
        try:
            nodes = sandbox_nodes(self._transport.nodes(), self._transport.gpus(), gpu_nodes)
        except FleetError:
            self._transport.close()
            if self.report is not None:
                self.report.close()
            raise
        caps = {n: self._capacity.cap(c, m) for n, (c, m) in nodes.items()}
        self._admission = Admission(caps, create_rate)
        self._lock = threading.Lock()
        self._idle_slots: dict[str, list[Any]] = {}
        self._all_slots: list[Any] = []
        self._live: weakref.WeakSet[FleetSandbox] = weakref.WeakSet()
        self._closed = False

    # -- the context ---------------------------------------------------------------

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End every live sandbox, stop every slot (and a Ray this fleet started). Safe
        to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            live = list(self._live)
            slots = list(self._all_slots)
            self._idle_slots.clear()
        self._admission.close()
        for sb in live:
            with contextlib.suppress(Exception):
                sb._slot.end(sb.session, "the fleet closed", "fleet.closed")
        for slot in slots:
            with contextlib.suppress(Exception):
                slot.kill()
        with contextlib.suppress(Exception):
            self._transport.close()
        self.hub.close()
        if self.report is not None:
            self.report.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise FleetError("this fleet is closed")

    # -- sandboxes ---------------------------------------------------------------------

    def sandbox(
        self,
        tags: dict[str, Any] | None = None,
        *,
        on_alert: OnAlert | None = None,
        ttl_s: float | None = None,
        idle_s: float | None = None,
        timeout: float | None = None,
    ) -> FleetSandbox:
        """A sandbox for one episode (waits for room under the caps and the creation
        rate; ``timeout``: FleetError when none comes in time)."""
        self._check_open()
        tags = check_tags(tags)
        if on_alert is not None and not callable(on_alert):
            raise FleetError("on_alert must be callable")
        ttl = _check_seconds("ttl_s", ttl_s) if ttl_s is not None else self._ttl
        idle = _check_seconds("idle_s", idle_s) if idle_s is not None else self._idle
        hook = on_alert or self._on_alert
        node = self._admission.acquire(timeout)
        try:
            slot, info = self._start(node, tags, hook, ttl, idle)
        except BaseException:
            self._admission.release(node)
            raise
        sb = FleetSandbox(self, slot, node, info["session"], tags)
        with self._lock:
            self._live.add(sb)
        return sb

    def _start(
        self,
        node: str,
        tags: dict[str, Any],
        hook: OnAlert | None,
        ttl: float | None,
        idle: float | None,
    ) -> tuple[Any, dict[str, Any]]:
        session = uuid.uuid4().hex[:16]
        spec = {
            "session": session,
            "tags": tags,
            "ttl_s": ttl,
            "idle_s": idle,
            "decide": hook is not None,
            "decide_timeout_s": self._decide_timeout,
            "options": self._options,
        }
        last: BaseException | None = None
        for _ in range(3):  # an idle slot may have exited on its own: take another
            slot = self._take_slot(node)
            self.hub.register(session, tags, hook, functools.partial(slot.decide, session))
            try:
                return slot, slot.create(spec)
            except EpisodeLost as e:
                last = e
                self._drop(slot)
            except BaseException:  # refused (bad options ...): the slot itself is fine
                with self._lock:
                    if not self._closed:
                        self._idle_slots.setdefault(node, []).append(slot)
                raise
        raise FleetError(f"could not start a sandbox on node {node[:12]}: {last}")

    def _take_slot(self, node: str) -> Any:
        with self._lock:
            self._check_open()
            idle = self._idle_slots.get(node) or []
            while idle:
                slot = idle.pop()
                if slot.dead is None:
                    return slot
        slot = self._transport.new_slot(node)
        with self._lock:
            self._all_slots.append(slot)
            closed = self._closed
        if closed:
            slot.kill()
            raise FleetError("this fleet is closed")
        return slot

    def _drop(self, slot: Any) -> None:
        with contextlib.suppress(Exception):
            slot.kill()
        with self._lock, contextlib.suppress(ValueError):
            self._all_slots.remove(slot)

    def _return(self, slot: Any, node: str, session: str) -> None:
        """A sandbox is done with: close it in its slot, give the slot and the place back."""
        reusable = False
        if not self._closed:
            try:
                slot.release()
                reusable = True
            except Exception:
                log.debug("release failed", exc_info=True)
        self.hub.forget(session)
        with self._lock:
            if reusable and not self._closed and slot.dead is None:
                self._idle_slots.setdefault(node, []).append(slot)
            else:
                reusable = False
        if not reusable:
            self._drop(slot)
        self._admission.release(node)

    async def asandbox(self, tags: dict[str, Any] | None = None, **kw: Any) -> AsyncFleetSandbox:
        """:meth:`sandbox` for asyncio code: the handle's calls are awaitable."""
        sb = await asyncio.to_thread(self.sandbox, tags, **kw)
        return AsyncFleetSandbox(sb)

    # -- many episodes -----------------------------------------------------------------

    def map(
        self,
        episode: Callable[[Any, Any], Any],
        items: Iterable[Any],
        *,
        tags: TagsLike = None,
        on_alert: OnAlert | None = None,
        concurrency: int | None = None,
        progress: bool | None = None,
        description: str = "episodes",
    ) -> list[Any]:
        """Run ``episode(sb, item)`` for every item, each in a fresh sandbox, *where the
        sandbox lives* (so ``episode`` must be picklable: a module function, or a
        closure with cloudpickle). Results come back in order; an episode that failed
        (:class:`EpisodeEnded`, :class:`EpisodeLost`, or its own exception) has the
        exception object in its place, and the others are unaffected."""
        self._check_open()
        if not callable(episode):
            raise FleetError("episode must be callable as episode(sb, item)")
        items = list(items)
        if not items:
            return []
        tag_of = _tagger(tags)
        all_tags = [tag_of(item) for item in items]  # bad tags fail before anything runs
        fn = self._transport.prepare_fn(episode)
        width = concurrency or min(len(items), max(1, self._admission.total()), 256)
        results: list[Any] = [None] * len(items)

        def one(i: int) -> None:
            try:
                sb = self.sandbox(all_tags[i], on_alert=on_alert)
            except BaseException as e:
                results[i] = e
                return
            try:
                results[i] = sb._slot.episode(fn, items[i])
            except BaseException as e:
                if isinstance(e, EpisodeEnded):
                    self.hub.mark_ended(sb.session, e.rule, str(e), sb.step)
                results[i] = e
            finally:
                sb.close()

        show = self._progress if progress is None else progress
        if show is None:
            show = sys.stderr.isatty()
        with ThreadPoolExecutor(width, thread_name_prefix="fleet-map") as pool:
            futures = [pool.submit(one, i) for i in range(len(items))]
            if show:
                from rich.console import Console
                from rich.progress import Progress

                with Progress(console=Console(stderr=True)) as bar:
                    task = bar.add_task(description, total=len(items))
                    for fut in futures:
                        fut.result()
                        bar.advance(task)
            else:
                for fut in futures:
                    fut.result()
        return results

    # -- what the fleet saw --------------------------------------------------------------

    def alerts(self, run: Any = None, **tags: Any) -> list[FleetAlert]:
        """The alerts (oldest first), of one run / matching tags (``episode=3``)."""
        self.sync()
        return self.hub.alerts(run=run, **tags)

    def verdicts(self, run: Any = None, **tags: Any) -> Verdicts:
        """One row per decision on an alert and per ended episode: run, episode, step,
        rule, action (``end``/``mark``/``continue``), time (a list of dicts; ``.to_pandas()``)."""
        self.sync()
        return self.hub.verdicts(run=run, **tags)

    def sync(self) -> None:
        """Take in every event the slots have sent so far (the queries do this)."""
        if not self._closed:
            self._transport.flush()

    def events(self, run: Any = None, **tags: Any) -> Iterator[Event]:
        """Every :class:`~corral.events.Event` of every sandbox from now on (with their
        ``tags`` and ``step``; plus ``episode.ended`` and ``fleet.alert``), of one run /
        matching tags, until the fleet closes."""
        return self.hub.stream(run=run, **tags)

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event (on the fleet's event thread: keep
        it quick); returns the unsubscribe function."""
        if not callable(callback):
            raise FleetError("callback must be callable")
        return self.hub.subscribe(callback)

    def audit_path(self, run: Any) -> Path | None:
        """Where the run's audit log is (``None`` without ``audit_dir``)."""
        self.sync()
        return self.hub.audit_path(run)

    def reap(self, **tags: Any) -> int:
        """End and close every live sandbox whose tags match (``reap(run="r1")``)."""
        if not tags:
            raise FleetError("reap needs at least one tag to match (e.g. run='r1')")
        with self._lock:
            live = [
                sb
                for sb in self._live
                if not sb._closed and all(sb.tags.get(k) == v for k, v in tags.items())
            ]
        for sb in live:
            sb.end("reaped by the trainer", "fleet.reap")
            sb.close()
        return len(live)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            slots = [s for s in self._all_slots if s.dead is None]
        return {
            "backend": self.backend,
            "live": sum(self._admission.live.values()),
            "caps": self._admission.caps,
            "slots": len(slots),
            "slot_pids": [s.pid for s in slots],
        }


def _tagger(tags: TagsLike) -> Callable[[Any], dict[str, Any]]:
    if tags is None:
        return lambda item: {}
    if callable(tags):
        return lambda item: check_tags(tags(item))
    fixed = check_tags(tags)
    return lambda item: dict(fixed)


class FleetSandbox:
    """The trainer's handle on one episode's sandbox: the :class:`~corral.Sandbox`
    API (``run``, ``python``, ``js``, ``exec``, ``files``), each call one step,
    returning :class:`StepResult` (``r.step``, ``r.alerts``)."""

    def __init__(
        self, fleet: Fleet, slot: Any, node: str, session: str, tags: dict[str, Any]
    ) -> None:
        self._fleet = fleet
        self._slot = slot
        self.node = node
        self.session = session
        self.tags = dict(tags)
        self.files = _RemoteFiles(self)
        self._closed = False
        self._close_lock = threading.Lock()
        self.step = 0
        # a handle dropped without close() gives its slot and its place back
        self._finalizer = weakref.finalize(self, _abandoned, fleet, slot, node, session)

    def __enter__(self) -> FleetSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FleetSandbox(tags={self.tags!r}, verdict={self.verdict!r})"

    @property
    def pid(self) -> int | None:
        """The pid of the process (actor or worker) holding the sandbox."""
        return self._slot.pid

    def _call(self, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self._closed:
            raise FleetError("this fleet sandbox is closed")
        info = self._fleet.hub.info(self.session)
        if info is not None and info.verdict == "ended":
            raise EpisodeEnded(
                f"episode {_label(self.tags)} was ended"
                + (f" (rule {info.ended_rule})" if info.ended_rule else ""),
                info.ended_rule,
                self.tags,
            )
        try:
            out, self.step = self._slot.call(method, args, kwargs)
            if isinstance(out, StepResult) and out.alerts:
                self._fleet.hub.flag(self.session)  # the event stream may still be on its way
        except EpisodeEnded as e:
            self._fleet.hub.mark_ended(self.session, e.rule, str(e), self.step)
            raise
        except EpisodeLost as e:
            e.tags = dict(self.tags)
            self._fleet.hub.mark_ended(self.session, "fleet.lost", str(e), self.step)
            raise EpisodeLost(f"episode {_label(self.tags)}: {e}", self.tags) from None
        return out

    def run(self, script: str, **kw: Any) -> StepResult:
        return self._call("run", [script], kw)

    def python(self, code: str, **kw: Any) -> StepResult:
        return self._call("python", [code], kw)

    def js(self, code: str, **kw: Any) -> StepResult:
        return self._call("js", [code], kw)

    def exec(self, argv: list[str], **kw: Any) -> StepResult:
        return self._call("exec", [argv], kw)

    @property
    def verdict(self) -> str:
        """``"clean"`` (no alert), ``"flagged"`` (alerts, episode going on) or ``"ended"``."""
        info = self._fleet.hub.info(self.session)
        return info.verdict if info is not None else "clean"

    @property
    def alerts(self) -> list[FleetAlert]:
        return [a for a in self._fleet.hub.alerts() if a.session == self.session]

    def alive(self) -> bool:
        """Whether the sandbox is there and usable (not closed, ended or lost)."""
        if self._closed or self._slot.dead is not None:
            return False
        try:
            st = self._slot.status()
        except Exception:
            return False
        return bool(st.get("has_sandbox")) and st.get("ended") is None

    def end(self, reason: str = "ended by the trainer", rule: str | None = "fleet.end") -> None:
        """End the episode now (its sandbox is killed; later calls raise EpisodeEnded)."""
        self._fleet.hub.mark_ended(self.session, rule, reason, self.step)
        self._slot.end(self.session, reason, rule)

    def close(self) -> None:
        """Close the sandbox and free its place (idempotent)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._finalizer.detach()
        with self._fleet._lock:
            self._fleet._live.discard(self)
        self._fleet._return(self._slot, self.node, self.session)


class _RemoteFiles:
    def __init__(self, sb: FleetSandbox) -> None:
        self._sb = sb

    def __getattr__(self, name: str) -> Any:
        from .slot import CALLS

        method = f"files.{name}"
        if method not in CALLS:
            raise AttributeError(name)
        return lambda *a, **kw: self._sb._call(method, list(a), kw)


class AsyncFleetSandbox:
    """:class:`FleetSandbox` for asyncio: every call is awaitable."""

    def __init__(self, sb: FleetSandbox) -> None:
        self.sandbox = sb
        self.tags = sb.tags
        self.files = _AsyncFiles(sb)

    @property
    def verdict(self) -> str:
        return self.sandbox.verdict

    @property
    def step(self) -> int:
        return self.sandbox.step

    @property
    def session(self) -> str:
        return self.sandbox.session

    @property
    def alerts(self) -> list[FleetAlert]:
        return self.sandbox.alerts

    async def end(self, reason: str = "ended by the trainer") -> None:
        await asyncio.to_thread(self.sandbox.end, reason)

    async def run(self, script: str, **kw: Any) -> StepResult:
        return await asyncio.to_thread(self.sandbox.run, script, **kw)

    async def python(self, code: str, **kw: Any) -> StepResult:
        return await asyncio.to_thread(self.sandbox.python, code, **kw)

    async def js(self, code: str, **kw: Any) -> StepResult:
        return await asyncio.to_thread(self.sandbox.js, code, **kw)

    async def exec(self, argv: list[str], **kw: Any) -> StepResult:
        return await asyncio.to_thread(self.sandbox.exec, argv, **kw)

    async def alive(self) -> bool:
        return await asyncio.to_thread(self.sandbox.alive)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.sandbox.close)

    async def __aenter__(self) -> AsyncFleetSandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _AsyncFiles:
    def __init__(self, sb: FleetSandbox) -> None:
        self._files = sb.files

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._files, name)

        async def call(*a: Any, **kw: Any) -> Any:
            return await asyncio.to_thread(fn, *a, **kw)

        return call


def _abandoned(fleet: Fleet, slot: Any, node: str, session: str) -> None:
    """A FleetSandbox was garbage-collected unclosed: return it off the collector's back."""
    threading.Thread(
        target=fleet._return, args=(slot, node, session), name="fleet-abandoned", daemon=True
    ).start()


def _label(tags: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in tags.items()) or "untagged"
