"""The gVisor pool (``backend_options={"pool": N}`` on gvisor), for real: each session is a
sub-container of a sandbox started ahead, made from the taker's own spec (its workspace,
mounts, pid namespace, user, rlimits); the taker's gate decides what runs in it; a pod is
used once; nothing is left once the pool ends, or when the process dies."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corral import Sandbox
from corral.budget import Budget
from corral.events import EventBus
from corral.native import gvisor_pool, leftovers, pool
from corral.native.gvisor import parse_strace_line
from corral.native.gvisor_files import parse_file_line
from corral.policy import Policy

from .conftest import need, wait_pool_ready

_root = pytest.mark.skipif(os.geteuid() != 0, reason="the gvisor backend runs runsc as root")


@pytest.fixture
def fresh_pools(monkeypatch):
    need("gvisor")
    monkeypatch.setattr(pool, "LINGER_S", 1.0)
    monkeypatch.setattr(gvisor_pool.PodPool, "refill_delay", 0.0)
    pool.shutdown()
    yield
    pool.shutdown()


def _pooled(ws: Path, size: int = 1, **kw) -> Sandbox:
    opts = {"pool": size, **kw.pop("backend_options", {})}
    return Sandbox(workdir=ws, backend="gvisor", backend_options=opts, **kw)


def _prime(tmp_path: Path, size: int = 1, **kw) -> None:
    """The first sandbox of a key makes its pool (its own session starts the normal way)."""
    ws = tmp_path / f"prime-{time.monotonic_ns()}"
    ws.mkdir()
    with _pooled(ws, size, **kw) as sb:
        assert sb.run("true").ok
    wait_pool_ready(size, timeout=90.0)


def _pod(sb: Sandbox):
    sess = sb._backend()._sess
    return None if sess is None else sess.pod


def _runsc_pids(marker: str) -> list[int]:
    """Host processes whose command line names ``marker`` (a pod's container id or dir)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmd:
            found.append(int(d.name))
    return found


# ---------------------------------------------------------------- the trace, no gVisor


_SUB_CLONE = (
    "I1205 22:47:30.532079    7585 strace.go:611] [  12(   1):  12(   1)] bash X clone("
    "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11, 0x0, 0x0, 0x7ef5bcdb2a10, 0x0) = 3 (0x3) "
    "(883.275µs)"
)
_SUB_EXEC = (
    'I1205 22:47:30.552217    7585 strace.go:567] [  15(   4):  15(   4)] bash E execve('
    '0x55bf58dbc2a0 /usr/bin/curl, 0x55bf58dbc030 ["curl", "x"], 0x55bf58db8f50 ["A=b"])'
)


def test_trace_lines_of_a_sub_container_name_its_own_process_ids():
    # a sub-container's task: [ ROOT-NS-ID( ITS-ID): ...]; the ids its /proc shows count
    assert parse_strace_line(_SUB_CLONE) == ("made", 3)
    assert parse_strace_line(_SUB_EXEC) == ("spawn", "execve", 4, "/usr/bin/curl", ["curl", "x"])
    plain = _SUB_EXEC.replace("[  15(   4):  15(   4)]", "[  15:  15]")
    assert parse_strace_line(plain) == ("spawn", "execve", 15, "/usr/bin/curl", ["curl", "x"])
    refused = _SUB_CLONE.replace("= 3 (0x3) (", "= -1 (0xffffffffffffffff) errno=11 (x) (")
    assert parse_strace_line(refused) == ("nproc", 1)
    opened = (
        "I1205 22:47:30.552217    7585 strace.go:611] [  15(   4):  15(   4)] cat X openat("
        "AT_FDCWD /workspace, 0x7f /workspace/a.txt, O_RDONLY|O_CLOEXEC, 0o0) = 3 (0x3) (9µs)"
    )
    got = parse_file_line(opened)
    assert got is not None and got[0] == 4


# ---------------------------------------------------------------- for real


@_root
def test_a_session_is_a_fresh_container_with_its_own_workspace(tmp_path, fresh_pools):
    _prime(tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mine.txt").write_text("mine")
    with _pooled(ws) as sb:
        r = sb.run("cat mine.txt; echo; pwd; ls -A /workspace; id -u; "
                   "ps -e -o pid=,user=,comm= | sort -n; cat /proc/1/cmdline | tr '\\0' ' '")
        assert r.ok, r.stderr
        pod = _pod(sb)
        assert pod is not None  # (taken from the pool)
        lines = r.stdout.splitlines()
        assert lines[:4] == ["mine", "/workspace", "mine.txt", "1000"]
        procs = [x.split() for x in lines[4:-1]]
        # its own pid namespace: pid 1 is its own first program; the pod's cat is not there
        assert procs[0][0] == "1" and all(p[1] in ("corral", "1000") for p in procs), procs
        assert not any(p[2] == "cat" for p in procs), procs
        assert "/bin/bash" in lines[-1]
        assert sb.run("echo x > new.txt").ok
        assert (ws / "new.txt").read_text() == "x\n"
    assert not pod.alive() and not pod.dir.exists()  # (never used again)


@_root
def test_pooled_sandboxes_never_see_each_others_files(tmp_path, fresh_pools):
    _prime(tmp_path, size=2)
    wa, wb = tmp_path / "a", tmp_path / "b"
    wa.mkdir()
    wb.mkdir()
    with _pooled(wa, 2) as a, _pooled(wb, 2) as b:
        assert a.run("echo a > /workspace/a.txt; echo a > /tmp/a.txt").ok
        assert b.run("echo b > /workspace/b.txt").ok
        assert _pod(a) is not None and _pod(b) is not None and _pod(a) is not _pod(b)
        seen = b.run("ls -A /workspace /tmp; cat /workspace/a.txt /tmp/a.txt 2>/dev/null")
        assert "a.txt" not in seen.stdout and "a\n" not in seen.stdout, seen.stdout
        assert sorted(p.name for p in wa.iterdir()) == ["a.txt"]
        assert sorted(p.name for p in wb.iterdir()) == ["b.txt"]


@_root
def test_the_takers_policy_decides_whatever_primed_the_pool(tmp_path, fresh_pools):
    # a pod runs nothing of a policy's: the same pod key serves another policy, whose own
    # gate then decides every program start in the container (never the primer's)
    _prime(tmp_path, policy=Policy.builtin("permissive"))
    deny_curl = Policy.from_yaml(
        "version: 1\nextends: permissive\ncommands:\n  deny:\n"
        "    - {program: curl, reason: no curl here}\n"
    )
    bus = EventBus()
    seen = []
    bus.subscribe(seen.append)
    ws = tmp_path / "ws"
    ws.mkdir()
    with _pooled(ws, policy=deny_curl, bus=bus) as sb:
        assert sb.run("true").ok
        assert _pod(sb) is not None  # (taken from the pool the permissive policy made)
        r = sb.run("c=curl; $c --version; echo after")  # (seen as it starts, not in the text)
        assert r.error == "denied" and "after" not in r.stdout, r
        denied = [e for e in seen if e.type == "action.denied"]
        assert denied and all(e.session == sb.session for e in denied)
        assert any("curl" in " ".join(e.action.argv) for e in denied)
        assert sb.run("echo again").stdout == "again\n"


@_root
def test_anything_sandbox_wide_that_differs_is_another_pool(tmp_path, fresh_pools):
    _prime(tmp_path)
    [first] = list(pool._POOLS)
    variants = [
        {"budget": Budget(memory_mb=300)},  # the Sentry's size, its cgroup's limits
        {"backend_options": {"monitor": False}},  # what the Sentry traces
        {"policy": Policy.builtin("strict")},  # no network: no --host-uds
    ]
    with contextlib.ExitStack() as open_:
        keep = tmp_path / "keep"
        keep.mkdir()
        open_.enter_context(_pooled(keep)).run("true")  # (the first pool does not linger out)
        for i, kw in enumerate(variants):
            wsi = tmp_path / f"ws{i}"
            wsi.mkdir()
            sb = open_.enter_context(_pooled(wsi, **kw))
            assert sb.run("true").ok
            assert _pod(sb) is None  # (the first of its key starts its own)
        assert len(pool._POOLS) == 1 + len(variants) and first in pool._POOLS


@_root
def test_overrun_kills_the_calls_processes_and_the_session_lives_on(tmp_path, fresh_pools):
    _prime(tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    with _pooled(ws) as sb:
        assert sb.run("for i in 1 2 3 4 5 6 7 8; do /bin/true; done; x=kept").ok
        assert _pod(sb) is not None
        r = sb.run("sleep 1000 & sleep 1000", timeout=3)
        assert r.error == "wall_time", r
        r = sb.run("echo $x; ps -e -o comm= | grep -c '^sleep' || true")
        assert r.stdout.split() == ["kept", "0"], r.stdout
        assert not r.restarted


@_root
def test_exit_ends_the_session_with_its_status_and_the_next_one_starts(tmp_path, fresh_pools):
    _prime(tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    with _pooled(ws) as sb:
        assert sb.run("true").ok
        pod = _pod(sb)
        assert pod is not None
        r = sb.run("exit 7")
        assert r.exit_code == 7
        assert not pod.alive() and not pod.dir.exists()
        r = sb.run("echo back")
        assert r.stdout == "back\n" and r.restarted


@_root
def test_a_pod_that_died_waiting_is_discarded(tmp_path, fresh_pools):
    _prime(tmp_path)
    [p] = list(pool._POOLS.values())
    dead = p.ready[0]
    os.killpg(dead.proc.pid, 9)
    dead.proc.wait(10)
    ws = tmp_path / "ws"
    ws.mkdir()
    with _pooled(ws) as sb:
        r = sb.run("echo alive")
        assert r.stdout == "alive\n" and not r.restarted
        assert _pod(sb) is not dead
    assert not dead.dir.exists()


@_root
def test_nothing_is_left_once_the_pool_ends(tmp_path, fresh_pools):
    _prime(tmp_path, size=2)
    [p] = list(pool._POOLS.values())
    pods = list(p.ready)
    ws = tmp_path / "ws"
    ws.mkdir()
    with _pooled(ws, 2) as sb:
        assert sb.run("sleep 1000 & echo started").stdout == "started\n"
        pods.append(_pod(sb))
        wait_pool_ready(2, timeout=90.0)
        pods += list(p.ready)
    cids = {x.cid for x in pods if x is not None}
    assert len(cids) >= 3
    end = time.monotonic() + 30  # (LINGER_S after the last sandbox closed)
    while time.monotonic() < end and (pool._POOLS or p.thread.is_alive()):
        time.sleep(0.05)
    assert not pool._POOLS and not p.thread.is_alive()
    marks = [*cids, *(str(x.dir) for x in pods)]
    end = time.monotonic() + 15
    while time.monotonic() < end and any(_runsc_pids(m) for m in marks):
        time.sleep(0.1)
    assert not [m for m in marks if _runsc_pids(m)]
    assert not [x.dir for x in pods if x.dir.exists()]
    assert not [c for x in pods if x.cgroup is not None for c in x.cgroup.dirs.values()
                if c.exists()]  # fmt: skip


_CRASHES = r"""
import json, os, sys, tempfile, time
from corral import Sandbox
from corral.native import pool
ws = sys.argv[1]
with Sandbox(workdir=ws, backend="gvisor", backend_options={"pool": 2}) as sb:
    sb.run("true")
end = time.monotonic() + 90
while time.monotonic() < end and not any(p["ready"] >= 2 for p in pool.stats()):
    time.sleep(0.05)
sb = Sandbox(workdir=ws, backend="gvisor", backend_options={"pool": 2})
sb.run("sleep 1000 &")
pods = [x for p in pool._POOLS.values() for x in p.ready] + [sb._backend()._sess.pod]
print(json.dumps({"cids": [x.cid for x in pods], "dirs": [str(x.dir) for x in pods]}),
      flush=True)
os.kill(os.getpid(), 9)  # a crash: no close(), no atexit
"""


@_root
def test_a_crash_leaves_no_sandbox_behind(tmp_path, fresh_pools):
    ws = tmp_path / "ws"
    ws.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(pool.__file__).parents[2])}
    out = subprocess.run([sys.executable, "-c", _CRASHES, str(ws)], capture_output=True,
                         text=True, timeout=240, env=env)  # fmt: skip
    assert out.returncode == -9, out.stderr[-2000:]
    left = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(left["cids"]) >= 2  # (waiting and taken)
    # (every runsc process of a pod names its id or its directory: the Sentry, the gofers,
    # the launcher, the container's gofer too)
    marks = left["cids"] + left["dirs"]
    end = time.monotonic() + 20
    while time.monotonic() < end and any(_runsc_pids(m) for m in marks):
        time.sleep(0.1)
    assert not {m: _runsc_pids(m) for m in marks if _runsc_pids(m)}
    # what it could not remove (its pods' directories, cgroups) the next pool sweeps
    cgroups = [d for c in left["cids"] for d in Path("/sys/fs/cgroup").glob(f"*/corral/gvisor-{c}")]
    assert any(Path(d).exists() for d in left["dirs"])
    leftovers.sweep()
    assert not [d for d in left["dirs"] if Path(d).exists()]
    assert not [d for d in cgroups if d.exists()]


def test_pool_option_is_checked_on_gvisor():
    with pytest.raises(TypeError, match="pool"):
        Sandbox(backend="gvisor", backend_options={"pool": "2"})._backend()
    with pytest.raises(ValueError, match="between 0 and"):
        Sandbox(backend="gvisor", backend_options={"pool": 10_000})._backend()


#: what a program inside can learn about its sandbox: user, limits, capabilities, seccomp,
#: mounts, processes, corral's directories, environment, syscall refusals, devices
_PROBE = r"""id; hostname; ulimit -a | sort
grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status
awk '{print $5, $6, $9}' /proc/self/mountinfo | sort
ps -e -o pid=,user=,args= | grep -v -e ' ps ' -e 'sort -n$' -e ' grep ' | sort -n
ls -A /run/corral /run/corral/io; touch /run/corral/io/x /run/corral/x 2>&1 | sed 's/^.*: //'
env | sort; ls /dev | sort | tr '\n' ' '; echo
python3 -c 'import ctypes
libc = ctypes.CDLL(None, use_errno=True)
for name, arg in (("unshare", 0x10000000), ("unshare", 0x20000)):
    print(name, getattr(libc, name)(arg), ctypes.get_errno())
print("keyctl", libc.syscall(250, 0, 0, 0, 0, 0), ctypes.get_errno())'
"""


def _probe(tmp_path: Path, name: str, size: int) -> tuple[str, bool]:
    ws = tmp_path / name
    ws.mkdir()
    (ws / "f.txt").write_text("x")
    with _pooled(ws, size) as sb:
        r = sb.run(_PROBE)
        assert r.ok, r.stderr
        return r.stdout.replace(str(ws), "WS"), _pod(sb) is not None


@_root
def test_a_pooled_sandbox_looks_like_a_cold_one_from_inside(tmp_path, fresh_pools):
    cold, pooled_cold = _probe(tmp_path, "cold", 0)
    _prime(tmp_path)
    pooled, was_pooled = _probe(tmp_path, "pooled", 1)
    assert was_pooled and not pooled_cold
    # (the one difference: the network relay has no status pipe, runsc gives the status)
    assert pooled == cold.replace(" -s 4 -- ", " -- "), (cold, pooled)
    assert "__corral" in pooled and "ctl-" not in pooled  # (the frame FIFO is gone)


@_root
def test_after_a_restart_an_overrun_still_kills_the_calls_processes(tmp_path):
    # a new sandbox's process ids start again at 1: the highest id the last one's trace
    # showed must not hide the new calls' processes from an overrun's kill
    need("gvisor")
    with Sandbox(workdir=tmp_path, backend="gvisor") as sb:
        assert sb.run("for i in $(seq 40); do /bin/true; done").ok
        assert sb.run("exit 3").exit_code == 3
        r = sb.run("sleep 1000 & sleep 1000", timeout=3)
        assert r.restarted and r.error == "wall_time", r
        r = sb.run("ps -e -o comm= | grep -c '^sleep' || true")
        assert r.stdout.strip() == "0" and not r.restarted, r


@_root
def test_network_spawn_and_file_events_of_a_pooled_session_are_the_takers(
    tmp_path, http_server, fresh_pools
):
    from corral.native.gvisor import GvisorBackend

    from .conftest import Events

    port = http_server.port

    def decide(host, p, ip):
        if p == port and host in ("127.0.0.1", "localhost"):
            return True, "test server"
        return False, f"{host}:{p} is not on the allowlist"

    def box(ws: Path, ev: Events) -> GvisorBackend:
        ws.mkdir()
        return GvisorBackend(ws, Budget(wall_s=30), events=ev, net_decide=decide, pool=1,
                             env={"no_proxy": "", "NO_PROXY": ""})  # fmt: skip

    with box(tmp_path / "prime", Events()) as first:
        assert first.run("true").ok
    wait_pool_ready(1, timeout=90.0)
    ev = Events()
    with box(tmp_path / "ws", ev) as b:
        r = b.run(f"curl -sS -m 5 http://127.0.0.1:{port}/hello.txt; echo x > made.txt; "
                  "curl -sS -m 5 http://pypi.org/; echo")  # fmt: skip
        assert b._sess is not None and b._sess.pod is not None
    assert r.stdout.count("hello from the host") == 1 and "not on the allowlist" in r.stdout, r
    assert "pypi.org" in [f["action"].host for t, f in ev.actions("net", ("action.denied",))]
    argvs = [f["action"].argv for t, f in ev.actions("spawn")]
    assert sum(1 for a in argvs if a[:1] == ["curl"]) == 2, argvs
    assert not [a for a in argvs if a[:1] == ["/bin/bash"]], argvs  # (corral's own launch)
    files = [f["action"].path for t, f in ev.actions("file")]
    assert "/workspace/made.txt" in files, files


@_root
def test_sandboxes_made_at_once_from_many_threads(tmp_path, fresh_pools):
    import threading

    _prime(tmp_path, size=2)
    errors: list[str] = []
    pooled: list[bool] = []

    def episode(t: int) -> None:
        for i in range(2):
            ws = tmp_path / f"t{t}-{i}"
            ws.mkdir()
            (ws / "who").write_text(f"{t}-{i}")
            try:
                with _pooled(ws, 2) as sb:
                    r = sb.run("cat who; ls -A")
                    pooled.append(_pod(sb) is not None)
                    if r.stdout != f"{t}-{i}who\n":
                        errors.append(f"{t}-{i}: {r.stdout!r} {r.stderr!r}")
            except Exception as e:  # (reported below, not lost in the thread)
                errors.append(f"{t}-{i}: {e!r}")

    threads = [threading.Thread(target=episode, args=(t,)) for t in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    assert not errors, errors
    assert len(pooled) == 6 and any(pooled)
