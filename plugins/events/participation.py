"""Joining and leaving: seats under the event's row lock, approval, the waitlist and its time-limited offers.

A *party* is two participations sharing ``party_id`` (a "+1" pair from groups, joined by :func:`join_pair`): both
seats or none. The pair is confirmed together, waits on the waitlist together, is offered both seats together (only
when two are free: nobody skips ahead, as for a participant with guests), and a claim or an approval by either covers
both. :func:`leave_pair` frees both seats; a plain :func:`leave` by one of them frees only theirs and dissolves the
party (the other stays, alone, where they were).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from core import clock, hooks
from core.errors import Conflict, NotFound, PermissionDenied
from core.hooks import plugin_settings
from plugins.events import EventsSettings, hookspecs, states, validation
from plugins.events.store import Row, acts_as_author, load_event, may_see, snapshot, transaction, visible_event
from plugins.events.tables import Event, Participation

log = logging.getLogger("plugins.events")

PART_COLUMNS = (Participation.id, Participation.user.as_alias("user_id"), Participation.guests, Participation.status,
                Participation.offer_expires_at, Participation.party_id)
MINE_COLUMNS = (Participation.event.as_alias("event_id"), Participation.user.as_alias("user_id"),
                Participation.status, Participation.guests, Participation.offer_expires_at, Participation.updated_at)


async def _part(event_id: int, user_id: int) -> Row | None:
    return await Participation.select(*PART_COLUMNS).where(
        Participation.event == event_id, Participation.user == user_id).first()


async def _seat_change(event_id: int, delta: int) -> None:
    await Event.update({Event.seats_taken: Event.seats_taken + delta, Event.updated_at: clock.now()}).where(
        Event.id == event_id)


async def _set(part_id: int, status: str, *, expires: datetime | None = None, requeue: bool = False) -> None:
    now = clock.now()
    values: dict[Any, Any] = {Participation.status: status, Participation.offer_expires_at: expires,
                              Participation.updated_at: now}
    if requeue:
        values[Participation.queued_at] = now
    await Participation.update(values).where(Participation.id == part_id)


async def _party(event_id: int, part: Row, statuses: tuple[str, ...]) -> list[Row]:
    """The rows of ``part``'s party in ``statuses`` (just ``part`` when it is alone), in joining order."""
    if part["party_id"] is None:
        return [part]
    return list(await Participation.select(*PART_COLUMNS).where(
        Participation.event == event_id, Participation.party_id == part["party_id"],
        Participation.status.is_in(list(statuses))).order_by(Participation.id))


def _seats(rows: list[Row]) -> int:
    return sum(1 + r["guests"] for r in rows)


async def seat_decision(event: Row, seats: int) -> str:
    """Confirmed when ``seats`` are free and nobody waits ahead, else waitlisted (the caller holds the row lock)."""
    if event["capacity"] is None:
        return states.P_CONFIRMED
    if event["capacity"] - event["seats_taken"] < seats:
        return states.P_WAITLISTED
    waiting = await Participation.count().where(Participation.event == event["id"],
                                                Participation.status == states.P_WAITLISTED)
    return states.P_WAITLISTED if waiting else states.P_CONFIRMED


async def promote(event_id: int) -> None:
    """Offer freed seats to the waitlist in order; a party waits until enough seats are free (no skipping ahead).

    The caller holds the event's row lock.
    """
    ev = await Event.select(Event.capacity, Event.seats_taken, Event.status).where(Event.id == event_id).first()
    if ev is None or ev["status"] != states.PUBLISHED:
        return
    taken = ev["seats_taken"]
    while True:
        first = await Participation.select(*PART_COLUMNS).where(
            Participation.event == event_id, Participation.status == states.P_WAITLISTED,
        ).order_by(Participation.queued_at, Participation.id).first()
        if first is None:
            return
        party = await _party(event_id, first, (states.P_WAITLISTED,))  # a pair is offered both seats or none
        seats = _seats(party)
        if ev["capacity"] is not None and ev["capacity"] - taken < seats:
            return
        expires = clock.now() + timedelta(minutes=plugin_settings(EventsSettings).offer_claim_minutes)
        for part in party:
            await _set(part["id"], states.P_OFFERED, expires=expires)
        await _seat_change(event_id, seats)
        taken += seats
        for part in party:
            await hooks.notify(hookspecs.waitlist_offer_made, event=await snapshot(event_id), user_id=part["user_id"],
                               seats=seats, expires_at=expires)
            log.info("offered %s seats of event %s to user %s until %s", seats, event_id, part["user_id"], expires)


