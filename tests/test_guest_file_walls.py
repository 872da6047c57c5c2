"""The wasm tier's file walls against guests that step past their drivers' checks.

The Python and JavaScript drivers check each file operation against the policy, but in
the guest's own interpreter: JavaScript that imports ``qjs:std``/``qjs:os`` itself opened
any workspace file. The walls (:mod:`corral.wasm.hiding`, the sandbox's after-call walk):
what the policy refuses to let the sandbox read is not beneath the guest's preopened
directory while a call runs, and what it refuses to let it write, changed or made by a
call, is taken out of the workspace after it (fails closed, as on gVisor)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from corral import Sandbox
from corral.policy import Policy
from corral.wasm import hiding

GRADER = Policy.from_yaml(
    """
version: 1
extends: [default]
filesystem:
  ask_write: ["tests/**", "**/conftest.py"]
"""
)

READ_JS = """
const s_{n} = await import("qjs:std"); const o_{n} = await import("qjs:os");
print(JSON.stringify(o_{n}.readdir("/workspace")[0].sort()));
print(JSON.stringify(o_{n}.readdir("/workspace/.ssh")));
print("env:", s_{n}.loadFile("/workspace/.env"));
print("key:", s_{n}.loadFile("/workspace/.ssh/id_ed25519"));
"""


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))


def _secrets(ws: Path) -> None:
    ws.mkdir()
    (ws / ".env").write_text("API_KEY=zzz\n")
    os.chmod(ws / ".env", 0o640)
    (ws / ".ssh").mkdir()
    (ws / ".ssh" / "id_ed25519").write_text("PRIVATE\n")
    (ws / "app.py").write_text("print('app')\n")


def test_a_js_guest_importing_qjs_std_reads_no_refused_file(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _secrets(ws)
    with Sandbox(backend="wasm", policy="default", workspace=ws, monitor=False) as sb:
        r = sb.js(READ_JS.format(n=1))
        py = sb.python(
            "import os\nprint(sorted(os.listdir('/workspace')))\n"
            "try:\n    open('/workspace/.env').read()\nexcept OSError as e:\n    print('refused', e.errno)\n"
        )
        again = sb.js(READ_JS.format(n=2))
    assert r.exit_code == 0, r.stderr
    assert "zzz" not in r.stdout and "PRIVATE" not in r.stdout, r.stdout
    assert '["."' in r.stdout and ".env" not in r.stdout.splitlines()[0], r.stdout
    assert "env: null" in r.stdout and "key: null" in r.stdout, r.stdout
    assert "zzz" not in again.stdout and "PRIVATE" not in again.stdout
    assert ".env" not in py.stdout and "refused" in py.stdout, py.stdout
    # back after each call, as they were
    assert (ws / ".env").read_text() == "API_KEY=zzz\n"
    assert os.stat(ws / ".env").st_mode & 0o777 == 0o640
    assert (ws / ".ssh" / "id_ed25519").read_text() == "PRIVATE\n"
    assert not list((tmp_path / "home" / "hidden").glob("*.json"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".corral-hidden-")]


def test_a_file_made_at_a_hidden_name_goes_to_the_quarantine(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _secrets(ws)
    with Sandbox(backend="wasm", policy="default", workspace=ws, monitor=False) as sb:
        r = sb.js(
            'const s3 = await import("qjs:std"); const f = s3.open("/workspace/.env", "w");'
            ' f.puts("FORGED=1\\n"); f.close(); print("made");'
        )
        q = sb.quarantine
    assert "made" in r.stdout, r.stderr
    assert (ws / ".env").read_text() == "API_KEY=zzz\n"
    assert ".env: made while the policy refused" in r.stderr, r.stderr
    assert q is not None and any(p.read_text() == "FORGED=1\n" for p in q.rglob("*") if p.is_file())


def test_a_grader_file_written_past_the_js_driver_is_taken_out(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "tests").mkdir(parents=True)
    (ws / "tests" / "test_app.py").write_text("def test_f():\n    assert f() == 2\n")
    with Sandbox(backend="wasm", policy=GRADER, workspace=ws, monitor=False) as sb:
        r = sb.js(
            'const s4 = await import("qjs:std");'
            ' let f = s4.open("/workspace/tests/test_app.py", "w"); f.puts("def test_f(): pass"); f.close();'
            ' f = s4.open("/workspace/conftest.py", "w"); f.puts("x = 1"); f.close(); print("wrote");'
        )
        own = sb.js('const s5 = await import("qjs:std"); const g = s5.open("/workspace/own.py", "w");'
                    ' g.puts("ok"); g.close();')  # fmt: skip
    assert "wrote" in r.stdout, r.stderr
    # fails closed: the changed test and the planted conftest are out of the workspace
    assert not (ws / "conftest.py").exists()
    assert not (ws / "tests" / "test_app.py").exists()
    assert "tests/test_app.py: taken out of the workspace after the run" in r.stderr
    assert own.exit_code == 0 and (ws / "own.py").read_text() == "ok"


def test_what_a_dead_sandbox_left_hidden_is_put_back(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _secrets(ws)
    env = {**os.environ, "CORRAL_HOME": str(tmp_path / "home")}
    code = (
        "import os, sys; from pathlib import Path; from corral.wasm.hiding import hide\n"
        "h = hide(Path(sys.argv[1]), ['.env', '.ssh'])\n"
        "assert len(h.moved) == 2, h\n"
        "os._exit(0)\n"  # dies in the middle of a call: nothing put back
    )
    subprocess.run([sys.executable, "-c", code, str(ws)], env=env, check=True)
    assert not (ws / ".env").exists() and not (ws / ".ssh").exists()
    with Sandbox(backend="wasm", policy="default", workspace=ws, monitor=False) as sb:
        r = sb.run("echo hi")
    assert r.stdout == "hi\n"
    assert (ws / ".env").read_text() == "API_KEY=zzz\n"
    assert (ws / ".ssh" / "id_ed25519").read_text() == "PRIVATE\n"
    assert not list((tmp_path / "home" / "hidden").glob("*.json"))


def test_a_live_callers_record_is_left_alone(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _secrets(ws)
    h = hiding.hide(ws, [".env"])
    try:
        assert hiding.recover(ws, lambda: tmp_path / "q") == ""  # this process is alive
        assert not (ws / ".env").exists()
    finally:
        h.restore(lambda: tmp_path / "q")
    assert (ws / ".env").read_text() == "API_KEY=zzz\n"


def test_putting_back_follows_no_symlink(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    (ws / "sub" / ".env").write_text("S=1\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    h = hiding.hide(ws, ["sub/.env"])
    assert h.moved
    # the call swapped the parent for a symlink to a directory outside the workspace
    (ws / "sub").rmdir()
    (ws / "sub").symlink_to(outside)
    note = h.restore(lambda: tmp_path / "q")
    assert list(outside.iterdir()) == []
    assert "sub/.env: left at" in note
    assert h.stash is not None and (h.stash / "0").read_text() == "S=1\n"
    records = list((tmp_path / "home" / "hidden").glob("*.json"))
    assert len(records) == 1  # kept: nothing is lost


def test_a_parent_the_call_removed_is_made_again(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "a" / "b").mkdir(parents=True)
    (ws / "a" / "b" / ".env").write_text("X=1\n")
    h = hiding.hide(ws, ["a/b/.env"])
    (ws / "a" / "b").rmdir()
    (ws / "a").rmdir()
    assert h.restore(lambda: tmp_path / "q") == ""
    assert (ws / "a" / "b" / ".env").read_text() == "X=1\n"


def test_two_sandboxes_on_one_workspace_never_show_a_hidden_file(tmp_path: Path) -> None:
    """One guest run at a time per workspace: a run that ends and puts the file back must
    not do so under another sandbox's guest that is still reading."""
    ws = tmp_path / "ws"
    _secrets(ws)
    outs: list[str] = []

    def long_run() -> None:
        with Sandbox(backend="wasm", policy="default", workspace=ws, monitor=False) as sb:
            sb.js('const o6 = await import("qjs:os"); o6.sleep(1500); print("slept");')

    def reader() -> None:
        time.sleep(0.3)
        with Sandbox(backend="wasm", policy="default", workspace=ws, monitor=False) as sb:
            r = sb.js(
                'const s7 = await import("qjs:std"); const o7 = await import("qjs:os");'
                " const t0 = Date.now(); let seen = [];"
                ' while (Date.now() - t0 < 3000) { seen.push(s7.loadFile("/workspace/.env")); o7.sleep(50); }'
                " print(JSON.stringify([...new Set(seen)]));"
            )
            outs.append(r.stdout + r.stderr)

    threads = [threading.Thread(target=long_run), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert outs and "[null]" in outs[0] and "zzz" not in outs[0], outs
    assert (ws / ".env").read_text() == "API_KEY=zzz\n"


def test_a_forged_record_moves_nothing(tmp_path: Path) -> None:
    """A record is data (corral's home may lie beneath a workspace): one naming a stash
    corral did not make, or an entry that is not its own index, is not followed."""
    ws = tmp_path / "ws"
    ws.mkdir()
    outside = tmp_path / "host-secrets"
    outside.mkdir(mode=0o700)
    (outside / "0").write_text("HOST SECRET\n")
    forged = tmp_path / ".corral-hidden-forged"
    forged.mkdir(mode=0o755)  # corral's own stashes are 0700
    (forged / "0").write_text("X\n")
    records = tmp_path / "home" / "hidden"
    records.mkdir(parents=True)
    key = hiding._key(ws)
    for i, stash in enumerate((outside, forged, ws / "sub")):
        (records / f"{key}-f{i}.json").write_text(json.dumps({
            "root": str(ws), "stash": str(stash), "moved": [["loot", "0"]],
            "pid": 1, "start": "0",
        }))  # fmt: skip
    (records / f"{key}-f9.json").write_text("{not json")
    note = hiding.recover(ws, lambda: tmp_path / "q")
    assert list(ws.iterdir()) == []
    assert (outside / "0").read_text() == "HOST SECRET\n"
    assert note.count("was not followed") == 3 and "could not be read" in note


def test_no_place_for_the_records_means_the_guest_does_not_run(tmp_path: Path) -> None:
    """Fails closed, with the reason: a guest that could not be kept from the refused
    files is not run (the shell, whose file operations the host decides, still runs)."""
    ws = tmp_path / "ws"
    _secrets(ws)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "hidden").write_text("")  # where the records go: not a directory
    with Sandbox(backend="wasm", policy="default", workspace=ws, monitor=False) as sb:
        r = sb.js('const s8 = await import("qjs:std"); print(s8.loadFile("/workspace/.env"));')
        shell = sb.run("echo fine")
    assert r.error == "denied" and r.exit_code == 126, r
    assert "could not be taken out of the guest's reach" in r.stderr and "zzz" not in r.stdout
    assert shell.stdout == "fine\n"
    assert (ws / ".env").read_text() == "API_KEY=zzz\n"
