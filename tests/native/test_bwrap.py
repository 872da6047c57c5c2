"""The bwrap backend: commands, environment, budgets, events."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.native import BackendUnavailable, BwrapBackend, NativeLimits

from .conftest import need


def test_string_and_argv_commands(bwrap_box):
    r = bwrap_box.run("echo hello; echo oops >&2; exit 3")
    assert r.stdout == "hello\n"
    assert "oops" in r.stderr
    assert r.exit_code == 3 and r.error == "exit"
    r = bwrap_box.run(["/bin/echo", "a b", "c"])
    assert r.ok and r.stdout == "a b c\n"


def test_stdin_cwd_and_user(bwrap_box):
    r = bwrap_box.run("cat; pwd; id -u; id -g; hostname", stdin=b"in\n")
    assert r.stdout.split() == ["in", "/workspace", "1000", "1000", "corral"]


def test_workspace_is_shared_with_the_host(bwrap_box, workspace):
    (workspace / "from_host.txt").write_text("host data")
    r = bwrap_box.run("cat from_host.txt && echo sandbox > out.txt")
    assert r.ok and r.stdout == "host data"
    assert (workspace / "out.txt").read_text() == "sandbox\n"


def test_workspace_ownership_is_restored(tmp_path):
    need("bwrap")
    ws = tmp_path / "w"
    ws.mkdir()
    before = os.stat(ws)
    with BwrapBackend(ws, Budget(wall_s=10)) as box:
        assert box.run("mkdir -p d && echo x > d/f").ok
    for p in (ws, ws / "d", ws / "d" / "f"):
        st = os.stat(p)
        assert (st.st_uid, st.st_gid) == (before.st_uid, before.st_gid)


@pytest.mark.skipif(os.geteuid() != 0, reason="lending a workspace to another uid needs root")
def test_other_owners_inside_the_workspace_are_restored(tmp_path):
    need("bwrap")
    ws = tmp_path / "w"
    ws.mkdir()
    (ws / "theirs.txt").write_text("x")
    os.chown(ws / "theirs.txt", 777, 778)
    with BwrapBackend(ws, Budget(wall_s=10)) as box:
        assert box.host_uid not in (0, 777)
        assert box.run("echo y >> theirs.txt && echo n > new.txt").ok  # lent to the sandbox
    st = os.stat(ws / "theirs.txt")
    assert (st.st_uid, st.st_gid) == (777, 778)
    assert (ws / "theirs.txt").read_text() == "xy\n"
    assert os.stat(ws / "new.txt").st_uid == os.stat(ws).st_uid


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a workspace to a user")
def test_a_users_workspace_is_used_as_that_user_without_changing_hands(tmp_path):
    need("bwrap")
    ws = tmp_path / "w"
    ws.mkdir()
    (ws / "mine.txt").write_text("x")
    for p in (ws, ws / "mine.txt"):
        os.chown(p, 4242, 4243)
    os.chmod(tmp_path, 0o755)
    with BwrapBackend(ws, Budget(wall_s=10)) as box:
        assert (box.host_uid, box.host_gid) == (4242, 4243)
        assert os.stat(ws / "mine.txt").st_uid == 4242  # not lent: already the user's
        r = box.run("cat mine.txt; echo made > made.txt; id -u")
        assert r.ok and r.stdout == "x1000\n", r.stderr
    st = os.stat(ws / "made.txt")
    assert (st.st_uid, st.st_gid) == (4242, 4243)


def test_copy_workspace_leaves_the_original_alone(tmp_path):
    need("bwrap")
    ws = tmp_path / "w"
    ws.mkdir()
    (ws / "a.txt").write_text("original")
    with BwrapBackend(ws, Budget(wall_s=10), copy_workspace=True) as box:
        r = box.run("cat a.txt; echo changed > a.txt; touch new")
        assert r.stdout == "original"
        assert (box.root / "a.txt").read_text() == "changed\n"
    assert (ws / "a.txt").read_text() == "original"
    assert not (ws / "new").exists()


def test_clean_environment_no_host_secrets(workspace, monkeypatch):
    need("bwrap")
    monkeypatch.setenv("CORRAL_FAKE_SECRET", "sk-live-hunter2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "AKIAFAKEFAKE")
    with BwrapBackend(workspace, Budget(wall_s=10), env={"EXTRA": "yes"}) as box:
        r = box.run("env; cat /proc/1/environ /proc/self/environ 2>/dev/null | tr '\\0' '\\n'")
    assert "hunter2" not in r.stdout and "AKIAFAKE" not in r.stdout
    env = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    assert env["HOME"] == "/workspace" and env["EXTRA"] == "yes"
    assert env["PATH"].startswith("/run/corral/bin:/usr/local/sbin")
    assert "HTTP_PROXY" not in env  # no proxy: no network at all


def test_no_network_without_proxy(bwrap_box):
    r = bwrap_box.run("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
    assert r.stdout.split() == ["lo"]
    r = bwrap_box.run("curl -sS -m 3 http://1.1.1.1/ ; echo rc=$?")
    assert "rc=0" not in r.stdout


def test_budget_wall_time_kills_the_namespace(bwrap_box):
    t = time.monotonic()
    r = bwrap_box.run("sleep 30 & sleep 30; echo never", timeout=1)
    assert time.monotonic() - t < 5
    assert r.error == "wall_time" and r.budget_exceeded == "wall_time"
    assert r.exit_code == 137 and "never" not in r.stdout


def test_budget_output_cap(workspace):
    need("bwrap")
    with BwrapBackend(workspace, Budget(wall_s=10, output_chars=1000)) as box:
        r = box.run("yes")
    assert r.error == "output" and r.truncated
    assert len(r.stdout) < 1200 and "output truncated" in r.stdout


@pytest.fixture
def tight(workspace, events):
    need("bwrap")
    box = BwrapBackend(
        workspace,
        Budget(wall_s=15, memory_mb=128, disk_mb=20, disk_files=2000),
        limits=NativeLimits(processes=48, cpu_s=2),
        events=events,
        monitor=False,
    )
    box.start()
    yield box
    box.close()


def _healthy() -> None:
    # the host still forks and has memory
    assert os.system("true") == 0
    with open("/proc/meminfo") as f:
        avail = next(int(x.split()[1]) for x in f if x.startswith("MemAvailable"))
    assert avail > 512 * 1024


def test_fork_bomb_ends_at_the_process_budget(tight, events):
    t = time.monotonic()
    r = tight.run(":(){ :|:& };:; sleep 10")
    assert time.monotonic() - t < 10
    assert r.budget_exceeded == "processes", r
    assert any(t == "budget.exceeded" for t, _ in events.items)
    _healthy()


def test_memory_bomb_ends_at_the_memory_budget(tight):
    r = tight.run("python3 -c 'x=[]\nwhile True: x.append(bytearray(10**6))'")
    assert r.budget_exceeded == "memory", r
    _healthy()


def test_cpu_burner_ends_at_the_cpu_budget(tight):
    t = time.monotonic()
    r = tight.run("while :; do :; done")
    assert r.budget_exceeded == "cpu", r  # (2 s of CPU: before the 15 s wall)
    assert time.monotonic() - t < 15 + 5  # did not hang (2 CPU seconds take ~9 s at load 11)
    assert r.usage.cpu_s >= 1.5


def test_yes_to_file_ends_at_the_disk_budget(tight, workspace):
    r = tight.run("yes > f")
    assert r.budget_exceeded == "disk", r
    assert (workspace / "f").stat().st_size <= 20 * 2**20
    tight.run("rm -f f")


def test_many_files_end_at_the_file_budget(workspace):
    need("bwrap")
    budget = Budget(wall_s=20, memory_mb=512, disk_mb=200, disk_files=2000)
    with BwrapBackend(workspace, budget, monitor=False) as box:
        r = box.run(
            'mkdir -p many && python3 -c \'for i in range(100000): open(f"many/{i}", "w").close()\''
        )
    assert r.budget_exceeded == "disk", r
    assert "files" in r.error_message


def test_usage_and_resource_samples(workspace):
    need("bwrap")
    samples = []
    with BwrapBackend(
        workspace, Budget(wall_s=10), on_sample=samples.append, sample_interval=0.2
    ) as box:
        # burns 0.7 s of its own CPU whatever the machine's load (a wall-clock loop got
        # less than 0.5 s of CPU on a busy machine)
        r = box.run(
            "python3 -c 'import time; x=bytearray(30*2**20)\nwhile time.process_time()<0.7: pass'"
        )
    assert r.ok
    assert r.usage.cpu_s > 0.5 and r.usage.memory_bytes > 20 * 2**20 and r.usage.wall_s >= 0.7
    assert samples and {"cpu_pct", "rss_mb", "procs", "interval_s", "out_chars"} <= set(samples[0])
    assert max(s["cpu_pct"] for s in samples) > 30
    assert all(s["out_chars"] == 0 for s in samples)  # it printed nothing
    # kernels with schedstat: running or waiting to run (a sample whose interval saw no
    # schedstat reading of the process has no busy_pct)
    busy = [s["busy_pct"] for s in samples if "busy_pct" in s]
    if busy:
        assert max(busy) > 60
    assert max(s["procs"] for s in samples) >= 1


def test_lifecycle_events(workspace, events):
    need("bwrap")
    with BwrapBackend(workspace, Budget(wall_s=10), events=events, monitor=False) as box:
        box.run("true")
    types = [t for t, _ in events.items]
    assert types[0] == "backend.started" and types[-1] == "backend.stopped"


def test_refuses_to_start_without_bwrap(workspace, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    box = BwrapBackend(workspace, Budget(wall_s=5))
    with pytest.raises(BackendUnavailable, match="apt-get install bubblewrap"):
        box.start()


def test_closed_backend_refuses(workspace):
    need("bwrap")
    from corral.errors import SandboxClosed

    box = BwrapBackend(workspace, Budget(wall_s=5))
    box.start()
    box.close()
    with pytest.raises(SandboxClosed):
        box.run("true")


def test_a_read_only_bind_under_tmp_is_seen_and_read_only(tmp_path):
    """ro_binds under /tmp come after the sandbox's private /tmp (they were hidden by it,
    and the start failed); a start that fails says why (bwrap's own message), not "killed
    while it started"."""
    need("bwrap")
    import shutil
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="corral-robind-", dir="/tmp"))
    try:
        os.chmod(top, 0o755)  # the sandbox's user must reach it (pytest's tmp is 0700)
        data = top / "data"
        data.mkdir()
        (data / "f.txt").write_text("shared\n")
        ws = tmp_path / "ws"
        ws.mkdir()
        b = BwrapBackend(ws, Budget(wall_s=30), ro_binds=[str(data)])
        b.start()
        try:
            r = b.run(f"cat {data}/f.txt; echo x > {data}/g 2>/dev/null || echo read-only; "
                      "echo y > /tmp/own && cat /tmp/own")  # fmt: skip
            assert r.stdout == "shared\nread-only\ny\n", r
        finally:
            b.close()
        assert not (data / "g").exists()
        os.chmod(top, 0o700)  # now it cannot: the reason comes back
        b = BwrapBackend(ws, Budget(wall_s=30), ro_binds=[str(data)])
        b.start()
        try:
            with pytest.raises(BackendUnavailable, match="Permission denied"):
                b.run("true")
        finally:
            b.close()
    finally:
        shutil.rmtree(top, ignore_errors=True)
