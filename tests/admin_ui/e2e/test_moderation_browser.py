"""Moderation queues in a real headless Chromium (Debian's), the panel served by uvicorn: bulk reject of 50 with its
confirmation, approve-and-next from the keyboard, two moderators on one item, a reason kept across an expired
session, the panel in Russian at phone width. Refreshes docs/screenshots/moderation-*-{en,ru}.png."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from core import db
from tests.admin_ui import browser as web
from tests.admin_ui.browser import MARKS, panel_server
from tests.admin_ui.conftest import PASSWORD, event_status, pending_event, set_password

QUEUE = "/admin/moderation/events.review"

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(sbor_database: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One uvicorn (admin, events, notify) for the module's tests, on the test session's database."""
    with panel_server(tmp_path_factory.mktemp("moderation-e2e")) as base:
        yield base


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    async with web.chromium() as found:
        yield found


async def _signed_in(browser: Any, server: str, email: str, width: int = 1280) -> Any:
    return await web.sign_in(browser, server, email, width=width, timezone="Asia/Tokyo")


async def _moderator(make_user: Any, name: str, language: str = "en") -> str:
    email = f"{name.split()[0].lower()}@example.org"
    user = await make_user(roles=["moderator"], email=email, display_name=name)
    await set_password(user.id)
    await db.fetch("UPDATE users.account SET language = $2 WHERE id = $1", user.id, language)
    return email


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_bulk_reject_of_50_with_its_confirmation(server: str, browser: Any, make_user: Any,
                                                       language: str) -> None:
    # Given 50 events waiting and a moderator reading the panel in English or Russian
    email = await _moderator(make_user, "Anna Moderator", language)
    author = await make_user(roles=["organiser"], display_name="Olga Organiser")
    ids = [await pending_event(author.id, f"Giveaway #{n}", days=2 + n % 9) for n in range(50)]
    from admin_ui import reasons

    await reasons.save(author.id, None, {"title": "Spam" if language == "en" else "Спам",
                                         "text_en": "This looks like spam.", "text_ru": "Похоже на спам.",
                                         "position": 1, "active": True})
    page = await _signed_in(browser, server, email)
    await page.goto(f"{server}{QUEUE}?limit=50")
    await page.wait_for_selector("#total")
    await web.shot(page, f"moderation-queue-{language}.png", full_page=False)
    # When she ticks every row and asks to reject them
    await page.check("input.select-all")
    await page.click("#bulk-reject")
    # Then she is asked first, with the count, and nothing has changed yet
    await page.wait_for_selector("#confirm-question")
    assert "50" in await page.inner_text("#confirm-question")
    assert {await event_status(i) for i in ids} == {"pending_review"}
    await page.select_option("#canned", label="Spam" if language == "en" else "Спам")
    await web.shot(page, f"moderation-bulk-confirm-{language}.png")
    await page.click("#confirm-bulk")
    await page.wait_for_selector(".flash")
    assert ("50 items rejected." if language == "en" else "50") in await page.inner_text(".flash")
    assert {await event_status(i) for i in ids} == {"rejected"}
    told = await db.fetch("SELECT DISTINCT reason FROM events.status_move WHERE to_status = 'rejected'")
    assert [r["reason"] for r in told] == ["This looks like spam."]  # the canned text in the author's language
    await page.context.close()


