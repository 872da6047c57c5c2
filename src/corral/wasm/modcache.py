"""Compiled-module cache.

Compiling python.wasm takes seconds; loading a serialized module takes about a
millisecond. Entries are keyed by the wasmtime version, the engine settings
that change generated code, and the module's sha256. Each entry carries its
own sha256 in a side file, checked once per process before the bytes are
handed to ``Module.deserialize_file`` (which trusts its input): a stale,
truncated or corrupted entry is rebuilt, never loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import wasmtime

from ..paths import modules_dir
from .runtimes import RUNTIMES, runtime_path, sha256_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineSettings:
    """The engine options that corral varies; part of the cache key."""

    fuel: bool = False

    def make_config(self) -> wasmtime.Config:
        cfg = wasmtime.Config()
        cfg.epoch_interruption = True
        cfg.consume_fuel = self.fuel
        cfg.cranelift_opt_level = "speed"
        return cfg

    def key(self) -> str:
        return f"epoch=1,fuel={int(self.fuel)},opt=speed"


_lock = threading.Lock()
_checked: dict[str, tuple[int, int]] = {}


def cache_key(runtime: str, settings: EngineSettings) -> str:
    spec = RUNTIMES[runtime]
    text = f"wasmtime={_wasmtime_version()};{settings.key()};{spec.sha256}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@functools.cache
def _wasmtime_version() -> str:
    from importlib.metadata import version

    return version("wasmtime")


def entry_path(runtime: str, settings: EngineSettings) -> Path:
    return modules_dir() / f"{runtime}-{cache_key(runtime, settings)}.cwasm"


def cached_modules(runtime: str) -> list[Path]:
    d = modules_dir()
    return sorted(d.glob(f"{runtime}-*.cwasm")) if d.exists() else []


def load_module(engine: wasmtime.Engine, runtime: str, settings: EngineSettings) -> wasmtime.Module:
    """The runtime's module for ``engine``, from the cache or freshly compiled.

    A cache that cannot be used (corral's home a file, unwritable, full) costs the
    compile, never the call: the module is compiled in memory and the reason logged
    once per process."""
    path = entry_path(runtime, settings)
    try:
        if _entry_ok(path):
            try:
                return wasmtime.Module.deserialize_file(engine, str(path))
            except wasmtime.WasmtimeError:
                pass  # written by an incompatible build: rebuild below
        return _rebuild(engine, runtime, settings, path)
    except OSError as e:
        _warn_uncached(path, e)
        return _compile(engine, runtime, runtime_path(runtime))


_warned: set[str] = set()


def _warn_uncached(path: Path, e: OSError) -> None:
    why = e.strerror or type(e).__name__
    where = e.filename or path
    with _lock:
        if str(path.parent) in _warned:
            return
        _warned.add(str(path.parent))
    log.warning(
        "corral: the compiled-module cache %s cannot be used (%s: %s); compiling in memory "
        "for this process (set CORRAL_HOME to a writable directory)",
        path.parent, where, why,
    )


def _entry_ok(path: Path) -> bool:
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    key = (st.st_size, st.st_mtime_ns)
    with _lock:
        if _checked.get(str(path)) == key:
            return True
    try:
        expected = path.with_suffix(".sha256").read_text().strip()
    except OSError:
        return False
    if sha256_file(path) != expected:
        return False
    with _lock:
        _checked[str(path)] = key
    return True


def _compile(engine: wasmtime.Engine, runtime: str, wasm: Path) -> wasmtime.Module:
    """Compile the runtime, saying so on a terminal: it takes seconds, once per machine."""
    if not sys.stderr.isatty():
        return wasmtime.Module.from_file(engine, str(wasm))
    from rich.console import Console

    console = Console(stderr=True)
    with console.status(
        f"compiling {wasm.name} for this machine (once; it takes a few seconds) …"
    ):
        module = wasmtime.Module.from_file(engine, str(wasm))
    console.print(f"[green]compiled[/green] {wasm.name}; later {runtime} sandboxes load it at once")
    return module


def _rebuild(
    engine: wasmtime.Engine, runtime: str, settings: EngineSettings, path: Path
) -> wasmtime.Module:
    wasm = runtime_path(runtime)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".lock", "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        # Another process may have built it while we waited.
        if _entry_ok(path):
            with contextlib.suppress(wasmtime.WasmtimeError):
                return wasmtime.Module.deserialize_file(engine, str(path))
        module = _compile(engine, runtime, wasm)
        data = module.serialize()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            path.with_suffix(".sha256").write_text(hashlib.sha256(data).hexdigest() + "\n")
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        st = path.stat()
        with _lock:
            _checked[str(path)] = (st.st_size, st.st_mtime_ns)
        return module
