"""The in-sandbox network relay (native/relay.c, native/relaybin.py; native/_bridge.py as
the fallback): built and cached safely, the same behaviour in both forms, used by the
sandboxes' first call, and a guest that kills it gets a clear error, not a hang.

The relay's own behaviour is tested on the host (it is an ordinary program: a listener on
127.0.0.1 and a Unix socket), the sandboxes' use of it on gVisor (unprivileged bwrap:
test_bwrap_nonroot.py).
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.native import relaybin

from .conftest import need
from .test_proxy import only_port

COMPILER = shutil.which("cc") or shutil.which("gcc")
needs_cc = pytest.mark.skipif(COMPILER is None, reason="no C compiler (gcc, libc6-dev)")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh corral cache (no relay built yet)."""
    h = tmp_path / "home"
    h.mkdir(mode=0o700)
    monkeypatch.setenv("CORRAL_HOME", str(h))
    monkeypatch.delenv("CC", raising=False)
    return h


# ---------------------------------------------------------------- building and caching


@needs_cc
def test_the_relay_is_built_static_once_and_cached(home):
    r = relaybin.relay()
    assert r.kind == "static", r
    path = r.path
    assert path is not None and path.parent == home / "relay"
    st = os.lstat(path)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o755
    assert st.st_uid == os.geteuid()
    with open(path, "rb") as f:
        assert f.read(4) == b"\x7fELF"
    # static: no program interpreter (it runs under any image's root)
    out = subprocess.run(["readelf", "-l", str(path)], capture_output=True, text=True)
    if out.returncode == 0:
        assert "INTERP" not in out.stdout
    # usage errors are said, not a crash
    p = subprocess.run([str(path)], capture_output=True, text=True)
    assert p.returncode == 2 and "usage" in p.stderr
    assert not [x for x in (home / "relay").iterdir() if x.name.startswith(".build")]
    again = relaybin.relay()
    assert again.path == path and os.lstat(path).st_ino == st.st_ino  # not built again


@needs_cc
def test_a_cached_relay_that_others_could_change_is_built_again(home):
    path = relaybin.relay().path
    assert path is not None
    os.chmod(path, 0o777)  # anyone could have written it, and someone did
    with open(path, "ab") as f:
        f.write(b"tampered")
    r = relaybin.relay()
    assert r.kind == "static" and r.path == path
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o755
    assert not path.read_bytes().endswith(b"tampered")  # built again
    # a symlink in its place is not followed
    os.unlink(path)
    fake = home / "fake"
    fake.write_bytes(b"#!/bin/sh\necho pwned\n")
    os.chmod(fake, 0o755)
    os.symlink(fake, path)
    r = relaybin.relay()
    assert r.kind == "static" and not os.path.islink(path)


@needs_cc
def test_a_cache_others_can_write_to_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # no sticky bit: anyone may swap what is in it
    monkeypatch.setenv("CORRAL_HOME", str(shared / "corral"))
    monkeypatch.delenv("CC", raising=False)
    r = relaybin.relay()
    assert r.kind == "python" and "writable by others" in r.why, r
    assert not (shared / "corral" / "relay").exists() or not any(
        (shared / "corral" / "relay").iterdir()
    )


@needs_cc
def test_a_directory_in_the_cached_relays_place_gives_the_python_relay(home):
    (relaybin.cache_path(relaybin.SOURCE.read_bytes()) / "x").mkdir(parents=True)
    r = relaybin.relay()  # not a traceback: the fallback, and why
    assert r.kind == "python" and "could not be cached" in r.why, r


def test_without_a_compiler_the_python_relay_is_used(home, monkeypatch):
    monkeypatch.setenv("CC", "/nonexistent/cc")
    r = relaybin.relay()
    assert r.kind == "python" and "compiler" in r.why and "/nonexistent/cc" in r.why, r
    argv = r.argv(3128, "/run/corral/proxy.sock", ["/bin/true"], 4)
    assert argv[:4] == ["/usr/bin/python3", "-I", "-S", relaybin.BRIDGE_GUEST]
    assert argv[4:] == ["3128", "/run/corral/proxy.sock", "-s", "4", "--", "/bin/true"]
    assert "python" in r.describe().lower()
    run = home / "run"
    run.mkdir()
    relaybin.install(run)
    assert (run / "bridge.py").read_bytes() == relaybin.BRIDGE.read_bytes()


def test_a_compiler_that_fails_gives_the_python_relay_and_why(home, monkeypatch):
    false = shutil.which("false")
    if false is None:
        pytest.skip("no false(1)")
    monkeypatch.setenv("CC", false)
    r = relaybin.relay()
    assert r.kind == "python" and "failed" in r.why, r


