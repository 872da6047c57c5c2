"""Program identity at exec: the native tiers decide on what runs, not on its name.

Copies, links and renames of a denied program, a path swapped by another thread while the
monitor decides, programs run from memory: each is the attack of issue 11, measured on the
code before it (where they ran ``mount`` under the ``default`` policy, silently).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from corral import Sandbox
from corral.events import EventBus, SpawnAction
from corral.policy import load

from .conftest import need

BACKENDS = ["bwrap", "gvisor"]
#: the mount table's lines: what ``mount`` prints when it ran
MOUNT_RAN = " type "

RACE_C = r"""
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
static char path[64] = "/usr/bin/uname";
static volatile int go = 1;
static void *flip(void *a) {
    (void)a;
    while (go) {
        memcpy(path, "/usr/bin/mount", 15);
        usleep(97);
        memcpy(path, "/usr/bin/uname", 15);
        usleep(151);
    }
    return NULL;
}
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 40;
    pthread_t t;
    pthread_create(&t, NULL, flip, NULL);
    char *args[] = {"uname", NULL};
    char *envp[] = {NULL};
    for (int i = 0; i < n; i++) {
        pid_t p = vfork();  /* the child shares the memory the flipper rewrites */
        if (p == 0) { execve(path, args, envp); _exit(127); }
        int st; waitpid(p, &st, 0);
    }
    go = 0;
    return 0;
}
"""

STATIC_C = r"""
#include <unistd.h>
int main(void) { write(1, "static hello\n", 13); return 0; }
"""


def _allowing(*names: str) -> dict:
    return {"version": 1, "extends": "default", "commands": {"allow": list(names)}}


def _cc(tmp_path: Path, source: str, name: str, *flags: str) -> Path:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler here")
    src = tmp_path / f"{name}.c"
    src.write_text(source.replace("#include <unistd.h>", "#include <unistd.h>\n#include <stdlib.h>"))
    out = tmp_path / name
    r = subprocess.run([cc, "-O2", *flags, "-o", str(out), str(src)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot build {name}: {r.stderr.decode(errors='replace')[-200:]}")
    return out


class Box(Sandbox):
    """A Sandbox that keeps its events."""

    def __init__(self, **kw) -> None:
        bus = EventBus()
        self.seen: list = []
        bus.subscribe(self.seen.append)
        super().__init__(bus=bus, **kw)


def _spawns(sb: Box, type: str) -> list[SpawnAction]:
    return [
        e.action
        for e in list(sb.seen)
        if e.type == type and e.action is not None and e.action.kind == "spawn"
    ]


def _denied_spawns(sb: Box) -> list[SpawnAction]:
    return _spawns(sb, "action.denied")


@pytest.fixture
def ws(tmp_path) -> Path:
    d = tmp_path / "ws"
    d.mkdir()
    return d


# ------------------------------------------------------------------ copies under other names


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "script",
    [
        "cp /usr/bin/mount ./ls && ./ls",
        "ln -s /usr/bin/mount ./cat && ./cat",
        "mkdir -p d && cp /usr/bin/mount d/m && ln d/m ./echo && ./echo",
        "install -m 755 /usr/bin/mount ./head && ./head",
        "cp /usr/bin/mount /workspace/.x && mkdir -p sub && cd sub && ln -s ../.x tr && ./tr",
    ],
    ids=["cp", "symlink", "hardlink", "install", "relative-in-subdir"],
)
def test_a_copy_or_link_of_a_denied_program_is_that_program(backend, script, ws):
    need(backend)
    # default, with install allowed too
    with Box(workdir=ws, backend=backend, policy=_allowing("install")) as sb:
        r = sb.run(script + " 2>&1; echo rc=$?")
        denied = _denied_spawns(sb)
    assert denied, f"nothing denied: {r.stdout[-400:]}"
    assert any(a.exe == "/usr/bin/mount" for a in denied), denied
    assert r.error == "denied" or "rc=126" in r.stdout
    if backend == "bwrap":  # decided before it runs
        assert MOUNT_RAN not in r.stdout, r.stdout[-400:]
        assert "rc=126" in r.stdout


# ------------------------------------------------------------------ the path swapped in flight


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_path_swapped_by_another_thread_cannot_run_the_denied_program(backend, ws, tmp_path):
    need(backend)
    race = _cc(tmp_path, RACE_C, "race", "-pthread")
    shutil.copy(race, ws / "race")
    with Box(workdir=ws, backend=backend, policy=_allowing("race")) as sb:
        r = sb.run("./race 40 2>&1 | sort | uniq -c")
        denied = _denied_spawns(sb)
        allowed_uname = [a for a in _spawns(sb, "action.requested") if a.argv == ["uname"]]
    if backend == "bwrap":
        # decided on the file the kernel opened: mount never runs, uname does
        assert MOUNT_RAN not in r.stdout, r.stdout[-600:]
        assert "Linux" in r.stdout
        # every allowed start was really uname
        assert all(a.exe == "/usr/bin/uname" for a in allowed_uname)
    # the swap was caught and named (40 tries: it wins about one in three)
    assert any(a.exe == "/usr/bin/mount" for a in denied), r.stdout[-600:]


# ------------------------------------------------------------------ programs from memory

MEMFD_PY = """
import os, sys
data = open('/usr/bin/uname', 'rb').read()
fd = os.memfd_create('m', 0)
os.write(fd, data)
how = sys.argv[1]
try:
    if how == 'fexecve':
        os.execve(fd, ['uname'], {})
    else:
        os.execv(f'/proc/self/fd/{fd}', ['uname'])
