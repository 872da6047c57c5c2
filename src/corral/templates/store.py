"""Where templates live and what each records.

``$CORRAL_HOME/templates/`` holds one directory per template::

    NAME/meta.json     what built it (TemplateInfo)
    NAME/base/         the read-only base: for a script template the directories the
                       script changed (``usr/``, ``opt/``; overlayfs whiteouts and opaque
                       directories kept), for an image template a whole root filesystem
    .locks/NAME.lock   flock: exclusive while a build or a removal runs, shared while a
                       sandbox uses the template
    .tmp-NAME-*/       a build or an import in progress (renamed to NAME when complete)
    .trash-*/          a template being removed

A template appears only by ``rename`` of a complete directory, so a crash leaves no
half-made template; the leftovers of a crashed build are removed by the next build, import
or listing of that name.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..deeptree import remove_tree
from ..errors import CorralError
from ..paths import corral_home

__all__ = [
    "Template",
    "TemplateBusy",
    "TemplateError",
    "TemplateExists",
    "TemplateInfo",
    "TemplateNotFound",
    "get",
    "list_templates",
    "remove",
    "templates_dir",
    "validate_name",
]

#: the directories a script template may change (the rest of the tier stays read-only)
SCRIPT_DIRS = ("usr", "opt")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_XATTR_OPAQUE = "trusted.overlay.opaque"


class TemplateError(CorralError):
    """A template cannot be built, imported, used or removed; the message says why."""


class TemplateNotFound(TemplateError, LookupError):
    """No template of that name."""


class TemplateExists(TemplateError):
    """A template of that name exists already."""


class TemplateBusy(TemplateError):
    """Another build, import or removal of the same name runs, or sandboxes use it."""


class TemplateInfo(BaseModel):
    """What ``meta.json`` records about a template."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["script", "image"]
    #: script templates: the tier that ran the script, the policy and the script
    backend: str | None = None
    policy: str | None = None
    policy_sha256: str | None = None
    script: str | None = None
    #: image templates: the archive (file name, sha256, format, tags) and the image config
    source: dict[str, Any] | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    created: str
    corral_version: str
    build_seconds: float | None = None
    size_bytes: int
    files: int
    digest: str


def templates_dir() -> Path:
    """``$CORRAL_HOME/templates``."""
    return corral_home() / "templates"


def validate_name(name: object) -> str:
    """``name`` if it is a valid template name, else a :class:`TemplateError` saying why."""
    if not isinstance(name, str):
        raise TemplateError(f"a template name must be a str, got {type(name).__name__}")
    if not _NAME.fullmatch(name) or ".." in name:
        raise TemplateError(
            f"invalid template name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (no '/', no '..', not hidden)"
        )
    return name


class Template:
    """An existing template: its directory, base and metadata."""

    def __init__(self, name: str, path: Path, info: TemplateInfo) -> None:
        self.name = name
        self.path = path
        self.info = info

    @property
    def base(self) -> Path:
        return self.path / "base"

    @property
    def full_root(self) -> bool:
        """Whether the base is a whole root filesystem (an image) rather than a layer over
        the tier's own system directories."""
        return self.info.kind == "image"

    def verify(self) -> bool:
        """Whether the base still has the digest recorded when it was made."""
        return digest(self.base)[0] == self.info.digest

    def __repr__(self) -> str:
        return f"Template({self.name!r}, kind={self.info.kind!r})"


def _read_info(path: Path, name: str) -> TemplateInfo:
    try:
        raw = (path / "meta.json").read_bytes()
        if len(raw) > 4 * 1024 * 1024:
            raise TemplateError(f"template {name!r}: meta.json is too large")
        info = TemplateInfo.model_validate_json(raw)
    except FileNotFoundError:
        raise TemplateNotFound(f"template {name!r} is incomplete (no meta.json)") from None
    except (OSError, ValidationError) as e:
        raise TemplateError(f"template {name!r}: unreadable meta.json: {e}") from None
    if info.name != name:
        raise TemplateError(f"template {name!r}: meta.json names {info.name!r}")
    return info


def get(name: str) -> Template:
    """The template called ``name``; :class:`TemplateNotFound` naming it if there is none."""
    validate_name(name)
    path = templates_dir() / name
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        known = ", ".join(t.name for t in list_templates()) or "none"
        raise TemplateNotFound(
            f"no template named {name!r} (templates: {known}); make one with "
            f"'corral template build {name} --backend bwrap -- SCRIPT' or "
            f"'corral template import {name} IMAGE.tar'"
        ) from None
    if not stat.S_ISDIR(st.st_mode):
        raise TemplateError(f"template {name!r}: {path} is not a directory")
    return Template(name, path, _read_info(path, name))


def list_templates() -> list[Template]:
    """Every complete template, by name (broken ones are skipped)."""
    top = templates_dir()
    out: list[Template] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(os.listdir(top)):
            if entry.startswith(".") or not _NAME.fullmatch(entry):
                continue
            with contextlib.suppress(TemplateError):
                out.append(Template(entry, top / entry, _read_info(top / entry, entry)))
    return out


# --------------------------------------------------------------------------- locks


