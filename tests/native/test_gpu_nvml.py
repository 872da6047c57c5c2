"""GPU samples: NVML on a real GPU (skipped, with the reason, where there is none), the
sampler's own bookkeeping and GPU memory budget, and the ``in_call`` field."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from types import SimpleNamespace

import pytest

from corral import Sandbox
from corral.native import nvml
from corral.native._common import Emitter
from corral.native.monitor import ResourceSampler

from .conftest import Events, need

GRANT = "version: 1\nextends: [default]\ndevices: {gpu: true}\n"

CUDA_HOLD = r"""
import ctypes, sys, time
try:
    cu = ctypes.CDLL("libcuda.so.1")
except OSError as e:
    print("NO-LIBCUDA", e); sys.exit(3)
assert cu.cuInit(0) == 0, "cuInit"
dev = ctypes.c_int()
assert cu.cuDeviceGet(ctypes.byref(dev), 0) == 0
ctx = ctypes.c_void_p()
assert cu.cuCtxCreate_v2(ctypes.byref(ctx), 0, dev) == 0
ptr = ctypes.c_uint64()
assert cu.cuMemAlloc_v2(ctypes.byref(ptr), MB << 20) == 0
print("allocated", flush=True)
time.sleep(5)
"""


def _need_nvml() -> None:
    ok, why = nvml.status()
    if not ok:
        pytest.skip(why)  # "no NVIDIA GPU/driver on this machine (...)" here


def _gpu_run(tmp_path, policy: str, mb: int):
    seen: list = []
    with Sandbox(backend="bwrap", policy=policy, workspace=tmp_path,
                 backend_options={"sample_interval": 0.5}) as sb:  # fmt: skip
        sb.events.bus.subscribe(seen.append)
        (tmp_path / "hold.py").write_text(CUDA_HOLD.replace("MB", str(mb)))
        r = sb.run("python3 hold.py")
    if "NO-LIBCUDA" in r.stdout:
        pytest.skip(f"the NVIDIA driver's libcuda is not under /usr here: {r.stdout}")
    return r, seen


def test_nvml_samples_a_sandbox_on_a_real_gpu(tmp_path):
    need("bwrap")
    _need_nvml()
    r, seen = _gpu_run(tmp_path, GRANT, 256)
    assert r.exit_code == 0, r.stdout + r.stderr
    gpu = [e.data for e in seen if e.type == "resource.sample" and e.data.get("gpu_procs")]
    assert gpu, "no sample saw the sandbox's process on the GPU"
    assert max(d["gpu_mem_mb"] for d in gpu) >= 256
    assert any("python3" in d["gpu_names"] for d in gpu)
    assert any("hold.py" in d["gpu_cmdlines"] for d in gpu)


def test_nvml_gpu_memory_budget_kills_the_holder(tmp_path):
    need("bwrap")
    _need_nvml()
    policy = GRANT + "budgets: {gpu_memory_mb: 64}\n"
    r, seen = _gpu_run(tmp_path, policy, 512)
    over = [e.data for e in seen if e.type == "budget.exceeded"
            and e.data.get("budget") == "gpu_memory_mb"]  # fmt: skip
    assert over and over[0]["killed"], seen
    assert r.exit_code != 0


# ------------------------------------------------ the sampler's bookkeeping (no GPU needed)


class _NvmlDouble:
    """What NVML answers about one GPU: the running processes and their utilisation
    (a hardware double: everything corral does with the answers is real)."""

    def __init__(self, procs: dict[int, int], util: dict[int, int]) -> None:
        self.procs, self.util, self.calls, self.shutdowns = procs, util, [], 0

    def nvmlDeviceGetCount(self) -> int:
        return 1

    def nvmlDeviceGetHandleByIndex(self, i: int) -> str:
        return f"gpu{i}"

    def nvmlDeviceGetComputeRunningProcesses(self, h: str) -> list:
        return [SimpleNamespace(pid=p, usedGpuMemory=b) for p, b in self.procs.items()]

    def nvmlDeviceGetGraphicsRunningProcesses(self, h: str) -> list:
        # the same process in both lists, memory not reported (None): counted once
        return [SimpleNamespace(pid=p, usedGpuMemory=None) for p in self.procs]

    def nvmlDeviceGetProcessUtilization(self, h: str, since: int) -> list:
        self.calls.append(since)
        return [SimpleNamespace(pid=p, timeStamp=since + 10, smUtil=u, memUtil=0)
                for p, u in self.util.items()]  # fmt: skip

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1


def test_sampler_counts_only_the_sandboxs_processes():
    mine, other = os.getpid(), 1
    nv = _NvmlDouble({mine: 300 << 20, other: 5000 << 20}, {mine: 40, other: 99})
    s = nvml.GpuSampler(nv)
    got = s.sample([mine])
    assert got["gpu_procs"] == 1 and got["gpu_pids"] == [mine]
    assert got["gpu_mem_mb"] == 300.0 and got["gpu_pct"] == 40.0
    assert "python" in got["gpu_names"] and "\n" not in got["gpu_names"]
    s.sample([mine])
    assert nv.calls == [0, 10]  # each sample asks only for utilisation since the last
    assert s.sample([])["gpu_procs"] == 0
    s.close()
    s.close()
    assert nv.shutdowns == 1


def test_gpu_memory_budget_kills_the_processes_that_hold_it():
    proc = subprocess.Popen(["sleep", "60"])
    try:
        nv = _NvmlDouble({proc.pid: 100 << 20}, {proc.pid: 90})
        events = Events()
        sampler = ResourceSampler(Emitter(events, None), proc.pid, interval=0.1,
                                  gpu=nvml.GpuSampler(nv), gpu_memory_mb=10)  # fmt: skip
        sampler.start()
        try:
            assert proc.wait(timeout=20) == -signal.SIGKILL
        finally:
            sampler.stop()
        over = [f["data"] for t, f in events.items if t == "budget.exceeded"]
        assert over and over[0]["budget"] == "gpu_memory_mb" and over[0]["killed"] == [proc.pid]
        assert "over the budget of 10 MB" in over[0]["message"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_samples_say_whether_a_call_runs(tmp_path):
    need("bwrap")
    seen: list = []
    with Sandbox(backend="bwrap", policy="default", workspace=tmp_path,
                 backend_options={"sample_interval": 0.2}) as sb:  # fmt: skip
        sb.events.bus.subscribe(seen.append)
        assert sb.run("sleep 1.2; echo done").stdout == "done\n"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            idle = [e for e in seen if e.type == "resource.sample"
                    and e.data.get("in_call") is False]  # fmt: skip
            if len(idle) >= 2:
                break
            time.sleep(0.2)
    calls = [e.data["in_call"] for e in seen if e.type == "resource.sample"]
    assert True in calls and calls.count(False) >= 2, calls
    assert all("gpu_pct" not in e.data for e in seen if e.type == "resource.sample")
