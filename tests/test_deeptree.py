"""Removing a tree an agent built, however deep: no recursion (``shutil.rmtree`` raised
``RecursionError`` in the host at ~1,000 levels, leaving the workspace on disk), a
bounded number of descriptors, symlinks removed and never followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import corral
from corral.deeptree import MAX_HELD, remove_tree, walk


def _chain(top: Path, depth: int) -> None:
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            os.close(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        os.symlink("/etc", "to-etc", dir_fd=fd)
    finally:
        os.close(fd)


@pytest.mark.parametrize("depth", [1, MAX_HELD - 1, MAX_HELD, MAX_HELD + 1, 5_000])
def test_a_chain_of_any_depth_is_removed(tmp_path: Path, depth: int) -> None:
    top = tmp_path / "t"
    top.mkdir()
    _chain(top, depth)
    fds = len(os.listdir("/proc/self/fd"))
    remove_tree(top)
    assert not top.exists() and os.listdir(tmp_path) == []
    assert len(os.listdir("/proc/self/fd")) == fds


def test_symlinks_inside_are_removed_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("x")
    top = tmp_path / "t"
    for i in range(300):
        (top / f"a{i % 7}" / f"b{i}").mkdir(parents=True)
    (top / "a1" / "dirlink").symlink_to(outside)
    (top / "filelink").symlink_to(outside / "keep")
    remove_tree(top)
    assert not top.exists() and (outside / "keep").read_text() == "x"


def test_the_top_may_not_be_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "keep").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError, match="symbolic link"):
        remove_tree(tmp_path / "link")
    remove_tree(tmp_path / "link", ignore_errors=True)
    assert (tmp_path / "real" / "keep").exists()


def test_errors_are_raised_or_ignored(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        remove_tree(tmp_path / "nope")
    remove_tree(tmp_path / "nope", ignore_errors=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        remove_tree(tmp_path / "file")


def test_relative_to_a_directory_descriptor(tmp_path: Path) -> None:
    (tmp_path / "x" / "y" / "z").mkdir(parents=True)
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        remove_tree("x", dir_fd=fd)
    finally:
        os.close(fd)
    assert os.listdir(tmp_path) == []


@pytest.mark.timeout(300)
def test_a_sandbox_with_a_deep_workspace_closes_cleanly(tmp_path: Path) -> None:
    sb = corral.Sandbox(budget=corral.Budget(wall_s=200))
    # the agent's shell starts the tree (each step's path resolution grows with the depth:
    # 1,100 steps took ~20 CPU s), the host carries it on past the ~1,000 levels where
    # shutil.rmtree recursed out of the stack; the sandbox sees it as the agent's
    r = sb.run("for i in $(seq 1 60); do mkdir d && cd d || break; done; pwd | wc -c")
    assert r.exit_code == 0 and int(r.stdout) == len("/workspace") + 60 * 2 + 1, r
    root = Path(sb.path)
    _chain(root.joinpath(*["d"] * 60), 1_100)
    assert root.exists()
    sb.close()  # shutil.rmtree raised RecursionError here
    assert not root.exists()


def test_walk_goes_as_deep_as_the_tree_and_never_through_a_symlink(tmp_path: Path) -> None:
    top = tmp_path / "t"
    top.mkdir()
    # os.walk of Python 3.11 raised RecursionError past ~1,000 levels; a path walk stops
    # where the path passes PATH_MAX (4,096 bytes: ~2,000 levels of "d/")
    _chain(top, 1_500)
    (top / "lnk").symlink_to(tmp_path)
    try:
        seen = list(walk(top))
    finally:
        remove_tree(top)  # pytest's own clean-up of old temporary trees recurses
    assert len(seen) == 1_501
    assert seen[0][0] == str(top) and seen[0][1] == ["d"] and sorted(seen[0][2]) == ["f", "lnk"]
    assert seen[-1][2] == ["to-etc"] and seen[-1][1] == []


def test_walk_matches_os_walk_top_down_with_pruning(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"a{i % 4}" / f"b{i % 5}" / f"c{i}").mkdir(parents=True, exist_ok=True)
        (tmp_path / f"a{i % 4}" / f"f{i}").write_text("x")

    def run(walker):  # type: ignore[no-untyped-def]
        out = []
        for dirpath, dirnames, filenames in walker(tmp_path):
            dirnames[:] = sorted(d for d in dirnames if d != "b3")
            out.append((dirpath, sorted(dirnames), sorted(filenames)))
        return sorted(out)

    assert run(walk) == run(os.walk)
