"""A per-session anomaly score from rolling features, against a baseline of benign sessions.

Features, over the last ``window_s`` seconds of a session (event time):

=================  ===========================================================
``rate``           actions per minute
``new_programs``   distinct programs never seen in the baseline's sessions
``hosts``          distinct network hosts
``private_hosts``  distinct hosts in private address ranges (10/8, 192.168/16, ...)
``ports_per_host`` the most distinct ports used on one host
``bytes_out``      bytes sent (``bytes_out``/``bytes`` in outcomes and data)
``cpu``            mean ``data.cpu_pct`` of ``resource.sample`` events
``denied``         actions the policy denied
``exec_share``     share of actions that ran a command (``code_share``,
                   ``net_share`` likewise)
=================  ===========================================================

Counts, rates and bytes are compared on a ``log1p`` scale. :meth:`Baseline.fit` learns
each feature's median and a robust spread (MAD x 1.4826, never below a floor) from
benign sessions; a session's score is the length of the vector of its positive robust
z-scores, and a score at or over ``threshold`` (set at fit time from the benign
sessions' own scores) raises an alert that names the features that drove it.

The shipped default baseline (``baselines/default.json``) is fitted on synthetic benign
developer sessions plus the benign items of the evaluation corpus; rebuild it with
``python -c 'from corral.monitor.anomaly import main; main()'``.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from ..events import CodeAction, Event, ExecAction, FileAction, NetAction
from .records import make_event
from .rules import _basename

__all__ = [
    "FEATURES",
    "AnomalyState",
    "Baseline",
    "Finding",
    "benign_sessions",
    "build_default",
    "default_baseline",
]

FEATURES: Final = (
    "rate",
    "new_programs",
    "hosts",
    "private_hosts",
    "ports_per_host",
    "bytes_out",
    "cpu",
    "denied",
    "exec_share",
    "code_share",
    "net_share",
)
_LOG: Final = frozenset(
    {"rate", "new_programs", "hosts", "private_hosts", "ports_per_host", "bytes_out", "denied"}
)
#: the smallest spread a feature is scored with (in its own, maybe log, units)
FLOORS: Final = {
    "rate": 0.75,
    "new_programs": 0.5,
    "hosts": 0.5,
    "private_hosts": 0.5,
    "ports_per_host": 0.5,
    "bytes_out": 1.5,
    "cpu": 15.0,
    "denied": 0.5,
    "exec_share": 0.2,
    "code_share": 0.2,
    "net_share": 0.2,
}
_BYTES_KEYS: Final = ("bytes_out", "bytes_sent", "tx_bytes", "bytes", "upload_bytes")
_BYTES_SET: Final = frozenset(_BYTES_KEYS)
#: an ``isinstance`` class tuple (``int | float`` in the test builds a union each time)
_NUMBER: Final = (int, float)
_ATTEMPTS: Final = frozenset({"action.requested", "action.denied"})
_SLICES: Final = 6  # slices of an :class:`AnomalyState`'s window


def _sent(*sources: dict[str, Any] | None) -> float:
    for src in sources:
        if src:
            for key in _BYTES_KEYS:
                v = src.get(key)
                if isinstance(v, _NUMBER) and not isinstance(v, bool) and v > 0:
                    return float(v)
    return 0.0


def _is_private(host: str) -> bool:
    """Whether ``host`` is a private address (not loopback or link-local). Remembered
    for hosts up to 255 characters (a name fails to parse by an exception); a longer
    one (an agent's megabyte host) is not kept."""
    if len(host) > 255:
        return _private.__wrapped__(host)
    return _private(host)


@lru_cache(maxsize=4096)
def _private(host: str) -> bool:
    try:
        addr = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return addr.is_private and not addr.is_loopback and not addr.is_link_local


def _mad(values: list[float]) -> tuple[float, float]:
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        return 0.0, 0.0
    med = xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
    dev = sorted(abs(x - med) for x in xs)
    mad = dev[n // 2] if n % 2 else (dev[n // 2 - 1] + dev[n // 2]) / 2
    return med, mad * 1.4826


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    xs = sorted(values)
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))]


