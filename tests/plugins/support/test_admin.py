"""The panel's side of support (inbox, conversation, actions, canned replies, metrics) and the permission matrix."""

from __future__ import annotations

import re

import pytest

from admin_ui.testing import enrol_staff, sign_in_staff
from tests.plugins.support.conftest import AGENT_ROLE, LEAD_ROLE, PLUGINS

pytestmark = pytest.mark.asyncio(loop_scope="session")
INBOX = "/admin/p/support/tickets"
TALK = "/admin/p/support/conversation"


async def test_an_agent_works_a_ticket_from_the_panel(admin_client, api, person, open_ticket, published_event) -> None:
    ada = await person(display_name="Ada Lovelace")
    ticket = await open_ticket(ada, category="event", subject="Where is the door?", body="I am outside",
                               about={"type": "events.event", "id": str(published_event.id)})
    panel = await admin_client(roles=[AGENT_ROLE], plugins=PLUGINS)
    r = await panel.get(INBOX)
    assert r.status_code == 200 and "Where is the door?" in r.text
    for queue, present in (("unassigned", True), ("mine", False), ("breaching", False), ("waiting", False)):
        r = await panel.get(f"{INBOX}?queue={queue}")
        assert r.status_code == 200 and ("Where is the door?" in r.text) is present, queue
    assert "Where is the door?" in (await panel.get(f"{INBOX}?q=outside")).text  # the text of a message
    assert "Where is the door?" not in (await panel.get(f"{INBOX}?q=nothing-like-it")).text
    assert "Where is the door?" in (await panel.get(f"{INBOX}?about=events.event:{published_event.id}")).text
    assert "Where is the door?" in (await panel.get(f"{INBOX}?user={ada.id}")).text
    for query, present in (("category=event", True), ("category=bug", False), ("priority=normal", True),
                           ("priority=urgent", False), ("status=new", True), ("status=open", False)):
        assert ("Where is the door?" in (await panel.get(f"{INBOX}?queue=all&{query}")).text) is present, query

    page = await panel.get(f"{TALK}?ticket={ticket['id']}")
    assert page.status_code == 200 and "I am outside" in page.text and "Ada Lovelace" in page.text
    assert "Events" in page.text and "Support tickets" in page.text  # the user's context beside it
    assert 'id="typing"' not in page.text
    r = await api.post(f"/api/v1/support/tickets/{ticket['id']}/typing", headers=ada.headers)
    assert r.status_code == 204  # the page's next refresh shows it
    assert "Ada Lovelace is typing" in (await panel.get(f"{TALK}?ticket={ticket['id']}")).text

    r = await panel.post(f"{INBOX}/actions/note", data={"_csrf": panel.csrf, "id": ticket["id"], "confirmed": "1",
                                                        "body": "Door code 1234", "back": INBOX})
    assert r.status_code == 303
    r = await panel.post(f"{INBOX}/actions/reply", data={"_csrf": panel.csrf, "id": ticket["id"], "confirmed": "1",
                                                         "body": "Use the side door", "back": INBOX})
    assert r.status_code == 303 and r.headers["location"].startswith(TALK)
    mine = (await api.get(f"/api/v1/support/tickets/{ticket['id']}/messages", headers=ada.headers)).json()["items"]
    assert [m["body"] for m in mine] == ["Use the side door", "I am outside"]
    r = await panel.post(f"{INBOX}/actions/take", data={"_csrf": panel.csrf, "id": ticket["id"], "confirmed": "1",
                                                        "back": INBOX})
    assert r.status_code == 303
    assert "Where is the door?" in (await panel.get(f"{INBOX}?queue=waiting")).text
    r = await panel.post(f"{INBOX}/actions/tags", data={"_csrf": panel.csrf, "id": ticket["id"], "confirmed": "1",
                                                        "tags": "Door, venue,door", "back": INBOX})
    assert r.status_code == 303
    detail = await panel.get(f"{INBOX}/o/{ticket['id']}")
    assert detail.status_code == 200 and "waiting_for_user" in detail.text and "door, venue" in detail.text
    r = await panel.post(f"{INBOX}/actions/status", data={"_csrf": panel.csrf, "id": ticket["id"], "confirmed": "1",
                                                          "status": "closed", "back": INBOX})
    assert r.status_code == 409  # waiting_for_user → closed is not a move in the table
    assert (await panel.get(f"{TALK}?ticket=999999")).status_code == 404


