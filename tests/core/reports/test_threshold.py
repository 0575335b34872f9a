"""The operator's threshold: enough distinct reporters hide an event until staff decide; a dismissal restores it."""

from __future__ import annotations

from typing import Any

import pytest

from core import db
from core.reports import services
from plugins.events import services as events

QUEUE = "/admin/p/reports/queue"


async def _visible(api: Any, event_id: int, headers: dict[str, str]) -> tuple[bool, bool]:
    """(the event's page answers, the event is in the feed) for a stranger."""
    page = await api.get(f"/api/v1/events/{event_id}", headers=headers)
    feed = await api.get("/api/v1/events", headers=headers, params={"limit": 50})
    assert feed.status_code == 200, feed.text
    return page.status_code == 200, event_id in [e["id"] for e in feed.json()["items"]]


async def test_reports_reaching_the_threshold_hide_an_event_and_a_dismissal_restores_it(
        make_client: Any, make_user: Any, auth_headers: Any, admin_client: Any, make_published_event: Any) -> None:
    settings = {"reports": {"hide_after": 5, "hide_after_by_type": {"events.event": 2}}}
    api = await make_client(["events"], settings=settings)
    event = await make_published_event()
    stranger = await auth_headers(await make_user())
    assert await _visible(api, event.id, stranger) == (True, True)
    body = {"target_type": "events.event", "target_id": event.id, "reason": "scam", "text": "Asks for prepayment"}

    first = await auth_headers(await make_user())
    assert (await api.post("/api/v1/reports", headers=first, json=body)).status_code == 201
    assert (await api.post("/api/v1/reports", headers=first, json=body)).status_code == 200  # not a second reporter
    assert await _visible(api, event.id, stranger) == (True, True)

    second = await auth_headers(await make_user())
    assert (await api.post("/api/v1/reports", headers=second, json=body)).status_code == 201
    assert await _visible(api, event.id, stranger) == (False, False)
    assert (await events.event_info(event.id)).status == "hidden"
    author = await auth_headers(event.author_id)
    assert (await api.get(f"/api/v1/events/{event.id}", headers=author)).status_code == 200  # the author still sees it
    # a third person can no longer see it, so cannot report it either: 404 like the event's own API
    third = await auth_headers(await make_user())
    r = await api.post("/api/v1/reports", headers=third, json=body)
    assert r.status_code == 404 and r.json()["code"] == "target_not_found"

    staff = await admin_client(roles=["moderator"], plugins=["events"], settings=settings)
    page = await staff.get(QUEUE)
    assert page.status_code == 200, page.text
    assert "Board games night" in page.text and "Asks for prepayment" in page.text
    (case,) = (await services.queue()).items
    assert case["reporters"] == 2 and case["hidden"] and case["reasons"] == "scam x2"
    detail = await staff.get(f"{QUEUE}/o/{case['id']}")
    assert detail.status_code == 200 and "Asks for prepayment" in detail.text
    r = await staff.post(f"{QUEUE}/actions/dismiss", data={"_csrf": staff.csrf, "id": str(case["id"]), "back": QUEUE,
                                                           "confirmed": "1", "note": "A normal paid event"})
    assert r.status_code == 303, r.text
    assert await _visible(api, event.id, stranger) == (True, True)
    decided = await services.case(case["id"])
    assert (decided["status"], decided["decision"], decided["decided_by_id"]) == ("dismissed", "dismiss",
                                                                                  staff.user.id)
    assert decided["note"] == "A normal paid event" and decided["decided_at"] is not None
    mine = (await api.get("/api/v1/me/reports", headers=first)).json()["items"]
    assert mine[0]["status"] == "dismissed"
    # a second moderator deciding the same case is told who decided and what
    again = await staff.post(f"{QUEUE}/actions/uphold", data={"_csrf": staff.csrf, "id": str(case["id"]),
                                                              "back": QUEUE, "confirmed": "1", "note": ""})
    assert again.status_code == 409 and "already decided" in again.text


async def test_upholding_with_the_events_remove_action_cancels_it(make_user: Any, make_published_event: Any) -> None:
    event = await make_published_event()
    moderator = await make_user(roles=["moderator"])
    for _ in range(2):
        await services.file((await make_user()).id, "events.event", event.id, "illegal", "Selling alcohol to kids")
    (case,) = (await services.queue()).items
    assert not case["hidden"] and case["actions"] == ["remove"]  # the default threshold is 3
    decided = await services.decide(case["id"], moderator.id, "remove", "Breaks the rules")
    assert decided["status"] == "upheld" and decided["decision"] == "remove"
    assert (await events.event_info(event.id)).status == "cancelled"
    assert await services.upheld_against(event.author_id) == 1


async def test_banning_the_author_from_the_queue(make_user: Any) -> None:
    target, reporter, moderator = await make_user(), await make_user(), await make_user(roles=["admin"])
    await services.file(reporter.id, "users.user", target.id, "harassment", "Threats")
    (case,) = (await services.queue()).items
    await services.decide(case["id"], moderator.id, "ban_author", "Threatened people")
    from core.users import services as users

    assert (await users.get_user(target.id)).status == "banned"
    assert (await services.case(case["id"]))["status"] == "upheld"


async def test_warning_the_author_notifies_them_and_upholds_the_case(make_app: Any, make_user: Any) -> None:
    from core.errors import ValidationFailed

    make_app(["notify"])  # notify writes the outbox (the hook's implementation)
    target, reporter, moderator = await make_user(), await make_user(), await make_user(roles=["moderator"])
    await services.file(reporter.id, "users.user", target.id, "harassment", "Rude in every chat")
    (case,) = (await services.queue()).items
    with pytest.raises(ValidationFailed) as missing:  # the warning needs its words
        await services.decide(case["id"], moderator.id, "warn_author", " ")
    assert missing.value.code == "note_required"
    decided = await services.decide(case["id"], moderator.id, "warn_author", "Please stay polite")
    assert (decided["status"], decided["decision"]) == ("upheld", "warn_author")
    rows = await db.fetch("SELECT user_id, kind, payload::text AS payload FROM notify.notification")
    assert [(r["user_id"], r["kind"], "Please stay polite" in r["payload"]) for r in rows] == [
        (target.id, "reports.warning", True)]  # in notify's outbox, written with the decision
