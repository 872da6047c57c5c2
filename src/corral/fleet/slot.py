"""One slot: the process-side keeper of one episode's sandbox at a time.

A slot lives in a Ray actor or a pool worker (the same class for both). It owns the
:class:`~corral.Sandbox` of the episode it serves, numbers its steps, sends its events
to the trainer (``push``, in batches), waits for the trainer's decision on an alert
before the step that raised it returns (when the episode has an ``on_alert``), and
enforces the TTL and the idle timeout itself with a watchdog thread, so a sandbox
never outlives them even if the trainer is gone. A slot with no sandbox for
``slot_idle_s`` (or whose trainer vanished) tells its host to exit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from ..budget import RunResult
from ..errors import SessionStopped
from ..events import Event, EventBus, check_tags
from .records import ACTIONS, EpisodeEnded, FleetAlert, FleetError, StepResult

log = logging.getLogger("corral.fleet")

#: what a trainer may call on a slot's sandbox (one step each)
CALLS = frozenset(
    {
        "run",
        "python",
        "js",
        "exec",
        "files.read",
        "files.read_bytes",
        "files.write",
        "files.upload",
        "files.download",
        "files.list",
        "files.mkdir",
        "files.delete",
        "files.exists",
    }
)
#: the Sandbox arguments a fleet passes through (everything else is the fleet's)
SANDBOX_OPTIONS = frozenset(
    {"policy", "budget", "backend", "monitor", "env", "backend_options", "capabilities", "tools"}
)
FLUSH_S = 0.02  # how long the sender waits to batch events
MAX_OUTBOX = 20_000  # events waiting to be sent before the sandbox's step waits


class SlotCore:
    """Serve one sandbox at a time; see the module's docstring.

    ``push(batch)`` sends a list of JSON-able event dicts to the trainer; ``on_exit``
    is called (once) when the slot decides its host should exit."""

    def __init__(
        self,
        push: Callable[[list[dict[str, Any]]], None],
        *,
        slot_idle_s: float = 120.0,
        parent_pid: int | None = None,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self._push = push
        self._slot_idle_s = slot_idle_s
        self._parent_pid = parent_pid
        self._on_exit = on_exit
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._call_lock = threading.Lock()  # one call at a time on the sandbox
        self._push_lock = threading.Lock()
        self.sb: Any = None
        self._spec: dict[str, Any] = {}
        self._ended: tuple[str, str | None] | None = None
        self._outbox: list[dict[str, Any]] = []
        self._step_events: list[dict[str, Any]] = []  # this step's events (evidence)
        self._pending: set[str] = set()
        self._decisions: dict[str, str] = {}
        self._busy = False
        self._created = self._last = time.monotonic()
        self._free_since = time.monotonic()
        self._closing = False
        self._unsub: Callable[[], None] | None = None
        self._sender = threading.Thread(target=self._send_loop, name="slot-sender", daemon=True)
        self._sender.start()
        self._watch = threading.Thread(target=self._watch_loop, name="slot-watchdog", daemon=True)
        self._watch.start()

    # -- lifecycle ---------------------------------------------------------------

    def create(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Start a sandbox for one episode: ``spec`` has ``session``, ``tags``, ``ttl_s``,
        ``idle_s``, ``decide`` (wait for the trainer's decision on alerts),
        ``decide_timeout_s`` and ``options`` (Sandbox arguments)."""
        from ..sandbox import Sandbox

        with self._lock:
            if self.sb is not None:
                raise FleetError("this slot already holds a sandbox")
            if self._closing:
                raise FleetError("this slot is shutting down")
        options = dict(spec.get("options") or {})
        unknown = sorted(set(options) - SANDBOX_OPTIONS)
        if unknown:
            raise FleetError(f"unknown sandbox option(s): {', '.join(unknown)}")
        bus = EventBus()
        unsub = bus.subscribe(self._on_event)
        sb = Sandbox(bus=bus, session=spec["session"], tags=check_tags(spec.get("tags")), **options)
        with self._lock:
            self.sb, self._spec, self._unsub = sb, dict(spec), unsub
            self._ended = None
            self._pending.clear()
            self._decisions.clear()
            self._step_events = []
            self._created = self._last = time.monotonic()
        return {"pid": os.getpid(), "session": sb.session}

    def release(self) -> None:
        """Close the sandbox (its directory goes) and make the slot free again."""
        with self._call_lock:
            self._close_sandbox()
        self._flush()

    def _close_sandbox(self) -> None:
        with self._lock:
            sb, unsub = self.sb, self._unsub
            self.sb, self._unsub = None, None
            self._free_since = time.monotonic()
        if sb is not None:
            with contextlib.suppress(Exception):
                sb.close()
        if unsub is not None:
            unsub()

    def end(self, reason: str, rule: str | None = None, session: str | None = None) -> None:
        """End the episode now: kill what runs, refuse later calls (``EpisodeEnded``).
        With ``session``, only if this slot still serves that episode (a late message
        never ends the next episode of a reused slot)."""
        with self._lock:
            if self.sb is None or (session is not None and session != self._spec.get("session")):
                return
            first = self._ended is None
            if first:
                self._ended = (reason, rule)
            sb = self.sb
            self._cond.notify_all()
        if first:
            # not under the slot's lock: emitting takes the session's event lock, which a
            # thread emitting an event holds while it waits for the slot's lock
            self._emit_note("episode.ended", {"reason": reason, "rule": rule})
        _kill(sb)
        if self._call_lock.acquire(blocking=False):  # else the running call closes it
            try:
                self._close_sandbox()
            finally:
                self._call_lock.release()

    def decide(self, session: str, alert_id: str, action: str) -> None:
        """The trainer's answer on one alert of episode ``session`` (``end`` ends the
        episode at once)."""
        action = action if action in ACTIONS else "end"
        with self._lock:
            if session != self._spec.get("session"):
                return  # an answer about an earlier episode of this slot
            self._decisions[alert_id] = action
            self._pending.discard(alert_id)
            self._cond.notify_all()
        if action == "end":
            self.end("the trainer's on_alert ended it", self._rule_of(alert_id), session)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "pid": os.getpid(),
                "has_sandbox": self.sb is not None,
                "ended": self._ended,
                "busy": self._busy,
                "step": self.sb.step if self.sb is not None else 0,
            }

    def shutdown(self) -> None:
        """Close everything (the host is about to exit)."""
        with self._lock:
            self._closing = True
            self._cond.notify_all()
        sb = self.sb
        if sb is not None:
            _kill(sb)
        with self._call_lock:
            self._close_sandbox()
        self._flush()

    # -- calls -------------------------------------------------------------------

    def call(self, method: str, args: list[Any], kwargs: dict[str, Any]) -> tuple[Any, int]:
        """One step on the sandbox (``method`` one of :data:`CALLS`): its value (a run's
        :class:`StepResult`) and the step's number."""
        if method not in CALLS:
            raise FleetError(f"unknown sandbox call {method!r}; one of {', '.join(sorted(CALLS))}")
        with self._call_lock:
            sb = self._current()
            target: Any = sb.files if method.startswith("files.") else sb
            fn = getattr(target, method.removeprefix("files."))
            with self._lock:
                self._busy = True
                self._step_events = []
            try:
                out = fn(*args, **kwargs)
            except SessionStopped as e:
                raise self._ended_error(str(e)) from None
            except Exception:
                # a refused step (ActionDenied, a missing file ...) returns only once its
                # alerts were answered too, like any other step
                self._settle()
                if self._ended is not None:
                    self._close_sandbox()
                raise
            finally:
                with self._lock:
                    self._busy = False
                    self._last = time.monotonic()
            step = sb.step
            alerts = self._settle()
            if self._ended is not None:
                # ended while this step ran: nothing of the sandbox is kept running
                self._close_sandbox()
            if isinstance(out, RunResult):
                base = {f.name: getattr(out, f.name) for f in fields(RunResult)}
                out = StepResult(**base, step=step, alerts=alerts)
            return out, step

    def run_episode(self, fn: Callable[..., Any], item: Any) -> Any:
        """``fn(handle, item)`` here, next to the sandbox: the handle has the
        sandbox's API, each call a step as for the trainer's handle."""
        return fn(LocalHandle(self), item)

    def _current(self) -> Any:
        with self._lock:
            if self._ended is not None:
                raise self._ended_error()
            if self.sb is None:
                raise FleetError("this sandbox was closed")
            return self.sb

    def _ended_error(self, why: str | None = None) -> EpisodeEnded:
        tags = dict(self._spec.get("tags") or {})
        if self._ended is None:  # the monitor itself killed the session
            rule = self._last_kill_rule()
            self._ended = (why or "killed by the monitor", rule)
            self._emit_note("episode.ended", {"reason": self._ended[0], "rule": rule})
        reason, rule = self._ended
        label = ", ".join(f"{k}={v}" for k, v in tags.items()) or "untagged"
        named = f" (rule {rule})" if rule else ""
        return EpisodeEnded(f"episode {label} was ended{named}: {reason}", rule, tags)

    def _last_kill_rule(self) -> str | None:
        sb = self.sb
        if sb is None:
            return None
        for alert in reversed(sb.alerts):
            if alert.response == "kill":
                return str(alert.rule)
        return None

    def _rule_of(self, alert_id: str) -> str | None:
        for ev in reversed(self._step_events):
            if ev.get("type") == "monitor.alert" and (ev.get("data") or {}).get("id") == alert_id:
                return str(ev["data"].get("rule"))
        sb = self.sb
        for alert in sb.alerts if sb is not None else []:
            if alert.id == alert_id:
                return str(alert.rule)
        return None

    def _settle(self) -> list[FleetAlert]:
        """The step's alerts; with ``decide``, after the trainer answered on each (no
        answer within ``decide_timeout_s``: the episode is ended, failing closed)."""
        self._flush()
        deadline = time.monotonic() + float(self._spec.get("decide_timeout_s", 30.0))
        with self._lock:
            while (
                self._pending
                and self._spec.get("decide")
                and self._ended is None
                and not self._closing
            ):
                left = deadline - time.monotonic()
                if left <= 0:
                    for aid in list(self._pending):
                        self._decisions[aid] = "end"
                    self._pending.clear()
                    self._ended = self._ended or ("the trainer did not answer on an alert", None)
                    break
                self._cond.wait(min(left, 0.5))
            events = list(self._step_events)
            decisions = dict(self._decisions)
        alerts = []
        for ev in events:
            if ev.get("type") == "monitor.alert":
                alert = FleetAlert.from_event(ev)
                alert.action = decisions.get(alert.id)
                alert.events = [e for e in events if e.get("seq", 0) <= ev.get("seq", 0)]
                alerts.append(alert)
        return alerts

    # -- events ------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        doc = event.model_dump(mode="json")
        with self._lock:
            # backpressure: a sandbox that floods events waits for the trainer to take
            # them (its own step slows down; nothing is dropped, memory stays bounded)
            deadline = time.monotonic() + 60
            while len(self._outbox) >= MAX_OUTBOX and not self._closing:
                self._cond.notify_all()
                if not self._cond.wait(0.5) and time.monotonic() > deadline:
                    break  # the sender is stuck: the trainer is gone, the watchdog acts
            self._outbox.append(doc)
            self._step_events.append(doc)
            if len(self._step_events) > 1000:  # evidence is bounded; the audit has it all
                del self._step_events[:100]
            if event.type == "monitor.alert" and self._spec.get("decide"):
                aid = (event.data or {}).get("id")
                if aid and aid not in self._decisions:
                    self._pending.add(str(aid))
            self._cond.notify_all()

    def _emit_note(self, kind: str, data: dict[str, Any]) -> None:
        """An ``episode.ended`` event in the sandbox's own sequence (for the trainer's
        log and verdicts)."""
        sb = self.sb
        if sb is not None:
            with contextlib.suppress(Exception):
                sb.events.emit(kind, data=data)

    def _flush(self) -> None:
        with self._push_lock:  # batches leave in the order they were taken
            with self._lock:
                batch, self._outbox = self._outbox, []
                self._cond.notify_all()
            if batch:
                try:
                    self._push(batch)
                except Exception:  # the trainer is gone: the watchdog takes over
                    log.debug("could not send %d events", len(batch), exc_info=True)

    def _send_loop(self) -> None:
        while True:
            with self._lock:
                while not self._outbox and not self._closing:
                    self._cond.wait(1.0)
                if self._closing and not self._outbox:
                    return
            time.sleep(FLUSH_S)
            self._flush()

    # -- the watchdog ----------------------------------------------------------------

    def _watch_loop(self) -> None:
        while not self._closing:
            time.sleep(0.2)
            now = time.monotonic()
            with self._lock:
                sb, spec, busy = self.sb, self._spec, self._busy
                created, last, free_since = self._created, self._last, self._free_since
            orphan = self._parent_pid is not None and os.getppid() != self._parent_pid
            if sb is not None:
                ttl, idle = spec.get("ttl_s"), spec.get("idle_s")
                session = spec.get("session")
                if ttl is not None and now - created > ttl:
                    self.end(f"its TTL of {ttl:g} s passed", "fleet.ttl", session)
                    self._close_when_free(session)
                elif idle is not None and not busy and now - last > idle:
                    self.end(f"it was idle for {idle:g} s", "fleet.idle", session)
                    self._close_when_free(session)
                elif orphan:
                    self.end("its trainer is gone", "fleet.orphan", session)
                    self._close_when_free(session)
            elif orphan or now - free_since > self._slot_idle_s:
                self._exit()
                return

    def _close_when_free(self, session: str | None) -> None:
        with self._call_lock:
            if self._spec.get("session") == session and self._ended is not None:
                self._close_sandbox()
        self._flush()

    def _exit(self) -> None:
        self.shutdown()
        if self._on_exit is not None:
            self._on_exit()


