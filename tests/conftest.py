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




#: test files that must share one xdist worker: the Ray fleet tests (each starts a
#: cluster), and the tests that check no mount of theirs is left (templates, pools):
#: another file's sandboxes mounting at the same time would look like their leftovers
_SHARED_WORKER = {
    "tests/fleet/": "fleet",
    "tests/templates/": "mounts",
    "tests/native/test_pool.py": "mounts",
    "tests/native/test_gvisor_pool.py": "mounts",
    "tests/native/test_bwrap_nonroot.py": "mounts",
    "tests/native/test_escapes.py": "mounts",
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the marks
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``--dist loadgroup``) a test file runs whole on one worker,
    in order, as tests of a module may build on each other's workspace; the files
    of ``_SHARED_WORKER`` share one."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        group = next((g for pre, g in _SHARED_WORKER.items() if path.startswith(pre)), path)
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_report_header(config):
    return f"CORRAL_HOME={os.environ.get('CORRAL_HOME', '(default)')}"
