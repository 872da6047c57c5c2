"""Escape attempts, run for real in each backend: every one is refused and reported."""

from __future__ import annotations

import os
import re
import socket
import threading

import pytest

from corral.budget import Budget
from corral.native import BwrapBackend, GvisorBackend, NativeLimits

from .conftest import Events, need

#: "bwrap-pool": the same sandbox taken from the warm pool (native/pool.py, root only)
BACKENDS = ["bwrap", "bwrap-pool", "gvisor"]


def _pooled_backend(ws, ev, **kw):
    """A bwrap backend whose session was pre-started in the pool (primed by another
    backend of the same configuration), its workspace mounted in when taken."""
    import time

    from corral.native import pool

    if os.geteuid() != 0:
        pytest.skip("the session pool needs root")
    pool.shutdown()
    prime = ws.parent / "prime"
    prime.mkdir()
    first = BwrapBackend(prime, pool=1, **kw)
    first.start()
    first.run("true")
    first.close()
    end = time.monotonic() + 60
    while not any(p["ready"] for p in pool.stats()) and time.monotonic() < end:
        time.sleep(0.02)
    b = BwrapBackend(ws, events=ev, pool=1, **kw)
    b.start()
    assert b._sess is not None and b._sess.taken, pool.stats()
    return b


@pytest.fixture(params=BACKENDS)
def box(request, tmp_path):
    kind = request.param
    need(kind.split("-")[0])
    ws = tmp_path / "ws"
    ws.mkdir()
    ev = Events()
    settings = {
        "budget": Budget(wall_s=20, memory_mb=256, disk_mb=50, disk_files=5000),
        "limits": NativeLimits(processes=64),
    }
    if kind == "bwrap-pool":
        b = _pooled_backend(ws, ev, **settings)
    else:
        cls = BwrapBackend if kind == "bwrap" else GvisorBackend
        b = cls(ws, events=ev, **settings)
        b.start()
    b.kind = kind.split("-")[0]
    b.ev = ev
    yield b
    b.close()
    if kind == "bwrap-pool":
        from corral.native import pool

        pool.shutdown()


