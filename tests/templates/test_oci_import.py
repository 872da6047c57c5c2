"""Importing images: both archive formats, layers in order with whiteouts and opaque
directories, and every hostile entry refused with nothing left behind."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from corral import templates
from corral.templates.oci import ImageError

from .conftest import need_root
from .images import HELLO, docker_save, host_rootfs, layer_bytes, oci_layout


@pytest.fixture(autouse=True)
def _root() -> None:
    need_root()


def _leftovers() -> list[str]:
    top = templates.templates_dir()
    return [n for n in os.listdir(top) if n.startswith((".tmp-", ".trash-"))] if top.exists() \
        else []  # fmt: skip


@pytest.mark.parametrize("fmt", ["docker", "oci"])
def test_import_applies_layers_whiteouts_and_opaque_dirs(image_tars, fmt) -> None:
    name = f"img-{fmt}"
    t = templates.import_image(name, image_tars[fmt])
    try:
        base = t.base
        assert (base / "usr/local/bin/hello").read_bytes() == HELLO
        assert not (base / "etc/gone.txt").exists()  # whiteout from layer 2
        assert sorted(os.listdir(base / "opt/old")) == ["c.txt"]  # opaque dir
        assert not any(n.startswith(".wh.") for _, _, fs in os.walk(base) for n in fs)
        assert os.readlink(base / "bin") == "usr/bin"
        # an in-image hard link is kept; set-uid dropped; everything owned by root
        assert os.stat(base / "usr/bin/cat2").st_ino == os.stat(base / "usr/bin/cat").st_ino
        st = os.stat(base / "usr/bin/suid")
        assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID)
        assert all(os.lstat(os.path.join(d, n)).st_uid == 0
                   for d, ds, fs in os.walk(base) for n in ds + fs)  # fmt: skip
        info = templates.get(name).info
        assert info.kind == "image" and info.source["format"] == ("docker-save" if fmt ==
                                                                    "docker" else "oci")
        assert info.source["layers"] == 2
        assert info.config["Cmd"] == ["/bin/bash"]
        assert t.verify()
    finally:
        templates.remove(name)
    assert _leftovers() == []


def test_both_formats_give_the_same_digest(image_tars) -> None:
    a = templates.import_image("same-a", image_tars["docker"])
    b = templates.import_image("same-b", image_tars["oci"])
    try:
        assert a.info.digest == b.info.digest
    finally:
        templates.remove("same-a")
        templates.remove("same-b")


def _refused(tmp_path: Path, layers: list[bytes], match: str, **kw) -> None:
    archive = docker_save(tmp_path / "bad.tar", layers)
    with pytest.raises(ImageError, match=match):
        templates.import_image("bad", archive, **kw)
    with pytest.raises(templates.TemplateNotFound):
        templates.get("bad")
    assert _leftovers() == []


def test_dotdot_entry_refused(tmp_path) -> None:
    outside = tmp_path / "escaped"
    layer = layer_bytes([("dir", "etc", None), ("file", "etc/../../../../" + str(outside)
                                                 .lstrip("/"), b"x")])  # fmt: skip
    _refused(tmp_path, [layer], "path traversal")
    assert not outside.exists()


def test_absolute_entry_refused(tmp_path) -> None:
    _refused(tmp_path, [layer_bytes([("file", str(tmp_path / "abs"), b"x")])], "absolute")
    assert not (tmp_path / "abs").exists()


def test_symlink_escape_refused(tmp_path) -> None:
    target = tmp_path / "host-dir"
    target.mkdir()
    # a relative link that climbs out, then a file written through it (same or next layer)
    l1 = layer_bytes([("symlink", "esc", "../../../../../../../../" + str(target).lstrip("/"))])
    l2 = layer_bytes([("file", "esc/pwned", b"x")])
    _refused(tmp_path, [l1, l2], "outside the image")
    _refused(tmp_path, [layer_bytes([("symlink", "up", ".."), ("file", "up/pwned", b"x")])],
             "outside the image")  # fmt: skip
    assert os.listdir(target) == []


def test_absolute_symlink_is_followed_inside_the_image_only(tmp_path) -> None:
    target = tmp_path / "host-dir2"
    target.mkdir()
    layer = layer_bytes([("symlink", "abs", str(target)), ("file", "abs/inside", b"x")])
    t = templates.import_image("abs-link", docker_save(tmp_path / "a.tar", [layer]))
    try:
        assert os.listdir(target) == []  # the host directory is untouched
        assert (t.base / str(target).lstrip("/") / "inside").read_bytes() == b"x"
    finally:
        templates.remove("abs-link")


def test_hardlink_to_host_file_refused(tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("host secret")
    for link in (str(secret), "etc/passwd", "../../../../../../etc/passwd"):
        layer = layer_bytes([("dir", "etc", None), ("hardlink", "h", link)])
        _refused(tmp_path, [layer], "absolute|not in the image|path traversal")
    # through a symlink to a host directory: resolved inside the image, where it is absent
    layer = layer_bytes([("symlink", "e", str(tmp_path)), ("hardlink", "h", "e/secret")])
    _refused(tmp_path, [layer], "not in the image")
    assert secret.stat().st_nlink == 1


def test_device_node_refused(tmp_path) -> None:
    _refused(tmp_path, [layer_bytes([("chr", "dev-null", None)])], "device node")


def test_size_cap(tmp_path) -> None:
    big = layer_bytes([("file", "big", b"\0" * (3 * 1024 * 1024))])
    _refused(tmp_path, [big], "larger than the cap", max_mb=1)


def test_entry_cap(tmp_path) -> None:
    many = layer_bytes([("file", f"f{i}", b"") for i in range(50)])
    _refused(tmp_path, [many], "more than 10 entries", max_entries=10)


def test_not_an_image(tmp_path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(ImageError, match="not a tar archive"):
        templates.import_image("junk", junk)
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tf:
        ti = tarfile.TarInfo("hello.txt")
        tf.addfile(ti, io.BytesIO(b""))
    with pytest.raises(ImageError, match="neither an OCI image layout"):
        templates.import_image("plain", plain)
    with pytest.raises(ImageError, match="no such image"):
        templates.import_image("missing", tmp_path / "nope.tar")
    assert _leftovers() == []


def test_oci_blob_digest_checked(tmp_path) -> None:
    layer = layer_bytes([("file", "a", b"a")])
    victim = "blobs/sha256/" + hashlib.sha256(layer).hexdigest()
    good = oci_layout(tmp_path / "good.tar", [layer])
    bad = tmp_path / "bad.tar"
    with tarfile.open(good) as src, tarfile.open(bad, "w") as dst:
        for m in src:
            data = src.extractfile(m).read()  # type: ignore[union-attr]
            if m.name == victim:  # the layer, one byte changed
                data = data[:600] + bytes([data[600] ^ 1]) + data[601:]
            dst.addfile(m, io.BytesIO(data))
    with pytest.raises(ImageError, match=f"layer {victim} does not match its digest"):
        templates.import_image("tampered", bad)
    assert _leftovers() == []


def test_zstd_layers_refused(tmp_path) -> None:
    fake = b"\x28\xb5\x2f\xfd" + b"\0" * 64
    d = hashlib.sha256(fake).hexdigest()
    man = json.dumps({"schemaVersion": 2, "config": {"digest": "sha256:" + "0" * 64},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
                                  "digest": "sha256:" + d}]}).encode()  # fmt: skip
    md = hashlib.sha256(man).hexdigest()
    idx = json.dumps({"manifests": [{"digest": "sha256:" + md}]}).encode()
    path = tmp_path / "zstd.tar"
    with tarfile.open(path, "w") as tf:
        for n, data in (("index.json", idx), (f"blobs/sha256/{md}", man),
                        (f"blobs/sha256/{d}", fake)):  # fmt: skip
            ti = tarfile.TarInfo(n)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    with pytest.raises(ImageError, match="zstd-compressed layers are not supported"):
        templates.import_image("zstd", path)


def test_names_validated(tmp_path, image_tars) -> None:
    for bad in ("../x", "a/b", ".hidden", "", "x" * 65, "a..b", "-x"):
        with pytest.raises(templates.TemplateError, match="invalid template name"):
            templates.import_image(bad, image_tars["docker"])


def test_existing_name_refused_and_replace(image_tars) -> None:
    templates.import_image("dup", image_tars["docker"])
    try:
        with pytest.raises(templates.TemplateExists):
            templates.import_image("dup", image_tars["oci"])
        t = templates.import_image("dup", image_tars["oci"], replace=True)
        assert t.info.source["format"] == "oci"
    finally:
        templates.remove("dup")


def test_rootfs_helper_has_libraries() -> None:
    names = {n for _, n, _ in host_rootfs(("bash",))}
    assert "usr/bin/bash" in names and any("libc.so" in n for n in names)
