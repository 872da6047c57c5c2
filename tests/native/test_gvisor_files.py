"""File events on the gVisor tier, from the Sentry's trace: what programs read, write,
delete, rename and chmod raises the same file rules as on the other tiers; attempts the
sandbox refused are reported too (the intent); paths as the sandbox sees them."""

from __future__ import annotations

import pytest

import corral
from corral.events import Event, EventBus
from corral.native.filewatch import EVENTS_MAX
from corral.native.gvisor_files import GvisorFileEvents, parse_file_line

from .conftest import need

HEAD = "I1205 16:10:50.085787   31363 strace.go:608] [   4:   4] "


def _line(comm: str, call: str, args: str, result: str = "= 3 (0x3)") -> str:
    return f"{HEAD}{comm} X {call}({args}) {result} (12.5µs)\n"


@pytest.mark.parametrize(
    ("line", "want"),
    [
        (_line("bash", "openat", "AT_FDCWD /workspace, 0x7f01 .bashrc, O_WRONLY|O_APPEND|"
               "O_CREAT, 0o666"), ("write", ".bashrc", "/workspace", None, {})),
        (_line("cat", "openat", "AT_FDCWD /w, 0x7f01 /workspace/a b, O_RDONLY|O_CLOEXEC, 0o0"),
         ("read", "/workspace/a b", "/w", None, {})),
        (_line("ls", "openat", "AT_FDCWD /w, 0x7f01 /tmp, O_RDONLY|O_DIRECTORY|0x80000, 0o0"),
         ("list", "/tmp", "/w", None, {})),
        (_line("sh", "openat", "AT_FDCWD /, 0x7f01 /etc/ld.so.preload, O_WRONLY|O_CREAT|"
               "O_TRUNC, 0o666", "= 0 (0x0) errno=13 (permission denied)"),
         ("write", "/etc/ld.so.preload", "/", "permission denied", {})),
        (_line("py", "openat", "0x3 /tmp/d, 0x7f01 x, O_WRONLY|O_CREAT, 0o777"),
         ("write", "x", "/tmp/d", None, {})),
        (_line("mv", "renameat2", "AT_FDCWD /w, 0x7f01 a, 0xffffff9c, 0x7f02 .bashrc, 0x1",
               "= 0 (0x0)"), ("write", ".bashrc", "/w", None, {"renamed_from": "/w/a"})),
        (_line("mv", "renameat", "AT_FDCWD /w, 0x7f01 /tmp/a, AT_FDCWD /w, 0x7f02 b",
               "= 0 (0x0)"), ("write", "b", "/w", None, {"renamed_from": "/tmp/a"})),
        (_line("ln", "symlinkat", "0x7f01 /etc/shadow, AT_FDCWD /w, 0x7f02 s", "= 0 (0x0)"),
         ("write", "s", "/w", None, {"symlink_to": "/etc/shadow"})),
        (_line("ln", "linkat", "AT_FDCWD /w, 0x7f01 a, 0xffffff9c, 0x7f02 h, 0x0", "= 0 (0x0)"),
         ("write", "h", "/w", None, {"linked_from": "/w/a"})),
        (_line("rm", "unlinkat", "AT_FDCWD /w, 0x7f01 b, 0x0", "= 0 (0x0)"),
         ("delete", "b", "/w", None, {})),
        (_line("chmod", "fchmodat", "AT_FDCWD /w, 0x7f01 run.sh, 0o755", "= 0 (0x0)"),
         ("chmod", "run.sh", "/w", None, {})),
        (_line("py", "fchmod", "0x5 /tmp/d/y, 0o700", "= 0 (0x0)"),
         ("chmod", "/tmp/d/y", None, None, {})),
        (_line("py", "rename", "0x7f01 d/x, 0x7f02 d/y", "= 0 (0x0)"),
         ("write", "d/y", None, None, {"renamed_from": "d/x"})),
        (_line("py", "unlink", "0x7f01 q", "= 0 (0x0)"), ("delete", "q", None, None, {})),
        (_line("py", "mkdir", "0x7f01 dd, 0o777", "= 0 (0x0)"), ("mkdir", "dd", None, None, {})),
        # a name that holds the argument separators: the last plausible cut is taken
        (_line("py", "openat", "AT_FDCWD /tmp, 0x7f01 we, ird, O_RDONLY, 0o0), O_WRONLY|"
               "O_CREAT|O_TRUNC, 0o666"), ("write", "we, ird, O_RDONLY, 0o0)", "/tmp", None, {})),
        (_line("py", "openat", "AT_FDCWD /tmp/a, 0x1 /b, 0x7f01 /workspace/.bashrc, "
               "O_WRONLY|O_APPEND, 0o0"), ("write", "/workspace/.bashrc", "/tmp/a, 0x1 /b",
                                            None, {})),
    ],
)
def test_exit_lines_parse(line: str, want: tuple) -> None:
    got = parse_file_line(line)
    assert got is not None and got[1:] == want


@pytest.mark.parametrize(
    "line",
    [
        _line("cat", "openat", "AT_FDCWD /w, 0x7f01 /nope, O_RDONLY, 0o0",
              "= 0 (0x0) errno=2 (no such file or directory)"),  # a failed read: a probe
        f"{HEAD}bash E openat(AT_FDCWD /w, 0x7f01 .bashrc, O_WRONLY, 0o0)\n",  # the entry
        _line("bash", "execve", "0x7f01 /bin/ls, [\"ls\"], []"),
        _line("bash", "openat", "garbage"),
        "openat(AT_FDCWD /w, 0x7f01 x, O_WRONLY, 0o0) = 3 (0x3) (1µs)\n",
        _line("x" * 20, "openat", "AT_FDCWD /w, 0x7f01 x, O_WRONLY, 0o0"),
    ],
)
def test_other_lines_are_not_file_events(line: str) -> None:
    assert parse_file_line(line) is None


