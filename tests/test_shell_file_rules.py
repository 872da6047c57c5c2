"""The policy's file rules inside the workspace, applied to the corral shell's own file
operations (built-ins and redirections) before they happen: corral.wasm.filescreen."""

from __future__ import annotations

import itertools
import os

import pytest

import corral
from corral.events import EventBus
from corral.policy import Callback, Policy
from corral.wasm.filescreen import FileScreen

READS = [
    "cat gold.patch",
    "head -c 3 gold.patch",
    "while read l; do echo $l; done < gold.patch",
    "v=gold; cat $v.patch",
    "ln -s gold.patch g; cat g",
    "cd sub && cat ../gold.patch",
    "cp gold.patch copy.txt && cat copy.txt",
    "grep -r secret .",
    "tar cf x.tar . && tar xOf x.tar",
    "git init -q . && git add -A && git diff --cached",
]


@pytest.mark.parametrize("script", READS)
def test_a_denied_file_in_the_workspace_is_not_read(script):
    with corral.Sandbox(policy="default", monitor=False) as sb:
        (sb.path / "sub").mkdir()
        (sb.path / "gold.patch").write_text("secret\n")
        r = sb.run(script)
        assert "secret" not in r.stdout, (script, r.stdout)
        assert "filesystem.deny" in r.stderr or r.exit_code == 126, (script, r.stderr)


@pytest.mark.parametrize(
    "script",
    [
        "echo x >> AGENTS.md",
        "printf 'x' > CLAUDE.md",
        "mkdir -p .claude; echo '{}' > .claude/settings.json",
        "ln -s AGENTS.md notes; echo x >> notes",
        "echo x | tee -a AGENTS.md",
        "rm AGENTS.md",
    ],
)
def test_the_agents_control_plane_is_asked_before_the_shell_writes_it(script):
    """``filesystem.ask_write``: with nobody to ask, refused; an approver is asked, and
    its answer decides."""
    with corral.Sandbox(policy="default", monitor=False) as sb:
        (sb.path / "AGENTS.md").write_text("be careful\n")
        sb.run(script)
        assert (sb.path / "AGENTS.md").read_text() == "be careful\n", script
        assert not (sb.path / "CLAUDE.md").exists()
        assert not (sb.path / ".claude" / "settings.json").exists()
    asked = []

    def answer(request):
        asked.append(request.decision.rule)
        return "allow_once"

    with corral.Sandbox(policy="default", monitor=False, approver=Callback(answer)) as sb:
        (sb.path / "AGENTS.md").write_text("be careful\n")
        r = sb.run(script)
        assert asked and all(a.startswith(("filesystem.ask_write", "commands.")) for a in asked)
        changed = (
            not (sb.path / "AGENTS.md").exists()
            or (sb.path / "AGENTS.md").read_text() != "be careful\n"
            or (sb.path / "CLAUDE.md").exists()
            or (sb.path / ".claude" / "settings.json").exists()
        )
        assert changed, (script, r.stderr)


