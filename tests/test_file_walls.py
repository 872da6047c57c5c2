"""The policy's file rules inside the workspace as mounts on the bwrap tier
(corral.native.filewalls): what a real program cannot reach, whatever route it takes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral import Sandbox
from corral.native import filewalls
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