def test_a_huge_hostile_line_parses_in_linear_time() -> None:
    name = ", 0x1 /a" * 20_000 + ", O_RDONLY, 0o0)" * 2_000
    line = _line("py", "renameat2", f"AT_FDCWD /w, 0x7f01 {name}, AT_FDCWD /w, 0x7f02 {name}, "
                 "0x0", "= 0 (0x0)")  # fmt: skip
    got = parse_file_line(line)  # (RE2: no backtracking; a Python regex would not finish)
    assert got is not None and got[1] == "write"


def test_relative_paths_follow_the_last_directory_seen_and_dedupe_per_call() -> None:
    out: list[tuple[str, str, dict]] = []
    fe = GvisorFileEvents(lambda _t, action, data: out.append((action.op, action.path, data)))
    assert fe.on_line(_line("sh", "openat", "AT_FDCWD /workspace, 0x7f01 a, O_WRONLY, 0o0"))
    assert fe.on_line(_line("sh", "unlink", "0x7f01 a", "= 0 (0x0)"))  # (cwd from above)
    assert fe.on_line(_line("sh", "openat", "AT_FDCWD /workspace, 0x7f01 a, O_WRONLY, 0o0"))
    assert fe.on_line(_line("sh", "openat", "AT_FDCWD /w, 0x7f01 /usr/lib/x.so, O_RDONLY, 0o0"))
    assert fe.on_line(_line("sh", "openat", "AT_FDCWD /w, 0x7f01 /proc/1/x, O_WRONLY, 0o0"))
    assert not fe.on_line(_line("sh", "execve", "0x7f01 /bin/ls, [\"ls\"], []"))
    assert [(op, p) for op, p, _ in out] == [("write", "/workspace/a"), ("delete", "/workspace/a")]
    fe.new_call()
    assert fe.on_line(_line("sh", "openat", "AT_FDCWD /workspace, 0x7f01 a, O_WRONLY, 0o0"))
    assert len(out) == 3


def test_a_flood_of_files_does_not_hide_a_later_bashrc() -> None:
    out: list[str] = []
    fe = GvisorFileEvents(lambda _t, action, data: out.append(action.path))
    for i in range(EVENTS_MAX + 500):
        fe.on_line(_line("sh", "openat", f"AT_FDCWD /workspace, 0x7f01 f{i}, O_WRONLY, 0o0"))
    fe.on_line(_line("sh", "openat", "AT_FDCWD /workspace, 0x7f01 .bashrc, O_WRONLY, 0o0"))
    assert len(out) == EVENTS_MAX + 1 and out[-1] == "/workspace/.bashrc"
    assert fe.dropped == 500


# -- the real tier -----------------------------------------------------------------------


def _files(seen: list[Event]) -> list[tuple[str, str, dict]]:
    return [
        (e.action.op, e.action.path, e.data)
        for e in seen
        if e.type == "action.requested" and e.action is not None and e.action.kind == "file"
    ]


def _run(script: str, **kw) -> tuple[corral.RunResult, list[Event], set[str]]:
    need("gvisor")
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus, monitor=True, backend="gvisor", policy="permissive", **kw) as sb:
        r = sb.run(script, timeout=90)
        return r, seen, {a.rule for a in sb.alerts}


def test_what_programs_do_raises_the_file_rules_on_gvisor() -> None:
    # indirection: no rule can see the file names in the command's text
    r, seen, rules = _run(
        "b=.bash; echo payload >> ~/${b}rc; mkdir -p sub; mv ~/${b}rc sub/b; chmod 600 sub/b;"
        " rm sub/b; p=/etc/ld.so; echo y > ${p}.preload; python3 -c 'import os;"
        " os.chdir(\"/tmp\"); open(\"q\", \"w\"); os.unlink(\"q\")'; echo done"
    )
    assert r.stdout.endswith("done\n"), r.stderr
    files = {(op, path) for op, path, _ in _files(seen)}
    for want in [("write", "/workspace/.bashrc"), ("mkdir", "/workspace/sub"),
                 ("write", "/workspace/sub/b"), ("chmod", "/workspace/sub/b"),
                 ("delete", "/workspace/sub/b"), ("write", "/tmp/q"), ("delete", "/tmp/q"),
                 ("write", "/etc/ld.so.preload")]:  # fmt: skip
        assert want in files, (want, sorted(files))
    refused = [d for op, p, d in _files(seen) if p == "/etc/ld.so.preload"]
    assert refused and all("failed" in d for d in refused)  # the sandbox refused it: an intent
    assert {"persist-shell-rc-write", "persist-ld-preload"} <= rules
    assert not any(p.startswith(("/usr/", "/proc/")) for _, p, _ in _files(seen))


def test_a_session_reports_each_call_once_per_path() -> None:
    need("gvisor")
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus, monitor=True, backend="gvisor", policy="permissive") as sb:
        for _ in range(2):
            assert sb.run("for i in 1 2 3; do echo x >> notes.txt; done").exit_code == 0
    writes = [p for op, p, _ in _files(seen) if op == "write" and p == "/workspace/notes.txt"]
    assert len(writes) == 2  # once in each call

