"""Lists in the panel page with core.pagination: next links chain; a bad cursor is a 400 HTML page, never a restart."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from admin_ui import audit
from admin_ui.testing import enrol_staff, sign_in_staff
from core.admin import AdminPage, AdminQuery, Column, ModerationQueue, Page, QueueDetail, QueueItem
from core.app import create_app
from core.hooks import hookimpl
from core.hooks.manager import PluginsFile, build
from core.pagination import decode_cursor, encode_cursor, paginate
from core.testing import _lifespan
from tests.core.users.test_lists import tampered

MESSAGE = "This page link is not valid: it was changed, cut short, or belongs to another list."


def next_link(page: httpx.Response) -> str:
    """The pager's "Next page" href (query string only)."""
    m = re.search(r'href="(\?[^"]*cursor=[^"]+)">Next page', page.text)
    assert m, "no next page link"
    return html.unescape(m.group(1))


def cursor_of(link: str) -> str:
    """The cursor in a pager link."""
    found = re.search(r"cursor=([^&]+)", link)
    assert found
    return httpx.QueryParams(found.group(0))["cursor"]


def assert_bad_cursor_page(r: httpx.Response, first_page: str) -> None:
    """A 400 HTML page saying so, linking to the same list from the top (filters kept)."""
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "400 · Invalid cursor" in r.text and MESSAGE in r.text
    assert f'<a href="{html.escape(first_page)}">Go to the first page</a>' in r.text


async def test_users_list_next_page_shows_the_next_rows(admin_client, make_user) -> None:
    client = await admin_client(roles=["support"])
    made = [await make_user(display_name=f"Paged person {i}") for i in range(27)]
    first = await client.get("/admin/users", params={"q": "Paged person"})
    ids = [int(x) for x in re.findall(r'href="/admin/users/(\d+)"', first.text)]
    assert ids == [u.id for u in reversed(made)][:25]
    second = await client.get("/admin/users" + next_link(first))
    assert second.status_code == 200
    assert [int(x) for x in re.findall(r'href="/admin/users/(\d+)"', second.text)] == [made[1].id, made[0].id]
    assert "Next page" not in second.text and "First page" in second.text


async def test_users_list_refuses_a_tampered_cursor(admin_client, make_user) -> None:
    client = await admin_client(roles=["support"])
    for i in range(27):
        await make_user(display_name=f"Paged person {i}")
    link = next_link(await client.get("/admin/users", params={"q": "Paged person"}))
    good = cursor_of(link)
    for bad in (tampered(good), good[:-4], "MTIz", "!!!"):  # MTIz: the old format (base64 of an id)
        r = await client.get("/admin/users", params={"q": "Paged person", "cursor": bad})
        assert_bad_cursor_page(r, "/admin/users?q=Paged+person")
        assert "Paged person" not in r.text  # no list behind the message
    # The link on the error page leads to the first page
    assert (await client.get("/admin/users?q=Paged+person")).status_code == 200


async def test_audit_log_pages_and_refuses_bad_cursors(admin_client, make_user) -> None:
    client = await admin_client(roles=["admin"])
    for i in range(30):
        await audit.record(client.user.id, "test.paged", "thing", i)
    first = await client.get("/admin/audit", params={"action": "test.paged"})
    assert first.text.count("<code>test.paged</code>") == 25
    link = next_link(first)
    second = await client.get("/admin/audit" + link)
    assert second.status_code == 200 and second.text.count("<code>test.paged</code>") == 5
    assert [int(x) for x in re.findall(r"<td>thing (\d+)</td>", second.text)] == [4, 3, 2, 1, 0]

    good = cursor_of(link)
    users_cursor = encode_cursor(10**6, scope="admin.users")  # a cursor the users list gives out
    for bad in (tampered(good), users_cursor, good + "=="):
        r = await client.get("/admin/audit", params={"action": "test.paged", "cursor": bad})
        assert_bad_cursor_page(r, "/admin/audit?action=test.paged")
    # The audit cursor is refused by the users list, too
    r = await client.get("/admin/users", params={"cursor": good})
    assert_bad_cursor_page(r, "/admin/users")


