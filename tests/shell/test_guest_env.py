"""A python3/node command of the corral shell gets the environment bash would give it:
the shell's exported variables and its own ``NAME=value`` prefixes (``X=42 python3 -c``,
common in agent one-liners, gave the Python guest nothing at all)."""

from __future__ import annotations

from corral import Sandbox


def test_guests_get_the_commands_environment():
    with Sandbox(policy="permissive") as sb:
        r = sb.run(
            "export Y=7; X=42 python3 -c 'import os; e=os.environ; print(e.get(\"X\"), "
            "e.get(\"Y\"), e[\"HOME\"])'; python3 -c 'import os; print(os.environ.get(\"X\"))'; "
            "X=5 node -e 'console.log(process.env.X, process.env.Y)'"
        )
        assert r.stdout == "42 7 /workspace\nNone\n5 7\n", r.stderr
        # sb.python() is not a command: its environment is the guest's own, as before
        assert sb.python("import os; print(os.environ.get('X'))").stdout == "None\n"
