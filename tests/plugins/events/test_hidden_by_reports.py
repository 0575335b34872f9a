"""Hidden by reports: a separate, reversible status. Out of everyone's sight but the author's and staff's; a dismissal
puts the event back exactly where it was without running the publish flow (no second "published" notice)."""

from __future__ import annotations

from typing import Any

import pytest

from core import db
from core.errors import Conflict
from core.reports import services as reports
from plugins.events import api as events_api
from plugins.events import participation, services, states, trust
from plugins.events.tables import Event
from tests.admin_ui.conftest import event_status, pending_event

SETTINGS = {"reports": {"hide_after_by_type": {"events.event": 2}}}
BODY = {"target_type": "events.event", "reason": "scam", "text": "Asks for prepayment"}


async def _report_until_hidden(make_user: Any, event_id: int) -> None:
    for _ in range(2):
        await reports.file((await make_user()).id, "events.event", event_id, "scam", "Asks for prepayment")


async def _notices(kind: str, user_id: int) -> int:
    rows = await db.fetch("SELECT count(*) AS n FROM notify.notification WHERE kind = $1 AND user_id = $2",
                          kind, user_id)
    return int(rows[0]["n"])


async def _kinds(user_id: int) -> list[str]:
    rows = await db.fetch("SELECT kind FROM notify.notification WHERE user_id = $1 ORDER BY id", user_id)
    return [r["kind"] for r in rows]


