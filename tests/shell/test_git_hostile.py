"""``git`` on hostile repositories and paths: it reaches only the workspace, through
the shell's kernel-checked file layer, and answers with git-style errors.

Most cases run the built-in in-process (``BuiltinBench``: no Landlock, so corral's
own checks are what is tested); the last ones run in the sandbox's worker."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import Repo

from corral import Budget, Sandbox
from corral.shell.testing import BuiltinBench

ENV = {
    "HOME": "/workspace", "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x",
    "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@x",
    "GIT_AUTHOR_DATE": "@1700000000 +0000", "GIT_COMMITTER_DATE": "@1700000000 +0000",
}  # fmt: skip


@pytest.fixture
def bb() -> Iterator[BuiltinBench]:
    with BuiltinBench() as b:
        yield b


@pytest.fixture
def outside() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="corral-outside-"))
    (d / "secret").write_text("TOP SECRET\n")
    yield d
    for p in sorted(d.rglob("*"), reverse=True):
        p.unlink() if not p.is_dir() or p.is_symlink() else p.rmdir()
    d.rmdir()


def git(bb: BuiltinBench, *args: str):
    return bb.run(["git", *args], env=ENV)


def _init_with_commit(bb: BuiltinBench) -> None:
    assert git(bb, "init", "-q").status == 0
    bb.write("f", "x\n")
    assert git(bb, "add", "f").status == 0
    assert git(bb, "commit", "-qm", "one").status == 0


def _commit_tree(repo: Repo, entries: list[tuple[bytes, int, bytes]], branch: bytes) -> bytes:
    """A commit whose root tree holds ``entries`` verbatim (names unchecked)."""
    tree = Tree()
    for name, mode, sha in entries:
        tree.add(name, mode, sha)
    repo.object_store.add_object(tree)
    c = Commit()
    c.tree = tree.id
    c.author = c.committer = b"E <e@x>"
    c.author_time = c.commit_time = 1700000000
    c.author_timezone = c.commit_timezone = 0
    c.message = b"evil\n"
    repo.object_store.add_object(c)
    repo.refs[b"refs/heads/" + branch] = c.id
    return c.id


def _blob(repo: Repo, data: bytes) -> bytes:
    b = Blob.from_string(data)
    repo.object_store.add_object(b)
    return b.id


def test_symlink_inside_dot_git_is_refused(bb: BuiltinBench, outside: Path) -> None:
    _init_with_commit(bb)
    ref = bb.root / ".git" / "refs" / "heads" / "stolen"
    os.symlink(outside / "secret", ref)
    r = git(bb, "log", "--oneline")
    assert r.status == 128 and "symbolic link" in r.err and "TOP SECRET" not in r.out
    os.unlink(ref)
    os.symlink(outside, bb.root / ".git" / "objects" / "zz")
    r = git(bb, "status")
    assert r.status == 128 and "symbolic link" in r.err


def test_dot_git_itself_a_symlink_is_refused(bb: BuiltinBench, outside: Path) -> None:
    (outside / ".git").mkdir()
    os.symlink(outside / ".git", bb.root / ".git")
    r = git(bb, "status")
    assert r.status == 128 and "not a git directory" in r.err
    r = git(bb, "init")
    assert r.status == 128
    assert list((outside / ".git").iterdir()) == []


@pytest.mark.parametrize("name", [b"..", b".git", b".GIT", b"a/../../x", b"."])
def test_tree_entries_that_leave_the_tree_are_refused(bb: BuiltinBench, name: bytes) -> None:
    _init_with_commit(bb)
    repo = Repo(str(bb.root))
    sub = Tree()
    sub.add(b"pwned", 0o100644, _blob(repo, b"#!/bin/sh\necho pwned\n"))
    repo.object_store.add_object(sub)
    _commit_tree(repo, [(name, 0o040000, sub.id), (b"ok", 0o100644, _blob(repo, b"ok\n"))],
                 b"evil")  # fmt: skip
    r = git(bb, "checkout", "evil")
    assert r.status == 128 and "invalid path" in r.err, r.err
    assert not (bb.root.parent / "pwned").exists()
    assert not (bb.root / ".git" / "pwned").exists() and not (bb.root / "ok").exists()
    assert git(bb, "log", "--oneline").out.endswith("one\n")  # HEAD unchanged


def test_checkout_never_writes_through_a_committed_symlink(bb: BuiltinBench,
                                                          outside: Path) -> None:  # fmt: skip
    """commit 1: ``d -> OUTSIDE``; commit 2: ``d/secret`` a file. Switching from 1 to 2
    replaces the link with a directory; nothing outside changes."""
    _init_with_commit(bb)
    repo = Repo(str(bb.root))
    _commit_tree(repo, [(b"d", 0o120000, _blob(repo, os.fsencode(outside)))], b"one")
    sub = Tree()
    sub.add(b"secret", 0o100644, _blob(repo, b"overwritten\n"))
    repo.object_store.add_object(sub)
    _commit_tree(repo, [(b"d", 0o040000, sub.id)], b"two")
    assert git(bb, "checkout", "-q", "one").status == 0
    assert os.path.islink(bb.root / "d")
    r = git(bb, "checkout", "two")
    assert r.status == 0, r.err
    assert (outside / "secret").read_text() == "TOP SECRET\n"
    assert (bb.root / "d" / "secret").read_text() == "overwritten\n"
    assert not stat.S_ISLNK(os.lstat(bb.root / "d").st_mode)


def test_add_beyond_a_symlink_or_outside_is_refused(bb: BuiltinBench, outside: Path) -> None:
    _init_with_commit(bb)
    os.symlink(outside, bb.root / "link")
    r = git(bb, "add", "link/secret")
    assert r.status == 128 and "did not match" in r.err
    r = git(bb, "add", "../x")
    assert r.status == 128 and "outside" in r.err
    assert git(bb, "add", "link").status == 0  # the link itself, as git stores it
    r = git(bb, "show", ":link")
    assert r.out == str(outside)
    r = bb.run(["git", "-C", "/etc", "status"], env=ENV)
    assert r.status != 0 and "outside /workspace" in r.err


def test_hooks_never_run(bb: BuiltinBench) -> None:
    assert git(bb, "init", "-q").status == 0
    hook = bb.root / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\ntouch /tmp/corral-hook-ran\n")
    hook.chmod(0o755)
    bb.write("f", "x\n")
    git(bb, "add", "f")
    assert git(bb, "commit", "-qm", "m").status == 0
    assert not os.path.exists("/tmp/corral-hook-ran")


def test_a_file_over_the_memory_share_is_refused() -> None:
    with BuiltinBench(Budget(memory_mb=4)) as bb:
        assert git(bb, "init", "-q").status == 0
        bb.write("big", b"x" * (3 << 20))
        r = git(bb, "add", "big")
        assert r.status == 128 and "too large" in r.err


def test_unknown_subcommand_and_option(bb: BuiltinBench) -> None:
    r = git(bb, "frobnicate")
    assert r.status == 1 and r.err == "git: 'frobnicate' is not a git command. See 'git --help'.\n"
    git(bb, "init", "-q")
    r = git(bb, "commit", "--frob")
    assert r.status == 129 and r.err.startswith("error: unknown option `frob'")
    r = git(bb, "status", "-Z")
    assert r.status == 129 and "unknown switch `Z'" in r.err


def test_corrupt_objects_are_an_error_not_a_traceback(bb: BuiltinBench) -> None:
    _init_with_commit(bb)
    head = (bb.root / ".git" / "refs" / "heads" / "master").read_text().strip()
    obj = bb.root / ".git" / "objects" / head[:2] / head[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"\x78\x9c garbage")
    r = git(bb, "log")
    assert r.status == 128 and r.err.startswith("fatal: ") and "Traceback" not in r.err


def test_in_the_worker_dulwich_stays_in_the_workspace(outside: Path) -> None:
    """In the sandbox the same refusals hold, and git works after Landlock is on
    (dulwich's modules were imported by the template before)."""
    with Sandbox(budget=Budget(wall_s=60)) as sb:
        r = sb.run(
            "git init -q && echo x > f && git add f && "
            "git -c user.name=A -c user.email=a@x commit -qm one && git log --oneline && "
            f"ln -s {outside}/secret .git/refs/heads/stolen; git branch; echo rc=$?"
        )
        assert "one\n" in r.stdout and "rc=128" in r.stdout
        assert "TOP SECRET" not in r.stdout and "symbolic link" in r.stderr


def test_the_worker_can_read_dulwich_after_landlock_and_nothing_more() -> None:
    """git is imported on first use in the worker: Landlock keeps exactly corral's git
    package and dulwich's readable (wherever site-packages lies, e.g. a venv)."""
    import dulwich

    import corral.shell.git as cg
    from corral.wasm.worker import _lazy_packages

    dirs = _lazy_packages()
    assert os.path.realpath(os.path.dirname(dulwich.__file__)) in dirs
    assert os.path.realpath(os.path.dirname(cg.__file__)) in dirs
    assert len(dirs) == 2


@pytest.mark.parametrize("head", ["ref: ../../../../../../../../tmp/x\n", "ref: refs/heads/../../x\n",
                                  "garbage\n", ""])  # fmt: skip
def test_a_head_that_points_anywhere_else_is_refused(bb: BuiltinBench, head: str) -> None:
    _init_with_commit(bb)
    (bb.root / ".git" / "HEAD").write_text(head)
    for args in (["log"], ["status"], ["commit", "-qm", "y", "--allow-empty"]):
        r = git(bb, *args)
        assert r.status == 128 and "HEAD" in r.err, (args, r.err)


def test_a_decompression_bomb_object_is_a_clean_error() -> None:
    """A 1 GiB-when-inflated loose object (about 1 MB on disk): the worker's memory limit stops the
    read; git says so and the sandbox goes on."""
    import zlib

    with Sandbox(budget=Budget(wall_s=60, memory_mb=256)) as sb:
        r = sb.run("git init -q && echo x > f && git add f && "
                   "git -c user.name=a -c user.email=a@x commit -qm one && echo ok")  # fmt: skip
        assert r.stdout == "ok\n", r.stderr
        size = 1 << 30
        co = zlib.compressobj(1)
        zeros = b"\0" * (1 << 24)
        data = co.compress(b"blob %d\0" % size) + b"".join(
            co.compress(zeros) for _ in range(size // len(zeros))
        ) + co.flush()
        sha = "ab" * 20
        d = sb._ws.root / ".git" / "objects" / sha[:2]
        d.mkdir(exist_ok=True)
        (d / sha[2:]).write_bytes(data)
        r = sb.run(f"git show {sha} > /dev/null; echo rc=$?; git log --oneline")
        assert "rc=128" in r.stdout and r.stdout.endswith(" one\n"), (r.stdout, r.stderr)
        assert "out of memory" in r.stderr and "Traceback" not in r.stderr


def test_real_git_commands_it_lacks_say_so(bb: BuiltinBench) -> None:
    r = git(bb, "push")
    assert r.status == 1 and "not supported by corral's git" in r.err


def test_reading_commands_never_follow_a_link_out(outside: Path) -> None:
    """A tracked path whose directory became a link to outside the workspace: grep,
    ls-files and cat-file read nothing there (the file counts as gone)."""
    with Sandbox() as sb:
        r = sb.run(
            "git init -q && mkdir d && echo 'TOP SECRET' > d/secret && git add d/secret"
            " && git -c user.name=a -c user.email=b commit -qm m && rm -r d && echo ok"
        )
        assert r.stdout == "ok\n", r.stderr
        os.symlink(outside, sb._ws.root / "d")
        r = sb.run("git grep SECRET; echo rc=$?; git ls-files -d; git grep -l TOP -- d")
        assert r.stdout == "rc=1\nd/secret\n", (r.stdout, r.stderr)
        r = sb.run("git grep --cached -c SECRET; git cat-file -p HEAD:d/secret")
        assert r.stdout == "d/secret:1\nTOP SECRET\n"  # (the committed blob, not the file)


def test_clean_removes_links_not_what_they_point_at(outside: Path) -> None:
    with Sandbox() as sb:
        r = sb.run("git init -q && echo x > f && git add f && git -c user.name=a"
                   " -c user.email=b commit -qm m && echo ok")
        assert r.stdout == "ok\n", r.stderr
        os.symlink(outside, sb._ws.root / "dirlink")
        os.symlink(outside / "secret", sb._ws.root / "filelink")
        (sb._ws.root / "junk").mkdir()
        os.symlink(outside, sb._ws.root / "junk" / "inner")
        r = sb.run("git clean -fdx; ls -A")
        assert r.stdout == ("Removing dirlink\nRemoving filelink\nRemoving junk/\n"
                            ".git\nf\n"), (r.stdout, r.stderr)
        assert (outside / "secret").read_text() == "TOP SECRET\n"
