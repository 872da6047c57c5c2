"""The monitor: rules and an anomaly score over the event stream, alerts, responses.

::

    monitor = Monitor(packs=["default"], on={"critical": "kill", "high": "ask"},
                      responder=my_responder, on_alert=print)
    monitor.attach(bus)                      # observe() every event on the bus
    alert = monitor.precheck(action, session)  # before an action runs (from the gate)
    monitor.alerts(session)

:meth:`Monitor.observe` looks at one event and returns the new alerts; state for
thresholds, sequences and the anomaly score is kept per session, bounded, under one
lock. Time is the event's ``time`` (``precheck`` uses ``clock()``), so tests can drive
windows with a fake clock.

Responses: each alert gets the rule's ``response`` or, by severity, the ``on`` map
(default ``critical: kill, high: ask, medium: alert, low: log``; ``ignore`` drops the
alert). For alerts from :meth:`observe` the monitor calls ``on_alert(alert)`` and then
the :class:`Responder`: ``kill(session)``, ``pause(session)`` or ``ask(alert)`` (a ``no``
kills the session). ``deny`` cannot undo an action already reported, so it only
matters for :meth:`precheck`, which records the alert and calls ``on_alert`` but leaves
enforcement to its caller (the gate blocks on ``deny``/``ask``/``pause``/``kill``; call
:meth:`respond` to have the responder act). On an ``action.denied`` event (the policy
already stopped it) ``deny`` and ``ask`` are recorded as ``alert``.

Identical alerts (same session, rule and subject; for thresholds and sequences the same
rule and group) within ``dedup_s`` seconds are counted on the first one instead of
being raised again, so a precheck alert and the events of the same action give one.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from pydantic import BaseModel, Field

from ..events import Event, EventBus
from ..policy.shellsplit import render
from .anomaly import AnomalyState, Baseline, Finding, default_baseline
from .loader import Pack, resolve
from .prepared import _SCALARS as _KEY_SCALARS
from .prepared import (
    KEPT,
    MAX_TEXT,
    PENDING,
    Prepared,
    content_key,
    plain_shape,
    plain_size,
    prepare,
)
from .prepared import counted as counted_of
from .rules import (
    MATCH,
    RESPONSE_RANK,
    RESPONSES,
    SEVERITY_RANK,
    THRESHOLD,
    Plan,
    Rule,
    RuleIndex,
    Subject,
    Threshold,
    cond_uses,
    same_value,
    short,
    split_script,
    subjects_of,
)
from .scorer import RULE_ID as LEARNED_RULE
from .scorer import CommandScorer, Score, ScorerError, command_text, default_scorer
from .scorer import enabled as scorer_enabled

__all__ = [
    "DEFAULT_ON",
    "Alert",
    "Contribution",
    "Evidence",
    "Monitor",
    "Responder",
]

log = logging.getLogger("corral.monitor")

Severity = Literal["low", "medium", "high", "critical"]
ResponseName = Literal["log", "alert", "deny", "ask", "pause", "kill"]
DEFAULT_ON: Final[dict[str, str]] = {
    "critical": "kill",
    "high": "ask",
    "medium": "alert",
    "low": "log",
}
BLOCKING: Final = frozenset({"deny", "ask", "pause", "kill"})
_ATTEMPTS: Final = frozenset({"action.requested", "action.denied"})
#: the event types whose action is fingerprinted (attempts and completions)
_ACTION_TYPES: Final = _ATTEMPTS | {"action.completed"}
_MAX_WINDOWS: Final = 512
_MAX_PARTIALS: Final = 64
_MAX_EVIDENCE: Final = 8
_UNPLANNED: Final = object()  # no plan looked up yet (a plan may be None)


class Evidence(BaseModel):
    """One event behind an alert (``event`` is ``None`` for a precheck)."""

    event: str | None = None
    seq: int | None = None
    type: str | None = None
    description: str


class Contribution(BaseModel):
    """How much one feature drove an anomaly alert."""

    feature: str
    value: float
    baseline: float
    scale: float
    z: float


class Alert(BaseModel):
    """Something the monitor saw and says. JSON-serialisable (``model_dump_json``)."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    rule: str
    title: str
    severity: Severity
    technique: str | None = None
    summary: str
    session: str
    time: float
    evidence: list[Evidence] = Field(default_factory=list)
    response: ResponseName
    explanation: list[Contribution] = Field(default_factory=list)
    #: the rule's own labels (``["mining", "persistence"]``)
    rule_tags: list[str] = Field(default_factory=list)
    #: the sandbox's tags on the event that raised it (``Sandbox(tags=…)``: run, episode…)
    #: and the number of the call it came from as ``step`` (as on a fleet's alerts)
    tags: dict[str, Any] = Field(default_factory=dict)
    source: Literal["rule", "anomaly", "learned"] = "rule"
    #: what a detector that is not a rule measured (the learned scorer: score, threshold,
    #: model version, the window of the text scored and its top features)
    details: dict[str, Any] = Field(default_factory=dict)
    precheck: bool = False
    count: int = 1
    answer: bool | None = None  # the person's answer when the response was ``ask``

    @property
    def blocking(self) -> bool:
        """Whether the response stops an action that has not run yet."""
        return self.response in BLOCKING


class Responder(Protocol):
    """Carries out responses; the sandbox implements it."""

    def kill(self, session: str) -> None: ...

    def pause(self, session: str) -> None: ...

    def ask(self, alert: Alert) -> bool: ...


# ---------------------------------------------------------------------------------- state