@dataclass
class Finding:
    """An anomaly: the score, the threshold it passed and the features that drove it."""

    score: float
    threshold: float
    contributions: list[dict[str, Any]]
    raw: dict[str, float]

    def explain(self, top: int = 3) -> str:
        parts = []
        for c in self.contributions[:top]:
            parts.append(
                f"{c['feature']} {_fmt(c['value'])} vs usual {_fmt(c['baseline'])} "
                f"(z={c['z']:+.1f})"
            )
        return "; ".join(parts)


def _fmt(x: float) -> str:
    if abs(x - round(x)) < 1e-9 and abs(x) < 1e15:
        return str(round(x))
    return f"{x:.2f}"


class _Slot:
    """Counts for one slice of the window."""

    __slots__ = ("bytes", "cpu_n", "cpu_sum", "denied", "first", "hosts", "kinds", "n",
                 "ports", "programs", "start")  # fmt: skip

    def __init__(self, start: float, first: float) -> None:
        self.start = start
        self.first = first
        self.n = 0
        self.kinds: dict[str, int] = {}
        self.programs: set[str] = set()
        self.hosts: set[str] = set()
        self.ports: set[tuple[str, int]] = set()
        self.bytes = 0.0
        self.cpu_sum = 0.0
        self.cpu_n = 0
        self.denied = 0


def _take(counts: dict[Any, int], key: Any, n: int = 1) -> bool:
    """``counts[key] -= n``, the key deleted when none are left; True when it was."""
    left = counts[key] - n
    if left:
        counts[key] = left
        return False
    del counts[key]
    return True


