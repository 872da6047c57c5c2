"""GPUs stay the trainer's: no GPU device node in a native sandbox unless the policy's
``devices.gpu`` grants it; binds that would show one are refused naming that field.

The device nodes are real: ``gpu_fakedev.py`` makes them (real major/minor numbers) in a
tmpfs over ``/dev`` inside a private mount namespace, and runs the sandboxes there, so
corral finds them where it finds a real GPU's and the tiers are asked to hide or bind
them. Nothing is written to the host's ``/dev``.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from corral import Sandbox
from corral.budget import Budget
from corral.native import BwrapBackend, GvisorBackend
from corral.native.devices import DeviceBindRefused, check_binds, host_devices

from .conftest import need

HELPER = str(Path(__file__).with_name("gpu_fakedev.py"))
GPU_PATHS = ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/dri/card0",
             "/dev/dri/renderD128", "/dev/kfd"]  # fmt: skip
#: NVIDIA, DRM, and the dynamic majors the helper gives nvidia-uvm and kfd
GPU_MAJORS = {195, 226, 510, 511}

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="device nodes for the test need root and unshare(1) (a private mount namespace)",
)


@pytest.fixture(scope="module")
def bind_dir():
    d = tempfile.mkdtemp(prefix="corral-gpu-bind-", dir="/var/tmp")  # not under bwrap's /tmp
    yield d
    os.rmdir(d)  # the helper's tmpfs over it lived in its namespace only


@functools.cache
def fakedev(*args: str) -> dict:
    """The helper's JSON for ``args`` (one private namespace per call)."""
    p = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, HELPER, *args],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"helper failed ({p.returncode}): {p.stdout[-2000:]} {p.stderr[-2000:]}"
    return json.loads(lines[-1][len("RESULT "):])


def _check_hidden(out: dict) -> None:
    assert "exception" not in out, out.get("exception")
    assert "error" not in out, out.get("error")
    # the "host" (the namespace) really has the nodes, found as a GPU's would be
    assert {h.split(" ")[0] for h in out["host"]} == set(GPU_PATHS)
    for p in [*GPU_PATHS, "/workspace/gpu-link", "/workspace/dri-link/renderD128"]:
        node = out["nodes"][p]
        assert node["stat"] == errno.ENOENT, (p, node)
        assert node["open"] == errno.ENOENT, (p, node)
    on_dev = [c for c in out["chars"] if c[0].startswith("/dev/") and c[1] in GPU_MAJORS]
    assert on_dev == []
    assert "/dev/nvidia0: No such file or directory" in out["shell"]
    assert out["started"] and out["started"][0]["gpu"] is False


def test_bwrap_shows_no_gpu_device_by_default(bind_dir):
    need("bwrap")
    out = fakedev("--bind-dir", bind_dir, "deny", "bwrap")
    _check_hidden(out)
    # a bound directory that holds device nodes: bound nodev, so none can be opened
    for name in ("nvidia0", "renderD128"):
        node = out["nodes"][f"{bind_dir}/{name}"]
        assert node["open"] == errno.EACCES, node
    assert out["nodes"][f"{bind_dir}/link"]["open"] == errno.ENOENT  # -> the sandbox's /dev


def test_gvisor_shows_no_gpu_device_by_default(bind_dir):
    need("gvisor")
    out = fakedev("--bind-dir", bind_dir, "deny", "gvisor")
    _check_hidden(out)
    # the gofer passes no host device: a node in a bound directory is an empty 0:0
    for name in ("nvidia0", "renderD128"):
        node = out["nodes"][f"{bind_dir}/{name}"]
        assert node["stat"][1:] == [0, 0] and node["open"] != 0, node
    assert out["nodes"][f"{bind_dir}/link"]["open"] == errno.ENOENT


def test_binds_that_would_show_devices_are_refused(bind_dir):
    need("bwrap")
    out = fakedev("--bind-dir", bind_dir, "binds", "bwrap")
    for section, said in (("binds", "this policy has devices.gpu: false"),
                          ("binds_granted", "the tier binds the host's GPU devices itself")):
        got = out[section]
        assert set(got) >= {"/dev", "/dev/nvidia0", "/dev/dri", f"{bind_dir}/link", "/"}
        for bind, text in got.items():
            assert text.startswith("DeviceBindRefused: "), (bind, text)
            assert "devices.gpu" in text and said in text, text
    # symlinks are followed: the refusal says where they lead
    assert "resolves to /dev/nvidia0" in out["binds"][f"{bind_dir}/link"]
    assert "resolves to /dev/dri" in out["binds"][f"{bind_dir}/dri-link"]
    assert "character device node (195:0)" in out["binds"][f"{bind_dir}/nvidia0"]