class _Window:
    """The events of one threshold group inside its time window."""

    __slots__ = ("counts", "items", "total")

    def __init__(self) -> None:
        self.items: deque[tuple[float, Any, str | None, str]] = deque()
        self.counts: dict[Any, int] = {}
        self.total = 0.0

    def copy(self) -> _Window:
        w = _Window()
        w.items = deque(self.items)
        w.counts = dict(self.counts)
        w.total = self.total
        return w

    def _drop(self, th: Threshold) -> None:
        _, val, _, _ = self.items.popleft()
        if th.distinct is not None:
            n = self.counts[val] - 1
            if n:
                self.counts[val] = n
            else:
                del self.counts[val]
        elif th.sum is not None:
            self.total -= val

    def add(self, t: float, val: Any, eid: str | None, desc: str, th: Threshold) -> float:
        items = self.items
        cutoff = t - th.within_s
        distinct = th.distinct is not None
        if items and items[0][0] < cutoff:
            if distinct:  # :meth:`_drop`, inlined (a window in use drops about one a time)
                counts = self.counts
                while items and items[0][0] < cutoff:
                    old = items.popleft()[1]
                    n = counts[old] - 1
                    if n:
                        counts[old] = n
                    else:
                        del counts[old]
            else:
                while items and items[0][0] < cutoff:
                    self._drop(th)
        items.append((t, val, eid, desc))
        if distinct:
            counts = self.counts
            counts[val] = counts.get(val, 0) + 1
            if len(items) > 1024 and len(items) > int(th.count) * 4:
                self._trim(th)
            return float(len(counts))
        if th.sum is not None:
            self.total += val
            if len(items) > 8192:
                self._trim(th)
            return self.total
        if len(items) > 1024 and len(items) > int(th.count) * 4:
            self._trim(th)
        return float(len(items))

    def _trim(self, th: Threshold) -> None:
        """Drop the oldest items past the window's cap (``count`` x 4, at least 1,024;
        8,192 for a sum)."""
        cap = max(int(th.count) * 4, 1024) if th.sum is None else 8192
        while len(self.items) > cap:
            self._drop(th)


@dataclass(frozen=True)
class _Partial:
    next: int
    start: float
    binds: dict[str, Any]
    evidence: tuple[tuple[str | None, int | None, str | None, str], ...]


class _ForkedWindows(dict):  # type: ignore[type-arg]
    """Copy-on-read view of a session's windows, for a precheck that must not change them."""

    def __init__(self, parent: dict[Any, _Window]) -> None:
        super().__init__()
        self.parent = parent

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self:
            return self[key]
        w = self.parent.get(key)
        if w is None:
            return default
        c = w.copy()
        self[key] = c
        return c


class _Session:
    __slots__ = ("anomaly", "partials", "recent", "waited", "waiting", "windows")

    def __init__(self) -> None:
        self.windows: dict[Any, _Window] = {}
        self.partials: dict[str, list[_Partial]] = {}
        self.waiting: dict[str, frozenset[int]] = {}  # rule -> steps partials wait for
        #: the same as (rule, step) pairs, for one set test against a plan's gated steps
        self.waited: frozenset[tuple[str, int]] = frozenset()
        #: fingerprints of attempts not completed yet, oldest first (a plain dict: its
        #: first key is found past at most the slots deleted since its last resize)
        self.recent: dict[Any, int] = {}
        self.anomaly: AnomalyState | None = None

    def fork(self) -> _Session:
        s = _Session()
        s.windows = _ForkedWindows(self.windows)
        s.partials = dict(self.partials)
        s.waiting = dict(self.waiting)
        s.waited = self.waited
        s.recent = self.recent
        return s

    def remember(self, action: Any) -> None:
        recent = self.recent
        fp = _fingerprint(action)
        n = recent.get(fp)
        if n is None:
            recent[fp] = 1
            if len(recent) > 64:
                del recent[next(iter(recent))]  # the oldest
        else:
            recent[fp] = n + 1

    def completes(self, action: Any) -> bool:
        """Whether ``action`` completes an attempt seen before (which it then uses up)."""
        recent = self.recent
        fp = _fingerprint(action)
        n = recent.get(fp)
        if not n:
            return False
        if n == 1:
            del recent[fp]
        else:
            recent[fp] = n - 1
        return True


@dataclass
class _Hit:
    rule: Rule | None
    key: str
    summary: str
    evidence: list[Evidence]
    event_type: str
    finding: Finding | None = None
    learned: Score | None = None


def _ev(subj: Subject) -> Evidence:
    e = subj.event
    return Evidence(event=_eid(e), seq=e.seq or None, type=e.type, description=_ev_text(subj))


def _ev_text(subj: Subject) -> str:
    """The description of a subject as evidence."""
    via = f" (via {subj.via})" if subj.derived and subj.via else ""
    return f"{subj.kind or subj.event.type}: {subj.describe(200)}{via}"


# -------------------------------------------------------------------------------- indexes

_INDEX_CACHE: OrderedDict[tuple[int, ...], RuleIndex] = OrderedDict()
_INDEX_LOCK = threading.Lock()


_BUILD_LOCK = threading.Lock()  # monitors made at once wait for one build of an index


def _index_for(rules: list[Rule]) -> RuleIndex:
    key = tuple(id(r) for r in rules)
    with _BUILD_LOCK:
        with _INDEX_LOCK:
            got = _INDEX_CACHE.get(key)
            if got is not None:
                _INDEX_CACHE.move_to_end(key)
                return got
        index = RuleIndex(rules)
        with _INDEX_LOCK:
            _INDEX_CACHE[key] = index  # the index holds the rules, so the ids stay theirs
            while len(_INDEX_CACHE) > 32:
                _INDEX_CACHE.popitem(last=False)
    return index


# -------------------------------------------------------------------------------- monitor

_precheck_seq = itertools.count(1)


def _unknown(text: str) -> None:
    """No answer kept for ``text`` (the learned scorer not in use yet)."""
    return None


