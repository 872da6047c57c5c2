"""The staged /etc of the native sandboxes (corral.native.etcstage): exactly the allowed
entries, nothing a bind would not show, re-checked before each use."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from corral import Budget
from corral.native import etcstage, leftovers
from corral.native.etcstage import ETC_ALLOW, staged_etc

from .conftest import need


@pytest.fixture
def fake_etc(tmp_path, monkeypatch):
    """A small /etc of our own: some allowed entries, some secrets."""
    root = tmp_path / "etc"
    root.mkdir()
    (root / "hosts").write_text("127.0.0.1 localhost\n")
    (root / "shadow").write_text("root:secret\n")  # not allowed: never staged
    (root / "pip.conf").write_text("[global]\ntoken=x\n")
    (root / "profile.d").mkdir()
    (root / "profile.d" / "a.sh").write_text("A=1\n")
    (root / "default").mkdir()
    (root / "default" / "ok").write_text("ok\n")
    secret = root / "default" / "cacerts"
    secret.write_text("password\n")
    os.chmod(secret, 0o600)  # a bind shows it unreadable; a copy would not
    target = tmp_path / "zone"
    target.write_text("UTC\n")
    os.symlink(target, root / "localtime")
    os.mkfifo(root / "gai.conf")  # a special file: never opened (no hang)
    monkeypatch.setattr(etcstage, "ETC_ROOT", str(root))
    return root


def _tree(p: Path) -> set[str]:
    return {str(q.relative_to(p)) for q in p.rglob("*")}


def test_bwrap_stage_copies_readable_entries_and_binds_the_rest(fake_etc):
    st = staged_etc("bwrap")
    try:
        assert _tree(st.path) == {
            "hosts", "profile.d", "profile.d/a.sh", "default", "localtime", "gai.conf",
            "passwd", "group",
        }  # fmt: skip
        binds = dict(st.binds)
        # a directory with a file only its owner may read, and a FIFO: bound as they are
        assert binds == {str(fake_etc / "default"): "/etc/default",
                         str(fake_etc / "gai.conf"): "/etc/gai.conf"}  # fmt: skip
        assert not any((st.path / "default").iterdir())  # a mount point, nothing copied
        assert (st.path / "localtime").read_text() == "UTC\n"  # what a bind shows
        assert not (st.path / "localtime").is_symlink()
        assert "corral:x:1000" in (st.path / "passwd").read_text()
        for p in st.path.rglob("*"):
            assert os.stat(p, follow_symlinks=False).st_mode & 0o022 == 0, p
    finally:
        st.release()


def test_gvisor_stage_leaves_out_what_no_one_may_read(fake_etc):
    st = staged_etc("gvisor")
    try:
        assert _tree(st.path) == {
            "hosts", "profile.d", "profile.d/a.sh", "default", "default/ok", "localtime",
            "passwd", "group",
        }  # fmt: skip
        assert st.binds == ()
        assert (st.path / "localtime").is_symlink()  # kept as a symlink, as before
    finally:
        st.release()


def test_a_stage_is_reused_until_etc_or_the_copy_changes(fake_etc):
    a = staged_etc("bwrap")
    b = staged_etc("bwrap")
    assert a is b and a.holders == 2
    b.release()
    (fake_etc / "hosts").write_text("10.0.0.1 changed\n")
    c = staged_etc("bwrap")
    assert c is not a and (c.path / "hosts").read_text() == "10.0.0.1 changed\n"
    assert a.path.exists()  # still held by a sandbox
    a.release()
    assert not a.path.exists()  # superseded and released: removed
    # the copy itself changed (by anyone): not used again
    (c.path / "hosts").chmod(0o666)
    d = staged_etc("bwrap")
    assert d is not c and os.stat(d.path / "hosts").st_mode & 0o777 == 0o644
    # an allowed entry that appears later is picked up
    (fake_etc / "shells").write_text("/bin/bash\n")
    e = staged_etc("bwrap")
    assert e is not d and (e.path / "shells").exists()
    # a disallowed one changes nothing
    (fake_etc / "sudoers").write_text("x\n")
    assert staged_etc("bwrap") is e
    for s in (c, d, e, e):
        s.release()


def test_concurrent_stages_are_one(fake_etc):
    got: list = []

    def take() -> None:
        got.append(staged_etc("bwrap"))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in got}) == 1 and got[0].holders == 8
    for s in got:
        s.release()


def test_the_bwrap_sandbox_sees_exactly_the_allowed_etc(workspace):
    need("bwrap")
    from corral.native.bwrap import BwrapBackend

    b = BwrapBackend(workspace, Budget(wall_s=30))
    b.start()
    try:
        r = b.run("ls -A /etc; echo ---; cat /etc/passwd; echo x > /etc/hosts || echo ro")
        assert r.ok or r.exit_code == 0, r
        listed, _, rest = r.stdout.partition("---\n")
        expected = {n for n in ETC_ALLOW if os.path.exists(f"/etc/{n}")} | {"passwd", "group"}
        assert set(listed.split()) == expected
        assert "corral:x:1000:1000" in rest and rest.rstrip().endswith("ro")
        for secret in ("shadow", "gshadow", "sudoers", "pip.conf"):
            assert secret not in listed.split()
    finally:
        b.close()


def test_a_forked_child_never_removes_the_parents_stage(fake_etc):
    st = staged_etc("bwrap")
    try:
        pid = os.fork()
        if pid == 0:  # the child: its own stage, and its exit clean-up leaves ours alone
            try:
                mine = staged_etc("bwrap")
                ok = mine is not st and mine.path.exists()
                etcstage._cleanup()
                os._exit(0 if ok and not mine.path.exists() else 1)
            except BaseException:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert st.path.exists() and st.fresh()
    finally:
        st.release()


def test_stages_of_a_killed_process_are_swept(fake_etc):
    import subprocess
    import sys

    code = (
        "import os\n"
        "from corral.native import etcstage\n"
        f"etcstage.ETC_ROOT = {str(fake_etc)!r}\n"
        "st = etcstage.staged_etc('gvisor')\n"
        "print(st.path, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})  # fmt: skip
    left = Path(p.stdout.strip())
    assert p.returncode == -9 and left.exists(), p.stderr
    leftovers.sweep()  # (the first stage a process makes sweeps: this one made some)
    assert not left.parent.exists()


def test_a_bind_asked_for_under_etc_still_works(workspace, tmp_path):
    """ro_binds under /etc need a mount point in /etc: bwrap's own /etc then, entry by
    entry, as before the stage."""
    need("bwrap")
    from corral.native.bwrap import BwrapBackend

    extra = "/etc/hostname" if os.path.exists("/etc/hostname") else "/etc/os-release"
    b = BwrapBackend(workspace, Budget(wall_s=30), ro_binds=[extra])
    b.start()
    try:
        r = b.run(f"test -r {extra} && echo bound; grep -c '^corral:' /etc/passwd; "
                  "test -e /etc/shadow || echo no-shadow")
        assert r.stdout == "bound\n1\nno-shadow\n", r
    finally:
        b.close()
