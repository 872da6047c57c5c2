"""Tests for the file built-ins (corral.shell.builtins.files).

Expected outputs were produced by the real tools on the reference machine (GNU
coreutils 9.1, findutils 4.9, tar 1.34, gzip 1.12) run with LC_ALL=C and TZ=UTC
over the same trees (mtimes fixed with os.utime), then hard-coded here. Owner
and group are always 'user' in the sandbox where GNU printed 'root'.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import time
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.shell.testing import BuiltinBench

T0 = 1704164645  # 2024-01-02 03:04:05 UTC
T1 = 1704240000  # 2024-01-03 00:00:00 UTC


@pytest.fixture
def bb():
    with BuiltinBench() as b:
        yield b


def tree(b: BuiltinBench) -> Path:
    """The standard tree (as used for the GNU reference runs)."""
    r = b.root
    (r / "d" / "sub").mkdir(parents=True)
    (r / "e").mkdir()
    (r / "a").write_bytes(b"hello\n")
    (r / "big").write_bytes(b"x" * 2000)
    os.chmod(r / "big", 0o755)
    (r / "d" / "f.txt").write_bytes(b"one\ntwo\n")
    (r / "d" / "sub" / "g.PY").write_bytes(b"B\n")
    (r / "empty").write_bytes(b"")
    (r / ".hid").write_bytes(b"hid\n")
    os.symlink("a", r / "la")
    os.symlink("d", r / "ld")
    os.symlink("/etc", r / "lout")
    os.symlink("nowhere", r / "dang")
    for p in sorted(r.rglob("*"), reverse=True):
        os.utime(p, (T0, T0), follow_symlinks=False)
    os.utime(r / "big", (T1, T1))
    return r


def names(b: BuiltinBench) -> list[str]:
    return sorted(str(p.relative_to(b.root)) for p in b.root.rglob("*"))


# ---------------------------------------------------------------------------
# cat
# ---------------------------------------------------------------------------


def test_cat_concatenates_files(bb):
    tree(bb)
    r = bb.run(["cat", "a", "d/f.txt"])
    assert (r.status, r.out, r.err) == (0, "hello\none\ntwo\n", "")


def test_cat_number_continues_across_files_and_partial_lines(bb):
    bb.write("nonl", b"x")
    bb.write("c1", b"a\n\n\n\tb\x01\x80\xff\x7f\n\nc")
    r = bb.run(["cat", "-n", "nonl", "c1"])
    assert r.stdout == (
        b"     1\txa\n     2\t\n     3\t\n     4\t\tb\x01\x80\xff\x7f\n     5\t\n     6\tc"
    )


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["-b"], b"     1\ta\n\n\n     2\t\tb\x01\x80\xff\x7f\n\n     3\tc"),
        (["-s"], b"a\n\n\tb\x01\x80\xff\x7f\n\nc"),
        (["-A"], b"a$\n$\n$\n^Ib^AM-^@M-^?^?$\n$\nc"),
        (["-E"], b"a$\n$\n$\n\tb\x01\x80\xff\x7f$\n$\nc"),
        (["-T"], b"a\n\n\n^Ib\x01\x80\xff\x7f\n\nc"),
        (["-ns"], b"     1\ta\n     2\t\n     3\t\tb\x01\x80\xff\x7f\n     4\t\n     5\tc"),
        (["-bn"], b"     1\ta\n\n\n     2\t\tb\x01\x80\xff\x7f\n\n     3\tc"),
    ],
)
def test_cat_options(bb, flags, expected):
    bb.write("c1", b"a\n\n\n\tb\x01\x80\xff\x7f\n\nc")
    assert bb.run(["cat", *flags, "c1"]).stdout == expected


def test_cat_errors_continue_and_exit_1(bb):
    tree(bb)
    r = bb.run(["cat", "nope", "a", "d"])
    assert r.status == 1
    assert r.out == "hello\n"
    assert r.err == "cat: nope: No such file or directory\ncat: d: Is a directory\n"


def test_cat_stdin_dash_and_default(bb):
    bb.write("a", "A\n")
    assert bb.run(["cat", "a", "-", "a"], stdin=b"in\n").stdout == b"A\nin\nA\n"
    assert bb.run(["cat"], stdin=b"only\n").stdout == b"only\n"


def test_cat_bad_option(bb):
    r = bb.run(["cat", "-Z"])
    assert (r.status, r.err) == (
        1,
        "cat: invalid option -- 'Z'\nTry 'cat --help' for more information.\n",
    )
    r = bb.run(["cat", "--foo"])
    assert r.err == "cat: unrecognized option '--foo'\nTry 'cat --help' for more information.\n"


def test_cat_binary_and_large_input_stream(bb):
    data = bytes(range(256)) * 40000  # ~10 MB
    r = bb.run(["cat"], stdin=data)
    assert r.stdout == data
    bb.write("bin", data)
    assert bb.run(["cat", "-", "bin"], stdin=b"").stdout == data


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "lout/passwd"])
def test_cat_refuses_paths_outside(bb, path):
    tree(bb)
    r = bb.run(["cat", path])
    assert r.status == 1
    assert r.err == f"cat: {path}: Permission denied (outside /workspace)\n"
    assert r.stdout == b""


# ---------------------------------------------------------------------------
# ls
# ---------------------------------------------------------------------------


def test_ls_default_and_hidden(bb):
    tree(bb)
    assert bb.run(["ls"]).out == "a\nbig\nd\ndang\ne\nempty\nla\nld\nlout\n"
    assert bb.run(["ls", "-A"]).out == ".hid\na\nbig\nd\ndang\ne\nempty\nla\nld\nlout\n"
    assert bb.run(["ls", "-a", "e"]).out == ".\n..\n"


def test_ls_c_locale_order(bb):
    for n in ["b", "B", "a", "_x", "A", "10", "9", "é"]:
        bb.write(n, "")
    assert bb.run(["ls"]).out == "10\n9\nA\nB\n_x\na\nb\né\n"


def test_ls_long_files_and_links(bb):
    tree(bb)
    r = bb.run(["ls", "-l", "a", "big", "empty", "la", "dang", "lout"])
    assert r.status == 0
    assert r.out == (
        "-rw-r--r-- 1 user user    6 Jan  2  2024 a\n"
        "-rwxr-xr-x 1 user user 2000 Jan  3  2024 big\n"
        "lrwxrwxrwx 1 user user    7 Jan  2  2024 dang -> nowhere\n"
        "-rw-r--r-- 1 user user    0 Jan  2  2024 empty\n"
        "lrwxrwxrwx 1 user user    1 Jan  2  2024 la -> a\n"
        "lrwxrwxrwx 1 user user    4 Jan  2  2024 lout -> /etc\n"
    )


def test_ls_long_total_and_recent_time(bb):
    bb.write("x/e1", "")
    bb.write("x/e2", "")
    recent = time.time() - 3600
    os.utime(bb.root / "x" / "e1", (recent, recent))
    os.utime(bb.root / "x" / "e2", (T0, T0))
    r = bb.run(["ls", "-l", "x"])
    stamp = time.strftime("%b %e %H:%M", time.gmtime(recent))
    assert r.out == (
        f"total 0\n-rw-r--r-- 1 user user 0 {stamp} e1\n-rw-r--r-- 1 user user 0 Jan  2  2024 e2\n"
    )


def test_ls_human_sizes(bb):
    for n in (1023, 1024, 1025, 10239, 1048576, 1572864):
        with open(bb.root / f"s{n}", "wb") as f:
            f.truncate(n)
        os.utime(bb.root / f"s{n}", (T0, T0))
    r = bb.run(["ls", "-lhS"])
    assert r.out.splitlines()[1:] == [
        "-rw-r--r-- 1 user user 1.5M Jan  2  2024 s1572864",
        "-rw-r--r-- 1 user user 1.0M Jan  2  2024 s1048576",
        "-rw-r--r-- 1 user user  10K Jan  2  2024 s10239",
        "-rw-r--r-- 1 user user 1.1K Jan  2  2024 s1025",
        "-rw-r--r-- 1 user user 1.0K Jan  2  2024 s1024",
        "-rw-r--r-- 1 user user 1023 Jan  2  2024 s1023",
    ]


def test_ls_classify(bb):
    tree(bb)
    assert bb.run(["ls", "-F"]).out == "a\nbig*\nd/\ndang@\ne/\nempty\nla@\nld@\nlout@\n"
    r = bb.run(["ls", "-lF", "ld", "la"])
    assert r.out == (
        "lrwxrwxrwx 1 user user 1 Jan  2  2024 la -> a\n"
        "lrwxrwxrwx 1 user user 1 Jan  2  2024 ld -> d/\n"
    )
    assert bb.run(["ls", "-p", "d"]).out == "f.txt\nsub/\n"


def test_ls_recursive(bb):
    tree(bb)
    assert bb.run(["ls", "-R", "d"]).out == "d:\nf.txt\nsub\n\nd/sub:\ng.PY\n"
    assert bb.run(["ls", "-R", "d/"]).out == "d/:\nf.txt\nsub\n\nd/sub:\ng.PY\n"


def test_ls_sorting(bb):
    tree(bb)
    assert bb.run(["ls", "-t", "a", "big", "empty"]).out == "big\na\nempty\n"
    assert bb.run(["ls", "-S", "a", "big", "empty"]).out == "big\na\nempty\n"
    assert bb.run(["ls", "-r"]).out == "lout\nld\nla\nempty\ne\ndang\nd\nbig\na\n"
    assert bb.run(["ls", "-tr", "a", "big", "empty"]).out == "empty\na\nbig\n"


def test_ls_operands_files_then_dirs(bb):
    tree(bb)
    r = bb.run(["ls", "a", "nope", "d", "e"])
    assert r.status == 2
    assert r.err == "ls: cannot access 'nope': No such file or directory\n"
    assert r.out == "a\n\nd:\nf.txt\nsub\n\ne:\n"
    assert bb.run(["ls", "-d", "d", "a"]).out == "a\nd\n"


def test_ls_symlink_operands(bb):
    tree(bb)
    assert bb.run(["ls", "ld"]).out == "f.txt\nsub\n"
    assert bb.run(["ls", "-d", "ld"]).out == "ld\n"
    # a link out of the sandbox is listed as a name, never followed
    r = bb.run(["ls", "lout", "dang"])
    assert (r.status, r.out) == (0, "dang\nlout\n")


def test_ls_outside_and_bad_option(bb):
    r = bb.run(["ls", "../.."])
    assert r.status == 2
    assert r.err == "ls: cannot access '../..': Permission denied (outside /workspace)\n"
    r = bb.run(["ls", "-j"])
    assert (r.status, r.err) == (
        2,
        "ls: invalid option -- 'j'\nTry 'ls --help' for more information.\n",
    )


def test_ls_full_time_and_numeric(bb):
    tree(bb)
    assert bb.run(["ls", "--full-time", "a"]).out == (
        "-rw-r--r-- 1 user user 6 2024-01-02 03:04:05.000000000 +0000 a\n"
    )
    assert bb.run(["ls", "-n", "a"]).out == "-rw-r--r-- 1 1000 1000 6 Jan  2  2024 a\n"
    assert bb.run(["ls", "-lg", "a"]).out == "-rw-r--r-- 1 user 6 Jan  2  2024 a\n"


# ---------------------------------------------------------------------------
# cp
# ---------------------------------------------------------------------------


def test_cp_file_and_into_dir(bb):
    tree(bb)
    assert bb.run(["cp", "big", "b2"]).status == 0
    assert bb.read("b2") == b"x" * 2000
    assert os.stat(bb.root / "b2").st_mode & 0o777 == 0o755
    assert bb.run(["cp", "a", "d/f.txt", "e"]).status == 0
    assert bb.read("e/a") == b"hello\n" and bb.read("e/f.txt") == b"one\ntwo\n"


def test_cp_directory_needs_r(bb):
    tree(bb)
    r = bb.run(["cp", "d", "e"])
    assert (r.status, r.err) == (1, "cp: -r not specified; omitting directory 'd'\n")
    assert bb.run(["cp", "-r", "d", "e"]).status == 0
    assert bb.run(["cp", "-r", "d", "newd"]).status == 0
    assert bb.read("e/d/sub/g.PY") == b"B\n"
    assert bb.read("newd/sub/g.PY") == b"B\n"


def test_cp_recursive_copies_symlinks_as_links(bb):
    tree(bb)
    os.symlink("../a", bb.root / "d" / "up")
    assert bb.run(["cp", "-r", "d", "copy"]).status == 0
    assert os.readlink(bb.root / "copy" / "up") == "../a"
    assert bb.run(["cp", "-r", "lout", "z"]).status == 0
    assert os.readlink(bb.root / "z") == "/etc"


def test_cp_no_clobber_and_preserve(bb):
    tree(bb)
    assert bb.run(["cp", "-n", "a", "d/f.txt"]).status == 0
    assert bb.read("d/f.txt") == b"one\ntwo\n"
    assert bb.run(["cp", "-p", "big", "p"]).status == 0
    assert os.stat(bb.root / "p").st_mtime == T1
    assert bb.run(["cp", "big", "np"]).status == 0
    assert os.stat(bb.root / "np").st_mtime != T1


def test_cp_errors(bb):
    tree(bb)
    cases = [
        (["cp", "a", "a"], "cp: 'a' and 'a' are the same file\n"),
        (["cp", "-r", "d", "d/x"], "cp: cannot copy a directory, 'd', into itself, 'd/x'\n"),
        (["cp", "x", "y"], "cp: cannot stat 'x': No such file or directory\n"),
        (["cp", "a", "b", "c"], "cp: target 'c': No such file or directory\n"),
        (["cp", "a", "big", "empty"], "cp: target 'empty' is not a directory\n"),
        (["cp"], "cp: missing file operand\nTry 'cp --help' for more information.\n"),
        (
            ["cp", "a"],
            "cp: missing destination file operand after 'a'\n"
            "Try 'cp --help' for more information.\n",
        ),
        (["cp", "-r", "d", "a"], "cp: cannot overwrite non-directory 'a' with directory 'd'\n"),
        (["cp", "dang", "z"], "cp: cannot stat 'dang': No such file or directory\n"),
    ]
    for argv, err in cases:
        r = bb.run(argv)
        assert (r.status, r.err) == (1, err), argv


def test_cp_verbose(bb):
    tree(bb)
    assert bb.run(["cp", "-v", "a", "b"]).out == "'a' -> 'b'\n"
    r = bb.run(["cp", "-rv", "d", "e"])
    assert r.out == (
        "'d' -> 'e/d'\n'd/f.txt' -> 'e/d/f.txt'\n'd/sub' -> 'e/d/sub'\n"
        "'d/sub/g.PY' -> 'e/d/sub/g.PY'\n"
    )


def test_cp_outside_is_refused(bb):
    tree(bb)
    r = bb.run(["cp", "/etc/passwd", "x"])
    assert r.status == 1
    assert r.err == "cp: cannot stat '/etc/passwd': Permission denied (outside /workspace)\n"
    r = bb.run(["cp", "a", "../x"])
    assert r.err == "cp: cannot create '../x': Permission denied (outside /workspace)\n"
    r = bb.run(["cp", "a", "lout/x"])
    assert r.status == 1 and not os.path.exists("/etc/x")


def test_cp_stops_at_disk_budget():
    with BuiltinBench(Budget(disk_mb=1)) as b:
        b.write("half", b"a" * 600_000)
        r = b.run(["cp", "half", "half2"])
        assert r.status == 1
        assert r.err == (
            "cp: error writing 'half2': No space left on device (disk budget of 1 MB)\n"
        )


# ---------------------------------------------------------------------------
# mv, rm
# ---------------------------------------------------------------------------


def test_mv_rename_and_into_dir(bb):
    tree(bb)
    assert bb.run(["mv", "-v", "a", "b"]).out == "renamed 'a' -> 'b'\n"
    assert bb.run(["mv", "b", "big", "e"]).status == 0
    assert sorted(os.listdir(bb.root / "e")) == ["b", "big"]
    assert bb.run(["mv", "d", "e"]).status == 0
    assert bb.read("e/d/f.txt") == b"one\ntwo\n"


def test_mv_errors(bb):
    tree(bb)
    (bb.root / "e" / "d").mkdir()
    (bb.root / "e" / "d" / "k").write_bytes(b"")
    cases = [
        (["mv", "d", "e"], "mv: cannot move 'd' to 'e/d': Directory not empty\n"),
        (["mv", "a", "a"], "mv: 'a' and 'a' are the same file\n"),
        (["mv", "x", "y"], "mv: cannot stat 'x': No such file or directory\n"),
        (["mv", "d", "d/s"], "mv: cannot move 'd' to a subdirectory of itself, 'd/s'\n"),
        (["mv", "d", "empty"], "mv: cannot overwrite non-directory 'empty' with directory 'd'\n"),
        (["mv", "a", "big", "c"], "mv: target 'c': No such file or directory\n"),
        (
            ["mv", "a", "/tmp/x"],
            "mv: cannot move 'a' to '/tmp/x': Permission denied (outside /workspace)\n",
        ),
    ]
    for argv, err in cases:
        r = bb.run(argv)
        assert (r.status, r.err) == (1, err), argv
    assert bb.run(["mv", "-n", "a", "big"]).status == 0
    assert bb.read("big") == b"x" * 2000


def test_rm_files_and_dirs(bb):
    tree(bb)
    assert bb.run(["rm", "-v", "a", "big"]).out == "removed 'a'\nremoved 'big'\n"
    r = bb.run(["rm", "d"])
    assert (r.status, r.err) == (1, "rm: cannot remove 'd': Is a directory\n")
    r = bb.run(["rm", "-d", "d"])
    assert r.err == "rm: cannot remove 'd': Directory not empty\n"
    assert bb.run(["rm", "-d", "e"]).status == 0
    r = bb.run(["rm", "-rv", "d"])
    assert r.out == (
        "removed 'd/f.txt'\nremoved 'd/sub/g.PY'\nremoved directory 'd/sub'\nremoved directory 'd'\n"
    )
    assert not (bb.root / "d").exists()


def test_rm_missing_and_force(bb):
    r = bb.run(["rm", "x"])
    assert (r.status, r.err) == (1, "rm: cannot remove 'x': No such file or directory\n")
    assert bb.run(["rm", "-f", "x"]).status == 0
    assert bb.run(["rm", "-f"]).status == 0
    r = bb.run(["rm"])
    assert r.err == "rm: missing operand\nTry 'rm --help' for more information.\n"


def test_rm_refuses_workspace_and_dot(bb):
    tree(bb)
    for argv in (["rm", "-rf", "/workspace"], ["rm", "-rf", "/workspace/"], ["rm", "-r", "d/.."]):
        r = bb.run(argv)
        assert r.status == 1
    assert bb.run(["rm", "-rf", "/workspace"]).err == "rm: refusing to remove '/workspace'\n"
    assert bb.run(["rm", "-rf", "."]).err == (
        "rm: refusing to remove '.' or '..' directory: skipping '.'\n"
    )
    assert (bb.root / "a").exists()


def test_rm_recursive_never_follows_links(bb):
    tree(bb)
    assert bb.run(["rm", "-r", "ld", "lout"]).status == 0
    assert (bb.root / "d" / "f.txt").exists() and os.path.isdir("/etc")
    assert not os.path.lexists(bb.root / "ld")
    r = bb.run(["rm", "/etc/passwd"])
    assert r.err == "rm: cannot remove '/etc/passwd': Permission denied (outside /workspace)\n"
    r = bb.run(["rm", "-i", "a"])
    assert r.status == 1 and (bb.root / "a").exists()


# ---------------------------------------------------------------------------
# mkdir, rmdir, touch, ln
# ---------------------------------------------------------------------------


def test_mkdir(bb):
    tree(bb)
    assert bb.run(["mkdir", "-v", "m"]).out == "mkdir: created directory 'm'\n"
    r = bb.run(["mkdir", "-pv", "q/r"])
    assert r.out == "mkdir: created directory 'q'\nmkdir: created directory 'q/r'\n"
    assert bb.run(["mkdir", "-p", "d/sub"]).status == 0
    cases = [
        (["mkdir", "a"], "mkdir: cannot create directory 'a': File exists\n"),
        (["mkdir", "x/y"], "mkdir: cannot create directory 'x/y': No such file or directory\n"),
        (["mkdir", "-p", "a/x"], "mkdir: cannot create directory 'a': Not a directory\n"),
        (
            ["mkdir", "/tmp/x"],
            "mkdir: cannot create directory '/tmp/x': Permission denied (outside /workspace)\n",
        ),
    ]
    for argv, err in cases:
        r = bb.run(argv)
        assert (r.status, r.err) == (1, err), argv
    assert bb.run(["mkdir", "-m", "700", "mm"]).status == 0
    assert os.stat(bb.root / "mm").st_mode & 0o777 == 0o700
    assert bb.run(["mkdir", "-m", "u=rwx,g=rx", "m2"]).status == 0
    assert os.stat(bb.root / "m2").st_mode & 0o777 == 0o757  # relative to a=rwx, like GNU


def test_rmdir(bb):
    tree(bb)
    cases = [
        (["rmdir", "d"], "rmdir: failed to remove 'd': Directory not empty\n"),
        (["rmdir", "a"], "rmdir: failed to remove 'a': Not a directory\n"),
        (["rmdir", "zz"], "rmdir: failed to remove 'zz': No such file or directory\n"),
    ]
    for argv, err in cases:
        r = bb.run(argv)
        assert (r.status, r.err) == (1, err), argv
    (bb.root / "p" / "q").mkdir(parents=True)
    r = bb.run(["rmdir", "-pv", "p/q"])
    assert r.out == "rmdir: removing directory, 'p/q'\nrmdir: removing directory, 'p'\n"
    assert not (bb.root / "p").exists()
    assert bb.run(["rmdir", "--ignore-fail-on-non-empty", "d"]).status == 0


def test_touch_creates_and_sets_times(bb):
    tree(bb)
    assert bb.run(["touch", "new"]).status == 0 and (bb.root / "new").exists()
    assert bb.run(["touch", "-c", "nope"]).status == 0 and not (bb.root / "nope").exists()
    bb.run(["touch", "-d", "2024-01-05 03:04:05", "a"])
    assert os.stat(bb.root / "a").st_mtime == 1704423845
    bb.run(["touch", "-t", "202301020304.05", "a"])
    assert os.stat(bb.root / "a").st_mtime == 1672628645
    bb.run(["touch", "-d", "@0", "a"])
    assert os.stat(bb.root / "a").st_mtime == 0
    bb.run(["touch", "-r", "big", "a"])
    assert os.stat(bb.root / "a").st_mtime == T1
    bb.run(["touch", "-a", "-d", "@5", "a"])
    st = os.stat(bb.root / "a")
    assert (st.st_atime, st.st_mtime) == (5, T1)


def test_touch_errors(bb):
    r = bb.run(["touch", "x/y"])
    assert (r.status, r.err) == (1, "touch: cannot touch 'x/y': No such file or directory\n")
    r = bb.run(["touch", "-d", "garbage", "a"])
    assert (r.status, r.err) == (1, "touch: invalid date format 'garbage'\n")
    r = bb.run(["touch", "/tmp/corral-touch-test"])
    assert r.status == 1 and not os.path.exists("/tmp/corral-touch-test")


def test_ln_symbolic_and_hard(bb):
    tree(bb)
    assert bb.run(["ln", "-s", "a", "l"]).status == 0
    assert os.readlink(bb.root / "l") == "a"
    assert bb.run(["ln", "a", "h"]).status == 0
    assert os.stat(bb.root / "h").st_ino == os.stat(bb.root / "a").st_ino
    assert bb.run(["ln", "-sv", "a", "d"]).out == "'d/a' -> 'a'\n"
    assert bb.run(["ln", "-sfv", "big", "la"]).out == "'la' -> 'big'\n"
    assert bb.run(["ln", "-sfn", "a", "ld"]).status == 0
    assert os.readlink(bb.root / "ld") == "a"
    # a link may point anywhere; reading through it is what gets refused
    assert bb.run(["ln", "-s", "/etc/passwd", "pw"]).status == 0
    assert bb.run(["cat", "pw"]).err == "cat: pw: Permission denied (outside /workspace)\n"


def test_ln_errors(bb):
    tree(bb)
    cases = [
        (["ln", "-s", "a", "la"], "ln: failed to create symbolic link 'la': File exists\n"),
        (["ln", "a", "la"], "ln: failed to create hard link 'la': File exists\n"),
        (["ln", "x", "y"], "ln: failed to access 'x': No such file or directory\n"),
        (["ln", "d", "dd"], "ln: d: hard link not allowed for directory\n"),
        (
            ["ln", "-s", "a", "/tmp/zz"],
            "ln: failed to create symbolic link '/tmp/zz': Permission denied (outside /workspace)\n",
        ),
        (
            ["ln", "a", "lout/zz"],
            "ln: failed to create hard link 'lout/zz': Permission denied (outside /workspace)\n",
        ),
        (["ln"], "ln: missing file operand\nTry 'ln --help' for more information.\n"),
    ]
    for argv, err in cases:
        r = bb.run(argv)
        assert (r.status, r.err) == (1, err), argv


# ---------------------------------------------------------------------------
# chmod
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "mode", "expected"),
    [
        (0o644, "600", 0o600),
        (0o444, "+w", 0o644),
        (0o644, "a-w", 0o444),
        (0o644, "u+x,go-w", 0o744),
        (0o755, "a=r", 0o444),
        (0o755, "g=u", 0o775),
        (0o755, "g=u,o=g", 0o777),
        (0o644, "4755", 0o4755),
        (0o755, "u-s,+t", 0o1755),
        (0o644, "=x", 0o111),
        (0o644, "u=rwx,g=rx,o=", 0o750),
        (0o755, "-x", 0o644),
    ],
)
def test_chmod_modes(bb, start, mode, expected):
    bb.write("f", "")
    os.chmod(bb.root / "f", start)
    r = bb.run(["chmod", mode, "f"])
    assert r.status == 0, r.err
    assert os.stat(bb.root / "f").st_mode & 0o7777 == expected


def test_chmod_umask_surprise_warns(bb):
    bb.write("f", "")
    os.chmod(bb.root / "f", 0o666)
    r = bb.run(["chmod", "-w", "f"])
    assert (r.status, r.err) == (1, "chmod: f: new permissions are r--rw-rw-, not r--r--r--\n")


def test_chmod_recursive_and_verbose(bb):
    tree(bb)
    assert bb.run(["chmod", "-R", "go-rwx", "d"]).status == 0
    assert [os.stat(bb.root / p).st_mode & 0o777 for p in ("d", "d/sub", "d/sub/g.PY")] == [
        0o700,
        0o700,
        0o600,
    ]
    os.chmod(bb.root / "a", 0o444)
    r = bb.run(["chmod", "-v", "600", "a"])
    assert r.out == "mode of 'a' changed from 0444 (r--r--r--) to 0600 (rw-------)\n"
    assert bb.run(["chmod", "-c", "600", "a"]).out == ""
    assert bb.run(["chmod", "-v", "600", "a"]).out == "mode of 'a' retained as 0600 (rw-------)\n"


def test_chmod_errors(bb):
    bb.write("a", "")
    r = bb.run(["chmod", "zz", "a"])
    assert (r.status, r.err) == (
        1,
        "chmod: invalid mode: 'zz'\nTry 'chmod --help' for more information.\n",
    )
    r = bb.run(["chmod", "644", "x"])
    assert r.err == "chmod: cannot access 'x': No such file or directory\n"
    r = bb.run(["chmod", "755"])
    assert r.err == "chmod: missing operand after '755'\nTry 'chmod --help' for more information.\n"


# ---------------------------------------------------------------------------
# stat, readlink, realpath, basename, dirname
# ---------------------------------------------------------------------------


def test_stat_format(bb):
    tree(bb)
    r = bb.run(["stat", "-c", "%n|%s|%a|%A|%F|%U|%G|%Y|%y|%h|%B|%N|%u|%g|%%", "a", "la", "empty"])
    assert r.out == (
        "a|6|644|-rw-r--r--|regular file|user|user|1704164645|"
        "2024-01-02 03:04:05.000000000 +0000|1|512|'a'|1000|1000|%\n"
        "la|1|777|lrwxrwxrwx|symbolic link|user|user|1704164645|"
        "2024-01-02 03:04:05.000000000 +0000|1|512|'la' -> 'a'|1000|1000|%\n"
        "empty|0|644|-rw-r--r--|regular empty file|user|user|1704164645|"
        "2024-01-02 03:04:05.000000000 +0000|1|512|'empty'|1000|1000|%\n"
    )
    assert bb.run(["stat", "-L", "-c", "%F", "la", "ld"]).out == "regular file\ndirectory\n"
    assert bb.run(["stat", "--printf", "%n\\t%s\\n", "a"]).out == "a\t6\n"
    assert bb.run(["stat", "-c", "%-5n|%5s|%i", "a"]).out.startswith("a    |    6|")


def test_stat_default_format(bb):
    tree(bb)
    lines = bb.run(["stat", "la"]).out.splitlines()
    assert lines[0] == "  File: la -> a"
    assert lines[1].startswith("  Size: 1         \tBlocks: 0          IO Block: ")
    assert lines[1].endswith("symbolic link")
    assert lines[3] == "Access: (0777/lrwxrwxrwx)  Uid: ( 1000/    user)   Gid: ( 1000/    user)"
    assert lines[5] == "Modify: 2024-01-02 03:04:05.000000000 +0000"
    r = bb.run(["stat", "nope"])
    assert (r.status, r.err) == (1, "stat: cannot statx 'nope': No such file or directory\n")


def test_readlink(bb):
    tree(bb)
    assert bb.run(["readlink", "la"]).out == "a\n"
    assert bb.run(["readlink", "d"]).status == 1
    assert bb.run(["readlink", "-v", "d"]).err == "readlink: d: Invalid argument\n"
    assert bb.run(["readlink", "-f", "la"]).out == "/workspace/a\n"
    assert bb.run(["readlink", "-f", "ld/sub"]).out == "/workspace/d/sub\n"
    assert bb.run(["readlink", "-f", "nope"]).out == "/workspace/nope\n"
    assert bb.run(["readlink", "-f", "nope/x"]).status == 1
    assert bb.run(["readlink", "-e", "nope"]).status == 1
    assert bb.run(["readlink", "-m", "nope/x/../y"]).out == "/workspace/nope/y\n"
    assert bb.run(["readlink", "-n", "la"]).out == "a"


def test_realpath(bb):
    tree(bb)
    r = bb.run(["realpath", "la", "d/../d/sub", "nope", "nope/x"])
    assert r.out == "/workspace/a\n/workspace/d/sub\n/workspace/nope\n"
    assert (r.status, r.err) == (1, "realpath: nope/x: No such file or directory\n")
    assert bb.run(["realpath", "-e", "nope"]).status == 1
    assert bb.run(["realpath", "-m", "nope/x"]).out == "/workspace/nope/x\n"
    assert bb.run(["realpath", "--relative-to=d", "la"]).out == "../a\n"
    assert bb.run(["realpath", "--relative-to=d/f.txt", "."]).out == "../..\n"
    assert bb.run(["realpath", "-s", "la"]).out == "/workspace/la\n"
    r = bb.run(["realpath", "--relative-base=d", "d/sub", "a"])
    assert r.out == "sub\n/workspace/a\n"
    r = bb.run(["realpath", "lout"])
    assert r.err == "realpath: lout: Permission denied (outside /workspace)\n"


@pytest.mark.parametrize(
    ("argv", "out"),
    [
        (["basename", "/a/b/"], "b\n"),
        (["basename", "a.txt", ".txt"], "a\n"),
        (["basename", ".txt", ".txt"], ".txt\n"),
        (["basename", "-a", "x/y", "z/w"], "y\nw\n"),
        (["basename", "-s", ".c", "a.c", "b.c"], "a\nb\n"),
        (["basename", "//"], "/\n"),
        (["dirname", "a/b/", "/x", "//", "a", "///x//y/", "."], "a\n/\n/\n.\n///x\n.\n"),
        (["dirname", "a/", "//a"], ".\n/\n"),
    ],
)
def test_basename_dirname(bb, argv, out):
    r = bb.run(argv)
    assert (r.status, r.out) == (0, out)


def test_basename_dirname_errors(bb):
    r = bb.run(["basename", "a", "b", "c"])
    assert (r.status, r.err) == (
        1,
        "basename: extra operand 'c'\nTry 'basename --help' for more information.\n",
    )
    r = bb.run(["dirname"])
    assert r.err == "dirname: missing operand\nTry 'dirname --help' for more information.\n"


# ---------------------------------------------------------------------------
# find
# ---------------------------------------------------------------------------


def find_tree(b: BuiltinBench) -> None:
    tree(b)
    (b.root / "src" / "sub").mkdir(parents=True)
    (b.root / "src" / "a.py").write_bytes(b"hi\n")
    (b.root / "src" / "sub" / "B.PY").write_bytes(b"x\n")
    os.symlink("src", b.root / "lsrc")
    for p in sorted(b.root.rglob("*"), reverse=True):
        if p.name != "big":
            os.utime(p, (T0, T0), follow_symlinks=False)


def test_find_lists_everything(bb):
    find_tree(bb)
    r = bb.run(["find", "src/"])
    assert r.out == "src/\nsrc/a.py\nsrc/sub\nsrc/sub/B.PY\n"
    r = bb.run(["find"])
    assert r.out.splitlines()[:4] == [".", "./.hid", "./a", "./big"]
    assert "./src/sub/B.PY" in r.out.splitlines()


@pytest.mark.parametrize(
    ("expr", "out"),
    [
        (["src", "-name", "*.py"], "src/a.py\n"),
        ([".", "-iname", "*.py"], "./d/sub/g.PY\n./src/a.py\n./src/sub/B.PY\n"),
        ([".", "-type", "d"], ".\n./d\n./d/sub\n./e\n./src\n./src/sub\n"),
        ([".", "-type", "l"], "./dang\n./la\n./ld\n./lout\n./lsrc\n"),
        ([".", "-empty"], "./e\n./empty\n"),
        ([".", "-size", "-1k"], "./empty\n"),
        ([".", "-type", "f", "-size", "+1k"], "./big\n"),
        ([".", "-maxdepth", "1", "-type", "f", "-name", "e*"], "./empty\n"),
        (["src", "-mindepth", "1", "-maxdepth", "1"], "src/a.py\nsrc/sub\n"),
        (
            [".", "-path", "./src/*", "-prune", "-o", "-print"],
            ".\n./.hid\n./a\n./big\n./d\n./d/f.txt\n./d/sub\n./d/sub/g.PY\n./dang\n./e\n"
            "./empty\n./la\n./ld\n./lout\n./lsrc\n./src\n",
        ),
        (["src", "-name", "sub", "-prune"], "src/sub\n"),
        (["src", "-depth"], "src/a.py\nsrc/sub/B.PY\nsrc/sub\nsrc\n"),
        ([".", "-name", "a", "-o", "-name", "big", "-print"], "./big\n"),
        ([".", "(", "-name", "a.py", "-o", "-name", "B.PY", ")"], "./src/a.py\n./src/sub/B.PY\n"),
        (
            [".", "!", "-type", "d", "-a", "-not", "-type", "l", "-name", "[ab]*"],
            "./a\n./big\n./src/a.py\n",
        ),
        ([".", "-regex", r".*/\(a\|big\)"], "./a\n./big\n"),
        ([".", "-regextype", "posix-extended", "-regex", ".*/(a|big)"], "./a\n./big\n"),
        ([".", "-type", "f,l", "-name", "l*"], "./la\n./ld\n./lout\n./lsrc\n"),
        ([".", "-newer", "a", "-type", "f"], "./big\n"),
        ([".", "-perm", "-111", "-type", "f"], "./big\n"),
        ([".", "-lname", "*a"], "./la\n"),
        ([".", "-type", "f", "-name", "a", "-print", "-quit"], "./a\n"),
        ([".", "-quit"], ""),
        ([".", "-size", "6c"], "./a\n"),
        (["src", "-path", "src/s*"], "src/sub\nsrc/sub/B.PY\n"),
    ],
)
def test_find_expressions(bb, expr, out):
    find_tree(bb)
    r = bb.run(["find", *expr])
    assert (r.status, r.err, r.out) == (0, "", out)


def test_find_exec(bb):
    find_tree(bb)
    r = bb.run(["find", "src", "-type", "f", "-exec", "echo", "X", "{}", ";"])
    assert r.out == "X src/a.py\nX src/sub/B.PY\n"
    r = bb.run(["find", "src", "-type", "f", "-exec", "echo", "X", "{}", "+"])
    assert r.out == "X src/a.py src/sub/B.PY\n"
    r = bb.run(["find", "src", "-name", "*.py", "-exec", "echo", "{}:{}", ";"])
    assert r.out == "src/a.py:src/a.py\n"
    assert bb.run(["find", "src", "-exec", "false", ";"]).status == 0
    assert bb.run(["find", "src", "-exec", "false", "{}", "+"]).status == 1
    r = bb.run(["find", "d", "-type", "f", "-print", "-exec", "cat", "{}", ";"])
    assert r.out == "d/f.txt\none\ntwo\nd/sub/g.PY\nB\n"


def test_find_print0_and_printf(bb):
    find_tree(bb)
    assert bb.run(["find", "src", "-name", "a.py", "-print0"]).stdout == b"src/a.py\0"
    r = bb.run(["find", "src", "-printf", "%p|%f|%h|%P|%d|%y|%m|%M|%s|%u\\n"])
    assert r.out == (
        "src|src|.||0|d|755|drwxr-xr-x|" + str(os.stat(bb.root / "src").st_size) + "|user\n"
        "src/a.py|a.py|src|a.py|1|f|644|-rw-r--r--|3|user\n"
        "src/sub|sub|src|sub|1|d|755|drwxr-xr-x|"
        + str(os.stat(bb.root / "src/sub").st_size)
        + "|user\n"
        "src/sub/B.PY|B.PY|src/sub|sub/B.PY|2|f|644|-rw-r--r--|2|user\n"
    )
    r = bb.run(["find", "a", "-printf", "%t|%T@|%TY-%Tm-%Td %TT|%Tk|%-4f|%5s|\\n"])
    assert r.out == (
        "Tue Jan  2 03:04:05.0000000000 2024|1704164645.0000000000|"
        "2024-01-02 03:04:05.0000000000| 3|a   |    6|\n"
    )


def test_find_delete(bb):
    find_tree(bb)
    assert bb.run(["find", ".", "-name", "*.PY", "-delete"]).status == 0
    assert not (bb.root / "src/sub/B.PY").exists() and not (bb.root / "d/sub/g.PY").exists()
    assert bb.run(["find", "src", "-delete"]).status == 0
    assert not (bb.root / "src").exists()
    assert bb.run(["find", "/workspace", "-delete"]).status == 0
    assert bb.root.exists() and os.listdir(bb.root) == []


def test_find_time_tests(bb):
    bb.write("old", "")
    bb.write("new", "")
    os.utime(bb.root / "old", (T0, T0))
    ago = time.time() - 90
    os.utime(bb.root / "new", (ago, ago))
    run = lambda *e: bb.run(["find", ".", "-type", "f", *e]).out  # noqa: E731
    assert run("-mtime", "-1") == "./new\n"
    assert run("-mtime", "+100") == "./old\n"
    assert run("-mmin", "-2") == "./new\n"
    assert run("-mmin", "2") == "./new\n"
    assert run("-mmin", "1") == ""
    assert run("-mmin", "+1", "-mmin", "-60") == "./new\n"


@pytest.mark.parametrize(
    ("expr", "err"),
    [
        (["x"], "find: 'x': No such file or directory\n"),
        ([".", "-foo"], "find: unknown predicate `-foo'\n"),
        ([".", "-name"], "find: missing argument to `-name'\n"),
        ([".", "-type", "z"], "find: Unknown argument to -type: z\n"),
        ([".", "-name", "a.py", "x"], "find: paths must precede expression: `x'\n"),
        ([".", "-exec", "echo"], "find: missing argument to `-exec'\n"),
        ([".", "-mtime", "x"], "find: invalid argument `x' to `-mtime'\n"),
        ([".", "-size", "3z"], "find: invalid -size type `z'\n"),
        (
            ["-maxdepth", "x"],
            "find: Expected a positive decimal integer argument to -maxdepth, but got 'x'\n",
        ),
        ([".", "-newer", "nope"], "find: 'nope': No such file or directory\n"),
        (["../.."], "find: '../..': Permission denied (outside /workspace)\n"),
    ],
)
def test_find_errors(bb, expr, err):
    r = bb.run(["find", *expr])
    assert (r.status, r.err) == (1, err)


def test_find_never_follows_links_out(bb):
    find_tree(bb)
    assert bb.run(["find", "lsrc"]).out == "lsrc\n"
    assert bb.run(["find", "lsrc/"]).out == "lsrc/\nlsrc/a.py\nlsrc/sub\nlsrc/sub/B.PY\n"
    r = bb.run(["find", "-L", ".", "-name", "f.txt"])
    assert r.out == "./d/f.txt\n./ld/f.txt\n"
    assert "passwd" not in bb.run(["find", "-L", "lout"]).out


# ---------------------------------------------------------------------------
# tar
# ---------------------------------------------------------------------------


def tar_tree(b: BuiltinBench) -> None:
    (b.root / "src" / "sub").mkdir(parents=True)
    (b.root / "src" / "a.py").write_bytes(b"hi\n")
    (b.root / "src" / "sub" / "B.PY").write_bytes(b"x\n")
    (b.root / "e").mkdir()
    (b.root / "empty").write_bytes(b"")
    for p in sorted(b.root.rglob("*"), reverse=True):
        os.utime(p, (T0, T0))


def test_tar_create_list_roundtrip(bb):
    tar_tree(bb)
    r = bb.run(["tar", "cf", "a.tar", "src"])
    assert (r.status, r.err) == (0, "")
    assert bb.run(["tar", "tf", "a.tar"]).out == "src/\nsrc/a.py\nsrc/sub/\nsrc/sub/B.PY\n"
    assert bb.run(["tar", "tvf", "a.tar"]).out == (
        "drwxr-xr-x user/user         0 2024-01-02 03:04 src/\n"
        "-rw-r--r-- user/user         3 2024-01-02 03:04 src/a.py\n"
        "drwxr-xr-x user/user         0 2024-01-02 03:04 src/sub/\n"
        "-rw-r--r-- user/user         2 2024-01-02 03:04 src/sub/B.PY\n"
    )
    with tarfile.open(bb.root / "a.tar") as tf:
        assert tf.getnames() == ["src", "src/a.py", "src/sub", "src/sub/B.PY"]


def test_tar_gzip_extract_to_dir(bb):
    tar_tree(bb)
    r = bb.run(["tar", "cvzf", "b.tgz", "src", "e", "empty"])
    assert r.out == "src/\nsrc/a.py\nsrc/sub/\nsrc/sub/B.PY\ne/\nempty\n"
    assert gzip.decompress(bb.read("b.tgz"))[:4] == b"src/"
    (bb.root / "out").mkdir()
    r = bb.run(["tar", "-xzvf", "b.tgz", "-C", "out"])
    assert r.status == 0
    assert bb.read("out/src/sub/B.PY") == b"x\n"
    assert os.stat(bb.root / "out/src/a.py").st_mtime == T0
    assert bb.run(["tar", "tzf", "b.tgz"]).out.endswith("e/\nempty\n")


def test_tar_strip_components_to_stdout_and_members(bb):
    tar_tree(bb)
    bb.run(["tar", "cf", "a.tar", "src"])
    (bb.root / "o").mkdir()
    assert bb.run(["tar", "-xf", "a.tar", "--strip-components=1", "-C", "o"]).status == 0
    assert sorted(os.listdir(bb.root / "o")) == ["a.py", "sub"]
    assert bb.run(["tar", "xf", "a.tar", "src/a.py", "-O"]).out == "hi\n"
    assert bb.run(["tar", "tf", "a.tar", "src/sub"]).out == "src/sub/\nsrc/sub/B.PY\n"


def test_tar_exclude_and_self(bb):
    tar_tree(bb)
    assert bb.run(["tar", "-cvf", "x.tar", "--exclude=sub", "src"]).out == "src/\nsrc/a.py\n"
    r = bb.run(["tar", "cf", "y.tar", "."])
    assert (r.status, r.err) == (0, "tar: ./y.tar: file is the archive; not dumped\n")


def test_tar_errors(bb):
    tar_tree(bb)
    bb.run(["tar", "cf", "a.tar", "src"])
    cases = [
        (
            ["tar", "cf", "c.tar", "nope"],
            "tar: nope: Cannot stat: No such file or directory\n"
            "tar: Exiting with failure status due to previous errors\n",
        ),
        (
            ["tar", "cf", "c.tar"],
            "tar: Cowardly refusing to create an empty archive\n"
            "Try 'tar --help' or 'tar --usage' for more information.\n",
        ),
        (
            ["tar", "xf", "nope.tar"],
            "tar: nope.tar: Cannot open: No such file or directory\n"
            "tar: Error is not recoverable: exiting now\n",
        ),
        (
            ["tar", "f", "a.tar"],
            "tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\n"
            "Try 'tar --help' or 'tar --usage' for more information.\n",
        ),
        (
            ["tar", "tf", "a.tar", "nope"],
            "tar: nope: Not found in archive\n"
            "tar: Exiting with failure status due to previous errors\n",
        ),
        (
            ["tar", "tf", "empty"],
            "tar: This does not look like a tar archive\n"
            "tar: Exiting with failure status due to previous errors\n",
        ),
    ]
    for argv, err in cases:
        r = bb.run(argv)
        assert (r.status, r.err) == (2, err), argv


def _evil_tar(members: list[tuple[str, str, object]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, kind, data in members:
            ti = tarfile.TarInfo(name)
            if kind == "f":
                assert isinstance(data, bytes)
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
                continue
            ti.type = {"l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE, "c": tarfile.CHRTYPE}[kind]
            ti.linkname = str(data or "")
            tf.addfile(ti)
    return buf.getvalue()


def test_tar_refuses_hostile_members(bb):
    bb.write(
        "evil.tar",
        _evil_tar(
            [
                ("../escape.txt", "f", b"x"),
                ("/abs.txt", "f", b"y"),
                ("ok.txt", "f", b"fine"),
                ("lnk", "l", "/etc/passwd"),
                ("lnk2", "l", "../../x"),
                ("hl", "h", "../../etc/passwd"),
                ("dev", "c", None),
                ("sub/../../up.txt", "f", b"z"),
            ]
        ),
    )
    r = bb.run(["tar", "xf", "evil.tar"])
    assert r.status == 2
    assert r.err == (
        "tar: ../escape.txt: refusing to extract: member name contains '..'\n"
        "tar: /abs.txt: refusing to extract: member name is an absolute path\n"
        "tar: lnk: refusing to extract: link to an absolute path\n"
        "tar: lnk2: refusing to extract: link points outside the destination\n"
        "tar: hl: refusing to extract: link points outside the destination\n"
        "tar: dev: refusing to extract: special file\n"
        "tar: sub/../../up.txt: refusing to extract: member name contains '..'\n"
        "tar: Exiting with failure status due to previous errors\n"
    )
    assert names(bb) == ["evil.tar", "ok.txt"]
    assert not (bb.root.parent / "escape.txt").exists()


def test_tar_does_not_write_through_links_out(bb):
    os.symlink("/tmp", bb.root / "out")
    bb.write("e.tar", _evil_tar([("out/corral-pwned.txt", "f", b"ha")]))
    r = bb.run(["tar", "xf", "e.tar"])
    assert r.status == 2
    assert not os.path.exists("/tmp/corral-pwned.txt")


def test_tar_bomb_stops_at_disk_budget():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for i in range(10):
            ti = tarfile.TarInfo(f"f{i}")
            ti.size = 300_000
            tf.addfile(ti, io.BytesIO(b"\0" * ti.size))
    with BuiltinBench(Budget(disk_mb=1)) as b:
        b.write("bomb.tgz", buf.getvalue())
        r = b.run(["tar", "xzf", "bomb.tgz"])
        assert r.status == 2
        assert r.err.endswith(
            ": Cannot write: No space left on device (disk budget of 1 MB)\n"
            "tar: Error is not recoverable: exiting now\n"
        )
        used, _ = b.ws.disk_usage()
        assert used <= 1024 * 1024


def test_tar_old_style_and_stdout(bb):
    tar_tree(bb)
    r = bb.run(["tar", "czf", "-", "src"])
    assert r.status == 0
    r2 = bb.run(["tar", "tzf", "-"], stdin=r.stdout)
    assert r2.out == "src/\nsrc/a.py\nsrc/sub/\nsrc/sub/B.PY\n"


# ---------------------------------------------------------------------------
# gzip, gunzip, zcat
# ---------------------------------------------------------------------------

GNU_HELLO_GZ = (
    b"\x1f\x8b\x08\x08%}\x93e\x00\x03f\x00\xcbH\xcd\xc9\xc9\xe7\x02\x00 0:6\x06\x00\x00\x00"
)


def test_gzip_matches_gnu_bytes_and_roundtrips(bb):
    bb.write("f", b"hello\n")
    os.utime(bb.root / "f", (T0, T0))
    assert bb.run(["gzip", "-c", "f"]).stdout == GNU_HELLO_GZ
    assert bb.run(["gzip", "f"]).status == 0
    assert names(bb) == ["f.gz"]
    assert bb.read("f.gz") == GNU_HELLO_GZ
    assert os.stat(bb.root / "f.gz").st_mtime == T0
    assert bb.run(["gunzip", "f.gz"]).status == 0
    assert names(bb) == ["f"] and bb.read("f") == b"hello\n"


def test_gzip_keep_stdin_and_zcat(bb):
    bb.write("f", b"data\n")
    assert bb.run(["gzip", "-k", "f"]).status == 0
    assert names(bb) == ["f", "f.gz"]
    assert bb.run(["zcat", "f.gz"]).out == "data\n"
    assert bb.run(["gunzip", "-c", "f.gz"]).out == "data\n"
    r = bb.run(["zcat", "f"])
    assert (r.status, r.err) == (1, "\ngzip: f: not in gzip format\n")
    packed = bb.run(["gzip"], stdin=b"abc" * 1000).stdout
    assert gzip.decompress(packed) == b"abc" * 1000
    assert bb.run(["gzip", "-d"], stdin=packed).stdout == b"abc" * 1000
    multi = gzip.compress(b"one\n") + gzip.compress(b"two\n")
    assert bb.run(["zcat"], stdin=multi).out == "one\ntwo\n"


def test_gzip_warnings_and_errors(bb):
    bb.write("f", b"x\n")
    bb.write("f.gz", gzip.compress(b"y\n"))
    bb.write("g", b"plain\n")
    bb.write("bad.gz", b"junk\n")
    bb.write("trunc.gz", gzip.compress(b"z" * 100)[:10])
    (bb.root / "d").mkdir()
    cases = [
        (["gzip", "f.gz"], 0, "gzip: f.gz already has .gz suffix -- unchanged\n"),
        (["gzip", "f"], 2, "gzip: f.gz already exists;\tnot overwritten\n"),
        (["gunzip", "g"], 2, "gzip: g: unknown suffix -- ignored\n"),
        (["gunzip", "bad.gz"], 1, "\ngzip: bad.gz: not in gzip format\n"),
        (["gzip", "nope"], 1, "gzip: nope: No such file or directory\n"),
        (["gzip", "d"], 2, "gzip: d is a directory -- ignored\n"),
        (["gunzip", "trunc.gz"], 1, "\ngzip: trunc.gz: unexpected end of file\n"),
        (["gzip", "-t", "bad.gz"], 1, "\ngzip: bad.gz: not in gzip format\n"),
    ]
    for argv, status, err in cases:
        r = bb.run(argv)
        assert (r.status, r.err) == (status, err), argv
    assert sorted(names(bb)) == ["bad.gz", "d", "f", "f.gz", "g", "trunc.gz"]
    assert bb.run(["gzip", "-f", "f"]).status == 0
    assert gzip.decompress(bb.read("f.gz")) == b"x\n"


def test_gzip_bomb_stops_at_disk_budget():
    with BuiltinBench(Budget(disk_mb=1)) as b:
        b.write("z.gz", gzip.compress(b"\0" * 5_000_000))
        r = b.run(["gunzip", "z.gz"])
        assert (r.status, r.err) == (
            1,
            "gzip: z: No space left on device (disk budget of 1 MB)\n",
        )
        assert names(b) == ["z.gz"]


# ---------------------------------------------------------------------------
# base64, checksums
# ---------------------------------------------------------------------------


def test_base64_encode(bb):
    assert bb.run(["base64"], stdin=b"hello world\n").out == "aGVsbG8gd29ybGQK\n"
    zeros = bytes(100)
    assert bb.run(["base64"], stdin=zeros).out == "A" * 76 + "\n" + "A" * 58 + "==\n"
    assert bb.run(["base64", "-w", "20"], stdin=zeros).out == (
        ("A" * 20 + "\n") * 6 + "A" * 14 + "==\n"
    )
    assert bb.run(["base64", "-w0"], stdin=zeros).out == "A" * 134 + "=="
    assert bb.run(["base64"], stdin=b"").out == ""


def test_base64_decode(bb):
    assert bb.run(["base64", "-d"], stdin=b"aGVsbG8K\n").out == "hello\n"
    assert bb.run(["base64", "-d"], stdin=b"aGVs\nbG8K\n").out == "hello\n"
    r = bb.run(["base64", "-d"], stdin=b"aGVsbG8")
    assert (r.status, r.out, r.err) == (1, "hello", "base64: invalid input\n")
    r = bb.run(["base64", "-d"], stdin=b"aGVs bG8K")
    assert (r.status, r.out) == (1, "hel")
    assert bb.run(["base64", "-di"], stdin=b"aGVs!bG8K").out == "hello\n"
    assert bb.run(["base64", "-d"], stdin=b"!!!").status == 1


def test_base64_binary_roundtrip(bb):
    data = os.urandom(200_003)
    enc = bb.run(["base64"], stdin=data).stdout
    assert all(len(line) == 76 for line in enc.splitlines()[:-1])
    assert bb.run(["base64", "-d"], stdin=enc).stdout == data


def test_checksums(bb):
    bb.write("h", b"hello world\n")
    assert bb.run(["md5sum", "h"]).out == "6f5902ac237024bdd0c176cb93063dc4  h\n"
    assert bb.run(["sha1sum", "h"]).out == "22596363b3de40b06f981fb85d82312e8c0ed511  h\n"
    r = bb.run(["sha256sum", "h", "-"], stdin=b"hello world\n")
    digest = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
    assert r.out == f"{digest}  h\n{digest}  -\n"
    assert bb.run(["sha512sum", "h"]).out.startswith("db3974a97f2407b7cae1")
    assert bb.run(["md5sum", "--tag", "h"]).out == "MD5 (h) = 6f5902ac237024bdd0c176cb93063dc4\n"
    bb.write("a\\b", b"x\n")
    assert bb.run(["md5sum", "a\\b"]).out == "\\401b30e3b8b5d629635a5c613cdb7919  a\\\\b\n"
    r = bb.run(["md5sum", "nope"])
    assert (r.status, r.err) == (1, "md5sum: nope: No such file or directory\n")


def test_checksum_check(bb):
    bb.write("h", b"hello world\n")
    bb.write(
        "sums",
        "6f5902ac237024bdd0c176cb93063dc4  h\nx\n"
        "d41d8cd98f00b204e9800998ecf8427e  nope\n"
        "00000000000000000000000000000000  h\n",
    )
    r = bb.run(["md5sum", "-c", "sums"])
    assert r.status == 1
    assert r.out == "h: OK\nnope: FAILED open or read\nh: FAILED\n"
    assert r.err == (
        "md5sum: nope: No such file or directory\n"
        "md5sum: WARNING: 1 line is improperly formatted\n"
        "md5sum: WARNING: 1 listed file could not be read\n"
        "md5sum: WARNING: 1 computed checksum did NOT match\n"
    )
    assert bb.run(["md5sum", "-c", "--quiet", "sums"]).out == (
        "nope: FAILED open or read\nh: FAILED\n"
    )
    r = bb.run(["md5sum", "-c", "--status", "sums"])
    assert (r.status, r.out, r.err) == (1, "", "md5sum: nope: No such file or directory\n")
    bb.write("tagged", "MD5 (h) = 6f5902ac237024bdd0c176cb93063dc4\n")
    assert bb.run(["md5sum", "-c", "tagged"]).out == "h: OK\n"
    bb.write("bs", "bad\n")
    r = bb.run(["md5sum", "-c", "bs"])
    assert (r.status, r.err) == (1, "md5sum: bs: no properly formatted checksum lines found\n")
    bb.write("ok", bb.run(["sha256sum", "h"]).stdout)
    assert bb.run(["sha256sum", "-c", "ok"]).out == "h: OK\n"