def _kill(sb: Any) -> None:
    """Stop whatever the sandbox runs now, without waiting for its lock."""
    mon = getattr(sb, "monitor", None)
    responder = getattr(mon, "responder", None)
    if responder is not None:
        with contextlib.suppress(Exception):
            responder.kill(sb.session)  # interpreters closed, tier killed, calls refused
    else:
        with contextlib.suppress(Exception):
            sb.interrupt()


class LocalHandle:
    """The sandbox handle an episode function gets where the sandbox lives."""

    def __init__(self, core: SlotCore) -> None:
        self._core = core
        self.files = _Files(core)

    @property
    def tags(self) -> dict[str, Any]:
        return dict(self._core._spec.get("tags") or {})

    @property
    def session(self) -> str:
        return str(self._core._spec.get("session"))

    @property
    def step(self) -> int:
        sb = self._core.sb
        return sb.step if sb is not None else 0

    @property
    def verdict(self) -> str:
        core = self._core
        if core._ended is not None:
            return "ended"
        sb = core.sb
        return "flagged" if sb is not None and sb.alerts else "clean"

    def alive(self) -> bool:
        return self._core.sb is not None and self._core._ended is None

    def run(self, script: str, **kw: Any) -> StepResult:
        return self._core.call("run", [script], kw)[0]

    def python(self, code: str, **kw: Any) -> StepResult:
        return self._core.call("python", [code], kw)[0]

    def js(self, code: str, **kw: Any) -> StepResult:
        return self._core.call("js", [code], kw)[0]

    def exec(self, argv: list[str], **kw: Any) -> StepResult:
        return self._core.call("exec", [argv], kw)[0]


class _Files:
    def __init__(self, core: SlotCore) -> None:
        self._core = core

    def __getattr__(self, name: str) -> Any:
        method = f"files.{name}"
        if method not in CALLS:
            raise AttributeError(name)
        return lambda *a, **kw: self._core.call(method, list(a), kw)[0]
