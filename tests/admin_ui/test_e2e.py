"""End-to-end: a real headless Chromium drives the panel served by uvicorn; every outcome is checked in the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from core import db
from core.users.tables import User
from tests.admin_ui.browser import MARKS, chromium, panel_server, shot, sign_in
from tests.admin_ui.conftest import event_status, pending_event, set_password

pytestmark = MARKS


@pytest.fixture
def server(sbor_database: object, tmp_path: Path) -> Iterator[str]:
    """The app (admin, events, notify) in a uvicorn subprocess on a free port, on the test session's database."""
    with panel_server(tmp_path) as base:
        yield base


@pytest_asyncio.fixture(loop_scope="session")
async def browser() -> AsyncIterator[object]:
    async with chromium() as found:
        yield found


async def test_moderate_and_ban_in_a_real_browser(server: str, browser, make_user) -> None:
    # Given a moderator-admin, two events waiting for review and a user to ban
    admin = await make_user(roles=["admin"], email="ada@example.org", display_name="Ada Admin")
    await set_password(admin.id)
    author = await make_user(roles=["organiser"], display_name="Olga Organiser")
    first = await pending_event(author.id, "Board games night", days=3)
    second = await pending_event(author.id, "Spam giveaway", days=5)
    await pending_event(author.id, "Sunday trail run", days=9)
    troll = await make_user(display_name="Troll McTroll", email="troll@example.org")

    # When Ada signs in
    page = await sign_in(browser, server, "ada@example.org", landed="h1:has-text('Dashboard')")
    assert "Europe/Berlin" in await page.inner_text(".me")  # the browser's timezone was taken at sign-in
    await shot(page, "dashboard.png")

    # The queue lists the oldest submission first
    await page.goto(f"{server}/admin/moderation/events.review")
    rows = await page.locator("tbody tr td.title a.open").all_inner_texts()
    assert rows == ["Board games night", "Spam giveaway", "Sunday trail run"]
    await shot(page, "moderation-queue.png")

    # Approve the first one
    await page.click("text=Board games night")
    await page.wait_for_selector("text=Olga Organiser")
    await shot(page, "moderation-item.png")
    await page.click("#approve")
    await page.wait_for_selector(".flash:has-text('Approved')")
    assert await event_status(first) == "published"

    # Reject the second one with a reason (an empty reason first: the error shows next to the field)
    await page.click("text=Spam giveaway")
    await page.click("#reject")
    await page.wait_for_selector("#reason-error")
    await page.fill("#reason", "Commercial giveaways are not allowed.")
    await page.click("#reject")
    await page.wait_for_selector(".flash:has-text('Rejected')")
    assert await event_status(second) == "rejected"
    reasons = await db.fetch("SELECT reason FROM events.status_move WHERE event = $1 AND to_status = 'rejected'",
                             second)
    assert [r["reason"] for r in reasons] == ["Commercial giveaways are not allowed."]

    # Ban a user found by search
    await page.goto(f"{server}/admin/users")
    await page.fill("input[name=q]", "troll@")
    await page.press("input[name=q]", "Enter")
    await page.click("text=Troll McTroll")
    await page.fill("#ban-reason", "Harassment in comments")
    await page.click("#ban")
    await page.wait_for_selector(".flash:has-text('User banned')")
    await shot(page, "user.png")
    row = await User.select(User.status, User.ban_reason).where(User.id == troll.id).first()
    assert row == {"status": "banned", "ban_reason": "Harassment in comments"}
    audit = await db.fetch("SELECT action FROM users.audit_entry WHERE actor_id = $1 ORDER BY id", admin.id)
    assert [a["action"] for a in audit] == ["login", "event.approve", "event.reject", "user.ban"]
    await page.goto(f"{server}/admin/audit")
    await shot(page, "audit-log.png")

    # The same queue on a tablet in portrait: the menu folds above the content
    await page.set_viewport_size({"width": 820, "height": 1180})
    await page.goto(f"{server}/admin/moderation/events.review")
    assert await page.locator("tbody tr").count() == 1  # only the trail run is left
    await shot(page, "moderation-queue-tablet.png")