def test_bwrap_binds_the_gpu_when_the_policy_grants_it():
    need("bwrap")
    out = fakedev("grant", "bwrap")
    assert "exception" not in out and "error" not in out, out
    host = {h.split(" ")[0]: h for h in out["host"]}
    for p in GPU_PATHS:
        node = out["nodes"][p]
        is_chr, major, minor = node["stat"]
        assert is_chr and f"{major}:{minor})" in host[p], (p, node, host[p])
        # the node itself, not a copy: the (absent) driver answers, not the mount
        assert node["open"] == errno.ENXIO, (p, node)
    assert out["nodes"]["/workspace/gpu-link"]["stat"][1:] == [195, 0]
    assert sorted(out["started"][0]["gpu"]) == sorted(GPU_PATHS)
    # udev's by-path links are not device nodes: not bound
    assert "by-path" not in out["shell"]


def test_gvisor_grant_of_a_gpu_that_is_not_nvidia_says_so():
    need("gvisor")
    out = fakedev("--kinds", "dri,kfd", "grant", "gvisor")
    msg = out.get("exception", "")
    assert msg.startswith("BackendUnavailable"), out
    assert "nvproxy" in msg and "NVIDIA" in msg and "/dev/dri/renderD128" in msg
    assert "backend='bwrap'" in msg


def test_gvisor_grant_of_nvidia_devices_uses_nvproxy():
    need("gvisor")
    out = fakedev("--kinds", "nvidia", "grant", "gvisor")
    # runsc --nvproxy asked the (fake) driver for its version: the grant reached runsc
    msg = out.get("exception", "").lower()
    assert "nvidia" in msg and "driver" in msg, out


def test_doctor_lists_host_gpus_and_what_a_sandbox_gets():
    out = fakedev("doctor")
    line = next(ln for ln in out["default"].splitlines() if "] gpu:" in ln)
    assert "/dev/nvidia0 (nvidia 195:0)" in line and "/dev/dri/renderD128 (drm 226:128)" in line
    assert "devices.gpu: false) gets: bwrap: no GPU device" in line
    line = next(ln for ln in out["grant"].splitlines() if "] gpu:" in ln)
    assert "bwrap: /dev/dri/card0, /dev/dri/renderD128, /dev/kfd" in line
    assert "gvisor: runsc --nvproxy: /dev/nvidia-uvm, /dev/nvidia0, /dev/nvidiactl" in line
    out = fakedev("--kinds", "dri", "doctor")
    line = next(ln for ln in out["grant"].splitlines() if "] gpu:" in ln)
    assert line.startswith("[-- ]") and "gVisor GPU access needs nvproxy" in line


# ---------------------------------------------------------------- without device nodes


@pytest.mark.parametrize("backend", [BwrapBackend, GvisorBackend])
@pytest.mark.parametrize("bind", ["/dev", "/dev/null", "/dev/../dev/shm", "/", "/sys/class",
                                  "/proc/driver"])  # fmt: skip
def test_backends_refuse_device_binds_themselves(tmp_path, backend, bind):
    with pytest.raises(DeviceBindRefused, match=r"devices\.gpu"):
        backend(tmp_path, Budget(), ro_binds=[bind])


def test_symlinked_bind_is_refused_by_where_it_leads(tmp_path):
    (tmp_path / "tty").symlink_to("/dev/tty")
    (tmp_path / "up").symlink_to("/")
    for name in ("tty", "up"):
        with pytest.raises(DeviceBindRefused):
            check_binds([str(tmp_path / name)], gpu=False)
    check_binds([str(tmp_path), "/usr/share"], gpu=False)  # ordinary directories pass


def test_sandbox_refuses_a_gpu_the_policy_does_not_grant(tmp_path):
    with pytest.raises(DeviceBindRefused, match=r"policy has devices\.gpu: false"):
        Sandbox(backend="bwrap", policy="default", workspace=tmp_path,
                backend_options={"gpu": True})  # fmt: skip
    with pytest.raises(TypeError, match="gpu must be true or false"):
        Sandbox(backend="bwrap", workspace=tmp_path, backend_options={"gpu": "yes"})
    with pytest.raises(DeviceBindRefused, match=r"'/dev/nvidia0' is under the host's /dev"):
        Sandbox(backend="gvisor", policy="default", workspace=tmp_path,
                backend_options={"ro_binds": ["/dev/nvidia0"]})  # fmt: skip


def test_host_devices_reads_only_character_devices(tmp_path):
    (tmp_path / "nvidia0").write_text("not a device")
    (tmp_path / "dri").mkdir()
    (tmp_path / "dri" / "renderD128").symlink_to("/dev/null")
    os.mknod(tmp_path / "kfd", 0o600 | 0o020000, os.makedev(511, 0))
    assert [d.describe() for d in host_devices(str(tmp_path))] == ["/dev/kfd (amd-kfd 511:0)"]


def test_doctor_policy_option_names_a_bad_policy():
    from typer.testing import CliRunner

    from corral.native.doctor import app

    r = CliRunner().invoke(app, ["--quick", "--policy", "no-such-policy-here"])
    assert r.exit_code == 2 and "--policy no-such-policy-here" in r.output
    assert "Traceback" not in r.output
    r = CliRunner().invoke(app, ["--quick", "--json", "--policy", "strict"])
    [gpu] = [c for c in json.loads(r.stdout) if c["name"] == "gpu"]
    assert gpu["optional"] and "policy 'strict' (devices.gpu: false)" in gpu["detail"]
