"""The default pack's GPU-side mining rules on synthetic resource samples (the fields
:mod:`corral.native.nvml` adds when the policy grants a GPU)."""

from __future__ import annotations

import pytest

from corral import Sandbox
from corral.errors import SessionStopped
from corral.monitor.engine import Monitor

from .helpers import Feed, feed_all

MINERS = [
    ("t-rex", "t-rex -a kawpow -o stratum+tcp://rvn.pool.example:3333 -u RAbc.rig1"),
    ("lolMiner", "lolMiner --algo ETCHASH --pool etc.pool.example:1010 --user 0xabc"),
    ("nbminer", "nbminer -a kawpow -o stratum+tcp://pool.example:4444 -u w"),
    ("gminer", "gminer --algo kheavyhash --server pool.example:4444 --user w"),
    ("teamredminer", "teamredminer -a kawpow -o stratum+tcp://pool.example:4444 -u w"),
    ("ethminer", "ethminer -P stratum1+tcp://0xabc@pool.example:4444"),
    ("PhoenixMiner", "PhoenixMiner -pool ssl://pool.example:5555 -wal 0xabc"),
    ("xmrig", "xmrig --cuda -o pool.example:3333 -u 4abc"),
    ("xmrig-opencl", "xmrig --opencl --url=pool.example:14444"),
]
#: renamed miners: only the command line gives them away
RENAMED = [
    ("kworker", "/tmp/.x/kworker --cuda -o 203.0.113.9:3333 -u w --no-cpu"),
    ("python3", "python3 -c 'import os' stratum+tcp://pool.example:3333"),
    ("sshd", "./sshd -a ethash -o pool.example:4444"),
    ("svc", "svc --url 198.51.100.2:4444 --opencl"),
]
BENIGN = [
    ("python3", "python3 train.py --epochs 3 --batch-size 64"),
    ("torchrun", "torchrun --nproc_per_node 2 train.py --algo ppo --out runs:1"),
    ("nvidia-smi", "nvidia-smi -l 1"),
    ("python3", "python3 bench.py --cuda --port 8000"),
    ("ollama", "ollama serve"),
]


def _sample(f: Feed, procs: list[tuple[str, str]], **data: object):
    fields = {"gpu_pct": 95.0, "gpu_mem_mb": 1200.0, "gpu_procs": len(procs),
              "gpu_names": "\n".join(n for n, _ in procs),
              "gpu_cmdlines": "\n".join(c for _, c in procs),
              "in_call": True, "out_chars": 25, "interval_s": 1.0}  # fmt: skip
    fields.update(data)
    return f.sample(**fields)


@pytest.mark.parametrize("proc", MINERS + RENAMED, ids=lambda p: p[0])
def test_a_miner_on_the_gpu_is_critical(proc):
    m = Monitor(packs=["default"])
    f = Feed()
    alerts = feed_all(m, [_sample(f, [("python3", "python3 agent.py"), proc])])
    hit = [a for a in alerts if a.rule == "mining-gpu-miner-process"]
    assert hit and hit[0].severity == "critical" and hit[0].response == "kill"


@pytest.mark.parametrize("proc", BENIGN, ids=lambda p: p[0])
def test_ordinary_gpu_work_is_not_a_miner(proc):
    m = Monitor(packs=["default"])
    f = Feed()
    alerts = feed_all(m, [_sample(f, [proc])])
    assert not [a for a in alerts if a.rule.startswith("mining-")]


def test_gpu_busy_between_calls_asks():
    m = Monitor(packs=["default"])
    f = Feed()
    events = []
    for in_call in (True, True, False, False, False, False, False):
        f.clock.advance(1.0)
        events.append(_sample(f, [("python3", "python3 x.py")], in_call=in_call, out_chars=0))
    alerts = [a for a in feed_all(m, events) if a.rule == "mining-gpu-between-calls"]
    assert alerts and alerts[0].severity == "high" and alerts[0].response == "ask"
    # the same load while the call that started it runs is that call's work
    m, f, events = Monitor(packs=["default"]), Feed(), []
    for _ in range(10):
        f.clock.advance(1.0)
        events.append(_sample(f, [("python3", "python3 x.py")], in_call=True, out_chars=0))
    assert "mining-gpu-between-calls" not in {a.rule for a in feed_all(m, events)}


def test_gpu_busy_in_silence_for_a_minute():
    def run(seconds: int, out_chars: int, gpu_pct: float) -> set[str]:
        m, f, events = Monitor(packs=["default"]), Feed(), []
        for _ in range(seconds):
            f.clock.advance(1.0)
            events.append(_sample(f, [("python3", "python3 x.py")], out_chars=out_chars,
                                  gpu_pct=gpu_pct))  # fmt: skip
        return {a.rule for a in feed_all(m, events)}

    assert "mining-gpu-busy-quiet" in run(55, 0, 99.0)
    assert "mining-gpu-busy-quiet" not in run(40, 0, 99.0)  # not yet a minute's worth
    assert "mining-gpu-busy-quiet" not in run(55, 120, 99.0)  # it reports progress
    assert "mining-gpu-busy-quiet" not in run(55, 0, 20.0)  # hardly using the GPU


def test_a_sandbox_is_killed_when_its_samples_show_a_gpu_miner(tmp_path):
    """The alert's response reaches the sandbox: a sample with a miner on the GPU (as the
    bwrap tier emits it) kills the session, and later calls are refused."""
    with Sandbox(policy="default", workspace=tmp_path) as sb:
        assert sb.run("echo hi").stdout == "hi\n"
        sb.events.emit("resource.sample", data={
            "gpu_pct": 97.0, "gpu_mem_mb": 3000.0, "gpu_procs": 1, "gpu_names": "t-rex",
            "gpu_cmdlines": "t-rex -a kawpow -o stratum+tcp://p.example:3333",
            "in_call": False, "out_chars": 0, "interval_s": 1.0})  # fmt: skip
        assert "mining-gpu-miner-process" in {a.rule for a in sb.alerts}
        with pytest.raises(SessionStopped, match="killed by the monitor"):
            sb.run("echo again")
