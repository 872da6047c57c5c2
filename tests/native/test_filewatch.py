"""File events on the bwrap tier (fanotify, root): what programs read and write raises the
same file rules as the WebAssembly shell's file notices, with paths as the sandbox sees
them, once per (operation, path) per call, bounded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import corral
from corral.events import Event, EventBus
from corral.native.doctor import check_file_events
from corral.native.filewatch import EVENTS_MAX, probe

from .conftest import need
from .test_bwrap_nonroot import USER, _launcher


def _need_files() -> None:
    need("bwrap")
    ok, why = probe()
    if not ok:
        pytest.skip(f"no file events on the bwrap tier here: {why}")


def _files(seen: list[Event]) -> list[tuple[str, str]]:
    return [
        (e.action.op, e.action.path)
        for e in seen
        if e.type == "action.requested" and e.action is not None and e.action.kind == "file"
    ]


def _session(script: str, **kw) -> tuple[corral.RunResult, list[Event], set[str], object]:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus, monitor=True, backend="bwrap", **kw) as sb:
        r = sb.run(script, timeout=60)
        return r, seen, {a.rule for a in sb.alerts}, sb._backend()._filewatch


# Indirection (variables, a Python program) so no line rule can see the file names


def test_bashrc_append_raises_persistence() -> None:
    _need_files()
    _, seen, got, _ = _session("b=.bash; echo 'payload' >> ~/${b}rc")
    assert ("write", "/workspace/.bashrc") in _files(seen)
    assert "persist-shell-rc-write" in got


def test_authorized_keys_append_raises_persistence() -> None:
    _need_files()
    # (a literal `k=authorized` is undone by the monitor's normalization and refused
    # before it runs: the name is computed, so only the file event can show it)
    _, seen, got, _ = _session(
        "mkdir -p ~/.ssh; k=$(echo authorizzed | tr -s z); echo key >> ~/.ssh/${k}_keys"
    )
    assert ("write", "/workspace/.ssh/authorized_keys") in _files(seen)
    assert "persist-authorized-keys" in got


def test_credential_read_by_a_program_raises_credential_access(tmp_path) -> None:
    _need_files()
    # the path comes from a file the host wrote: the rules now see through a variable
    # (`c=cred; ~/.aws/${c}entials`) and stopped the line before it ran
    (tmp_path / "p").write_text("/workspace/.aws/credentials\n")
    script = 'n=$(cat p); mkdir -p "${n%/*}"; printf \'k=v\\n\' > "$n"\n'
    code = "open(open('p').read().strip()).read()"
    _, seen, got, _ = _session(script + f'python3 -c "{code}"', workdir=tmp_path)
    files = _files(seen)
    assert ("read", "/workspace/.aws/credentials") in files
    assert "cred-credential-file-access" in got


def test_written_then_moved_into_place_is_seen_under_its_new_name() -> None:
    _need_files()
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    code = "import os; os.rename('k.tmp', os.path.join('.s' + 'sh', 'authorized' + '_keys'))"
    with corral.Sandbox(bus=bus, monitor=True, backend="bwrap") as sb:
        sb.run("echo payload > /workspace/rc.tmp; b=.bash; mv /workspace/rc.tmp ~/${b}rc")
        sb.run(f'mkdir .s""sh; echo key > k.tmp; python3 -c "{code}"')
        got = {a.rule for a in sb.alerts}
    moved = {
        e.action.path: e.data
        for e in seen
        if e.action is not None and e.action.kind == "file" and e.action.op == "write"
        and (e.data or {}).get("op") == "rename"
    }  # fmt: skip
    assert moved["/workspace/.bashrc"]["renamed_from"] == "/workspace/rc.tmp"
    assert moved["/workspace/.ssh/authorized_keys"]["renamed_from"] == "/workspace/k.tmp"
    assert {"persist-shell-rc-write", "persist-authorized-keys"} <= got


def test_paths_as_the_sandbox_sees_them() -> None:
    _need_files()
    r, seen, _, _ = _session(
        "echo a > /tmp/one; cat /tmp/one >/dev/null; echo b > /dev/shm/two; ls /workspace"
    )
    assert r.exit_code == 0
    files = _files(seen)
    for want in [("write", "/tmp/one"), ("read", "/tmp/one"), ("write", "/dev/shm/two"),
                 ("list", "/workspace")]:  # fmt: skip
        assert want in files
    # system files every program reads are not watched
    assert not [p for _, p in files if p.startswith(("/usr/", "/etc/", "/lib"))]
    events = [e for e in seen if e.action is not None and e.action.kind == "file"]
    assert all(e.data == {"source": "bwrap", "observed": True} for e in events)


def test_a_flood_of_writes_is_one_event_per_call_and_bounded() -> None:
    _need_files()
    script = (
        "i=0; while [ $i -lt 5000 ]; do echo x >> flood; i=$((i+1)); done\n"
        f"mkdir many; cd many; i=0; while [ $i -lt {EVENTS_MAX + 300} ]; do : > f$i; "
        "i=$((i+1)); done\n"
        "b=.bash; echo payload >> ~/${b}rc"  # after the flood: still seen
    )
    r, seen, got, fw = _session(script)
    assert r.exit_code == 0
    files = _files(seen)
    assert files.count(("write", "/workspace/flood")) == 1
    assert len(files) <= EVENTS_MAX + 10
    assert fw is not None and fw.dropped > 0
    assert ("write", "/workspace/.bashrc") in files
    assert "persist-shell-rc-write" in got


def test_each_call_of_a_warm_session_reports_again() -> None:
    _need_files()
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus, monitor=True, backend="bwrap") as sb:
        sb.run("echo 1 >> notes.txt")
        sb.run("echo 2 >> notes.txt")
        r = sb.exec(["sh", "-c", "echo 3 >> /workspace/notes.txt"])
        assert r.exit_code == 0
    # once per call at least; a close event that arrives after its call's drain may be
    # reported once more in the next call (seen 1 in ~5 full runs; harmless for the rules)
    assert 3 <= _files(seen).count(("write", "/workspace/notes.txt")) <= 4


def test_a_host_process_on_the_sandbox_mount_is_not_reported() -> None:
    _need_files()
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus, monitor=True, backend="bwrap") as sb:
        sb.run("echo hi > seen.txt")
        pid = sb._backend()._sess.sp.child_pid
        # through the sandbox's own mount, which is marked: the host is not the sandbox
        Path(f"/proc/{pid}/root/workspace/host.txt").write_text("written by the host")
        sb.run("true")
    paths = {p for _, p in _files(seen)}
    assert "/workspace/seen.txt" in paths
    assert "/workspace/host.txt" not in paths


def test_without_root_doctor_says_so_and_the_probe_names_the_reason() -> None:
    check = check_file_events()
    assert "gvisor: from the Sentry's trace" in check.detail
    if os.geteuid() != 0:
        assert not check.ok and "root" in check.detail
        return
    home = Path(tempfile.mkdtemp(prefix="corral-nonroot-home-"))
    try:
        os.chown(home, USER, USER)
        code = "from corral.native.doctor import check_file_events as c; print(c().detail)"
        p = subprocess.run([*_launcher(home), sys.executable, "-c", code],
                           capture_output=True, text=True, timeout=120, cwd="/")  # fmt: skip
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "fanotify unavailable: needs root" in p.stdout
    assert "file rules see only the commands' text" in p.stdout


def test_a_background_writer_cannot_hold_up_the_next_call() -> None:
    _need_files()
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus, monitor=True, backend="bwrap") as sb:
        # faster than corral reads their events: a flush that waited for an empty queue
        # would never return
        writer = "import os\ni = 0\nwhile True:\n    open(f'bg{i % 5000}', 'w').close(); i += 1"
        sb.run(f'for k in 1 2; do python3 -c "{writer}" >/dev/null 2>&1 & done; sleep 0.5')
        for _ in range(3):
            r = sb.run("echo ok", timeout=60)
            assert r.stdout == "ok\n" and r.usage.wall_s < 50  # did not hang
        fw = sb._backend()._filewatch
        assert fw is not None and fw.events > 0
    assert ("write", "/workspace/bg1") in _files(seen)