class AnomalyState:
    """Rolling per-session features (one per session, kept by the monitor).

    The window is kept as six slices, so an event costs a few counter updates and old
    slices drop off whole. What the features count across the window (programs, hosts,
    ports, actions) is kept up to date as slices come and go, so reading the features
    (every few actions, or at once when something is new to the window) costs the same
    whatever the number of hosts or programs in the window."""

    __slots__ = ("alert_score", "alert_time", "hosts", "kinds", "max_ports", "n", "novel",
                 "pending", "per_host", "port_counts", "ports", "private", "programs",
                 "slots", "window_n")  # fmt: skip

    SLICES: Final = _SLICES

    def __init__(self) -> None:
        self.slots: deque[_Slot] = deque()
        self.n = 0  # actions seen (all time)
        self.pending = 0  # actions since the last score
        self.novel = False
        self.alert_time: float | None = None
        self.alert_score = 0.0
        # across the slots held: how many slots hold each program, host and (host, port)
        self.programs: dict[str, int] = {}
        self.hosts: dict[str, int] = {}
        self.ports: dict[tuple[str, int], int] = {}
        #: distinct ports per host, how many hosts have each number, and the largest
        self.per_host: dict[str, int] = {}
        self.port_counts: dict[int, int] = {}
        self.max_ports = 0
        self.private = 0  # hosts held that are private addresses
        self.window_n = 0  # actions held
        self.kinds: dict[str, int] = {}  # actions held per kind

    def add(self, event: Any, attempt: bool, known: frozenset[str], window_s: float) -> bool:
        """Fold one event in; True when it changed the features."""
        action = event.action
        kind = action.kind if attempt and action is not None else None
        outcome, data = event.outcome, event.data
        nbytes = 0.0
        if (outcome and not _BYTES_SET.isdisjoint(outcome)) or (
            data and not _BYTES_SET.isdisjoint(data)
        ):
            nbytes = _sent(outcome, data)
        cpu = None
        if data and event.type == "resource.sample":
            v = data.get("cpu_pct")
            if isinstance(v, _NUMBER) and not isinstance(v, bool):
                cpu = float(v)
        if kind is None and not nbytes and cpu is None:
            return False
        t = event.time
        slots = self.slots
        width = window_s / _SLICES
        if not slots or t >= (slot := slots[-1]).start + width:
            slot = _Slot(t - (t % width), t)
            slots.append(slot)
            cutoff = t - window_s
            while slots[0].start + width <= cutoff:
                self._drop(slots.popleft())
        if kind is not None:
            self.n += 1
            self.pending += 1
            self.window_n += 1
            slot.n += 1
            kinds = slot.kinds
            kinds[kind] = kinds.get(kind, 0) + 1
            kinds = self.kinds
            kinds[kind] = kinds.get(kind, 0) + 1
            if kind == "exec" or kind == "spawn":
                argv = action.argv
                if argv:
                    p = argv[0].rsplit("/", 1)[-1] if "/" in argv[0] else argv[0]
                    if p not in known and p not in slot.programs:
                        slot.programs.add(p)
                        held = self.programs.get(p, 0)
                        self.programs[p] = held + 1
                        if not held:
                            self.novel = True  # new to the whole window: score now
            elif kind == "net":
                host = action.host
                if host not in slot.hosts:
                    slot.hosts.add(host)
                    held = self.hosts.get(host, 0)
                    self.hosts[host] = held + 1
                    if not held:
                        self.novel = True
                        if _is_private(host):
                            self.private += 1
                if action.port is not None:
                    key = (host, action.port)
                    if key not in slot.ports:
                        slot.ports.add(key)
                        held = self.ports.get(key, 0)
                        self.ports[key] = held + 1
                        if not held:
                            self.novel = True
                            self._port_count(host, 1)
            if event.type == "action.denied":
                slot.denied += 1
        if nbytes:
            slot.bytes += nbytes
        if cpu is not None:
            slot.cpu_sum += cpu
            slot.cpu_n += 1
        return True

    def _drop(self, slot: _Slot) -> None:
        """Take a slice that left the window out of the window's counts."""
        self.window_n -= slot.n
        kinds = self.kinds
        for k, c in slot.kinds.items():
            _take(kinds, k, c)
        programs = self.programs
        for p in slot.programs:
            _take(programs, p)
        hosts = self.hosts
        for h in slot.hosts:
            if _take(hosts, h) and _is_private(h):
                self.private -= 1
        ports = self.ports
        for key in slot.ports:
            if _take(ports, key):
                self._port_count(key[0], -1)

    def _port_count(self, host: str, step: int) -> None:
        """One distinct port more (``step`` 1) or less (-1) on ``host``."""
        per_host, counts = self.per_host, self.port_counts
        old = per_host.get(host, 0)
        new = old + step
        if old:
            _take(counts, old)
        if new:
            per_host[host] = new
            counts[new] = counts.get(new, 0) + 1
            if new > self.max_ports:
                self.max_ports = new
        else:
            del per_host[host]
        if old == self.max_ports and old not in counts:
            self.max_ports = new  # the only host with the most ports has one less

    @property
    def actions(self) -> int:
        """Actions in the window."""
        return self.window_n

    def features(self, now: float, window_s: float) -> dict[str, float]:
        """The features of the window ending at ``now``, by name."""
        return dict(zip(FEATURES, self.values(now, window_s), strict=True))

    def values(self, now: float, window_s: float) -> tuple[float, ...]:
        """The features of the window ending at ``now``, in the order of
        :data:`FEATURES` (what a score reads, without a dict per score)."""
        width = window_s / self.SLICES
        cutoff = now - window_s
        slots = self.slots
        for s in slots:
            if not s.start + width > cutoff:
                got = self._features_of([s for s in slots if s.start + width > cutoff], now,
                                        window_s)  # fmt: skip
                return tuple(got[name] for name in FEATURES)
        n = self.window_n
        first = now if not slots else slots[0].first  # min() of the firsts, in one pass
        cpu_n = denied = 0
        for s in slots:
            if s.first < first:
                first = s.first
            cpu_n += s.cpu_n
            denied += s.denied
        span = min(max(now - first, 10.0), window_s)
        kinds = self.kinds
        if n:
            exec_share = kinds.get("exec", 0) / n + kinds.get("spawn", 0) / n
            code_share = kinds.get("code", 0) / n
            net_share = kinds.get("net", 0) / n
        else:
            exec_share = code_share = net_share = 0.0
        return (  # in the order of FEATURES
            n / span * 60.0,
            float(len(self.programs)),
            float(len(self.hosts)),
            float(self.private),
            float(self.max_ports),
            sum(s.bytes for s in slots),
            sum(s.cpu_sum for s in slots) / cpu_n if cpu_n else 0.0,
            float(denied),
            exec_share,
            code_share,
            net_share,
        )

    @staticmethod
    def _features_of(slots: list[_Slot], now: float, window_s: float) -> dict[str, float]:
        """The features of some of the slices, counted afresh (a slice the window has
        left but no later event has dropped yet)."""
        n = sum(s.n for s in slots)
        first = min((s.first for s in slots), default=now)
        span = min(max(now - first, 10.0), window_s)
        kinds: dict[str, int] = {}
        programs: set[str] = set()
        hosts: set[str] = set()
        ports: set[tuple[str, int]] = set()
        for s in slots:
            for k, c in s.kinds.items():
                kinds[k] = kinds.get(k, 0) + c
            programs |= s.programs
            hosts |= s.hosts
            ports |= s.ports
        per_host: dict[str, int] = {}
        for host, _ in ports:
            per_host[host] = per_host.get(host, 0) + 1
        cpu_n = sum(s.cpu_n for s in slots)

        def share(k: str) -> float:
            return kinds.get(k, 0) / n if n else 0.0

        return {
            "rate": n / span * 60.0,
            "new_programs": float(len(programs)),
            "hosts": float(len(hosts)),
            "private_hosts": float(sum(1 for h in hosts if _is_private(h))),
            "ports_per_host": float(max(per_host.values(), default=0)),
            "bytes_out": sum(s.bytes for s in slots),
            "cpu": sum(s.cpu_sum for s in slots) / cpu_n if cpu_n else 0.0,
            "denied": float(sum(s.denied for s in slots)),
            "exec_share": share("exec") + share("spawn"),
            "code_share": share("code"),
            "net_share": share("net"),
        }


