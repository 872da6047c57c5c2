"""GPUs stay the trainer's: which host device nodes are GPUs, what a native sandbox gets.

The native tiers build their own ``/dev`` (bwrap's ``--dev``: null, zero, full, random,
urandom, tty, a private devpts; gVisor's Sentry: its own virtual devices), so no host
device is visible unless a tier binds it. This module decides what is bound:

* :func:`host_devices` finds the host's GPU device nodes (character devices only):
  NVIDIA (``/dev/nvidia*``, ``/dev/nvidia-caps/*``, ``/dev/nvidia-caps-imex-channels/*``),
  DRM (``/dev/dri/card*``, ``/dev/dri/renderD*``), AMD's compute interface
  (``/dev/kfd``), compute accelerators (``/dev/accel/*``) and WSL's ``/dev/dxg``.
* :func:`check_binds` refuses a user's bind (``ro_binds``) that would show host devices
  whatever the policy says: ``/`` or anything under ``/dev``, ``/sys`` or ``/proc``
  (a GPU's PCI resources and driver files live there), and any device node, also when
  reached through a symlink. Devices are granted only by the policy's ``devices.gpu``.
* :func:`bwrap_args` / :func:`oci_devices` turn a grant into the tier's mounts.

A directory the user binds may still *contain* device nodes: bwrap binds it ``nodev``
(opening one fails with ``EACCES``) and gVisor does not pass host devices through its
gofer (they appear as ``0,0`` and fail with ``ENXIO``); those are the walls, not this
module.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from ..errors import CorralError

__all__ = [
    "DeviceBindRefused",
    "GpuDevice",
    "bwrap_args",
    "check_binds",
    "describe_grant",
    "gvisor_devices",
    "host_devices",
    "oci_devices",
]

#: the policy field that grants the GPU (named in every refusal)
POLICY_FIELD = "devices.gpu"

#: names directly under /dev that are GPU devices (prefix match) and their vendor
_TOP = (("nvidia", "nvidia"), ("kfd", "amd-kfd"), ("dxg", "dxg"))
#: directories under /dev whose character devices are all GPU devices
_DIRS = (
    ("nvidia-caps", "nvidia"),
    ("nvidia-caps-imex-channels", "nvidia"),
    ("dri", "drm"),
    ("accel", "accel"),
)
#: host trees no bind may reach into (or contain): devices, sysfs, procfs
_FORBIDDEN_TREES = ("/dev", "/sys", "/proc")


class DeviceBindRefused(CorralError, ValueError):
    """A requested bind would show host devices in the sandbox."""


@dataclass(frozen=True)
class GpuDevice:
    """One GPU device node of the host: where it is, where the sandbox sees it."""

    #: host path (``/dev/nvidia0``)
    path: str
    #: the path inside the sandbox (the same path under the sandbox's ``/dev``)
    dest: str
    vendor: str
    major: int
    minor: int
    mode: int

    def describe(self) -> str:
        return f"{self.dest} ({self.vendor} {self.major}:{self.minor})"


def _char_device(path: str, dest: str, vendor: str) -> GpuDevice | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISCHR(st.st_mode):  # symlinks (dri/by-path) and anything else: no
        return None
    return GpuDevice(path, dest, vendor, os.major(st.st_rdev), os.minor(st.st_rdev),
                     stat.S_IMODE(st.st_mode))  # fmt: skip


def host_devices(dev: str = "/dev") -> list[GpuDevice]:
    """The host's GPU device nodes under ``dev`` (sorted by path; none: an empty list)."""
    found: list[GpuDevice] = []
    try:
        names = sorted(os.listdir(dev))
    except OSError:
        return found
    for name in names:
        for prefix, vendor in _TOP:
            if name.startswith(prefix):
                d = _char_device(os.path.join(dev, name), f"/dev/{name}", vendor)
                if d is not None:
                    found.append(d)
        for sub, vendor in _DIRS:
            if name != sub:
                continue
            try:
                inner = sorted(os.listdir(os.path.join(dev, sub)))
            except OSError:
                continue
            for n in inner:
                d = _char_device(os.path.join(dev, sub, n), f"/dev/{sub}/{n}", vendor)
                if d is not None:
                    found.append(d)
    return found


