"""The dashboard in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ALICE, Server

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright (pip install playwright)"
)

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = ALICE["Authorization"].split()[1]
HOSTILE = '<img src=x onerror="window.__pwned=1">'

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason="needs Debian's chromium at /usr/bin/chromium (scripts/install-system-packages.sh)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: Server) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server.url + "/")
    pg.fill("#token", TOKEN)
    pg.click("#login-form button[type=submit]")
    pg.wait_for_selector("#main:not([hidden])")
    pg.wait_for_selector("#live.on", timeout=15_000)
    pg.errors = errors
    yield pg
    context.close()


def _shot(pg, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    pg.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("CORRAL_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    return path


def test_a_wrong_token_shows_the_login_again(browser, server: Server) -> None:
    pg = browser.new_page()
    pg.goto(server.url + "/")
    pg.fill("#token", "not-a-token")
    pg.click("#login-form button[type=submit]")
    pg.wait_for_function("document.querySelector('#login-error').textContent.length > 0")
    assert "not valid" in pg.text_content("#login-error")
    assert pg.is_hidden("#main")
    # the token lives in sessionStorage only
    assert pg.evaluate("sessionStorage.getItem('corral.token')") == "not-a-token"
    assert pg.evaluate("localStorage.length") == 0 and pg.context.cookies() == []
    pg.close()


def test_hostile_strings_render_as_text(page, alice, tmp_path: Path) -> None:
    sid = alice.post("/v1/sandboxes", json={"tags": {"note": HOSTILE}}).json()["id"]
    alice.post(f"/v1/sandboxes/{sid}/run", json={"command": f"echo '{HOSTILE}'"})
    alice.put(f"/v1/sandboxes/{sid}/files/{HOSTILE.replace('/', '_')}", content=b"x")
    page.wait_for_function(
        "s => [...document.querySelectorAll('#timeline li')].some(li => li.textContent.includes(s))",
        arg=HOSTILE,
        timeout=15_000,
    )
    page.click("#audit-refresh")
    page.wait_for_function(
        "s => document.querySelector('#audit').textContent.includes(s)",
        arg="onerror",
        timeout=15_000,
    )
    page.wait_for_function(
        "s => document.querySelector('#sandboxes').textContent.includes(s)",
        arg=HOSTILE,
        timeout=15_000,
    )
    time.sleep(0.5)
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("window.__pwned") is None
    timeline = page.text_content("#timeline")
    assert HOSTILE in timeline
    _shot(page, tmp_path, "hostile.png")
    assert page.errors == []


def test_a_person_clicks_allow_and_the_waiting_call_goes_on(
    page, alice, server: Server, tmp_path: Path
) -> None:
    sid = alice.post("/v1/sandboxes", json={"policy": "asking", "tags": {"agent": "demo"}}).json()[
        "id"
    ]
    # some history for the charts and the timeline
    alice.post(f"/v1/sandboxes/{sid}/python", json={"code": "print('x' * 5000)"})
    alice.post(f"/v1/sandboxes/{sid}/run", json={"command": "seq 1 200"})
    box: dict = {}

    def agent() -> None:
        with server.client(ALICE) as c:
            box["r"] = c.post(
                f"/v1/sandboxes/{sid}/run", json={"command": "touch clicked.txt && echo went-on"}
            )

    t = threading.Thread(target=agent, daemon=True)
    t.start()
    card = page.wait_for_selector("#approvals li.approval", timeout=15_000)
    assert "touch clicked.txt" in card.text_content()
    page.select_option("#usage-sandbox", sid)
    page.wait_for_selector("#charts svg rect")
    shot = _shot(page, tmp_path, "approval.png")
    assert shot.stat().st_size > 10_000
    assert t.is_alive()  # still waiting for the person
    page.click("#approvals li.approval button.allow >> text='Allow'")
    t.join(30)
    assert box["r"].json()["stdout"] == "went-on\n"
    page.wait_for_selector("#approvals-empty:not([hidden])", timeout=15_000)
    page.click("#audit-verify")
    page.wait_for_selector("#audit-result.ok", timeout=15_000)
    assert "intact" in page.text_content("#audit-result")
    _shot(page, tmp_path, "after.png")
    assert page.errors == []


def test_deny_click(page, alice, server: Server) -> None:
    sid = alice.post("/v1/sandboxes", json={"policy": "asking"}).json()["id"]
    box: dict = {}

    def agent() -> None:
        with server.client(ALICE) as c:
            box["r"] = c.post(f"/v1/sandboxes/{sid}/run", json={"command": "touch nope.txt"})

    t = threading.Thread(target=agent, daemon=True)
    t.start()
    page.wait_for_selector("#approvals li.approval", timeout=15_000)
    page.click("#approvals li.approval button.deny")
    t.join(30)
    assert box["r"].json()["exit_code"] != 0
    assert alice.get(f"/v1/sandboxes/{sid}/files/nope.txt").status_code == 404


def test_alerts_show_rule_technique_and_evidence(page, alice, tmp_path: Path) -> None:
    sid = alice.post("/v1/sandboxes", json={"policy": "default"}).json()["id"]
    alice.post(
        f"/v1/sandboxes/{sid}/run",
        json={"command": "./xmrig --donate-level 1 -o stratum+tcp://pool.example:3333"},
    )
    alerts = alice.get("/v1/alerts").json()
    assert alerts
    card = page.wait_for_selector("#alerts li", timeout=15_000)
    text = card.text_content()
    newest = alerts[-1]
    assert newest["rule"] in text and (newest["technique"] or "-") in text
    assert newest["evidence"][0]["description"] in text
    assert page.text_content("#alerts-count") == str(len(alerts))
    _shot(page, tmp_path, "alerts.png")