@dataclass
class Baseline:
    """What benign sessions look like: per-feature median and spread, known programs."""

    medians: dict[str, float] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)
    known_programs: frozenset[str] = frozenset()
    threshold: float = 8.0
    window_s: float = 60.0
    min_actions: int = 8
    every: int = 8
    sessions: int = 0
    samples: int = 0

    # scoring -------------------------------------------------------------------------

    @staticmethod
    def _transform(name: str, value: float) -> float:
        return math.log1p(max(value, 0.0)) if name in _LOG else value

    def _plan(self) -> tuple[tuple[str, float, float, bool], ...]:
        plan = self.__dict__.get("_plan_cache")
        if plan is None:
            plan = tuple(
                (name, self.medians.get(name, 0.0),
                 max(self.scales.get(name, 0.0), FLOORS[name]), name in _LOG)
                for name in FEATURES
            )  # fmt: skip
            self.__dict__["_plan_cache"] = plan
        return plan

    def quick_score(self, values: tuple[float, ...]) -> float:
        """The score alone (no explanation) of features in the order of :data:`FEATURES`
        (:meth:`AnomalyState.values`)."""
        total = 0.0
        log1p = math.log1p
        for (_, med, scale, is_log), x in zip(self._plan(), values, strict=True):
            z = ((log1p(x) if is_log and x > 0 else x) - med) / scale
            if z > 0:
                total += z * z
        return math.sqrt(total)

    def score(self, raw: dict[str, float]) -> tuple[float, list[dict[str, Any]]]:
        """(score, contributions sorted by z, largest first)."""
        total = 0.0
        contribs = []
        for name in FEATURES:
            med = self.medians.get(name, 0.0)
            scale = max(self.scales.get(name, 0.0), FLOORS[name])
            z = (self._transform(name, raw.get(name, 0.0)) - med) / scale
            if z > 0:
                total += z * z
                baseline = round(math.expm1(med) if name in _LOG else med, 3)
                contribs.append(
                    {"feature": name, "value": raw.get(name, 0.0), "baseline": baseline,
                     "scale": scale, "z": round(z, 2)}
                )  # fmt: skip
        contribs.sort(key=lambda c: -c["z"])
        return math.sqrt(total), contribs

    def update(self, state: AnomalyState, event: Any, attempt: bool) -> Finding | None:
        """Fold ``event`` into ``state``; a :class:`Finding` when the session is anomalous."""
        if not state.add(event, attempt, self.known_programs, self.window_s):
            return None
        if state.pending < self.every and not state.novel:
            return None
        if state.n < self.min_actions:
            return None
        state.pending = 0
        state.novel = False
        values = state.values(event.time, self.window_s)
        if state.window_n < self.min_actions:
            return None
        if self.quick_score(values) < self.threshold:
            return None
        raw = dict(zip(FEATURES, values, strict=True))
        score, contribs = self.score(raw)
        t = event.time
        if (
            state.alert_time is not None
            and t - state.alert_time < 300.0
            and score < state.alert_score * 1.5
        ):
            return None
        state.alert_time, state.alert_score = t, score
        return Finding(round(score, 2), self.threshold, contribs, raw)

    # fitting ---------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        sessions: list[list[Any]],
        *,
        window_s: float = 60.0,
        min_actions: int = 8,
        every: int = 8,
        margin: float = 1.5,
        floor: float = 5.0,
    ) -> Baseline:
        """Learn a baseline from benign sessions (each a list of events, in time order).

        A program counts as new in a training session when no *other* session ran it,
        so ``new_programs`` is learned with realistic values. The threshold is the
        larger of ``floor``, ``margin`` x the 99th percentile of benign scores and the
        highest benign session score x 1.1.
        """
        per_session = []
        counts: dict[str, int] = {}
        for events in sessions:
            progs = set()
            for e in events:
                a = getattr(e, "action", None)
                if a is not None and a.kind in ("exec", "spawn") and a.argv:
                    progs.add(_basename(a.argv[0]))
            per_session.append(progs)
            for p in progs:
                counts[p] = counts.get(p, 0) + 1
        known_all = frozenset(counts)
        snapshots: list[list[dict[str, float]]] = []
        for events, progs in zip(sessions, per_session, strict=True):
            own_only = {p for p in progs if counts[p] == 1}
            known = known_all - own_only
            state = AnomalyState()
            snaps: list[dict[str, float]] = []
            seen: deque[Any] = deque(maxlen=32)
            for e in events:
                attempt = _is_attempt(e, seen)
                if state.add(e, attempt, known, window_s) and state.actions >= min_actions:
                    snaps.append(state.features(e.time, window_s))
            snapshots.append(snaps)
        flat = [s for snaps in snapshots for s in snaps]
        medians, scales = {}, {}
        for name in FEATURES:
            values = [cls._transform(name, s[name]) for s in flat]
            med, mad = _mad(values)
            medians[name], scales[name] = round(med, 6), round(mad, 6)
        base = cls(
            medians=medians,
            scales=scales,
            known_programs=known_all,
            window_s=window_s,
            min_actions=min_actions,
            every=every,
            sessions=len(sessions),
            samples=len(flat),
        )
        scores = [base.score(s)[0] for s in flat]
        session_max = [max((base.score(s)[0] for s in snaps), default=0.0) for snaps in snapshots]
        threshold = max(floor, margin * _quantile(scores, 0.99), 1.1 * max(session_max, default=0))
        base.threshold = round(threshold, 3)
        return base

    # persistence -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "window_s": self.window_s,
            "min_actions": self.min_actions,
            "every": self.every,
            "threshold": self.threshold,
            "sessions": self.sessions,
            "samples": self.samples,
            "features": {
                name: {"median": self.medians.get(name, 0.0), "scale": self.scales.get(name, 0.0)}
                for name in FEATURES
            },
            "known_programs": sorted(self.known_programs),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        if data.get("version") != 1:
            raise ValueError(f"unsupported baseline version {data.get('version')!r}")
        feats = data.get("features", {})
        return cls(
            medians={k: float(v["median"]) for k, v in feats.items()},
            scales={k: float(v["scale"]) for k, v in feats.items()},
            known_programs=frozenset(data.get("known_programs", [])),
            threshold=float(data.get("threshold", 8.0)),
            window_s=float(data.get("window_s", 60.0)),
            min_actions=int(data.get("min_actions", 8)),
            every=int(data.get("every", 8)),
            sessions=int(data.get("sessions", 0)),
            samples=int(data.get("samples", 0)),
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Baseline:
        return cls.from_dict(json.loads(Path(path).read_text("utf-8")))


def _is_attempt(event: Any, seen: deque[Any]) -> bool:
    action = event.action
    if action is None:
        return False
    if event.type in _ATTEMPTS:
        seen.append(action)
        return True
    if event.type == "action.completed":
        for i, a in enumerate(seen):
            if a is action or a == action:
                del seen[i]
                return False
        return True
    return False


_DEFAULT: Baseline | None = None


def default_baseline() -> Baseline:
    """The shipped baseline (loaded once)."""
    global _DEFAULT
    if _DEFAULT is None:
        text = resources.files("corral.monitor").joinpath("baselines/default.json").read_text()
        _DEFAULT = Baseline.from_dict(json.loads(text))
    return _DEFAULT


# ---------------------------------------------------------------------- benign sessions

_PY_FILES = ["src/app/main.py", "src/app/models.py", "tests/test_main.py", "README.md",
             "pyproject.toml", "src/app/utils.py", "setup.cfg", "docs/index.md"]  # fmt: skip
_PY_TESTS = ["python -m pytest -q", "pytest tests/test_main.py -x", "ruff check .", "mypy src",
             "python -m app.main"]  # fmt: skip
_JS_FILES = ["src/index.ts", "src/App.tsx", "package.json", "tsconfig.json", "src/api.ts"]
_HOSTS_PY = [("pypi.org", 443), ("files.pythonhosted.org", 443)]
_HOSTS_JS = [("registry.npmjs.org", 443)]
_HOSTS_MISC = [("github.com", 443), ("api.github.com", 443), ("objects.githubusercontent.com", 443),
               ("raw.githubusercontent.com", 443), ("huggingface.co", 443),
               ("docs.python.org", 443), ("localhost", 8000), ("127.0.0.1", 5432),
               ("10.0.1.5", 5432), ("10.0.1.6", 6379), ("192.168.1.20", 8080)]  # fmt: skip


class _Gen:
    def __init__(self, rng: random.Random, session: str) -> None:
        self.rng = rng
        self.session = session
        self.t = 1_700_000_000.0 + rng.random() * 1e6
        self.seq = 0
        self.events: list[Event] = []

    def _emit(self, type_: str, **kw: Any) -> Event:
        self.seq += 1
        ev = make_event(session=self.session, seq=self.seq, time=self.t, type=type_, **kw)
        self.events.append(ev)
        return ev

    def wait(self, mean: float) -> None:
        self.t += self.rng.expovariate(1.0 / mean)

    def action(self, action: Any, *, out: int = 0, denied: bool = False, wait: float = 2.0) -> None:
        self.wait(wait)
        if denied:
            self._emit("action.denied", action=action)
            return
        self._emit("action.requested", action=action)
        self.t += self.rng.random() * 0.5
        outcome: dict[str, Any] = {"exit_code": 0}
        if out:
            outcome["bytes_out"] = out
        self._emit("action.completed", action=action, outcome=outcome)

    def cmd(self, line: str, **kw: Any) -> None:
        from ..policy.shellsplit import analyze

        self.wait(kw.pop("wait", 3.0))
        code = CodeAction(language="shell", code=line)
        self._emit("action.requested", action=code)
        for c in analyze(line).commands:
            if c.argv:
                self.t += self.rng.random() * 0.2
                self._emit("action.requested", action=ExecAction(argv=c.argv, line=line))
        self._emit("action.completed", action=code, outcome={"exit_code": 0})

    def net(self, host: str, port: int, n: int = 1, out: int = 600) -> None:
        for _ in range(n):
            url = f"https://{host}/" if port == 443 else f"http://{host}:{port}/"
            act = NetAction(host=host, port=port, protocol=url.split(":")[0], url=url)
            self.action(act, out=self.rng.randint(out // 2, out * 2), wait=0.3)

    def file(self, op: str, path: str) -> None:
        self.action(FileAction(op=op, path=f"/workspace/{path}"), wait=1.0)  # type: ignore[arg-type]

    def sample(self, cpu: float) -> None:
        self._emit("resource.sample", data={"cpu_pct": cpu, "rss_mb": 200})


def _sample_events(g: _Gen, busy: bool) -> None:
    g.sample(g.rng.uniform(60, 100) if busy else g.rng.uniform(1, 40))


def benign_sessions(n: int = 160, seed: int = 7) -> list[list[Event]]:
    """Synthetic benign developer sessions (deterministic for a seed)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        g = _Gen(rng, f"benign-{i}")
        flavour = rng.choice(["python", "python", "node", "c", "data", "ops"])
        steps = rng.randint(12, 40)
        for _ in range(steps):
            r = rng.random()
            if rng.random() < 0.15:
                _sample_events(g, busy=rng.random() < 0.2)
            if flavour in ("python", "data"):
                if r < 0.2:
                    g.cmd(rng.choice(["git status", "git diff", "git log --oneline -5",
                                      "ls -la", "git add -A", "git commit -m wip"]))  # fmt: skip
                elif r < 0.35:
                    g.file(rng.choice(["read", "read", "write", "list"]), rng.choice(_PY_FILES))
                elif r < 0.5:
                    g.cmd(rng.choice(_PY_TESTS))
                elif r < 0.6:
                    g.cmd("pip install -r requirements.txt")
                    for host, port in _HOSTS_PY:
                        g.net(host, port, n=rng.randint(1, 6))
                elif r < 0.75:
                    code = rng.choice([
                        "import pandas as pd\ndf = pd.read_csv('data.csv')\nprint(df.describe())",
                        "print(sum(range(10)))",
                        "import json\nprint(json.load(open('config.json')))",
                    ])  # fmt: skip
                    g.action(CodeAction(language="python", code=code), wait=4.0)
                elif r < 0.85:
                    host, port = rng.choice(_HOSTS_MISC)
                    g.net(host, port, n=rng.randint(1, 2))
                elif r < 0.92:
                    g.cmd(rng.choice(["grep -rn TODO src", "find . -name '*.py'", "wc -l src/*.py",
                                      "cat README.md", "head -20 data.csv"]))  # fmt: skip
                else:
                    g.cmd(rng.choice(["git push origin main", "git pull --rebase"]))
                    g.net("github.com", 443, n=1, out=rng.randint(2000, 400000))
            elif flavour == "node":
                if r < 0.25:
                    g.cmd(rng.choice(["git status", "git diff", "ls", "cat package.json"]))
                elif r < 0.4:
                    g.file(rng.choice(["read", "write"]), rng.choice(_JS_FILES))
                elif r < 0.55:
                    g.cmd(rng.choice(["npm test", "npx eslint src", "npx tsc --noEmit",
                                      "npm run build", "node scripts/gen.js"]))  # fmt: skip
                elif r < 0.65:
                    g.cmd(rng.choice(["npm install", "npm ci", "npm install lodash"]))
                    g.net("registry.npmjs.org", 443, n=rng.randint(3, 12))
                elif r < 0.8:
                    g.action(CodeAction(language="js", code="console.log([1,2,3].map(x => x*2))"))
                else:
                    host, port = rng.choice(_HOSTS_MISC)
                    g.net(host, port)
            elif flavour == "c":
                if r < 0.3:
                    g.cmd(rng.choice(["make", "make -j4", "make test", "cmake --build build"]))
                    if rng.random() < 0.5:
                        _sample_events(g, busy=True)
                elif r < 0.5:
                    g.cmd(rng.choice(["gcc -O2 -Wall -o app main.c", "./app --help", "ls build",
                                      "git status", "git diff"]))  # fmt: skip
                elif r < 0.7:
                    g.file(
                        rng.choice(["read", "write"]), rng.choice(["main.c", "util.h", "Makefile"])
                    )
                else:
                    g.cmd(
                        rng.choice(
                            ["grep -rn malloc src", "objdump -d app | head", "valgrind ./app"]
                        )
                    )
            elif flavour == "ops":
                if r < 0.3:
                    g.cmd(rng.choice(["docker build -t app .", "docker ps", "docker compose up -d",
                                      "docker logs app --tail 50"]))  # fmt: skip
                elif r < 0.5:
                    g.cmd(rng.choice(["kubectl get pods", "kubectl logs deploy/app --tail=100",
                                      "kubectl describe pod app-1", "helm list"]))  # fmt: skip
                elif r < 0.7:
                    g.cmd(rng.choice(["curl -s https://api.github.com/repos/org/app",
                                      "curl -sI https://example.com", "ping -c 3 github.com",
                                      "dig +short github.com"]))  # fmt: skip
                    g.net(rng.choice(["api.github.com", "example.com"]), 443)
                else:
                    g.cmd(
                        rng.choice(["terraform plan", "git status", "ls -la", "df -h", "top -bn1"])
                    )
        out.append(g.events)
    return out


def corpus_sessions(items: Iterable[str], seed: int = 11) -> list[list[Event]]:
    """Benign sessions made of corpus commands, in random chunks of 10 to 30."""
    rng = random.Random(seed)
    commands = list(items)
    rng.shuffle(commands)
    out = []
    i = 0
    k = 0
    while i < len(commands):
        size = rng.randint(10, 30)
        g = _Gen(rng, f"corpus-{k}")
        for line in commands[i : i + size]:
            g.cmd(line, wait=5.0)
        out.append(g.events)
        i += size
        k += 1
    return out


def build_default() -> Baseline:
    """Fit the default baseline (synthetic sessions and the corpus's benign commands)."""
    from .evaluate import load_corpus, trace_events

    corpus = resources.files("corral.monitor").joinpath("corpus/default.jsonl")
    with resources.as_file(corpus) as path:
        items = load_corpus(path)
    commands = [it.command for it in items if it.label == "benign" and it.command]
    traces = [
        trace_events(it.events, f"corpus-trace-{i}")
        for i, it in enumerate(items)
        if it.label == "benign" and it.events
    ]
    return Baseline.fit(benign_sessions() + corpus_sessions(commands) + traces)


def main() -> None:  # pragma: no cover - a maintenance entry point
    base = build_default()
    target = Path(__file__).with_name("baselines") / "default.json"
    target.parent.mkdir(exist_ok=True)
    base.save(target)
    print(f"wrote {target}: threshold {base.threshold}, {base.sessions} sessions")


if __name__ == "__main__":  # pragma: no cover
    main()