except OSError as e:
    print('refused:', e.strerror)
"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how", ["fexecve", "procfd"])
def test_a_program_run_from_memory_is_denied(backend, how, ws):
    need(backend)
    (ws / "m.py").write_text(MEMFD_PY)
    with Box(workdir=ws, backend=backend, policy="default") as sb:
        r = sb.run(f"python3 m.py {how} 2>&1; echo rc=$?")
        denied = _denied_spawns(sb)
    assert any(a.origin == "memory" for a in denied), denied
    if backend == "bwrap":  # refused before it runs
        assert "Linux" not in r.stdout, r.stdout
        assert "refused:" in r.stdout
        assert "corral: denied:" in r.stdout and "commands.programs.memory" in r.stdout
    else:  # gVisor observes, then kills the run
        assert r.error == "denied", r


def test_permissive_policy_may_run_programs_from_memory(ws):
    need("bwrap")
    (ws / "m.py").write_text(MEMFD_PY)
    with Box(workdir=ws, backend="bwrap", policy="permissive") as sb:
        r = sb.run("python3 m.py fexecve")
    assert "Linux" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_static_binary_from_memory_is_denied_and_from_the_workspace_by_policy(
    backend, ws, tmp_path
):
    need(backend)
    static = _cc(tmp_path, STATIC_C, "hello", "-static")
    shutil.copy(static, ws / "hello")
    code = MEMFD_PY.replace("/usr/bin/uname", "/workspace/hello")
    (ws / "m.py").write_text(code)
    with Box(workdir=ws, backend=backend, policy=_allowing("hello")) as sb:
        r = sb.run("./hello; python3 m.py fexecve 2>&1")
        denied = _denied_spawns(sb)
    assert r.stdout.startswith("static hello"), r.stdout
    assert any(a.origin == "memory" for a in denied), denied
    if backend == "bwrap":
        assert r.stdout.count("static hello") == 1, r.stdout
    # strict: a program that is not a system binary needs approval, whatever its name
    strict = {"version": 1, "extends": "strict", "commands": {"allow": ["hello"]}}
    with Box(workdir=ws, backend=backend, policy=strict) as sb:
        r = sb.run("./hello")
        denied = _denied_spawns(sb)
    assert any(a.origin == "user" and a.exe == "/workspace/hello" for a in denied), denied
    if backend == "bwrap":
        assert "static hello" not in r.stdout


def test_a_script_whose_interpreter_is_a_copy_of_a_denied_program(ws):
    need("bwrap")
    (ws / "x.sh").write_text("#!/workspace/interp\n")
    (ws / "x.sh").chmod(0o755)
    with Box(workdir=ws, backend="bwrap", policy=_allowing("x.sh")) as sb:
        r = sb.run("cp /usr/bin/mount interp && ./x.sh 2>&1; echo rc=$?")
    assert MOUNT_RAN not in r.stdout and "rc=126" in r.stdout, r.stdout


# ------------------------------------------------------------------ what the program is told


def test_the_refused_program_is_told_why_on_its_stderr(ws):
    need("bwrap")
    with Box(workdir=ws, backend="bwrap", policy="default") as sb:
        r = sb.run("cp /usr/bin/mount ./ls; ./ls; python3 -c \"import os; os.execv('./ls', ['ls'])\"")
    lines = [x for x in r.stderr.splitlines() if x.startswith("corral: denied: ")]
    assert len(lines) == 2, r.stderr
    assert lines[0].startswith("corral: denied: /usr/bin/mount (run as ./ls): ")
    assert re.search(r"\(commands\.deny\[\d+\], no-escape\)$", lines[0]), lines[0]
    assert "copy of /usr/bin/mount" in lines[0]


