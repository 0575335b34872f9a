"""The audit page reads core's log (links to objects, readable before/after, origin and request id filters); a
user's page shows what plugins contribute through ``admin_user_sections`` (events, joins, reports)."""

from __future__ import annotations

import html
from typing import Any

from core import audit, hooks
from core.hooks import hookspecs
from core.reports import services as reports
from plugins.events import services as events
from plugins.events.participation import join
from tests.admin_ui.conftest import pending_event

PLUGINS = ["admin", "events", "notify"]


async def test_entries_link_to_their_objects_and_show_before_after_readably(admin_client, make_user) -> None:
    client = await admin_client(roles=["admin"], plugins=PLUGINS)
    target = await make_user(display_name="Target Tess")
    long = "x" * 300  # an unbroken value must wrap inside its cell
    await audit.record(client.user.id, "user.ban", "user", target.id, before={"status": "active"},
                       after={"status": "banned", "note": long}, reason="spam " + long)
    await audit.record(client.user.id, "test.other", "thing", "abc")
    r = await client.get("/admin/audit")
    assert r.status_code == 200
    assert f'<a href="/admin/users/{target.id}">{target.id}</a>' in r.text
    assert "<td>thing abc</td>" in r.text  # no admin page for this type: plain text
    assert '<pre class="json">{\n "note": "' + long in html.unescape(r.text)  # one key a line
    assert 'class="wrap"' in r.text


async def test_filters_by_origin_and_request_id(admin_client, make_user) -> None:
    client = await admin_client(roles=["admin"], plugins=PLUGINS)
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id)
    r = await client.post(f"/admin/moderation/events.review/{event_id}/approve", data={"_csrf": client.csrf},
                          headers={"X-Request-ID": "panel-approve-1"})
    assert r.status_code == 303
    with audit.acting_as("cli"):
        await audit.record(None, "test.cli", "thing", 1)
    page = await client.get("/admin/audit", params={"origin": "cli"})
    assert "test.cli" in page.text and "event.approve" not in page.text
    page = await client.get("/admin/audit", params={"request_id": "panel-approve-1"})
    assert "event.approve" in page.text and "test.cli" not in page.text
    assert f'href="/admin/moderation/events.review/{event_id}"' in page.text
    assert 'href="?origin=admin"' in page.text


async def test_the_user_page_shows_events_joins_and_reports(admin_client, make_user) -> None:
    client = await admin_client(roles=["admin"], plugins=PLUGINS)
    olga = await make_user(roles=["organiser"], display_name="Olga")
    pat = await make_user(display_name="Pat")
    mine = await pending_event(olga.id, "Olga's board games")
    theirs = await pending_event(pat.id, "Pat's picnic")
    await events.approve(theirs, client.user.id)
    await join(olga.id, theirs)
    await reports.file(olga.id, "users.user", pat.id, "spam", "keeps messaging me")
    page = await client.get(f"/admin/users/{olga.id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for expected in ("Events organised", f"#{mine} Olga's board games", "pending_review",
                     "Events joined", f"#{theirs} Pat's picnic", "confirmed",
                     "Reports made", f"users.user {pat.id}", "spam · open", "Reports received"):
        assert expected in text, expected
    assert f'href="/admin/moderation/events.review/{mine}"' in page.text
    received = html.unescape((await client.get(f"/admin/users/{pat.id}")).text)
    assert "Reports received" in received and "1 reporter(s)" in received
    # Support staff (no admin.audit) see the sections but not the audit log's rows
    support = await admin_client(roles=["support"], plugins=PLUGINS)
    page = await support.get(f"/admin/users/{olga.id}")
    assert page.status_code == 200 and "Events organised" in page.text and "Recent actions" not in page.text


async def test_admin_user_sections_hook_collects_every_plugins_sections(make_client, make_user) -> None:
    await make_client(["events"])
    user = await make_user()
    found: list[Any] = await hooks.call(hookspecs.admin_user_sections, user_id=user.id,
                                        permissions=frozenset({"*"}))
    titles = [section["title"] for sections in found for section in sections or []]
    assert titles == ["Events organised", "Events joined", "Reports made", "Reports received"] or sorted(
        titles) == sorted(["Events organised", "Events joined", "Reports made", "Reports received"])
    for sections in found:
        for section in sections or []:
            assert section["rows"] == [] and section["total"] == 0


async def test_register_error_pages_hook_names_the_panels_prefix(make_client) -> None:
    await make_client(["admin"])
    from core.hooks.manager import current

    pages = dict(current().hooks.collect(hookspecs.register_error_pages))
    assert list(pages["admin"]) == ["/admin"] and callable(pages["admin"]["/admin"])