def test_doctor_says_which_relay_is_used(home, monkeypatch):
    from corral.native.doctor import check_relay

    if COMPILER is not None:
        c = check_relay()
        assert c.ok and c.name == "network relay" and "static" in c.detail, c
    monkeypatch.setenv("CORRAL_HOME", str(home / "other"))  # nothing built there
    monkeypatch.setenv("CC", "/nonexistent/cc")
    c = check_relay()
    assert "Python fallback" in c.detail and "/nonexistent/cc" in c.detail, c
    assert c.fix is not None and "gcc" in c.fix and c.optional


# ---------------------------------------------------------------- the relay's behaviour


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EchoServer:
    """The proxy's stand-in: a Unix socket that echoes (``hold`` connections: read, never
    answer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(256)
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    @staticmethod
    def _echo(c: socket.socket) -> None:
        with c:
            while True:
                try:
                    d = c.recv(65536)
                    if not d:
                        return
                    c.sendall(d)
                except OSError:
                    return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _relay_cmd(kind: str) -> list[str]:
    if kind == "static":
        if COMPILER is None:
            pytest.skip("no C compiler (gcc, libc6-dev)")
        r = relaybin.relay()
        assert r.kind == "static", r.why
        return [str(r.path)]
    return [sys.executable, "-I", "-S", str(relaybin.BRIDGE)]


@pytest.fixture(params=["static", "python"])
def kind(request) -> str:
    return request.param


class Running:
    def __init__(self, kind: str, tmp: Path, command: list[str], nofile: int | None = None,
                 socket_path: Path | None = None, listen: bool = True) -> None:  # fmt: skip
        self.port = _free_port()
        self.sock_path = socket_path or tmp / "proxy.sock"
        self.server = EchoServer(self.sock_path) if socket_path is None else None
        self.status_r, status_w = os.pipe()

        def limit() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        argv = [*_relay_cmd(kind), str(self.port), str(self.sock_path), "-s", str(status_w),
                "--", *command]  # fmt: skip
        self.proc = subprocess.Popen(argv, pass_fds=(status_w,), preexec_fn=limit,
                                     stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        os.close(status_w)
        if not listen:  # (a command that ends at once)
            return
        end = time.monotonic() + 20
        while time.monotonic() < end:
            with contextlib.suppress(OSError), socket.create_connection(
                ("127.0.0.1", self.port), timeout=1
            ):
                break
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            time.sleep(0.02)
        else:
            pytest.fail("the relay did not listen")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def stop(self) -> tuple[int, bytes]:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)  # handed on to the command
        try:
            rc = self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            if self.server is not None:
                self.server.close()
        status = os.read(self.status_r, 64)
        os.close(self.status_r)
        return rc, status


def _echo_ok(s: socket.socket, data: bytes) -> None:
    got = bytearray()
    t = threading.Thread(target=s.sendall, args=(data,), daemon=True)
    t.start()
    while len(got) < len(data):
        b = s.recv(1 << 20)
        assert b, f"closed after {len(got)} of {len(data)} bytes"
        got += b
    t.join(10)
    assert bytes(got) == data


def test_the_commands_status_is_handed_on_and_written(kind, tmp_path):
    r = Running(kind, tmp_path, ["/bin/sh", "-c", "exit 5"], listen=False)
    assert r.proc.wait(timeout=20) == 5
    assert os.read(r.status_r, 64) == b"5\n"
    r.stop()
    r = Running(kind, tmp_path, ["/bin/sleep", "30"], socket_path=tmp_path / "unused.sock")
    rc, status = r.stop()  # SIGTERM to the relay ends the command with it
    assert rc == 128 + signal.SIGTERM and status == b"%d\n" % rc


def test_a_command_that_cannot_run_is_said(kind, tmp_path):
    r = Running(kind, tmp_path, ["/nonexistent/prog"], listen=False)
    assert r.proc.wait(timeout=20) == 127
    err = r.proc.stderr.read().decode() if r.proc.stderr else ""
    assert "cannot run /nonexistent/prog" in err
    r.stop()


def test_bytes_both_ways_and_a_slow_reader_stalls_only_itself(kind, tmp_path):
    r = Running(kind, tmp_path, ["/bin/sleep", "60"])
    try:
        big = os.urandom(4 << 20)
        with r.connect() as a:
            _echo_ok(a, big)
        # a connection whose reader never reads: the echo fills every buffer on the way
        slow = r.connect()
        slow.setblocking(False)
        sent = 0
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                sent += slow.send(b"x" * 65536)
            except BlockingIOError:
                break
        assert sent > 0
        # meanwhile another connection is served at once
        with r.connect() as b:
            _echo_ok(b, b"ping" * 1000)
        slow.close()
        assert r.proc.poll() is None
    finally:
        r.stop()


def test_an_unreachable_proxy_closes_the_connection_and_the_relay_lives(kind, tmp_path):
    r = Running(kind, tmp_path, ["/bin/sleep", "60"], socket_path=tmp_path / "absent.sock")
    try:
        with r.connect() as c:
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            with contextlib.suppress(ConnectionResetError):
                assert c.recv(100) == b""
        assert r.proc.poll() is None
    finally:
        r.stop()


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_running_out_of_descriptors_neither_spins_nor_wedges(kind, tmp_path):
    r = Running(kind, tmp_path, ["/bin/sleep", "60"], nofile=40)
    held = []
    try:
        for _ in range(60):  # more than the relay can hold (2 descriptors each)
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", r.port))
            held.append(s)
        time.sleep(0.3)
        cpu0 = _cpu_s(r.proc.pid)
        time.sleep(1.5)
        assert _cpu_s(r.proc.pid) - cpu0 < 0.5, "the relay spins"
        assert r.proc.poll() is None
        for s in held:
            s.close()
        held.clear()
        end = time.monotonic() + 20
        while True:  # once the old ones are gone, a new connection is served
            try:
                with r.connect() as c:
                    c.settimeout(3)
                    _echo_ok(c, b"after")
                break
            except (OSError, AssertionError):
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
    finally:
        for s in held:
            s.close()
        r.stop()


# ---------------------------------------------------------------- in a gVisor sandbox


def _gvisor(workspace, port, **kw):
    need("gvisor")
    from corral.native.gvisor import GvisorBackend

    return GvisorBackend(workspace, Budget(wall_s=60), net_decide=only_port(port),
                         env={"no_proxy": "", "NO_PROXY": ""}, **kw)  # fmt: skip


def _fetch(port: int) -> str:
    # the first thing the session does: the relay listens before the shell starts
    return (
        f"curl -sS --max-time 10 http://127.0.0.1:{port}/hello.txt; echo rc=$?; "
        "tr '\\0' ' ' </proc/1/cmdline; echo"
    )


@needs_cc
def test_gvisor_first_call_connects_at_once_through_the_static_relay(workspace, http_server):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    with _gvisor(workspace, http_server.port) as box:
        assert box._relay is not None and box._relay.kind == "static"
        r = box.run(_fetch(http_server.port))
        assert "hello from the host" in r.stdout and "rc=0" in r.stdout, r
        assert relaybin.RELAY_GUEST in r.stdout, r  # the sandbox's first process
        # the command gets default signal dispositions (SIGPIPE: not ignored)
        r = box.run("yes | head -1 >/dev/null; echo ${PIPESTATUS[0]}")
        assert r.stdout == "141\n" and not r.stderr, r
        # as the sandbox's init it reaps orphans (they would count against the process
        # budget for the session's life)
        r = box.run("for i in 1 2 3; do (sleep 0.05 &); done; sleep 1; "
                    "ps -eo stat= | grep -c '^Z'")  # fmt: skip
        assert r.stdout == "0\n", r


def test_gvisor_python_relay_when_no_compiler(workspace, http_server, home, monkeypatch):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    monkeypatch.setenv("CC", "/nonexistent/cc")
    with _gvisor(workspace, http_server.port) as box:
        assert box._relay is not None and box._relay.kind == "python"
        r = box.run(_fetch(http_server.port))
        assert "hello from the host" in r.stdout and "rc=0" in r.stdout, r
        assert relaybin.BRIDGE_GUEST in r.stdout, r
        r = box.run("yes | head -1 >/dev/null; echo ${PIPESTATUS[0]}; "
                    "for i in 1 2 3; do (sleep 0.05 &); done; sleep 1; "
                    "ps -eo stat= | grep -c '^Z'")  # fmt: skip
        assert r.stdout == "141\n0\n" and not r.stderr, r  # as the static relay
        r = box.run("exit 9")
        assert r.exit_code == 9 and r.error != "crash", r  # a shell's end is not a crash
        r = box.run("kill -9 1; sleep 20; echo survived")
        assert r.error == "crash" and "network relay" in (r.error_message or ""), r


def test_gvisor_guest_killing_the_relay_gets_a_clear_error(workspace, http_server):
    with _gvisor(workspace, http_server.port) as box:
        assert box.run("export KEPT=1").ok
        t = time.monotonic()
        r = box.run("kill -9 1; sleep 30; echo survived")
        assert time.monotonic() - t < 20  # not a hang
        assert "survived" not in r.stdout
        assert r.error == "crash" and "network relay" in (r.error_message or ""), r
        assert "network relay" in r.stderr
        r = box.run("echo ${KEPT:-fresh}")
        assert r.restarted and r.stdout == "fresh\n", r
        if shutil.which("curl"):  # the fresh session's network works again
            r = box.run(f"curl -sS --max-time 10 http://127.0.0.1:{http_server.port}/hello.txt")
            assert "hello from the host" in r.stdout, r
        # the shell's own end stays an exit, not a crash
        r = box.run("kill -9 $$")
        assert r.exit_code == 137 and r.error != "crash", r
