"""The incident through the API: ``examples/rogue_agent.py --api`` against a real
``corral serve`` (its ``/mcp``), the session stopped, and the dashboard showing it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp", reason="the rogue agent reaches the server through MCP")

from test_dashboard import ARGS, CHROMIUM, TOKEN, _shot

from conftest import ALICE, make_config, running
from corral.server.mcp_mount import mcp_mount

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rogue_agent.py"
pytestmark = pytest.mark.timeout(300)


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("rogue_agent", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_rogue_agent_is_stopped_through_the_api(tmp_path: Path, capsys) -> None:
    config = make_config(tmp_path, default_policy="default")
    made: list[Any] = []
    app, context = mcp_mount(config, lambda: made[0].state.hub)
    with running(config, mounts={"/mcp": app}, contexts=[context]) as server:
        made.append(server.app)
        stopped = _example().replay_over_api(server.url, TOKEN)
        out = capsys.readouterr().out
        assert stopped, out
        assert "download a miner: run_shell -> DENIED" in out
        assert "try again: run_shell -> STOPPED" in out
        with server.client(ALICE) as alice:
            rules = {a["rule"] for a in alice.get("/v1/alerts").json()}
        assert any(r.startswith("mining") for r in rules), rules
        if not os.access(CHROMIUM, os.X_OK):
            return
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(server.url + "/")
            page.fill("#token", TOKEN)
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#main:not([hidden])")
            page.wait_for_selector("#alerts li", timeout=15_000)
            assert "mining" in (page.text_content("#alerts") or "")
            # the timeline is fetched after the alerts: wait for it (a loaded CI run once
            # read it empty)
            page.wait_for_selector("#timeline >> text=session.killed", timeout=15_000)
            assert "session.killed" in (page.text_content("#timeline") or "")
            _shot(page, tmp_path, "rogue-agent.png")
            browser.close()
