"""The fleet's parts without a cluster: caps, the creation rate, rules, audit names,
and a Fleet() that starts its own Ray and stops it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from corral.fleet import FleetAlert, FleetError
from corral.fleet.hub import audit_name
from corral.fleet.placement import Admission, Capacity
from corral.fleet.rules import FleetRules, load_rules

SRC = Path(__file__).resolve().parent.parent.parent / "src"


def test_capacity_from_cores_and_memory() -> None:
    cap = Capacity(per_cpu=4, mem_per_sandbox_mb=256)
    assert cap.cap(2, 64 * 2**30) == 8  # cores bound it
    assert cap.cap(64, 1 * 2**30) == 4  # memory bounds it
    assert cap.cap(0.5, 1) == 1  # never zero
    assert Capacity(max_per_node=3).cap(64, 2**40) == 3
    for bad in (0, -1, True, 1.5):
        with pytest.raises(FleetError, match="max_per_node"):
            Capacity(max_per_node=bad)  # type: ignore[arg-type]
    with pytest.raises(FleetError, match="positive"):
        Capacity(per_cpu=0)


def test_admission_waits_for_room_and_spreads() -> None:
    adm = Admission({"a": 1, "b": 2})
    got = [adm.acquire(timeout=1), adm.acquire(timeout=1), adm.acquire(timeout=1)]
    assert sorted(got) == ["a", "b", "b"]
    with pytest.raises(FleetError, match="no room for a sandbox within"):
        adm.acquire(timeout=0.2)
    out: list[str] = []
    t = threading.Thread(target=lambda: out.append(adm.acquire(timeout=60)))
    t.start()
    time.sleep(0.2)
    assert not out  # still waiting
    adm.release("a")
    t.join(60)
    assert out == ["a"]
    adm.close()
    with pytest.raises(FleetError, match="closed"):
        adm.acquire(timeout=1)


def test_admission_rate_limit() -> None:
    adm = Admission({"n": 100}, rate=10.0, burst=1)
    t0 = time.monotonic()
    for _ in range(4):
        adm.acquire(timeout=30)
    assert time.monotonic() - t0 >= 0.25  # 3 tokens at 10/s after the first
    with pytest.raises(FleetError, match="positive"):
        Admission({"n": 1}, rate=0)


def _alert(episode: int, t: float, run: str = "r1", rule: str = "mining-stratum-url") -> FleetAlert:
    return FleetAlert(id=f"a{episode}-{t}", rule=rule, session=f"s{episode}", time=t,
                      tags={"run": run, "episode": episode, "step": 1})


def test_fleet_rule_distinct_episodes_within_window() -> None:
    rules = FleetRules(load_rules([{"episodes": 3, "window_s": 10, "match": "mining-*"}]))
    assert rules.observe(_alert(1, 0)) == []
    assert rules.observe(_alert(1, 1)) == []  # the same episode again: not distinct
    assert rules.observe(_alert(2, 2)) == []
    assert rules.observe(_alert(5, 2, rule="tunnel-ssh")) == []  # does not match
    assert rules.observe(_alert(3, 30)) == []  # 1 and 2 are out of the window
    assert rules.observe(_alert(4, 31)) == []
    fired = rules.observe(_alert(5, 32))
    assert len(fired) == 1 and fired[0].source == "fleet" and fired[0].tags["episodes"] == 3
    assert rules.observe(_alert(6, 33)) == []  # once per window
    assert rules.observe(_alert(7, 34, run="r2")) == []  # runs are counted apart
    assert load_rules([]) == ()
    with pytest.raises(FleetError, match=r"fleet_rules\[0\]: window_s"):
        load_rules([{"window_s": -1}])
    with pytest.raises(FleetError, match=r"fleet_rules\[0\]: bogus"):
        load_rules([{"bogus": 1}])
    with pytest.raises(FleetError, match="must be a list"):
        load_rules("fleet.spread")


def test_audit_names_stay_in_their_directory() -> None:
    assert audit_name("r1") == "r1.sqlite"
    assert audit_name(None) == "untagged.sqlite"
    assert audit_name(7) == "7.sqlite"
    names = {audit_name(r) for r in ("../etc/x", "..", ".hidden", "a/b", "a_b", "a b", "é")}
    assert len(names) == 7  # none collide (a/b and a_b differ by their hash)
    for n in names:
        assert "/" not in n and not n.startswith(".") and n.endswith(".sqlite")


def test_fleet_starts_its_own_ray_and_stops_it(tmp_path) -> None:
    pytest.importorskip("ray", reason="ray is not installed (pip install 'corral[fleet]')")
    code = r"""
