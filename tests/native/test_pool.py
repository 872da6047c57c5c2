"""The warm pool of pre-started bwrap sessions (``backend_options={"pool": N}``), for real:
each sandbox gets its own workspace and nothing else of another's, its own gate, events
and uid; nothing is left once the pool ends."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from corral import Sandbox
from corral.budget import Budget
from corral.events import EventBus
from corral.native import pool
from corral.policy import Policy

from .conftest import need, wait_pool_ready

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the pool needs root (it mounts)")


@pytest.fixture(autouse=True)
def fresh_pools(monkeypatch):
    need("bwrap")
    monkeypatch.setattr(pool, "LINGER_S", 1.0)
    pool.shutdown()
    yield
    pool.shutdown()


def _pooled(ws: Path, size: int = 2, **kw) -> Sandbox:
    return Sandbox(workdir=ws, backend="bwrap", backend_options={"pool": size}, **kw)


def _prime(tmp_path: Path, size: int = 2, n: int | None = None, **kw) -> None:
    """A first sandbox of the key starts its pool (its own session the normal way)."""
    ws = tmp_path / "prime"
    ws.mkdir()
    with _pooled(ws, size, **kw) as sb:
        assert sb.run("true").ok
    wait_pool_ready(n or size)


def _taken(sb: Sandbox) -> bool:
    sess = sb._backend()._sess
    return sess is not None and sess.taken


def test_a_sandbox_takes_a_pooled_session_with_its_own_workspace(tmp_path):
    _prime(tmp_path)
    [p] = list(pool._POOLS.values())
    for waiting in p.ready:  # nothing ran in it but corral's own bash
        assert waiting.supervisor.spawns == [] and waiting.calls == 0
        assert not waiting.sp.sampler.started
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mine.txt").write_text("mine")
    with _pooled(ws) as sb:
        assert _taken(sb)
        r = sb.run('cat mine.txt; pwd; echo "[$OLDPWD]"; ls -A /workspace; echo new > made.txt')
        assert r.stdout == "mine/workspace\n[]\nmine.txt\n", r
        assert (ws / "made.txt").read_text() == "new\n"
        assert not r.restarted
        st = os.stat(ws)
        assert st.st_uid != 0  # lent to the sandbox's own uid, as without a pool
    assert os.stat(ws).st_uid == 0  # and given back
    assert (ws / "made.txt").exists()


def test_pooled_sandboxes_never_see_each_others_files(tmp_path):
    _prime(tmp_path, size=2)
    wa, wb = tmp_path / "a", tmp_path / "b"
    wa.mkdir()
    wb.mkdir()
    with _pooled(wa) as a, _pooled(wb) as b:
        assert _taken(a) and _taken(b)
        assert os.stat(wa).st_uid != os.stat(wb).st_uid  # a uid of its own each
        outs: dict[str, str] = {}

        def work(name: str, sb: Sandbox) -> None:
            outs[name] = sb.run(
                f"for i in $(seq 1 60); do echo {name}-secret-$i > {name}-$i.txt; "
                "ls -A /workspace; cat *.txt; done 2>&1"
            ).stdout

        ts = [threading.Thread(target=work, args=x) for x in (("alpha", a), ("beta", b))]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        assert "alpha-secret" in outs["alpha"] and "beta-secret" in outs["beta"]
        assert "beta" not in outs["alpha"] and "alpha" not in outs["beta"]
        assert sorted(os.listdir(wa)) == sorted(f"alpha-{i}.txt" for i in range(1, 61))
        assert sorted(os.listdir(wb)) == sorted(f"beta-{i}.txt" for i in range(1, 61))


def test_the_workspace_cannot_be_unmounted_and_the_slot_is_empty_and_roots(tmp_path):
    _prime(tmp_path, size=1)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mine.txt").write_text("mine")
    with _pooled(ws, 1) as sb:
        assert _taken(sb)
        slot = sb._backend()._sess.pool_slot
        slot_dir = slot.workspace
        st = os.stat(slot_dir)
        assert (st.st_uid, st.st_mode & 0o7777) == (0, 0o755) and os.listdir(slot_dir) == []
        r = sb.run(
            "umount /workspace; umount -l /workspace; "
            "python3 -c 'import ctypes, os; l = ctypes.CDLL(None, use_errno=True); "
            "print(\"umount2\", l.umount2(b\"/workspace\", 2), os.strerror(ctypes.get_errno()))'; "
            "cd / && cd /workspace; ls -A; touch /proc/self/cwd/x; ls -A /workspace; "
            "mount --bind /tmp /workspace; ls -A /workspace; "
            # what boot-time processes still see (the sandbox's init): the empty slot
            "echo cwd1: $(ls -A /proc/1/cwd/ 2>&1); touch /proc/1/cwd/y 2>/dev/null || echo no-y"
        )
        assert "no-y" in r.stdout and "mine.txt" not in r.stdout.split("cwd1:")[1], r
        assert "umount2 -1" in r.stdout, r
        assert r.stdout.count("mine.txt") == 3, r  # the workspace, every time
        assert os.listdir(slot_dir) == []  # nothing written under it
        assert sorted(os.listdir(ws)) == ["mine.txt", "x"]


def test_a_different_policy_budget_or_uid_never_takes_anothers_session(tmp_path):
    default = Policy.builtin("default")
    keep = tmp_path / "keep"
    keep.mkdir()
    with _pooled(keep, 1, policy=default) as first:  # (open: the pool does not linger out)
        assert first.run("true").ok
        wait_pool_ready(1)
        cases = [
            {"policy": Policy.builtin("strict")},
            {"policy": default, "env": {"X": "1"}},
            {"policy": default, "budget": Budget(wall_s=7)},
            {"policy": default, "backend_options": {"pool": 1, "host_uid": 4242}},
        ]
        for i, kw in enumerate(cases):
            ws = tmp_path / f"w{i}"
            ws.mkdir()
            opts = kw.pop("backend_options", {"pool": 1})
            with Sandbox(workdir=ws, backend="bwrap", backend_options=opts, **kw) as sb:
                assert sb.run("true").ok
                assert not _taken(sb), kw
        ws = tmp_path / "same"
        ws.mkdir()
        with _pooled(ws, 1, policy=Policy.builtin("default")) as sb:
            assert _taken(sb)  # (the same configuration does)


def test_the_takers_gate_events_and_session_id(tmp_path):
    deny_curl = Policy.from_yaml(
        "version: 1\nextends: default\ncommands:\n  deny:\n"
        "    - {program: curl, reason: no curl here}\n"
    )
    _prime(tmp_path, size=2, policy=deny_curl)
    bus = EventBus()
    seen = []
    bus.subscribe(seen.append)
    wa, wb = tmp_path / "a", tmp_path / "b"
    wa.mkdir()
    wb.mkdir()
    with _pooled(wa, policy=deny_curl, bus=bus) as a, _pooled(wb, policy=deny_curl, bus=bus) as b:
        assert _taken(a) and _taken(b)
        ra = a.run("/usr/bin/ls -d /workspace")
        # (curl hidden from the script's static check: the monitor decides its start)
        rb = b.run('/usr/bin/uname -s; p=/usr/bin/cu; "${p}rl" -s http://example.invalid/')
        assert ra.stdout == "/workspace\n" and "Linux" in rb.stdout
        assert rb.error_message and "curl" in rb.error_message, rb
    spawns = [e for e in seen if e.action is not None and e.action.kind == "spawn"]
    by = {(e.session, e.action.argv[0].rsplit("/", 1)[-1], e.type) for e in spawns}
    assert (a.session, "ls", "action.requested") in by
    assert (b.session, "uname", "action.requested") in by
    assert (b.session, "curl", "action.denied") in by
    assert not any(e.session == a.session and "uname" in e.action.argv[0] for e in spawns)
    assert not any(e.session.startswith("pool-") for e in seen)  # nothing of the pool's own


def test_file_events_of_a_pooled_sandbox_are_its_own(tmp_path):
    _prime(tmp_path, size=1)
    bus = EventBus()
    seen = []
    bus.subscribe(seen.append)
    ws = tmp_path / "ws"
    ws.mkdir()
    with _pooled(ws, 1, bus=bus) as sb:
        assert _taken(sb)
        sb.run("echo x > written.txt; /usr/bin/cat written.txt")
    files = [e for e in seen if e.action is not None and e.action.kind == "file"]
    assert any(e.session == sb.session and "written.txt" in e.action.path for e in files), files


def test_a_pooled_session_that_died_is_discarded(tmp_path):
    _prime(tmp_path, size=1)
    [p] = [q for q in pool._POOLS.values()]
    dead = p.ready[0]
    os.kill(dead.sp.child_pid, 9)
    dead.sp.proc.wait(10)
    ws = tmp_path / "ws"
    ws.mkdir()
    with _pooled(ws, 1) as sb:
        r = sb.run("echo alive")
        assert r.stdout == "alive\n" and not r.restarted
        assert sb._backend()._sess is not dead


def _leftovers(sessions) -> tuple[list[int], list[Path], list[Path]]:
    pids = [x for s in sessions for x in (s.sp.proc.pid, s.sp.child_pid)]
    dirs = [d for s in sessions for d in (s.pool_slot.workspace, s.pool_slot._stage)]
    cgroups = [d for s in sessions if s.cgroup is not None for d in s.cgroup.dirs.values()]
    return pids, dirs, cgroups


def test_nothing_is_left_once_the_pool_ends(tmp_path):
    _prime(tmp_path, size=2)
    ws = tmp_path / "ws"
    ws.mkdir()
    [p] = list(pool._POOLS.values())
    pids, dirs, cgroups = _leftovers(list(p.ready))
    with _pooled(ws) as sb:
        assert _taken(sb)
        assert sb.run("sleep 1000 & echo started").stdout == "started\n"
        more = _leftovers([sb._backend()._sess])
        wait_pool_ready(2)
        more2 = _leftovers(list(p.ready))
    for a, b, c in (more, more2):
        pids, dirs, cgroups = pids + a, dirs + b, cgroups + c
    assert pids and dirs and cgroups
    end = time.monotonic() + 30  # (LINGER_S after the last sandbox closed)
    while time.monotonic() < end and (pool._POOLS or p.thread.is_alive()):
        time.sleep(0.05)
    assert not pool._POOLS and not p.thread.is_alive()
    end = time.monotonic() + 10
    while time.monotonic() < end and any(os.path.exists(f"/proc/{x}") for x in pids):
        time.sleep(0.05)
    assert not [x for x in pids if os.path.exists(f"/proc/{x}")]
    assert not [d for d in dirs if os.path.exists(d)]
    assert not [c for c in cgroups if c.exists()]
    with open("/proc/self/mountinfo") as f:
        assert "corral-pool-" not in f.read()
    # the thread that mounted workspaces is back in this namespace (none kept alive)
    mounter = [t for t in threading.enumerate() if t.name == "corral-pool-mount"]
    assert mounter
    ours = os.stat("/proc/self/ns/mnt").st_ino
    assert os.stat(f"/proc/self/task/{mounter[0].native_id}/ns/mnt").st_ino == ours


def test_pool_option_is_checked():
    need("bwrap")
    with pytest.raises(TypeError, match="pool"):
        Sandbox(backend="bwrap", backend_options={"pool": "2"})._backend()
    with pytest.raises(ValueError, match="between 0 and"):
        Sandbox(backend="bwrap", backend_options={"pool": 10_000})._backend()


def test_sandboxes_made_at_once_from_many_threads(tmp_path):
    _prime(tmp_path, size=2)
    errors: list[str] = []
    taken: list[bool] = []

    def episode(t: int) -> None:
        for i in range(2):
            ws = tmp_path / f"t{t}-{i}"
            ws.mkdir()
            (ws / "who").write_text(f"{t}-{i}")
            try:
                with _pooled(ws) as sb:
                    r = sb.run("cat who; ls -A")
                    taken.append(_taken(sb))
                    if r.stdout != f"{t}-{i}who\n":
                        errors.append(f"{t}-{i}: {r.stdout!r} {r.stderr!r}")
            except Exception as e:  # (reported below, not lost in the thread)
                errors.append(f"{t}-{i}: {e!r}")

    threads = [threading.Thread(target=episode, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    assert not errors, errors
    assert len(taken) == 8 and any(taken)


def test_resource_samples_of_a_pooled_sandbox_are_its_own(tmp_path):
    _prime(tmp_path, size=1)
    bus = EventBus()
    seen = []
    bus.subscribe(seen.append)
    ws = tmp_path / "ws"
    ws.mkdir()
    with _pooled(ws, 1, bus=bus) as sb:
        assert _taken(sb)
        sb.run("sleep 2.5")
    samples = [e for e in seen if e.type == "resource.sample"]
    assert samples and all(e.session == sb.session for e in samples), samples
    assert any(e.data.get("in_call") for e in samples)


def test_a_forked_child_does_not_take_its_parents_sessions(tmp_path):
    _prime(tmp_path, size=1)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # (the child: no pool of its parent's is its)
        try:
            os.write(w, repr(pool.stats()).encode())
        finally:
            os._exit(0)
    os.close(w)
    said = os.read(r, 4096).decode()
    os.close(r)
    os.waitpid(pid, 0)
    assert said == "[]"
    assert pool.stats() and pool.stats()[0]["ready"] == 1  # the parent's are still there


_EXITS = r"""
import json, sys, tempfile, time
from pathlib import Path
from corral import Sandbox
from corral.native import pool
ws = Path(sys.argv[1])
sb = Sandbox(workdir=ws, backend="bwrap", backend_options={"pool": 2})
sb.run("true")
end = time.monotonic() + 60
while not any(p["ready"] >= 2 for p in pool.stats()) and time.monotonic() < end:
    time.sleep(0.02)