class Monitor:
    """Watches events with rule packs and an anomaly score; records and raises alerts.

    ``packs``: names of shipped packs or paths; ``rules_files``: more rule files (a rule
    with an id already loaded replaces it). ``baseline``: ``None`` for the shipped
    baseline, ``False`` for no anomaly scoring, a :class:`Baseline` or a path to one.
    ``on``: severity -> response. ``clock``: the time for :meth:`precheck` (default
    ``time.time``). ``responder`` and ``on_alert``: see the module docstring.
    ``scorer``: the learned command-text scorer (:mod:`corral.monitor.scorer`): ``True``
    for the shipped model, ``False`` for none, a :class:`CommandScorer` or a model path;
    ``None`` (default): on when :data:`corral.monitor.scorer.DEFAULT_ON` and ``packs``
    include the shipped ``default`` pack (a monitor of custom packs only is its rules
    alone). A model that
    cannot be loaded is logged (naming the file) and the rules run without it.
    """

    def __init__(
        self,
        packs: Iterable[str | os.PathLike[str] | Pack] = ("default",),
        rules_files: Iterable[str | os.PathLike[str]] = (),
        baseline: Baseline | str | os.PathLike[str] | bool | None = None,
        on: dict[str, str] | None = None,
        clock: Callable[[], float] | None = None,
        *,
        responder: Responder | None = None,
        on_alert: Callable[[Alert], None] | None = None,
        dedup_s: float = 60.0,
        max_sessions: int = 4096,
        max_alerts: int = 10_000,
        scorer: CommandScorer | str | os.PathLike[str] | bool | None = None,
    ) -> None:
        packs = list(packs)
        self.rules: list[Rule] = resolve(packs, list(rules_files))
        self.index = _index_for(self.rules)
        #: the index's plans by event type, of attempts and of other events (two dicts:
        #: :meth:`observe` looks one up by the type alone, no key tuple; :meth:`_plan`)
        self._attempt_plans: dict[str, Plan | None] = {}
        self._other_plans: dict[str, Plan | None] = {}
        self.on = dict(DEFAULT_ON)
        for sev, resp in (on or {}).items():
            if sev not in SEVERITY_RANK:
                known = ", ".join(SEVERITY_RANK)
                raise ValueError(f"unknown severity {sev!r} in on (one of: {known})")
            if resp not in RESPONSES and resp != "ignore":
                known = ", ".join((*RESPONSES, "ignore"))
                raise ValueError(f"unknown response {resp!r} for {sev} (one of: {known})")
            self.on[sev] = resp
        if baseline is None or baseline is True:
            self.baseline: Baseline | None = default_baseline()
        elif baseline is False:
            self.baseline = None
        elif isinstance(baseline, Baseline):
            self.baseline = baseline
        else:
            self.baseline = Baseline.load(baseline)
        self.clock = clock or time.time
        self.responder = responder
        self.on_alert = on_alert
        self.dedup_s = dedup_s
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._last_session: str | None = None
        self._alerts: deque[Alert] = deque(maxlen=max_alerts)
        self._recent: OrderedDict[tuple[str, str, str], Alert] = OrderedDict()
        self._lock = threading.Lock()
        self.events_seen = 0
        if scorer is None:  # on with the shipped pack it stands beside
            scorer = scorer_enabled(packs)
        self._scorer_spec = scorer
        self._scorer: CommandScorer | None = scorer if isinstance(scorer, CommandScorer) else None
        self._scoring = scorer is not False
        #: the scorer's answer for a text it has answered before (``None`` until it is
        #: in use: its rider on the rules' line pass, :meth:`_ride`)
        self._known: Callable[[str], bool | None] = _unknown
        #: the rules' stateless answers by event content, newer and older
        #: (:mod:`.prepared`; :meth:`_keep`)
        self._prepared: dict[tuple[Any, ...], Prepared] = {}
        self._prepared_old: dict[tuple[Any, ...], Prepared] = {}
        #: hashes of the contents seen once (kept from their second sighting on)
        self._seen: set[int] = set()
        #: some rule reads the session (a test, or what a threshold counts, which the
        #: kept answers hold too): it is part of a content's key
        self._session_read = any(
            cond_uses(m.cond, lambda f: f.name == "session")
            for r in self.rules
            for m, _ in r.matchers()
        ) or any(
            f is not None and f.name == "session"
            for r in self.rules
            if r.threshold is not None
            for f in (*r.threshold.group_by, r.threshold.distinct, r.threshold.sum)
        )

    @classmethod
    def from_policy(cls, policy: Any, **kwargs: Any) -> Monitor:
        """A monitor configured by a policy's ``monitor:`` section (packs, on, scorer)."""
        model = getattr(policy, "model", policy)
        section = getattr(model, "monitor", None)
        if section is not None:
            if section.packs:
                kwargs.setdefault("packs", list(section.packs))
            if section.on:
                kwargs.setdefault("on", {k: v for k, v in section.on.items() if k != "info"})
            if getattr(section, "scorer", None) is not None:
                kwargs.setdefault("scorer", section.scorer)
        return cls(**kwargs)

    # public API ----------------------------------------------------------------------

    def attach(self, bus: EventBus) -> Callable[[], None]:
        """Observe every event published on ``bus``; returns the unsubscribe function."""
        return bus.subscribe(self._observe_quietly)

    def _observe_quietly(self, event: Event) -> None:
        self.observe(event)

    def observe(self, event: Event) -> list[Alert]:
        """Look at one event; returns the new alerts (already passed to the responder)."""
        # the event's and its action's fields read from their dicts: a pydantic model's
        # attribute goes through its ``__getattr__`` hook, unspecialized (~4x a dict read)
        fields = event.__dict__
        session = fields["session"]
        type_ = fields["type"]
        # the lock taken and given back by hand: ``with`` looks its two special methods
        # up and makes a bound ``__exit__`` on every event
        lock = self._lock
        lock.acquire()
        try:
            self.events_seen += 1
            if session == self._last_session:
                st = self._sessions[session]
            else:  # :meth:`_state`, inlined
                sessions = self._sessions
                st = sessions.get(session)
                if st is None:
                    st = self._state(session)
                else:
                    sessions.move_to_end(session)
                    self._last_session = session
            action = fields["action"]
            # :meth:`_Session.remember` and :meth:`_Session.completes`, inlined (the
            # bookkeeping every action pays), on the action's fingerprint
            # (:func:`_fingerprint_of`, inlined for the common kinds)
            fp: tuple[Any, ...] = ()
            afields = None if action is None else action.__dict__
            if afields is None:
                attempt = False
            elif type_ in _ACTION_TYPES:
                kind = afields["kind"]
                if kind == "exec":
                    fp = ("exec", afields["line"], *afields["argv"])
                elif kind == "code":
                    fp = ("code", afields["language"], afields["code"])
                elif kind == "file":
                    fp = ("file", afields["op"], afields["path"])
                elif kind == "net":
                    fp = ("net", afields["host"], afields["port"], afields["url"])
                else:
                    fp = _fingerprint_of(afields)
                recent = st.recent
                n = recent.get(fp)
                if type_ != "action.completed":
                    if n is None:
                        recent[fp] = 1
                        if len(recent) > 64:
                            del recent[next(iter(recent))]  # the oldest
                    else:
                        recent[fp] = n + 1
                    attempt = True
                elif not n:
                    attempt = True
                else:
                    if n == 1:
                        del recent[fp]
                    else:
                        recent[fp] = n - 1
                    attempt = False
            else:
                attempt = False
            plan = (self._attempt_plans if attempt else self._other_plans).get(
                type_, _UNPLANNED
            )
            if plan is _UNPLANNED:
                plan = self._plan(type_, attempt)
            if plan is None:
                hits = []
            else:
                # the rules' stateless answer kept for this content (:mod:`.prepared`):
                # :func:`prepared.content_key` of an action of a common kind with no
                # decision, data or environment, inlined
                if afields is None:
                    key = None
                elif (
                    not fp
                    or self._session_read
                    or fields["decision"] is not None
                    or fields["data"]
                ):
                    key = content_key(type_, attempt, fields, afields, fp, self._session_read)
                else:
                    outcome = fields["outcome"]
                    kind = fp[0]
                    if outcome is not None and (outcome := plain_shape(outcome)) is None:
                        key = None  # an outcome not kept
                    # the text's length (:data:`MAX_TEXT`) is checked only when an answer
                    # is to be kept (:func:`_too_long`, a content's second sighting): a
                    # longer content's key is never kept, so looking it up finds nothing
                    elif kind == "exec":
                        argv = afields["argv"]
                        cwd = afields["cwd"]
                        key = (
                            content_key(type_, attempt, fields, afields, fp, False)
                            if afields["env"]
                            else (type_, attempt, (fp, cwd, ()), outcome, ())
                            if type(argv) is list and type(cwd) is str and len(argv) <= 64
                            else None
                        )
                    elif kind == "code":
                        key = (type_, attempt, fp, outcome, ()) if type(fp[2]) is str else None
                    elif kind == "net":
                        port = fp[2]
                        key = (
                            (type_, attempt, ("net", fp[1], type(port), port, fp[3],
                                              afields["protocol"], afields["ip"]), outcome, ())
                            if type(port) in _KEY_SCALARS
                            else None
                        )  # fmt: skip
                    elif kind == "file":
                        path = fp[2]
                        size = afields["size"]
                        key = (
                            (type_, attempt, ("file", fp[1], path, type(size), size), outcome, ())
                            if type(path) is str and type(size) in _KEY_SCALARS
                            else None
                        )
                    else:
                        key = None  # other kinds are not kept
                prep = None
                if key is not None:
                    prep = self._prepared.get(key)
                    if prep is None:
                        prep = self._prepared_old.get(key)
                        if prep is not None:
                            self._keep(key, prep)
                        else:
                            # kept from its second sighting on: a content seen once is
                            # remembered by its hash only (one int; most new texts never
                            # come back, and keeping their answers cost more than it saved)
                            h = hash(key)
                            seen = self._seen
                            if h not in seen:
                                if len(seen) >= KEPT:
                                    seen.clear()
                                seen.add(h)
                                key = None
                            elif _too_long(afields, fields["outcome"]):
                                key = None  # evaluated in one pass, not kept
                if prep is None:
                    hits = self._evaluate(
                        event, st, attempt, True, plan, type_, action, afields, key
                    )
                elif prep.quiet and (
                    not plan.gated or not st.waited or plan.gated_steps.isdisjoint(st.waited)
                ):
                    hits = []  # nothing held for any subject, no gated step waited for
                else:
                    hits = self._apply(prep, None, event, st, True, plan, type_, action, afields)
            if attempt and self._scoring:
                # :func:`scorer.command_text`, inlined (the hot path of every command),
                # read from the action's fingerprint (:func:`_fingerprint_of`): exec
                # (kind, line, *argv), code (kind, language, code)
                kind = fp[0]
                if kind == "exec":
                    text = fp[1] or " ".join(fp[2:])
                elif kind == "code" and fp[1] == "shell":
                    text = fp[2]
                else:
                    text = None
                # a text the scorer has answered "no" for (most new ones: in the rules'
                # pass over the line, :meth:`_ride`) costs one dict lookup here
                if text and self._known(text) is not False:
                    learned = self._learned(event, text)
                    if learned is not None:
                        hits.append(learned)
            baseline = self.baseline
            if baseline is not None:
                an = st.anomaly
                if an is None:
                    an = st.anomaly = AnomalyState()
                finding = baseline.update(an, event, attempt)
                if finding is not None:
                    hits.append(self._anomaly_hit(event, finding))
            if type_ == "sandbox.closed":
                self._sessions.pop(session, None)
                self._last_session = None
            if not hits:
                return []
            new, _ = self._record(hits, event, precheck=False)
        finally:
            lock.release()
        for alert in new:
            self._dispatch(alert, act=True)
        return new

    def precheck(self, action: Any, session: str) -> Alert | None:
        """The worst alert ``action`` would raise if it ran now in ``session`` (or None).

        Thresholds and sequences are evaluated as if the action happened, without
        changing their state (the action's own event will). The alert is recorded and
        passed to ``on_alert``; blocking and responding are up to the caller (see
        :attr:`Alert.blocking` and :meth:`respond`). A repeat of an alert raised within
        ``dedup_s`` returns the earlier alert.
        """
        event = Event.model_construct(
            id=f"precheck-{next(_precheck_seq)}",
            session=session,
            seq=0,
            time=self.clock(),
            type="action.requested",
            action=action,
            decision=None,
            outcome=None,
            data={},
        )
        with self._lock:
            st = self._sessions.get(session)
            fork = st.fork() if st is not None else _Session()
            hits = self._evaluate(event, fork, True, commit=False)
            if self._scoring and getattr(action, "kind", None) in ("code", "exec"):
                learned = self._learned(event, command_text(action))
                if learned is not None:
                    hits.append(learned)
            if not hits:
                return None
            new, repeats = self._record(hits, event, precheck=True)
        for alert in new:
            self._dispatch(alert, act=False)
        candidates = [*new, *repeats]
        if not candidates:
            return None
        return max(
            candidates,
            key=lambda a: (RESPONSE_RANK.get(a.response, 0), SEVERITY_RANK[a.severity]),
        )

    def respond(self, alert: Alert) -> bool | None:
        """Have the responder carry out ``alert.response`` (kill, pause or ask).
        Returns the answer for ``ask``."""
        return self._respond(alert)

    def alerts(self, session: str | None = None) -> list[Alert]:
        """The recorded alerts (of one session), oldest first."""
        with self._lock:
            if session is None:
                return list(self._alerts)
            return [a for a in self._alerts if a.session == session]

    def forget(self, session: str) -> None:
        """Drop a session's threshold, sequence and anomaly state."""
        with self._lock:
            self._sessions.pop(session, None)
            self._last_session = None

    def rule(self, rule_id: str) -> Rule | None:
        return self.index.by_id.get(rule_id)

    # evaluation ----------------------------------------------------------------------

    def _state(self, session: str) -> _Session:
        sessions = self._sessions
        st = sessions.get(session)
        if st is None:
            st = sessions[session] = _Session()
            while len(sessions) > self.max_sessions:
                sessions.popitem(last=False)
        elif session != self._last_session:
            sessions.move_to_end(session)
        self._last_session = session
        return st

    def _plan(self, type_: str, attempt: bool) -> Plan | None:
        """The index's plan for events of ``type_`` (an attempt or not), kept for
        :meth:`observe` (the common types: event types are open-ended)."""
        plan = self.index.plan(type_, attempt)
        plans = self._attempt_plans if attempt else self._other_plans
        if len(plans) < 4096:
            plans[type_] = plan
        return plan

    def _evaluate(
        self,
        event: Any,
        st: _Session,
        attempt: bool,
        commit: bool,
        plan: Any = _UNPLANNED,
        type_: str | None = None,
        action: Any = _UNPLANNED,
        fields: dict[str, Any] | None = None,
        key: tuple[Any, ...] | None = None,
    ) -> list[_Hit]:
        """The hits of ``event`` (``type_``, ``action`` and ``fields``, the action's
        ``__dict__``: its own, when the caller has read them); ``key``: its content's
        (:func:`prepared.content_key`), to keep the stateless answer under."""
        if type_ is None:
            type_ = event.type
        index = self.index
        if plan is _UNPLANNED:
            plan = index.plan(type_, attempt)
        if plan is None:
            return []
        kinds = plan.kinds
        if action is _UNPLANNED:
            action = event.action
        if action is None:
            if None not in kinds:
                return []
        else:
            if fields is None:
                fields = action.__dict__
            if fields["kind"] not in kinds and "exec" not in kinds and "code" not in kinds:
                return []  # no rule for this kind nor for what it may run (exec, code)
        if key is not None:  # a content seen before: its answer kept (:mod:`.prepared`)
            subjects = subjects_of(event, action, type_, fields)
            prep = prepare(plan, subjects)
            self._keep(key, prep)
            if prep.quiet and (
                not plan.gated or not st.waited or plan.gated_steps.isdisjoint(st.waited)
            ):
                return []  # nothing held for any subject, no gated step waited for
            return self._apply(prep, subjects, event, st, commit, plan, type_, action, fields)
        # the same answer in one pass (tests and state together), for a content not kept
        hits: list[_Hit] = []
        fired: dict[Rule, Subject] | None = None
        counted: set[tuple[Any, ...]] | None = None
        subjects = subjects_of(event, action, type_, fields)
        finders = plan.finders
        gated = plan.gated
        gated_steps = plan.gated_steps
        for subj in subjects:
            find = finders.get(subj.kind)
            if find is None:
                continue
            cands = find(subj)
            # a partial match waits for a step kept out of the index (one set test; the
            # event's earlier subjects may have just advanced one)
            if gated and st.waited and not gated_steps.isdisjoint(st.waited):
                waits = _waiting(gated.get(subj.kind), st.waiting)
                if waits:
                    cands = [*cands, *waits]
            if not cands:
                continue
            steps: dict[Rule, dict[int, dict[str, Any]]] | None = None
            for entry in cands:
                role = entry.role
                if role == MATCH:
                    if not entry.test(subj):
                        continue
                    rule = entry.rule
                    if fired is None:
                        fired = {rule: subj}
                        continue
                    first = fired.get(rule)
                    if first is None or (first.kind == "code" and subj.kind == "exec"):
                        fired[rule] = subj  # prefer the command to the script it is in
                elif role == THRESHOLD:
                    if subj.derived and subj.via == "shell":
                        continue  # the shell reports each command it runs as it runs
                    if not entry.test(subj):
                        continue
                    if counted is None and len(subjects) > 1:
                        counted = set()  # one count per event, whichever subject matched
                    hit = self._threshold(entry.rule, subj, st, commit, counted)
                    if hit is not None:
                        hits.append(hit)
                else:
                    rule = entry.rule
                    step = entry.step
                    if step > 0:
                        waiting = st.waiting.get(rule.id)
                        if not waiting or step not in waiting:
                            continue  # no partial match is waiting for this step
                    subj.caps = {} if entry.captures else None
                    if entry.test(subj):
                        if steps is None:
                            steps = {}
                        steps.setdefault(rule, {})[step] = subj.caps or {}
            if steps:
                for rule, matched in steps.items():
                    hit = self._sequence(rule, matched, subj, st, commit)
                    if hit is not None:
                        hits.append(hit)
        if fired:
            keys: dict[Subject, str] = {}  # each subject's command key, made once
            for rule, subj in fired.items():
                if subj.derived and subj.via == "shell" and len(subjects) > 2:
                    subj = _culprit(rule, subj, subjects)
                hits.append(_match_hit(rule, subj, type_, keys))
        return hits

    def _keep(self, key: tuple[Any, ...], prep: Prepared) -> None:
        """Keep a content's stateless answer (the newer :data:`prepared.KEPT`; when
        they are full, they become the older ones)."""
        kept = self._prepared
        if len(kept) >= KEPT:
            self._prepared_old = kept
            kept = self._prepared = {}
        kept[key] = prep

    def _apply(
        self,
        prep: Prepared,
        subjects: list[Subject] | None,
        event: Any,
        st: _Session,
        commit: bool,
        plan: Plan,
        type_: str,
        action: Any,
        fields: dict[str, Any] | None,
    ) -> list[_Hit]:
        """The hits of an event from its :class:`Prepared` answer and the session's
        state: thresholds counted (what each counts is kept: no subject needed),
        sequences advanced (later steps tested while a partial match waits for them,
        gated steps added then), matches raised. ``subjects``: the event's, or None
        (made here only when a match or a sequence step needs them: most repeats of an
        ordinary event leave nothing, a connection's only its counts)."""
        hits: list[_Hit] = []
        fired: dict[Rule, Subject] | None = None
        counted: set[tuple[Any, ...]] | None = None
        gated = plan.gated
        gated_steps = plan.gated_steps
        kinds = prep.kinds
        efields = None
        for i, got in enumerate(prep.items):
            if got is None:
                continue  # no rule looks at this subject's kind
            # a partial match waits for a step kept out of the index (one set test; the
            # event's earlier subjects may have just advanced one)
            waits = None
            if gated and st.waited and not gated_steps.isdisjoint(st.waited):
                waits = _waiting(gated.get(kinds[i]), st.waiting)
            if not got and not waits:
                continue
            subj = None
            steps: dict[Rule, dict[int, dict[str, Any]]] | None = None
            for entry, res in (*got, *((e, PENDING) for e in waits)) if waits else got:
                role = entry.role
                if role == THRESHOLD:
                    if counted is None and len(kinds) > 1:
                        counted = set()  # one count per event, whichever subject matched
                    if efields is None:
                        efields = event.__dict__
                    hit = self._count(entry.rule, res, efields, type_, st, commit, counted)
                    if hit is not None:
                        hits.append(hit)
                    continue
                if subj is None:
                    if subjects is None:
                        subjects = subjects_of(event, action, type_, fields)
                    subj = subjects[i]
                if role == MATCH:
                    rule = entry.rule
                    if fired is None:
                        fired = {rule: subj}
                        continue
                    first = fired.get(rule)
                    if first is None or (first.kind == "code" and subj.kind == "exec"):
                        fired[rule] = subj  # prefer the command to the script it is in
                else:
                    rule = entry.rule
                    step = entry.step
                    if res is PENDING:
                        waiting = st.waiting.get(rule.id)
                        if not waiting or step not in waiting:
                            continue  # no partial match is waiting for this step
                        subj.caps = {} if entry.captures else None
                        if not entry.test(subj):
                            continue
                        res = subj.caps or {}
                    if steps is None:
                        steps = {}
                    steps.setdefault(rule, {})[step] = res
            if steps:
                assert subj is not None
                for rule, matched in steps.items():
                    hit = self._sequence(rule, matched, subj, st, commit)
                    if hit is not None:
                        hits.append(hit)
        if fired:
            assert subjects is not None
            keys: dict[Subject, str] = {}  # each subject's command key, made once
            for rule, subj in fired.items():
                if subj.derived and subj.via == "shell" and len(subjects) > 2:
                    subj = _culprit(rule, subj, subjects)
                hits.append(_match_hit(rule, subj, type_, keys))
        return hits

    def _threshold(
        self, rule: Rule, subj: Subject, st: _Session, commit: bool, counted: set[Any] | None
    ) -> _Hit | None:
        th = rule.threshold
        assert th is not None
        what = counted_of(th, subj)
        if what is None:
            return None
        return self._count(rule, what, subj.event.__dict__, subj.type, st, commit, counted)

    def _count(
        self,
        rule: Rule,
        what: tuple[tuple[Any, ...], Any, str],
        efields: dict[str, Any],
        type_: str,
        st: _Session,
        commit: bool,
        counted: set[Any] | None,
    ) -> _Hit | None:
        """Count ``what`` (:func:`prepared.counted`: group, value, description) of an
        event (``efields``: its ``__dict__``) in its threshold's window; the hit when
        the window reaches the threshold's count."""
        th = rule.threshold
        assert th is not None
        group, val, desc = what
        if counted is not None:
            mark = (rule.id, group, val)
            if mark in counted:
                return None
            counted.add(mark)
        key = (rule.id, group)
        windows = st.windows
        win = windows.get(key)
        if win is None:
            win = _Window()
            windows[key] = win
            if commit and len(windows) > _MAX_WINDOWS:
                windows.pop(next(iter(windows)))
        eid = efields["id"]
        if eid.startswith("precheck-"):
            eid = None
        t = efields["time"]
        distinct = th.distinct
        if distinct is not None:  # :meth:`_Window.add` of a distinct count, inlined
            items = win.items
            counts = win.counts
            cutoff = t - th.within_s
            while items and items[0][0] < cutoff:
                old = items.popleft()[1]
                n = counts[old] - 1
                if n:
                    counts[old] = n
                else:
                    del counts[old]
            items.append((t, val, eid, desc))
            counts[val] = counts.get(val, 0) + 1
            if len(items) > 1024 and len(items) > int(th.count) * 4:
                win._trim(th)
            size = len(counts)
            if size < th.count:  # an int against the count: as its float would compare
                return None
            measure = float(size)
        else:
            measure = win.add(t, val, eid, desc, th)
            if measure < th.count:
                return None
        items = list(win.items)
        if commit:
            del st.windows[key]  # start counting afresh
        said = (
            f"{_n(measure)} distinct {distinct.name} values"
            if distinct is not None
            else f"{th.sum.name} total {_n(measure)}"
            if th.sum is not None
            else f"{_n(measure)} events"
        )
        where = ", ".join(f"{f.name}={g}" for f, g in zip(th.group_by, group, strict=True))
        summary = f"{rule.title}: {said}{f' ({where})' if where else ''} within {_n(th.within_s)} s"
        if distinct is not None:
            sample = list(dict.fromkeys(str(v) for _, v, _, _ in items))[-6:]
            summary += f": {short(', '.join(sample), 80)}"
            items = list({repr(v): (t, v, eid, d) for t, v, eid, d in items}.values())
        evidence = [
            Evidence(event=eid, type=None, description=d) for _, _, eid, d in items[-_MAX_EVIDENCE:]
        ]
        return _Hit(rule, f"group:{group}", summary, evidence, type_)

    def _sequence(
        self,
        rule: Rule,
        matched: dict[int, dict[str, Any]],
        subj: Subject,
        st: _Session,
        commit: bool,
    ) -> _Hit | None:
        seq = rule.sequence
        assert seq is not None
        event = subj.event
        t = event.time
        cutoff = t - seq.within_s
        if len(seq.steps) in matched:  # the chain is broken (``unless``): nothing waits on
            parts = []
            matched = {i: c for i, c in matched.items() if i == 0}
        else:
            parts = [p for p in st.partials.get(rule.id, ()) if p.start >= cutoff]
        evid = (_eid(event), event.seq or None, event.type, _ev_text(subj))
        last = len(seq.steps) - 1
        kept: list[_Partial] = []
        done: _Partial | None = None
        for p in parts:
            caps = matched.get(p.next)
            binds = _bind(seq.steps[p.next], subj, caps, p.binds) if caps is not None else None
            if binds is None:
                kept.append(p)
                continue
            if p.next == last:
                if done is None:
                    done = _Partial(p.next + 1, p.start, binds, (*p.evidence, evid))
                continue
            kept.append(_Partial(p.next + 1, p.start, binds, (*p.evidence, evid)))
        caps0 = matched.get(0)
        if caps0 is not None:
            binds0 = _bind(seq.steps[0], subj, caps0, {})
            if binds0 is not None:
                kept = [q for q in kept if not (q.next == 1 and q.binds == binds0)]
                kept.append(_Partial(1, t, binds0, (evid,)))
        if len(kept) > _MAX_PARTIALS:
            kept = kept[-_MAX_PARTIALS:]
        if kept:
            st.partials[rule.id] = kept
            waits = frozenset(p.next for p in kept)
            st.waiting[rule.id] = waits if seq.unless is None else waits | {len(seq.steps)}
        else:  # nothing waits: later steps are not even candidates
            st.partials.pop(rule.id, None)
            st.waiting.pop(rule.id, None)
        st.waited = frozenset((r, n) for r, steps in st.waiting.items() for n in steps)
        if done is None:
            return None
        shown = {k: v for k, v in done.binds.items() if not k.startswith("same:")}
        binding = ", ".join(f"{k}={v}" for k, v in shown.items())
        chain = " -> ".join(short(e[3].split(": ", 1)[-1], 60) for e in done.evidence)
        summary = f"{rule.title}: {chain}"
        evidence = [
            Evidence(event=e[0], seq=e[1], type=e[2], description=e[3]) for e in done.evidence
        ]
        key = f"seq:{sorted((k, str(v)) for k, v in done.binds.items())}"
        if binding:
            summary += f" [{binding}]"
        return _Hit(rule, key, summary, evidence, subj.type)

    @property
    def scoring(self) -> bool:
        """Whether this monitor scores command text (the learned scorer is on and its
        model, once loaded, could be used)."""
        return self._scoring

    @property
    def scorer(self) -> CommandScorer | None:
        """The learned scorer (loaded on first use; ``None`` when off or unloadable)."""
        if self._scorer is None and self._scoring:
            spec = self._scorer_spec
            try:
                self._scorer = default_scorer(None if spec is True else spec)  # type: ignore[arg-type]
            except ScorerError as exc:
                log.error("%s; the monitor runs its rules without the learned scorer", exc)
                self._scoring = False
        return self._scorer

    def _learned(self, event: Any, text: str | None) -> _Hit | None:
        """The learned scorer's hit on ``text``, the command text of ``event``'s action
        (one hook: script or command)."""
        if not text:
            return None
        scorer = self._scorer or self.scorer
        if scorer is None:
            return None
        if self._known is _unknown:
            self._ride(scorer)
        if not scorer.fires(text):  # the fast reject first: most texts cost one RE2 pass
            return None
        got = scorer.explain(text)
        summary = (
            f"Command text scores like an attack: {got.value:.2f} "
            f"(threshold {got.threshold:.2f}): {short(text, 160)}"
        )
        ev = Evidence(
            event=_eid(event), seq=event.seq or None, type=event.type,
            description=f"{event.action.kind}: {short(text, 200)}",
        )  # fmt: skip
        return _Hit(None, short(text, 500), summary, [ev], event.type, learned=got)

    def _ride(self, scorer: CommandScorer) -> None:
        """Put the scorer's fast reject on the rules' pass over each new command line
        (:meth:`RuleIndex.ridden`, :class:`scorer.Rider`): one RE2 pass answers the rules
        and proves most plain command texts below the threshold, so the call in
        :meth:`observe` finds them answered (:meth:`CommandScorer.known`). The rules'
        answers are unchanged; without RE2 or the fast reject, the scorer answers each
        new text with its own pass."""
        self._known = scorer.known
        rider = scorer.rider()
        if rider is None:
            return
        try:
            index = self.index.ridden(scorer, rider.patterns, rider.bind)
        except Exception as exc:  # RE2 cannot build the bigger set: the scorer's own pass
            log.warning("the learned scorer's literals cannot ride on the rules' pass: %s", exc)
            return
        self.index = index
        self._attempt_plans = {}
        self._other_plans = {}
        self._prepared = {}
        self._prepared_old = {}

    def _anomaly_hit(self, event: Any, finding: Finding) -> _Hit:
        summary = (
            f"Unusual session behaviour: score {finding.score:.1f} "
            f"(threshold {finding.threshold:.1f}): {finding.explain()}"
        )
        ev = Evidence(
            event=event.id, seq=event.seq or None, type=event.type,
            description=f"scored at {event.type}",
        )  # fmt: skip
        return _Hit(None, "anomaly", summary, [ev], event.type, finding)

    # alerts --------------------------------------------------------------------------

    def _response(self, rule: Rule | None, severity: str, event_type: str) -> str:
        resp = (rule.response if rule is not None else None) or self.on.get(severity, "alert")
        if event_type == "action.denied" and resp in ("deny", "ask"):
            return "alert"  # the policy already stopped it
        return resp

    def _record(
        self, hits: list[_Hit], event: Any, *, precheck: bool
    ) -> tuple[list[Alert], list[Alert]]:
        new: list[Alert] = []
        repeats: list[Alert] = []
        t = event.time
        session = event.session
        for hit in hits:
            rule = hit.rule
            details: dict[str, Any] = {}
            if rule is not None:
                rid, title, severity = rule.id, rule.title, rule.severity
                technique, labels = rule.technique, list(rule.tags)
            elif hit.learned is not None:
                rid, title, severity = LEARNED_RULE, "Command text scored as an attack", "medium"
                technique, labels = None, ["learned"]
                sc = hit.learned
                details = {
                    "score": round(sc.value, 3), "threshold": round(sc.threshold, 3),
                    "probability": round(sc.probability, 4),
                    "model": self._scorer.version if self._scorer is not None else None,
                    "window": short(sc.window, 300),
                    "features": [{"feature": f, "weight": w} for f, w in sc.top],
                }  # fmt: skip
            else:
                rid, title, severity = "anomaly", "Unusual session behaviour", "medium"
                technique, labels = None, ["anomaly"]
            response = self._response(rule, severity, hit.event_type)
            if response == "ignore":
                continue
            key = (session, rid, hit.key)
            prev = self._recent.get(key)
            if prev is not None and abs(t - prev.time) <= self.dedup_s:
                prev.count += 1
                if len(prev.evidence) < _MAX_EVIDENCE and hit.evidence:
                    prev.evidence.append(hit.evidence[-1])
                repeats.append(prev)
                continue
            alert = Alert(
                rule=rid,
                title=title,
                severity=severity,  # type: ignore[arg-type]
                technique=technique,
                summary=short(hit.summary, 300),
                session=session,
                time=t,
                evidence=hit.evidence,
                response=response,  # type: ignore[arg-type]
                explanation=[Contribution(**c) for c in hit.finding.contributions[:5]]
                if hit.finding is not None
                else [],
                rule_tags=labels,
                tags={**(getattr(event, "tags", None) or {}), "step": getattr(event, "step", 0)},
                source="rule" if rule is not None else "learned" if details else "anomaly",
                details=details,
                precheck=precheck,
            )
            self._alerts.append(alert)
            self._recent[key] = alert
            self._recent.move_to_end(key)
            while len(self._recent) > 4096:
                self._recent.popitem(last=False)
            new.append(alert)
        return new, repeats

    def _dispatch(self, alert: Alert, *, act: bool) -> None:
        log.info("%s [%s/%s] %s", alert.session, alert.severity, alert.response, alert.summary)
        if self.on_alert is not None:
            try:
                self.on_alert(alert)
            except Exception:
                log.exception("on_alert callback failed for %s", alert.rule)
        if act:
            self._respond(alert)

    def _respond(self, alert: Alert) -> bool | None:
        r = self.responder
        if r is None:
            return None
        try:
            if alert.response == "kill":
                r.kill(alert.session)
            elif alert.response == "pause":
                r.pause(alert.session)
            elif alert.response == "ask":
                answer = bool(r.ask(alert))
                alert.answer = answer
                if not answer:
                    r.kill(alert.session)
                return answer
        except Exception:
            log.exception("responder failed on %s for %s", alert.response, alert.rule)
        return None


