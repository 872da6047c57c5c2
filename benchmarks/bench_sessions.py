"""Native sessions (issue 16): a warm sandbox per Sandbox against a sandbox per call.

    python benchmarks/bench_sessions.py [--n 30] [--base REV] [--tiers bwrap,gvisor]

In one run, for each native tier that works here:

* the raw sandbox: ``bwrap … true`` (a minimal command line: namespaces, /usr, /proc, /dev)
  and ``runsc --network=none do true``;
* the previous version (default: the merge base with ``main``, checked out in a
  temporary ``git worktree`` and run in a child process): the same measures as below;
* this tree's warm session: ``sb.run("true")`` once the session runs (and the backend's
  ``run("true")`` alone, without the Sandbox's policy, events and monitor);
* this tree's first call of a new sandbox: a new session (the backend already started;
  the previous session's teardown not timed) and ``true`` in it, each right after a raw
  sandbox (the median of the ratios of those pairs: on a shared host the load changes
  between the parts of a round; gVisor as root: the same from a template), the same with a spare
  session ready (bwrap ``spare=True``: a lost session's replacement), and a whole new
  ``Sandbox`` and its first ``run("true")`` (the backend's start included); the same
  with ``pool=2``: sandboxes made and closed one after another, each right after a raw
  sandbox (paired ratios, as above), each taking from the pool (steady state: the pool
  refilled before the next is made, as when an episode lasts longer than a start). What
  that first call holds: the backend's start (stage, curated /etc, proxy) and, bwrap, the
  hand-over of a pre-started session (a mount, a ``cd``); gVisor, the claim of a
  pre-started sandbox: ``runsc run --detach`` of the sandbox's own container in it (its
  spec, mounts, workspace) and its shell's boot, then ``true``. Also from a
  template (root).

Medians of ``--n`` calls (gVisor: a third), in milliseconds, each version in a child
process, the median of ``--rounds`` rounds taken in turn. Targets: warm ≤ 2 ms (bwrap) / ≤ 20 ms
(gVisor); first call ≤ 1.5× raw bwrap / ≤ 1.2× raw ``runsc do``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from corral import Sandbox  # noqa: E402
from corral.native._common import BackendUnavailable  # noqa: E402

WARM_TARGET = {"bwrap": 2.0, "gvisor": 20.0}
FIRST_FACTOR = {"bwrap": 1.5, "gvisor": 1.2}

_CHILD = """
import json, os, shutil, statistics, subprocess, sys, tempfile, time
from corral import Sandbox
tier, n, raw_argv = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
out = {}


