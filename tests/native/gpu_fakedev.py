"""GPU device nodes made for the test, and what a sandbox sees of them.

Run as root in a private mount namespace (``unshare --mount --propagation private``, as
``tests/native/test_gpu_devices.py`` does): a tmpfs is mounted over ``/dev`` holding the
usual nodes plus GPU nodes with the real major/minor numbers (NVIDIA 195, DRM 226; the
dynamic majors of nvidia-uvm and kfd picked here), and a tmpfs over the directory given
with ``--bind-dir`` holding more of them and a symlink to ``/dev/nvidia0``. Nothing
outlives the namespace: the host's ``/dev`` is never written.

``python gpu_fakedev.py [--kinds nvidia,dri,kfd] [--bind-dir DIR] SCENARIO BACKEND``
prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import stat
import subprocess
import sys
import tempfile

BASIC = ("null", "zero", "full", "random", "urandom", "tty")
#: node -> (major, minor, kind)
GPU_NODES = {
    "nvidia0": (195, 0, "nvidia"),
    "nvidiactl": (195, 255, "nvidia"),
    "nvidia-uvm": (510, 0, "nvidia"),
    "dri/card0": (226, 0, "dri"),
    "dri/renderD128": (226, 128, "dri"),
    "kfd": (511, 0, "kfd"),
}
PATHS = [f"/dev/{n}" for n in GPU_NODES]
GPU_MAJORS = sorted({m for m, _, _ in GPU_NODES.values()})

PROBE = r"""
import json, os, stat
paths = json.loads(PATHS_JSON)
out = {"nodes": {}, "chars": [], "uid": os.getuid()}
for p in paths:
    info = {}
    try:
        st = os.stat(p)
        info["stat"] = [stat.S_ISCHR(st.st_mode), os.major(st.st_rdev), os.minor(st.st_rdev)]
    except OSError as e:
        info["stat"] = e.errno
    try:
        os.close(os.open(p, os.O_RDWR))
        info["open"] = 0
    except OSError as e:
        info["open"] = e.errno
    out["nodes"][p] = info
for top in ("/dev", "/workspace", "/tmp", "/run", "/etc", "/var"):
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(root, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                out["chars"].append([p, os.major(st.st_rdev), os.minor(st.st_rdev)])
print(json.dumps(out))
"""


def _mknod(path: str, major: int, minor: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    os.chmod(path, 0o666)


def fake_dev(kinds: set[str], bind_dir: str | None) -> None:
    basic = {n: os.stat(f"/dev/{n}").st_rdev for n in BASIC}
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "corral-fakedev", "/dev"],
                   check=True)  # fmt: skip
    for n, rdev in basic.items():
        _mknod(f"/dev/{n}", os.major(rdev), os.minor(rdev))
    os.mkdir("/dev/shm", 0o1777)
    os.mkdir("/dev/pts")
    os.symlink("/proc/self/fd", "/dev/fd")
    for name, (major, minor, kind) in GPU_NODES.items():
        if kind in kinds:
            _mknod(f"/dev/{name}", major, minor)
    if "dri" in kinds:  # udev's links: symlinks, never bound themselves
        os.makedirs("/dev/dri/by-path")
        os.symlink("../renderD128", "/dev/dri/by-path/pci-0000:00:02.0-render")
    if bind_dir is not None:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "corral-fakebind", bind_dir],
                       check=True)  # fmt: skip
        _mknod(os.path.join(bind_dir, "nvidia0"), 195, 0)
        _mknod(os.path.join(bind_dir, "renderD128"), 226, 128)
        os.symlink("/dev/nvidia0", os.path.join(bind_dir, "link"))
        os.symlink("/dev/dri", os.path.join(bind_dir, "dri-link"))


GRANT = "version: 1\nextends: [default]\ndevices: {gpu: true}\n"


def probe(backend: str, policy: str, bind_dir: str | None = None) -> dict:
    from corral import Sandbox

    ws = tempfile.mkdtemp(prefix="corral-gpu-ws-")
    os.symlink("/dev/nvidia0", os.path.join(ws, "gpu-link"))
    os.symlink("/dev/dri", os.path.join(ws, "dri-link"))
    paths = [*PATHS, "/workspace/gpu-link", "/workspace/dri-link/renderD128"]
    if bind_dir is not None:
        paths += [f"{bind_dir}/nvidia0", f"{bind_dir}/renderD128", f"{bind_dir}/link"]
    opts = {"ro_binds": [bind_dir]} if bind_dir is not None else {}
    events: list = []
    with Sandbox(backend=backend, policy=policy, workspace=ws, backend_options=opts) as sb:
        sb.events.bus.subscribe(events.append)
        r = sb.python(PROBE.replace("PATHS_JSON", repr(json.dumps(paths))))
        shell = sb.run("ls -la /dev /dev/dri 2>&1; cat /dev/nvidia0 /workspace/gpu-link")
    started = [e.data for e in events if e.type == "backend.started"]
    out = json.loads(r.stdout) if r.exit_code == 0 else {"error": r.stdout + r.stderr}
    out["shell"] = shell.stdout + shell.stderr
    out["started"] = started
    return out


def binds(backend: str, policy: str, bind_dir: str) -> dict:
    from corral import Sandbox

    tried = ["/dev", "/dev/nvidia0", "/dev/dri", "/dev/dri/by-path/pci-0000:00:02.0-render",
             f"{bind_dir}/link", f"{bind_dir}/dri-link", f"{bind_dir}/nvidia0", "/", "/sys"]
    got: dict[str, str] = {}
    for b in tried:
        try:
            with Sandbox(backend=backend, policy=policy, backend_options={"ro_binds": [b]}) as sb:
                got[b] = "ran: " + sb.run("ls /dev").stdout
        except Exception as e:
            got[b] = f"{type(e).__name__}: {e}"
    return got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kinds", default="nvidia,dri,kfd")
    ap.add_argument("--bind-dir")
    ap.add_argument("scenario", choices=["deny", "grant", "binds", "host", "doctor"])
    ap.add_argument("backend", nargs="?", default="bwrap")
    a = ap.parse_args()
    fake_dev(set(a.kinds.split(",")), a.bind_dir)
    from corral.native import devices

    out: dict = {"host": [d.describe() for d in devices.host_devices()]}
    try:
        if a.scenario == "deny":
            out.update(probe(a.backend, "default", a.bind_dir))
        elif a.scenario == "grant":
            out.update(probe(a.backend, GRANT))
        elif a.scenario == "binds":
            assert a.bind_dir
            out["binds"] = binds(a.backend, "default", a.bind_dir)
            out["binds_granted"] = binds(a.backend, GRANT, a.bind_dir)
        elif a.scenario == "doctor":
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(GRANT)
            for name, pol in (("default", "default"), ("grant", f.name)):
                p = subprocess.run([sys.executable, "-m", "corral", "doctor", "--quick",
                                    "--policy", pol], capture_output=True, text=True)  # fmt: skip
                out[name] = p.stdout + p.stderr
            with contextlib.suppress(OSError):
                os.unlink(f.name)
    except Exception as e:
        out["exception"] = f"{type(e).__name__}: {e}"
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