def _joinable(row: Row) -> None:
    if row["status"] != states.PUBLISHED:
        raise Conflict("This event is %(status)s; it cannot be joined",
                       params={"status": row['status']}, code="event_not_joinable",
                       event_status=row["status"])
    if row["ends_at"] <= clock.now():
        raise Conflict("This event is over", code="event_not_joinable", event_status="finished")


async def join(user_id: int, event_id: int, guests: int = 0, key: str | None = None) -> Row:
    """Join an event with ``guests`` extra people: confirmed, pending (approval) or waitlisted.

    A link-only event needs its ``key``, a members-only one membership: what seeing it needs (404 otherwise).
    """
    max_guests = plugin_settings(EventsSettings).max_guests
    if not 0 <= guests <= max_guests:
        raise validation.fail("/guests", "guests must be between 0 and %(max_guests)s", "invalid_guests",
                              params={"max_guests": max_guests})
    seats = 1 + guests
    async with transaction():
        row = await visible_event(event_id, user_id, key=key, lock=True)  # joining needs what viewing needs
        _joinable(row)
        existing = await _part(event_id, user_id)
        if existing is not None and existing["status"] in states.ACTIVE:
            raise Conflict("You are already %(status)s for this event",
                           params={"status": existing['status']}, code="already_joined",
                           participation_status=existing["status"])
        if row["capacity"] is not None and seats > row["capacity"]:
            raise validation.fail("/guests", "this event has only %(capacity)s seats", "party_too_large",
                                  params={"capacity": row['capacity']})
        if row["requires_approval"] and row["author_id"] != user_id:
            status = states.P_PENDING
        else:
            status = await seat_decision(row, seats)
        now = clock.now()
        if existing is None:  # the event's row lock serialises joins: no other insert can race this one
            await Participation.insert(Participation(event=event_id, user=user_id, guests=guests, status=status,
                                                     queued_at=now, offer_expires_at=None, created_at=now,
                                                     updated_at=now))
        else:
            await Participation.update({Participation.guests: guests, Participation.status: status,
                                        Participation.queued_at: now, Participation.offer_expires_at: None,
                                        Participation.party_id: None, Participation.updated_at: now,
                                        }).where(Participation.id == existing["id"])
        if status == states.P_CONFIRMED:
            await _seat_change(event_id, seats)
        await hooks.notify(hookspecs.participant_joined, event=await snapshot(event_id), user_id=user_id,
                           guests=guests, status=status)
    log.info("user %s joined event %s with %s guests: %s", user_id, event_id, guests, status)
    return await my_participation(user_id, event_id)


async def _release(event_id: int, part: Row, status: str) -> None:
    """Move a participation out (left/declined), free its seats, tell the others, offer the seats on."""
    await _set(part["id"], status)
    held = part["status"] in states.HOLDS_SEATS
    if held:
        await _seat_change(event_id, -(1 + part["guests"]))
    await hooks.notify(hookspecs.participant_left, event=await snapshot(event_id), user_id=part["user_id"])
    if held:
        await promote(event_id)


async def leave(user_id: int, event_id: int) -> None:
    """Leave an event (or its waitlist); freed seats are offered to the next person waiting."""
    async with transaction():
        row = await load_event(event_id, lock=True)
        if row["status"] == states.FINISHED:
            raise Conflict("This event is over", code="event_not_joinable", event_status=row["status"])
        part = await _part(event_id, user_id)
        if part is None or part["status"] not in states.ACTIVE:
            raise NotFound("You are not taking part in this event", code="not_participating")
        if part["party_id"] is not None:  # one of a pair leaving alone: the other stays, no longer in a party
            await Participation.update({Participation.party_id: None, Participation.updated_at: clock.now()}).where(
                Participation.event == event_id, Participation.party_id == part["party_id"])
        await _release(event_id, part, states.P_LEFT)
    log.info("user %s left event %s", user_id, event_id)


