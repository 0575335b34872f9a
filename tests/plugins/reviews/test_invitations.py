"""Invitations to review (after the end, at local daytime, one per 30 days); reviews that outlive their event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from plugins.reviews import ReviewsSettings
from plugins.reviews.notifications import invite_moment
from tests.plugins.reviews.conftest import write


def test_the_invitation_waits_for_local_daytime() -> None:
    s = ReviewsSettings()
    end = datetime(2030, 1, 10, 18, 0, tzinfo=UTC)  # winter: Berlin UTC+1, Tokyo UTC+9
    # 2 h after the end is 21:00 in Berlin: the next morning at 10:00 local
    assert invite_moment(end, "Europe/Berlin", s) == datetime(2030, 1, 11, 9, 0, tzinfo=UTC)
    # 05:00 in Tokyo: 10:00 local the same day
    assert invite_moment(end, "Asia/Tokyo", s) == datetime(2030, 1, 11, 1, 0, tzinfo=UTC)
    # already daytime in New York (15:00): at once, 2 h after the end
    assert invite_moment(end, "America/New_York", s) == end + timedelta(hours=2)
    # an unknown timezone counts as UTC (20:00 is past daytime: 10:00 UTC)
    assert invite_moment(end, "Mars/Olympus", s) == datetime(2030, 1, 11, 10, 0, tzinfo=UTC)
    # always within the window
    for hour in range(24):
        for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Moscow"):
            at = invite_moment(end + timedelta(hours=hour), tz, s)
            assert end + timedelta(hours=hour + 2) <= at <= end + timedelta(hours=hour + 24)


async def _invites() -> list[dict[str, Any]]:
    from plugins.notify.tables import Notification

    return await Notification.select(Notification.user_id, Notification.status, Notification.due_at,
                                     Notification.expires_at).where(Notification.kind == "reviews.invite").order_by(
        Notification.id)


async def test_attendees_are_invited_once_a_month_and_the_review_withdraws_it(api: Any, finished: Any,
                                                                                clock: Any) -> None:
    from core.users.tables import User
    from plugins.events import services

    scene = await finished(attendees=2, finish=False)
    a, b = scene.attendees
    await User.update({User.timezone: "Asia/Tokyo"}).where(User.id == a.id)
    clock.freeze(scene.event.ends_at + timedelta(minutes=1))
    await services.finish_ended()
    invites = await _invites()
    assert sorted(i["user_id"] for i in invites) == sorted([a.id, b.id])  # never the organiser
    by_user = {i["user_id"]: i for i in invites}
    s = ReviewsSettings()
    assert by_user[a.id]["due_at"] == invite_moment(scene.event.ends_at, "Asia/Tokyo", s)
    assert by_user[b.id]["due_at"] == invite_moment(scene.event.ends_at, "UTC", s)
    assert all(scene.event.ends_at + timedelta(hours=2) <= i["due_at"] <= scene.event.ends_at + timedelta(hours=24)
               for i in invites)
    # another event of theirs a week later: no second invitation within 30 days
    second = await finished(attendees=0, finish=False)
    from plugins.events import participation

    for p in (a, b):
        await participation.join(p.id, second.event.id)
    clock.freeze(second.event.ends_at + timedelta(minutes=1))
    await services.finish_ended()
    assert len(await _invites()) == 2
    third = await finished(attendees=0, finish=False, starts_at=(clock.now() + timedelta(days=31)).replace(
        microsecond=0))
    await participation.join(a.id, third.event.id)
    clock.freeze(third.event.ends_at + timedelta(minutes=1))
    await services.finish_ended()
    assert [i["user_id"] for i in await _invites()][2:] == [a.id]


async def test_a_user_who_turned_invitations_off_gets_none(api: Any, finished: Any, clock: Any,
                                                           run_jobs: Any) -> None:
    from plugins.events import services
    from plugins.notify.dispatch import dispatch
    from plugins.notify.tables import InboxItem, Notification

    scene = await finished(attendees=2, finish=False)
    a, b = scene.attendees
    # Given a switches review invitations off on every channel in their notification preferences
    prefs = (await api.get("/api/v1/notify/preferences", headers=a.headers)).json()
    assert {k["name"]: k["critical"] for k in prefs["kinds"]}["reviews.invite"] is False
    r = await api.patch("/api/v1/notify/preferences", headers=a.headers, json={"channels": [
        {"kind": "reviews.invite", "channel": c, "enabled": False} for c in prefs["channels"]["reviews.invite"]]})
    assert r.status_code == 200 and not any(r.json()["channels"]["reviews.invite"].values())
    # When the event finishes and the invitations fall due
    clock.freeze(scene.event.ends_at + timedelta(minutes=1))
    await services.finish_ended()
    due = await Notification.select(Notification.due_at).where(Notification.kind == "reviews.invite")
    clock.freeze(max(i["due_at"] for i in due))
    assert await dispatch() >= 2  # the invitations, and whatever events sent them
    await run_jobs()
    # Then a's is dropped unsent and only b finds one in their inbox
    status = {i["user_id"]: i["status"] for i in await Notification.select(
        Notification.user_id, Notification.status).where(Notification.kind == "reviews.invite")}
    assert status[a.id] == "cancelled" and status[b.id] != "cancelled"
    inbox = await InboxItem.select(InboxItem.user_id).where(InboxItem.kind == "reviews.invite")
    assert [i["user_id"] for i in inbox] == [b.id]


async def test_a_review_withdraws_the_pending_invitation(api: Any, finished: Any) -> None:
    scene = await finished(attendees=2)
    a, b = scene.attendees
    assert {i["status"] for i in await _invites()} == {"pending"}
    assert (await write(api, a, scene.event.id)).status_code == 201
    status = {i["user_id"]: i["status"] for i in await _invites()}
    assert status == {a.id: "cancelled", b.id: "pending"}


async def test_reviews_of_a_deleted_event_leave_everything_but_the_export(api: Any, finished: Any,
                                                                          refresh: Any) -> None:
    from plugins.events import services as events
    from plugins.reviews import aggregates, services

    scene = await finished(attendees=1)
    me = scene.attendees[0]
    rid = (await write(api, me, scene.event.id, rating=4)).json()["id"]
    assert (await aggregates.summary("organiser", scene.organiser.id)).count == 1
    await events.delete_event(events.Actor(scene.organiser.id), scene.event.id)
    # at once: the event's list and summary are gone with it
    assert (await api.get(f"/api/v1/reviews/events/{scene.event.id}")).status_code == 404
    # after the sweep: gone from the organiser's list and figures, and from the public review itself
    assert await services.sweep_deleted_events() == 1
    assert await services.sweep_deleted_events() == 0  # idempotent
    assert (await aggregates.summary("organiser", scene.organiser.id)).count == 0
    assert (await api.get(f"/api/v1/reviews/organisers/{scene.organiser.id}")).json()["items"] == []
    assert (await api.get(f"/api/v1/reviews/{rid}")).status_code == 404
    # kept for its author: their list and their export
    mine = (await api.get("/api/v1/reviews/mine", headers=me.headers)).json()["items"]
    assert [(i["id"], i["event_deleted"]) for i in mine] == [(rid, True)]
    r = await api.get("/api/v1/me/export", headers=me.headers)
    assert r.status_code == 200, r.text
    exported = r.json()["plugins"]["reviews"]
    assert [(x["id"], x["rating"], x["event_deleted"]) for x in exported] == [(rid, 4, True)]
