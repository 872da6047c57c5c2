"""The gVisor tier on a current runsc: live monitoring (observe, then kill), the process
budget, platforms, reliability, and reading runsc's strace lines safely."""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.events import Decision, SpawnAction
from corral.native import GvisorBackend, NativeLimits
from corral.native.gvisor import AUTO_PLATFORMS, parse_strace_line

from .conftest import Events, need


class TimedEvents(Events):
    """Events with the moment each arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def emit(self, type: str, **fields) -> None:
        with self.lock:
            self.items.append((type, fields))
            self.times.append(time.monotonic())

    def spawn_time(self, argv: list[str]) -> float | None:
        with self.lock:
            for (t, f), at in zip(self.items, self.times, strict=True):
                if t == "action.requested" and getattr(f.get("action"), "argv", None) == argv:
                    return at
        return None


class DenyProgram:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[SpawnAction] = []

    def decide(self, action, session):
        self.seen.append(action)
        if action.argv and action.argv[0].rsplit("/", 1)[-1] == self.name:
            return Decision(verdict="deny", rule="test.deny", reason=f"{self.name} is not allowed")
        return Decision(verdict="allow", rule="test.allow", reason="ok")


@pytest.fixture
def gvisor_box(workspace):
    need("gvisor")
    ev = TimedEvents()
    box = GvisorBackend(workspace, Budget(wall_s=30, memory_mb=256), events=ev)
    box.start()
    box.ev = ev
    yield box
    box.close()


def test_program_starts_are_reported_while_the_run_goes_on(gvisor_box):
    ev = gvisor_box.ev
    payload = base64.b64encode(b"uname -s -n").decode()
    t0 = time.monotonic()
    r = gvisor_box.run(
        f'/bin/echo first; eval "$(echo {payload} | base64 -d)"; '
        "python3 -c \"import os; os.system('id -u')\"; sleep 2; /bin/echo second"
    )
    end = time.monotonic()
    assert r.ok and r.stdout.startswith("first\n") and r.stdout.endswith("second\n"), r
    first = ev.spawn_time(["/bin/echo", "first"])
    assert first is not None and end - first > 1.5, "not reported until the run ended"
    assert first - t0 < 2
    spawns = [f for t, f in ev.actions("spawn")]
    argvs = [f["action"].argv for f in spawns]
    assert ["uname", "-s", "-n"] in argvs and ["base64", "-d"] in argvs
    assert ["sh", "-c", "id -u"] in argvs and ["id", "-u"] in argvs
    echo = next(f for f in spawns if f["action"].argv == ["/bin/echo", "first"])
    assert echo["action"].exe == "/bin/echo" and echo["action"].pid
    assert echo["data"]["observed"] is True and echo["data"]["syscall"] == "execve"
    assert echo["decision"].allowed


def test_connect_attempts_are_reported(gvisor_box):
    gvisor_box.run(
        'python3 -c "import socket; s=socket.socket(); s.settimeout(1); '
        "s.connect_ex(('10.1.2.3', 3333))\""
    )
    nets = [f for t, f in gvisor_box.ev.actions("net")]
    hit = [f for f in nets if f["action"].host == "10.1.2.3" and f["action"].port == 3333]
    assert hit and hit[0]["data"]["observed"] is True and hit[0]["data"]["syscall"] == "connect"


def test_a_denied_program_stops_the_run_mid_run(workspace):
    need("gvisor")
    ev = Events()
    gate = DenyProgram("sleep")
    with GvisorBackend(workspace, Budget(wall_s=30), gate=gate, events=ev) as box:
        t0 = time.monotonic()
        r = box.run("touch before; /bin/echo started; sleep 20; touch after")
        took = time.monotonic() - t0
        assert took < 8, took  # the 20 s sleep was killed as it started
        assert r.error == "denied" and r.exit_code != 0
        assert "sleep 20" in r.error_message and "[corral] program start denied" in r.stderr
        assert (workspace / "before").exists() and not (workspace / "after").exists()
        denied = [f for t, f in ev.actions("spawn", ("action.denied",))]
        assert denied[0]["action"].argv == ["sleep", "20"]
        assert denied[0]["decision"].rule == "test.deny"
        assert denied[0]["data"]["observed"] is True and denied[0]["data"]["response"] == "killed"
        # the next run is not affected
        r = box.run("/bin/echo again")
        assert r.ok and r.stdout == "again\n"


def test_the_command_itself_is_decided_before_it_starts(workspace):
    need("gvisor")
    ev = Events()
    with GvisorBackend(workspace, Budget(wall_s=30), gate=DenyProgram("touch"), events=ev) as box:
        r = box.run(["/usr/bin/touch", "/workspace/made"])
        assert r.error == "denied" and r.exit_code == 126 and "touch" in r.error_message
        assert not (workspace / "made").exists()
        denied = [f for t, f in ev.actions("spawn", ("action.denied",))]
        assert denied[0]["action"].argv == ["/usr/bin/touch", "/workspace/made"]
        assert denied[0]["data"]["before_start"] is True
        r = box.run(["/bin/echo", "allowed"])
        assert r.ok and r.stdout == "allowed\n"
        assert ["/bin/echo", "allowed"] in [f["action"].argv for t, f in ev.actions("spawn")]


def test_a_failing_gate_denies(workspace):
    need("gvisor")

    class Broken:
        def decide(self, action, session):
            raise RuntimeError("boom")

    with GvisorBackend(workspace, Budget(wall_s=30), gate=Broken()) as box:
        t0 = time.monotonic()
        r = box.run("/bin/true; sleep 20")
    assert r.error == "denied" and time.monotonic() - t0 < 8


def test_a_forged_log_line_in_a_program_path_cannot_hide_its_argv(gvisor_box):
    # runsc prints the program path unquoted: a newline and a fake log line in it break
    # the line; the argv (always quoted) still identifies the real start
    fake = 'I1123 00:00:00.000000 1 strace.go:1] [ 9: 9] x E execve(0x1 true, 0x2 ["true"], 0x3 [])'
    ws: Path = gvisor_box.root
    (ws / f"a\n{fake}\nb").write_text("#!/bin/sh\necho ran\n")
    (ws / f"a\n{fake}\nb").chmod(0o755)
    r = gvisor_box.run("./a*b --pool x:3333")
    assert r.stdout == "ran\n", r
    argvs = [f["action"].argv for t, f in gvisor_box.ev.actions("spawn")]
    assert any(a[0].endswith("\nb") and a[1:] == ["--pool", "x:3333"] for a in argvs), argvs


def test_without_monitoring_no_program_is_reported(workspace):
    need("gvisor")
    ev = Events()
    with GvisorBackend(workspace, Budget(wall_s=30), events=ev, monitor=False) as box:
        assert box.run("ls; /bin/true").ok
    assert ev.actions("spawn") == []


def test_process_budget_is_the_sentrys_and_it_survives(workspace):
    need("gvisor")
    with GvisorBackend(workspace, Budget(wall_s=30), limits=NativeLimits(processes=32),
                       monitor=False) as box:  # fmt: skip
        # many threads and processes, within budget: the Sentry's own host threads and
        # stubs do not count against it (they crashed the Sentry when they did)
        r = box.run(
            'for i in $(seq 20); do sleep 1 & done; python3 -c "import threading, time; '
            "ts=[threading.Thread(target=time.sleep, args=(1,)) for _ in range(8)]; "
            "[t.start() for t in ts]; [t.join() for t in ts]; print('threads ok')\"; wait"
        )
        assert r.ok and r.stdout == "threads ok\n", r
        t0 = time.monotonic()
        r = box.run("for i in $(seq 100); do sleep 5 & done; wait; echo all-started")
        assert r.budget_exceeded == "processes" and "all-started" not in r.stdout, r
        assert "process budget of 32 processes" in r.error_message
        assert time.monotonic() - t0 < 5
        assert box.run("/bin/echo fine").stdout == "fine\n"


def test_many_processes_on_ptrace(workspace):
    need("gvisor")
    limits = NativeLimits(processes=128)
    with GvisorBackend(workspace, Budget(wall_s=30), limits=limits, platform="ptrace",
                       monitor=False) as box:  # fmt: skip
        assert box.platform == "ptrace"
        # ptrace runs about 11 host tasks per sandbox process: 120 processes crashed the
        # Sentry (exit 2, output lost) when the host's pids limit was near the budget
        r = box.run("for i in $(seq 120); do sleep 1 & done; wait; echo waited")
        assert r.ok and r.stdout == "waited\n", r


def test_cgroups_are_removed_after_every_sandbox(workspace):
    need("gvisor")
    seen: list[str] = []
    with GvisorBackend(workspace, Budget(wall_s=30), monitor=False) as box:
        spec = box._spec

        def recording_spec(argv, cid, fsize):
            seen.append(cid)
            return spec(argv, cid, fsize)

        box._spec = recording_spec
        assert box.run("true").ok
        assert box.run("sleep 10", timeout=1).error == "wall_time"
        assert box.run("yes").error == "output"
        assert box.run("exit 4").exit_code == 4  # ends the session: its sandbox goes
        assert box.run("true").restarted
        assert box.run(["true"]).ok  # a program in a sandbox of its own
    assert len(seen) == 3
    left = [p for cid in seen for p in Path("/sys/fs/cgroup").glob(f"*/corral/gvisor-{cid}")]
    left += [p for cid in seen for p in Path("/sys/fs/cgroup/corral").glob(f"gvisor-{cid}")]
    assert left == []


def test_output_is_never_lost(workspace):
    need("gvisor")
    (workspace / "f.txt").write_text("hello\n")
    cases = [
        ("echo hi", 0, "hi\n"),
        ("ls -la /workspace | grep -c f.txt", 0, "1\n"),
        ("stat -c %s /workspace/f.txt", 0, "6\n"),
        (["python3", "-c", "print(6*7)"], 0, "42\n"),
        ("seq 1 1000 | sort -n | tail -1", 0, "1000\n"),
        ("head -c 1000000 /dev/zero | tr '\\0' x", 0, "x" * 1_000_000),
        ("cat; echo END", 0, "round trip\nEND\n"),
        ("echo err >&2; exit 3", 3, ""),
    ]
    with GvisorBackend(workspace, Budget(wall_s=30, output_chars=2_000_000)) as box:
        for cmd, rc, want in cases:
            r = box.run(cmd, stdin="round trip\n" if "cat;" in cmd else b"")
            assert (r.exit_code, r.stdout) == (rc, want), (cmd, r.exit_code, r.stderr[-300:])


def test_platforms(workspace):
    need("gvisor")
    with pytest.raises(ValueError, match="unknown gVisor platform"):
        GvisorBackend(workspace, Budget(), platform="vmware")
    ev = Events()
    with GvisorBackend(workspace, Budget(wall_s=30), events=ev) as box:
        assert box.platform in AUTO_PLATFORMS and box.platform_note is None
        assert box.run(["/bin/echo", "ok"]).stdout == "ok\n"
    created = [f for t, f in ev.items if t == "backend.started"]
    assert created[0]["data"]["platform"] == box.platform


def test_kvm_is_used_when_it_works_else_a_clean_fallback(workspace):
    need("gvisor")
    with GvisorBackend(workspace, Budget(wall_s=30), platform="kvm", monitor=False) as box:
        if box.platform == "kvm":
            assert box.platform_note is None
        else:  # no /dev/kvm, or a VM whose nested virtualisation does not run gVisor
            assert box.platform in AUTO_PLATFORMS and "kvm" in box.platform_note
        assert box.run(["/bin/echo", "ok"]).stdout == "ok\n"


# --------------------------------------------------------------------------- the parser

_H = "I1123 18:33:13.069310   11224 strace.go:567] [   3:   3] bash E "


@pytest.mark.parametrize(
    ("line", "want"),
    [
        (
            _H + 'execve(0x5 /usr/bin/head, 0x5 ["head", "-c", "3"], 0x5 ["PWD=/", "_=/x"])',
            ("spawn", "execve", 3, "/usr/bin/head", ["head", "-c", "3"]),
        ),
        (
            _H + r'execve(0x5 /bin/echo, 0x5 ["q\"uo\\te", "t\tb", "é", "\xff", ""], 0x5 [])',
            ("spawn", "execve", 3, "/bin/echo", ['q"uo\\te', "t\tb", "é", "\udcff", ""]),
        ),
        (
            _H + 'execveat(0x3 /usr/bin/echo, 0x7e , 0x7e ["viafd", "x"], 0x7e [], 0x1000)',
            ("spawn", "execveat", 3, "/usr/bin/echo", ["viafd", "x"]),
        ),
        (
            _H + "execve(0x1 /bin/x, 0x0 {error copying vector: bad address}, 0x0 {error "
            "copying vector: bad address})",
            ("spawn", "execve", 3, "/bin/x", None),
        ),
        (
            _H
            + "connect(0x3 socket:[3], 0x7e {Family: AF_INET, Addr: 10.1.2.3, Port: 3333}, 0x10)",
            ("connect", 3, "AF_INET", "10.1.2.3", 3333),
        ),
        (
            _H + "connect(0x4 socket:[4], 0x7e {Family: AF_INET6, Addr: 2001:db8::1, Port: 44}, "
            "0x1c)",
            ("connect", 3, "AF_INET6", "2001:db8::1", 44),
        ),
        (
            _H.replace(" E ", " X ") + "clone(CLONE_CHILD_SETTID|0x11, 0x0, 0x0, 0x7e, 0x0) = 0 "
            "(0x0) errno=11 (try again) (1.6ms)",
            ("nproc", 3),
        ),
        # the second half of a line broken by a newline in the path: the argv counts
        (
            'b/evil, 0x2 ["./evil", "-o", "stratum+tcp://x:3333"], 0x3 ["A=1"])',
            ("spawn", "execve", None, "./evil", ["./evil", "-o", "stratum+tcp://x:3333"]),
        ),
        # a fake vector in the path: the real one is the last
        (
            _H + 'execve(0x1 /tmp/x, 0x2 ["benign"], 0x3 [], 0x2 ["miner", "-o"], 0x3 [])',
            ("spawn", "execve", 3, '/tmp/x, 0x2 ["benign"], 0x3 []', ["miner", "-o"]),
        ),
        (_H + 'execve(0x1 /bin/x, 0x2 ["a"], 0x3 ["b"]) = 0x0 (374.398µs)', None),
        (
            _H + "connect(0x3 socket:[1], 0x7e {Family: AF_UNIX, error extracting address: "
            "address family not supported by protocol}, 0x6e)",
            None,
        ),
        ("I1123 18:33:13.069310 1 strace.go:567] [ 3: 3] bash E execve(0x1 /tmp/a", None),
        ("garbage ])", None),
        ("", None),
    ],
)
def test_strace_lines(line, want):
    assert parse_strace_line(line) == want


def test_strace_parser_is_linear():
    # relative, not a wall-clock bound (a loaded machine): 10x the input must cost about
    # 10x the time (a quadratic parser: ~100x)
    def took(n: int) -> float:
        item = '"' + '\\"' * 1000 + '"'
        line = _H + "execve(0x1 /bin/x, 0x2 [" + ", ".join([item] * n) + "], 0x3 [])"
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            ev = parse_strace_line(line)
            best = min(best, time.perf_counter() - t0)
        assert ev is not None and len(ev[4]) == n and ev[4][0] == '"' * 1000
        return best

    small, large = took(30), took(300)
    assert large < 40 * small, (small, large)


def test_kill_from_another_thread_returns_at_once(workspace):
    need("gvisor")
    with GvisorBackend(workspace, Budget(wall_s=30), monitor=False) as box:
        took: list[float] = []

        def later() -> None:
            time.sleep(1.0)
            t = time.monotonic()
            box.kill()
            took.append(time.monotonic() - t)

        threading.Thread(target=later).start()
        t0 = time.monotonic()
        r = box.run("sleep 20; echo never")
        assert time.monotonic() - t0 < 5 and "never" not in r.stdout and r.exit_code == 137
        assert took and took[0] < 0.5


def test_network_only_through_the_proxy(workspace, http_server):
    need("gvisor")
    port = http_server.port

    def decide(host, p, ip):
        if p == port and host in ("127.0.0.1", "localhost"):
            return True, "test server"
        return False, f"{host}:{p} is not on the allowlist"

    ev = Events()
    with GvisorBackend(
        workspace,
        Budget(wall_s=30),
        events=ev,
        net_decide=decide,
        env={"no_proxy": "", "NO_PROXY": ""},
    ) as box:
        r = box.run(
            f"curl -sS -m 5 http://127.0.0.1:{port}/hello.txt;"
            "curl -sS -m 5 http://pypi.org/ ; echo;"
            f"curl -sS -m 3 --noproxy '*' http://127.0.0.1:{port}/hello.txt; echo rc=$?"
        )
    assert r.stdout.count("hello from the host") == 1, r
    assert "not on the allowlist" in r.stdout and "rc=7" in r.stdout
    assert "pypi.org" in [f["action"].host for t, f in ev.actions("net", ("action.denied",))]
    # the session's shell, started by the proxy's bridge, is corral's own (not reported);
    # the script's programs are
    argvs = [f["action"].argv for t, f in ev.actions("spawn")]
    assert not [a for a in argvs if a[:1] == ["/bin/bash"]], argvs
    assert sum(1 for a in argvs if a[:1] == ["curl"]) == 3, argvs
    seen = [f["data"] for t, f in ev.actions("net") if f.get("data", {}).get("observed")]
    assert any(d["syscall"] == "connect" and d["via"] == "proxy" for d in seen), seen
