"""Low-level helpers shared by the services: transactions, locked loads, snapshots, the history of moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from core import clock, db
from core.errors import NotFound
from plugins.events.hookspecs import EventInfo
from plugins.events.states import check_move

EVENT_SQL = """
SELECT e.id, e.title, e.description, e.tags, e.category, e.cover_ref, e.starts_at, e.ends_at, e.timezone,
       e.venue AS venue_id, e.latitude, e.longitude, e.online_url, e.capacity, e.seats_taken, e.price_text,
       e.price_cents, e.visibility, e.share_key, e.requires_approval, e.author AS author_id, e.status,
       e.series AS series_id, e.version, e.submitted_at, e.created_at, e.updated_at, e.deleted_at,
       v.name AS venue_name, v.address AS venue_address, v.city AS venue_city
FROM events.event e LEFT JOIN events.venue v ON v.id = e.venue
WHERE e.id = $1
"""


@asynccontextmanager
async def transaction() -> AsyncIterator[asyncpg.Connection]:
    """A transaction on the primary; Piccolo queries and hooks run inside it join it (same task)."""
    async with db.engine().transaction() as tx:
        yield tx.connection


async def load_event(conn: asyncpg.Connection, event_id: int, *, lock: bool = False) -> asyncpg.Record:
    """Load an event (not deleted); ``lock`` takes its row lock for the rest of the transaction."""
    if lock:
        # Lock the event row only (FOR UPDATE OF e): joins, leaves and edits of one event queue up here.
        row = await conn.fetchrow(EVENT_SQL + " FOR UPDATE OF e", event_id)
    else:
        row = await conn.fetchrow(EVENT_SQL, event_id)
    if row is None or row["deleted_at"] is not None:
        raise NotFound(f"event {event_id} not found", code="event_not_found")
    return row


def info_of(row: asyncpg.Record | dict[str, Any]) -> EventInfo:
    """The public snapshot of an event row loaded with ``EVENT_SQL``."""
    return EventInfo(
        id=row["id"], title=row["title"], author_id=row["author_id"], status=row["status"],
        starts_at=row["starts_at"], ends_at=row["ends_at"], timezone=row["timezone"],
        venue_name=row["venue_name"], city=row["venue_city"], latitude=row["latitude"], longitude=row["longitude"],
        online=row["online_url"] is not None, capacity=row["capacity"], tags=tuple(row["tags"] or ()),
        category=row["category"],
    )


async def snapshot(conn: asyncpg.Connection, event_id: int) -> EventInfo:
    """Re-read the event inside the transaction and return its snapshot (after the change)."""
    return info_of(await load_event(conn, event_id))


async def move(conn: asyncpg.Connection, row: asyncpg.Record, target: str, role: str, actor_id: int | None,
               reason: str = "") -> datetime:
    """Check and apply a status move on a locked event row, and record it in the history."""
    check_move(row["status"], target, role)
    now = clock.now()
    await conn.execute(
        "UPDATE events.event SET status = $2::varchar, version = version + 1, updated_at = $3, "
        "submitted_at = CASE WHEN $2::varchar = 'pending_review' THEN $3 ELSE submitted_at END WHERE id = $1",
        row["id"], target, now,
    )
    await conn.execute(
        "INSERT INTO events.status_move (event, actor, from_status, to_status, reason, at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        row["id"], actor_id, row["status"], target, reason, now,
    )
    return now


async def record_creation(conn: asyncpg.Connection, event_id: int, actor_id: int) -> None:
    """Record the birth of an event (from nothing to draft) in its history."""
    await conn.execute(
        "INSERT INTO events.status_move (event, actor, from_status, to_status, reason, at) "
        "VALUES ($1, $2, NULL, 'draft', '', $3)",
        event_id, actor_id, clock.now(),
    )
