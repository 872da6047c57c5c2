"""doctor() and the gVisor backend's own basics."""

from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from corral import syscall_filters as filters
from corral.budget import Budget
from corral.native import BackendUnavailable, GvisorBackend, doctor
from corral.native.doctor import app, check_runsc, check_runsc_works, require, runsc_release

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
        assert r.stdout == "from host" and r.exit_code == 0, r
        assert r.usage.cpu_s > 0 and r.usage.memory_bytes > 0
        r = box.run("ls -la /workspace; stat -c '%s %U' in.txt; du -s . >/dev/null && echo du-ok")
        assert r.exit_code == 0 and "in.txt" in r.stdout and "9 corral" in r.stdout, r
        assert "du-ok" in r.stdout and "Invalid argument" not in r.stderr
        r = box.run("echo written > out.txt; env")
        assert "gv-secret-123" not in r.stdout
        assert (ws / "out.txt").read_text() == "written\n"
        r = box.run("sleep 30", timeout=1)
        assert r.error == "wall_time"
        r = box.run("yes")
        assert r.error == "output" and r.truncated


def _fake_runsc(tmp_path, monkeypatch, version: str) -> None:
    """A ``runsc`` first on PATH that only says its version."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    fake = bindir / "runsc"
    fake.write_text(f"#!/bin/sh\necho 'runsc version {version}'\necho 'spec: 1.0.2-dev'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")


def test_old_runsc_is_refused_with_the_fix(tmp_path, monkeypatch):
    _fake_runsc(tmp_path, monkeypatch, "0.0~20221219.0")
    c = check_runsc()
    assert not c.ok and not c.optional
    assert "20221219" in c.detail and "statx" in c.detail and "ls" in c.detail
    assert "sh scripts/install-system-packages.sh" in c.fix and "bookworm-backports" in c.fix
    with pytest.raises(BackendUnavailable, match=r"install-system-packages\.sh"):
        require("gvisor")
    works = check_runsc_works.__wrapped__()  # (uncached) no sandbox is tried with it
    assert not works.ok and "not tried" in works.detail and works.fix == c.fix
    ws = tmp_path / "ws"
    ws.mkdir()
    with pytest.raises(BackendUnavailable, match="statx"):  # the backend refuses to start
        GvisorBackend(ws, Budget(wall_s=5)).start()
    result = CliRunner().invoke(app, ["--quick"])
    assert result.exit_code == 1
    assert "[NO ] runsc: runsc version 0.0~20221219.0: too old" in result.stdout
    assert "fix: sh scripts/install-system-packages.sh" in result.stdout
    assert "gvisor: NOT available" in result.stdout


@pytest.mark.parametrize(
    ("version", "release"),
    [("0.0~20240729.0", 20240729), ("release-20231009.0", 20231009), ("VERSION_MISSING", None)],
)
def test_newer_or_unknown_runsc_passes_the_version_check(tmp_path, monkeypatch, version, release):
    assert runsc_release(f"runsc version {version}\nspec: 1.0.2-dev") == release
    _fake_runsc(tmp_path, monkeypatch, version)
    c = check_runsc()
    assert c.ok and version in c.detail
    assert ("release date unknown" in c.detail) == (release is None)


def test_installed_runsc_is_new_enough():
    need("gvisor")
    c = check_runsc()
    assert c.ok and runsc_release(c.detail) >= 20230101, c


def test_a_failed_check_is_not_remembered(monkeypatch):
    import importlib

    need("bwrap")
    doctor_mod = importlib.import_module("corral.native.doctor")
    doctor_mod.check_userns.forget()
    monkeypatch.setenv("PATH", "/nonexistent")
    assert not doctor_mod.check_userns().ok  # no bwrap on this PATH
    monkeypatch.undo()
    assert doctor_mod.check_userns().ok  # tried again, not the remembered failure
    assert doctor_mod.check_userns() is doctor_mod.check_userns()  # a pass is remembered
