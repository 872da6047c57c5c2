"""Small container images made in the tests: a root filesystem of host programs and their
libraries (found with ``ldd``), packed as a ``docker save`` archive or an OCI image layout
tarball, and hostile layers for the escape tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

#: (kind, name, value): kind is file (value: bytes or (bytes, mode)), dir, symlink
#: (value: target), hardlink (value: target name), chr, fifo
Entry = tuple[str, str, Any]

PROGRAMS = ("bash", "cat", "ls", "id", "rm", "touch", "mkdir", "echo", "head", "wc", "stat")


def _usrmerged(path: str) -> str:
    for d in ("/bin/", "/sbin/", "/lib/", "/lib64/"):
        if path.startswith(d):
            return "/usr" + path
    return path


def host_rootfs(programs: tuple[str, ...] = PROGRAMS) -> list[Entry]:
    """A tiny usr-merged root filesystem: ``programs`` from the host and their libraries."""
    files: dict[str, bytes] = {}
    for prog in programs:
        exe = shutil.which(prog)
        assert exe, f"{prog} not on this host"
        files[_usrmerged("/usr/bin/" + prog)] = Path(exe).read_bytes()
        out = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
        for lib in re.findall(r"(/\S+) \(0x", out):
            files[_usrmerged(lib)] = Path(os.path.realpath(lib)).read_bytes()
    entries: list[Entry] = [
        ("dir", "usr", None), ("dir", "usr/bin", None), ("dir", "usr/lib", None),
        ("dir", "etc", None), ("dir", "tmp", None),
        ("symlink", "bin", "usr/bin"), ("symlink", "lib", "usr/lib"),
        ("symlink", "lib64", "usr/lib64"), ("symlink", "usr/bin/sh", "bash"),
    ]  # fmt: skip
    made = {"usr", "usr/bin", "usr/lib"}
    for path, data in sorted(files.items()):
        rel = path.lstrip("/")
        parts = rel.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in made:
                made.add(d)
                entries.append(("dir", d, None))
        entries.append(("file", rel, (data, 0o755)))
    return entries


def layer_bytes(entries: list[Entry], *, gz: bool = False) -> bytes:
    """A layer tarball of ``entries`` (in order)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for kind, name, value in entries:
            ti = tarfile.TarInfo(name)
            ti.uid = ti.gid = 0
            ti.mtime = 1_700_000_000
            data = b""
            if kind == "file":
                data, mode = value if isinstance(value, tuple) else (value, 0o644)
                ti.size, ti.mode = len(data), mode
            elif kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "symlink":
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, value, 0o777
            elif kind == "hardlink":
                ti.type, ti.linkname, ti.mode = tarfile.LNKTYPE, value, 0o644
            elif kind == "chr":
                ti.type, ti.devmajor, ti.devminor, ti.mode = tarfile.CHRTYPE, 1, 3, 0o666
            elif kind == "fifo":
                ti.type, ti.mode = tarfile.FIFOTYPE, 0o644
            else:
                raise ValueError(kind)
            tf.addfile(ti, io.BytesIO(data) if kind == "file" else None)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if gz else raw


def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = 1_700_000_000
    tf.addfile(ti, io.BytesIO(data))


def _config(layers: list[bytes]) -> bytes:
    diff_ids = []
    for raw in layers:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    return json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["/bin/bash"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }).encode()  # fmt: skip


def docker_save(path: Path, layers: list[bytes], tag: str = "corral-test:1") -> Path:
    """A ``docker save`` archive (legacy layout: ``ID/layer.tar`` and ``manifest.json``)."""
    config = _config(layers)
    cid = hashlib.sha256(config).hexdigest()
    with tarfile.open(path, "w") as tf:
        names = []
        for raw in layers:
            lid = hashlib.sha256(raw).hexdigest()
            _add(tf, f"{lid}/layer.tar", raw)
            names.append(f"{lid}/layer.tar")
        _add(tf, f"{cid}.json", config)
        manifest = [{"Config": f"{cid}.json", "RepoTags": [tag], "Layers": names}]
        _add(tf, "manifest.json", json.dumps(manifest).encode())
    return path


def oci_layout(path: Path, layers: list[bytes], ref: str = "corral-test") -> Path:
    """An OCI image layout tarball (``oci-layout``, ``index.json``, ``blobs/sha256``)."""
    blobs: dict[str, bytes] = {}

    def blob(data: bytes) -> str:
        d = hashlib.sha256(data).hexdigest()
        blobs[d] = data
        return "sha256:" + d

    config = _config(layers)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": blob(config), "size": len(config)},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar"
             + ("+gzip" if raw[:2] == b"\x1f\x8b" else ""),
             "digest": blob(raw), "size": len(raw)}
            for raw in layers
        ],
    }).encode()  # fmt: skip
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(manifest),
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": ref},
        "platform": {"architecture": "amd64", "os": "linux"}}]}  # fmt: skip
    with tarfile.open(path, "w") as tf:
        _add(tf, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(tf, "index.json", json.dumps(index).encode())
        for d, data in blobs.items():
            _add(tf, f"blobs/sha256/{d}", data)
    return path


HELLO = b"#!/bin/sh\necho hello from the image\n"


def sample_layers() -> list[bytes]:
    """Two layers: a root filesystem of host programs (with files the second layer
    removes), then a whiteout, an opaque directory and a program in /usr/local/bin."""
    base = host_rootfs()
    base += [
        ("file", "etc/gone.txt", b"removed by a whiteout\n"),
        ("dir", "opt", None), ("dir", "opt/old", None),
        ("file", "opt/old/a.txt", b"a\n"), ("file", "opt/old/b.txt", b"b\n"),
        ("hardlink", "usr/bin/cat2", "usr/bin/cat"),
        ("file", "usr/bin/suid", (b"#!/bin/sh\necho suid\n", 0o4755)),
    ]  # fmt: skip
    top: list[Entry] = [
        ("file", "etc/.wh.gone.txt", b""),
        ("file", "opt/old/.wh..wh..opq", b""),
        ("file", "opt/old/c.txt", b"c\n"),
        ("dir", "usr/local", None), ("dir", "usr/local/bin", None),
        ("file", "usr/local/bin/hello", (HELLO, 0o755)),
        ("file", "etc/image-release", b"corral-test-image\n"),
    ]  # fmt: skip
    return [layer_bytes(base), layer_bytes(top, gz=True)]
