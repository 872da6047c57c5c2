"""``corral template import``: a template whose root filesystem is an OCI image.

Reads an OCI image layout tarball (``oci-layout``, ``index.json``, ``blobs/``) or a
``docker save`` archive (``manifest.json``) without a daemon and applies the image's
layers in order into the new template's base, as hostile input:

* names: absolute paths, ``..`` components and NUL bytes are refused;
* whiteouts (``.wh.NAME``) delete ``NAME`` from the layers below, opaque markers
  (``.wh..wh..opq``) empty their directory of what the layers below put there;
* symlinks are stored as they are (inside the sandbox they resolve within its root), but
  extraction never writes through one: a path whose directories pass through a symlink is
  resolved inside the image's root, and one that would climb out of it is refused;
* hard links must name a regular file already in the image (never a host file);
* device nodes are refused; set-uid/set-gid bits are dropped, everything is owned by root
  (the sandbox's user, once mounted), extended attributes are not restored;
* the total size and number of entries are capped, so are JSON documents; OCI blobs are
  checked against their sha256 digests; gzip/bzip2/xz layers are read, zstd is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tarfile
import time
from pathlib import Path
from typing import IO, Any

from ..deeptree import remove_tree
from .store import (
    NameLock,
    Template,
    TemplateError,
    TemplateExists,
    TemplateInfo,
    clean_stale,
    commit,
    corral_version,
    digest,
    new_temp,
    normalize,
    now_iso,
    rmtree,
    templates_dir,
    validate_name,
)

__all__ = ["ImageError", "import_image"]

_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
_JSON_MAX = 16 * 1024 * 1024
_MAX_LAYERS = 256
_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


class ImageError(TemplateError):
    """The archive is not an image corral can import, or it tries something refused."""


def import_image(
    name: str,
    archive: str | Path,
    *,
    max_mb: float = 8192.0,
    max_entries: int = 500_000,
    replace: bool = False,
) -> Template:
    """Make template ``name`` from the image in ``archive`` (OCI layout or docker save)."""
    validate_name(name)
    path = Path(archive)
    if not path.is_file():
        raise ImageError(f"{archive}: no such image archive")
    t0 = time.monotonic()
    templates_dir().mkdir(parents=True, exist_ok=True)
    with NameLock(name, shared=False):
        clean_stale(name)
        if (templates_dir() / name).exists() and not replace:
            raise TemplateExists(f"template {name!r} exists already (remove it first)")
        tmp = new_temp(name)
        try:
            base = tmp / "base"
            base.mkdir(mode=0o755)
            sha = _sha256_file(path)
            try:
                outer = tarfile.open(path, "r:*")  # noqa: SIM115 (closed by the with below)
            except (tarfile.TarError, OSError):
                raise ImageError(
                    f"{archive}: not a tar archive (expected an OCI image layout tarball or "
                    "a docker save archive)"
                ) from None
            with outer:
                image = _Image(outer, str(archive))
                layers, config, fmt, tags = image.read()
                ex = _Extractor(base, int(max_mb * 1024 * 1024), max_entries)
                for i, member in enumerate(layers, 1):
                    ex.apply_layer(lambda m=member: image.open_blob(m), f"layer {i}")
            normalize(base)
            dig, size, files = digest(base)
            cfg = config.get("config") or {}
            info = TemplateInfo(
                name=name,
                kind="image",
                source={"file": path.name, "sha256": sha, "format": fmt, "tags": tags,
                        "layers": len(layers)},
                config={k: cfg[k] for k in ("Env", "Cmd", "Entrypoint", "WorkingDir", "User")
                        if k in cfg},
                created=now_iso(),
                corral_version=corral_version(),
                build_seconds=round(time.monotonic() - t0, 3),
                size_bytes=size,
                files=files,
                digest=dig,
            )
            return commit(tmp, name, info, replace=replace)
        finally:
            if tmp.exists():
                rmtree(tmp)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class _Image:
    """The outer archive: its manifest, config and layer blobs."""

    def __init__(self, outer: tarfile.TarFile, label: str) -> None:
        self.outer = outer
        self.label = label
        self.members: dict[str, tarfile.TarInfo] = {}
        for n, m in enumerate(outer):
            if n > 100_000:
                raise ImageError(f"{label}: too many entries for an image archive")
            if m.isreg():
                self.members[_clean_outer(m.name)] = m

    def _bytes(self, name: str, limit: int = _JSON_MAX) -> bytes:
        m = self.members.get(_clean_outer(name))
        if m is None:
            raise ImageError(f"{self.label}: {name} is missing from the archive")
        if m.size > limit:
            raise ImageError(f"{self.label}: {name} is too large ({m.size} bytes)")
        f = self.outer.extractfile(m)
        assert f is not None
        return f.read()

    def _json(self, name: str) -> Any:
        try:
            return json.loads(self._bytes(name))
        except (ValueError, UnicodeDecodeError) as e:
            raise ImageError(f"{self.label}: {name} is not valid JSON ({e})") from None

    def _blob(self, desc: Any) -> str:
        if not isinstance(desc, dict) or not isinstance(desc.get("digest"), str):
            raise ImageError(f"{self.label}: a descriptor without a digest: {desc!r:.200}")
        m = _DIGEST.fullmatch(desc["digest"])
        if m is None:
            raise ImageError(f"{self.label}: unsupported digest {desc['digest']!r:.100}")
        return f"blobs/sha256/{m.group(1)}"

    def read(self) -> tuple[list[str], dict[str, Any], str, list[str]]:
        """(layer member names in order, image config, format, tags)."""
        if "manifest.json" in self.members:
            man = self._json("manifest.json")
            if not isinstance(man, list) or not man or not isinstance(man[0], dict):
                raise ImageError(f"{self.label}: manifest.json is not a docker save manifest")
            if len(man) > 1:
                raise ImageError(
                    f"{self.label}: the archive holds {len(man)} images; save one image only"
                )
            entry = man[0]
            layers = entry.get("Layers")
            if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
                raise ImageError(f"{self.label}: manifest.json has no list of Layers")
            if len(layers) > _MAX_LAYERS:
                raise ImageError(f"{self.label}: more than {_MAX_LAYERS} layers")
            config = self._json(entry["Config"]) if isinstance(entry.get("Config"), str) else {}
            tags = [t for t in entry.get("RepoTags") or [] if isinstance(t, str)]
            return [_clean_outer(x) for x in layers], _dict(config), "docker-save", tags
        if "index.json" in self.members:
            index = self._json("index.json")
            desc = self._pick(index)
            tags: list[str] = []
            ann = desc.get("annotations") or {}
            if isinstance(ann, dict) and isinstance(ann.get("org.opencontainers.image.ref.name"),
                                                    str):  # fmt: skip
                tags.append(ann["org.opencontainers.image.ref.name"])
            for _ in range(4):  # nested indexes
                if desc.get("mediaType") not in _INDEX_TYPES:
                    break
                desc = self._pick(self._verified_json(desc))
            manifest = self._verified_json(desc)
            if not isinstance(manifest, dict) or not isinstance(manifest.get("layers"), list):
                raise ImageError(f"{self.label}: the image manifest has no layers")
            if len(manifest["layers"]) > _MAX_LAYERS:
                raise ImageError(f"{self.label}: more than {_MAX_LAYERS} layers")
            layers = []
            for d in manifest["layers"]:
                mt = str(d.get("mediaType", "")) if isinstance(d, dict) else ""
                if "zstd" in mt:
                    raise ImageError(f"{self.label}: zstd-compressed layers are not supported")
                if "nondistributable" in mt or "foreign" in mt:
                    raise ImageError(f"{self.label}: a layer kept outside the archive ({mt})")
                layers.append(self._blob(d))
            config = self._verified_json(manifest.get("config"))
            return layers, _dict(config), "oci", tags
        raise ImageError(
            f"{self.label}: neither an OCI image layout (index.json) nor a docker save "
            "archive (manifest.json)"
        )

    def _pick(self, index: Any) -> dict[str, Any]:
        mans = index.get("manifests") if isinstance(index, dict) else None
        if not isinstance(mans, list) or not mans:
            raise ImageError(f"{self.label}: an image index without manifests")
        mans = [m for m in mans if isinstance(m, dict)]
        for m in mans:
            plat = m.get("platform")
            if isinstance(plat, dict) and plat.get("os") == "linux" and \
                    plat.get("architecture") == _ARCH:  # fmt: skip
                return m
        if len(mans) > 1 and all(isinstance(m.get("platform"), dict) for m in mans):
            raise ImageError(f"{self.label}: no image for linux/{_ARCH} in the index")
        return mans[0]

    def _verified_json(self, desc: Any) -> Any:
        name = self._blob(desc)
        data = self._bytes(name)
        if hashlib.sha256(data).hexdigest() != name.rsplit("/", 1)[1]:
            raise ImageError(f"{self.label}: {name} does not match its digest")
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError) as e:
            raise ImageError(f"{self.label}: {name} is not valid JSON ({e})") from None

    def open_blob(self, name: str) -> IO[bytes]:
        m = self.members.get(name)
        if m is None:
            raise ImageError(f"{self.label}: layer {name} is missing from the archive")
        f = self.outer.extractfile(m)
        assert f is not None
        want = name.rsplit("/", 1)[1] if name.startswith("blobs/sha256/") else None
        if want is not None:  # check the digest before reading the layer
            h = hashlib.sha256()
            while chunk := f.read(1 << 20):
                h.update(chunk)
            if h.hexdigest() != want:
                raise ImageError(f"{self.label}: layer {name} does not match its digest")
            f.seek(0)
        head = f.read(4)
        f.seek(0)
        if head == b"\x28\xb5\x2f\xfd":
            raise ImageError(f"{self.label}: layer {name} is zstd-compressed (not supported)")
        return f


def _dict(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _clean_outer(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _member_parts(name: str, where: str) -> list[str]:
    """The components of an entry's name; hostile names are refused."""
    if "\0" in name:
        raise ImageError(f"{where}: entry name with a NUL byte refused")
    if name.startswith("/"):
        raise ImageError(f"{where}: absolute path {name!r:.200} refused")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ImageError(f"{where}: path traversal {name!r:.200} refused")
    return parts