def test_host_files_outside_the_binds(box, tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("TOP-SECRET-HOST-FILE")
    home = os.path.expanduser("~")
    r = box.run(
        f"cat /etc/shadow; ls -a /root {home}; cat {secret}; cat /etc/sudoers; ls /home; "
        "cat /etc/ssh/ssh_host_*_key; cat /proc/1/root/etc/shadow; echo end"
    )
    assert "TOP-SECRET-HOST-FILE" not in r.stdout
    assert not re.search(r"^root:", r.stdout, re.M)  # no shadow line
    assert "PRIVATE KEY" not in r.stdout
    assert r.stdout.strip().endswith("end")


def test_read_only_binds_stay_read_only(box):
    r = box.run(
        "touch /usr/bin/evil; echo x > /etc/passwd; mkdir /newdir; rm -f /bin/sh; "
        "ls /usr/bin/evil /newdir; test -x /bin/sh && echo sh-intact"
    )
    assert "sh-intact" in r.stdout
    assert os.path.exists("/bin/sh")
    assert not os.path.exists("/usr/bin/evil") and not os.path.exists("/newdir")


def test_proc_tricks(box):
    r = box.run(
        "readlink /proc/self/exe; cat /proc/1/root/etc/shadow; echo; "
        "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done; "
        "printf 'N%s=%s\\n' UM $(echo /proc/[0-9]* | wc -w)"
    )
    assert "pytest" not in r.stdout  # the host supervisor is invisible
    count = int(r.stdout.split("NUM=")[-1].split()[0])
    assert count < 10  # only the sandbox's own processes


def test_ptrace_of_the_supervisor(box):
    ppid = os.getpid()
    r = box.run(
        f"python3 -c \"import ctypes; l=ctypes.CDLL(None); print('ptrace', l.ptrace(16, {ppid}, 0, 0), l.ptrace(16, 1, 0, 0))\"; kill -0 {ppid} && echo visible"
    )
    assert "ptrace -1 -1" in r.stdout
    assert "visible" not in r.stdout


def test_mount_and_new_namespaces_refused(box):
    r = box.run(
        "mount -t tmpfs none /tmp; echo mount=$?; unshare -U true; echo unshare=$?; "
        "unshare -r true; echo unsharer=$?; "
        'python3 -c "import os; os.unshare(os.CLONE_NEWUSER)" 2>/dev/null; echo py=$?'
    )
    for key in ("mount", "unshare", "unsharer", "py"):
        assert f"{key}=0" not in r.stdout, r.stdout


def test_host_fd_is_not_inherited(box, tmp_path):
    secret = tmp_path / "leak.txt"
    secret.write_text("LEAKED-THROUGH-FD")
    fd = os.open(secret, os.O_RDONLY)
    os.set_inheritable(fd, True)
    try:
        r = box.run(
            f"ls -l /proc/self/fd/; cat /proc/self/fd/{fd} <&{fd}; "
            "for f in /proc/self/fd/*; do cat $f 2>/dev/null; done < /dev/null; echo end"
        )
    finally:
        os.close(fd)
    assert "LEAKED-THROUGH-FD" not in r.stdout
    assert "leak.txt" not in r.stdout


def test_environment_secrets(box, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-secret-value")
    r = box.run("env; cat /proc/*/environ 2>/dev/null")
    assert "sk-fake-secret-value" not in r.stdout


def test_symlink_escape_from_workspace(box, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("OUTSIDE-THE-WORKSPACE")
    r = box.run(
        f"ln -s {outside} link; cat link; ln -s / rootlink; cat rootlink{outside}; "
        f"ln -s {tmp_path} dirlink; echo pwn > dirlink/written.txt; echo end"
    )
    assert "OUTSIDE-THE-WORKSPACE" not in r.stdout
    assert not (tmp_path / "written.txt").exists()
    assert outside.read_text() == "OUTSIDE-THE-WORKSPACE"


def test_host_loopback_services_unreachable(box):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    port = srv.getsockname()[1]
    hits = []

    def accept():
        srv.settimeout(5)
        try:
            c, _ = srv.accept()
            hits.append(c.recv(100))
            c.close()
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    r = box.run(
        f"echo hi > /dev/tcp/127.0.0.1/{port} && echo connected; "
        f"curl -sS -m 2 http://127.0.0.1:{port}/ ; echo end"
    )
    srv.close()
    t.join()
    assert hits == [] and "connected" not in r.stdout


def test_fork_bomb_contained(box):
    r = box.run(":(){ :|:& };:; sleep 10", timeout=8)
    assert r.error in ("processes", "wall_time", "exit") and r.exit_code != 0
    assert os.system("true") == 0


def test_memory_bomb_contained(box):
    r = box.run("python3 -c 'x=[]\nwhile True: x.append(bytearray(10**6))'", timeout=10)
    assert r.exit_code != 0
    assert r.budget_exceeded == "memory"


def test_disk_fill_contained(box):
    r = box.run("head -c 200000000 /dev/zero > big; echo rc=$?", timeout=10)
    assert r.budget_exceeded == "disk" or "rc=0" not in r.stdout
    assert (box.root / "big").stat().st_size <= 60 * 2**20 if (box.root / "big").exists() else True
    box.run("rm -f big")


def test_hundred_thousand_files_contained(box):
    r = box.run(
        "mkdir m; cd m; i=0; while [ $i -lt 100000 ]; do : > f$i; i=$((i+1)); done; echo done",
        timeout=15,
    )
    assert r.budget_exceeded in ("disk", "wall_time")
    assert "done" not in r.stdout


def test_fallocate_reserves_nothing(box):
    """``fallocate`` reserved gigabytes in a millisecond, far faster than the disk poll
    looks: it is refused (bwrap: "not supported", so glibc's ``posix_fallocate`` falls
    back to writing; runsc's OCI seccomp answers EPERM)."""
    r = box.run(
        "fallocate -l 2G big; echo rc=$?; python3 -c \"import os; fd = os.open('small', "
        "os.O_CREAT | os.O_WRONLY); os.posix_fallocate(fd, 0, 1 << 20); print(os.fstat(fd).st_size)\""
    )
    assert "rc=1" in r.stdout, r
    big = box.root / "big"
    assert not big.exists() or big.stat().st_blocks == 0
    if box.kind == "bwrap":
        assert "1048576" in r.stdout, r  # written instead
    box.run("rm -f big small")


def test_a_workspace_over_its_disk_budget_can_only_shrink(box):
    """Calls quicker than one disk poll each kept what they wrote past the budget (the
    next call's floor was whatever the last one left). Now the end of a call is looked
    at too, and a workspace over its budget gets processes that cannot grow a file
    (RLIMIT_FSIZE 0) until files are removed."""
    assert box.run("head -c 45000000 /dev/zero > a").ok
    r = box.run("head -c 10000000 /dev/zero > b")  # past 50 MB: seen by a poll or at the end
    assert r.budget_exceeded == "disk", r
    r = box.run("head -c 10000000 /dev/zero > c; echo rc=$?")
    assert "over its disk budget" in r.stderr and "rc=153" in r.stdout, r
    assert (box.root / "c").stat().st_size == 0
    r = box.run("rm -f a b c && echo gone")
    assert r.ok and "gone" in r.stdout, r
    r = box.run("head -c 1000 /dev/zero > d && wc -c < d")
    assert r.ok and r.stdout.strip() == "1000" and "over its disk" not in r.stderr, r
