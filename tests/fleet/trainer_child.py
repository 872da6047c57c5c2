"""A trainer process for test_fleet.py: makes sandboxes, prints the pids that hold them
(slot processes and everything under them) as one JSON line, then waits to be killed.

python trainer_child.py BACKEND TTL [RAY_ADDRESS]
"""

from __future__ import annotations

import json
import os
import sys
import time

from corral.fleet import Fleet


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(x) for x in f.read().split()]
                out += kids
                todo += kids
        except OSError:
            continue
    return out


def main() -> None:
    backend, ttl = sys.argv[1], float(sys.argv[2])
    kw = {"local": True} if backend == "local" else {"address": sys.argv[3]}
    fleet = Fleet(ttl_s=ttl, idle_s=None, **kw)
    sandboxes = [fleet.sandbox(tags={"run": "doomed", "episode": i}) for i in range(2)]
    for sb in sandboxes:
        assert sb.run("echo up").stdout == "up\n"
    pids = []
    for sb in sandboxes:
        pids += [sb.pid, *descendants(sb.pid)]
    print(json.dumps({"pids": pids, "slots": [sb.pid for sb in sandboxes]}), flush=True)
    time.sleep(3600)


if __name__ == "__main__":
    main()