def raw_once():
    t = time.perf_counter()
    subprocess.run(raw_argv, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return time.perf_counter() - t


def first_calls(backend, k):
    # (a new session's first call, each right after a raw sandbox: the same load for both)
    starts, raws = [], []
    for _ in range(k):
        backend._end_session()
        time.sleep(0.05)
        raws.append(raw_once())
        t = time.perf_counter()
        backend.run("true")
        starts.append(time.perf_counter() - t)
    ratio = statistics.median(s / r for s, r in zip(starts, raws))
    return statistics.median(starts) * 1000, statistics.median(raws) * 1000, ratio


with tempfile.TemporaryDirectory() as ws, Sandbox(workdir=ws, backend=tier) as sb:
    sb.run("true")
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = sb.run("true")
        times.append(time.perf_counter() - t)
        assert r.exit_code == 0, r
    out["warm"] = statistics.median(times) * 1000
    backend = sb._backend()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        backend.run("true")
        times.append(time.perf_counter() - t)
    out["warm_backend"] = statistics.median(times) * 1000
    if hasattr(backend, "_end_session"):
        out["first_session"], out["raw_paired"], out["ratio_paired"] = first_calls(
            backend, max(n // 3, 5)
        )
if tier == "gvisor" and os.geteuid() == 0:  # the same from a template (templates need root)
    from corral import templates

    home = os.environ["CORRAL_HOME"] = tempfile.mkdtemp(prefix="corral-bench-home-")
    try:
        templates.build("benchgv", "mkdir -p /usr/local/bin", backend=tier, timeout=300)
        with Sandbox(workdir=tempfile.mkdtemp(), backend=tier, template="benchgv") as sbt:
            sbt.run("true")
            out["first_template"], out["raw_template"], out["ratio_template"] = first_calls(
                sbt._backend(), max(n // 3, 5)
            )
    finally:
        os.environ.pop("CORRAL_HOME")
        shutil.rmtree(home, ignore_errors=True)
if tier == "bwrap":
    try:  # (a version without spare sessions refuses the option)
        sb3 = Sandbox(workdir=tempfile.mkdtemp(), backend=tier, backend_options={"spare": True})
    except ValueError:
        sb3 = None
    if sb3 is not None:
        with sb3:
            sb3.run("true")
            backend = sb3._backend()
            starts = []
            for _ in range(max(n // 3, 5)):
                end = time.monotonic() + 30
                while backend._spare is None and time.monotonic() < end:
                    time.sleep(0.01)
                backend._end_session()
                time.sleep(0.05)
                t = time.perf_counter()
                backend.run("true")
                starts.append(time.perf_counter() - t)
            out["first_spare"] = statistics.median(starts) * 1000
def pooled_firsts(k, **kw):
    # a new Sandbox taking a pre-started session (bwrap) / sandbox (gVisor: its container
    # made in it) and its first run('true'), each right after a raw sandbox (steady state:
    # the pool refilled first, as when an episode lasts longer than a start)
    from corral.native import pool

    def full() -> None:
        end = time.monotonic() + 60
        while time.monotonic() < end and not any(p["ready"] >= 2 for p in pool.stats()):
            time.sleep(0.01)
        time.sleep(0.05)

    firsts, raws = [], []
    taken = 0
    for _ in range(k):
        full()
        raws.append(raw_once())
        with tempfile.TemporaryDirectory() as ws2, Sandbox(
            workdir=ws2, backend=tier, backend_options={"pool": 2}, **kw
        ) as sb2:
            t = time.perf_counter()
            r = sb2.run("true")
            firsts.append(time.perf_counter() - t)
            assert r.exit_code == 0, r
            sess = sb2._backend()._sess
            taken += bool(getattr(sess, "taken", False) or getattr(sess, "pod", None))
    ratio = statistics.median(f / r for f, r in zip(firsts, raws))
    return statistics.median(firsts) * 1000, statistics.median(raws) * 1000, ratio, taken / k


try:  # (a version without the pool refuses the option; the first starts the pool)
    with Sandbox(workdir=tempfile.mkdtemp(), backend=tier,
                 backend_options={"pool": 2}) as sb4:  # fmt: skip
        sb4.run("true")
    pooled = True
except ValueError:
    pooled = False
if pooled:
    from corral.native import pool

    k = max(n, 10) if tier == "bwrap" else max(n, 5)
    out["first_pool"], out["raw_pool"], out["ratio_pool"], out["pool_taken"] = pooled_firsts(k)
    pool.shutdown()
    if os.geteuid() == 0:  # the same from a template (templates need root)
        from corral import templates

        home = os.environ["CORRAL_HOME"] = tempfile.mkdtemp(prefix="corral-bench-home-")
        try:
            templates.build("benchpool", "mkdir -p /usr/local/bin", backend=tier, timeout=300)
            with Sandbox(workdir=tempfile.mkdtemp(), backend=tier, template="benchpool",
                         backend_options={"pool": 2}) as sb4:  # fmt: skip
                sb4.run("true")
            got = pooled_firsts(max(k // 2, 5), template="benchpool")
            out["first_pool_template"], out["raw_pool_template"] = got[0], got[1]
            out["ratio_pool_template"] = got[2]
            pool.shutdown()
        finally:
            os.environ.pop("CORRAL_HOME")
            shutil.rmtree(home, ignore_errors=True)
firsts = []
for _ in range(max(n // 6, 3)):
    with tempfile.TemporaryDirectory() as ws2, Sandbox(workdir=ws2, backend=tier) as sb2:
        t = time.perf_counter()
        sb2.run("true")
        firsts.append(time.perf_counter() - t)
out["first_sandbox"] = statistics.median(firsts) * 1000
print(json.dumps(out))
"""


def median_ms(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def raw_bwrap() -> list[str]:
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr"]
    for d in ("bin", "lib", "lib64", "sbin"):
        p = Path("/") / d
        if p.is_symlink():
            argv += ["--symlink", os.readlink(p), str(p)]
    return [*argv, "--proc", "/proc", "--dev", "/dev", "/usr/bin/true"]


def raw(argv: list[str], n: int) -> float:
    def once() -> None:
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, capture_output=True)

    once()
    return median_ms(once, n)


def measure(tree: Path, tier: str, n: int, raw_argv: list[str]) -> dict[str, float]:
    """One version's warm call (the Sandbox's and the backend's alone), first call of a
    new session (the backend started; the previous session's teardown not timed; each
    right after a raw sandbox, ``raw_argv``) and of a whole new ``Sandbox``, in a child
    process running ``tree``'s code."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, tier, str(n), json.dumps(raw_argv)],
        check=True, capture_output=True, text=True, env=env, cwd=tree,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in rounds if k in r) for k in rounds[0]}


def works(tier: str) -> str | None:
    try:
        with tempfile.TemporaryDirectory() as ws, Sandbox(workdir=ws, backend=tier) as sb:
            sb.run("true")
        return None
    except BackendUnavailable as e:
        return str(e)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--base", help="the previous version (default: merge base with main)")
    ap.add_argument("--tiers", default="bwrap,gvisor")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, versions in turn")
    args = ap.parse_args()
    console = Console(width=130)
    base = args.base or _git("merge-base", "HEAD", "main")
    base_sha = _git("rev-parse", "--short", base)
    head_sha = _git("rev-parse", "--short", "HEAD")
    table = Table(title=f"native sessions: median ms of {args.n} calls (gVisor: n/3), median "
                        f"of {args.rounds} rounds (this tree {head_sha}, previous {base_sha})")
    for col in ("tier", "measure", "ms", "vs", "target"):
        table.add_column(col)
    with tempfile.TemporaryDirectory(prefix="corral-sessbase-") as tmp:
        old_tree = Path(tmp) / "base"
        _git("worktree", "add", "--detach", str(old_tree), base)
        try:
            for tier in args.tiers.split(","):
                why = works(tier)
                if why is not None:
                    table.add_row(tier, "unavailable", "-", "-", why[:60])
                    continue
                n = args.n if tier == "bwrap" else max(args.n // 3, 5)
                raws: list[float] = []
                olds: list[dict[str, float]] = []
                news: list[dict[str, float]] = []
                # rounds in turn, so a burst of load on the shared host hits both versions
                for i in range(args.rounds):
                    with console.status(f"{tier}: round {i + 1} of {args.rounds} …"):
                        if tier == "bwrap":
                            raw_argv = raw_bwrap()
                            raw_name = "raw bwrap … true"
                        else:
                            runsc = shutil.which("runsc") or "runsc"
                            raw_argv = [runsc, "--network=none", "do", "true"]
                            raw_name = "raw runsc do true"
                        raws.append(raw(raw_argv, n))
                        olds.append(measure(old_tree, tier, n, raw_argv))
                        news.append(measure(ROOT, tier, n, raw_argv))
                raw_ms = statistics.median(raws)
                old, new = medians(olds), medians(news)
                warm_ok = new["warm"] <= WARM_TARGET[tier]
                first_goal = FIRST_FACTOR[tier] * raw_ms
                table.add_row(tier, raw_name, f"{raw_ms:.1f}", "", "")
                table.add_row(tier, "warm sb.run('true') (previous)", f"{old['warm']:.2f}",
                              "", "")  # fmt: skip
                table.add_row(
                    tier, "warm session sb.run('true')", f"{new['warm']:.2f}",
                    f"×{old['warm'] / new['warm']:.2f} previous",
                    f"≤ {WARM_TARGET[tier]:g}: {'met' if warm_ok else 'missed'}",
                )  # fmt: skip
                table.add_row(tier, "  of which the backend's run('true')",
                              f"{new['warm_backend']:.2f}", "", "")  # fmt: skip
                table.add_row(tier, "  of which the backend's run('true') (previous)",
                              f"{old['warm_backend']:.2f}", "", "")  # fmt: skip
                # each first call against the raw sandbox run just before it (a load that
                # changes between a round's parts hits both alike): the median of those
                # ratios, and the medians of each (ms)
                goal = FIRST_FACTOR[tier]

                def paired(raw_just_before: float, ratio: float) -> str:
                    return f"×{ratio:.2f} raw (paired; raw {raw_just_before:.0f} ms)"

                if "first_session" in old:
                    table.add_row(tier, "first call: new session + true (previous)",
                                  f"{old['first_session']:.1f}",
                                  paired(old["raw_paired"], old["ratio_paired"]), "")  # fmt: skip
                table.add_row(
                    tier, "first call: new session + true", f"{new['first_session']:.1f}",
                    paired(new["raw_paired"], new["ratio_paired"]),
                    f"≤ ×{goal:g}: {'met' if new['ratio_paired'] <= goal else 'missed'}",
                )  # fmt: skip
                if "first_template" in new:
                    table.add_row(
                        tier, "  the same from a template", f"{new['first_template']:.1f}",
                        paired(new["raw_template"], new["ratio_template"]),
                        f"≤ ×{goal:g}: {'met' if new['ratio_template'] <= goal else 'missed'}",
                    )  # fmt: skip
                if "first_spare" in new:
                    table.add_row(
                        tier, "first call: new session, spare ready (spare=True)",
                        f"{new['first_spare']:.1f}", f"×{new['first_spare'] / raw_ms:.2f} raw",
                        f"≤ {first_goal:.1f}: "
                        f"{'met' if new['first_spare'] <= first_goal else 'missed'}",
                    )  # fmt: skip
                table.add_row(tier, "first call: new Sandbox + run('true') (previous)",
                              f"{old['first_sandbox']:.1f}",
                              f"×{old['first_sandbox'] / raw_ms:.2f} raw", "")  # fmt: skip
                table.add_row(tier, "first call: new Sandbox + run('true')",
                              f"{new['first_sandbox']:.1f}",
                              f"×{new['first_sandbox'] / raw_ms:.2f} raw", "")  # fmt: skip
                if "first_pool" in new:
                    ok = new["ratio_pool"] <= goal
                    table.add_row(
                        tier, "first call: new Sandbox from the pool + run('true')",
                        f"{new['first_pool']:.1f}",
                        paired(new["raw_pool"], new["ratio_pool"]) + ", "
                        f"×{new['first_sandbox'] / new['first_pool']:.1f} faster than cold",
                        f"≤ ×{goal:g}: {'met' if ok else 'missed'} "
                        f"({new['pool_taken']:.0%} pooled)",
                    )  # fmt: skip
                if "first_pool_template" in new:
                    ok = new["ratio_pool_template"] <= goal
                    table.add_row(
                        tier, "  the same from a template (pool)",
                        f"{new['first_pool_template']:.1f}",
                        paired(new["raw_pool_template"], new["ratio_pool_template"]),
                        f"≤ ×{goal:g}: {'met' if ok else 'missed'}",
                    )  # fmt: skip
        finally:
            _git("worktree", "remove", "--force", str(old_tree))
    console.print(table)


if __name__ == "__main__":
    main()
