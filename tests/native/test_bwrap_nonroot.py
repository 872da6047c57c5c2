"""The bwrap backend run by an ordinary user (``root_mode`` False), for real.

Most people run corral without root: the sandbox's processes then run as the user's own
uid (in a user namespace), the process count is an rlimit set inside that namespace, the
memory limit is RLIMIT_AS plus corral's own count, the egress proxy is reached through the
in-sandbox relay (``_bridge.py``), and the supervisor reads the memory of processes that
are the user's own but live in another user namespace.

When the tests run as root, :mod:`nonroot_child` runs as ``nobody`` (``setpriv``); when the
interpreter lives under a directory ``nobody`` cannot enter (``/root/.pyenv``), that
directory is made passable in a private mount namespace of the child only.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import corral

from .conftest import need

HERE = Path(__file__).resolve().parent
SRC = Path(corral.__file__).resolve().parents[1]
USER = 65534  # nobody


def _sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", *name.split(".")).read_text().strip()
    except OSError:
        return None


def _blocked_dirs(paths: list[Path]) -> dict[Path, set[str]]:
    """The directories on the way to ``paths`` that others cannot enter, with the entries
    in them that are needed (top-down)."""
    out: dict[Path, set[str]] = {}
    for p in paths:
        parts = p.parts
        for i in range(1, len(parts) - 1):
            d = Path(*parts[:i])
            with_x = os.stat(d).st_mode & stat.S_IXOTH
            if not with_x:
                out.setdefault(d, set()).add(parts[i])
    return dict(sorted(out.items(), key=lambda kv: len(kv[0].parts)))


def _launcher(home: Path) -> list[str]:
    """argv prefix that runs a command as the unprivileged user (or as ourselves)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "CORRAL_HOME": str(home / "corral"),
        "CORRAL_NO_AUTO_INSTALL": "1",
        "PYTHONPATH": str(SRC),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
    }
    envargs = ["env", "-i", *(f"{k}={v}" for k, v in env.items())]
    if os.geteuid() != 0:
        return envargs
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is needed to run as an unprivileged user")
    setpriv = ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--clear-groups"]
    needed = [Path(sys.executable), Path(os.path.realpath(sys.executable)), SRC, HERE]
    needed += [Path(p) for p in sys.path if p.startswith(sys.prefix) and os.path.isdir(p)]
    blocked = _blocked_dirs(needed)
    if not blocked:
        return [*setpriv, *envargs]
    if not shutil.which("unshare"):
        pytest.skip(f"{', '.join(map(str, blocked))} is closed to others and unshare is missing")
    # a private mount namespace: a tmpfs (mode 755) over each closed directory, holding
    # only the needed entries, bound back in
    lines = ["set -e", "stash=$(mktemp -d)"]
    for d, names in blocked.items():
        for i, name in enumerate(sorted(names)):
            src = shlex.quote(str(d / name))
            lines += [f'mkdir -p "$stash/{i}"', f'mount --rbind {src} "$stash/{i}"']
        lines.append(f"mount -t tmpfs -o mode=755 corral-nonroot {shlex.quote(str(d))}")
        for i, name in enumerate(sorted(names)):
            dst = shlex.quote(str(d / name))
            lines += [f"mkdir -p {dst}", f'mount --move "$stash/{i}" {dst}']
    lines.append('exec "$@"')
    script = "\n".join(lines)
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
            *setpriv, *envargs]  # fmt: skip


