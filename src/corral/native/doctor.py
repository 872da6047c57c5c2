"""``corral doctor``: what the native tiers need, and exactly what is missing.

:func:`doctor` returns one :class:`Check` per requirement; :func:`require` is what the
backends call before starting: it raises :class:`BackendUnavailable` with the fix instead
of letting a sandbox run unconfined.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ._common import BackendUnavailable, CgroupSet, new_id

__all__ = ["Check", "doctor", "require"]  # and ``app`` (loaded on demand)


@dataclass(frozen=True)
class Check:
    """One requirement: ``ok``, what was found, and the fix when it is not met."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None
    needed_by: tuple[str, ...] = ()
    optional: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def _run(argv: list[str], timeout: float = 20) -> tuple[int, str]:
    try:
        p = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        return p.returncode, (p.stdout + p.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e:
        return 127, str(e)


def _cache_ok(check: Callable[[], Check]) -> Callable[[], Check]:
    """Remember a check that passed for the life of the process. A failure is made again
    next time: it may have been transient (a timeout under load) or made in a changed
    environment, and must not keep a working backend unavailable."""
    passed: list[Check] = []

    @functools.wraps(check)
    def cached() -> Check:
        if passed:
            return passed[0]
        result = check()
        if result.ok:
            passed.append(result)
        return result

    cached.forget = passed.clear  # type: ignore[attr-defined]
    return cached


#: bwrap found working: (path, inode, mtime) -> the check (run once per binary)
_BWRAP_OK: dict[tuple[str, int, int], Check] = {}


def check_bwrap() -> Check:
    path = shutil.which("bwrap")
    if not path:
        return Check(
            "bwrap",
            False,
            "bubblewrap (bwrap) is not installed",
            "apt-get install bubblewrap",
            ("bwrap",),
        )
    try:
        st = os.stat(path)
        key: tuple[str, int, int] | None = (path, st.st_ino, st.st_mtime_ns)
    except OSError:
        key = None
    hit = _BWRAP_OK.get(key) if key is not None else None
    if hit is not None:
        return hit
    rc, text = _run([path, "--version"])
    check = Check("bwrap", rc == 0, text or path, None if rc == 0 else "reinstall bubblewrap",
                  ("bwrap",))  # fmt: skip
    if check.ok and key is not None:
        _BWRAP_OK[key] = check
    return check


@_cache_ok
def check_userns() -> Check:
    """Can an unprivileged user namespace (and a network namespace in it) be made?"""
    fix = (
        "enable user namespaces: `sysctl -w user.max_user_namespaces=15000` "
        "and, on Debian/Ubuntu kernels, `sysctl -w kernel.unprivileged_userns_clone=1` "
        "(Ubuntu 24.04+: `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`)"
    )
    try:
        maxns = int(Path("/proc/sys/user/max_user_namespaces").read_text())
    except (OSError, ValueError):
        maxns = -1
    if maxns == 0:
        return Check("user namespaces", False, "user.max_user_namespaces is 0", fix, ("bwrap",))
    with contextlib.suppress(OSError, ValueError):
        if Path("/proc/sys/kernel/unprivileged_userns_clone").read_text().strip() == "0":
            return Check(
                "user namespaces",
                False,
                "kernel.unprivileged_userns_clone is 0",
                fix,
                ("bwrap",),
            )
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return Check("user namespaces", False, "cannot test without bwrap",
                     "apt-get install bubblewrap", ("bwrap",))  # fmt: skip
    argv = [bwrap, "--unshare-user", "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/",
            "--proc", "/proc", "--dev", "/dev", "true"]  # fmt: skip
    preexec = None
    if os.geteuid() == 0:

        def preexec() -> None:  # as the sandbox would: an unprivileged uid
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)

    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=20, preexec_fn=preexec,
                           stdin=subprocess.DEVNULL, cwd="/")  # fmt: skip
        rc, text = p.returncode, (p.stdout + p.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e:
        rc, text = 1, str(e)
    if rc != 0:
        return Check("user namespaces", False, f"bwrap could not create namespaces: {text}",
                     fix, ("bwrap",))  # fmt: skip
    return Check("user namespaces", True, f"available (max {maxns})", None, ("bwrap",))


def check_seccomp() -> Check:
    from .. import syscall_filters as filters

    try:
        name = filters.binding_name()
        filters.deny_filter_bpf()
    except Exception as e:
        return Check(
            "seccomp",
            False,
            f"cannot build a seccomp filter: {e}",
            "apt-get install libseccomp2 python3-seccomp (or pip install pyseccomp)",
            ("bwrap",),
        )
    return Check("seccomp", True, f"libseccomp via {name}", None, ("bwrap",))


@_cache_ok
def check_seccomp_notify() -> Check:
    """Is SECCOMP_RET_USER_NOTIF with a listener usable (kernel >= 5.0, x86_64/aarch64)?"""
    from .. import syscall_filters as filters

    try:
        filters.arch_numbers()
    except filters.SeccompUnavailable as e:
        return Check("process monitoring", False, str(e), None, ("bwrap",), optional=True)
    code = (
        "import os,sys\n"
        "from corral import syscall_filters as filters\n"
        "fd = filters.install_listener(filters.notify_filter_bpf(connect=False))\n"
        "print(fd)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    try:
        p = subprocess.run([_python(), "-c", code], capture_output=True, text=True, timeout=30,
                           env=env, stdin=subprocess.DEVNULL)  # fmt: skip
        ok = p.returncode == 0
        text = (p.stdout + p.stderr).strip().splitlines()[-1:] or [""]
    except (OSError, subprocess.SubprocessError) as e:
        ok, text = False, [str(e)]
    if not ok:
        return Check(
            "process monitoring",
            False,
            f"seccomp user notification unavailable: {text[0]}",
            "needs Linux >= 5.0 with CONFIG_SECCOMP_FILTER; or run with monitor=False",
            ("bwrap",),
        )
    return Check("process monitoring", True, "seccomp user notification works", None, ("bwrap",))


def check_file_events() -> Check:
    """What the programs of a bwrap sandbox read and write, as events for the monitor's
    file rules (fanotify, root only); gVisor's happen inside its own kernel."""
    from .filewatch import probe

    ok, why = probe()
    detail = (
        "bwrap: fanotify reports what programs read and write (workspace, /tmp, /dev/shm)"
        if ok
        else f"bwrap: {why}: the file rules see only the commands' text"
    )
    return Check(
        "file events",
        ok,
        detail + "; gvisor: from the Sentry's trace (with the monitor)",
        None if ok else "run corral as root for file events on the bwrap tier",
        ("bwrap",),
        optional=True,
    )


def _python() -> str:
    import sys

    return sys.executable


def check_cgroups() -> Check:
    cg = CgroupSet.create(f"doctor-{new_id()}")
    if cg is None:
        return Check(
            "cgroups",
            False,
            "no writable memory+pids cgroup: memory is limited per process (RLIMIT_AS) and "
            "process count per user (RLIMIT_NPROC)",
            "run as root, or delegate a cgroup v2 subtree to this user "
            "(systemd-run --user --scope -p Delegate=yes ...)",
            ("bwrap",),
            optional=True,
        )
    cg.destroy()
    return Check("cgroups", True, f"cgroup v{cg.version} writable ({', '.join(cg.dirs)})", None,
                 ("bwrap",), optional=True)  # fmt: skip


def check_relay() -> Check:
    """Which in-sandbox network relay the sandboxes get (relaybin): the static program,
    or the Python fallback (a Python start per sandbox) and why."""
    from .relaybin import relay

    r = relay()
    needed = ("gvisor", "bwrap (not root)")
    if r.kind == "static":
        return Check("network relay", True, r.describe(), None, needed, optional=True)
    ok = os.access("/usr/bin/python3", os.X_OK)
    detail = r.describe() + ("" if ok else "; and /usr/bin/python3 is missing")
    fix = "apt-get install gcc libc6-dev (a static relay: no Python start per sandbox)"
    if not ok:
        fix += ", or apt-get install python3-minimal"
    return Check("network relay", ok, detail, fix, needed, optional=True)


#: the oldest gVisor release corral runs on: Debian 12's runsc (release 20221219) has a
#: statx that refuses AT_NO_AUTOMOUNT (ls/stat/du fail) and sometimes loses a run's output
RUNSC_MIN_RELEASE = 20230101
RUNSC_UPGRADE = (
    "sh scripts/install-system-packages.sh (from a corral checkout; on Debian 12 it installs "
    "runsc from bookworm-backports), or a gVisor release of 2023 or later: "
    "https://gvisor.dev/docs/user_guide/install/"
)


def runsc_release(version_text: str) -> int | None:
    """The release date (YYYYMMDD) in ``runsc --version`` output, e.g. ``runsc version
    0.0~20240729.0`` (Debian) or ``runsc version release-20240729.0`` (gVisor's builds)."""
    first = version_text.strip().splitlines()[0] if version_text.strip() else ""
    for m in re.finditer(r"(?<!\d)(20\d\d)(\d\d)(\d\d)(?!\d)", first):
        if 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
            return int(m.group(0))
    return None


#: runsc found usable: (path, inode, size, mtime) -> the check (``runsc --version`` is a Go
#: program's start, ~30 ms of every gVisor sandbox's start when asked each time)
_RUNSC_OK: dict[tuple[str, int, int, int], Check] = {}


def check_runsc() -> Check:
    path = shutil.which("runsc")
    if not path:
        return Check("runsc", False, "gVisor (runsc) is not installed", "apt-get install runsc",
                     ("gvisor",))  # fmt: skip
    try:
        st = os.stat(path)
        key: tuple[str, int, int, int] | None = (path, st.st_ino, st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    hit = _RUNSC_OK.get(key) if key is not None else None
    if hit is not None:
        return hit
    check = _check_runsc(path)
    if check.ok and key is not None:
        _RUNSC_OK[key] = check
    return check


def _check_runsc(path: str) -> Check:
    rc, text = _run([path, "--version"])
    first = text.splitlines()[0] if text else path
    if rc != 0:
        return Check("runsc", False, first, "reinstall runsc", ("gvisor",))
    release = runsc_release(text)
    if release is not None and release < RUNSC_MIN_RELEASE:
        return Check(
            "runsc",
            False,
            f"{first}: too old (release {release}): its statx refuses AT_NO_AUTOMOUNT, so "
            '`ls`, `stat` and `du` fail with "Invalid argument" inside gVisor, and it can '
            "lose a run's output",
            RUNSC_UPGRADE,
            ("gvisor",),
        )
    if release is None:
        first += " (release date unknown)"
    return Check("runsc", True, first, None, ("gvisor",))


@_cache_ok
def check_runsc_works() -> Check:
    """Does a gVisor sandbox start (on an automatic platform)? Not tried with a runsc that
    is missing or too old (:func:`check_runsc` says why)."""
    runsc = check_runsc()
    if not runsc.ok:
        return Check("gvisor sandbox", False, "not tried: runsc is missing or unusable (above)",
                     runsc.fix, ("gvisor",))  # fmt: skip
    from .gvisor import probe

    ok, text = probe()
    if ok:
        return Check("gvisor sandbox", True, text, None, ("gvisor",))
    fix = "corral runs runsc as root: run as root (the detail is runsc's own error)"
    return Check("gvisor sandbox", False, text, fix, ("gvisor",))


def check_landlock() -> Check:
    """The shell worker's file and socket walls (the wasm tier works without them,
    with the path resolver and seccomp as its only walls)."""
    from .. import landlock

    abi, why = landlock.status()
    return Check(
        "landlock",
        abi > 0,
        why,
        None
        if abi > 0
        else "use Linux 5.13+ (6.7+ for TCP rules) with Landlock enabled (lsm=...,landlock); "
        "until then the corral shell runs without its kernel file walls",
        ("wasm",),
        optional=True,
    )


def check_templates() -> Check:
    """Templates (``corral template``): overlayfs over idmapped layers, as root."""
    from ..templates.mounts import probe

    ok, text = probe()
    return Check("templates", ok, text, None if ok else "run corral as root on Linux >= 5.19",
                 ("bwrap", "gvisor"), optional=True)  # fmt: skip


def check_session_pool() -> Check:
    """The warm session pool (``backend_options={"pool": N}``): bwrap as root only."""
    ok = os.geteuid() == 0
    text = ("bwrap: pre-started sessions take a sandbox's workspace by a mount; "
            "not gVisor (its gofer holds the workspace open from the start)") if ok else (
            "not root: the pool option is ignored (sessions start one by one)")  # fmt: skip
    return Check("session pool", ok, text, None if ok else "run corral as root", ("bwrap",),
                 optional=True)  # fmt: skip


def check_gvisor_checkpoint() -> Check:
    """gVisor checkpoint/restore, tried and timed (corral starts from templates instead)."""
    from ..templates.checkpoint import probe_checkpoint

    ok, text = probe_checkpoint()
    return Check("gvisor checkpoint/restore", ok, text,
                 None if ok else "sandboxes start from templates instead", ("gvisor",),
                 optional=True)  # fmt: skip


def check_gpu(policy: object = None, label: str = "no policy") -> Check:
    """The host's GPU device nodes, what a sandbox of each tier gets under ``policy``
    (its ``devices.gpu``), and whether NVML can sample their use."""
    from . import devices
    from .nvml import status

    found = devices.host_devices()
    gpu = bool(getattr(policy, "gpu", False))
    grant = devices.describe_grant(gpu, found)
    host = ", ".join(d.describe() for d in found) or "no GPU device"
    nvml = status()[1] if found else "NVML not tried (no GPU device)"
    refused = gpu and grant["gvisor"].startswith("refused")
    return Check(
        "gpu",
        not refused,
        f"host: {host}; a sandbox under {label} ({devices.POLICY_FIELD}: "
        f"{str(gpu).lower()}) gets: bwrap: {grant['bwrap']}; gvisor: {grant['gvisor']}; {nvml}",
        "use the bwrap backend for a GPU that is not NVIDIA's" if refused else None,
        ("bwrap", "gvisor"),
        optional=True,
    )


def doctor(*, deep: bool = True, policy: object = None, policy_label: str = "no policy"
           ) -> list[Check]:  # fmt: skip
    """Every check; ``deep`` also starts a tiny sandbox of each kind; ``policy``: the one
    whose grants (GPU devices) are shown."""
    checks = [
        Check(
            "platform",
            platform.system() == "Linux",
            f"{platform.system()} {platform.release()} {platform.machine()}",
            None if platform.system() == "Linux" else "the native tiers need Linux",
            ("bwrap", "gvisor"),
        ),
        check_landlock(),
        check_bwrap(),
        check_userns(),
        check_seccomp(),
        check_seccomp_notify(),
        check_file_events(),
        check_cgroups(),
        check_relay(),
        check_runsc(),
        check_gpu(policy, policy_label),
        check_session_pool(),
    ]
    if deep:
        checks.append(check_runsc_works())
        checks.append(check_templates())
        if checks[-2].ok:
            checks.append(check_gvisor_checkpoint())
    return checks


def require(backend: str, *, monitor: bool = True) -> None:
    """Raise :class:`BackendUnavailable` unless ``backend`` can run confined here."""
    if platform.system() != "Linux":
        raise BackendUnavailable(f"the {backend} backend needs Linux")
    if backend == "bwrap":
        needed = [check_bwrap, check_userns, check_seccomp]
        if monitor:
            needed.append(check_seccomp_notify)
    elif backend == "gvisor":
        needed = [check_runsc, check_runsc_works]
    else:
        raise ValueError(f"unknown backend {backend!r}")
    for fn in needed:
        c = fn()
        if not c.ok:
            fix = f"; fix: {c.fix}" if c.fix else ""
            raise BackendUnavailable(f"{backend} backend unavailable: {c.detail}{fix}")


def available(backend: str, *, monitor: bool = True) -> tuple[bool, str]:
    try:
        require(backend, monitor=monitor)
    except BackendUnavailable as e:
        return False, str(e)
    return True, "ok"


def __getattr__(name: str) -> Any:
    """``app``, the ``corral doctor`` command, is loaded (with typer) only when asked for."""
    if name == "app":
        from .doctor_cli import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
