"""Peak memory and time of the shell's built-ins on big inputs.

Each case runs in a fresh child process (a Sandbox with a file ``big`` of
short numeric lines), which prints its own peak RSS, so the figures are the
built-in's footprint, not this script's.

    PYTHONPATH=src python3 benchmarks/bench_bounded.py [MB]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")

CHILD = r"""
import json, random, resource, sys, time
import corral
script, nbytes = sys.argv[1], int(sys.argv[2])
sb = corral.Sandbox(budget=corral.Budget(wall_s=900, memory_mb=512, disk_mb=4096))
rnd = random.Random(1)
with open(sb.path / "big", "wb") as f:
    n = 0
    while n < nbytes:
        chunk = b"".join(b"%d\n" % rnd.randrange(10**8) for _ in range(10000))
        f.write(chunk)
        n += len(chunk)
del chunk
sb.run("true")
t = time.monotonic()
r = sb.run(script)
print(json.dumps({"s": round(time.monotonic() - t, 2), "exit": r.exit_code,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "err": r.stderr[-200:]}))
"""

CASES = [
    "sort big | tail -n 1",
    "sort -n big | tail -n 1",
    "sort -u big | wc -l",
    "tac big | tail -n 1",
    "cat big | tac | tail -n 1",
    "mapfile -t a < big; echo ${#a[@]}",
]


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    env = dict(os.environ, PYTHONPATH=SRC)
    print(f"input: {mb} MB of short lines")
    for case in CASES:
        p = subprocess.run(
            [sys.executable, "-c", CHILD, case, str(mb * 1_000_000)],
            capture_output=True,
            text=True,
            env=env,
        )
        res = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else p.stderr
        print(f"{case:40} {res}")


if __name__ == "__main__":
    main()
