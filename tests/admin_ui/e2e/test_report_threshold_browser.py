"""Reports in a real headless Chromium against a live uvicorn: people report an event through the API until the
threshold hides it; a moderator finds it in the panel's report queue, dismisses the reports, and the event is back
exactly as it was (published, in the feed, no second "published" notice)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from core import db
from tests.admin_ui.conftest import PASSWORD, event_status, pending_event, set_password
from tests.admin_ui.test_e2e import ARGS, ROOT, _free_port

CHROMIUM = os.environ.get("CHROMIUM_BIN") or "/usr/bin/chromium"
QUEUE = "/admin/p/reports/queue"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed (apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def server(sbor_database: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One uvicorn (admin, events, notify; two reporters hide an event) on the test session's database."""
    tmp = tmp_path_factory.mktemp("reports-e2e")
    plugins_file = tmp / "plugins.toml"
    plugins_file.write_text('enabled = ["admin", "events", "notify"]\n\n[settings.admin]\nrequire_totp = false\n\n'
                            '[settings.reports]\nhide_after_by_type = {"events.event" = 2}\n')
    port = _free_port()
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins_file), "SBOR_LOG_LEVEL": "WARNING"}
    log_path = tmp / "server.log"
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


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        found = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield found
        await found.close()


async def _seen(api: httpx.AsyncClient, event_id: int, headers: dict[str, str]) -> tuple[int, bool]:
    """(the event page's status, whether the feed lists it) for ``headers``' owner."""
    page = await api.get(f"/api/v1/events/{event_id}", headers=headers)
    feed = await api.get("/api/v1/events", headers=headers, params={"limit": 50})
    assert feed.status_code == 200, feed.text
    return page.status_code, event_id in [e["id"] for e in feed.json()["items"]]


async def _published_notices(author_id: int) -> int:
    rows = await db.fetch("SELECT count(*) AS n FROM notify.notification WHERE kind = 'events.published' "
                          "AND user_id = $1", author_id)
    return int(rows[0]["n"])


async def test_reports_hide_an_event_and_a_moderator_dismisses_them_in_the_panel(
        server: str, browser: Any, make_app: Any, make_user: Any, auth_headers: Any) -> None:
    from plugins.events import services as events

    make_app(["events", "notify"])  # the test's own side of the hooks (the event is published here)
    author = await make_user(roles=["organiser"])
    event = await events.approve(await pending_event(author.id, "Crypto giveaway meetup"),
                                 (await make_user(roles=["moderator"])).id)
    assert await _published_notices(event.author_id) == 1
    stranger = await auth_headers(await make_user())
    body = {"target_type": "events.event", "target_id": event.id, "reason": "scam", "text": "Asks for prepayment"}
    async with httpx.AsyncClient(base_url=server, timeout=10) as api:
        assert await _seen(api, event.id, stranger) == (200, True)
        # Given two people report it through the API (the threshold for events is two)
        first = await api.post("/api/v1/reports", headers=await auth_headers(await make_user()), json=body)
        assert first.status_code == 201, first.text
        assert await _seen(api, event.id, stranger) == (200, True)
        second = await api.post("/api/v1/reports", headers=await auth_headers(await make_user()),
                                json={**body, "text": "Same here: a scam"})
        assert second.status_code == 201, second.text
        # Then it is hidden: 404 to others, out of the feed; its author still sees it
        assert await _seen(api, event.id, stranger) == (404, False)
        assert await event_status(event.id) == "hidden"
        mine = await api.get(f"/api/v1/events/{event.id}", headers=await auth_headers(event.author_id))
        assert mine.status_code == 200 and mine.json()["status"] == "hidden"

        # When a moderator opens the report queue in the panel
        email = "rita@example.org"
        moderator = await make_user(roles=["moderator"], email=email, display_name="Rita Moderator")
        await set_password(moderator.id)
        context = await browser.new_context(viewport={"width": 1280, "height": 860})
        page = await context.new_page()
        page.set_default_timeout(15_000)
        await page.goto(f"{server}/admin/login")
        await page.fill("#email", email)
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("main h1")
        await page.goto(f"{server}{QUEUE}")
        row = page.locator("tr", has_text="Crypto giveaway meetup")
        await row.wait_for()
        assert "scam x2" in await row.inner_text()
        # she opens the case, reads the reports and dismisses them with a note
        await row.locator(f"a[href*='{QUEUE}/o/']").first.click()
        await page.wait_for_selector("text=Same here: a scam")
        await page.click("a[data-action=dismiss]")
        await page.wait_for_selector("#confirm-action")
        await page.fill("[name=note]", "A normal paid event")
        await page.click("#confirm-action")
        await page.wait_for_selector(".flash")
        await context.close()

        # Then the event is back exactly as it was, for everyone, and its author heard nothing new
        assert await event_status(event.id) == "published"
        assert await _seen(api, event.id, stranger) == (200, True)
        assert await _published_notices(event.author_id) == 1
        decided = await db.fetch("SELECT status, decision, decided_by, note FROM reports.case_file "
                                 "WHERE target_type = 'events.event' AND target_id = $1", event.id)
        assert [dict(r) for r in decided] == [{"status": "dismissed", "decision": "dismiss",
                                               "decided_by": moderator.id, "note": "A normal paid event"}]