@pytest.fixture(scope="module")
def unprivileged() -> tuple[list[str], Path]:
    need("bwrap")
    # (kernel.apparmor_restrict_unprivileged_userns=1 may still let bwrap through its own
    # AppArmor profile: the probe below decides)
    for name, bad in (("kernel.unprivileged_userns_clone", "0"), ("user.max_user_namespaces", "0")):
        if _sysctl(name) == bad:
            pytest.skip(f"unprivileged user namespaces are off here ({name} = {bad})")
    home = Path(tempfile.mkdtemp(prefix="corral-nonroot-home-"))
    os.chmod(home, 0o700)
    if os.geteuid() == 0:
        os.chown(home, USER, USER)
    run = _launcher(home)
    probe = subprocess.run(
        [*run, "bwrap", "--unshare-user", "--unshare-net", "--unshare-pid", "--ro-bind", "/",
         "/", "--proc", "/proc", "--dev", "/dev", "true"],
        capture_output=True, text=True, timeout=60, cwd="/",
    )  # fmt: skip
    if probe.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip(
            "an unprivileged user cannot create user namespaces here: "
            f"{probe.stderr.strip()[-300:]} (kernel.unprivileged_userns_clone="
            f"{_sysctl('kernel.unprivileged_userns_clone')}, "
            "kernel.apparmor_restrict_unprivileged_userns="
            f"{_sysctl('kernel.apparmor_restrict_unprivileged_userns')})"
        )
    yield run, home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def report(unprivileged) -> dict:
    run, home = unprivileged
    out = home / "report.json"
    p = subprocess.run(
        [*run, sys.executable, str(HERE / "nonroot_child.py"), str(out)],
        capture_output=True, text=True, timeout=240, cwd="/",
    )  # fmt: skip
    assert p.returncode == 0 and out.exists(), p.stderr[-3000:]
    return json.loads(out.read_text())


def part(report: dict, name: str) -> dict:
    data = report[name]
    assert "exception" not in data, data.get("exception")
    return data


def test_runs_as_the_user_without_root(report):
    b = part(report, "basics")
    assert report["euid"] != 0 and b["root_mode"] is False and b["host_uid"] == b["uid"]
    r = b["simple"]
    assert (r["stdout"], r["exit_code"], r["error"]) == ("hi\n", 3, "exit"), r
    assert "oops" in r["stderr"]


def test_clean_environment(report):
    r = part(report, "basics")["env"]
    assert r["exit_code"] == 0, r
    env = dict(line.split("=", 1) for line in r["stdout"].splitlines() if "=" in line)
    assert env["HOME"] == "/workspace" and env["USER"] == "corral"
    assert env["PATH"].startswith("/run/corral/bin:/usr/local/sbin")
    assert "sk-nonroot" not in r["stdout"] and "CORRAL_HOME" not in env
    assert "PYTHONPATH" not in env


def test_workspace_is_writable_and_owned_by_the_user(report):
    b = part(report, "basics")
    r = b["workspace"]
    assert r["exit_code"] == 0, r
    assert r["stdout"].splitlines()[:2] == ["1000", "from the host"]
    assert b["out_txt"] == "data\n" and b["given_txt"] == "from the host\nmore\n"
    assert set(b["files"]) >= {"out.txt", "d", "d/e", "d/e/f", "given.txt"}
    for name, owner in b["files"].items():
        assert owner["uid"] == b["uid"], (name, owner)
    assert b["ws_owner"] == b["uid"]


def test_host_files_outside_the_binds_are_not_there(report):
    b = part(report, "basics")
    r = b["host_files"]
    out = r["stdout"]
    assert out.rstrip().endswith("end"), r
    assert "sk-nonroot" not in out and not re.search(r"^root:", out, re.M)
    assert b["outside"] in out and "No such file" in out


def test_process_limit_is_set_in_the_namespace(report):
    r = part(report, "basics")["nproc_limit"]
    hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]  # the child's too (setpriv keeps it)
    want = 256 if hard == resource.RLIM_INFINITY else min(256, hard)
    assert r["stdout"].split() == [str(want)] * 2, r


def test_memory_bomb_is_a_memory_budget_hit(report):
    lim = part(report, "limits")
    assert lim["cgroup"] is False
    r = lim["memory_bomb"]
    assert r["budget_exceeded"] == "memory", r


def test_memory_spread_over_processes_is_counted_together(report):
    r = part(report, "limits")["memory_spread"]
    assert r["budget_exceeded"] == "memory", r


def test_fork_bomb_ends_at_the_process_budget(report):
    lim = part(report, "limits")
    r = lim["fork_bomb"]
    assert r["budget_exceeded"] == "processes", r
    assert lim["after_fork_bomb"]["stdout"] == "alive\n" and lim["host_forks"]


def test_wall_time(report):
    r = part(report, "limits")["wall_time"]
    assert r["budget_exceeded"] == "wall_time" and r["exit_code"] == 137, r


