"""The public Python API of events for plugins that depend on it (notify, analytics, admin): import only this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import clock, db
from plugins.events import services, states
from plugins.events.hookspecs import EventInfo
from plugins.events.reads import decode_cursor, encode_cursor
from plugins.events.store import EVENT_SQL, info_of

__all__ = [
    "EventInfo", "Page", "StatusMove", "approve", "cancel", "confirmed_participants", "count_by_status",
    "event_history", "get_event_info", "pending_review", "reject", "upcoming_for_user",
]


@dataclass(frozen=True)
class Page:
    """A page of results and the cursor of the next one (None at the end)."""

    items: list[EventInfo]
    next_cursor: str | None


@dataclass(frozen=True)
class StatusMove:
    """One move in an event's history; ``from_status`` is None for the creation, ``actor_id`` None for the system."""

    actor_id: int | None
    at: datetime
    from_status: str | None
    to_status: str
    reason: str


async def get_event_info(event_id: int) -> EventInfo:
    """The snapshot of an event; NotFound(code="event_not_found") when missing or deleted."""
    return await services.event_info(event_id)


async def confirmed_participants(event_id: int) -> list[tuple[int, int]]:
    """``(user_id, guests)`` of the confirmed participants, in joining order."""
    rows = await db.fetch("SELECT \"user\" AS user_id, guests FROM events.participation WHERE event = $1 AND "
                          "status = 'confirmed' ORDER BY id", event_id)
    return [(r["user_id"], r["guests"]) for r in rows]


async def pending_review(limit: int = 50, cursor: str | None = None) -> Page:
    """The moderation queue: events waiting for review, oldest submission first."""
    limit = max(1, min(limit, 200))
    start = datetime.min.replace(tzinfo=clock.now().tzinfo)
    after_ts, after_id = decode_cursor(cursor, (datetime, int)) if cursor else (start, 0)
    rows = await db.fetch(
        EVENT_SQL.replace("WHERE e.id = $1", "WHERE e.status = 'pending_review' AND e.deleted_at IS NULL AND "
                          "(e.submitted_at, e.id) > ($1, $2) ORDER BY e.submitted_at, e.id LIMIT $3"),
        after_ts, after_id, limit + 1,
    )
    nxt = None
    if len(rows) > limit:
        nxt = encode_cursor(rows[limit - 1]["submitted_at"], rows[limit - 1]["id"])
    return Page([info_of(r) for r in rows[:limit]], nxt)


async def approve(event_id: int, moderator_id: int) -> EventInfo:
    """Publish an event waiting for review; Conflict(409, code="illegal_status_move") otherwise."""
    return await services.approve(event_id, moderator_id)


async def reject(event_id: int, moderator_id: int, reason: str) -> EventInfo:
    """Reject an event waiting for review with a reason for the author (required)."""
    return await services.reject(event_id, moderator_id, reason)


async def cancel(event_id: int, actor_id: int, reason: str) -> EventInfo:
    """Cancel a published event as a moderator (the admin panel checks the permission)."""
    return await services.cancel(services.Actor(actor_id, moderator=True), event_id, reason)


async def event_history(event_id: int) -> list[StatusMove]:
    """Every status move of an event (who, when, from, to, reason), oldest first."""
    return [StatusMove(**r) for r in await services.history(event_id)]


async def count_by_status() -> dict[str, int]:
    """How many (not deleted) events are in each status; every status is present."""
    rows = await db.fetch("SELECT status, count(*) AS n FROM events.event WHERE deleted_at IS NULL GROUP BY status")
    out = dict.fromkeys(states.STATUSES, 0)
    out.update({r["status"]: int(r["n"]) for r in rows})
    return out


async def upcoming_for_user(user_id: int) -> list[EventInfo]:
    """Events the user is confirmed for that have not ended, soonest first."""
    rows = await db.fetch(
        EVENT_SQL.replace("WHERE e.id = $1", "JOIN events.participation p ON p.event = e.id WHERE p.\"user\" = $1 "
                          "AND p.status = 'confirmed' AND e.deleted_at IS NULL AND e.ends_at > $2 "
                          "ORDER BY e.starts_at LIMIT 500"),
        user_id, clock.now(),
    )
    return [info_of(r) for r in rows]
