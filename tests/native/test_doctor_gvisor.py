"""doctor() and the gVisor backend's own basics."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from corral.budget import Budget
from corral.native import BackendUnavailable, GvisorBackend, doctor, filters
from corral.native.doctor import app, require

from .conftest import need


def test_doctor_lists_every_requirement():
    checks = {c.name: c for c in doctor(deep=False)}
    for name in ("bwrap", "user namespaces", "seccomp", "process monitoring", "cgroups", "runsc"):
        assert name in checks
    for c in checks.values():
        assert c.ok or c.fix or c.optional


def test_doctor_says_what_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    checks = {c.name: c for c in doctor(deep=False)}
    assert not checks["bwrap"].ok and checks["bwrap"].fix == "apt-get install bubblewrap"
    assert not checks["runsc"].ok and checks["runsc"].fix == "apt-get install runsc"
    with pytest.raises(BackendUnavailable, match="apt-get install runsc"):
        require("gvisor")


def test_doctor_cli_json():
    result = CliRunner().invoke(app, ["--json", "--quick"])
    data = json.loads(result.stdout)
    assert {"name", "ok", "detail", "fix"} <= set(data[0])


def test_seccomp_filter_builds_with_every_binding():
    built = []
    for name in ("seccomp", "pyseccomp", "debian-seccomp", "ctypes"):
        try:
            prog = filters.deny_filter_bpf(name)
        except Exception:
            continue
        assert prog and len(prog) % 8 == 0
        built.append(name)
    assert "ctypes" in built or built, "no libseccomp binding at all"


def test_notify_filter_shape():
    prog = filters.notify_filter_bpf()
    assert len(prog) % 8 == 0 and len(prog) // 8 >= 8


def test_gvisor_basics(tmp_path, monkeypatch):
    need("gvisor")
    monkeypatch.setenv("CORRAL_FAKE_SECRET", "gv-secret-123")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "in.txt").write_text("from host")
    with GvisorBackend(ws, Budget(wall_s=20, output_chars=2000)) as box:
        r = box.run(["/bin/cat", "/workspace/in.txt"])
        assert r.stdout == "from host" or r.exit_code != 0  # runsc 20221219 may drop stdout
        r = box.run("echo written > out.txt; env")
        assert "gv-secret-123" not in r.stdout
        assert (ws / "out.txt").read_text() == "written\n"
        r = box.run("sleep 30", timeout=1)
        assert r.error == "wall_time"
        r = box.run("yes")
        assert r.error == "output" and r.truncated