async def test_hidden_event_is_404_to_all_but_author_and_staff_and_leaves_every_list(
        make_client: Any, make_user: Any, auth_headers: Any, make_published_event: Any) -> None:
    api = await make_client(["events"], settings=SETTINGS)
    event = await make_published_event()
    participant = await make_user()
    assert (await participation.join(participant.id, event.id))["status"] == "confirmed"
    await Event.update({Event.group_id: 4242}).where(Event.id == event.id)  # hosted by a group (its pages list it)
    stranger = await auth_headers(await make_user())
    feed = await api.get("/api/v1/events", headers=stranger, params={"limit": 50})  # the feed is cached now
    assert event.id in [e["id"] for e in feed.json()["items"]]
    assert event.id in await events_api.listed_event_ids()

    await _report_until_hidden(make_user, event.id)

    assert await event_status(event.id) == states.HIDDEN
    for headers in (stranger, await auth_headers(participant.id), {}):
        r = await api.get(f"/api/v1/events/{event.id}", headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "event_not_found", r.text
    feed = await api.get("/api/v1/events", headers=stranger, params={"limit": 50})
    assert event.id not in [e["id"] for e in feed.json()["items"]]  # the feed's cache was bumped
    joined = await api.get("/api/v1/events/joined", headers=await auth_headers(participant.id))
    assert [(j["event_id"], j["deleted"]) for j in joined.json()["items"]] == [(event.id, True)]  # a tombstone
    assert await events_api.upcoming_for_user(participant.id) == []
    assert event.id not in await events_api.listed_event_ids()  # search
    assert not (await events_api.event_documents([event.id]))[event.id].listed
    group_page = await events_api.group_events(4242, upcoming=True, members_only=True)
    assert event.id not in [e.id for e in group_page.items]
    author = await auth_headers(event.author_id)
    r = await api.get(f"/api/v1/events/{event.id}", headers=author)
    assert r.status_code == 200 and r.json()["status"] == "hidden"
    moderator = await auth_headers(await make_user(roles=["moderator"]))
    assert (await api.get(f"/api/v1/events/{event.id}", headers=moderator)).status_code == 200
    # nobody joins it, and the author cannot delete it away from the moderators
    r = await api.post(f"/api/v1/events/{event.id}/join", headers=stranger, json={})
    assert r.status_code == 404 and r.json()["code"] == "event_not_found", r.text
    with pytest.raises(Conflict) as gone:
        await services.delete_event(services.Actor(event.author_id), event.id)
    assert gone.value.code == "event_not_deletable"


async def test_dismissal_restores_published_without_a_second_notice(
        make_app: Any, make_user: Any, make_published_event: Any) -> None:
    make_app(["events", "notify"], settings=SETTINGS)
    event = await make_published_event()
    assert await _notices("events.published", event.author_id) == 1
    told = await _kinds(event.author_id)
    await _report_until_hidden(make_user, event.id)
    assert await event_status(event.id) == states.HIDDEN
    case = await reports.open_case_of("events.event", event.id)
    assert case is not None and case["hidden"]
    moderator = await make_user(roles=["moderator"])

    await reports.decide(case["id"], moderator.id, "dismiss", "A normal paid event")

    assert await event_status(event.id) == states.PUBLISHED
    assert await _notices("events.published", event.author_id) == 1  # not published anew
    assert await _kinds(event.author_id) == told  # nothing else either: the author never heard it was hidden
    moves = [(h["from_status"], h["to_status"], h["actor_id"], h["reason"]) for h in await services.history(event.id)]
    assert moves[-2:] == [("published", "hidden", None, services.REPORTED),
                          ("hidden", "published", moderator.id, services.RESTORED)]
    audit = await db.fetch("SELECT action FROM users.audit_entry WHERE object_type = 'event' AND object_id = $1 "
                           "ORDER BY id", str(event.id))
    assert [a["action"] for a in audit][-2:] == ["event.hide", "event.unhide"]
    # showing it again twice changes nothing
    await services.unhide_reported(event.id, moderator.id)
    assert len(await services.history(event.id)) == len(moves)


async def test_cancelled_and_finished_events_come_back_as_they_were(
        make_client: Any, make_user: Any, make_published_event: Any, clock: Any) -> None:
    await make_client(["events"], settings=SETTINGS)
    moderator = await make_user(roles=["moderator"])
    cancelled = await make_published_event()
    await services.cancel(services.Actor(cancelled.author_id), cancelled.id, "The host fell ill")
    await _report_until_hidden(make_user, cancelled.id)
    assert await event_status(cancelled.id) == states.HIDDEN
    # a hidden event is not finished behind the moderators' back
    ended = await make_published_event()
    await _report_until_hidden(make_user, ended.id)
    clock.freeze(ended.ends_at + clock_minutes(1))
    await services.finish_ended()
    assert await event_status(ended.id) == states.HIDDEN
    for event_id, before in ((cancelled.id, states.CANCELLED), (ended.id, states.PUBLISHED)):
        case = await reports.open_case_of("events.event", event_id)
        assert case is not None
        await reports.decide(case["id"], moderator.id, "dismiss")
        assert await event_status(event_id) == before
    await services.finish_ended()  # now the finisher takes it
    assert await event_status(ended.id) == states.FINISHED


async def test_removing_a_hidden_event_cancels_it(make_client: Any, make_user: Any, make_published_event: Any) -> None:
    await make_client(["events"], settings=SETTINGS)
    event = await make_published_event()
    await _report_until_hidden(make_user, event.id)
    case = await reports.open_case_of("events.event", event.id)
    assert case is not None
    await reports.decide(case["id"], (await make_user(roles=["moderator"])).id, "remove", "A scam")
    assert await event_status(event.id) == states.CANCELLED
    assert await reports.upheld_against(event.author_id) == 1


def test_the_moves_in_and_out_of_hidden() -> None:
    for source in states.HIDEABLE:
        states.check_move(source, states.HIDDEN, states.SYSTEM)
        states.check_move(states.HIDDEN, source, states.SYSTEM)
    for role in (states.AUTHOR, states.MODERATOR):
        with pytest.raises(Conflict):
            states.check_move(states.PUBLISHED, states.HIDDEN, role)  # only through the reports mechanism
        with pytest.raises(Conflict):
            states.check_move(states.HIDDEN, states.PUBLISHED, role)  # not a way round the dismissal
    with pytest.raises(Conflict):
        states.check_move(states.PUBLISHED, states.PENDING, states.SYSTEM)  # reports no longer send it to review
    with pytest.raises(Conflict):
        states.check_move(states.DRAFT, states.HIDDEN, states.SYSTEM)


async def test_trust_is_lost_when_reports_on_a_hidden_event_are_upheld(make_client: Any, make_user: Any) -> None:
    await make_client(["events"], settings={**SETTINGS, "events": {"trusted_after_approved": 1}})
    organiser = await make_user(roles=["organiser"])
    moderator = await make_user(roles=["moderator"])
    first = await pending_event(organiser.id, "First")
    await services.approve(first, moderator.id)
    second = await pending_event(organiser.id, "Second")
    assert await event_status(second) == states.PUBLISHED  # trusted
    # a dismissed hiding keeps the trust and does not count as an approval
    await _report_until_hidden(make_user, second)
    case = await reports.open_case_of("events.event", second)
    assert case is not None
    await reports.decide(case["id"], moderator.id, "dismiss")
    assert await trust.approved_since_upheld(organiser.id) == 1 and await trust.is_trusted(organiser.id)
    # an upheld one sends the organiser back to the queue
    await _report_until_hidden(make_user, second)
    case = await reports.open_case_of("events.event", second)
    assert case is not None
    await reports.decide(case["id"], moderator.id, "uphold", "A scam")
    assert await event_status(second) == states.HIDDEN  # what stays hidden stays hidden
    assert await event_status(await pending_event(organiser.id, "Third")) == states.PENDING


def clock_minutes(n: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=n)