async def test_canned_replies_are_managed_by_leads_and_filled_in(admin_client, person, open_ticket,
                                                                 published_event) -> None:
    ada = await person(display_name="Ada")
    ticket = await open_ticket(ada, category="event", subject="Refund?", about={"type": "events.event",
                                                                                "id": str(published_event.id)})
    lead = await admin_client(roles=[LEAD_ROLE], plugins=PLUGINS)
    r = await lead.post("/admin/p/support/macros/new", data={
        "_csrf": lead.csrf, "name": "refund", "language": "en",
        "body": "Hello {user_name}, about {event_title}: refunds take 5 days. {unknown} {user_name.__class__}"})
    assert r.status_code == 303, r.text
    r = await lead.post("/admin/p/support/macros/new", data={"_csrf": lead.csrf, "name": "refund",
                                                             "language": "xx", "body": ""})
    assert r.status_code == 422
    listing = await lead.get("/admin/p/support/macros")
    macro_id = re.search(r"/admin/p/support/macros/o/(\d+)", listing.text)
    assert macro_id, listing.text
    page = await lead.get(f"{TALK}?ticket={ticket['id']}&macro={macro_id.group(1)}")
    assert f"Hello Ada, about {published_event.title}: refunds take 5 days. {{unknown}} {{user_name.__class__}}" \
        in page.text.replace("&#39;", "'")
    r = await lead.post(f"{INBOX}/actions/macro", data={"_csrf": lead.csrf, "id": ticket["id"], "confirmed": "1",
                                                        "macro": "refund", "back": INBOX})
    assert r.status_code == 303 and f"macro={macro_id.group(1)}" in r.headers["location"]
    agent = await admin_client(roles=[AGENT_ROLE], plugins=PLUGINS)
    assert (await agent.get("/admin/p/support/macros/new")).status_code == 403


async def test_metrics_in_the_panel_and_as_csv(admin_client, api, person, open_ticket) -> None:
    from plugins.support import desk

    ada, agent = await person(), await person(AGENT_ROLE)
    for category in ("bug", "bug", "account"):
        t = await open_ticket(ada, category=category)
        await desk.answer(t["id"], agent.id, "On it")
    await desk.assign(t["id"], agent.id, agent.id)
    await desk.move(t["id"], agent.id, "resolved")
    lead = await admin_client(roles=[LEAD_ROLE], plugins=PLUGINS)
    page = await lead.get("/admin/p/support/metrics")
    assert page.status_code == 200 and "<svg" in page.text and 'id="by-category"' in page.text
    assert (await lead.get("/admin/p/support/metrics?since=2026-13-01")).status_code == 400
    lead_api = await person(LEAD_ROLE)
    figures = (await api.get("/api/v1/support/metrics/", headers=lead_api.headers)).json()
    assert figures["totals"]["opened"] == 3 and figures["totals"]["resolved"] == 1
    assert figures["totals"]["unresolved"] == 2 and figures["totals"]["first_response_median_h"] is not None
    assert {c["category"] for c in figures["by_category"]} == {"bug", "account"}
    assert figures["by_agent"][0]["agent_id"] == agent.id
    csv = await api.get("/api/v1/support/metrics/csv", headers=lead_api.headers)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "section,since,until" and "by_category" in csv.text


MATRIX = [
    # (who, list my tickets, answer at the desk, metrics API, panel inbox, panel metrics, new canned reply)
    ("anonymous", 401, 401, 401, None, None, None),
    ("user", 200, 403, 403, None, None, None),
    ("moderator", 200, 403, 403, 403, 403, 403),
    (AGENT_ROLE, 200, 201, 403, 200, 403, 403),
    (LEAD_ROLE, 200, 201, 200, 200, 200, 200),
    ("admin", 200, 201, 200, 200, 200, 200),
]


async def test_permission_matrix(api, admin_client, make_user, person, open_ticket) -> None:
    """One panel app for every role (each signs in afresh through the real form): an app per role cost seconds."""
    owner = await person()
    ticket = await open_ticket(owner)
    panel = None
    for who, mine, answer, metrics_api, inbox, metrics_page, new_macro in MATRIX:
        headers = {} if who == "anonymous" else (await person(*([] if who == "user" else [who]))).headers
        got = [(await api.get("/api/v1/support/tickets", headers=headers)).status_code,
               (await api.post(f"/api/v1/support/desk/tickets/{ticket['id']}/messages", json={"body": "hi"},
                               headers=headers)).status_code,
               (await api.get("/api/v1/support/metrics/", headers=headers)).status_code]
        assert got == [mine, answer, metrics_api], who
        if inbox is None:
            continue
        if panel is None:
            panel = await admin_client(roles=[who], plugins=PLUGINS)
        else:  # the same panel app, signed in afresh as someone holding only this role
            staff = await make_user(roles=[who])
            panel.cookies.clear()
            await sign_in_staff(panel, staff.id, (await enrol_staff(staff.id)).pop())
        got = [(await panel.get(INBOX)).status_code, (await panel.get("/admin/p/support/metrics")).status_code,
               (await panel.get("/admin/p/support/macros/new")).status_code]
        assert got == [inbox, metrics_page, new_macro], who
