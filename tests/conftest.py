from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from corral.wasm import runtimes


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




def pytest_report_header(config):
    return f"CORRAL_HOME={os.environ.get('CORRAL_HOME', '(default)')}"