async def claim(user_id: int, event_id: int) -> Row:
    """Claim the seats offered to me (before the offer expires)."""
    async with transaction():
        row = await load_event(event_id, lock=True)
        _joinable(row)
        part = await _part(event_id, user_id)
        if part is None or part["status"] != states.P_OFFERED:
            raise Conflict("You have no open offer for this event", code="no_offer")
        if part["offer_expires_at"] <= clock.now():
            raise Conflict("The offer has expired", code="offer_expired")
        for member in await _party(event_id, part, (states.P_OFFERED,)):  # either of a pair claims both seats
            await _set(member["id"], states.P_CONFIRMED)
            await hooks.notify(hookspecs.participant_joined, event=await snapshot(event_id),
                               user_id=member["user_id"], guests=member["guests"], status=states.P_CONFIRMED)
    log.info("user %s claimed an offer for event %s", user_id, event_id)
    return await my_participation(user_id, event_id)


async def decide(author_id: int, event_id: int, user_id: int, accept: bool) -> Row:
    """The author accepts (confirmed or waitlisted when full) or declines a participant."""
    async with transaction():
        row = await load_event(event_id, lock=True)
        if not await acts_as_author(row, author_id):
            if not await may_see(row, author_id):
                raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")
            raise PermissionDenied("Only the author decides who takes part", code="not_event_author")
        part = await _part(event_id, user_id)
        if part is None or part["status"] not in states.ACTIVE:
            raise NotFound("This user is not taking part in this event", code="not_participating")
        party = await _party(event_id, part, states.ACTIVE)  # a pair is accepted or declined together
        if not accept:
            for member in party:
                await _release(event_id, member, states.P_DECLINED)
        else:
            if part["status"] != states.P_PENDING:
                raise Conflict("This participant is already %(status)s",
                               params={"status": part['status']}, code="not_pending")
            _joinable(row)
            party = [m for m in party if m["status"] == states.P_PENDING]
            seats = _seats(party)
            status = await seat_decision(row, seats)
            for member in party:
                await _set(member["id"], status, requeue=True)
            if status == states.P_CONFIRMED:
                await _seat_change(event_id, seats)
            for member in party:
                await hooks.notify(hookspecs.participant_joined, event=await snapshot(event_id),
                                   user_id=member["user_id"], guests=member["guests"], status=status)
    log.info("author %s %s user %s for event %s", author_id, "accepted" if accept else "declined", user_id, event_id)
    return await my_participation(user_id, event_id)


async def join_pair(event_id: int, user_a: int, user_b: int) -> str:
    """Join an event as a pair (a party of two): both confirmed, both waitlisted or both pending; returns the status.

    Both seats or none: confirmed only when two seats are free and nobody waits ahead, else both wait together.
    Conflict ``already_joined`` when either is already taking part (a pair forms before joining: the one already in
    should leave first, or the other joins alone).
    """
    if user_a == user_b:
        raise validation.fail("/user_ids", "a pair is two different people", "pair_of_one")
    pair = (user_a, user_b)
    async with transaction():
        row = await load_event(event_id, lock=True)
        for uid in pair:
            if not await may_see(row, uid):
                raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")
        _joinable(row)
        existing = {uid: await _part(event_id, uid) for uid in pair}
        for uid, part in existing.items():
            if part is not None and part["status"] in states.ACTIVE:
                raise Conflict("User %(uid)s is already %(status)s for this event",
                               params={"uid": uid, "status": part['status']}, code="already_joined",
                               participation_status=part["status"], user_id=uid)
        if row["capacity"] is not None and row["capacity"] < 2:
            raise Conflict("This event has only %(capacity)s seat",
                           params={"capacity": row['capacity']}, code="party_too_large")
        if row["requires_approval"] and row["author_id"] not in pair:
            status = states.P_PENDING
        else:
            status = await seat_decision(row, 2)
        now = clock.now()
        ids: list[int] = []
        for uid, part in existing.items():
            if part is None:
                inserted = await Participation.insert(Participation(
                    event=event_id, user=uid, guests=0, status=status, queued_at=now, offer_expires_at=None,
                    created_at=now, updated_at=now)).returning(Participation.id)
                ids.append(inserted[0]["id"])
            else:
                await Participation.update({Participation.guests: 0, Participation.status: status,
                                            Participation.queued_at: now, Participation.offer_expires_at: None,
                                            Participation.updated_at: now}).where(Participation.id == part["id"])
                ids.append(part["id"])
        await Participation.update({Participation.party_id: ids[0]}).where(Participation.id.is_in(ids))
        if status == states.P_CONFIRMED:
            await _seat_change(event_id, 2)
        for uid in pair:
            await hooks.notify(hookspecs.participant_joined, event=await snapshot(event_id), user_id=uid, guests=0,
                               status=status)
    log.info("users %s and %s joined event %s as a pair: %s", user_a, user_b, event_id, status)
    return status