async def test_a_plugin_list_page_shows_a_bad_cursor(admin_client) -> None:
    client = await admin_client(roles=["admin"], plugins=["events", "analytics"])
    from plugins.analytics import rice
    from plugins.analytics.schemas import IdeaCreate

    for n in range(27):  # scores fall with n: Idea 0 first
        await rice.create_idea(IdeaCreate(title=f"Idea {n}", reach=1000 - n, impact=1, confidence=50, effort=1),
                               client.user.id)
    first = await client.get("/admin/p/analytics/ideas", params={"status": "open"})
    assert first.status_code == 200
    link = next_link(first)
    second = await client.get("/admin/p/analytics/ideas" + link)
    assert second.status_code == 200 and "Idea 25" in second.text and "Idea 26" in second.text
    assert "Idea 24<" not in second.text
    bad = tampered(cursor_of(link))
    r = await client.get("/admin/p/analytics/ideas", params={"status": "open", "cursor": bad})
    assert_bad_cursor_page(r, "/admin/p/analytics/ideas?status=open")


async def test_the_events_moderation_queue_shows_a_bad_cursor(admin_client) -> None:
    client = await admin_client(roles=["moderator"], plugins=["events"])
    r = await client.get("/admin/moderation/events.review", params={"cursor": "v1.tampered.cursor"})
    assert_bad_cursor_page(r, "/admin/moderation/events.review")


class Library:
    """A stand-in plugin "library": a list page and a moderation queue, both keyset-paginated by core.pagination."""

    BOOKS = [{"id": i, "title": f"Book {i}"} for i in range(1, 8)]

    @hookimpl
    def register_admin_pages(self) -> list[Any]:
        async def books(query: AdminQuery) -> Page:
            after = decode_cursor(query.cursor, int, scope="library.books")[0] if query.cursor else 0
            rows = [b for b in self.BOOKS if b["id"] > after][: query.limit + 1]
            items, nxt = paginate(rows, query.limit, key=lambda b: (b["id"],), scope="library.books")
            return Page(items=items, next_cursor=nxt)

        async def waiting(query: AdminQuery) -> tuple[list[QueueItem], str | None]:
            page = await books(query)
            return [QueueItem(id=b["id"], title=b["title"], submitted_at=None) for b in page.items], page.next_cursor

        async def count() -> int:
            return len(self.BOOKS)

        async def detail(item_id: str) -> QueueDetail:
            return QueueDetail(id=item_id, title="A book", fields=[])

        async def decide(*_: Any) -> None:
            return None

        return [
            AdminPage(plugin="library", slug="books", title="Books", load=books, columns=[Column("title", "Title")]),
            ModerationQueue(plugin="library", name="review", title="Books to review", count=count, list=waiting,
                            detail=detail, approve=decide, reject=decide),
        ]


async def test_plugin_pages_and_queues_never_hide_a_bad_cursor(sbor_database, make_user) -> None:
    registry = build(PluginsFile(enabled=["admin"], settings={"admin": {"page_size": 3}}))
    registry.pm.register(Library(), name="library")
    app = create_app(registry)
    staff = await make_user(roles=["admin"])
    codes = await enrol_staff(staff.id)
    async with _lifespan(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await sign_in_staff(client, staff.id, codes[0])
            for url in ("/admin/p/library/books", "/admin/moderation/library.review"):
                first = await client.get(url)
                assert first.status_code == 200 and "Book 1" in first.text and "Book 4" not in first.text, url
                second = await client.get(url + next_link(first))
                assert "Book 4" in second.text and "Book 6" in second.text and "Book 3<" not in second.text, url
                bad = tampered(cursor_of(next_link(first)))
                assert_bad_cursor_page(await client.get(url, params={"cursor": bad}), url)