import os, ray
from corral.fleet import Fleet
with Fleet() as f:
    tmp = f._transport._tmp
    assert ray.is_initialized() and tmp and os.path.isdir(tmp)
    with f.sandbox(tags={"run": "own"}) as sb:
        assert sb.run("echo ok").stdout == "ok\n"
assert not ray.is_initialized(), "the fleet stops the Ray it started"
assert not os.path.exists(tmp), "its logs' temp dir is removed"
print("TMP", tmp)
"""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    tmp = r.stdout.split("TMP ", 1)[1].strip()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _procs_mentioning(tmp):
        time.sleep(0.5)
    assert not _procs_mentioning(tmp), "no Ray process of that cluster is left"


def _procs_mentioning(text: str) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if text.encode() in f.read():
                        out.append(int(pid))
            except OSError:
                pass
    return out


def test_slot_backpressure_keeps_every_event_in_order(monkeypatch) -> None:
    """A sandbox that floods events waits for the trainer: memory stays bounded, none lost."""
    from corral.fleet import slot as slotmod

    monkeypatch.setattr(slotmod, "MAX_OUTBOX", 20)
    got: list[dict] = []
    sizes: list[int] = []

    def slow_push(batch: list[dict]) -> None:
        sizes.append(len(batch))
        time.sleep(0.01)
        got.extend(batch)

    core = slotmod.SlotCore(slow_push, slot_idle_s=600)
    try:
        core.create({"session": "flood", "tags": {"run": "f"}, "options": {"policy": "default"}})
        result, step = core.call("run", ["for i in $(seq 1 150); do true; done; echo end"], {})
        assert result.stdout == "end\n" and step == 1
        core.release()
    finally:
        core.shutdown()
    seqs = [e["seq"] for e in got]
    assert seqs == list(range(1, len(seqs) + 1)), "every event, in order"
    assert len(seqs) > 150
    assert max(sizes) <= 20 + 1, "the outbox never grew past its bound"


def test_late_messages_never_end_the_next_episode_of_a_slot() -> None:
    from corral.fleet.slot import SlotCore

    core = SlotCore(lambda batch: None, slot_idle_s=600)
    try:
        core.create({"session": "first", "tags": {"episode": 1}, "options": {}})
        core.release()
        core.create({"session": "second", "tags": {"episode": 2}, "options": {}})
        core.end("late reap of the first episode", "fleet.reap", "first")
        core.decide("first", "alert-of-the-first", "end")
        result, step = core.call("run", ["echo alive"], {})
        assert result.stdout == "alive\n" and step == 1
        core.end("reaped", "fleet.reap", "second")
        with pytest.raises(Exception, match=r"episode=2 was ended \(rule fleet\.reap\)"):
            core.call("run", ["echo no"], {})
    finally:
        core.shutdown()


def _one_racing_end() -> None:
    from corral.fleet.slot import SlotCore

    holder: list[SlotCore] = []

    def push(batch: list[dict]) -> None:
        for ev in batch:
            if ev["type"] == "monitor.alert":
                threading.Thread(
                    target=holder[0].decide, args=("s", ev["data"]["id"], "end"), daemon=True
                ).start()

    core = SlotCore(push, slot_idle_s=600)
    holder.append(core)
    core.create({"session": "s", "tags": {"episode": 1}, "decide": True,
                 "decide_timeout_s": 60, "options": {"policy": "default"}})
    out: list = []
    miner = "xmrig -o stratum+tcp://pool.minexmr.com:4444 -u w --donate-level 1"
    t = threading.Thread(target=lambda: out.append(core.call("run", [miner], {})), daemon=True)
    t.start()
    t.join(90)
    assert not t.is_alive(), "the step hung"
    assert out and out[0][0].alerts
    core.shutdown()


def test_end_while_the_step_still_emits_does_not_deadlock() -> None:
    """An 'end' decision arriving while the step is still emitting its next alerts (the
    slot's lock and the session's event lock taken in both orders) must not hang."""
    for _ in range(3):
        _one_racing_end()


def test_hub_writes_a_batch_per_run_in_order_and_survives_a_broken_log(tmp_path, caplog):
    """The hub queues a batch's audit rows and writes them per run in one transaction:
    every event of each run in its log, in order, verifying; a run whose log cannot be
    written loses its rows with an error logged, the other runs' rows are written."""
    from corral.audit import iter_entries, verify
    from corral.events import Event
    from corral.fleet.hub import Hub

    hub = Hub(audit_dir=tmp_path, rules=FleetRules(load_rules(None)))
    (tmp_path / audit_name("broken")).mkdir()  # a directory where the log would go

    def doc(i: int, run: str) -> dict:
        return Event(
            session=f"s-{run}", seq=i, time=time.time(), type="action.completed",
            tags={"run": run, "episode": 1}, step=i, data={"i": i},
        ).model_dump(mode="json")  # fmt: skip

    batch = [doc(i, run) for i in range(30) for run in ("r1", "r2", "broken")]
    hub.ingest(batch[:50])
    hub.ingest(batch[50:])
    hub.close()
    for run in ("r1", "r2"):
        path = tmp_path / audit_name(run)
        got = [e.body["data"]["i"] for e in iter_entries(path) if e.kind == "event"]
        assert got == list(range(30)), run
        assert verify(path).ok
    assert hub.audit_lost == 30
    assert "audit rows of run 'broken' not written" in caplog.text


