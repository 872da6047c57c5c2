"""The walls under `default`'s system and volume paths: they are the sandbox's own.

`default` lets a command write the system's directories (`/etc`, `/usr`, `/var`, `/opt`,
`/boot`, ...) and read and write the volumes' and homes' (`/srv`, `/mnt`, `/media`,
`/home`, `/root`) and the raw disks' names (`/dev/sda`), because no tier gives a sandbox
the host's: bwrap binds `/usr` and a curated `/etc` read-only and leaves the rest to its
own root tmpfs and `/dev`; gVisor's root is read-only and its `/dev` its own; the wasm
shell reaches nothing outside `/workspace`. These tests put data of the host's at those
paths, run the lines `default` allows "as root" (corral's `sudo`) in bwrap and gVisor with
the monitor off, so that nothing but the tier stands in the way, and check from the host
that nothing was read or changed. `chown` and `sysctl`'s writes run under `default` for
the same reason (the tiers' user holds no capability): they are run as root inside too.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from tiers import needs

BACKENDS = [
    pytest.param("bwrap", marks=needs("bwrap")),
    pytest.param("gvisor", marks=needs("gvisor")),
]

SECRET = "HOST-SECRET-4c7f1e"


def _host_block_device() -> str | None:
    """A block device of the host's (``vda``, ``sda``, ``nvme0n1``), if it has one."""
    try:
        names = sorted(os.listdir("/sys/block"))
    except OSError:
        return None
    for name in names:
        if not name.startswith(("loop", "ram", "zram")) and Path("/dev", name).exists():
            return name
    return None


@pytest.fixture
def host_data() -> Iterator[dict[str, Path]]:
    """The host's data at the paths a sandbox must not reach (made here, removed after);
    and paths that must not appear on the host."""
    if os.geteuid() != 0:
        pytest.skip("needs root to place the host's data under /srv, /root, /home")
    tag = f"corral-wall-{uuid.uuid4().hex[:10]}"
    planted = {name: Path(f"/{name}") / tag for name in ("srv", "root", "home", "media")}
    absent = {name: Path(f"/{name}") / tag for name in ("etc", "var/lib", "opt", "boot",
                                                         "usr/local/bin")}  # fmt: skip
    try:
        for d in planted.values():
            d.mkdir(mode=0o755)
            (d / "secret").write_text(SECRET + "\n")
        assert not any(p.exists() for p in absent.values())
        yield {"tag": Path(tag), **{f"planted/{k}": v for k, v in planted.items()},
               **{f"absent/{k}": v for k, v in absent.items()}}  # fmt: skip
    finally:
        for d in planted.values():
            shutil.rmtree(d, ignore_errors=True)
        for p in absent.values():  # a failing test must not leave them either
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            elif p.exists() or p.is_symlink():
                p.unlink()


@pytest.mark.parametrize("backend", BACKENDS)
def test_system_and_volume_paths_are_the_sandboxs_own(
    tmp_path: Path, backend: str, host_data: dict[str, Path]
) -> None:
    tag = str(host_data["tag"])
    dev = _host_block_device()
    reads = f"cat /srv/{tag}/secret /root/{tag}/secret /home/{tag}/secret /media/{tag}/secret"
    writes = (
        f"sudo mkdir -p /srv/{tag}/new /var/lib/{tag} /opt/{tag} /boot/{tag} /home/{tag}"
        f" && echo x | sudo tee /srv/{tag}/secret /root/{tag}/secret /home/{tag}/secret"
        f" /etc/{tag} /var/lib/{tag}/f"
        f" ; sudo cp /etc/hostname /usr/local/bin/{tag} ; sudo mv /media/{tag}/secret /tmp/m"
    )
    disk = f"sudo dd if=/dev/{dev} of=/tmp/head.img bs=512 count=1" if dev else "true"
    probe = f"test -b /dev/{dev} && echo BLOCK-DEVICE" if dev else "true"
    lines = [reads, writes, disk, probe, "ls -A /mnt"]
    with Sandbox(backend=backend, policy="default", workspace=tmp_path, monitor=False,
                 budget=Budget(wall_s=60)) as sb:  # fmt: skip
        for line in lines:  # the policy lets each run: only the tier stands in the way
            assert sb.policy.decide_command(line).verdict == "allow", (line, sb.policy.decide_command(line).reason)
        read = sb.run(reads)
        wrote = sb.run(writes)
        copied = sb.run(disk)
        block = sb.run(probe)
        mnt = sb.run("ls -A /mnt")
        alive = sb.run("echo alive")
    report = f"{read}\n{wrote}\n{copied}\n{block}\n{mnt}"
    assert alive.stdout == "alive\n", report  # the sandbox ran the lines to their end
    # nothing of the host's data was read ...
    for result in (read, wrote, copied, block, mnt):
        assert SECRET not in result.stdout + result.stderr, report
    # ... or changed: the planted files as they were, nothing new where nothing was
    for key, path in host_data.items():
        if key.startswith("planted/"):
            assert (path / "secret").read_text() == SECRET + "\n", (path, report)
            assert sorted(os.listdir(path)) == ["secret"], (path, report)
        elif key.startswith("absent/"):
            assert not path.exists(), (path, report)
    # no block device of the host's, and none of the host's mounted volumes
    assert "BLOCK-DEVICE" not in block.stdout, report
    host_mnt = set(os.listdir("/mnt"))
    assert not (set(mnt.stdout.split()) & host_mnt), report


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_symlink_or_dotdot_from_the_sandboxs_own_paths_reaches_no_host_file(
    tmp_path: Path, backend: str, host_data: dict[str, Path]
) -> None:
    """A link made at an allowed path to the host's data, and a `..` walk out of one, lead
    to the sandbox's own files (the policy decides `..` where it lands: /proc is no write
    path)."""
    tag = str(host_data["tag"])
    link = (
        f"sudo mkdir -p /srv/{tag}-l && sudo ln -sfn /root/{tag} /srv/{tag}-l/r"
        f" && cat /srv/{tag}-l/r/secret ; cat /srv/../root/{tag}/secret"
        f" ; echo y | sudo tee /srv/{tag}-l/r/secret"
    )
    with Sandbox(backend=backend, policy="default", workspace=tmp_path, monitor=False,
                 budget=Budget(wall_s=60)) as sb:  # fmt: skip
        assert sb.policy.decide_command(link).verdict == "allow", sb.policy.decide_command(link).reason
        walk = "echo 1 | sudo tee /srv/../proc/sys/kernel/core_pattern"
        assert sb.policy.decide_command(walk).verdict == "deny"
        ran = sb.run(link)
    assert SECRET not in ran.stdout + ran.stderr, ran
    assert (host_data["planted/root"] / "secret").read_text() == SECRET + "\n"
    assert not Path(f"/srv/{tag}-l").exists(), ran


