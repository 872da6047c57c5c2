"""The files API and the one resolver: nothing leaves the sandbox directory."""

from __future__ import annotations

import os

import pytest

import corral
from corral import PathEscape, Sandbox


def test_write_read_list_delete_bytes(sb):
    assert sb.files.write("/workspace/a/b/c.txt", "deep") == 4
    assert sb.files.read("a/b/c.txt") == "deep"
    sb.files.upload("blob.bin", bytes(range(256)))
    assert sb.files.download("/workspace/blob.bin") == bytes(range(256))
    names = [f.path for f in sb.files.list("/workspace", recursive=True)]
    assert names == [
        "/workspace/a",
        "/workspace/a/b",
        "/workspace/a/b/c.txt",
        "/workspace/blob.bin",
    ]
    top = {f.path: f for f in sb.files.list()}
    assert top["/workspace/a"].is_dir and top["/workspace/blob.bin"].size == 256
    sb.files.delete("blob.bin")
    assert not sb.files.exists("blob.bin")
    with pytest.raises(OSError):
        sb.files.delete("a")
    sb.files.delete("a", recursive=True)
    assert sb.files.list() == []


@pytest.mark.parametrize(
    "path",
    [
        "../outside.txt",
        "/workspace/../outside.txt",
        "a/../../outside.txt",
        "/etc/passwd",
        "/tmp/x",
        "/workspace2/x",
        "bad\x00name",
    ],
)
def test_paths_outside_are_refused(sb, path):
    with pytest.raises(PathEscape):
        sb.files.write(path, "x")
    with pytest.raises(PathEscape):
        sb.files.read(path)
    assert not (sb.path.parent / "outside.txt").exists()


def test_guest_made_symlink_to_host_is_refused(sb, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    r = sb.python(
        "import os\n"
        "made = []\n"
        f"for name, target in [('link_abs', {str(tmp_path)!r}), ('link_etc', '/etc'),\n"
        f"        ('link_rel', '../' * 12 + {str(tmp_path).lstrip('/')!r}), ('up', '../..')]:\n"
        "    try:\n"
        "        os.symlink(target, name); made.append(name)\n"
        "    except OSError:\n"
        "        pass\n"
        "print(' '.join(made))"
    )
    made = r.stdout.split()
    assert "link_rel" in made  # WASI lets a guest make relative symlinks, dangling or not
    for link in made:
        with pytest.raises(PathEscape):
            sb.files.read(f"{link}/secret.txt")
        with pytest.raises(PathEscape):
            sb.files.write(f"{link}/new.txt", "x")
    # plant links from the host side too, as a guest on a native tier could
    os.symlink(tmp_path, sb.path / "planted")
    os.symlink("../" * 12 + str(tmp_path).lstrip("/"), sb.path / "planted_rel")
    for link in ("planted", "planted_rel"):
        with pytest.raises(PathEscape):
            sb.files.read(f"{link}/secret.txt")
        with pytest.raises(PathEscape):
            sb.files.write(f"{link}/secret.txt", "overwritten")
    assert secret.read_text() == "host secret"
    r = sb.python("print(open('planted/secret.txt').read())")
    assert "host secret" not in r.stdout


def test_symlinks_inside_the_sandbox_work(sb):
    sb.files.write("real/data.txt", "inside")
    os.symlink("real", sb.path / "alias")
    os.symlink("/workspace/real/data.txt", sb.path / "abs_alias")
    assert sb.files.read("alias/data.txt") == "inside"
    assert sb.files.read("abs_alias") == "inside"
    sb.files.delete("alias")  # deletes the link, not the target
    assert sb.files.read("real/data.txt") == "inside"


def test_symlink_loop_is_an_error(sb):
    os.symlink("b", sb.path / "a")
    os.symlink("a", sb.path / "b")
    with pytest.raises(PathEscape, match="too many levels"):
        sb.files.read("a")


def test_planted_temp_file_symlink_does_not_redirect_write(sb, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("safe")
    for i in range(5):
        os.symlink(victim, sb.path / f".target.{i}.corral-tmp")
    sb.files.write("target", "data")
    assert victim.read_text() == "safe"
    assert sb.files.read("target") == "data"


def test_root_cannot_be_deleted(sb):
    with pytest.raises(PathEscape):
        sb.files.delete("/workspace")


def test_file_actions_are_events():
    bus = corral.EventBus()
    seen = []
    bus.subscribe(seen.append)
    with Sandbox(bus=bus) as sb:
        sb.files.write("x.txt", "1")
        sb.files.read("x.txt")
    ops = [(e.action.op, e.action.path) for e in seen if e.action and e.action.kind == "file"]
    assert ops == [("write", "/workspace/x.txt"), ("read", "/workspace/x.txt")]


def test_read_missing_file_is_clear_error(sb):
    with pytest.raises(FileNotFoundError):
        sb.files.read("nope.txt")
    with pytest.raises(IsADirectoryError):
        sb.files.mkdir("d") or sb.files.read("d")



@pytest.mark.parametrize(
    "target",
    [
        "nonexist/../link",
        "nonexist/deeper/../../link",
        "a/b/c/../../../link",
        "a/missing/x/../../../link",
        "a/b/c/../../../rel",
        "nonexist/../a/up",
        "a/b/nonexist/../../../link",
        "/workspace/nonexist/../link",
    ],
)
def test_dotdot_climbing_out_of_a_missing_name_onto_a_link_out_is_refused(tmp_path, target):
    """A guest path is normalised by name, so ``..`` reaches the walk only through a
    symlink's target. Past the first missing component the walk takes the rest by name;
    a ``..`` that climbs back onto what exists must make symlinks count again (and
    refuse one that leads out)."""
    from corral.budget import Budget
    from corral.files import Workspace

    root = tmp_path / "ws"
    (root / "a" / "b" / "c").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("host secret")
    os.symlink(outside, root / "link")
    os.symlink("../" * 4 + str(outside).lstrip("/"), root / "rel")
    os.symlink("../..", root / "a" / "up")
    os.symlink(target, root / "m")
    ws = Workspace(root, Budget())
    for path in ("m", "m/secret.txt", "a/../m/secret.txt"):
        with pytest.raises(PathEscape):
            ws.resolve(path)
    # the same shape onto a directory inside resolves
    os.symlink(target.replace("link", "a").replace("rel", "a").replace("up", "b"),
               root / "fine")
    assert ws.resolve("fine/b").parent.is_relative_to(root)
