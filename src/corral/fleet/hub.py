"""The trainer's end of the fleet: every sandbox's events arrive here (in batches, from
any number of slots), are written to one audit log per run, handed to subscribers and
``fleet.events()`` iterators, turned into alerts with their tags and evidence, put to
the ``on_alert`` callbacks, and checked against the fleet rules."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..events import Event
from .records import ACTIONS, FleetAlert, verdict_row
from .rules import FleetRules

log = logging.getLogger("corral.fleet")

OnAlert = Callable[[FleetAlert], Any]
EVIDENCE_EVENTS = 200  # per session: the recent events an alert can cite
MAX_ALERTS = 100_000  # kept in memory (the audit log keeps all)
MAX_SESSIONS = 1_000_000  # verdicts remembered for sandbox handles
_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass
class SessionInfo:
    tags: dict[str, Any]
    on_alert: OnAlert | None
    decide: Callable[[str, str], None]
    verdict: str = "clean"
    ended_rule: str | None = None
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=EVIDENCE_EVENTS))


class Verdicts(list):  # type: ignore[type-arg]
    """``fleet.verdicts()``: a list of dicts (run, episode, step, rule, action, time, ...)."""

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(list(self))


def audit_name(run: Any) -> str:
    """The audit file name of a run: the run itself when it is a plain name, else a
    sanitized form with a hash (so ``../x`` or two runs differing only by unsafe
    characters never meet)."""
    text = "untagged" if run is None else str(run)
    if _SAFE_NAME.fullmatch(text) and not text.startswith("."):
        return f"{text}.sqlite"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", text)[:40].lstrip(".") or "run"
    return f"{safe}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.sqlite"


class Hub:
    def __init__(
        self,
        *,
        audit_dir: str | Path | None,
        rules: FleetRules,
        audit_key: bytes | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._audit_dir = Path(audit_dir) if audit_dir is not None else None
        if self._audit_dir is not None:
            self._audit_dir.mkdir(parents=True, exist_ok=True)
        self._audit_key = audit_key
        self._audits: dict[str, Any] = {}
        #: audit rows of the batch being ingested: (run, kind, body, session), written in
        #: one transaction per run log at the batch's end (:meth:`_flush_audit`)
        self._pending: list[tuple[Any, str, dict[str, Any], str | None]] = []
        #: audit rows that could not be written (the error is logged)
        self.audit_lost = 0
        self._rules = rules
        self._sessions: dict[str, SessionInfo] = {}
        self._alerts: deque[FleetAlert] = deque(maxlen=MAX_ALERTS)
        self._verdicts: list[dict[str, Any]] = []
        self._subs: list[Callable[[Event], None]] = []
        self._fleet_seq = 0
        self._queues: list[queue.Queue[Event | None]] = []
        self.dropped = 0
        self._closed = False
        self._decider = ThreadPoolExecutor(1, thread_name_prefix="fleet-on-alert")

    # -- sessions ----------------------------------------------------------------

    def register(
        self,
        session: str,
        tags: dict[str, Any],
        on_alert: OnAlert | None,
        decide: Callable[[str, str], None],
    ) -> None:
        with self._lock:
            self._sessions[session] = SessionInfo(dict(tags), on_alert, decide)

    def forget(self, session: str) -> None:
        """A closed sandbox: its verdict stays, its evidence buffer and hook go."""
        with self._lock:
            info = self._sessions.get(session)
            if info is not None:
                info.recent = deque(maxlen=1)
                info.on_alert = None
            while len(self._sessions) > MAX_SESSIONS:  # the oldest closed ones
                self._sessions.pop(next(iter(self._sessions)))

    def flag(self, session: str) -> None:
        with self._lock:
            info = self._sessions.get(session)
            if info is not None and info.verdict == "clean":
                info.verdict = "flagged"

    def info(self, session: str) -> SessionInfo | None:
        with self._lock:
            return self._sessions.get(session)

    def mark_ended(self, session: str, rule: str | None, reason: str, step: int = 0) -> None:
        with self._lock:
            info = self._sessions.get(session)
            if info is None or info.verdict == "ended":
                return
            info.verdict, info.ended_rule = "ended", rule
            self._verdicts.append(
                {
                    "run": info.tags.get("run"),
                    "episode": info.tags.get("episode"),
                    "step": step,
                    "rule": rule,
                    "action": "end",
                    "time": _now(),
                    "severity": None,
                    "session": session,
                    "reason": reason,
                }
            )

    # -- events ------------------------------------------------------------------

    def ingest(self, batch: list[dict[str, Any]]) -> None:
        """A batch of one slot's events (JSON dicts), in order. Their audit rows are
        written together at the end (one commit per run log, not one per event)."""
        try:
            for doc in batch:
                if not isinstance(doc, dict):
                    continue
                try:
                    self._one(doc)
                except Exception:
                    log.exception("fleet: could not handle an event of type %r", doc.get("type"))
        finally:
            with self._lock:
                self._flush_audit()

    def _one(self, doc: dict[str, Any]) -> None:
        try:
            event = Event.model_validate(doc)
        except ValidationError as e:
            log.error("fleet: an event that is not one dropped: %s", e)
            return
        kind = event.type
        session = event.session
        decide: tuple[OnAlert | None, Callable[[str, str], None], FleetAlert] | None = None
        with self._lock:
            info = self._sessions.get(session)
            self._audit_event(event.tags.get("run"), event)
            if info is not None:
                info.recent.append(doc)
            self._fan_out(event)
            if kind == "monitor.alert":
                alert = FleetAlert.from_event(doc)
                if info is not None:
                    alert.events = [
                        e for e in info.recent if e.get("step") == alert.step and e is not doc
                    ]
                    if info.verdict == "clean":
                        info.verdict = "flagged"
                    decide = (info.on_alert, info.decide, alert)
                self._add_alert(alert)
            elif kind in ("episode.ended", "session.killed") and info is not None:
                data = doc.get("data") or {}
                rule = data.get("rule") if kind == "episode.ended" else self._kill_rule(session)
                self.mark_ended(session, rule, str(data.get("reason", kind)), event.step)
        if decide is not None:
            # on the decider thread: the thread that reads a slot's pipe never waits
            # on the trainer's code
            self._decider.submit(self._decide, *decide)

    def _kill_rule(self, session: str) -> str | None:
        for a in reversed(self._alerts):
            if a.session == session and a.response == "kill":
                return a.rule
        return None

    def _decide(
        self, on_alert: OnAlert | None, send: Callable[[str, str], None], alert: FleetAlert
    ) -> None:
        """Put the alert to the trainer's callback (outside the lock) and tell the slot."""
        action = "continue"
        if on_alert is not None:
            try:
                answer = on_alert(alert)
                action = "continue" if answer is None else str(answer)
                if action not in ACTIONS:
                    log.error(
                        "on_alert returned %r (expected one of %s): ending the episode",
                        answer,
                        ", ".join(ACTIONS),
                    )
                    action = "end"
            except Exception:
                log.exception("on_alert failed on %s: ending the episode", alert.rule)
                action = "end"
        with self._lock:
            alert.action = action
            info = self._sessions.get(alert.session)
            if action == "end" and info is not None:
                self.mark_ended(alert.session, alert.rule, alert.summary, alert.step)
            elif info is not None:
                self._verdicts.append(verdict_row(alert, action))
            self._audit(
                alert.tags.get("run"),
                "decision",
                {"alert": alert.id, "rule": alert.rule, "action": action, "tags": alert.tags},
                alert.session,
            )
            self._flush_audit()
        if on_alert is not None:
            try:
                send(alert.id, action)
            except Exception:
                log.debug("could not send the decision on %s", alert.id, exc_info=True)

    def _add_alert(self, alert: FleetAlert) -> None:
        self._alerts.append(alert)
        self._audit(
            alert.tags.get("run"), "alert", alert.model_dump(mode="json", exclude={"events"}),
            alert.session,
        )
        if alert.source == "sandbox":
            for extra in self._rules.observe(alert):
                self._fleet_seq += 1
                event = Event(
                    session=extra.session,
                    seq=self._fleet_seq,
                    time=extra.time,
                    type="fleet.alert",
                    tags=extra.tags,
                    step=extra.step,
                    data=extra.model_dump(mode="json"),
                )
                self._audit_event(extra.tags.get("run"), event)
                self._fan_out(event)
                self._add_alert(extra)

    def _fan_out(self, event: Event) -> None:
        for fn in self._subs:
            try:
                fn(event)
            except Exception:
                log.exception("fleet subscriber %r failed", fn)
        for q in self._queues:
            try:
                q.put_nowait(event)
            except queue.Full:
                self.dropped += 1

    # -- the audit logs --------------------------------------------------------------

    def _log_for(self, run: Any) -> Any:
        if self._audit_dir is None or self._closed:
            return None
        name = audit_name(run)
        log_ = self._audits.get(name)
        if log_ is None:
            from ..audit import AuditLog

            log_ = self._audits[name] = AuditLog(self._audit_dir / name, key=self._audit_key)
        return log_

    def _audit_event(self, run: Any, event: Event) -> None:
        self._audit(run, "event", event.model_dump(mode="json"), event.session)

    def _audit(self, run: Any, kind: str, body: dict[str, Any], session: str | None) -> None:
        """Queue a row for the run's audit log (under the lock; written by the next
        :meth:`_flush_audit`, in order)."""
        if self._audit_dir is not None and not self._closed:
            self._pending.append((run, kind, body, session))

    def _flush_audit(self) -> None:
        """Write the queued rows: one transaction per run log, each run's rows in the
        order they came. Called under the lock at the end of each ingested batch and
        after each decision."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        by_run: dict[str, tuple[Any, list[tuple[str, dict[str, Any], str | None]]]] = {}
        for run, kind, body, session in pending:
            by_run.setdefault(audit_name(run), (run, []))[1].append((kind, body, session))
        for run, rows in by_run.values():
            try:
                audit = self._log_for(run)
                if audit is not None:
                    audit.extend(rows)
            except Exception as e:
                self.audit_lost += len(rows)
                log.error("fleet: %d audit rows of run %r not written: %s", len(rows), run, e)

    def audit_path(self, run: Any) -> Path | None:
        return None if self._audit_dir is None else self._audit_dir / audit_name(run)

    # -- queries ----------------------------------------------------------------------

    def alerts(self, **match: Any) -> list[FleetAlert]:
        with self._lock:
            return [a for a in self._alerts if _matches(a.tags, match)]

    def verdicts(self, **match: Any) -> Verdicts:
        with self._lock:
            return Verdicts(dict(v) for v in self._verdicts if _matches(v, match))

    def subscribe(self, fn: Callable[[Event], None]) -> Callable[[], None]:
        with self._lock:
            self._subs = [*self._subs, fn]

        def unsubscribe() -> None:
            with self._lock:
                self._subs = [s for s in self._subs if s is not fn]

        return unsubscribe

    def stream(self, maxsize: int = 100_000, **match: Any) -> Iterator[dict[str, Any]]:
        q: queue.Queue[Event | None] = queue.Queue(maxsize)
        with self._lock:
            if self._closed:
                return iter(())
            self._queues = [*self._queues, q]

        def gen() -> Iterator[Event]:
            try:
                while True:
                    try:
                        doc = q.get(timeout=0.5)
                    except queue.Empty:
                        if self._closed:
                            return
                        continue
                    if doc is None:
                        return
                    if _matches(doc.tags, match):
                        yield doc
            finally:
                with self._lock:
                    self._queues = [x for x in self._queues if x is not q]

        return gen()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._flush_audit()
            self._closed = True
            for q in self._queues:
                with contextlib.suppress(queue.Full):
                    q.put_nowait(None)
            self._decider.shutdown(wait=False, cancel_futures=True)
            for audit in self._audits.values():
                with contextlib.suppress(Exception):
                    audit.close()
            self._audits.clear()


def _matches(tags: dict[str, Any], match: dict[str, Any]) -> bool:
    return all(tags.get(k) == v for k, v in match.items() if v is not None)


def _now() -> float:
    import time

    return time.time()