@pytest.mark.parametrize("backend", BACKENDS)
def test_chown_inside_gives_no_file_away(tmp_path: Path, backend: str) -> None:
    """`chown` runs under `default` (the wasm shell has none): the native tiers' user holds
    no capability, so a file cannot be given to another user, in the workspace (the host's
    files) or anywhere else; handing files to root stays refused by its own rule."""
    (tmp_path / "notes.txt").write_text("hello\n")
    lines = [
        "sudo chown -R 1500:1500 notes.txt",
        "sudo chown www-data: notes.txt",
        "sudo mkdir -p /var/www/app && sudo chown -R www-data:www-data /var/www/app",
    ]
    with Sandbox(backend=backend, policy="default", workspace=tmp_path, monitor=False,
                 budget=Budget(wall_s=60)) as sb:  # fmt: skip
        for line in lines:
            assert sb.policy.decide_command(line).verdict == "allow", sb.policy.decide_command(line).reason
        assert sb.policy.decide_command("sudo chown root notes.txt").verdict == "deny"
        sb.run("true")  # the session holds the workspace (as root: lent to its own uid)
        before = os.stat(tmp_path / "notes.txt")
        results = [sb.run(line) for line in lines]
        after = os.stat(tmp_path / "notes.txt")  # while the sandbox holds the workspace
    report = "\n".join(str(r) for r in results)
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid), report
    assert before.st_uid != 1500 and results[0].exit_code != 0, report  # refused inside


def _host_sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", *name.split(".")).read_text()
    except OSError:
        return None


@pytest.mark.parametrize("backend", BACKENDS)
def test_sysctl_inside_changes_no_host_setting(tmp_path: Path, backend: str) -> None:
    """`sysctl` writes run under `default`: the native tiers' user holds no capability (the
    kernel's settings are the host's and refuse it; the network ones are the sandbox's own
    namespace's, and refuse it too), gVisor's are the Sentry's; the wasm shell has no
    sysctl. Run as root inside, each write leaves the host's value as it was."""
    names = ["vm.max_map_count", "kernel.perf_event_paranoid", "net.ipv4.ip_forward",
             "kernel.core_pattern", "fs.inotify.max_user_watches"]  # fmt: skip
    before = {n: _host_sysctl(n) for n in names}
    lines = [
        "sudo sysctl -w vm.max_map_count=262145",
        "sudo sysctl kernel.perf_event_paranoid=-1",
        "sudo sysctl -w net.ipv4.ip_forward=1",
        "sudo sysctl -w kernel.core_pattern='|/workspace/handler %p'",
        "echo 'fs.inotify.max_user_watches=524289' > s.conf && sudo sysctl -p s.conf",
    ]
    with Sandbox(backend=backend, policy="default", workspace=tmp_path, monitor=False,
                 budget=Budget(wall_s=60)) as sb:  # fmt: skip
        for line in lines:
            assert sb.policy.decide_command(line).verdict == "allow", sb.policy.decide_command(line).reason
        results = [sb.run(line) for line in lines]
    report = "\n".join(str(r) for r in results)
    # each refused inside (gVisor's procps says so and exits 0 on a refused -w)
    assert all(r.exit_code != 0 or "sysctl:" in r.stderr for r in results), report
    assert {n: _host_sysctl(n) for n in names} == before, report
