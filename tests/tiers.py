"""Whether a native tier runs on this machine, asked once per test process: the skip
marks of the tests that need one (``needs("bwrap")``)."""

from __future__ import annotations

import functools

import pytest

from corral import Sandbox

NAMES = {"bwrap": "bubblewrap", "gvisor": "gVisor"}


@functools.cache
def why_unavailable(backend: str) -> str | None:
    """None when ``backend`` runs a command here, else what is missing (the skip reason)."""
    from corral.native._common import BackendUnavailable

    try:
        with Sandbox(backend=backend) as sb:
            sb.run("true")
        return None
    except BackendUnavailable as e:
        return str(e)


def needs(backend: str) -> pytest.MarkDecorator:
    """Skip unless ``backend`` runs here, saying why."""
    why = why_unavailable(backend)
    return pytest.mark.skipif(why is not None, reason=f"{NAMES.get(backend, backend)}: {why}")
