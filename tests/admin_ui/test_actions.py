"""Declared actions over HTTP: row and bulk actions, confirmation, fields with errors, permissions, CSRF, position."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

from tests.admin_ui.conftest import csrf_of
from tests.admin_ui.depot import Depot, depot_client

URL = "/admin/p/depot/items"


def hidden_ids(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="id" value="([^"]+)">', html)


async def test_a_row_action_runs_and_the_list_keeps_its_position(sbor_database, make_user) -> None:
    depot = Depot()
    depot.fill(60)  # three pages of 25
    moderator = await make_user(roles=["moderator"])
    async with depot_client(sbor_database, moderator.id, depot) as client:
        # Given the second page of open items
        first = await client.get(URL, params={"status": "open"})
        cursor = re.search(r'href="\?([^"]*cursor=[^"]+)"', first.text)
        assert cursor, "no next page link"
        here = f"{URL}?{unescape(cursor.group(1))}"
        page = await client.get(here)
        assert page.status_code == 200 and "Item 26" in page.text and "Item 25<" not in page.text
        # each open row offers Archive (no fields, no confirmation: one click), Close (a form), not Purge
        assert page.text.count('data-action="archive"') == 25
        assert page.text.count('data-action="close"') == 25 and 'data-action="purge"' not in page.text
        assert 'data-bulk="close"' in page.text

        # When the moderator archives item 30 from there
        r = await client.post(f"{URL}/actions/archive", data={
            "_csrf": csrf_of(page.text), "id": "30", "back": here, "confirmed": "1"})

        # Then they are back on the same page, same filters and cursor, with a flash
        assert r.status_code == 303 and r.headers["location"] == here
        assert depot.items["30"]["status"] == "archived"
        (name, ctx), = depot.runs
        assert name == "archive" and ctx.ids == ("30",) and ctx.staff_id == moderator.id and dict(ctx.values) == {}
        back = await client.get(r.headers["location"])
        assert '<div class="flash" role="status">Archive: done.</div>' in back.text
        assert "Item 26" in back.text and "Item 30" not in back.text  # filtered out now: no longer open
        # the message is shown once
        assert 'class="flash"' not in (await client.get(here)).text

        # A return address outside the panel is ignored (no open redirect)
        r = await client.post(f"{URL}/actions/archive", data={
            "_csrf": csrf_of(page.text), "id": "31", "back": "https://evil.example/admin", "confirmed": "1"})
        assert r.status_code == 303 and r.headers["location"] == URL


async def test_a_bulk_action_on_three_rows_asks_first_and_keeps_what_was_typed(sbor_database, make_user) -> None:
    depot = Depot()
    depot.fill(5)
    moderator = await make_user(roles=["moderator"])
    async with depot_client(sbor_database, moderator.id, depot) as client:
        listing = await client.get(URL, params={"status": "open"})
        token = csrf_of(listing.text)
        back = f"{URL}?status=open"

        # Given three rows selected, the bulk button asks for confirmation and the reason first
        r = await client.post(f"{URL}/actions/close", data={"_csrf": token, "id": ["1", "3", "5"], "back": back})
        assert r.status_code == 200
        assert "Close the selected items? Their owners are told why." in r.text and "3 selected" in r.text
        assert hidden_ids(r.text) == ["1", "3", "5"]
        assert re.search(r'name="notify" value="on" checked', r.text)  # the field's default
        assert depot.runs == []  # nothing ran yet

        # When confirmed without the required reason: the form again, with the error and the other values kept
        confirm = {"_csrf": token, "id": ["1", "3", "5"], "back": back, "confirmed": "1"}
        r = await client.post(f"{URL}/actions/close", data={**confirm, "reason": "  "})
        assert r.status_code == 422 and "text/html" in r.headers["content-type"]
        assert 'id="reason-error">This field is required.' in r.text
        assert not re.search(r'name="notify" value="on" checked', r.text)  # unticked stays unticked
        assert hidden_ids(r.text) == ["1", "3", "5"] and depot.runs == []

        # A ValidationFailed from the plugin's run: the form again with its message and the reason kept
        r = await client.post(f"{URL}/actions/close", data={**confirm, "reason": "forbidden", "notify": "on"})
        assert r.status_code == 422
        assert 'id="reason-error">Not this reason.' in r.text and ">forbidden</textarea>" in r.text
        assert re.search(r'name="notify" value="on" checked', r.text)

        # Too long a reason is refused with a clear message
        r = await client.post(f"{URL}/actions/close", data={**confirm, "reason": "x" * 5000})
        assert r.status_code == 422 and "At most 500 characters, please (this is 5000)." in r.text

        # Then with a reason: all three closed, back on the filtered list with the plugin's message
        r = await client.post(f"{URL}/actions/close", data={**confirm, "reason": "Season over", "notify": "on"})
        assert r.status_code == 303 and r.headers["location"] == back
        assert [depot.items[i]["status"] for i in ("1", "2", "3", "4", "5")] == [
            "closed", "open", "closed", "open", "closed"]
        ctx = depot.runs[-1][1]
        assert ctx.ids == ("1", "3", "5") and dict(ctx.values) == {"reason": "Season over", "notify": True}
        assert "Closed 3 items." in (await client.get(back)).text

        # A row-only action refuses several ids; nothing selected is a clear 400 page
        r = await client.post(f"{URL}/actions/archive", data={"_csrf": token, "id": ["2", "4"], "confirmed": "1"})
        assert r.status_code == 400 and "one object at a time" in r.text
        r = await client.post(f"{URL}/actions/close", data={"_csrf": token, "back": back})
        assert r.status_code == 400 and "Select at least one row first." in r.text
        assert "text/html" in r.headers["content-type"]


async def test_refusals_are_html_pages(sbor_database, make_user) -> None:
    depot = Depot()
    depot.fill(3)
    moderator = await make_user(roles=["moderator"])
    async with depot_client(sbor_database, moderator.id, depot) as client:
        token = csrf_of((await client.get(URL)).text)

        # Permission: purge needs roles.edit, which a moderator lacks
        r = await client.post(f"{URL}/actions/purge", data={"_csrf": token, "id": "1", "confirmed": "1"})
        assert r.status_code == 403 and "text/html" in r.headers["content-type"]
        assert "This action needs the permission roles.edit." in r.text
        assert (await client.get(f"{URL}/actions/purge", params={"id": "1"})).status_code == 403
        assert (await client.get("/admin/p/depot/locked/new")).status_code == 403
        r = await client.post("/admin/p/depot/locked/new", data={"_csrf": token, "name": "x", "kind": "a"})
        assert r.status_code == 403 and "This form needs the permission roles.edit." in r.text

        # CSRF: missing or wrong token
        for data in ({"id": "1", "confirmed": "1"}, {"_csrf": "forged", "id": "1", "confirmed": "1"}):
            r = await client.post(f"{URL}/actions/archive", data=data)
            assert r.status_code == 403 and "text/html" in r.headers["content-type"]
            assert "did not come from this panel" in r.text
        r = await client.post(f"{URL}/new", data={"name": "x", "kind": "a"})
        assert r.status_code == 403

        # Unknown action, page or object: 404 pages
        for method, url in (("POST", f"{URL}/actions/explode"), ("GET", f"{URL}/actions/explode?id=1"),
                            ("POST", "/admin/p/depot/nope/actions/archive"), ("GET", f"{URL}/o/999"),
                            ("GET", f"{URL}/o/999/edit"), ("POST", f"{URL}/o/999/edit"),
                            ("GET", "/admin/p/depot/locked/o/1")):
            r = await client.request(method, url, data={"_csrf": token, "id": "1", "confirmed": "1"}
                                     if method == "POST" else None)
            assert r.status_code == 404 and "text/html" in r.headers["content-type"], (method, url, r.text[:200])
        assert depot.runs == []

        # A body past the server's limit is refused as a page, not JSON
        r = await client.post(f"{URL}/actions/close", data={"_csrf": token, "id": "1", "reason": "x" * 1_100_000})
        assert r.status_code == 413 and "text/html" in r.headers["content-type"]


async def test_the_detail_page_shows_fields_actions_and_edit(sbor_database, make_user) -> None:
    depot = Depot()
    depot.fill(2)
    depot.items["2"]["status"] = "closed"
    admin = await make_user(roles=["admin"])
    async with depot_client(sbor_database, admin.id, depot) as client:
        listing = await client.get(URL)
        assert f'href="{URL}/o/1?back=' in listing.text  # the first column links to the detail page
        page = await client.get(f"{URL}/o/1", params={"back": f"{URL}?status=open"})
        assert page.status_code == 200
        assert "<dt>Name</dt><dd>Item 1</dd>" in page.text and "<dt>Status</dt><dd>open</dd>" in page.text
        assert f'<a href="{URL}?status=open">← Items</a>' in page.text
        assert 'id="edit"' in page.text
        assert 'data-action="archive"' in page.text and 'data-action="purge"' in page.text
        closed = await client.get(f"{URL}/o/2")
        assert 'data-action="archive"' not in closed.text  # visible() says it does not apply

        # A danger action asks first, then returns to the detail page
        ask = await client.get(f"{URL}/actions/purge", params={"id": "1", "back": f"{URL}/o/1"})
        assert ask.status_code == 200 and "Purge this item for good?" in ask.text and 'class="danger"' in ask.text
        r = await client.post(f"{URL}/actions/purge", data={"_csrf": csrf_of(ask.text), "id": "1",
                                                             "back": f"{URL}/o/1", "confirmed": "1"})
        assert r.status_code == 303 and r.headers["location"] == f"{URL}/o/1"
        assert [name for name, _ in depot.runs] == ["purge"]
        assert quote(f"{URL}/o/1", safe="") in page.text  # row-action links carry the detail page as the way back
