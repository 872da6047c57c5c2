"""The policy's file rules inside the workspace as mounts on the bwrap tier
(corral.filewalls): what a real program cannot reach, whatever route it takes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from corral import Sandbox, filewalls
from corral.policy import Callback
from tiers import needs

needs_bwrap = needs("bwrap")


def _tree(root: Path) -> None:
    (root / "sub").mkdir()
    (root / ".claude").mkdir()
    (root / ".git" / "hooks").mkdir(parents=True)
    (root / "gold.patch").write_text("SECRET-TOP\n")
    (root / "sub" / "gold.patch").write_text("SECRET-SUB\n")
    (root / "AGENTS.md").write_text("rules\n")
    (root / ".claude" / "settings.json").write_text("{}\n")
    (root / ".git" / "hooks" / "pre-commit").write_text("hook\n")
    (root / "ok.txt").write_text("hi\n")
    (root / ".env").write_text("API_KEY=SECRET-ENV\n")
    (root / "link.patch").symlink_to("gold.patch")


# ----------------------------------------------------------------------------- the plan


def _refused(kind: str, path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    if name == "gold.patch" or "/hidden/" in path + "/":
        return True  # read and write
    return kind == "write" and (name == "AGENTS.md" or "/.claude/" in path)


def test_plan_walls_hides_refused_reads_and_freezes_refused_writes(tmp_path):
    _tree(tmp_path)
    (tmp_path / "hidden" / "deep").mkdir(parents=True)
    (tmp_path / "hidden" / "deep" / "x").write_text("x")
    plan = filewalls.plan_walls(tmp_path, _refused)
    got = {(w.kind, w.rel, w.is_dir) for w in plan.walls}
    assert got == {
        ("hide", "gold.patch", False),
        ("hide", "sub/gold.patch", False),
        ("hide", "hidden", True),  # the whole directory, not what is in it
        ("readonly", "AGENTS.md", False),
        ("readonly", ".claude", True),  # files made in it later are covered too
    }
    assert plan.cut is None


def test_plan_walls_follows_no_symlink(tmp_path):
    _tree(tmp_path)
    outside = tmp_path.parent / (tmp_path.name + "-outside")
    outside.mkdir()
    (outside / "gold.patch").write_text("x")
    (tmp_path / "out").symlink_to(outside)
    plan = filewalls.plan_walls(tmp_path, _refused)
    rels = {w.rel for w in plan.walls}
    assert "link.patch" not in rels and not any(r.startswith("out") for r in rels)


def test_plan_walls_is_cut_short_and_says_so(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}.gold.patch").write_text("x")
        (tmp_path / f"d{i}").mkdir()

    def refused(kind: str, path: str) -> bool:
        return path.endswith(".patch")

    plan = filewalls.plan_walls(tmp_path, refused, max_walls=3)
    assert len(plan.walls) == 3 and "more than 3" in (plan.cut or "")
    plan = filewalls.plan_walls(tmp_path, refused, max_entries=4)
    assert "more than 4 entries" in (plan.cut or "")


def test_open_beneath_refuses_symlinks_on_the_way(tmp_path):
    _tree(tmp_path)
    (tmp_path / "alias").symlink_to("sub")
    fd = filewalls.open_beneath(tmp_path, "sub/gold.patch")
    os.close(fd)
    for rel in ("alias/gold.patch", "link.patch", "sub/../gold.patch", "missing/x"):
        with pytest.raises(OSError):
            filewalls.open_beneath(tmp_path, rel)


def test_bwrap_args_leave_out_a_readonly_path_that_became_a_symlink(tmp_path):
    _tree(tmp_path)
    plan = filewalls.plan_walls(tmp_path, _refused)
    (tmp_path / "AGENTS.md").unlink()
    (tmp_path / "AGENTS.md").symlink_to("/etc/passwd")  # swapped after the walk
    blanks = filewalls.make_blanks(tmp_path.parent)
    args, sources = filewalls.bwrap_args(plan, tmp_path, blanks)
    fds = [s.fd for s in sources]
    try:
        assert "/workspace/AGENTS.md" not in args
        assert args.count("--ro-bind-fd") == len(fds) == 1  # .claude only
        assert "/workspace/gold.patch" in args
    finally:
        for fd in fds:
            os.close(fd)


# ----------------------------------------------------------------------------- bwrap

# each route reaches the file without naming it where a command check would see it
_READS = [
    "cat < $(echo gold).patch",
    "python3 -c \"print(open('sub/gold'+'.patch').read())\"",
    "cat link.patch",
    "d=su; cat ${d}b/*.patch",
    "python3 -c \"import os; os.link('sub/gold'+'.patch', 'hl'); print(open('hl').read())\"",
    "python3 -c \"print(open('.e'+'nv').read())\"",
    "g=gold; mv $g.patch x.txt; cat x.txt",
]
_WRITES = [
    "python3 -c \"open('AGE'+'NTS.md','a').write('evil')\"",
    "python3 -c \"import os; os.rename('AGE'+'NTS.md','x.md')\"",
    "python3 -c \"import os; os.remove('AGE'+'NTS.md')\"",
    "d=.clau; rm -f ${d}de/settings.json",
    "python3 -c \"open('.clau'+'de/new.json','w').write('{}')\"",
]


@needs_bwrap
@pytest.mark.parametrize("line", _READS)
def test_a_denied_file_cannot_be_read_by_any_route(tmp_path, line):
    _tree(tmp_path)
    with Sandbox(backend="bwrap", policy="default", workspace=tmp_path, monitor=False) as sb:
        r = sb.exec(["bash", "-c", line])
        assert "SECRET" not in r.stdout + r.stderr
        r = sb.exec(["cat", "ok.txt"])  # the rest of the workspace is as before
        assert r.stdout == "hi\n"
    assert (tmp_path / "gold.patch").read_text() == "SECRET-TOP\n"


@needs_bwrap
@pytest.mark.parametrize("line", _WRITES)
def test_control_plane_files_cannot_be_changed_without_an_approver(tmp_path, line):
    _tree(tmp_path)
    with Sandbox(backend="bwrap", policy="default", workspace=tmp_path, monitor=False) as sb:
        r = sb.exec(["bash", "-c", line])
        assert r.exit_code != 0
        r = sb.exec(["bash", "-c", "echo more >> ok.txt && cat AGENTS.md"])
        assert r.exit_code == 0 and r.stdout == "rules\n", r.stderr
    assert (tmp_path / "AGENTS.md").read_text() == "rules\n"
    assert sorted(p.name for p in (tmp_path / ".claude").iterdir()) == ["settings.json"]
    assert (tmp_path / "ok.txt").read_text() == "hi\nmore\n"


@needs_bwrap
def test_with_an_approver_asked_files_stay_writable_and_denied_ones_hidden(tmp_path):
    _tree(tmp_path)
    asked = []

    def answer(req):
        asked.append(req)
        return "yes"

    with Sandbox(
        backend="bwrap", policy="default", workspace=tmp_path, monitor=False,
        approver=Callback(answer),
    ) as sb:  # fmt: skip
        r = sb.exec(["bash", "-c", "python3 -c \"open('AGE'+'NTS.md','a').write('ok')\""])
        assert r.exit_code == 0, r.stderr
        r = sb.exec(["bash", "-c", "cat < $(echo gold).patch"])
        assert "SECRET" not in r.stdout and r.exit_code != 0
    assert (tmp_path / "AGENTS.md").read_text() == "rules\nok"


@needs_bwrap
def test_no_file_rules_no_walls(tmp_path):
    _tree(tmp_path)
    with Sandbox(backend="bwrap", policy="permissive", workspace=tmp_path, monitor=False) as sb:
        r = sb.exec(["bash", "-c", "cat < $(echo gold).patch; echo x >> AGENTS.md"])
        assert r.stdout == "SECRET-TOP\n" and r.exit_code == 0
    assert (tmp_path / "AGENTS.md").read_text() == "rules\nx\n"


def test_the_planner_sees_changes_between_starts(tmp_path):
    _tree(tmp_path)
    planner = filewalls.WallPlanner(_refused)
    first = {w.rel for w in planner.plan(tmp_path).walls}
    assert planner.plan(tmp_path).walls == filewalls.plan_walls(tmp_path, _refused).walls
    (tmp_path / "sub" / "deeper").mkdir()
    (tmp_path / "sub" / "deeper" / "gold.patch").write_text("x")
    (tmp_path / "gold.patch").unlink()
    again = {w.rel for w in planner.plan(tmp_path).walls}
    assert again == (first - {"gold.patch"}) | {"sub/deeper/gold.patch"}


def test_a_hidden_path_gone_since_the_walk_is_not_made_again(tmp_path):
    _tree(tmp_path)
    plan = filewalls.plan_walls(tmp_path, _refused)
    (tmp_path / "gold.patch").unlink()
    args, sources = filewalls.bwrap_args(plan, tmp_path, filewalls.make_blanks(tmp_path.parent))
    for s in sources:
        os.close(s.fd)
    assert "/workspace/gold.patch" not in args and "/workspace/sub/gold.patch" in args


def test_a_backend_option_cannot_turn_the_walls_off(tmp_path):
    with pytest.raises(ValueError, match="file_walls"):
        Sandbox(backend="bwrap", workspace=tmp_path, backend_options={"file_walls": None})


@needs("gvisor")
def test_gvisor_hides_denied_files(tmp_path):
    _tree(tmp_path)
    with Sandbox(backend="gvisor", policy="default", workspace=tmp_path, monitor=False) as sb:
        for line in _READS[:3]:
            r = sb.exec(["bash", "-c", line])
            assert "SECRET" not in r.stdout + r.stderr, line
        r = sb.run("cat ok.txt; cat AGENTS.md")
        assert r.stdout == "hi\nrules\n", r.stderr
    assert (tmp_path / "gold.patch").read_text() == "SECRET-TOP\n"


# ------------------------------------------------------- what a run left where no wall stood


def _plan(root: Path) -> filewalls.WallPlan:
    return filewalls.plan_walls(root, _refused)


def test_undone_finds_what_a_run_made_or_changed_under_a_refused_name(tmp_path):
    _tree(tmp_path)
    before = _plan(tmp_path)
    (tmp_path / "new" / ".claude").mkdir(parents=True)  # a new control-plane directory
    (tmp_path / "new" / ".claude" / "x.json").write_text("{}")
    (tmp_path / "new" / "AGENTS.md").write_text("obey\n")  # a new control-plane file
    (tmp_path / ".claude" / "settings.json").write_text('{"allow": "*"}\n')  # changed
    (tmp_path / "notes.txt").write_text("mine\n")  # the run's own work
    (tmp_path / "AGENTS.md").chmod(0o755)  # made executable: changed too
    stamp = os.stat(tmp_path / "ok.txt")
    got = filewalls.undone(before, _plan(tmp_path))
    assert got == [".claude/settings.json", "AGENTS.md", "new/.claude", "new/AGENTS.md"]
    before = _plan(tmp_path)
    os.chown(tmp_path / "AGENTS.md", 1234, 1234)  # a lent workspace given back: not a change
    assert filewalls.undone(before, _plan(tmp_path)) == []
    (tmp_path / ".claude" / "settings.json").write_text('{"allow": "**"}\n')
    os.utime(tmp_path / ".claude" / "settings.json", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    before2 = _plan(tmp_path)
    # its contents changed, its size and mtime as before
    (tmp_path / ".claude" / "settings.json").write_text('{"allow": "*!"}\n')
    os.utime(tmp_path / ".claude" / "settings.json", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert filewalls.undone(before2, _plan(tmp_path)) == [".claude/settings.json"]
    assert filewalls.undone(before, before) == []


def test_undone_trusts_no_partial_walk_and_goes_on_past_the_walls_bound(tmp_path):
    _tree(tmp_path)
    before = _plan(tmp_path)
    for i in range(5):  # more new control-plane files than there may be walls
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "AGENTS.md").write_text("x")
    after = filewalls.plan_walls(tmp_path, _refused, max_walls=2)
    assert after.cut is not None and not after.partial  # the walls stopped, not the walk
    assert [f"d{i}/AGENTS.md" for i in range(5)] == [
        r for r in filewalls.undone(before, after) if r.startswith("d")
    ]
    after = filewalls.plan_walls(tmp_path, _refused, max_entries=5)
    assert after.partial
    with pytest.raises(ValueError, match="more than 5 entries"):
        filewalls.undone(before, after)


def test_the_quarantine_keeps_a_bounded_amount(tmp_path):
    """Each run could leave its disk budget's worth under a walled name and have it moved
    out of the workspace (and so out of the budget) into the host's quarantine, for ever:
    the quarantine takes what fits in its room, and what does not fit is removed."""
    ws, q = tmp_path / "ws", tmp_path / "q"
    (ws / ".claude").mkdir(parents=True)
    (ws / ".claude" / "big").write_bytes(os.urandom(3 << 20))
    (ws / "AGENTS.md").write_text("small\n")
    room = filewalls.Room(bytes=2 << 20, entries=100)
    by = {m.rel: m for m in filewalls.move_out(ws, [".claude", "AGENTS.md"], q, room)}
    assert by[".claude"].to is None and "quarantine keeps at most" in by[".claude"].note
    assert not (ws / ".claude").exists()  # out of the workspace all the same
    assert by["AGENTS.md"].to is not None and (q / "AGENTS.md").read_text() == "small\n"
    assert room.bytes < 2 << 20 and room.entries == 99
    (ws / "many").mkdir()
    for i in range(150):
        (ws / "many" / str(i)).write_text("x")
    [m] = filewalls.move_out(ws, ["many"], q, room)
    assert m.to is None and not (ws / "many").exists()


def test_move_out_moves_names_and_never_follows_a_symlink(tmp_path):
    ws, q, outside = tmp_path / "ws", tmp_path / "q", tmp_path / "outside"
    (ws / "a" / ".claude").mkdir(parents=True)
    (ws / "a" / ".claude" / "s.json").write_text("{}")
    outside.mkdir()
    (outside / "AGENTS.md").write_text("host file\n")
    (ws / "AGENTS.md").symlink_to(outside / "AGENTS.md")  # the name moves, not its target
    (ws / "via").symlink_to(outside)  # a parent that is a symlink: left where it is
    moved = filewalls.move_out(ws, ["a/.claude", "AGENTS.md", "via/AGENTS.md"], q)
    by = {m.rel: m for m in moved}
    assert by["a/.claude"].to == str(q / "a%.claude") and by["a/.claude"].is_dir
    assert (q / "a%.claude" / "s.json").read_text() == "{}"
    assert not (ws / "a" / ".claude").exists()
    assert (q / "AGENTS.md").is_symlink() and not (ws / "AGENTS.md").exists()
    assert by["via/AGENTS.md"].to is None and "symlink" in by["via/AGENTS.md"].note
    assert (outside / "AGENTS.md").read_text() == "host file\n"
    assert oct((q).stat().st_mode & 0o777) == "0o700"
    # a path too long for one name in the quarantine is moved all the same
    deep = ws / "/".join(["d" * 60] * 6) / ".claude"
    deep.mkdir(parents=True)
    [m] = filewalls.move_out(ws, [str(deep.relative_to(ws))], q)
    assert m.to is not None and not deep.exists() and len(Path(m.to).name) <= 255
    # a second one of the same name gets a name of its own
    (ws / "a" / ".claude").mkdir()
    assert filewalls.move_out(ws, ["a/.claude"], q)[0].to == str(q / "a%.claude.1")


_PLANTS = [
    # a new repository's hook, written by a program whose file names the policy cannot read
    "mkdir r && cd r && git init -q && python3 -c \"open('.git/ho'+'oks/pre-commit','w')\"",
    "python3 -c \"import os; os.makedirs('sub/.git/ho'+'oks'); open('sub/.git/ho'+'oks/x','w')\"",
    # a new agent settings directory, made by a rename the walls had no name for
    "mkdir -p x && echo '{}' > x/settings.json && python3 -c \"import os; os.rename('x', 'sub/.clau'+'de')\"",
]


@needs_bwrap
@pytest.mark.parametrize("line", _PLANTS)
def test_a_run_cannot_leave_a_new_control_plane_file_behind(tmp_path, line):
    _tree(tmp_path)
    denied = []
    with Sandbox(backend="bwrap", policy="default", workspace=tmp_path, monitor=False) as sb:
        sb.events.bus.subscribe(
            lambda e: denied.append(e) if e.session == sb.session else None, ["action.denied"]
        )
        r = sb.exec(["bash", "-c", f"({line}); echo mine > notes.txt"])
        assert "taken out of the workspace after the run" in r.stderr
        quarantine = sb.quarantine
        r = sb.exec(["cat", "notes.txt"])  # the run's own work is there
        assert r.stdout == "mine\n"
    try:
        left = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")}
        for new in ("r/.git/hooks", "r/.git/config", "sub/.git/hooks", "sub/.claude"):
            assert not any(p == new or p.startswith(new + "/") for p in left), left
        assert "r/.git/HEAD" in left or not line.startswith("mkdir r")  # the rest is there
        assert quarantine is not None and any(quarantine.iterdir())
        files = [e for e in denied if e.action.kind == "file"]
        assert files and all(e.data["after_run"] and "moved to" in e.data["undone"] for e in files)
        assert all(e.decision.verdict == "ask" for e in files)
    finally:
        if quarantine is not None:
            from corral.deeptree import remove_tree

            remove_tree(quarantine, ignore_errors=True)
    # the files the task was set up with are as they were (walled, not moved)
    assert (tmp_path / ".git" / "hooks" / "pre-commit").read_text() == "hook\n"
    assert (tmp_path / ".claude" / "settings.json").read_text() == "{}\n"


@needs("gvisor")
def test_gvisor_takes_out_a_changed_hook(tmp_path):
    """gVisor has no read-only walls: a hook the task had, changed by a run, is taken out
    (and a new one made in a new repository too)."""
    _tree(tmp_path)
    with Sandbox(backend="gvisor", policy="default", workspace=tmp_path, monitor=False) as sb:
        r = sb.exec(["python3", "-c", "open('.git/ho'+'oks/pre-commit','w').write('evil')"])
        assert "taken out of the workspace" in r.stderr, r.stderr
        assert not (tmp_path / ".git" / "hooks" / "pre-commit").exists()
        q = sb.quarantine
        assert q is not None and (q / ".git%hooks%pre-commit").read_text() == "evil"
        r = sb.run("cat ok.txt")
        assert r.stdout == "hi\n"
    from corral.deeptree import remove_tree

    remove_tree(q, ignore_errors=True)


@needs_bwrap
def test_what_a_background_program_leaves_after_the_last_call_goes_at_close(tmp_path):
    _tree(tmp_path)
    sb = Sandbox(backend="bwrap", policy="default", workspace=tmp_path, monitor=False)
    try:
        plant = "import os, time; time.sleep(1.5); os.makedirs('new/.clau'+'de'); open('new/.clau'+'de/s.json','w')"
        r = sb.run(f"mkdir new; (python3 -c \"{plant}\" &) ; echo started")
        assert r.stdout == "started\n", r
        for _ in range(100):  # the host sees it written after the call's check
            if (tmp_path / "new" / ".claude" / "s.json").exists():
                break
            time.sleep(0.05)
        assert (tmp_path / "new" / ".claude").exists()
    finally:
        sb.close()
    assert not (tmp_path / "new" / ".claude").exists()
    assert sb.quarantine is not None and (sb.quarantine / "new%.claude" / "s.json").exists()
    from corral.deeptree import remove_tree

    remove_tree(sb.quarantine, ignore_errors=True)
