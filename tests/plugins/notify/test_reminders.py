"""Reminders: created on join, moved with the event, dropped on leave/cancel, never for a moment already passed."""

from __future__ import annotations

from dataclasses import replace

from core import db
from plugins.events import hookspecs as events_specs
from tests.plugins.notify.conftest import at, fire, join, leave, make_event


async def reminders(event_id: int, status: str | None = "pending") -> list[dict]:
    rows = await db.fetch(
        "SELECT user_id, due_at, offset_min, status FROM notify.notification WHERE kind = 'events.reminder' "
        "AND subject = 'events.event:' || $1::int AND ($2::text IS NULL OR status = $2) ORDER BY user_id, due_at",
        event_id, status)
    return rows


async def test_join_schedules_24_5_1_hours_before(use_settings, make_user, clock) -> None:
    use_settings()
    clock.freeze(at(2026, 12, 1, 10))
    user = await make_user()
    event = make_event(7, starts_at=at(2026, 12, 5, 18))
    await join(event=event, user_id=user.id, guests=0, status="confirmed")
    rows = await reminders(7)
    assert [(r["offset_min"], r["due_at"]) for r in rows] == [
        (1440, at(2026, 12, 4, 18)), (300, at(2026, 12, 5, 13)), (60, at(2026, 12, 5, 17))]
    # joining twice (a retried request) does not double them
    await join(event=event, user_id=user.id, guests=0, status="confirmed")
    assert len(await reminders(7)) == 3


async def test_waitlisted_and_pending_get_no_reminders(use_settings, make_user, clock) -> None:
    use_settings()
    a, b = await make_user(), await make_user()
    event = make_event(8)
    await join(event=event, user_id=a.id, guests=0, status="waitlisted")
    await join(event=event, user_id=b.id, guests=0, status="pending")
    assert await reminders(8) == []
    # a waitlisted person who gets a seat is confirmed: now they have reminders
    await join(event=event, user_id=a.id, guests=1, status="confirmed")
    assert {r["user_id"] for r in await reminders(8)} == {a.id}


async def test_moments_already_passed_are_not_scheduled(use_settings, make_user, clock) -> None:
    use_settings()
    clock.freeze(at(2026, 12, 5, 14))  # 4 h before the start: the 24 h and 5 h moments are gone
    user = await make_user()
    await join(event=make_event(9, starts_at=at(2026, 12, 5, 18)), user_id=user.id, guests=0,
               status="confirmed")
    assert [r["offset_min"] for r in await reminders(9)] == [60]


async def test_time_change_moves_reminders(use_settings, make_user, clock) -> None:
    use_settings()
    clock.freeze(at(2026, 12, 1, 10))
    users = [await make_user() for _ in range(3)]
    event = make_event(10, starts_at=at(2026, 12, 5, 18))
    for u in users:
        await join(event=event, user_id=u.id, guests=0, status="confirmed")
    moved = replace(event, starts_at=at(2026, 12, 6, 20), ends_at=at(2026, 12, 6, 23))
    await fire(events_specs.event_changed, event=moved, changes={"starts_at": (event.starts_at, moved.starts_at)},
               actor_id=event.author_id)
    rows = await reminders(10)
    assert len(rows) == 9
    assert {r["due_at"] for r in rows} == {at(2026, 12, 5, 20), at(2026, 12, 6, 15), at(2026, 12, 6, 19)}
    assert len(await reminders(10, "cancelled")) == 9
    # participants hear about the change once each
    changed = await db.fetch("SELECT user_id FROM notify.notification WHERE kind = 'events.changed'")
    assert sorted(r["user_id"] for r in changed) == sorted(u.id for u in users)


async def test_time_change_into_the_near_future_drops_passed_moments(use_settings, make_user, clock) -> None:
    use_settings()
    clock.freeze(at(2026, 12, 1, 10))
    user = await make_user()
    event = make_event(11, starts_at=at(2026, 12, 5, 18))
    await join(event=event, user_id=user.id, guests=0, status="confirmed")
    sooner = replace(event, starts_at=at(2026, 12, 1, 13))  # in 3 hours
    await fire(events_specs.event_changed, event=sooner, changes={"starts_at": (event.starts_at, sooner.starts_at)},
               actor_id=1)
    assert [(r["offset_min"], r["due_at"]) for r in await reminders(11)] == [(60, at(2026, 12, 1, 12))]


