"""An editor started with no terminal ends at once, with an error saying what to do.

A command in a native tier has no terminal. Vim with none reads its keys from stdin and,
when stdin ends, from stderr: a pipe's writing end, which never has anything to read. So
`vim FILE`, `view FILE`, `EDITOR=vim git commit` waited until the wall-clock budget ended
(an unattended agent lost its whole budget to one line). corral's front for vi and vim
(`native/guest/vim.sh`, first on PATH in both tiers) turns that into a clear error, and keys
or commands given without a quit into what the end of input means: quit.

The front is run two ways: in the tiers with the real vim (bwrap and gVisor), and on the
host in front of a stand-in "vim" that reports what it was given, with a real pseudo-terminal
for the case where there is one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from corral.native.session import VIM_NAMES
from tiers import needs

FRONT = Path(__file__).resolve().parent.parent / "src/corral/native/guest/vim.sh"
BACKENDS = [
    pytest.param("bwrap", marks=needs("bwrap")),
    pytest.param("gvisor", marks=needs("gvisor")),
]
has_vim = pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed here")
#: what a wait for the budget looks like, so a regression fails with its reason
WALL = 40


def _ran(sb: Sandbox, line: str):
    r = sb.run(line)
    assert "wall-time budget" not in r.stderr, f"{line!r} waited for the budget: {r.stderr[-300:]}"
    return r


@has_vim
@pytest.mark.parametrize("backend", BACKENDS)
def test_an_editor_with_no_terminal_ends_with_what_to_do(tmp_path: Path, backend: str) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    with Sandbox(backend=backend, policy="permissive", workspace=tmp_path,
                 budget=Budget(wall_s=WALL)) as sb:  # fmt: skip
        for line in ("vim notes.txt", "vi notes.txt", "view notes.txt", "vimdiff notes.txt x",
                     "sudo vim notes.txt", "vim", "editor notes.txt",
                     "sensible-editor notes.txt"):  # fmt: skip
            r = _ran(sb, line)
            assert r.exit_code == 1, (line, r)
            assert "no terminal" in r.stderr and "sed -i" in r.stderr, (line, r.stderr)
        # the text from stdin: the keys would have to come from a terminal
        r = _ran(sb, "echo text | vim -")
        assert r.exit_code == 1 and "reads the text from stdin" in r.stderr, r
        # git asks for its editor: its own error follows the front's, at once
        r = _ran(sb, "git init -q r && cd r && EDITOR=vim git -c user.name=a "
                     "-c user.email=a@example.com commit --allow-empty")  # fmt: skip
        assert r.exit_code == 1 and "problem with the editor" in r.stderr, r
        assert _ran(sb, "vim --version").stdout.startswith("VIM - Vi IMproved")
    assert (tmp_path / "notes.txt").read_text() == "hello\n"
    assert not list(tmp_path.glob(".*.sw?")), "a swap file left behind"


@has_vim
@pytest.mark.parametrize("backend", BACKENDS)
def test_keys_and_commands_run_then_the_editor_quits(tmp_path: Path, backend: str) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    with Sandbox(backend=backend, policy="permissive", workspace=tmp_path,
                 budget=Budget(wall_s=WALL)) as sb:  # fmt: skip
        # keys that write and quit: written
        r = _ran(sb, r"printf 'Inew \033:wq\r' | vim notes.txt")
        assert r.exit_code == 0 and notes.read_text() == "new hello\n", r
        # keys that never quit: run, then the end of input quits without writing
        r = _ran(sb, "printf 'Iunsaved ' | vim notes.txt")
        assert r.exit_code == 0 and notes.read_text() == "new hello\n", r
        # commands with no quit among them, and with one
        r = _ran(sb, "vim -c '%s/new/x/' notes.txt")
        assert r.exit_code == 0 and notes.read_text() == "new hello\n", r
        r = _ran(sb, "vim -c '%s/new/old/' -c wq notes.txt")
        assert r.exit_code == 0 and notes.read_text() == "old hello\n", r
        # ex mode reads stdin and ends with it: untouched by the front
        r = _ran(sb, "vim -es -c '%s/old/ex/' -c wq notes.txt")
        assert r.exit_code == 0 and notes.read_text() == "ex hello\n", r
        r = _ran(sb, r"printf '%%s/ex/ed/\nwq\n' | vi -e -s notes.txt")
        assert r.exit_code == 0 and notes.read_text() == "ed hello\n", r
    assert not list(tmp_path.glob(".*.sw?")), "a swap file left behind"


# -- the front on the host, in front of a stand-in that says what it got ---------------------

@pytest.fixture
def front(tmp_path: Path) -> Path:
    """A PATH with the front first as ``vim`` and ``view``, and a stand-in "vim" after it."""
    front_dir, real_dir = tmp_path / "front", tmp_path / "real"
    front_dir.mkdir()
    real_dir.mkdir()
    for name in ("vim", "view"):
        shutil.copy(FRONT, front_dir / name)
        (front_dir / name).chmod(0o755)  # as installed (native.session.install_drivers)
        (real_dir / name).write_text(
            "#!/bin/sh\nprintf 'REAL %s\\n' \"$*\"\nprintf 'STDIN'; od -An -c | tr -s ' '\n"
        )
        (real_dir / name).chmod(0o755)
    return tmp_path


def _front(front: Path, args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    # the front skips /run/corral/bin on PATH: here its own directory plays that part
    env = {"PATH": f"{front / 'real'}:/usr/bin:/bin", "TMPDIR": str(front)}
    return subprocess.run(["sh", str(front / "front" / "vim"), *args], input=stdin,
                          capture_output=True, env=env, timeout=30)  # fmt: skip


def _as(front: Path, name: str, args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    # invoked by its installed name, found first on PATH
    env = {"PATH": f"{front / 'front'}:{front / 'real'}:/usr/bin:/bin", "TMPDIR": str(front)}
    return subprocess.run([name, *args], input=stdin, capture_output=True, env=env, timeout=30)


def test_the_front_is_installed_for_the_vim_names() -> None:
    assert {"vi", "vim", "view"} <= set(VIM_NAMES)
    assert FRONT.is_file()
    subprocess.run(["sh", "-n", str(FRONT)], check=True)


@pytest.mark.parametrize("args", [["notes.txt"], [], ["-R", "notes.txt"], ["-o2", "a", "b"],
                                  ["-u", "NONE", "notes.txt"], ["--clean", "--", "-c"]])  # fmt: skip
def test_no_terminal_no_keys_no_commands_is_an_error(front: Path, args: list[str]) -> None:
    r = _front(front, args)
    assert r.returncode == 1 and b"REAL" not in r.stdout, r
    assert b"no keys came on stdin" in r.stderr
    assert not list(front.glob("corral-vim-keys.*")), "the keys file left behind"


@pytest.mark.parametrize(
    "args",
    [["-c", "wq", "f"], ["+wq", "f"], ["--cmd", "set nu", "f"], ["-S", "s.vim", "f"],
     ["-s", "keys.txt", "f"], ["-cwq", "f"]],
)  # fmt: skip
def test_commands_run_then_the_keys_to_quit(front: Path, args: list[str]) -> None:
    r = _front(front, args)
    assert r.returncode == 0, r
    assert r.stdout.startswith(b"REAL " + " ".join(args).encode()), r.stdout
    assert r"033 033 : q a ! \r" in r.stdout.decode(), r.stdout


def test_keys_from_stdin_come_first_then_the_quit(front: Path) -> None:
    r = _front(front, ["notes.txt"], stdin=b"ihi")
    assert r.returncode == 0, r
    assert r"STDIN i h i 033 033 : q a ! \r" in r.stdout.decode(), r.stdout
    assert not list(front.glob("corral-vim-keys.*"))


@pytest.mark.parametrize("args", [["-es", "f"], ["-e", "f"], ["-E", "-s", "f"], ["-Es"],
                                  ["--version"], ["-h"], ["--help"], ["-r"]])  # fmt: skip
def test_ex_mode_help_and_version_are_the_program_unchanged(front: Path, args: list[str]) -> None:
    r = _front(front, args, stdin=b"%s/a/b/\nwq\n")
    assert r.returncode == 0 and r.stdout.startswith(b"REAL "), r
    assert b"q a !" not in r.stdout  # stdin passed through as it came
    assert r"% s / a / b / \n w q \n" in r.stdout.decode(), r.stdout


def test_an_endless_stream_of_keys_ends_with_an_error(front: Path) -> None:
    env = {"PATH": f"{front / 'real'}:/usr/bin:/bin", "TMPDIR": str(front)}
    r = subprocess.run(["sh", "-c", f"yes | sh {front / 'front' / 'vim'} notes.txt"],
                       capture_output=True, env=env, timeout=60)  # fmt: skip
    assert r.returncode == 1 and b"more than 1 MiB of keys" in r.stderr, r
    assert b"REAL" not in r.stdout
    assert not list(front.glob("corral-vim-keys.*"))
    r = _front(front, ["notes.txt"], stdin=b"j" * 1048576)  # exactly the bound: run
    assert r.returncode == 0 and r.stdout.startswith(b"REAL notes.txt"), r.stderr


def test_stdin_as_the_text_is_an_error(front: Path) -> None:
    r = _front(front, ["-"], stdin=b"text\n")
    assert r.returncode == 1 and b"reads the text from stdin" in r.stderr, r


def test_another_name_is_the_program_of_that_name(front: Path) -> None:
    r = _as(front, "view", ["-c", "q", "f"])
    assert r.returncode == 0 and r.stdout.startswith(b"REAL -c q f"), r
    r = _as(front, "view", ["f"])
    assert r.returncode == 1 and r.stderr.startswith(b"view: no terminal"), r


def test_an_editor_name_that_is_not_vim_is_that_program_unchanged(front: Path) -> None:
    real = front / "real" / "nano"
    real.write_text("#!/bin/sh\nprintf 'NANO %s\\n' \"$*\"\n")
    real.chmod(0o755)
    (front / "real" / "editor").symlink_to(real)
    shutil.copy(FRONT, front / "front" / "editor")
    (front / "front" / "editor").chmod(0o755)
    r = _as(front, "editor", ["notes.txt"])
    assert r.returncode == 0 and r.stdout == b"NANO notes.txt\n", r
    # and when it is vim, it is vim's front
    (front / "real" / "editor").unlink()
    (front / "real" / "editor").symlink_to(front / "real" / "vim")
    r = _as(front, "editor", ["notes.txt"])
    assert r.returncode == 1 and r.stderr.startswith(b"editor: no terminal"), r


def test_no_program_behind_it_is_command_not_found(front: Path) -> None:
    env = {"PATH": f"{front / 'front'}:/nonexistent", "TMPDIR": str(front)}
    r = subprocess.run(["/bin/sh", str(front / "front" / "vim"), "f"], capture_output=True,
                       env=env, timeout=30)  # fmt: skip
    assert r.returncode == 127 and b"vim: command not found" in r.stderr, r


def test_with_a_terminal_the_program_runs_unchanged(front: Path) -> None:
    # a real pseudo-terminal as stdin, stdout and stderr: the front steps aside
    leader, follower = os.openpty()
    env = {"PATH": f"{front / 'real'}:/usr/bin:/bin", "TMPDIR": str(front)}
    try:
        proc = subprocess.Popen(["sh", str(front / "front" / "vim"), "notes.txt"],
                                stdin=follower, stdout=follower, stderr=follower, env=env)  # fmt: skip
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the follower side closed
                break
            if not chunk:
                break
            out += chunk
            if b"STDIN" in out:
                break
        proc.kill()
        proc.wait(timeout=10)
    finally:
        os.close(leader)
    assert b"REAL notes.txt" in out, out
    assert b"no terminal" not in out