class _Extractor:
    """Applies layers into ``root`` (a private directory only this process writes)."""

    def __init__(self, root: Path, max_bytes: int, max_entries: int) -> None:
        self.root = str(root)
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self.entries = 0

    # ---- paths

    def _resolve_dir(self, parts: list[str], where: str, create: bool = True) -> str:
        """The host path of the directory ``parts`` inside the root, symlinks followed
        within the root (absolute targets from the root); climbing out is refused."""
        todo = list(parts)
        cur: list[str] = []
        hops = 0
        while todo:
            comp = todo.pop(0)
            if comp in ("", "."):
                continue
            if comp == "..":
                if not cur:
                    raise ImageError(f"{where}: a symlink on the way points outside the image")
                cur.pop()
                continue
            host = os.path.join(self.root, *cur, comp)
            try:
                st = os.lstat(host)
            except FileNotFoundError:
                if not create:
                    raise ImageError(f"{where}: {'/'.join([*cur, comp])} does not exist") from None
                os.mkdir(host, 0o755)
                cur.append(comp)
                continue
            if stat.S_ISLNK(st.st_mode):
                hops += 1
                if hops > 40:
                    raise ImageError(f"{where}: too many levels of symbolic links")
                target = os.readlink(host)
                if "\0" in target:
                    raise ImageError(f"{where}: a bad symlink")
                if target.startswith("/"):
                    cur = []
                todo = [p for p in target.split("/") if p] + todo
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise ImageError(f"{where}: {'/'.join([*cur, comp])} is not a directory")
            cur.append(comp)
        return os.path.join(self.root, *cur)

    def _target(self, parts: list[str], where: str) -> str:
        """Host path of an entry: its parent resolved within the root, its own name not
        followed."""
        parent = self._resolve_dir(parts[:-1], where)
        return os.path.join(parent, parts[-1])

    @staticmethod
    def _remove(path: str) -> None:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            remove_tree(path)
        else:
            os.unlink(path)

    # ---- layers

    def apply_layer(self, opener: Any, label: str) -> None:
        # pass 1: whiteouts and opaque markers act on the layers below only
        whiteouts: list[list[str]] = []
        opaque: list[list[str]] = []
        for _, m in self._members(opener, label):
            parts = _member_parts(m.name, f"{label}: {m.name!r:.200}")
            if parts and parts[-1] == ".wh..wh..opq":
                opaque.append(parts[:-1])
            elif parts and parts[-1].startswith(".wh."):
                victim = parts[-1][4:]
                if victim in ("", ".", ".."):
                    raise ImageError(f"{label}: bad whiteout {m.name!r:.200}")
                whiteouts.append([*parts[:-1], victim])
        for parts in opaque:
            where = f"{label}: opaque directory {'/'.join(parts)!r}"
            d = self._resolve_dir(parts, where)
            for child in os.listdir(d):
                self._remove(os.path.join(d, child))
        for parts in whiteouts:
            where = f"{label}: whiteout of {'/'.join(parts)!r}"
            try:
                parent = self._resolve_dir(parts[:-1], where, create=False)
            except ImageError:
                continue  # nothing there to delete
            self._remove(os.path.join(parent, parts[-1]))
        # pass 2: the layer's own entries
        for tf, m in self._members(opener, label):
            parts = _member_parts(m.name, f"{label}: {m.name!r:.200}")
            if not parts or parts[-1].startswith(".wh."):
                continue
            self.entries += 1
            if self.entries > self.max_entries:
                raise ImageError(f"{label}: more than {self.max_entries} entries: refused")
            where = f"{label}: {m.name!r:.200}"
            try:
                self._extract(tf, m, parts, where)
            except OSError as e:
                raise ImageError(f"{where}: {e.strerror or e}") from None

    def _members(self, opener: Any, label: str) -> Any:
        f = opener()
        try:
            with tarfile.open(fileobj=f, mode="r:*") as tf:
                for m in tf:
                    yield tf, m
        except tarfile.TarError as e:
            raise ImageError(f"{label}: not a valid tar layer ({e})") from None

    def _extract(self, tf: tarfile.TarFile, m: tarfile.TarInfo, parts: list[str],
                 where: str) -> None:  # fmt: skip
        mode = m.mode & 0o1777  # no set-uid/set-gid
        if m.ischr() or m.isblk():
            raise ImageError(f"{where}: device node refused")
        if m.isdir():
            path = self._target(parts, where)
            with contextlib.suppress(FileNotFoundError):
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    os.unlink(path)
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o755)
            os.chmod(path, mode | 0o700 if mode else 0o755)
            return
        path = self._target(parts, where)
        self._remove(path)
        if m.issym():
            if "\0" in m.linkname or len(m.linkname) > 4096:
                raise ImageError(f"{where}: bad symlink target")
            os.symlink(m.linkname, path)
        elif m.islnk():
            lparts = _member_parts(m.linkname, f"{where} (hard link target)")
            if not lparts:
                raise ImageError(f"{where}: hard link to the root refused")
            src = self._target(lparts, f"{where} (hard link target)")
            try:
                st = os.lstat(src)
            except FileNotFoundError:
                raise ImageError(
                    f"{where}: hard link to {m.linkname!r:.200}, which is not in the image"
                ) from None
            if not stat.S_ISREG(st.st_mode):
                raise ImageError(f"{where}: hard link to something not a regular file")
            os.link(src, path, follow_symlinks=False)
            self.entries += 1
        elif m.isfifo():
            os.mkfifo(path, mode & 0o777)
        elif m.isreg():
            if self.bytes + m.size > self.max_bytes:
                raise ImageError(
                    f"{where}: the image is larger than the cap of "
                    f"{self.max_bytes // (1024 * 1024)} MB: refused"
                )
            data = tf.extractfile(m)
            if data is None:
                raise ImageError(f"{where}: cannot read the file")
            with data:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                             | os.O_CLOEXEC, 0o600)  # fmt: skip
                with os.fdopen(fd, "wb") as out:
                    while chunk := data.read(1 << 20):
                        self.bytes += len(chunk)
                        if self.bytes > self.max_bytes:
                            raise ImageError(f"{where}: the image is larger than the cap")
                        out.write(chunk)
            os.chmod(path, mode)
        else:
            raise ImageError(f"{where}: unsupported entry type {m.type!r}")