_USES_LINE: dict[str, bool] = {}


def _too_long(a: dict[str, Any], outcome: Any) -> bool:
    """Whether an action (its ``__dict__``; a command, script, file or connection whose
    key :meth:`Monitor.observe` built) or its event's ``outcome`` (a dict of plain
    values, or None) holds more than :data:`MAX_TEXT` characters of text: its answer is
    not kept (the check :func:`prepared.content_key` makes, made only when an answer is
    to be kept)."""
    if outcome and plain_size(outcome) > MAX_TEXT:
        return True
    kind = a["kind"]
    if kind == "exec":
        line = a["line"]
        size = sum(map(len, a["argv"])) + len(a["cwd"]) + (len(line) if line else 0)
    elif kind == "code":
        size = len(a["code"])
    elif kind == "net":
        size = len(a["host"]) + len(a["url"] or "") + len(a["protocol"] or "") + len(a["ip"] or "")
    else:
        size = len(a["path"])
    return size > MAX_TEXT


def _waiting(entries: Any, waiting: dict[str, frozenset[int]]) -> list[Any]:
    """Of later sequence steps, those a partial match of their rule waits for."""
    if not entries:
        return []
    return [e for e in entries if e.step in waiting.get(e.rule.id, ())]


def _culprit(rule: Rule, subj: Subject, subjects: list[Subject]) -> Subject:
    """Of the commands of a script (whose ``line`` is the whole script), the first that
    the rule matches on its own text; ``subj`` when none does (a redirection, say)."""
    assert rule.match is not None
    test = rule.match.test
    for cand in subjects:
        if cand.kind != "exec" or not cand.derived:
            continue
        probe = Subject(
            cand.event, "exec", cand.action, argv=cand.argv, line=cand.command(),
            derived=True, via=cand.via,
        )  # fmt: skip
        if test(probe):
            cand_line = Subject(
                cand.event, "exec", cand.action, argv=cand.argv, line=subj.line,
                derived=True, via=cand.via,
            )  # fmt: skip
            return cand_line
    return subj