[p] = pool._POOLS.values()
ws2 = ws / "second"
ws2.mkdir()
sb2 = Sandbox(workdir=ws2, backend="bwrap", backend_options={"pool": 2})
sb2.run("sleep 600 &")  # a pooled sandbox left open, its session busy
assert sb2._backend()._sess.taken
left = {"pids": [], "dirs": [], "cgroups": []}
for s in [*p.ready, sb2._backend()._sess]:
    left["pids"] += [s.sp.proc.pid, s.sp.child_pid]
    left["dirs"] += [str(s.pool_slot.workspace), str(s.pool_slot._stage)]
    left["cgroups"] += [str(d) for d in s.cgroup.dirs.values()] if s.cgroup else []
print(json.dumps(left), flush=True)
# no close(), no shutdown(): the interpreter exits
"""


def test_interpreter_exit_ends_the_pool(tmp_path):
    import json
    import subprocess
    import sys

    ws = tmp_path / "ws"
    ws.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(pool.__file__).parents[2])}
    out = subprocess.run([sys.executable, "-c", _EXITS, str(ws)], capture_output=True,
                         text=True, timeout=180, env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    left = json.loads(out.stdout.strip().splitlines()[-1])
    assert left["pids"] and left["dirs"]
    end = time.monotonic() + 10
    while time.monotonic() < end and any(os.path.exists(f"/proc/{x}") for x in left["pids"]):
        time.sleep(0.05)
    assert not [x for x in left["pids"] if os.path.exists(f"/proc/{x}")]
    assert not [d for d in left["dirs"] if os.path.exists(d)]
    assert not [c for c in left["cgroups"] if os.path.exists(c)]


def test_a_pooled_session_gets_the_policys_file_walls(tmp_path):
    """The walls a normal start mounts (filewalls.py) are mounted in a pooled
    session too, for the taker's workspace, before its first call."""
    _prime(tmp_path, size=1, policy="default")
    ws = tmp_path / "ws"
    (ws / ".claude").mkdir(parents=True)
    (ws / "gold.patch").write_text("SECRET\n")
    (ws / "AGENTS.md").write_text("rules\n")
    (ws / ".claude" / "settings.json").write_text("{}\n")
    (ws / "ok.txt").write_text("hi\n")
    with _pooled(ws, 1, policy="default") as sb:
        assert _taken(sb)
        r = sb.run("g=gold; cat $g.patch; cat ok.txt")
        assert "SECRET" not in r.stdout + r.stderr and "hi\n" in r.stdout, r
        r = sb.run("python3 -c \"open('AGE'+'NTS.md','a').write('evil')\"")
        assert r.exit_code != 0 and "Read-only file system" in r.stderr, r
        r = sb.run("python3 -c \"open('.clau'+'de/new.json','w')\"")
        assert r.exit_code != 0, r
        r = sb.run("echo more >> ok.txt; cat AGENTS.md")
        assert r.stdout == "rules\n", r
    assert (ws / "AGENTS.md").read_text() == "rules\n"
    assert (ws / "gold.patch").read_text() == "SECRET\n"
    assert sorted(p.name for p in (ws / ".claude").iterdir()) == ["settings.json"]
    assert (ws / "ok.txt").read_text() == "hi\nmore\n"