def test_allowed_programs_still_run_with_identity_in_the_events(ws):
    need("bwrap")
    with Box(workdir=ws, backend="bwrap", policy="default") as sb:
        r = sb.run("ls / > /dev/null && uname && /bin/echo hi")
        spawns = _spawns(sb, "action.requested")
    assert r.ok and "Linux" in r.stdout and "hi" in r.stdout
    uname = next(a for a in spawns if a.argv == ["uname"])
    assert uname.exe == "/usr/bin/uname" and uname.origin == "system"


# ------------------------------------------------------------------ multi-call programs

#: runs /usr/bin/systemctl (or a link of it) with the argv[0] read from a file, so the
#: gate's reading of the command line cannot see what runs: the exec check decides
EXEC_AS = """
import os, sys
path, *argv = open(sys.argv[1]).read().split()
os.execv(path, argv)
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_multi_call_program_is_decided_as_its_argv0(backend, ws):
    need(backend)
    if not (os.path.exists("/usr/bin/systemctl") and os.path.islink("/usr/sbin/halt")):
        pytest.skip("systemd's systemctl with its halt link is not installed")
    (ws / "exec_as.py").write_text(EXEC_AS)
    (ws / "as_halt").write_text("/usr/bin/systemctl halt")
    (ws / "as_systemctl").write_text("/usr/sbin/halt systemctl status corral-probe --no-pager")
    with Box(workdir=ws, backend=backend, policy="default", monitor=False) as sb:
        # systemctl's read-only forms are allowed: the file is also halt's, it runs as
        # systemctl (and finds no service manager in the sandbox)
        status = sb.run("systemctl status corral-probe --no-pager; echo rc=$?")
        by_link = sb.run("python3 exec_as.py as_systemctl; echo rc=$?")
        # the same file run as halt is halt, whatever path it was run by
        halt = sb.run("python3 exec_as.py as_halt 2>&1; echo rc=$?")
        denied = _denied_spawns(sb)
    for r in (status, by_link):
        assert "corral: denied" not in r.stderr and "rc=1" in r.stdout, (r.stdout, r.stderr)
    assert "corral: denied: /usr/sbin/halt" in halt.stdout + halt.stderr, halt
    assert any(a.exe.endswith("/halt") and a.argv[0] == "halt" for a in denied), denied


# ------------------------------------------------------------------ units


def test_program_table_names_copies_links_and_memory(tmp_path):
    from corral.native.execid import ProgramTable, identify_fd

    table = ProgramTable(["mount"], ["mkfs*"])
    copy = tmp_path / "ls"
    shutil.copy("/usr/bin/mount", copy)
    other = tmp_path / "other"
    shutil.copy("/usr/bin/uname", other)
    link = tmp_path / "cat"
    link.symlink_to("/usr/bin/mount")
    for path, origin, program in [
        (copy, "copy", "/usr/bin/mount"),
        (other, "user", str(other)),
        (link, "system", "/usr/bin/mount"),
        ("/bin/uname", "system", "/usr/bin/uname"),
    ]:
        fd = os.open(path, os.O_RDONLY)
        try:
            ident = identify_fd(table, fd)
        finally:
            os.close(fd)
        assert (ident.origin, ident.program) == (origin, program), path
    m = os.memfd_create("x")
    try:
        os.write(m, b"#!/bin/sh\n")
        assert identify_fd(table, m).origin == "memory"
        os.write(m, Path("/usr/bin/mount").read_bytes()[10:])
        ident = identify_fd(table, m)
        assert (ident.origin, ident.program) == ("memory", ident.path)
    finally:
        os.close(m)


def test_policy_decides_by_origin_and_names_the_real_program():
    p = load("default")
    names, globs = p.named_programs()
    assert {"mount", "sudo", "rm", "nc"} <= names and "mkfs*" in globs
    d = p.decide(SpawnAction(argv=["./ls"], exe="/usr/bin/mount", path="/w/ls", origin="copy"))
    assert d.verdict == "deny" and "copy of /usr/bin/mount" in d.reason
    d = p.decide(SpawnAction(argv=["x"], exe="/memfd:m", origin="memory"))
    assert d.verdict == "deny" and d.rule == "commands.programs.memory"
    assert load("permissive").decide(
        SpawnAction(argv=["x"], exe="/memfd:m", origin="memory")
    ).allowed
    d = load("strict").decide(SpawnAction(argv=["cat"], exe="/w/cat", origin="user"))
    assert d.verdict == "ask" and d.rule == "commands.programs.user"
    # the same name from the system directories is allowed
    assert load("strict").decide(
        SpawnAction(argv=["cat"], exe="/usr/bin/cat", origin="system")
    ).allowed


def test_deny_message_is_one_line_with_rule_and_principle():
    from corral.events import Decision
    from corral.native.execid import deny_message

    d = Decision(verdict="deny", rule="r1", principle="p", reason="a\nb")
    assert deny_message("/usr/bin/mount", d) == b"corral: denied: /usr/bin/mount: a b (r1, p)\n"
