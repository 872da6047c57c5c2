"""The wall under `default`'s container rule: no tier gives a sandbox a container engine
(nor the host's service manager).

`default` lets `docker`, `podman`, `nerdctl` and compose run because what they would drive
is out of reach: an engine listening on the host, at every usual socket path and on the
host's loopback TCP port, is not reachable from inside a native sandbox, with the policy
allowing the attempt (the gate is not what stops it: the mounts and the network
namespace are). The test puts listeners there itself (as root) and has a sandboxed
program try each one, its paths read from a file (the gate refuses a command line that
names an engine's socket; the wall is what must hold when a program finds it itself).
systemd's and D-Bus's sockets are probed the same way: `default` lets `systemctl` and
`service` bring services up (start, restart, reload, enable, daemon-reload) because of it,
and the second test runs those commands for real in each tier, with listeners at the
manager's and the buses' paths, and counts what reached them: nothing."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral import Sandbox
from tiers import needs

#: where container engines listen (Docker, rootless Docker, containerd, Podman, CRI-O)
PATHS = [
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
    "/run/crio/crio.sock",
    f"/run/user/{os.getuid()}/docker.sock",
    f"/run/user/{os.getuid()}/podman/podman.sock",
    # the service manager and the buses it is driven over (systemctl, service, busctl)
    "/run/systemd/private",
    "/run/dbus/system_bus_socket",
    "/var/run/dbus/system_bus_socket",
    f"/run/user/{os.getuid()}/bus",
    f"/run/user/{os.getuid()}/systemd/private",
]

PROBE = r"""
import socket, sys
for p in open("paths.txt").read().split():
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(p); print("REACHED", p)
    except OSError as e:
        print("refused", p, e.errno)
t = socket.socket()
t.settimeout(2)
try:
    t.connect(("127.0.0.1", int(sys.argv[1]))); print("REACHED tcp")
except OSError as e:
    print("refused tcp", e.errno)
"""


@contextlib.contextmanager
def _listeners(accepted: list[str] | None = None) -> Iterator[tuple[list[str], int]]:
    """Listeners at every path of :data:`PATHS` (and the host's loopback TCP port); each
    connection one takes is appended to ``accepted`` (its listening address)."""
    made: list[Path] = []
    socks: list[socket.socket] = []
    listening: list[str] = []
    try:
        for p in PATHS:
            path = Path(p)
            if path.resolve() in {Path(x).resolve() for x in listening}:
                continue
            if path.exists():  # a real engine's socket: leave it, probe it all the same
                listening.append(p)
                continue
            for parent in reversed(path.parents):
                if not parent.exists():
                    parent.mkdir()
                    made.append(parent)
            s = socket.socket(socket.AF_UNIX)
            s.bind(p)
            s.listen(8)
            socks.append(s)
            made.append(path)
            listening.append(p)
        tcp = socket.socket()
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(8)
        socks.append(tcp)
        stop = threading.Event()

        def accept_all() -> None:  # a reached listener answers, so "REACHED" is real
            for s in socks:
                s.settimeout(0.05)
            while not stop.is_set():
                for s in socks:
                    with contextlib.suppress(OSError):
                        s.accept()[0].close()
                        if accepted is not None:
                            accepted.append(str(s.getsockname()))

        t = threading.Thread(target=accept_all, daemon=True)
        t.start()
        yield listening, tcp.getsockname()[1]
        stop.set()
        t.join(5)
    finally:
        for s in socks:
            s.close()
        for p in reversed(made):
            with contextlib.suppress(OSError):
                p.unlink() if not p.is_dir() or p.is_symlink() else p.rmdir()


@pytest.mark.skipif(os.geteuid() != 0, reason="puts listeners at the engines' paths in /run (root)")
@pytest.mark.parametrize(
    "backend",
    [pytest.param("bwrap", marks=needs("bwrap")), pytest.param("gvisor", marks=needs("gvisor"))],
)
def test_no_container_engine_is_reachable(tmp_path: Path, backend: str) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    with _listeners() as (paths, port):
        # the host itself reaches them (the probe is sound)
        for p in paths:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(p)
        with Sandbox(backend=backend, policy="default", workspace=tmp_path) as sb:
            assert sb.policy.decide_command("docker run --rm alpine true").verdict == "allow"
            # the paths in a file: a command line naming them is refused by the gate, and
            # this is about the wall behind it
            (tmp_path / "paths.txt").write_text("\n".join(paths))
            r = sb.run(f"python3 probe.py {port}")
            env = sb.run("echo \"[$DOCKER_HOST][$CONTAINER_HOST]\"")
    assert r.exit_code == 0, r.stderr
    assert "REACHED" not in r.stdout, r.stdout
    assert r.stdout.count("refused") == len(paths) + 1, r.stdout
    assert env.stdout.strip() == "[][]"


#: what `default` lets run of the service managers (tests/policy: what stays refused)
SERVICE_LINES = [
    "sudo systemctl restart nginx",
    "sudo systemctl daemon-reload && sudo systemctl enable --now guacd",
    "systemctl --user enable --now agent.service",
    "systemctl --user restart myapp.service",
    "sudo systemctl start xrootd@standalone",
    "sudo service cron restart",
    "sudo systemctl status nginx",
    "sudo journalctl -u nginx -n 50",
]


@pytest.mark.skipif(os.geteuid() != 0, reason="puts listeners at the managers' paths in /run (root)")
@pytest.mark.parametrize(
    "backend",
    [pytest.param("bwrap", marks=needs("bwrap")), pytest.param("gvisor", marks=needs("gvisor"))],
)
def test_service_manager_commands_reach_no_manager(tmp_path: Path, backend: str) -> None:
    """The real `systemctl`, `service` and `journalctl` of the tier, run by lines `default`
    allows, with a listener (accepting, counting) at each of the host's manager and bus
    sockets: none is reached, and what would change a service fails inside."""
    accepted: list[str] = []
    with _listeners(accepted) as (paths, _port):
        for p in paths:  # the host itself reaches them (the count is sound)
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(p)
        deadline = 50
        while len(accepted) < len(paths) and deadline:
            threading.Event().wait(0.1)
            deadline -= 1
        assert len(accepted) >= len(paths), accepted
        before = len(accepted)
        with Sandbox(backend=backend, policy="default", workspace=tmp_path) as sb:
            results = {}
            for line in SERVICE_LINES:
                assert sb.policy.decide_command(line).verdict == "allow", line
                results[line] = sb.run(line)
        threading.Event().wait(0.5)  # a connection made at the end is accepted by now
        reached = accepted[before:]
    assert reached == [], reached
    ran = {line: r for line, r in results.items() if "corral: denied" not in r.stderr}
    # the gate let every line through; the monitor may stop one it alerts on (a unit
    # enabled --now is also persistence's form), which is then not a run of the wall
    assert all("the monitor stopped it" in r.stderr for r in results.values() if r not in ran.values())
    assert len(ran) >= 6, {line: r.stderr for line, r in results.items()}
    for line, r in ran.items():
        if "status" in line or "journalctl" in line:
            continue  # read-only: may print what little the tier has
        assert r.exit_code != 0, (line, r.stdout, r.stderr)
        assert any(
            s in r.stdout + r.stderr
            for s in ("not been booted with systemd", "Failed to connect to bus", "unrecognized service")
        ), (line, r.stdout, r.stderr)
