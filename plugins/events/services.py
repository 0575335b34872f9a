"""The events' rules: venues, create/edit/delete, the status moves, history and the author's lists. No Litestar."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core import clock, db, hooks
from core.errors import Conflict, NotFound, PermissionDenied, PreconditionFailed
from core.hooks import plugin_settings
from plugins.events import EventsSettings, hookspecs, states, validation
from plugins.events.hookspecs import EventInfo
from plugins.events.participation import promote
from plugins.events.store import EVENT_SQL, info_of, load_event, move, record_creation, snapshot, transaction

log = logging.getLogger("plugins.events")

# Fields whose change sends a published event back to review (when remoderate_on_edit is on).
REMODERATED = {"starts_at", "ends_at", "venue_id", "online_url", "description"}
COLUMNS = {"venue_id": "venue"}  # API field -> column where they differ


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user, and whether they hold ``events.moderate``."""

    user_id: int
    moderator: bool = False


def settings() -> EventsSettings:
    """The plugin's settings struct."""
    return plugin_settings(EventsSettings)


# ---------------------------------------------------------------------------------------------------------------------
# Venues
# ---------------------------------------------------------------------------------------------------------------------


async def create_venue(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Create a venue (coordinates and timezone checked)."""
    if not 1 <= len(data["name"].strip()) <= 200:
        raise validation.fail("/name", "name must have 1 to 200 characters")
    validation.coordinates(data["latitude"], data["longitude"])
    validation.timezone(data["timezone"])
    rows = await db.fetch(
        "INSERT INTO events.venue (name, address, city, latitude, longitude, timezone, pos_ref, created_by, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, name, address, city, latitude, longitude, "
        "timezone, pos_ref",
        data["name"].strip(), data.get("address", ""), data.get("city", ""), data["latitude"], data["longitude"],
        data["timezone"], data.get("pos_ref"), actor.user_id, clock.now(),
    )
    log.info("user %s created venue %s", actor.user_id, rows[0]["id"])
    return rows[0]


async def get_venue(venue_id: int) -> dict[str, Any]:
    """A venue or NotFound."""
    rows = await db.fetch("SELECT id, name, address, city, latitude, longitude, timezone, pos_ref "
                          "FROM events.venue WHERE id = $1", venue_id)
    if not rows:
        raise NotFound(f"venue {venue_id} not found", code="venue_not_found")
    return rows[0]


# ---------------------------------------------------------------------------------------------------------------------
# Create, edit, delete
# ---------------------------------------------------------------------------------------------------------------------


async def _place(conn: asyncpg.Connection, data: dict[str, Any]) -> dict[str, Any]:
    """Resolve the venue: copy its coordinates and timezone onto the event."""
    if data.get("venue_id") is not None:
        venue = await conn.fetchrow("SELECT latitude, longitude, timezone FROM events.venue WHERE id = $1",
                                    data["venue_id"])
        if venue is None:
            raise validation.fail("/venue_id", f"venue {data['venue_id']} not found", "venue_not_found")
        return {"latitude": venue["latitude"], "longitude": venue["longitude"], "timezone": venue["timezone"]}
    return {"latitude": None, "longitude": None, "timezone": validation.timezone(data.get("timezone") or "UTC")}


INSERT = (
    "INSERT INTO events.event (title, description, tags, category, cover_ref, starts_at, ends_at, timezone, venue, "
    "latitude, longitude, online_url, capacity, seats_taken, price_text, price_cents, visibility, share_key, "
    "requires_approval, author, status, series, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
    "$8, $9, $10, $11, $12, $13, 0, $14, $15, $16, $17, $18, $19, 'draft', $20, 1, $21, $21) RETURNING id"
)


async def insert_event(conn: asyncpg.Connection, actor: Actor, data: dict[str, Any],
                       series_id: int | None = None) -> int:
    """Insert a draft (fields already validated) and record its creation; return its id."""
    place = await _place(conn, data)
    now = clock.now()
    event_id: int = await conn.fetchval(
        INSERT, data["title"].strip(), data.get("description", ""), data.get("tags") or [], data.get("category"),
        data.get("cover_ref"), data["starts_at"], data["ends_at"], place["timezone"], data.get("venue_id"),
        place["latitude"], place["longitude"], data.get("online_url"), data.get("capacity"),
        data.get("price_text", ""), data.get("price_cents"), data.get("visibility", "public"),
        secrets.token_urlsafe(12), bool(data.get("requires_approval")), actor.user_id, series_id, now,
    )
    await record_creation(conn, event_id, actor.user_id)
    return event_id


async def create_event(actor: Actor, data: dict[str, Any]) -> int:
    """Create a draft event for ``actor``; return its id."""
    validation.event_fields(data, creating=True)
    async with transaction() as conn:
        event_id = await insert_event(conn, actor, data)
    log.info("user %s created event %s", actor.user_id, event_id)
    return event_id


def _author_only(row: asyncpg.Record, actor: Actor) -> None:
    if row["author_id"] != actor.user_id:
        raise PermissionDenied("Only the author may change this event", code="not_event_author")


def check_if_match(row: asyncpg.Record, if_match: str | None) -> None:
    """``If-Match`` holds when it names the event's current version (``"e<id>v<version>…"``) or is ``*``."""
    if if_match is None:
        return
    want = f'"e{row["id"]}v{row["version"]}'
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if not any(t == "*" or t == want + '"' or t.startswith(want + "-") for t in tags):
        raise PreconditionFailed("The event changed since you read it; reload and retry", code="etag_mismatch",
                                 current_version=row["version"])


async def update_event(actor: Actor, event_id: int, changes_in: dict[str, Any], if_match: str | None = None) -> None:
    """Apply the author's edit; published events go back to review when the setting says so."""
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        _author_only(row, actor)
        check_if_match(row, if_match)
        if row["status"] in (states.CANCELLED, states.FINISHED):
            raise Conflict(f"A {row['status']} event cannot be edited", code="event_not_editable")
        current_values = {k: row[k] for k in row.keys()}
        merged = {**current_values, **changes_in}
        time_moved = any(k in changes_in and changes_in[k] != row[k] for k in ("starts_at", "ends_at"))
        merged["_check_start"] = time_moved
        validation.event_fields(merged, creating=False)
        capacity = merged.get("capacity")
        if capacity is not None and capacity < row["seats_taken"]:
            raise validation.fail("/capacity", f"{row['seats_taken']} seats are already taken",
                                  "capacity_below_participants")
        changes = {k: (row[k], v) for k, v in changes_in.items() if row[k] != v}
        if not changes:
            return
        sets = dict(changes_in)
        if "venue_id" in changes or "timezone" in changes:
            sets.update(await _place(conn, merged))
        assignments = ", ".join(f"{COLUMNS.get(k, k)} = ${i}" for i, k in enumerate(sets, start=2))
        n = len(sets) + 2
        await conn.execute(
            f"UPDATE events.event SET {assignments}, version = version + 1, updated_at = ${n} WHERE id = $1",
            event_id, *sets.values(), clock.now(),
        )
        if "capacity" in changes:
            await promote(conn, event_id)
        remoderate = (row["status"] == states.PUBLISHED and settings().remoderate_on_edit
                      and bool(REMODERATED & set(changes)))
        if remoderate:
            await move(conn, await load_event(conn, event_id, lock=True), states.PENDING, states.AUTHOR,
                       actor.user_id, "edited while published")
        info = await snapshot(conn, event_id)
        await hooks.notify(hookspecs.event_changed, event=info, changes=changes, actor_id=actor.user_id)
        if remoderate:
            await hooks.notify(hookspecs.event_submitted, event=info, actor_id=actor.user_id)
    log.info("user %s edited event %s: %s", actor.user_id, event_id, sorted(changes))


async def delete_event(actor: Actor, event_id: int, if_match: str | None = None) -> None:
    """Delete a draft, rejected or cancelled event (a tombstone stays for syncing clients)."""
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        _author_only(row, actor)
        check_if_match(row, if_match)
        if row["status"] in (states.PUBLISHED, states.PENDING):
            raise Conflict(f"A {row['status']} event cannot be deleted; cancel or withdraw it first",
                           code="event_not_deletable")
        await conn.execute("UPDATE events.event SET deleted_at = $2, updated_at = $2, version = version + 1 "
                           "WHERE id = $1", event_id, clock.now())
    log.info("user %s deleted event %s", actor.user_id, event_id)


# ---------------------------------------------------------------------------------------------------------------------
# Status moves
# ---------------------------------------------------------------------------------------------------------------------


async def submit(actor: Actor, event_id: int) -> EventInfo:
    """The author asks for review (draft/rejected → pending_review)."""
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        _author_only(row, actor)
        if row["starts_at"] <= clock.now():
            raise validation.fail("/starts_at", "the event must start in the future", "starts_in_past")
        await move(conn, row, states.PENDING, states.AUTHOR, actor.user_id)
        info = await snapshot(conn, event_id)
        await hooks.notify(hookspecs.event_submitted, event=info, actor_id=actor.user_id)
    log.info("user %s submitted event %s", actor.user_id, event_id)
    return info


async def approve(event_id: int, moderator_id: int) -> EventInfo:
    """A moderator publishes an event (pending_review → published)."""
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        await move(conn, row, states.PUBLISHED, states.MODERATOR, moderator_id)
        info = await snapshot(conn, event_id)
        await hooks.notify(hookspecs.event_published, event=info, moderator_id=moderator_id)
    log.info("moderator %s published event %s", moderator_id, event_id)
    return info


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 2000:
        raise validation.fail("/reason", "give a reason of 1 to 2000 characters", "reason_required")
    return reason


async def reject(event_id: int, moderator_id: int, reason: str) -> EventInfo:
    """A moderator rejects an event with a reason for the author (pending_review → rejected)."""
    reason = _reason(reason)
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        await move(conn, row, states.REJECTED, states.MODERATOR, moderator_id, reason)
        info = await snapshot(conn, event_id)
        await hooks.notify(hookspecs.event_rejected, event=info, moderator_id=moderator_id, reason=reason)
    log.info("moderator %s rejected event %s", moderator_id, event_id)
    return info


async def cancel(actor: Actor, event_id: int, reason: str) -> EventInfo:
    """The author or a moderator cancels a published event (published → cancelled)."""
    reason = _reason(reason)
    async with transaction() as conn:
        row = await load_event(conn, event_id, lock=True)
        role = states.AUTHOR if row["author_id"] == actor.user_id else states.MODERATOR
        if role == states.MODERATOR and not actor.moderator:
            raise PermissionDenied("Only the author or a moderator may cancel this event", code="not_event_author")
        await move(conn, row, states.CANCELLED, role, actor.user_id, reason)
        info = await snapshot(conn, event_id)
        await hooks.notify(hookspecs.event_cancelled, event=info, reason=reason, actor_id=actor.user_id)
    log.info("user %s cancelled event %s", actor.user_id, event_id)
    return info


async def finish_ended() -> int:
    """Move every published event whose end has passed to finished (the periodic finisher); idempotent."""
    rows = await db.fetch("SELECT id FROM events.event WHERE status = 'published' AND ends_at <= $1 "
                          "AND deleted_at IS NULL ORDER BY id LIMIT 1000", clock.now())
    done = 0
    for r in rows:
        async with transaction() as conn:
            row = await load_event(conn, r["id"], lock=True)
            if row["status"] != states.PUBLISHED or row["ends_at"] > clock.now():
                continue  # another worker got there first, or the author moved it
            await move(conn, row, states.FINISHED, states.SYSTEM, None)
            await conn.execute("UPDATE events.participation SET status = 'expired', updated_at = $2 "
                               "WHERE event = $1 AND status IN ('waitlisted', 'offered', 'pending')",
                               row["id"], clock.now())
            await hooks.notify(hookspecs.event_finished, event=await snapshot(conn, row["id"]))
            done += 1
    if done:
        log.info("finished %s ended events", done)
    return done


async def history(event_id: int) -> list[dict[str, Any]]:
    """Every status move of an event, oldest first."""
    return await db.fetch("SELECT actor AS actor_id, at, from_status, to_status, reason FROM events.status_move "
                          "WHERE event = $1 ORDER BY at, id", event_id)


async def event_info(event_id: int) -> EventInfo:
    """The snapshot of one event."""
    rows = await db.fetch(EVENT_SQL, event_id)
    if not rows or rows[0]["deleted_at"] is not None:
        raise NotFound(f"event {event_id} not found", code="event_not_found")
    return info_of(rows[0])


async def author_of(event_id: int) -> tuple[int, datetime]:
    """(author id, starts_at) of an event or NotFound."""
    rows = await db.fetch("SELECT author, starts_at FROM events.event WHERE id = $1 AND deleted_at IS NULL", event_id)
    if not rows:
        raise NotFound(f"event {event_id} not found", code="event_not_found")
    return rows[0]["author"], rows[0]["starts_at"]
