"""``import corral`` loads only what is used (PEP 562 names), and the shell worker's
template does not import the host's heavy parts (pydantic, wasmtime, typer)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import corral

SRC = str(Path(__file__).resolve().parents[1] / "src")
HEAVY = ("typer", "wasmtime", "pydantic", "asyncio", "corral.sandbox", "corral.native")


def _probe(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints a JSON object as its last line."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


LOADED = "import json, sys; print(json.dumps({m: m in sys.modules for m in %r}))"


def test_import_corral_loads_nothing_heavy():
    got = _probe("import corral\n" + LOADED % (HEAVY,))
    assert not any(got.values()), got


def test_names_load_on_first_use_without_the_tiers():
    code = (
        "import corral\n"
        "from corral import Budget, CorralError, Capabilities, events\n"
        "assert corral.events.Event is corral.Event and Budget().wall_s > 0\n"
        "S = corral.Sandbox\n"
        "assert S.__name__ == 'Sandbox' and corral.AsyncSandbox and corral.ActionDenied\n"
        + LOADED
        % (HEAVY,)
    )
    got = _probe(code)
    assert got["corral.sandbox"] and got["pydantic"]
    assert not got["typer"] and not got["wasmtime"] and not got["corral.native"], got
    assert not got["asyncio"], got  # loaded by the async API (with its event loop)


def test_wasmtime_only_with_the_first_guest():
    code = (
        "import corral, sys\n"
        "with corral.Sandbox() as sb:\n"
        "    assert sb.run('echo hi').stdout == 'hi\\n'\n"
        "    before = 'wasmtime' in sys.modules\n"
        "    assert sb.python('print(6*7)').stdout == '42\\n'\n"
        "    print(json.dumps({'before': before, 'after': 'wasmtime' in sys.modules}))\n"
    )
    got = _probe("import json\n" + code)
    assert got == {"before": False, "after": True}


def test_template_imports_only_the_shell():
    code = "import corral.wasm.worker as w\nw._preload()\n" + LOADED % (
        ("typer", "wasmtime", "pydantic", "corral.sandbox", "corral.events", "corral.shell.interp"),
    )
    got = _probe(code)
    assert got.pop("corral.shell.interp")
    assert not any(got.values()), got


def test_public_names_and_errors():
    for name in corral.__all__:
        assert getattr(corral, name) is not None
    assert set(corral.__all__) <= set(dir(corral))
    assert corral.Policy is corral.policy.Policy
    assert corral.audit.AuditLog.__name__ == "AuditLog"  # submodules, as before
    try:
        corral.no_such_name  # noqa: B018
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_native_doctor_is_the_function_and_its_cli_loads_on_demand():
    from corral.native import BwrapBackend, GvisorBackend, doctor
    from corral.native.doctor import app

    assert callable(doctor) and not isinstance(doctor, type(sys))
    assert BwrapBackend.__name__ == "BwrapBackend" and GvisorBackend.__name__ == "GvisorBackend"
    assert app.info.help.startswith("Check what the native sandboxes")


def test_unicode_tables_match_pythons_re():
    from corral import saferegex

    assert saferegex._every_code_point() == "".join(map(chr, range(0x110000)))
    rx = saferegex.compile(r"\w+")
    for ch in ("é", "ß", "漢", "٣", "_", "\u0300"):
        assert (rx.fullmatch(ch) is not None) == (saferegex.re.fullmatch(r"\w+", ch) is not None)


def test_naming_the_sandbox_starts_the_shell_template():
    code = (
        "import json, corral\n"
        "from corral.wasm.template import TEMPLATE\n"
        "before = TEMPLATE.proc is not None\n"
        "from corral import Budget, ActionDenied\n"
        "budget = TEMPLATE.proc is not None\n"
        "corral.Sandbox\n"
        "print(json.dumps({'before': before, 'budget': budget, 'after': TEMPLATE.proc is not None}))\n"
    )
    assert _probe(code) == {"before": False, "budget": False, "after": True}