def _command_key(subj: Subject) -> str:
    """What makes two alerts on commands the same: the command as written (so the
    iterations of a loop, ``ping 10.0.0.$i``, are one alert), rendered the way the
    script splitter renders the commands of a script (so a script's alert and the
    alert on its command as it runs are one)."""
    line = subj.line
    if not subj.derived and line and subj.kind == "exec":
        parts = split_script(line, 2)
        if len(parts) == 1:
            return render(parts[0])
    return subj.command()


def _match_hit(rule: Rule, subj: Subject, type_: str, keys: dict[Subject, str]) -> _Hit:
    """The hit of a match rule on ``subj``; ``keys``: the command keys made so far for
    this event's subjects (a megabyte line fired by many rules is split once)."""
    if subj.kind in ("exec", "spawn"):
        made = keys.get(subj)
        if made is None:
            made = keys[subj] = _command_key(subj)
        key = made
        uses_line = _USES_LINE.get(rule.id)
        if uses_line is None:
            assert rule.match is not None
            uses_line = _USES_LINE[rule.id] = cond_uses(rule.match.cond, lambda f: f.name == "line")
        shown = subj.line if subj.derived and uses_line and subj.line else subj.describe()
    elif subj.kind == "code":
        key = shown = subj.code or ""
    else:
        key = shown = subj.describe()
    return _Hit(rule, short(key, 500), f"{rule.title}: {short(shown, 200)}", [_ev(subj)], type_)