def test_egress_proxy_through_the_relay(report):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    net = part(report, "network")
    r = net["allowed"]
    assert "hello from the host" in r["stdout"] and "rc=0" in r["stdout"], r
    assert ["127.0.0.1", net["port"], None] in net["asked_allowed"]
    # only the proxy: the host's loopback is not the sandbox's
    assert "hello from" not in net["direct"]["stdout"] and "rc=0" not in net["direct"]["stdout"]
    r = net["denied"]
    assert "hello from" not in r["stdout"] and "rc=22" in r["stdout"], r  # HTTP 403
    assert net["asked_denied"], "the proxy did not ask"
    assert net["status_kept"]["exit_code"] == 7  # the relay hands the exit status on
    # the static relay when a C compiler is here (built as this user, in its own cache)
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert net["relay"] == ("static" if compiler else "python"), net["relay"]
    r = net["relay_killed"]
    assert r["error"] == "crash" and "network relay" in r["error_message"], r
    assert "survived" not in r["stdout"]
    r = net["after_relay_killed"]
    assert r["restarted"] and r["stdout"] == "back\n", r


def test_monitor_decides_every_program_start(report):
    mon = part(report, "monitor")
    r = mon["run"]
    assert mon["supervisor_error"] is None
    assert "rc=126" in r["stdout"] and "done" in r["stdout"], r
    assert mon["pwned"] == []
    # corral's own launch steps (the ulimit wrapper, the session's shell) are not put to
    # the gate: the first program it sees is the script's first, as with root
    assert mon["gate_seen"][0] == ["ls", "/"]
    assert not any(a[:1] == ["/bin/bash"] for a in mon["gate_seen"])
    assert ["ls", "/"] in mon["gate_seen"] and ["sh", "-c", "exec touch p2"] in mon["gate_seen"]
    # every start the supervisor answered went through the gate, none unread
    assert [s[0] for s in mon["spawns"]] == mon["gate_seen"]
    assert sum(1 for s in mon["spawns"] if s[0] == ["/bin/true"]) == 8
    denied = [e for e in mon["events"] if e["type"] == "action.denied"]
    # (a shell or Python tries each PATH directory: one denial per attempt)
    assert len(denied) >= 3 and all(e["rule"] == "test.deny" for e in denied)
    assert all(e["argv"][0].endswith("touch") for e in denied)


def test_unreadable_process_is_denied_and_reported(report):
    mon = part(report, "monitor")
    r = mon["nondumpable"]
    assert "ran" not in r["stdout"] and r["exit_code"] != 0, r
    (ev,) = mon["nondumpable_events"]
    assert ev["rule"] == "monitor.unchecked" and "cannot be read" in ev["reason"]


def test_sessions_without_root(report):
    s = part(report, "sessions")
    assert s["set"]["exit_code"] == 0, s["set"]
    assert s["overrun"]["budget_exceeded"] == "wall_time", s["overrun"]
    # the state and an earlier call's job survive; the overrunning call's jobs do not
    assert s["after"]["stdout"] == "/tmp\n1\nold\n0\n", s["after"]
    assert not s["after"]["restarted"]
    assert s["py2"]["stdout"] == "42\n", s["py2"]
    assert s["forged"]["error"] == "crash", s["forged"]
    assert s["next"]["restarted"] and s["next"]["stdout"] == "fresh\n", s["next"]


def test_the_pool_option_without_root_falls_back_with_a_log_line(report):
    r = part(report, "pool")
    assert r["run"]["stdout"] == "pooled-or-not\n", r
    assert any("pool needs corral to run as root" in m for m in r["said"]), r["said"]
    assert r["pools"] == []  # (no pool made)


def test_workspace_file_walls_without_root(report):
    w = part(report, "walls")
    assert "sk-nonroot" not in w["read"]["stdout"] + w["read"]["stderr"]
    assert "Permission denied" in w["read"]["stderr"], w["read"]
    assert "Read-only file system" in w["write"]["stderr"], w["write"]
    assert w["other"]["stdout"] == "rules\nok\n" and w["agents"] == "rules\n"
