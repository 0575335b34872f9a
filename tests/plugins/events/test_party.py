"""Joining as a pair (a party of two from groups' "+1"): both seats or none, through events' public API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from core import db
from core.errors import Conflict, NotFound, ValidationFailed
from plugins.events import api, participation, services

MakeUser = Callable[..., Awaitable[Any]]


async def _status(event_id: int, *users: int) -> list[str | None]:
    return [await api.participation_status(event_id, u) for u in users]


async def _seats_taken(event_id: int) -> int:
    rows = await db.fetch("SELECT seats_taken FROM events.event WHERE id = $1", event_id)
    return int(rows[0]["seats_taken"])


async def _users(make_user: MakeUser, n: int) -> list[int]:
    return [(await make_user()).id for _ in range(n)]


async def test_two_free_seats_confirm_both(make_user: MakeUser, make_published_event: Any) -> None:
    ev = await make_published_event(capacity=3)
    a, b = await _users(make_user, 2)
    assert await api.join_pair(ev.id, a, b) == "confirmed"
    assert await _status(ev.id, a, b) == ["confirmed", "confirmed"]
    assert await _seats_taken(ev.id) == 2
    rows = await db.fetch("SELECT DISTINCT party_id FROM events.participation WHERE event = $1", ev.id)
    assert len(rows) == 1 and rows[0]["party_id"] is not None


async def test_one_free_seat_waitlists_both(make_user: MakeUser, make_published_event: Any) -> None:
    ev = await make_published_event(capacity=2)
    first, a, b = await _users(make_user, 3)
    await participation.join(first, ev.id)
    assert await api.join_pair(ev.id, a, b) == "waitlisted"
    assert await _status(ev.id, a, b) == ["waitlisted", "waitlisted"]
    assert await _seats_taken(ev.id) == 1  # the free seat is not half-taken


async def test_nonempty_waitlist_puts_the_pair_behind(make_user: MakeUser, make_published_event: Any) -> None:
    ev = await make_published_event(capacity=3)
    x, y, w, a, b = await _users(make_user, 5)
    await participation.join(x, ev.id)
    await participation.join(y, ev.id, guests=1)  # 3 of 3
    assert (await participation.join(w, ev.id))["status"] == "waitlisted"
    await participation.leave(x, ev.id)  # w is offered the seat: 3 of 3 held again
    assert await _status(ev.id, w) == ["offered"]
    assert await api.join_pair(ev.id, a, b) == "waitlisted"


async def test_seats_freed_one_by_one_offer_the_pair_only_when_two_are_free(
        make_user: MakeUser, make_published_event: Any) -> None:
    ev = await make_published_event(capacity=2)
    x, y, a, b, c = await _users(make_user, 5)
    await participation.join(x, ev.id)
    await participation.join(y, ev.id)
    assert await api.join_pair(ev.id, a, b) == "waitlisted"
    assert (await participation.join(c, ev.id))["status"] == "waitlisted"  # behind the pair
    await participation.leave(x, ev.id)
    # One seat free: the pair is not offered half, and c does not skip ahead of it.
    assert await _status(ev.id, a, b, c) == ["waitlisted", "waitlisted", "waitlisted"]
    await participation.leave(y, ev.id)
    assert await _status(ev.id, a, b, c) == ["offered", "offered", "waitlisted"]
    rows = await db.fetch("SELECT DISTINCT offer_expires_at FROM events.participation WHERE event = $1 "
                          "AND status = 'offered'", ev.id)
    assert len(rows) == 1  # one expiry for both seats
    # Either claims both.
    assert (await participation.claim(b, ev.id))["status"] == "confirmed"
    assert await _status(ev.id, a, b) == ["confirmed", "confirmed"]
    assert await _seats_taken(ev.id) == 2


async def test_an_offer_to_a_pair_expires_for_both(make_user: MakeUser, make_published_event: Any, clock: Any,
                                                   run_jobs: Any) -> None:
    from plugins.events import jobs

    ev = await make_published_event(capacity=2)
    x, y, a, b, c = await _users(make_user, 5)
    await participation.join(x, ev.id)
    await participation.join(y, ev.id)
    await api.join_pair(ev.id, a, b)
    await participation.join(c, ev.id)
    clock.freeze()
    await participation.leave(x, ev.id)
    await participation.leave(y, ev.id)
    assert await _status(ev.id, a, b) == ["offered", "offered"]
    clock.advance(timedelta(hours=3))
    with pytest.raises(Conflict) as exc:
        await participation.claim(a, ev.id)
    assert exc.value.code == "offer_expired"
    await jobs.expire_offers.enqueue()
    await run_jobs()
    assert await _status(ev.id, a, b, c) == ["expired", "expired", "offered"]
    assert await _seats_taken(ev.id) == 1


async def test_pair_leave_frees_both_and_promotes_the_next(make_user: MakeUser, make_published_event: Any) -> None:
    ev = await make_published_event(capacity=2)
    a, b, c, d = await _users(make_user, 4)
    assert await api.join_pair(ev.id, a, b) == "confirmed"
    await participation.join(c, ev.id)
    await participation.join(d, ev.id)
    assert await api.leave_pair(ev.id, b) == [a, b]
    assert await _status(ev.id, a, b, c, d) == ["left", "left", "offered", "offered"]
    assert await _seats_taken(ev.id) == 2


async def test_a_single_leave_frees_one_seat_and_dissolves_the_pair(
        make_user: MakeUser, make_published_event: Any) -> None:
    ev = await make_published_event(capacity=2)
    a, b, c = await _users(make_user, 3)
    await api.join_pair(ev.id, a, b)
    await participation.join(c, ev.id)
    await participation.leave(a, ev.id)
    assert await _status(ev.id, a, b, c) == ["left", "confirmed", "offered"]
    with pytest.raises(Conflict) as exc:
        await api.leave_pair(ev.id, b)  # b is alone now
    assert exc.value.code == "not_in_pair"
    with pytest.raises(NotFound) as missing:
        await api.leave_pair(ev.id, a)
    assert missing.value.code == "not_participating"


async def test_a_pair_where_one_already_takes_part_is_refused(make_user: MakeUser, make_published_event: Any) -> None:
    ev = await make_published_event(capacity=5)
    a, b = await _users(make_user, 2)
    await participation.join(a, ev.id)
    with pytest.raises(Conflict) as exc:
        await api.join_pair(ev.id, b, a)
    assert exc.value.code == "already_joined" and exc.value.extra["user_id"] == a
    assert await _status(ev.id, b) == [None]  # nothing half-done
    with pytest.raises(ValidationFailed):
        await api.join_pair(ev.id, b, b)
    # Rejoining after leaving (rows exist) works, as a pair.
    await participation.leave(a, ev.id)
    assert await api.join_pair(ev.id, a, b) == "confirmed"


async def test_capacity_of_one_and_closed_events(make_user: MakeUser, make_published_event: Any, clock: Any) -> None:
    ev = await make_published_event(capacity=1)
    a, b = await _users(make_user, 2)
    with pytest.raises(Conflict) as exc:
        await api.join_pair(ev.id, a, b)
    assert exc.value.code == "party_too_large"
    other = await make_published_event(capacity=None)
    clock.freeze(other.ends_at + timedelta(minutes=1))
    with pytest.raises(Conflict) as over:
        await api.join_pair(other.id, a, b)
    assert over.value.code == "event_not_joinable"


async def test_approval_decides_the_pair_together(make_user: MakeUser, make_published_event: Any) -> None:
    author = (await make_user(roles=["organiser"])).id
    ev = await make_published_event(author_id=author, capacity=3, requires_approval=True)
    a, b, c, d = await _users(make_user, 4)
    assert await api.join_pair(ev.id, a, b) == "pending"
    await participation.decide(author, ev.id, b, accept=True)
    assert await _status(ev.id, a, b) == ["confirmed", "confirmed"]
    assert await api.join_pair(ev.id, c, d) == "pending"
    await participation.decide(author, ev.id, c, accept=False)
    assert await _status(ev.id, c, d) == ["declined", "declined"]


async def test_pair_join_fires_hooks_for_each(make_user: MakeUser, make_published_event: Any) -> None:
    from core.hooks.manager import current
    from tests.plugins.events import spy_plugin

    ev = await make_published_event(capacity=4)
    a, b = await _users(make_user, 2)
    pm = current().pm
    pm.register(spy_plugin, name="party_spy")
    try:
        spy_plugin.calls.clear()
        await api.join_pair(ev.id, a, b)
        await api.leave_pair(ev.id, a)
    finally:
        pm.unregister(name="party_spy")
    joined = [c[1]["user_id"] for c in spy_plugin.calls if c[0] == "participant_joined"]
    left = [c[1]["user_id"] for c in spy_plugin.calls if c[0] == "participant_left"]
    assert sorted(joined) == sorted(left) == sorted([a, b])


async def test_a_pair_and_a_single_race_for_the_last_two_seats(make_user: MakeUser,
                                                               make_published_event: Any) -> None:
    for _ in range(3):
        ev = await make_published_event(capacity=3)
        first, a, b, s = await _users(make_user, 4)
        await participation.join(first, ev.id)
        results = await asyncio.gather(api.join_pair(ev.id, a, b), participation.join(s, ev.id))
        pair_status, single = results[0], results[1]["status"]
        # Either the pair got both seats (the single waits) or the single got one (the pair waits): never three.
        assert (pair_status, single) in {("confirmed", "waitlisted"), ("waitlisted", "confirmed")}
        assert await _seats_taken(ev.id) == (3 if pair_status == "confirmed" else 2)
        rows = await db.fetch("SELECT count(*) AS n FROM events.participation WHERE event = $1 "
                              "AND status = 'confirmed'", ev.id)
        assert rows[0]["n"] == await _seats_taken(ev.id)


async def test_erasing_one_of_a_pair_keeps_the_other(make_user: MakeUser, make_published_event: Any) -> None:
    ev = await make_published_event(capacity=2)
    a, b = await _users(make_user, 2)
    await api.join_pair(ev.id, a, b)
    assert await participation.erase_user(a) == 1
    assert await _status(ev.id, a, b) == ["left", "confirmed"]
    assert (await services.event_info(ev.id)).id == ev.id
