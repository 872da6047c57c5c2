"""Fixtures for the integration tests: the examples as modules, and OpenRLHF's real
``openrlhf/utils/agent.py`` (from the installed package, else from its wheel on PyPI)."""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "integrations"
OPENRLHF = "openrlhf==0.11.2"
AGENT_PY = "openrlhf-0.11.2.data/purelib/openrlhf/utils/agent.py"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"corral_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wheel_member(requirement: str, pattern: str, member: str) -> Path:
    """One file of a package's wheel from PyPI (cached under ``$CORRAL_HOME``): for
    frameworks too heavy to install (torch, vLLM), whose interface files are plain
    Python. Skips the test, saying why, when PyPI cannot be reached."""
    cache = Path(os.environ.get("CORRAL_HOME") or Path.home() / ".cache" / "corral")
    cache = cache / "test-wheels"
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob(pattern))
    if not wheels:
        r = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", requirement,
             "-d", str(cache)],
            capture_output=True, text=True, timeout=300,
        )
        wheels = sorted(cache.glob(pattern))
        if not wheels:
            pytest.skip(f"could not download {requirement} from PyPI: {r.stderr.strip()[-300:]}")
    out = cache / (wheels[0].name + "." + member.replace("/", "_"))
    if not out.exists():
        out.write_bytes(zipfile.ZipFile(wheels[0]).read(member))
    return out


def load_file(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def openrlhf_agent() -> ModuleType:
    """OpenRLHF's own agent module. Installed OpenRLHF pulls torch and vLLM; its
    ``utils/agent.py`` needs only aiohttp, so (as OpenRLHF's own tests/test_agent.py
    does) it is loaded from the file with ``openrlhf.utils.logging_utils`` stood in."""
    try:
        import openrlhf.utils.agent as agent

        return agent
    except ImportError:
        pass
    pytest.importorskip("aiohttp", reason="OpenRLHF's agent module needs aiohttp")
    path = wheel_member(OPENRLHF, "openrlhf-0.11.2-*.whl", AGENT_PY)
    saved = sys.modules.get("openrlhf.utils.logging_utils")
    sys.modules["openrlhf.utils.logging_utils"] = SimpleNamespace(init_logger=logging.getLogger)  # type: ignore[assignment]
    try:
        return load_file(path, "openrlhf_agent_0_11_2")
    finally:
        if saved is None:
            sys.modules.pop("openrlhf.utils.logging_utils", None)
        else:
            sys.modules["openrlhf.utils.logging_utils"] = saved


@pytest.fixture(scope="session")
def verl_schemas() -> ModuleType:
    """verl 0.9.1's ``verl/tools/schemas.py`` (pydantic only; verl itself needs torch)."""
    try:
        import verl.tools.schemas as schemas

        return schemas
    except ImportError:
        pass
    path = wheel_member("verl==0.9.1", "verl-0.9.1-*.whl", "verl/tools/schemas.py")
    return load_file(path, "verl_tools_schemas_0_9_1")