def test_sandboxes_stay_off_gpu_nodes_unless_asked(caplog) -> None:
    from corral.fleet.placement import sandbox_nodes

    nodes = {"gpu-a": (32.0, 2.0**38), "cpu-b": (16.0, 2.0**36), "cpu-c": (8.0, 2.0**35)}
    gpus = {"gpu-a": 8.0, "cpu-b": 0.0}
    assert set(sandbox_nodes(nodes, gpus, None)) == {"cpu-b", "cpu-c"}
    assert set(sandbox_nodes(nodes, gpus, False)) == {"cpu-b", "cpu-c"}
    assert set(sandbox_nodes(nodes, gpus, True)) == set(nodes)
    only_gpu = {"gpu-a": nodes["gpu-a"]}
    with pytest.raises(FleetError, match="every node of the cluster has GPUs"):
        sandbox_nodes(only_gpu, gpus, False)
    assert set(sandbox_nodes(only_gpu, gpus, None)) == {"gpu-a"}
    assert "every node has GPUs" in caplog.text


def test_each_fleets_own_alerts_have_a_session_of_their_own() -> None:
    """Every fleet's cross-episode alerts were session "fleet": on a ``corral serve``
    (``report_to``) the first tenant to report one owned that name, and every other
    tenant's batch holding a fleet alert was refused whole (404) — a tenant could claim
    it first and silence the others' fleet alerts."""
    spec = [{"episodes": 2, "window_s": 10, "match": "mining-*"}]
    sessions = []
    for _ in range(2):
        rules = FleetRules(load_rules(spec))
        rules.observe(_alert(1, 0))
        fired = rules.observe(_alert(2, 1))
        assert len(fired) == 1
        sessions.append(fired[0].session)
    assert sessions[0] != sessions[1]
    assert all(s.startswith("fleet-") and len(s) > len("fleet-") + 8 for s in sessions)
