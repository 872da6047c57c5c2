"""Real Linux programs under bubblewrap: a policy decides every program start, the
network goes through corral's egress proxy, the monitor refuses a fork bomb and budgets
stop a flood of processes.

    python examples/native.py            # needs bubblewrap (see `corral doctor`)
"""

import sys
import tempfile

from corral import Budget, Sandbox
from corral.native.doctor import available

# the built-in default policy, plus git (it would ask a person about git otherwise)
POLICY = {"version": 1, "extends": "default", "commands": {"allow": ["git *"]}}


def main() -> int:
    ok, why = available("bwrap")
    if not ok:
        print(f"bubblewrap is not usable here: {why}\nrun `corral doctor` for the fix")
        return 1
    with (
        tempfile.TemporaryDirectory() as repo,
        Sandbox(backend="bwrap", policy=POLICY, workspace=repo, budget=Budget(wall_s=20)) as sb,
    ):
        sb.files.write("/workspace/hello.py", "print('hello from a real CPython')\n")
        r = sb.run("python3 hello.py && uname -n && id -un")
        print(r.stdout, end="")

        r = sb.exec(["git", "--version"])  # one program, no shell in between
        print("exec:", r.stdout.strip(), "| exit", r.exit_code)

        # no policy entry allows the host: refused with the command, before it connects
        r = sb.run("curl -sS https://example.com")
        print("curl:", r.exit_code, r.stderr.strip()[:100])

        r = sb.run(":(){ :|:& };:")  # the textbook fork bomb: the monitor refuses it
        print("fork bomb:", r.error, "-", r.stderr.strip()[:80])
        r = sb.run("for i in $(seq 2000); do sleep 30 & done; wait", timeout=10)
        print("process flood:", r.error, "-", r.error_message)  # ends at its process budget
        r = sb.run("./xmrig -o stratum+tcp://pool.minexmr.com:4444")  # policy and monitor
        print("miner:", r.exit_code, "| alerts:", sorted({a.rule for a in sb.alerts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
