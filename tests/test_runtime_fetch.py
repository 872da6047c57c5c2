"""The guest runtimes where there is no pip (a virtual environment made by ``uv venv``):
straight from the package index, still pinned and sha256-checked."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from corral.errors import RuntimeInstallError
from corral.wasm import runtimes as rt

_NO_PIP = textwrap.dedent(
    """
    import sys
    sys.modules["pip"] = None  # as in a venv made without pip
    from corral.wasm import runtimes as rt
    assert not rt._have_pip()
    paths = rt.install(quiet=True)
    print(sorted(p.name for p in paths.values()))
    """
)


def test_runtimes_install_without_pip_from_the_index(tmp_path: Path) -> None:
    src = Path(rt.__file__).resolve().parents[2]
    p = subprocess.run(
        [sys.executable, "-c", _NO_PIP],
        capture_output=True, text=True, timeout=600,
        env={"CORRAL_HOME": str(tmp_path), "PYTHONPATH": str(src), "PATH": "/usr/bin:/bin",
             "HOME": str(tmp_path)},
    )  # fmt: skip
    if p.returncode and "urlopen error" in p.stderr:
        pytest.skip(f"the package index is not reachable here: {p.stderr.strip()[-200:]}")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "['python.wasm', 'quickjs.wasm']"
    assert (tmp_path / "runtimes" / "python.wasm.verified").exists()


def test_a_wrong_index_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    with pytest.raises(RuntimeInstallError, match="no pip here"):
        rt._download_from_index(tmp_path)
