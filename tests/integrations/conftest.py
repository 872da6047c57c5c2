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
    cache = Path(os.environ.get("CORRAL_HOME") or Path.home() / ".cache" / "corral") / "test-wheels"
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("openrlhf-0.11.2-*.whl"))
    if not wheels:
        r = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", OPENRLHF, "-d", str(cache)],
            capture_output=True, text=True, timeout=300,
        )
        wheels = sorted(cache.glob("openrlhf-0.11.2-*.whl"))
        if not wheels:
            pytest.skip(f"could not download {OPENRLHF} from PyPI: {r.stderr.strip()[-300:]}")
    source = zipfile.ZipFile(wheels[0]).read(AGENT_PY)
    path = cache / "openrlhf_agent_0_11_2.py"
    path.write_bytes(source)
    saved = sys.modules.get("openrlhf.utils.logging_utils")
    sys.modules["openrlhf.utils.logging_utils"] = SimpleNamespace(init_logger=logging.getLogger)  # type: ignore[assignment]
    try:
        spec = importlib.util.spec_from_file_location("openrlhf_agent_0_11_2", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            sys.modules.pop("openrlhf.utils.logging_utils", None)
        else:
            sys.modules["openrlhf.utils.logging_utils"] = saved
    return module