def test_decisions_are_events_and_everyday_files_are_not_asked():
    bus = EventBus()
    seen: list[corral.Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(policy="default", monitor=False, bus=bus) as sb:
        (sb.path / "gold.patch").write_text("secret\n")
        r = sb.run("echo ok > a.txt; cat a.txt a.txt; cat gold.patch; cat gold.patch")
        assert r.stdout == "ok\nok\n"
    files = [e for e in seen if e.action is not None and e.action.kind == "file"]
    denied = [e for e in files if e.type == "action.denied"]
    assert [e.action.path for e in denied] == ["/workspace/gold.patch"]  # once a call
    assert denied[0].decision.rule.startswith("filesystem.deny")
    assert denied[0].data.get("source") == "shell"
    # a.txt: reported as before (a notice, no decision), not asked
    assert {e.action.path for e in files if e.type == "action.requested"} == {"/workspace/a.txt"}
    assert all(e.decision is None for e in files if e.type == "action.requested")


def test_no_file_rules_no_questions():
    with corral.Sandbox(policy="permissive", monitor=False) as sb:
        r = sb.run("echo x > AGENTS.md; echo y > gold.patch; cat AGENTS.md gold.patch")
        assert r.stdout == "x\ny\n"


_PATHS = [
    "/workspace/" + "/".join(p)
    for n in (1, 2, 3)
    for p in itertools.product(
        ["gold.patch", "AGENTS.md", "src", ".claude", "a.txt", ".env", ".env.example",
         "id_rsa", "x", ".git", "hooks", "settings.json"],
        repeat=n,
    )
]  # fmt: skip


@pytest.mark.parametrize("name", ["default", "strict", "permissive"])
@pytest.mark.parametrize("op", ["read", "write", "append", "create", "delete", "rename", "link"])
def test_the_screen_sends_every_path_the_policy_does_not_allow(name, op):
    """Exactness: a path the worker does not ask about is one the policy allows."""
    from corral.wasm.guest_events import FILE_OP_MAP

    policy = Policy.builtin(name)
    table = policy.file_screen()
    if table is None:
        return
    screen = FileScreen(table)
    for path in _PATHS:
        if not screen.needs_host(op, path):
            d = policy.decide_file(FILE_OP_MAP[op], path)
            assert d.verdict == "allow", (name, op, path, d.reason)


def test_rm_r_asks_about_what_it_would_remove_and_git_keeps_its_own_files():
    with corral.Sandbox(policy="default", monitor=False) as sb:
        (sb.path / "d").mkdir()
        (sb.path / "d" / "gold.patch").write_text("secret\n")
        (sb.path / "d" / "AGENTS.md").write_text("be careful\n")
        (sb.path / "d" / "other.txt").write_text("x\n")
        r = sb.run("rm -rf d; echo rc=$?")
        assert "rc=1" in r.stdout and "filesystem." in r.stderr
        assert (sb.path / "d" / "gold.patch").exists() and (sb.path / "d" / "AGENTS.md").exists()
        assert not (sb.path / "d" / "other.txt").exists()
        # git writes and removes its own .git/config and hooks (filesystem.ask_write)
        r = sb.run("git init -q p && rm -rf p/.git; echo rc=$?; git init -q q && ls q/.git")
        assert "rc=1" in r.stdout and "config" in r.stdout.split("rc=1", 1)[1]
        assert (sb.path / "p" / ".git" / "config").exists()


@pytest.mark.parametrize(
    "code",
    [
        "print(open('gold.patch').read())",
        "import pathlib; print(pathlib.Path('/workspace/gold.patch').read_text())",
        "import os; os.symlink('gold.patch', 'g'); print(open('g').read())",
        "import os; os.remove('gold.patch')",
        "import os; os.rename('gold.patch', 'moved.txt'); print(open('moved.txt').read())",
        "open('AGENTS.md', 'a').write('x')",
        "import os; os.link('gold.patch', 'h'); print(open('h').read())",
        "import os; os.symlink('notes.txt', 'AGENTS.md')",
        "import os; os.truncate('gold.patch', 0)",
    ],
)
def test_the_python_guest_asks_too(code):
    """The guest's driver asks the host before it opens, removes or renames a path the
    rules name (a check in the guest's own interpreter: see architecture.md)."""
    bus = EventBus()
    seen: list[corral.Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(policy="default", monitor=False, bus=bus) as sb:
        (sb.path / "gold.patch").write_text("secret\n")
        r = sb.python(code)
        assert r.exit_code == 1 and "secret" not in r.stdout
        assert "Permission denied (corral:" in r.stderr
        assert (sb.path / "gold.patch").read_text() == "secret\n"
        assert not os.path.lexists(sb.path / "AGENTS.md")
        assert sb.python("open('fine.txt', 'w').write('ok'); print(open('fine.txt').read())"
                         ).stdout == "ok\n"  # fmt: skip
    denied = [e for e in seen if e.type == "action.denied" and e.action.kind == "file"]
    assert denied and all(e.data.get("source") == "python" for e in denied)


def test_the_files_api_checks_where_a_symlink_inside_leads():
    import os

    with corral.Sandbox(policy="default", monitor=False) as sb:
        (sb.path / "gold.patch").write_text("secret\n")
        os.symlink("gold.patch", sb.path / "g")
        with pytest.raises(corral.ActionDenied, match=r"filesystem\.deny"):
            sb.files.read("g")
        (sb.path / "ok.txt").write_text("fine")
        os.symlink("ok.txt", sb.path / "o")
        assert sb.files.read("o") == "fine"


@pytest.mark.parametrize(
    "code",
    [
        "console.log(std.loadFile('gold.patch'))",
        "const f = std.open('/workspace/gold.patch', 'r'); console.log(f && f.readAsString())",
        "const fd = os.open('./sub/../gold.patch', os.O_RDONLY); console.log(fd)",
        "console.log(std.loadFile('g'))",  # g -> gold.patch (the WASI build cannot link)
        "console.log(os.remove('gold.patch'))",
        "console.log(os.rename('gold.patch', 'moved.txt')); console.log(std.loadFile('moved.txt'))",
        "const f = std.open('AGENTS.md', 'a'); if (f) { f.puts('x'); f.close(); }",
        "std.writeFile('CLAUDE.md', 'x')",
    ],
)
def test_the_js_guest_asks_too(code):
    """The JavaScript guest's driver asks the host before it opens, removes, renames or
    makes a path the rules name (as the Python guest's)."""
    bus = EventBus()
    seen: list[corral.Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(policy="default", monitor=False, bus=bus) as sb:
        (sb.path / "gold.patch").write_text("secret\n")
        (sb.path / "sub").mkdir()
        (sb.path / "g").symlink_to("gold.patch")
        r = sb.js(code)
        assert "secret" not in r.stdout
        assert "corral" in r.stderr and "denied" in r.stderr.lower(), r
        assert (sb.path / "gold.patch").read_text() == "secret\n"
        assert not (sb.path / "AGENTS.md").exists() and not (sb.path / "CLAUDE.md").exists()
        r = sb.js("std.writeFile('fine.txt', 'ok'); console.log(std.loadFile('fine.txt'))")
        assert r.stdout == "ok\n", r
    denied = [e for e in seen if e.type == "action.denied" and e.action.kind == "file"]
    assert denied and all(e.data.get("source") == "js" for e in denied)


@pytest.mark.parametrize(
    "code",
    [
        # paths relative to a directory descriptor name what the descriptor was opened as
        "import os; fd = os.open('.git', os.O_RDONLY); "
        "w = os.open('hooks/pre-commit', os.O_WRONLY | os.O_CREAT, dir_fd=fd)",
        # (the WASI build has no dup/dup2; a descriptor is named by device and inode all
        # the same, so a renumbered one would name what it was opened as)
        "import os; fd = os.open('.git/hooks', os.O_RDONLY); os.remove('keep', dir_fd=fd)",
        "import os; fd = os.open('.git', os.O_RDONLY); "
        "os.rename('x', 'hooks/post-commit', src_dir_fd=fd, dst_dir_fd=fd)",
        "import posix; fd = posix.open('.git', posix.O_RDONLY); "
        "w = posix.open('hooks/pre-commit', posix.O_WRONLY | posix.O_CREAT, dir_fd=fd)",
    ],
)
def test_the_python_guest_follows_directory_descriptors(code):
    with corral.Sandbox(policy="default", monitor=False) as sb:
        (sb.path / "sub").mkdir()
        (sb.path / ".git" / "hooks").mkdir(parents=True)
        (sb.path / ".git" / "hooks" / "keep").write_text("k")
        (sb.path / ".git" / "x").write_text("x")
        r = sb.python(code)
        assert r.exit_code == 1 and "Permission denied (corral:" in r.stderr, r
        assert sorted(p.name for p in (sb.path / ".git" / "hooks").iterdir()) == ["keep"]
        # ordinary descriptor-relative work still runs (a directory opened, then a file in
        # it; shutil.rmtree)
        r = sb.python(
            "import os, shutil; os.makedirs('t/a/b'); d = os.open('t/a', os.O_RDONLY); "
            "os.close(os.open('b/f', os.O_WRONLY | os.O_CREAT, dir_fd=d)); "
            "print(sum(len(f) for _, _, f in os.walk('t'))); shutil.rmtree('t'); "
            "print(os.path.exists('t'))"
        )
        assert r.stdout == "1\nFalse\n", r


@pytest.mark.parametrize(
    "line",
    [
        "mkdir -p x/hooks && echo evil > x/hooks/pre-commit && mv x .git",
        "python3 -c \"import os; os.makedirs('x/hooks'); open('x/hooks/pre-commit', 'w')"
        ".write('evil'); os.rename('x', '.git')\"",
    ],
)
def test_a_directory_moved_under_a_protected_name_is_checked_inside(line):
    """``mv x .git`` brings x/hooks/pre-commit to .git/hooks/pre-commit: each name the
    directory's contents get is checked as the new name is."""
    with corral.Sandbox(policy="default", monitor=False) as sb:
        r = sb.run(line)
        assert "Permission denied (corral:" in r.stderr, r
        assert not (sb.path / ".git").exists()
        r = sb.run("mkdir -p y/sub && echo ok > y/sub/f && mv y z && cat z/sub/f")
        assert r.stdout == "ok\n", r
