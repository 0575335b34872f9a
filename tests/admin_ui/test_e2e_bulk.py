"""End-to-end: a bulk action with its confirmation in a real headless Chromium (the RICE board's "Set status")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins.analytics import rice
from plugins.analytics.schemas import IdeaCreate
from tests.admin_ui.browser import MARKS, chromium, panel_server, sign_in
from tests.admin_ui.conftest import set_password

pytestmark = MARKS


@pytest.fixture
def server(sbor_database: object, tmp_path: Path) -> Iterator[str]:
    """The app (admin, events, analytics) in a uvicorn subprocess on a free port, on the test session's database."""
    with panel_server(tmp_path, ("admin", "events", "analytics")) as base:
        yield base


async def test_bulk_action_with_confirmation_in_a_real_browser(server: str, make_user) -> None:
    # Given an admin and three open ideas on the RICE board
    admin = await make_user(roles=["admin"], email="rita@example.org", display_name="Rita Admin")
    await set_password(admin.id)
    ideas = [await rice.create_idea(IdeaCreate(title=t, reach=r, impact=1, confidence=100, effort=1), admin.id)
             for t, r in (("Maps", 30), ("Chat", 20), ("Badges", 10))]

    async with chromium() as browser:
        page = await sign_in(browser, server, "rita@example.org", landed="h1:has-text('Dashboard')")

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
    statuses = {i.title: i.status for i in (await rice.list_ideas()).items}
    assert statuses == {"Maps": "planned", "Chat": "open", "Badges": "planned"}
