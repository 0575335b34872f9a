"""Moderation queues at volume (issue 12): filters, orders and a total; bulk decisions with a confirmation; canned
reasons; approve-and-next keeping the list's place; claims and the 409 of a second moderator; a form kept across an
expired session. Over HTTP (the browser tests in tests/admin_ui/e2e cover the same flows in Chromium)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from core import db
from plugins.events.tables import Event
from tests.admin_ui.conftest import csrf_of, event_status, pending_event

PLUGINS = ["admin", "events"]
QUEUE = "/admin/moderation/events.review"


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-item="(\d+)"', html)]


async def test_search_filters_orders_and_total(admin_client, make_user, clock) -> None:
    client = await admin_client(roles=["moderator"], plugins=PLUGINS, timezone="Asia/Tokyo")
    olga = await make_user(roles=["organiser"], display_name="Olga Organiser")
    ivan = await make_user(roles=["organiser"], display_name="Ivan Host")
    clock.freeze()
    a = await pending_event(olga.id, "Настолки в пятницу", days=10)
    clock.advance(60)
    b = await pending_event(ivan.id, "Board games night", days=3)
    clock.advance(60)
    c = await pending_event(olga.id, "Chess club", days=20)
    await Event.update({Event.category: "games"}).where(Event.id == b)

    r = await client.get(QUEUE)
    assert r.status_code == 200 and _ids(r.text) == [a, b, c] and 'id="total">3 waiting' in r.text
    assert _ids((await client.get(QUEUE, params={"sort": "newest"})).text) == [c, b, a]
    assert _ids((await client.get(QUEUE, params={"sort": "starts"})).text) == [b, a, c]
    assert _ids((await client.get(QUEUE, params={"author": "olga"})).text) == [a, c]
    assert _ids((await client.get(QUEUE, params={"author": str(ivan.id)})).text) == [b]
    assert _ids((await client.get(QUEUE, params={"language": "ru"})).text) == [a]
    assert _ids((await client.get(QUEUE, params={"language": "en"})).text) == [b, c]
    assert _ids((await client.get(QUEUE, params={"category": "games"})).text) == [b]
    assert _ids((await client.get(QUEUE, params={"q": "chess"})).text) == [c]
    assert _ids((await client.get(QUEUE, params={"reports": "1"})).text) == []
    start = clock.now().date()
    r = await client.get(QUEUE, params={"starts_from": str(start), "starts_to": str(start + timedelta(days=5))})
    assert _ids(r.text) == [b] and 'id="total">1 waiting · filtered' in r.text
    # Values that do not parse are dropped, never an error page; a cursor from another order is refused
    assert (await client.get(QUEUE, params={"starts_from": "soon", "reports": "many", "sort": "x"})).status_code == 200
    page1 = await client.get(QUEUE, params={"limit": "1"})
    cursor = re.search(r'cursor=([^"&]+)', page1.text).group(1)
    assert _ids((await client.get(QUEUE + f"?limit=1&cursor={cursor}")).text) == [b]
    assert (await client.get(QUEUE + f"?limit=1&sort=starts&cursor={cursor}")).status_code == 400
    # The start time in the venue's zone and in the staff member's (Tokyo) side by side
    assert "Europe/Berlin" in r.text and "your time" in r.text
    item = await client.get(f"{QUEUE}/{b}")
    assert re.search(r'<span class="local">[^<]+<small>Europe/Berlin</small></span> · <small class="mine">', item.text)


async def test_bulk_reject_asks_first_then_uses_one_canned_reason_in_each_authors_language(admin_client,
                                                                                          make_user) -> None:
    client = await admin_client(roles=["moderator"], plugins=PLUGINS)
    ru = await make_user(roles=["organiser"])
    en = await make_user(roles=["organiser"])
    await db.fetch("UPDATE users.account SET language = 'ru' WHERE id = $1", ru.id)
    ids = [await pending_event(ru.id, "Один"), await pending_event(en.id, "Two"), await pending_event(en.id, "Three")]
    # Staff keep canned reasons through the panel's form
    form = await client.get("/admin/p/admin/reasons/new")
    assert form.status_code == 200
    r = await client.post("/admin/p/admin/reasons/new", data={
        "_csrf": csrf_of(form.text), "title": "Spam", "text_en": "This looks like spam.",
        "text_ru": "Похоже на спам.", "queue": "", "position": "1", "active": "on"})
    assert r.status_code == 303, r.text
    reason_id = (await db.fetch("SELECT id FROM admin.canned_reason"))[0]["id"]

    # Given two ticked items, the first POST only asks (nothing changes)
    data = {"_csrf": client.csrf, "decision": "reject", "id": [str(i) for i in ids[:2]], "state": "sort=starts"}
    ask = await client.post(f"{QUEUE}/bulk", data=data)
    assert ask.status_code == 200 and "Reject 2 items with one reason?" in ask.text and "Один" in ask.text
    assert {await event_status(i) for i in ids} == {"pending_review"}
    # Confirming without a reason re-asks with the error
    again = await client.post(f"{QUEUE}/bulk", data={**data, "confirm": "1"})
    assert again.status_code == 422 and "Tell the authors why" in again.text
    done = await client.post(f"{QUEUE}/bulk", data={**data, "confirm": "1", "canned": str(reason_id)})
    assert done.status_code == 303 and done.headers["location"] == f"{QUEUE}?sort=starts"
    assert [await event_status(i) for i in ids] == ["rejected", "rejected", "pending_review"]
    reasons = {r["event"]: r["reason"] for r in await db.fetch(
        "SELECT event, reason FROM events.status_move WHERE to_status = 'rejected'")}
    assert reasons == {ids[0]: "Похоже на спам.", ids[1]: "This looks like spam."}
    assert "2 items rejected." in (await client.get(done.headers["location"])).text
    # Approving the same ones again: nothing overwritten, counted as decided by someone
    await client.post(f"{QUEUE}/bulk", data={**data, "decision": "approve", "confirm": "1",
                                             "id": [str(ids[0]), str(ids[2])]})
    assert [await event_status(i) for i in ids] == ["rejected", "rejected", "published"]
    assert "1 was already decided by someone else." in (await client.get(QUEUE)).text


async def test_approve_and_next_keeps_filters_order_and_place(admin_client, make_user, clock) -> None:
    client = await admin_client(roles=["moderator"], plugins=PLUGINS)
    author = await make_user(roles=["organiser"])
    other = await make_user(roles=["organiser"])
    clock.freeze()
    ids = []
    for n in range(4):
        clock.advance(60)
        ids.append(await pending_event(author.id, f"Event {n}", days=10 - n))
    await pending_event(other.id, "Someone else's")
    state = f"author={author.id}&sort=starts"
    r = await client.post(f"{QUEUE}/{ids[3]}/approve", data={"_csrf": client.csrf, "state": state, "and_next": "1"})
    # Starting soonest among this author's: 3, 2, 1, 0 → after 3 comes 2, with the list's state kept
    assert r.status_code == 303
    target = urlsplit(r.headers["location"])
    assert target.path == f"{QUEUE}/{ids[2]}"
    assert parse_qs(target.query) == {"author": [str(author.id)], "sort": ["starts"], "done": ["approved"]}
    page = await client.get(r.headers["location"])
    assert "Approved." in page.text and f'name="state" value="author={author.id}&amp;sort=starts"' in page.text
    # Skip passes 2 over; rejecting 1 and next lands on 0, then the list (this author's are all decided)
    r = await client.post(f"{QUEUE}/{ids[2]}/skip", data={"_csrf": client.csrf, "state": state})
    assert urlsplit(r.headers["location"]).path == f"{QUEUE}/{ids[1]}"
    r = await client.post(f"{QUEUE}/{ids[1]}/reject", data={"_csrf": client.csrf, "state": state, "and_next": "1",
                                                            "reason": "Duplicate"})
    assert urlsplit(r.headers["location"]).path == f"{QUEUE}/{ids[0]}"
    r = await client.post(f"{QUEUE}/{ids[0]}/approve", data={"_csrf": client.csrf, "state": state, "and_next": "1"})
    assert urlsplit(r.headers["location"]).path == f"{QUEUE}/{ids[2]}"  # the skipped one is all that is left...
    r = await client.post(f"{QUEUE}/{ids[2]}/approve", data={"_csrf": client.csrf, "state": state, "and_next": "1"})
    assert r.headers["location"] == f"{QUEUE}?{state}&done=approved"  # ...then back to the filtered list


async def test_claims_and_the_second_moderator_sees_who_decided(admin_client, make_user, clock) -> None:
    anna = await admin_client(roles=["moderator"], plugins=PLUGINS,
                              user=await make_user(roles=["moderator"], display_name="Anna Mod"))
    boris = await admin_client(roles=["moderator"], plugins=PLUGINS,
                               user=await make_user(roles=["moderator"], display_name="Boris Mod"))
    author = await make_user(roles=["organiser"])
    clock.freeze()
    first = await pending_event(author.id, "First")
    second = await pending_event(author.id, "Second")
    # Anna opens the first item: it is hers for the claim's minutes, and Boris sees so in the list and on the item
    assert "You hold this item" in (await anna.get(f"{QUEUE}/{first}")).text
    listing = await boris.get(QUEUE)
    assert re.search(rf'<tr data-item="{first}" class="held">.*?Anna Mod · 10 min', listing.text, re.S)
    item = await boris.get(f"{QUEUE}/{first}")
    assert "Anna Mod opened this item and holds it" in item.text
    # "Next" passes over an item someone else holds
    r = await boris.post(f"{QUEUE}/{second}/approve", data={"_csrf": boris.csrf, "and_next": "1"})
    assert r.headers["location"] == f"{QUEUE}?done=approved"
    # Anna approves; Boris, who typed a reason meanwhile, gets a 409 naming her, with his reason kept
    clock.advance(30)
    await anna.post(f"{QUEUE}/{first}/approve", data={"_csrf": anna.csrf})
    r = await boris.post(f"{QUEUE}/{first}/reject", data={"_csrf": boris.csrf, "reason": "Looks like a scam, sorry"})
    assert r.status_code == 409 and "<html" in r.text
    assert "Anna Mod approved this item at" in r.text and "Looks like a scam, sorry</textarea>" in r.text
    assert "nothing was overwritten" in r.text
    assert await event_status(first) == "published"
    # A claim lapses after claim_minutes
    third = await pending_event(author.id, "Third")
    await anna.get(f"{QUEUE}/{third}")
    clock.advance(11 * 60)
    assert "holds it" not in (await boris.get(f"{QUEUE}/{third}")).text


async def test_reason_survives_an_expired_session(admin_client, make_user) -> None:
    from admin_ui import session
    from admin_ui.pages.signin import safe_next

    mod = await make_user(roles=["moderator"])
    client = await admin_client(plugins=PLUGINS, user=mod)
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id)
    page_url = f"{QUEUE}/{event_id}?sort=starts"
    await client.get(page_url)
    # The session ends while she types (the idle timeout: its Redis entry is gone)
    await session.close_session(client.cookies.get(session.COOKIE))
    r = await client.post(f"{QUEUE}/{event_id}/reject", data={"_csrf": client.csrf, "reason": "Вы забыли адрес"},
                          headers={"referer": f"http://testserver{page_url}"})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next=")
    next_url = parse_qs(urlsplit(r.headers["location"]).query)["next"][0]
    assert next_url.startswith(page_url + "&resume=")
    # She signs in again and lands on the item's page with her reason back in the form
    assert safe_next(next_url) == next_url  # the sign-in form sends her there once she is in
    client = await admin_client(plugins=PLUGINS, user=mod)
    page = await client.get(next_url)
    assert page.status_code == 200 and "Вы забыли адрес</textarea>" in page.text and 'id="resumed"' in page.text
    assert "Вы забыли адрес" not in (await client.get(next_url)).text  # one time only
    assert await event_status(event_id) == "pending_review"  # nothing was replayed by itself
    # Without a Referer (or opening a decision's address) the browser still gets an HTML page, never a 405 JSON
    r = await client.get(f"{QUEUE}/{event_id}/reject?resume=unknown", follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


async def test_list_pages_get_the_same_typed_filters_orders_and_total(admin_client) -> None:
    # Core's report queue (an AdminPage) declares a total; the canned reasons page a choice filter
    client = await admin_client(roles=["admin"], plugins=PLUGINS)
    r = await client.get("/admin/p/reports/queue", params={"status": "dismissed"})
    assert r.status_code == 200 and 'id="total">0 in all' in r.text
    assert (await client.get("/admin/p/reports/queue", params={"status": "nonsense"})).status_code == 200
    assert (await client.get("/admin/p/admin/reasons", params={"active": "yes"})).status_code == 200


def test_declarations_are_checked_when_made() -> None:
    import pytest

    from core.admin import Filter, ModerationQueue, Sort

    with pytest.raises(ValueError, match="unknown kind"):
        Filter("when", "When", kind="datetime")
    assert Filter("starts", "Starts", kind="date").params == ("starts_from", "starts_to")

    async def nothing(*_args: object) -> None:
        return None

    with pytest.raises(ValueError, match="filter names clash"):
        ModerationQueue(plugin="x", name="y", title="Y", count=nothing, list=nothing, detail=nothing,  # type: ignore[arg-type]
                        approve=nothing, reject=nothing, filters=[Filter("sort", "Sort")])
    with pytest.raises(ValueError, match="two sorts"):
        ModerationQueue(plugin="x", name="y", title="Y", count=nothing, list=nothing, detail=nothing,  # type: ignore[arg-type]
                        approve=nothing, reject=nothing, sorts=[Sort("a", "A"), Sort("a", "B")])


async def test_bulk_and_skip_refuse_bad_requests_with_html_pages(admin_client, make_user) -> None:
    client = await admin_client(roles=["moderator"], plugins=PLUGINS)
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id)
    bulk = f"{QUEUE}/bulk"
    cases = [
        ({"decision": "approve"}, 400, "Select at least one row first."),
        ({"decision": "delete", "id": str(event_id)}, 400, "Choose approve or reject."),
        ({"decision": "approve", "id": [str(n) for n in range(201)]}, 400, "Select at most 200 rows"),
        ({"decision": "reject", "id": str(event_id), "confirm": "1", "reason": "x" * 2001}, 422,
         "Keep the reason under 2000 characters."),
    ]
    for data, status, text in cases:
        r = await client.post(bulk, data={"_csrf": client.csrf, **data})
        assert r.status_code == status and text in r.text and r.headers["content-type"].startswith("text/html"), data
    # No CSRF token: refused, nothing decided; GET on the POST addresses goes back to a page
    for url in (bulk, f"{QUEUE}/{event_id}/skip", f"{QUEUE}/{event_id}/approve"):
        assert (await client.post(url, data={"decision": "approve", "id": str(event_id)})).status_code == 403
        assert (await client.get(url)).status_code == 303
    assert await event_status(event_id) == "pending_review"
    # Support staff may not use the queue at all
    support = await admin_client(roles=["support"], plugins=PLUGINS)
    r = await support.post(bulk, data={"_csrf": support.csrf, "decision": "approve", "id": str(event_id),
                                       "confirm": "1"})
    assert r.status_code == 403 and await event_status(event_id) == "pending_review"


async def test_a_plugin_actions_fields_survive_an_expired_session(admin_client, make_user) -> None:
    from admin_ui import session

    mod = await make_user(roles=["admin"])
    client = await admin_client(plugins=PLUGINS, user=mod)
    form_url = "/admin/p/reports/queue/actions/dismiss?id=7&back=%2Fadmin%2Fp%2Freports%2Fqueue"
    assert (await client.get(form_url)).status_code == 200
    await session.close_session(client.cookies.get(session.COOKIE))
    r = await client.post("/admin/p/reports/queue/actions/dismiss",
                          data={"_csrf": client.csrf, "id": "7", "note": "Checked: a joke between friends",
                                "confirmed": "1"}, headers={"referer": f"http://testserver{form_url}"})
    next_url = parse_qs(urlsplit(r.headers["location"]).query)["next"][0]
    assert next_url.startswith(form_url + "&resume=")
    client = await admin_client(plugins=PLUGINS, user=mod)
    page = await client.get(next_url)
    assert page.status_code == 200 and "Checked: a joke between friends</textarea>" in page.text