async def test_leave_drops_reminders_and_rejoin_restores_them(use_settings, make_user, clock) -> None:
    use_settings()
    a, b = await make_user(), await make_user()
    event = make_event(12)
    for u in (a, b):
        await join(event=event, user_id=u.id, guests=0, status="confirmed")
    await leave(event=event, user_id=a.id)
    assert {r["user_id"] for r in await reminders(12)} == {b.id}
    await join(event=event, user_id=a.id, guests=0, status="confirmed")
    assert {r["user_id"] for r in await reminders(12)} == {a.id, b.id}
    assert len(await reminders(12)) == 6


async def test_cancel_drops_reminders_and_tells_everyone(use_settings, make_user, clock) -> None:
    use_settings()
    a, b, c = await make_user(), await make_user(), await make_user()
    event = make_event(13)
    await join(event=event, user_id=a.id, guests=0, status="confirmed")
    await join(event=event, user_id=b.id, guests=0, status="confirmed")
    await join(event=event, user_id=c.id, guests=0, status="waitlisted")
    await fire(events_specs.event_cancelled, event=replace(event, status="cancelled"), reason="Venue flooded",
               actor_id=1)
    assert await reminders(13) == []
    notes = await db.fetch("SELECT user_id, payload FROM notify.notification WHERE kind = 'events.cancelled'")
    assert sorted(r["user_id"] for r in notes) == sorted([a.id, b.id, c.id])


async def test_user_offsets_replace_the_platform_defaults(use_settings, make_user, make_client, auth_headers,
                                                          clock) -> None:
    client = await make_client(["events", "notify"])
    use_settings()
    user, other = await make_user(), await make_user()
    # tokens are checked against real time: set the preferences before freezing the clock
    r = await client.patch("/api/v1/notify/preferences", json={"reminder_offsets_min": [120, 30]},
                           headers=await auth_headers(user))
    assert r.status_code == 200, r.text
    assert r.json()["reminder_offsets_min"] == [120, 30] and r.json()["custom_offsets"] is True
    r = await client.patch("/api/v1/notify/preferences", json={"reminder_offsets_min": []},
                           headers=await auth_headers(other))
    assert r.status_code == 200, r.text
    clock.freeze(at(2026, 12, 1, 10))
    for u in (user, other):
        await join(event=make_event(14, starts_at=at(2026, 12, 5, 18)), user_id=u.id,
                   guests=0, status="confirmed")
    rows = await reminders(14)
    assert [(r["user_id"], r["due_at"]) for r in rows] == [(user.id, at(2026, 12, 5, 16)),
                                                           (user.id, at(2026, 12, 5, 17, 30))]


async def test_hook_writes_roll_back_with_the_change(use_settings, make_user, clock) -> None:
    """The outbox joins the caller's transaction: a change that rolls back leaves no reminder behind."""
    use_settings()
    user = await make_user()
    from plugins.notify.tables import Notification

    class Boom(Exception):
        pass

    try:
        async with Notification._meta.db.transaction():
            await join(event=make_event(15), user_id=user.id, guests=0, status="confirmed")
            assert len(await Notification.raw("SELECT id FROM notify.notification WHERE subject = {}",
                                              "events.event:15")) == 3
            raise Boom
    except Boom:
        pass
    assert await reminders(15) == []


async def test_finished_event_leaves_nothing_behind(use_settings, make_user, clock) -> None:
    use_settings()
    user = await make_user()
    event = make_event(16)
    await join(event=event, user_id=user.id, guests=0, status="confirmed")
    await fire(events_specs.event_finished, event=replace(event, status="finished"))
    assert await reminders(16) == []
    assert [r["status"] for r in await reminders(16, None)] == ["cancelled"] * 3
