from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral.native.doctor import available

from .images import docker_save, oci_layout, sample_layers


@pytest.fixture(scope="session", autouse=True)
def corral_home(tmp_path_factory: pytest.TempPathFactory):
    """One $CORRAL_HOME for the templates tests (templates are made once per session)."""
    home = tmp_path_factory.mktemp("corral-home")
    old = os.environ.get("CORRAL_HOME")
    os.environ["CORRAL_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("CORRAL_HOME", None)
    else:
        os.environ["CORRAL_HOME"] = old


def need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("templates need root (overlayfs over idmapped layers)")


def need(backend: str) -> None:
    need_root()
    ok, why = available(backend)
    if not ok:
        pytest.skip(f"{backend} unavailable here: {why}")


@pytest.fixture(scope="session")
def image_tars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test image (host programs, 2 layers, a whiteout, an opaque directory) as a
    docker save archive and as an OCI image layout tarball, made once per session."""
    d = tmp_path_factory.mktemp("images")
    layers = sample_layers()
    return {
        "docker": docker_save(d / "docker-save.tar", layers),
        "oci": oci_layout(d / "oci-layout.tar", layers),
    }