def _fingerprint(a: Any) -> tuple[Any, ...]:
    """What identifies an action between its request and its completion."""
    return _fingerprint_of(a.__dict__)


def _fingerprint_of(a: dict[str, Any]) -> tuple[Any, ...]:
    """:func:`_fingerprint` of an action's fields (its ``__dict__``). The monitor reads
    an attempt's command text from it: exec (kind, line, *argv), code (kind, language,
    code)."""
    k = a["kind"]
    if k == "exec":
        return (k, a["line"], *a["argv"])  # one tuple; the line's place keeps argv apart
    if k == "code":
        return (k, a["language"], a["code"])
    if k == "file":
        return (k, a["op"], a["path"])
    if k == "net":
        return (k, a["host"], a["port"], a["url"])
    if k == "spawn":
        return (k, tuple(a["argv"]), a["pid"])
    return (k, a.get("name"), len(a.get("args", ()) or ()))


def _eid(event: Any) -> str | None:
    eid = event.id
    return None if eid.startswith("precheck-") else eid


def _bind(
    step: Any, subj: Subject, caps: dict[str, Any] | None, binds: dict[str, Any]
) -> dict[str, Any] | None:
    out = dict(binds)
    for var, val in (caps or {}).items():
        if var in out:
            if not same_value(out[var], val):
                return None
        else:
            out[var] = val
    for var, fields in step.binds:
        values = [v for f in fields if (v := f.get(subj)) is not None]
        if not values:
            return None
        if var in out:
            if not any(same_value(out[var], v) for v in values):
                return None
        else:
            out[var] = values[0] if not isinstance(values[0], list) else tuple(values[0])
    return out


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"