class NameLock:
    """The flock of one template name (``.locks/NAME.lock``)."""

    def __init__(self, name: str, *, shared: bool) -> None:
        lockdir = templates_dir() / ".locks"
        lockdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.fd = os.open(lockdir / f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self.fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except OSError as e:
            os.close(self.fd)
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            if shared:
                raise TemplateBusy(
                    f"template {name!r} is being built, imported or removed right now"
                ) from None
            raise TemplateBusy(
                f"template {name!r} is busy: another build, import or removal of it is "
                "running, or sandboxes are using it"
            ) from None

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> NameLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def clean_stale(name: str) -> None:
    """Remove what a crashed build or import of ``name`` left (call with its lock held)."""
    top = templates_dir()
    with contextlib.suppress(FileNotFoundError):
        for entry in os.listdir(top):
            if entry.startswith(f".tmp-{name}-"):
                rmtree(top / entry)
    with contextlib.suppress(FileNotFoundError):
        for entry in os.listdir(top):
            if entry.startswith(".trash-"):
                rmtree(top / entry)


def new_temp(name: str) -> Path:
    """A fresh private directory next to the templates, renamed into place when complete."""
    top = templates_dir()
    top.mkdir(parents=True, exist_ok=True)
    os.chmod(top, 0o755)
    return Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=top))


def commit(tmp: Path, name: str, info: TemplateInfo, *, replace: bool = False) -> Template:
    """Write ``meta.json`` into ``tmp`` and rename it to the template ``name`` (lock held)."""
    meta = tmp / "meta.json"
    with open(meta, "w") as f:
        f.write(info.model_dump_json(indent=2))
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o755)
    dest = templates_dir() / name
    old: Path | None = None
    if os.path.lexists(dest):
        if not replace:
            raise TemplateExists(f"template {name!r} exists already (remove it first)")
        old = Path(tempfile.mkdtemp(prefix=".trash-", dir=templates_dir()))
        os.rename(dest, old / "t")
    os.rename(tmp, dest)
    _fsync_dir(templates_dir())
    if old is not None:
        rmtree(old)
    return Template(name, dest, info)


def remove(name: str) -> None:
    """Remove template ``name``; refused while a sandbox uses it or a build runs."""
    validate_name(name)
    get(name)  # a clear "no template" first
    with NameLock(name, shared=False):
        dest = templates_dir() / name
        trash = Path(tempfile.mkdtemp(prefix=".trash-", dir=templates_dir()))
        os.rename(dest, trash / "t")  # gone at once; the files follow
        _fsync_dir(templates_dir())
        rmtree(trash)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def rmtree(path: Path) -> None:
    """Remove a tree, unmounting anything mounted inside it first (a crashed sandbox)."""
    from .mounts import unmount_under

    unmount_under(path)
    remove_tree(path, ignore_errors=True)


# --------------------------------------------------------------------------- content


def normalize(base: Path) -> None:
    """Make a finished base root's own: every entry owned by root, no set-id bits, no file
    capabilities, no overlayfs bookkeeping but the opaque marks, nothing but files,
    directories, symlinks, FIFOs and whiteouts (0/0 character devices)."""
    for path, _ in _walk(base):
        # by descriptor, never following a symlink (the walk's stat could be stale)
        try:
            fd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            st = os.fstat(fd)
            mode = st.st_mode
            if stat.S_ISLNK(mode):
                os.lchown(path, 0, 0)
                continue
            if stat.S_ISCHR(mode) and st.st_rdev == 0:
                pass  # a whiteout
            elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
                os.unlink(path)
                continue
            proc = f"/proc/self/fd/{fd}"
            os.chown(proc, 0, 0)
            if mode & (stat.S_ISUID | stat.S_ISGID):
                os.chmod(proc, stat.S_IMODE(mode) & ~(stat.S_ISUID | stat.S_ISGID))
            with contextlib.suppress(OSError):
                for attr in os.listxattr(proc):
                    drop = attr.startswith("trusted.overlay.") and attr != _XATTR_OPAQUE
                    if drop or attr == "security.capability":
                        os.removexattr(proc, attr)
        finally:
            os.close(fd)


def _walk(top: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Every entry under ``top`` (not ``top`` itself), sorted, symlinks not followed."""
    stack = [str(top)]
    while stack:
        d = stack.pop()
        with os.scandir(d) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in reversed(entries):
            st = e.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                stack.append(e.path)
        for e in entries:
            yield e.path, e.stat(follow_symlinks=False)


def digest(base: Path) -> tuple[str, int, int]:
    """(sha256 content digest, bytes, entries) of a base: paths, types, modes, owners,
    file contents, link targets, whiteouts and opaque marks."""
    h = hashlib.sha256()
    size = files = 0
    if not base.is_dir():
        return h.hexdigest(), 0, 0
    for path, st in _walk(base):
        rel = os.path.relpath(path, base)
        mode = st.st_mode
        files += 1
        line = f"{rel!r} {stat.S_IFMT(mode):o} {stat.S_IMODE(mode):o} {st.st_uid}:{st.st_gid}"
        if stat.S_ISREG(mode):
            fh = hashlib.sha256()
            with open(path, "rb", buffering=0) as f:
                while chunk := f.read(1 << 20):
                    fh.update(chunk)
            size += st.st_size
            line += f" {st.st_size} {fh.hexdigest()}"
        elif stat.S_ISLNK(mode):
            line += f" -> {os.readlink(path)!r}"
        elif stat.S_ISCHR(mode):
            line += f" rdev={st.st_rdev}"
        elif stat.S_ISDIR(mode):
            with contextlib.suppress(OSError):
                line += f" opaque={os.getxattr(path, _XATTR_OPAQUE, follow_symlinks=False)!r}"
        h.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest(), size, files


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def corral_version() -> str:
    from .. import __version__

    return __version__


def info_json(t: Template) -> dict[str, Any]:
    data = json.loads(t.info.model_dump_json())
    data["path"] = str(t.path)
    return data
