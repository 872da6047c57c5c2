"""The walls under two of `default`'s allowances: a pager or editor run "as root", and a firewall.

`default` decides `sudo less /var/log/x`, `sudo vim F` as the pager or editor itself (GTFOBins'
`sudo vi` then `:!sh` needs a root sudo and a terminal; corral's sudo is a stand-in running
the program as the sandbox's own user, and an agent's command has no terminal), and
lets `ufw`, `iptables`, `nft`, `firewall-cmd` run (a native tier's network namespace is its
own and holds no capability). These tests take the attacker's side with a policy that
allows everything, so that nothing but the tier stands in the way: the escape itself is run,
and a network change is attempted, and each is checked from inside and from the host.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from tiers import needs

BACKENDS = [
    pytest.param("bwrap", marks=needs("bwrap")),
    pytest.param("gvisor", marks=needs("gvisor")),
]


def _interfaces(dev: str) -> set[str]:
    """The interface names of a ``/proc/net/dev`` text."""
    return {line.split(":", 1)[0].strip() for line in dev.splitlines()[2:] if ":" in line}


def _host_interfaces() -> set[str]:
    return _interfaces(Path("/proc/net/dev").read_text())


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_pager_or_editor_as_root_is_the_sandbox_user(tmp_path: Path, backend: str) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    probe = Path("/etc") / f"corral-wall-{uuid.uuid4().hex[:10]}"
    with Sandbox(backend=backend, policy="default", workspace=tmp_path,
                 budget=Budget(wall_s=60)) as sb:  # fmt: skip
        assert sb.policy.decide_command("sudo less notes.txt").verdict == "allow"
        assert sb.policy.decide_command("sudo vi -c '!id' notes.txt").verdict == "deny"
        paged = sb.run("sudo less notes.txt")
        own = sb.run("id -u").stdout.strip()
    # no terminal: the pager writes the file and ends
    assert paged.exit_code == 0 and paged.stdout == "hello\n", paged
    assert own.isdigit() and own != "0"
    escape = (
        "sudo vi -es -c '!id -u > uid.txt' "
        "-c '!grep -E \"^(CapEff|NoNewPrivs)\" /proc/self/status > status.txt' "
        f"-c '!touch {probe} 2> touch.txt' -c 'qa!' notes.txt"
    )
    with Sandbox(backend=backend, policy="permissive", workspace=tmp_path,
                 budget=Budget(wall_s=60)) as sb:  # fmt: skip
        assert sb.policy.decide_command(escape).verdict == "allow"
        ran = sb.run(escape)
    report = f"{ran.exit_code}: {ran.stdout[-300:]} {ran.stderr[-300:]}"
    # the escape ran (its shell wrote its files) as the sandbox's own user, with nothing
    assert (tmp_path / "uid.txt").read_text().strip() == own, report
    status = (tmp_path / "status.txt").read_text()
    assert "CapEff:\t0000000000000000" in status, status
    assert (tmp_path / "touch.txt").read_text().strip(), report  # the write to /etc failed
    assert not probe.exists(), f"{probe} written on the host"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_firewall_in_reach_is_the_sandboxs_own(tmp_path: Path, backend: str) -> None:
    with Sandbox(backend=backend, policy="permissive", workspace=tmp_path,
                 budget=Budget(wall_s=60)) as sb:  # fmt: skip
        devices = sb.run("cat /proc/net/dev")
        caps = sb.run("grep CapEff /proc/self/status")
        change = sb.run("sudo ip link add corral0 type dummy")
    inside = _interfaces(devices.stdout)
    # a network namespace of its own: none of the host's interfaces but loopback is there
    assert inside <= {"lo"}, inside
    assert not (inside & (_host_interfaces() - {"lo"}))
    # and no capability over it: a network change is refused by the kernel (or gVisor's)
    assert "0000000000000000" in caps.stdout, caps
    assert change.exit_code != 0, change
    assert "corral0" not in _host_interfaces()