def _under(path: str, tree: str) -> bool:
    return path == tree or path.startswith(tree + "/")


def _refusal(bind: str, why: str, gpu: bool) -> DeviceBindRefused:
    grant = (
        f"the policy grants the GPU ({POLICY_FIELD}: true): the tier binds the host's GPU "
        "devices itself"
        if gpu
        else f"GPU devices are granted only by the policy's {POLICY_FIELD}: true "
        f"(this policy has {POLICY_FIELD}: false)"
    )
    return DeviceBindRefused(
        f"ro_binds: {bind!r} {why}; the sandbox's /dev is the tier's own and host devices "
        f"are never bound by path: {grant}"
    )


def check_binds(binds: list[str], *, gpu: bool) -> None:
    """Refuse binds that would show host devices (:class:`DeviceBindRefused`, naming the
    policy field). Each bind is checked as written and as resolved (symlinks followed)."""
    for bind in binds:
        if "\0" in bind:
            raise DeviceBindRefused(f"ro_binds: {bind!r} contains a NUL character")
        lexical = os.path.normpath(os.path.abspath(bind))
        real = os.path.realpath(bind)
        for p in dict.fromkeys((lexical, real)):
            if p == "/":
                raise _refusal(bind, "is the host's whole filesystem (its /dev included)", gpu)
            for tree in _FORBIDDEN_TREES:
                if _under(p, tree):
                    shown = "" if p == lexical else f" (it resolves to {p})"
                    raise _refusal(bind, f"is under the host's {tree}{shown}", gpu)
        try:
            st = os.stat(real)
        except OSError:
            continue  # the tier reports a missing bind itself
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            kind = "character" if stat.S_ISCHR(st.st_mode) else "block"
            raise _refusal(bind, f"is a {kind} device node "
                           f"({os.major(st.st_rdev)}:{os.minor(st.st_rdev)})", gpu)  # fmt: skip


def bwrap_args(devices: list[GpuDevice]) -> list[str]:
    """bwrap's options binding ``devices`` (after its ``--dev /dev``)."""
    out: list[str] = []
    for d in devices:
        out += ["--dev-bind", d.path, d.dest]
    return out


def oci_devices(devices: list[GpuDevice]) -> list[dict[str, object]]:
    """The OCI spec's ``linux.devices`` entries for ``devices`` (gVisor's nvproxy)."""
    return [
        {"path": d.dest, "type": "c", "major": d.major, "minor": d.minor,
         "fileMode": d.mode, "uid": 0, "gid": 0}
        for d in devices
    ]  # fmt: skip


def gvisor_devices(devices: list[GpuDevice]) -> list[GpuDevice]:
    """What gVisor can pass (NVIDIA through ``runsc --nvproxy``); raises
    :class:`DeviceBindRefused` when the host's GPUs are of a kind gVisor cannot serve."""
    nvidia = [d for d in devices if d.vendor == "nvidia"]
    if devices and not nvidia:
        shown = ", ".join(d.dest for d in devices[:6])
        raise DeviceBindRefused(
            f"the policy grants the GPU ({POLICY_FIELD}: true) but gVisor reaches GPUs only "
            f"through nvproxy, which serves NVIDIA GPUs; this host has {shown}: use "
            "backend='bwrap' for this GPU, or set devices.gpu: false"
        )
    return nvidia


def describe_grant(gpu: bool, devices: list[GpuDevice] | None = None) -> dict[str, str]:
    """What a sandbox of each native tier gets under ``devices.gpu: gpu`` on this host."""
    devices = host_devices() if devices is None else devices
    if not gpu:
        return {t: f"no GPU device ({POLICY_FIELD}: false)" for t in ("bwrap", "gvisor")}
    if not devices:
        return {t: f"no GPU device (granted by {POLICY_FIELD}: true, none on this host)"
                for t in ("bwrap", "gvisor")}  # fmt: skip
    out = {"bwrap": ", ".join(d.dest for d in devices)}
    try:
        nv = gvisor_devices(devices)
        out["gvisor"] = "runsc --nvproxy: " + ", ".join(d.dest for d in nv)
    except DeviceBindRefused:
        out["gvisor"] = "refused: gVisor GPU access needs nvproxy, which serves NVIDIA GPUs only"
    return out

