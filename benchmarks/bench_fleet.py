"""Episodes through corral.fleet (Ray, the local pool) against plain Sandboxes in one
process, measured in the same run.

Each episode: a fresh sandbox (policy ``default``, monitor on, wasm tier) and 5 steps
(three ``echo`` scripts in the corral shell, one ``python`` call, one file write).

    PYTHONPATH=src python3 benchmarks/bench_fleet.py              # 1,000 episodes each
    PYTHONPATH=src python3 benchmarks/bench_fleet.py --episodes 100

Columns: episodes per second (wall, all episodes), p50/p99 latency of one step as the
episode sees it (``fleet.map`` runs the episode next to its sandbox; the ``handle`` rows
drive each step from this process, one RPC per step), and memory per live sandbox
(PSS of everything holding ``--live`` live sandboxes, divided by their number: for the
fleet that is the whole slot process and its shell worker).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rich.console import Console
from rich.table import Table

import corral
from corral.fleet import Fleet

STEPS = 5


def episode(sb: Any, i: int) -> list[float]:
    """Five steps; returns each one's latency in seconds."""
    lat = []
    for call in (
        lambda: sb.run(f"echo {i}"),
        lambda: sb.run("x=$((6*7)); echo $x"),
        lambda: sb.python(f"print({i} * 2)"),
        lambda: sb.files.write("/workspace/out.txt", str(i)),
        lambda: sb.run("cat out.txt"),
    ):
        t0 = time.perf_counter()
        call()
        lat.append(time.perf_counter() - t0)
    return lat


def pss_kb(pids: list[int]) -> int:
    """Proportional set size of these processes and all their descendants, in KiB."""
    seen: set[int] = set()
    todo = list(pids)
    total = 0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            continue
    return total


def summarize(name: str, n: int, wall: float, lats: list[float], mem_mb: float) -> dict:
    lats = sorted(lats)
    return {
        "name": name,
        "episodes": n,
        "eps": n / wall,
        "p50": statistics.median(lats) * 1000 if lats else float("nan"),
        "p99": lats[min(len(lats) - 1, int(len(lats) * 0.99))] * 1000 if lats else float("nan"),
        "mem": mem_mb,
        "wall": wall,
    }


def bench_baseline(n: int, live: int, workers: int) -> dict:
    """Plain Sandboxes in this process (``workers`` threads, one sandbox per episode)."""

    def one(i: int) -> list[float]:
        with corral.Sandbox(policy="default") as sb:
            return episode(sb, i)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(min(n, 4))))  # warm up (worker template, module cache)
        t0 = time.perf_counter()
        results = list(pool.map(one, range(n)))
        wall = time.perf_counter() - t0
    before = pss_kb([os.getpid()])
    sbs = [corral.Sandbox(policy="default") for _ in range(live)]
    for i, sb in enumerate(sbs):
        episode(sb, i)
    mem = (pss_kb([os.getpid()]) - before) / live / 1024
    for sb in sbs:
        sb.close()
    return summarize("Sandbox, one process", n, wall, [x for r in results for x in r], mem)


def bench_fleet(name: str, fleet: Fleet, n: int, live: int) -> list[dict]:
    fleet.map(episode, range(min(n, 8)), progress=False)  # warm up: slots started
    t0 = time.perf_counter()
    results = fleet.map(episode, range(n), tags=lambda i: {"run": "bench", "episode": i})
    wall = time.perf_counter() - t0
    bad = [r for r in results if isinstance(r, BaseException)]
    if bad:
        raise SystemExit(f"{name}: {len(bad)} episodes failed, first: {bad[0]!r}")
    rows = [summarize(f"{name}, fleet.map", n, wall, [x for r in results for x in r], 0.0)]
    # trainer-driven handles: every step is an RPC from here
    m = max(1, n // 4)
    width = min(live, m)

    def driven(i: int) -> list[float]:
        with fleet.sandbox(tags={"run": "bench-handle", "episode": i}) as sb:
            return episode(sb, i)

    with ThreadPoolExecutor(width) as pool:
        t0 = time.perf_counter()
        res = list(pool.map(driven, range(m)))
        wall = time.perf_counter() - t0
    # memory: `live` sandboxes held open at once, each after one episode's steps
    sbs = [fleet.sandbox(tags={"run": "bench-mem", "episode": i}) for i in range(live)]
    for i, sb in enumerate(sbs):
        episode(sb, i)
    mem = pss_kb([sb.pid for sb in sbs if sb.pid]) / live / 1024
    for sb in sbs:
        sb.close()
    rows[0]["mem"] = mem
    rows.append(summarize(f"{name}, handle (RPC per step)", m, wall,
                          [x for r in res for x in r], mem))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--episodes", type=int, default=1000)
    ap.add_argument("--live", type=int, default=4, help="sandboxes held open for memory")
    ap.add_argument("--skip-ray", action="store_true")
    args = ap.parse_args()
    n, live = args.episodes, args.live
    cores = os.cpu_count() or 1
    console = Console(width=130)
    console.print(f"{n} episodes of {STEPS} steps, {cores} cores, {live} live for memory")
    rows = [bench_baseline(n, live, workers=cores)]
    console.print(f"baseline done in {rows[0]['wall']:.1f} s")
    with Fleet(local=True, max_per_node=2 * cores) as fleet:
        rows += bench_fleet("local pool", fleet, n, live)
    console.print(f"local pool done in {rows[-2]['wall']:.1f} s")
    if not args.skip_ray:
        try:
            import ray  # noqa: F401
        except ImportError:
            console.print("[yellow]ray not installed: Ray rows skipped[/]")
        else:
            with Fleet(max_per_node=2 * cores) as fleet:
                rows += bench_fleet("Ray", fleet, n, live)
    table = Table(title=f"corral.fleet: {STEPS}-step episodes on {cores} cores")
    for col in ("runner", "episodes", "episodes/s", "step p50 ms", "step p99 ms",
                "MB per live sandbox", "vs baseline"):
        table.add_column(col, justify="left" if col == "runner" else "right")
    base = rows[0]["eps"]
    for r in rows:
        table.add_row(r["name"], str(r["episodes"]), f"{r['eps']:.1f}", f"{r['p50']:.1f}",
                      f"{r['p99']:.1f}", f"{r['mem']:.0f}", f"{r['eps'] / base:.2f}x")
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
