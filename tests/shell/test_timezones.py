"""``TZ=Region/City`` in the corral shell: the worker reads the time zone database
(read-only under its Landlock rules; it printed UTC for every zone), while the shell's
own commands still cannot read files outside the workspace."""

from __future__ import annotations

import os

import pytest

from corral import Sandbox


@pytest.mark.skipif(not os.path.isdir("/usr/share/zoneinfo"), reason="no tzdata on this host")
def test_a_named_time_zone_is_applied():
    with Sandbox(policy="permissive") as sb:
        r = sb.run("TZ=Asia/Tokyo date -d @0 +%H:%M_%Z; TZ=UTC date -d @0 +%H:%M")
        assert r.stdout == "09:00_JST\n00:00\n", r.stderr
        r = sb.run("cat /usr/share/zoneinfo/UTC")
        assert r.exit_code != 0 and "outside /workspace" in r.stderr
