"""Joining and leaving: seats under the event's row lock, approval, the waitlist and its time-limited offers."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import asyncpg

from core import clock, db, hooks
from core.errors import Conflict, NotFound, PermissionDenied
from core.hooks import plugin_settings
from plugins.events import EventsSettings, hookspecs, states, validation
from plugins.events.store import load_event, snapshot, transaction

log = logging.getLogger("plugins.events")

PART_SQL = ("SELECT id, \"user\" AS user_id, guests, status, offer_expires_at FROM events.participation "
            "WHERE event = $1 AND \"user\" = $2")


async def _seat_change(conn: asyncpg.Connection, event_id: int, delta: int) -> None:
    await conn.execute("UPDATE events.event SET seats_taken = seats_taken + $2, updated_at = $3 WHERE id = $1",
                       event_id, delta, clock.now())


async def _set(conn: asyncpg.Connection, part_id: int, status: str, *, expires: Any = None,
               requeue: bool = False) -> None:
    now = clock.now()
    await conn.execute(
        "UPDATE events.participation SET status = $2, offer_expires_at = $3, updated_at = $4, "
        "queued_at = CASE WHEN $5::boolean THEN $4 ELSE queued_at END WHERE id = $1",
        part_id, status, expires, now, requeue,
    )


async def promote(conn: asyncpg.Connection, event_id: int) -> None:
    """Offer freed seats to the waitlist in order; a party waits until enough seats are free (no skipping ahead).

    The caller holds the event's row lock.
    """
    ev = await conn.fetchrow("SELECT capacity, seats_taken, status FROM events.event WHERE id = $1", event_id)
    if ev is None or ev["status"] != states.PUBLISHED:
        return
    taken = ev["seats_taken"]
    while True:
        first = await conn.fetchrow(
            "SELECT id, \"user\" AS user_id, guests FROM events.participation WHERE event = $1 AND status = "
            "'waitlisted' ORDER BY queued_at, id LIMIT 1", event_id)
        if first is None:
            return
        seats = 1 + first["guests"]
        if ev["capacity"] is not None and ev["capacity"] - taken < seats:
            return
        expires = clock.now() + timedelta(minutes=plugin_settings(EventsSettings).offer_claim_minutes)
        await _set(conn, first["id"], states.P_OFFERED, expires=expires)
        await _seat_change(conn, event_id, seats)
        taken += seats
        await hooks.notify(hookspecs.waitlist_offer_made, event=await snapshot(conn, event_id),
                           user_id=first["user_id"],
                   seats=seats, expires_at=expires)
        log.info("offered %s seats of event %s to user %s until %s", seats, event_id, first["user_id"], expires)


def _joinable(row: asyncpg.Record) -> None:
    if row["status"] != states.PUBLISHED:
        raise Conflict(f"This event is {row['status']}; it cannot be joined", code="event_not_joinable",
                       event_status=row["status"])
    if row["ends_at"] <= clock.now():
        raise Conflict("This event is over", code="event_not_joinable", event_status="finished")


async def join(user_id: int, event_id: int, guests: int = 0) -> dict[str, Any]:
    """Join an event with ``guests`` extra people: confirmed, pending (approval) or waitlisted."""
    max_guests = plugin_settings(EventsSettings).max_guests
    if not 0 <= guests <= max_guests:
        raise validation.fail("/guests", f"guests must be between 0 and {max_guests}", "invalid_guests")
    seats = 1 + guests
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        _joinable(row)
        existing = await conn.fetchrow(PART_SQL, event_id, user_id)
        if existing is not None and existing["status"] in states.ACTIVE:
            raise Conflict(f"You are already {existing['status']} for this event", code="already_joined",
                           participation_status=existing["status"])
        if row["capacity"] is not None and seats > row["capacity"]:
            raise validation.fail("/guests", f"this event has only {row['capacity']} seats", "party_too_large")
        if row["requires_approval"] and row["author_id"] != user_id:
            status = states.P_PENDING
        else:
            queue = await conn.fetchval("SELECT count(*) FROM events.participation WHERE event = $1 AND status = "
                                        "'waitlisted'", event_id)
            free = None if row["capacity"] is None else row["capacity"] - row["seats_taken"]
            status = states.P_CONFIRMED if free is None or (free >= seats and not queue) else states.P_WAITLISTED
        now = clock.now()
        await conn.execute(
            "INSERT INTO events.participation (event, \"user\", guests, status, queued_at, offer_expires_at, "
            "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, $5, $5) ON CONFLICT (event, \"user\") DO "
            "UPDATE SET guests = $3, status = $4, queued_at = $5, offer_expires_at = NULL, updated_at = $5",
            event_id, user_id, guests, status, now,
        )
        if status == states.P_CONFIRMED:
            await _seat_change(conn, event_id, seats)
        await hooks.notify(hookspecs.participant_joined, event=await snapshot(conn, event_id), user_id=user_id,
                           guests=guests,
                   status=status)
    log.info("user %s joined event %s with %s guests: %s", user_id, event_id, guests, status)
    return await my_participation(user_id, event_id)


async def _release(conn: asyncpg.Connection, event_id: int, part: asyncpg.Record, status: str) -> None:
    """Move a participation out (left/declined), free its seats, tell the others, offer the seats on."""
    await _set(conn, part["id"], status)
    held = part["status"] in states.HOLDS_SEATS
    if held:
        await _seat_change(conn, event_id, -(1 + part["guests"]))
    await hooks.notify(hookspecs.participant_left, event=await snapshot(conn, event_id), user_id=part["user_id"])
    if held:
        await promote(conn, event_id)


async def leave(user_id: int, event_id: int) -> None:
    """Leave an event (or its waitlist); freed seats are offered to the next person waiting."""
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        if row["status"] == states.FINISHED:
            raise Conflict("This event is over", code="event_not_joinable", event_status=row["status"])
        part = await conn.fetchrow(PART_SQL, event_id, user_id)
        if part is None or part["status"] not in states.ACTIVE:
            raise NotFound("You are not taking part in this event", code="not_participating")
        await _release(conn, event_id, part, states.P_LEFT)
    log.info("user %s left event %s", user_id, event_id)


async def claim(user_id: int, event_id: int) -> dict[str, Any]:
    """Claim the seats offered to me (before the offer expires)."""
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        _joinable(row)
        part = await conn.fetchrow(PART_SQL, event_id, user_id)
        if part is None or part["status"] != states.P_OFFERED:
            raise Conflict("You have no open offer for this event", code="no_offer")
        if part["offer_expires_at"] <= clock.now():
            raise Conflict("The offer has expired", code="offer_expired")
        await _set(conn, part["id"], states.P_CONFIRMED)
        await hooks.notify(hookspecs.participant_joined, event=await snapshot(conn, event_id), user_id=user_id,
                   guests=part["guests"], status=states.P_CONFIRMED)
    log.info("user %s claimed an offer for event %s", user_id, event_id)
    return await my_participation(user_id, event_id)


async def decide(author_id: int, event_id: int, user_id: int, accept: bool) -> dict[str, Any]:
    """The author accepts (confirmed or waitlisted when full) or declines a participant."""
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        if row["author_id"] != author_id:
            raise PermissionDenied("Only the author decides who takes part", code="not_event_author")
        part = await conn.fetchrow(PART_SQL, event_id, user_id)
        if part is None or part["status"] not in states.ACTIVE:
            raise NotFound("This user is not taking part in this event", code="not_participating")
        if not accept:
            await _release(conn, event_id, part, states.P_DECLINED)
        else:
            if part["status"] != states.P_PENDING:
                raise Conflict(f"This participant is already {part['status']}", code="not_pending")
            _joinable(row)
            seats = 1 + part["guests"]
            queue = await conn.fetchval("SELECT count(*) FROM events.participation WHERE event = $1 AND status = "
                                        "'waitlisted'", event_id)
            free = None if row["capacity"] is None else row["capacity"] - row["seats_taken"]
            status = states.P_CONFIRMED if free is None or (free >= seats and not queue) else states.P_WAITLISTED
            await _set(conn, part["id"], status, requeue=True)
            if status == states.P_CONFIRMED:
                await _seat_change(conn, event_id, seats)
            await hooks.notify(hookspecs.participant_joined, event=await snapshot(conn, event_id), user_id=user_id,
                       guests=part["guests"], status=status)
    log.info("author %s %s user %s for event %s", author_id, "accepted" if accept else "declined", user_id, event_id)
    return await my_participation(user_id, event_id)


async def expire_offers() -> int:
    """Expire offers not claimed in time and pass their seats on (periodic job; idempotent)."""
    due = await db.fetch("SELECT DISTINCT event FROM events.participation WHERE status = 'offered' "
                         "AND offer_expires_at <= $1", clock.now())
    expired = 0
    for r in due:
        async with transaction() as conn:
            await load_event(conn, r["event"], lock=True)
            parts = await conn.fetch(
                "SELECT id, \"user\" AS user_id, guests, status FROM events.participation WHERE event = $1 AND "
                "status = 'offered' AND offer_expires_at <= $2 ORDER BY queued_at, id", r["event"], clock.now())
            for part in parts:
                await _set(conn, part["id"], states.P_EXPIRED)
                await _seat_change(conn, r["event"], -(1 + part["guests"]))
                await hooks.notify(hookspecs.waitlist_offer_expired, event=await snapshot(conn, r["event"]),
                                   user_id=part["user_id"])
                expired += 1
            await promote(conn, r["event"])
    if expired:
        log.info("expired %s waitlist offers", expired)
    return expired


async def my_participation(user_id: int, event_id: int) -> dict[str, Any]:
    """My participation row (any status) or NotFound."""
    rows = await db.fetch("SELECT event AS event_id, \"user\" AS user_id, status, guests, offer_expires_at, "
                          "updated_at FROM events.participation WHERE event = $1 AND \"user\" = $2",
                          event_id, user_id)
    if not rows:
        raise NotFound("You are not taking part in this event", code="not_participating")
    return rows[0]


async def erase_user(user_id: int) -> int:
    """Take a deleted account out of every event it is still in (seats pass on); idempotent. Returns places freed."""
    rows = await db.fetch("SELECT p.event FROM events.participation p JOIN events.event e ON e.id = p.event "
                          "WHERE p.\"user\" = $1 AND p.status = ANY($2::varchar[]) AND e.status <> 'finished'",
                          user_id, list(states.ACTIVE))
    for r in rows:
        await leave(user_id, r["event"])
    return len(rows)


async def export_user(user_id: int) -> dict[str, Any]:
    """What events knows about a user, for their data export (JSON-ready)."""
    authored = await db.fetch("SELECT id, title, status, starts_at, created_at FROM events.event WHERE author = $1 "
                              "AND deleted_at IS NULL ORDER BY id", user_id)
    joined = await db.fetch("SELECT event AS event_id, status, guests, created_at, updated_at FROM "
                            "events.participation WHERE \"user\" = $1 ORDER BY id", user_id)

    def iso(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}

    return {"authored": [iso(r) for r in authored], "participations": [iso(r) for r in joined]}
