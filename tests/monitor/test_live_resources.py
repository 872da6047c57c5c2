"""Resource samples while a call runs, and the rule on CPU burned with no output, in live
sandboxes: the shell worker, both guests, bwrap and gVisor."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import corral
from corral.events import Event, EventBus
from corral.native.doctor import available
from corral.wasm.samples import CallSampler

QUIET = "resource-cpu-quiet"
WALL = 20.0  # the rule wants 8 busy, quiet seconds within 10; room for a loaded machine
# The busy cases end when the alert comes: its severity's response is a kill here (the
# monitor's own path), so a case costs ~9 s, not the 20 s wall. The quiet cases keep the
# permissive responses and run to their end.
# the resource rules' alerts: the learned scorer (also medium) reads `while True: pass`
# as a CPU hog and would end the call before it is sampled
KILL_ON_ALERT = corral.Policy.from_yaml(
    "version: 1\nextends: permissive\nmonitor: {on: {medium: kill}, scorer: false}\n",
    "kill-on-alert",
)


def _run(
    kind: str, code: str, backend: str = "wasm", *, stop: bool = True
) -> tuple[corral.RunResult, list[Event], set[str]]:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    # the corral shell's loops also raise the (medium) anomaly alert at once: there the
    # rule's own alert interrupts the call (Ctrl-C), elsewhere the kill response ends it
    interrupt = stop and kind == "shell" and backend == "wasm"
    policy = KILL_ON_ALERT if stop and not interrupt else "permissive"
    with corral.Sandbox(bus=bus, monitor=True, backend=backend, policy=policy) as sb:
        if interrupt:

            def on_alert(e: Event) -> None:
                if e.type == "monitor.alert" and (e.data or {}).get("rule") == QUIET:
                    threading.Thread(target=sb.interrupt).start()

            bus.subscribe(on_alert)
        run = {"shell": sb.run, "python": sb.python, "js": sb.js}[kind]
        r = run(code, timeout=WALL)
        return r, [e for e in seen if e.type == "resource.sample"], {a.rule for a in sb.alerts}


def _check_rate(result: corral.RunResult, samples: list[Event]) -> None:
    assert samples, "no resource samples during a long call"
    assert len(samples) <= result.usage.wall_s + 2  # about one a second, never more
    for e in samples:
        assert e.data is not None and {"cpu_pct", "out_chars", "interval_s"} <= set(e.data)


def test_yes_into_dev_null_raises_the_alert_while_it_runs() -> None:
    r, samples, got = _run("shell", "yes > /dev/null")
    assert r.error in ("interrupted", "wall_time"), r  # the alert came while it ran
    _check_rate(r, samples)
    assert {e.data["source"] for e in samples if e.data} == {"shell"}
    assert "resource-cpu-quiet" in got


def test_shell_busy_loop_no_text_rule_sees() -> None:
    _, _, got = _run("shell", "n=0; while [ $n -ge 0 ]; do n=$((n+1)); done")
    assert "resource-cpu-quiet" in got


def test_python_guest_busy_loop() -> None:
    r, samples, got = _run("python", "x = 0\nwhile x >= 0:\n    x += 1\n")
    _check_rate(r, samples)
    assert {e.data["source"] for e in samples if e.data} == {"python-guest"}
    assert "resource-cpu-quiet" in got


def test_js_guest_busy_loop() -> None:
    _, samples, got = _run("js", "let x = 0; while (x >= 0) { x++; }")
    assert {e.data["source"] for e in samples if e.data} == {"js-guest"}
    assert "resource-cpu-quiet" in got


def test_busy_python_that_prints_as_it_goes_is_quiet() -> None:
    code = (
        "import time\nt = time.time()\n"
        "while time.time() - t < 9:\n    x = sum(range(3000))\n    print('step', x)\n"
    )
    r, samples, got = _run("python", code, stop=False)
    assert r.exit_code == 0
    assert samples and all(e.data and e.data["out_chars"] > 0 for e in samples)
    assert "resource-cpu-quiet" not in got


def test_short_calls_give_no_samples() -> None:
    r, samples, _ = _run(
        "shell", "echo hi; n=0; while [ $n -lt 50 ]; do n=$((n+1)); done", stop=False
    )
    assert r.exit_code == 0 and r.usage.wall_s < 1.0 and samples == []


def test_bwrap_quiet_busy_program() -> None:
    ok, why = available("bwrap")
    if not ok:
        pytest.skip(f"bwrap unavailable here: {why}")
    _, samples, got = _run("shell", "python3 -c 'while True: pass'", backend="bwrap")
    assert samples and all(e.data and "out_chars" in e.data for e in samples)
    # the call's processes are in its own cgroup under the session's: counted (with
    # their time waiting to run), not only the shell (busy_pct was cpu_pct under load)
    assert max(e.data["procs"] for e in samples if e.data) >= 2
    assert all(e.data["busy_pct"] >= e.data["cpu_pct"] for e in samples if e.data)
    assert "resource-cpu-quiet" in got


def test_gvisor_quiet_busy_program() -> None:
    ok, why = available("gvisor")
    if not ok:
        pytest.skip(f"gVisor unavailable here: {why}")
    r, samples, got = _run("shell", "python3 -c 'while True: pass'", backend="gvisor")
    _check_rate(r, samples)
    assert all(e.data and "rss_mb" in e.data and "in_call" in e.data for e in samples)
    assert any(e.data and e.data["in_call"] for e in samples)
    assert "resource-cpu-quiet" in got


def test_gvisor_sleeping_sandbox_is_not_busy() -> None:
    ok, why = available("gvisor")
    if not ok:
        pytest.skip(f"gVisor unavailable here: {why}")
    r, samples, got = _run("shell", "sleep 11", backend="gvisor", stop=False)
    assert r.exit_code == 0 and samples
    # the Sentry's briefly waking threads do not count as waiting to run
    assert all(e.data["busy_pct"] < 60 for e in samples[1:] if e.data and "busy_pct" in e.data)
    assert "resource-cpu-quiet" not in got


def test_gvisor_one_shot_program_is_sampled() -> None:
    ok, why = available("gvisor")
    if not ok:
        pytest.skip(f"gVisor unavailable here: {why}")
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus, monitor=True, backend="gvisor", policy=KILL_ON_ALERT) as sb:
        r = sb.exec(["python3", "-c", "while True: pass"], timeout=WALL)
        got = {a.rule for a in sb.alerts}
    samples = [e for e in seen if e.type == "resource.sample"]
    assert r.exit_code != 0, r  # the alert's kill ended it (or the wall, or the CPU budget)
    _check_rate(r, samples)
    assert max(e.data["cpu_pct"] for e in samples if e.data) > 20
    assert "resource-cpu-quiet" in got


# ------------------------------------------------------------------- the sampler itself


class _Reader:
    def __init__(self) -> None:
        self.cpu, self.wait, self.gone = 0.0, 0.0, False

    def __call__(self) -> tuple[float, float | None] | None:
        return None if self.gone else (self.cpu, self.wait)


def test_sampler_measures_busy_time_and_output_per_interval() -> None:
    got: list[dict[str, Any]] = []
    reader = _Reader()
    s = CallSampler(got.append, reader, source="shell", interval=1.0)
    t0 = s._t
    s.tick(10, t0 + 0.5)  # not due yet
    assert got == []
    reader.cpu, reader.wait = 0.3, 0.7  # a third of a core, waiting the rest
    s.tick(50, t0 + 1.0)
    assert got[0]["cpu_pct"] == pytest.approx(30.0)
    assert got[0]["busy_pct"] == pytest.approx(100.0)
    assert got[0]["out_chars"] == 50 and got[0]["source"] == "shell"
    s.tick(80, t0 + 1.2)  # too soon: at most one sample an interval
    assert len(got) == 1
    reader.gone = True
    s.tick(90, t0 + 5.0)
    s.tick(90, t0 + 9.0)
    assert len(got) == 1  # the process is gone: no more samples


def test_sampler_survives_a_failing_emit() -> None:
    def boom(data: dict[str, Any]) -> None:
        raise RuntimeError("bus down")

    s = CallSampler(boom, _Reader(), source="python-guest", interval=1.0)
    s.tick(0, s._t + 2.0)
    assert s.count == 1
