"""Reports in a real headless Chromium against a live uvicorn: people report an event through the API until the
threshold hides it; a moderator finds it in the panel's report queue, dismisses the reports, and the event is back
exactly as it was (published, in the feed, no second "published" notice)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from core import db
from tests.admin_ui import browser as web
from tests.admin_ui.browser import MARKS, panel_server
from tests.admin_ui.conftest import event_status, pending_event, set_password

QUEUE = "/admin/p/reports/queue"

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(sbor_database: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One uvicorn (admin, events, notify; two reporters hide an event) on the test session's database."""
    settings = '[settings.reports]\nhide_after_by_type = {"events.event" = 2}\n'
    with panel_server(tmp_path_factory.mktemp("reports-e2e"), settings=settings) as base:
        yield base


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    async with web.chromium() as found:
        yield found


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
        page = await web.sign_in(browser, server, email)
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
        await page.context.close()

        # Then the event is back exactly as it was, for everyone, and its author heard nothing new
        assert await event_status(event.id) == "published"
        assert await _seen(api, event.id, stranger) == (200, True)
        assert await _published_notices(event.author_id) == 1
        decided = await db.fetch("SELECT status, decision, decided_by, note FROM reports.case_file "
                                 "WHERE target_type = 'events.event' AND target_id = $1", event.id)
        assert [dict(r) for r in decided] == [{"status": "dismissed", "decision": "dismiss",
                                               "decided_by": moderator.id, "note": "A normal paid event"}]
