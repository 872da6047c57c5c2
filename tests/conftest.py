from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from corral import runtimes


@pytest.fixture(scope="session", autouse=True)
def installed_runtimes() -> dict[str, Path]:
    """The real guest runtimes, installed by corral's own installer."""
    return runtimes.install(quiet=True)


@pytest.fixture
def isolated_home(tmp_path, monkeypatch, installed_runtimes) -> Path:
    """A fresh CORRAL_HOME holding copies of the installed runtimes."""
    home = tmp_path / "home"
    rdir = home / "runtimes"
    rdir.mkdir(parents=True)
    for path in installed_runtimes.values():
        shutil.copy2(path, rdir / path.name)
    monkeypatch.setenv("CORRAL_HOME", str(home))
    monkeypatch.setenv("CORRAL_NO_AUTO_INSTALL", "1")
    return home


@pytest.fixture
def sb():
    import corral

    with corral.Sandbox(budget=corral.Budget(wall_s=10, memory_mb=256)) as box:
        yield box


_CACHED_NATIVE_CHECKS = ("check_userns", "check_seccomp_notify", "check_runsc_works")


@pytest.fixture(autouse=True)
def _no_poisoned_native_checks():
    """corral's doctor caches its slow checks for the life of the process. A check first
    made during a test that changed the environment (``PATH=/nonexistent``) failed for that
    test only: forget it, or every later native test of the run is skipped as unavailable."""
    before = {name: check.cache_info().currsize for name, check in _native_checks()}
    yield
    for name, check in _native_checks():
        if check.cache_info().currsize and not before.get(name) and not check().ok:
            check.cache_clear()


def _native_checks() -> list:
    mod = sys.modules.get("corral.native.doctor")
    checks = [(name, getattr(mod, name, None)) for name in _CACHED_NATIVE_CHECKS]
    return [(name, c) for name, c in checks if hasattr(c, "cache_info")]


def pytest_report_header(config):
    return f"CORRAL_HOME={os.environ.get('CORRAL_HOME', '(default)')}"
