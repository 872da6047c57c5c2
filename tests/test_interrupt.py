"""``Sandbox.interrupt()`` stops the running shell command as Ctrl-C would (the worker's
CANCEL reaches the current run's event, not the previous run's)."""

from __future__ import annotations

import threading
import time

import corral


def test_interrupt_stops_the_running_command_and_the_shell_goes_on():
    with corral.Sandbox(budget=corral.Budget(wall_s=120)) as sb:
        for _ in range(2):  # the second run has a fresh cancel event: it must work too
            sb.run("true")
            timer = threading.Timer(1.0, sb.interrupt)
            timer.start()
            t0 = time.monotonic()
            r = sb.run("sleep 100; echo late")
            timer.join()
            assert r.exit_code == 130 and "late" not in r.stdout
            assert time.monotonic() - t0 < 60  # did not run to its end
        assert sb.run("echo next").stdout == "next\n"
