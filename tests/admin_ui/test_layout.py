"""Layout: long words wrap, the phone menu folds behind a button, wide tables say they scroll, a favicon, the users
search on one line, the audit log's JSON wrapped between words. Server-side checks, then a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.admin_ui.browser import SHOTS, chromium, needs_chromium, panel_server, shot, sign_in
from tests.admin_ui.conftest import set_password

LONG_URL = "https://example.org/" + "a" * 280


async def test_the_favicon_is_served_and_linked(admin_client, make_client) -> None:
    client = await admin_client(roles=["admin"])
    icon = await client.get("/admin/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")
    page = await client.get("/admin/")
    assert '<link rel="icon" href="/admin/static/favicon.svg" type="image/svg+xml">' in page.text
    login = await (await make_client(["admin"])).get("/admin/login")
    assert 'rel="icon"' in login.text


async def test_every_page_has_the_menu_button_and_the_layout_styles(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    for url in ("/admin/", "/admin/users", "/admin/audit", "/admin/charts"):
        r = await client.get(url)
        assert 'class="menu-toggle' in r.text and 'aria-controls="admin-nav"' in r.text, url
        assert 'href="/admin/static/layout.css"' in r.text and 'src="/admin/static/layout.js"' in r.text, url
        assert 'data-scroll-hint="Scroll sideways to see every column"' in r.text
    for name in ("layout.css", "layout.js"):
        assert (await client.get(f"/admin/static/{name}")).status_code == 200
    css = (await client.get("/admin/static/layout.css")).text
    assert "overflow-wrap: anywhere" in css and ".js .side:not(.open) .side-body { display: none; }" in css


async def test_users_search_and_audit_json_use_their_layout_classes(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    users = await client.get("/admin/users")
    assert 'class="filters search-row" role="search"' in users.text
    audit_page = await client.get("/admin/audit")
    assert '<div class="table-wrap audit">' in audit_page.text


# ---------------------------------------------------------------------------------------------------------------------
# In a real browser
# ---------------------------------------------------------------------------------------------------------------------

@pytest.fixture
def server(sbor_database: object, tmp_path: Path) -> Iterator[str]:
    """The app (admin, events, analytics, notify) in a uvicorn subprocess on a free port, on the test database."""
    with panel_server(tmp_path, ("admin", "events", "analytics", "notify")) as base:
        yield base


async def _long_url_idea(staff_id: int) -> int:
    from plugins.analytics import rice
    from plugins.analytics.schemas import IdeaCreate

    idea = await rice.create_idea(IdeaCreate(title="Links " + LONG_URL[:150], description=f"See {LONG_URL} first.",
                                             reach=10, impact=1, confidence=50, effort=1), staff_id)
    return int(idea.id)


async def _long_url_event(author_id: int) -> int:
    from core import clock
    from plugins.events import services as events

    starts = clock.now() + timedelta(days=5)
    actor = events.Actor(author_id)
    event_id = await events.create_event(actor, {
        "title": "Link party " + LONG_URL[:60], "description": f"Details: {LONG_URL} and more.", "starts_at": starts,
        "ends_at": starts + timedelta(hours=2), "online_url": "https://meet.example.org/sbor",
        "timezone": "Europe/Berlin", "tags": ["games"], "capacity": 20})
    await events.submit(actor, event_id)
    return int(event_id)


async def _page_width(page) -> tuple[int, int]:
    return tuple(await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))  # type: ignore


@pytest.mark.e2e
@needs_chromium
async def test_layout_in_a_real_browser(server: str, make_user) -> None:
    admin = await make_user(roles=["admin"], email="lay@example.org", display_name="Lay Out")
    await set_password(admin.id)
    author = await make_user(roles=["organiser"], display_name="A" * 100)
    event_id = await _long_url_event(author.id)
    idea_id = await _long_url_idea(admin.id)
    from admin_ui import audit

    await audit.record(admin.id, "event.approve", "event", event_id,
                       before={"status": "pending_review", "title": "Board games night in the old library"},
                       after={"status": "published", "title": "Board games night in the old library"})
    async with chromium() as browser:
        page = await sign_in(browser, server, "lay@example.org", landed="h1:has-text('Dashboard')")
        await _check_layout(page, server, admin.id, author.id, event_id, idea_id)


async def _check_layout(page, server: str, admin_id: int, author_id: int, event_id: int, idea_id: int) -> None:
    # A 300-character URL in a description (and a 100-character name) never widens the page, wide or narrow
    for width in (1280, 390):
        await page.set_viewport_size({"width": width, "height": 900})
        for url in (f"/admin/p/analytics/ideas/o/{idea_id}", "/admin/p/analytics/ideas",
                    f"/admin/moderation/events.review/{event_id}", "/admin/moderation/events.review",
                    f"/admin/users/{author_id}", "/admin/users", "/admin/audit", "/admin/charts"):
            await page.goto(server + url)
            scroll, inner = await _page_width(page)
            assert scroll <= inner, f"{url} at {width}px is {scroll}px wide"

    # Favicon: linked and served
    href = await page.get_attribute("link[rel=icon]", "href")
    assert (await page.request.get(server + href)).status == 200

    # On a phone the menu folds behind a button
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{server}/admin/users")
    toggle = page.locator(".menu-toggle")
    assert await toggle.is_visible() and not await page.locator("#admin-nav").is_visible()
    side = await page.locator("aside.side").bounding_box()
    assert side is not None and side["height"] < 90, side
    await toggle.click()
    assert await page.locator("#admin-nav").is_visible() and await toggle.get_attribute("aria-expanded") == "true"
    await toggle.click()
    assert not await page.locator("#admin-nav").is_visible()

    # The users search button stays beside its input, on a phone and on a desktop
    for width in (390, 1280):
        await page.set_viewport_size({"width": width, "height": 844})
        await page.goto(f"{server}/admin/users")
        box_in = await page.locator("form.search-row input[name=q]").bounding_box()
        box_btn = await page.locator("form.search-row button").bounding_box()
        assert box_in and box_btn and abs(box_in["y"] - box_btn["y"]) < 8 and box_btn["x"] > box_in["x"], width

    # A table wider than a phone scrolls in its container and says so
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{server}/admin/audit")
    wrap = page.locator(".table-wrap").first
    await page.wait_for_function("document.querySelector('.table-wrap').classList.contains('overflowing')")
    assert await page.locator(".scroll-hint").first.is_visible()
    assert "sideways" in await page.locator(".scroll-hint").first.inner_text()
    await wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; w.dispatchEvent(new Event('scroll')); }")
    await page.wait_for_function("document.querySelector('.table-wrap').classList.contains('at-end')")

    # The audit log's JSON: pretty-printed one key a line, wrapped between words, never inside one
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{server}/admin/audit")
    pre = page.locator("pre.json").first
    style = await pre.evaluate("p => [getComputedStyle(p).overflowWrap, getComputedStyle(p).wordBreak]")
    assert style == ["break-word", "normal"]
    words_split = await pre.evaluate("""p => {
        const text = p.firstChild; const s = text.textContent; const word = 'pending_review';
        const at = s.indexOf(word); if (at < 0) return 'missing';
        const r = document.createRange(); r.setStart(text, at); r.setEnd(text, at + word.length);
        return r.getClientRects().length; }""")
    assert words_split == 1
    from core import db

    await db.fetch("""INSERT INTO users.audit_entry (actor_id, action, object_type, object_id, created_at)
                      SELECT $1, a.action, split_part(a.action, '.', 1), n::text,
                             now() - (n % 29) * interval '1 day' - interval '1 hour'
                      FROM generate_series(1, 240) AS n,
                           LATERAL (SELECT (ARRAY['event.approve', 'event.reject', 'media.approve',
                                                  'review.hide'])[1 + (n * 7 + n / 9) % 4] AS action) a
                      WHERE n % 29 < 3 + (n * 13) % 11""", admin_id)
    await page.goto(f"{server}/admin/charts")
    assert await page.locator("figure.chart svg").count() >= 4
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.locator("#chart-admin-decisions").screenshot(path=str(SHOTS / "chart-decisions.png"))
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{server}/admin/users")
    await shot(page, "users-phone.png")
