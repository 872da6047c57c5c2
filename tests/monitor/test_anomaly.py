"""The anomaly score: fitting a baseline, scoring synthetic sessions, explaining alerts."""

from __future__ import annotations

import json
from pathlib import Path

from corral.monitor import Baseline, Monitor, default_baseline
from corral.monitor.anomaly import FEATURES, AnomalyState, benign_sessions, build_default

from .helpers import Clock, Feed, feed_all


def _scan_session(session: str = "scan") -> list:
    f = Feed(session, Clock())
    out = []
    for port in range(1, 40):
        out.append(f.net("10.0.0.5", port))
        f.clock.advance(0.2)
    return out


def _busy_benign_session(session: str = "ok") -> list:
    f = Feed(session, Clock())
    out = []
    for i in range(60):
        out.append(f.exec("pytest", "-q", f"tests/test_{i % 5}.py"))
        f.clock.advance(3)
        out.append(f.file("read", f"/workspace/src/m{i % 7}.py"))
        f.clock.advance(2)
    return out


def test_fit_learns_medians_spreads_and_a_threshold() -> None:
    sessions = benign_sessions(40, seed=3)
    base = Baseline.fit(sessions)
    assert set(base.medians) == set(FEATURES) == set(base.scales)
    assert base.sessions == 40 and base.samples > 100
    assert "git" in base.known_programs and "pytest" in base.known_programs
    assert base.threshold >= 5.0
    # no benign training session reaches the threshold
    for events in sessions:
        m = Monitor(packs=[], baseline=base)
        assert feed_all(m, events) == []


def test_scan_session_is_anomalous_and_explained() -> None:
    m = Monitor(packs=[], baseline=default_baseline())
    alerts = feed_all(m, _scan_session())
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "anomaly" and alert.source == "anomaly"
    assert alert.severity == "medium" and alert.response == "alert"
    top = alert.explanation[0]
    assert top.feature == "ports_per_host" and top.value >= 20 and top.z > 3
    assert top.baseline <= 2
    assert "ports_per_host" in alert.summary and "vs usual" in alert.summary
    json.loads(alert.model_dump_json())


def test_benign_sessions_stay_quiet() -> None:
    m = Monitor(packs=[], baseline=default_baseline())
    assert feed_all(m, _busy_benign_session()) == []
    for events in benign_sessions(30, seed=1234):  # not the sessions it was fitted on
        assert feed_all(Monitor(packs=[], baseline=default_baseline()), events) == []


def test_new_programs_and_denials_drive_the_score() -> None:
    base = default_baseline()
    f = Feed("weird", Clock())
    events = []
    for i in range(30):
        events.append(f.exec(f"tool{i}", "--go"))
        events.append(f.exec("cat", f"/etc/x{i}", type_="action.denied"))
        f.clock.advance(1)
    alerts = feed_all(Monitor(packs=[], baseline=base), events)
    assert alerts
    features = {c.feature for c in alerts[0].explanation}
    assert {"new_programs", "denied"} <= features


def test_cpu_samples_feed_the_cpu_feature() -> None:
    state = AnomalyState()
    f = Feed("cpu", Clock())
    base = default_baseline()
    for _ in range(5):
        state.add(f.sample(cpu_pct=100), False, base.known_programs, base.window_s)
        f.clock.advance(5)
    assert state.features(f.clock(), base.window_s)["cpu"] == 100


def test_repeat_alerts_are_held_back() -> None:
    m = Monitor(packs=[], baseline=default_baseline())
    first = feed_all(m, _scan_session())
    second = feed_all(m, _scan_session())  # same session id, same clock start
    assert len(first) == 1 and second == []


def test_save_load_round_trip(tmp_path: Path) -> None:
    base = Baseline.fit(benign_sessions(10, seed=5))
    path = tmp_path / "b.json"
    base.save(path)
    again = Baseline.load(path)
    assert again.to_dict() == base.to_dict()
    m = Monitor(packs=[], baseline=str(path))
    assert m.baseline is not None and m.baseline.threshold == base.threshold


def test_shipped_baseline_is_the_one_the_builder_makes() -> None:
    """If this fails, rebuild it: python -c 'from corral.monitor.anomaly import main; main()'"""
    assert build_default().to_dict() == default_baseline().to_dict()


def test_long_hosts_are_scored_but_not_remembered() -> None:
    """The private-address answer is kept per host for short hosts only: an agent's
    megabyte host names cannot fill the table with megabytes."""
    from corral.monitor.anomaly import _is_private, _private

    before = _private.cache_info().currsize
    for i in range(20):
        assert not _is_private("h" * 100_000 + str(i))
    assert _is_private("fd00::1%" + "z" * 300)  # a long scope id: still an address
    assert _private.cache_info().currsize == before
    assert _is_private("10.1.2.3") and not _is_private("127.0.0.1")


def test_window_counts_kept_up_to_date_equal_counting_afresh() -> None:
    """The features read from the counts kept as slices come and go equal the features
    counted afresh from the slices, on random sessions: time jumps forward and back,
    private and public hosts, many ports on one host, unknown programs, denials, bytes
    and CPU samples."""
    import random

    from corral.events import Event, ExecAction, NetAction
    from corral.monitor.records import make_event

    base = default_baseline()
    rng = random.Random(20261205)
    hosts = ["10.0.0.1", "10.0.0.2", "192.168.1.9", "pypi.org", "github.com", "8.8.8.8",
             "[fd00::1]", "x" * 300]  # fmt: skip
    for trial in range(40):
        state = AnomalyState()
        t = 1_700_000_000.0 + rng.random() * 1000
        for i in range(rng.randint(50, 400)):
            r = rng.random()
            t += rng.choice([0.01, 0.5, 3.0, 11.0, 70.0, -5.0]) * rng.random()
            kw = {"session": f"s{trial}", "seq": i + 1, "time": t}
            if r < 0.4:
                prog = rng.choice(["git", "ls", "/usr/bin/nmap", "tool1", "tool2", "./x"])
                type_ = "action.denied" if rng.random() < 0.1 else "action.requested"
                ev = Event(type=type_, action=ExecAction(argv=[prog, "a"]), **kw)
            elif r < 0.8:
                port = rng.choice([None, 443, 22, *range(1, 40)])
                act = NetAction(host=rng.choice(hosts), port=port)
                ev = Event(type="action.requested", action=act,
                           data={"bytes_out": rng.randint(0, 5000)}, **kw)  # fmt: skip
            else:
                ev = make_event(type="resource.sample",
                                data={"cpu_pct": rng.uniform(0, 100)}, **kw)  # fmt: skip
            attempt = ev.type != "resource.sample"
            state.add(ev, attempt, base.known_programs, base.window_s)
            for now in (t, t + rng.random() * 90):
                width = base.window_s / AnomalyState.SLICES
                held = [s for s in state.slots if s.start + width > now - base.window_s]
                want = AnomalyState._features_of(held, now, base.window_s)
                assert state.features(now, base.window_s) == want
            assert state.actions == sum(s.n for s in state.slots)
