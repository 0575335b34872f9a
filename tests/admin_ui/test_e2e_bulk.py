"""End-to-end: a bulk action with its confirmation in a real headless Chromium (the RICE board's "Set status")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plugins.analytics import rice
from plugins.analytics.schemas import IdeaCreate
from tests.admin_ui.conftest import PASSWORD, set_password
from tests.admin_ui.test_e2e import ARGS, ROOT, _free_port

# Debian's chromium, as the other browser tests; CHROMIUM_BIN points at another build of it.
CHROMIUM = os.environ.get("CHROMIUM_BIN") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed (apt-get install -y chromium)"),
]


@pytest.fixture
def server(sbor_database: object, tmp_path: Path) -> Iterator[str]:
    """The app (admin, events, analytics) in a uvicorn subprocess on a free port, on the test session's database."""
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text('enabled = ["admin", "events", "analytics"]\n\n[settings.admin]\nrequire_totp = false\n')
    port = _free_port()
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins_file), "SBOR_LOG_LEVEL": "WARNING"}
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "core.app:asgi", "--host", "127.0.0.1", "--port",
             str(port), "--log-level", "warning"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/admin/login", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def test_bulk_action_with_confirmation_in_a_real_browser(server: str, make_user) -> None:
    from playwright.async_api import async_playwright

    # Given an admin and three open ideas on the RICE board
    admin = await make_user(roles=["admin"], email="rita@example.org", display_name="Rita Admin")
    await set_password(admin.id)
    ideas = [await rice.create_idea(IdeaCreate(title=t, reach=r, impact=1, confidence=100, effort=1), admin.id)
             for t, r in (("Maps", 30), ("Chat", 20), ("Badges", 10))]

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 860})
            page.set_default_timeout(15_000)
            await page.goto(f"{server}/admin/login")
            await page.fill("#email", "rita@example.org")
            await page.fill("#password", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_selector("h1:has-text('Dashboard')")

            # When she ticks two rows of the filtered list and asks to set their status
            await page.goto(f"{server}/admin/p/analytics/ideas?status=open")
            assert await page.locator("tbody tr").count() == 3
            await page.check(f"input[name=id][value='{ideas[0].id}']")
            await page.check(f"input[name=id][value='{ideas[2].id}']")
            await page.click("button[data-bulk=set-status]")

            # Then she is asked first, with the count, and nothing has changed yet
            await page.wait_for_selector("text=Move the selected ideas to this status?")
            assert "2 selected" in await page.inner_text(".selection")
            assert {i.status for i in (await rice.list_ideas()).items} == {"open"}
            await page.select_option("#status", "planned")
            await page.click("#confirm-action")

            # And after confirming she is back on the same filtered list, with the message
            await page.wait_for_selector(".flash:has-text('2 idea(s) now planned.')")
            assert page.url.endswith("/admin/p/analytics/ideas?status=open")
            assert await page.locator("tbody tr").count() == 1
        finally:
            await browser.close()
    statuses = {i.title: i.status for i in (await rice.list_ideas()).items}
    assert statuses == {"Maps": "planned", "Chat": "open", "Badges": "planned"}