async def leave_pair(event_id: int, user_id: int) -> list[int]:
    """Leave an event with one's pair: both places end and both seats pass on; returns who left.

    NotFound ``not_participating`` when the user takes no part; Conflict ``not_in_pair`` when they joined alone.
    """
    async with transaction():
        row = await load_event(event_id, lock=True)
        if row["status"] == states.FINISHED:
            raise Conflict("This event is over", code="event_not_joinable", event_status=row["status"])
        part = await _part(event_id, user_id)
        if part is None or part["status"] not in states.ACTIVE:
            raise NotFound("You are not taking part in this event", code="not_participating")
        if part["party_id"] is None:
            raise Conflict("You did not join this event as a pair", code="not_in_pair")
        party = await _party(event_id, part, states.ACTIVE)
        held = _seats([m for m in party if m["status"] in states.HOLDS_SEATS])
        for member in party:
            await _set(member["id"], states.P_LEFT)
        if held:
            await _seat_change(event_id, -held)
        for member in party:
            await hooks.notify(hookspecs.participant_left, event=await snapshot(event_id), user_id=member["user_id"])
        if held:
            await promote(event_id)
    left = [m["user_id"] for m in party]
    log.info("users %s left event %s as a pair", left, event_id)
    return left


async def expire_offers() -> int:
    """Expire offers not claimed in time and pass their seats on (periodic job; idempotent)."""
    due = await Participation.select(Participation.event).where(
        Participation.status == states.P_OFFERED, Participation.offer_expires_at <= clock.now()).distinct()
    expired = 0
    for r in due:
        event_id = r["event"]
        async with transaction():
            await load_event(event_id, lock=True)
            parts = await Participation.select(*PART_COLUMNS).where(
                Participation.event == event_id, Participation.status == states.P_OFFERED,
                Participation.offer_expires_at <= clock.now(),
            ).order_by(Participation.queued_at, Participation.id)
            for part in parts:
                await _set(part["id"], states.P_EXPIRED)
                await _seat_change(event_id, -(1 + part["guests"]))
                await hooks.notify(hookspecs.waitlist_offer_expired, event=await snapshot(event_id),
                                   user_id=part["user_id"])
                expired += 1
            await promote(event_id)
    if expired:
        log.info("expired %s waitlist offers", expired)
    return expired


async def my_participation(user_id: int, event_id: int) -> Row:
    """My participation row (any status) or NotFound."""
    row = await Participation.select(*MINE_COLUMNS).where(
        Participation.event == event_id, Participation.user == user_id).first()
    if row is None:
        raise NotFound("You are not taking part in this event", code="not_participating")
    return row


async def erase_user(user_id: int) -> int:
    """Take a deleted account out of every event it is still in (seats pass on); idempotent. Returns places freed."""
    rows = await Participation.select(Participation.event).where(
        Participation.user == user_id, Participation.status.is_in(list(states.ACTIVE)),
        Participation.event.status != states.FINISHED)
    for r in rows:
        await leave(user_id, r["event"])
    return len(rows)


async def export_user(user_id: int) -> dict[str, Any]:
    """What events knows about a user, for their data export (JSON-ready)."""
    authored = await Event.select(Event.id, Event.title, Event.status, Event.starts_at, Event.created_at).where(
        Event.author == user_id, Event.deleted_at.is_null()).order_by(Event.id)
    joined = await Participation.select(
        Participation.event.as_alias("event_id"), Participation.status, Participation.guests, Participation.created_at,
        Participation.updated_at,
    ).where(Participation.user == user_id).order_by(Participation.id)

    def iso(row: Row) -> Row:
        return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}

    return {"authored": [iso(r) for r in authored], "participations": [iso(r) for r in joined]}