async def test_approve_and_next_from_the_keyboard(server: str, browser: Any, make_user: Any) -> None:
    email = await _moderator(make_user, "Anna Moderator")
    author = await make_user(roles=["organiser"])
    first = await pending_event(author.id, "Board games night", days=3)
    second = await pending_event(author.id, "Sunday trail run", days=9)
    third = await pending_event(author.id, "Chess club", days=1)
    page = await _signed_in(browser, server, email)
    await page.goto(f"{server}{QUEUE}?sort=starts")
    # j moves to the first row (the soonest start), o opens it
    await page.keyboard.press("j")
    await page.keyboard.press("o")
    await page.wait_for_url(f"**{QUEUE}/{third}?sort=starts")
    await web.shot(page, "moderation-item-en.png")
    # a approves and opens the next in the same order: one page load per decision
    await page.keyboard.press("a")
    await page.wait_for_url(f"**{QUEUE}/{first}?sort=starts&done=approved")
    assert "Approved." in await page.inner_text(".flash")
    await page.keyboard.press("r")
    await page.keyboard.type("Please add the address.")
    await page.keyboard.press("Control+Enter")
    await page.wait_for_url(f"**{QUEUE}/{second}?sort=starts&done=rejected")
    assert [await event_status(i) for i in (third, first, second)] == ["published", "rejected", "pending_review"]
    await page.keyboard.press("?")
    assert await page.locator("#shortcuts[open]").count() == 1
    await page.context.close()


async def test_two_moderators_on_one_item(server: str, browser: Any, make_user: Any) -> None:
    anna = await _moderator(make_user, "Anna Moderator")
    boris = await _moderator(make_user, "Boris Moderator")
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id, "Board games night")
    a = await _signed_in(browser, server, anna)
    b = await _signed_in(browser, server, boris)
    await a.goto(f"{server}{QUEUE}/{event_id}")
    # Boris sees that Anna holds it, in the list and on the item
    await b.goto(f"{server}{QUEUE}")
    assert "Anna Moderator" in await b.inner_text(f"tr[data-item='{event_id}']")
    await b.goto(f"{server}{QUEUE}/{event_id}")
    assert "Anna Moderator" in await b.inner_text("#held-by")
    await b.fill("#reason", "Looks like a scam")
    # Anna approves first; Boris's reject is refused with who, what and when, and his reason kept
    await a.click("#approve")
    await a.wait_for_selector(".flash")
    await b.click("#reject")
    await b.wait_for_selector("#conflict")
    assert "Anna Moderator approved this item" in await b.inner_text("#decided-by")
    assert await b.input_value("#reason") == "Looks like a scam"
    await web.shot(b, "moderation-conflict-en.png")
    assert await event_status(event_id) == "published"
    await a.context.close()
    await b.context.close()


async def test_reason_kept_across_an_expired_session(server: str, browser: Any, make_user: Any) -> None:
    from admin_ui import session

    email = await _moderator(make_user, "Anna Moderator")
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id, "Board games night")
    page = await _signed_in(browser, server, email)
    await page.goto(f"{server}{QUEUE}/{event_id}")
    await page.fill("#reason", "The venue address is missing")
    # The session ends while she types
    cookie = next(c["value"] for c in await page.context.cookies() if c["name"] == session.COOKIE)
    await session.close_session(cookie)
    await page.click("#reject")
    await page.wait_for_selector("#password")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    # Back on the item, never a 405 JSON body, with what she typed
    await page.wait_for_selector("#resumed")
    assert await page.input_value("#reason") == "The venue address is missing"
    assert await event_status(event_id) == "pending_review"
    await page.click("#reject")
    await page.wait_for_selector(".flash")
    assert await event_status(event_id) == "rejected"
    await page.context.close()


async def test_russian_panel_at_phone_width(server: str, browser: Any, make_user: Any) -> None:
    email = await _moderator(make_user, "Анна Модератор", "ru")
    author = await make_user(roles=["organiser"], display_name="Ольга Организатор")
    event_id = await pending_event(author.id, "Настольные игры " + "x" * 120, days=4)
    page = await _signed_in(browser, server, email, width=390)
    for url, shot in ((f"{QUEUE}", "moderation-phone-ru.png"), (f"{QUEUE}/{event_id}", "moderation-item-ru.png")):
        await page.goto(f"{server}{url}")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways page scroll
        await web.shot(page, shot)
    assert "Одобрить и к следующему" in await page.inner_text("main")
    assert await page.get_attribute("html", "lang") == "ru"
    await page.context.close()
