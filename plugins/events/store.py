"""Low-level helpers shared by the services: transactions, event loads (locked or not), snapshots, status moves."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from functools import cache
from typing import Any

from piccolo.columns import Column
from piccolo.custom_types import Combinable

from core import clock, db, hooks
from core.cache import deferred as deferred_invalidations
from core.errors import NotFound
from plugins.events import hookspecs, sql, states
from plugins.events.hookspecs import EventInfo, GroupAccess
from plugins.events.states import check_move
from plugins.events.tables import Event, Participation, StatusMove

Row = dict[str, Any]
_SAME = ("id", "title", "description", "tags", "category", "cover_ref", "starts_at", "ends_at", "timezone",
         "latitude", "longitude", "online_url", "capacity", "seats_taken", "price_text", "price_cents", "visibility",
         "group_id", "share_key", "requires_approval", "status", "version", "submitted_at", "created_at", "updated_at",
         "deleted_at", "rating_figures")
_RENAMED = {"venue": "venue_id", "author": "author_id", "series": "series_id"}
_VENUE = {"name": "venue_name", "address": "venue_address", "city": "venue_city"}


@cache
def event_columns(path: Any = Event) -> tuple[Column, ...]:
    """The columns of an event row (the same keys as ``sql.EVENT_FOR_UPDATE``), from ``Event`` or a foreign key."""
    cols = [getattr(path, n).as_alias(n) for n in _SAME]
    cols += [getattr(path, c).as_alias(alias) for c, alias in _RENAMED.items()]
    cols += [getattr(path.venue, c).as_alias(alias) for c, alias in _VENUE.items()]
    return tuple(cols)


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A transaction on the primary; Piccolo queries and hook implementations in this task join it.

    Cache invalidations made inside (``core.cache.bump``, from events' hooks) land after the commit.
    """
    async with deferred_invalidations(), db.engine().transaction():
        yield


async def events_where(*where: Combinable, order_by: Sequence[Column] = (), limit: int | None = None) -> list[Row]:
    """Event rows (see :func:`event_columns`) matching ``where``, not deleted."""
    query = Event.select(*event_columns()).where(Event.deleted_at.is_null(), *where)
    if order_by:
        query = query.order_by(*order_by)
    if limit is not None:
        query = query.limit(limit)
    return await query


async def load_event(event_id: int, *, lock: bool = False) -> Row:
    """Load an event (not deleted); ``lock`` takes its row lock for the rest of the transaction."""
    rows: list[Row]
    if lock:
        rows = [r for r in await Event.raw(sql.EVENT_FOR_UPDATE, event_id) if r["deleted_at"] is None]
    else:
        rows = await events_where(Event.id == event_id)
    if not rows:
        raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")
    return rows[0]


def info_of(row: Row) -> EventInfo:
    """The public snapshot of an event row."""
    return EventInfo(
        id=row["id"], title=row["title"], author_id=row["author_id"], status=row["status"],
        starts_at=row["starts_at"], ends_at=row["ends_at"], timezone=row["timezone"],
        venue_name=row["venue_name"], city=row["venue_city"], latitude=row["latitude"], longitude=row["longitude"],
        online=row["online_url"] is not None, capacity=row["capacity"], tags=tuple(row["tags"] or ()),
        category=row["category"], visibility=row["visibility"], group_id=row["group_id"], venue_id=row["venue_id"],
    )


async def snapshot(event_id: int) -> EventInfo:
    """Re-read the event (inside the transaction: after the change) and return its snapshot."""
    return info_of(await load_event(event_id))


async def move(row: Row, target: str, role: str, actor_id: int | None, reason: str = "") -> datetime:
    """Check and apply a status move on a locked event row, and record it in the history."""
    check_move(row["status"], target, role)
    now = clock.now()
    submitted = now if target == states.PENDING else row["submitted_at"]
    await Event.update({Event.status: target, Event.version: Event.version + 1, Event.updated_at: now,
                        Event.submitted_at: submitted}).where(Event.id == row["id"])
    await StatusMove.insert(StatusMove(event=row["id"], actor=actor_id, from_status=row["status"], to_status=target,
                                       reason=reason, at=now))
    return now


async def record_creation(event_id: int, actor_id: int) -> None:
    """Record the birth of an event (from nothing to draft) in its history."""
    await StatusMove.insert(StatusMove(event=event_id, actor=actor_id, from_status=None, to_status=states.DRAFT,
                                       reason="", at=clock.now()))


async def group_access(group_id: int | None, user_id: int | None) -> GroupAccess | None:
    """What ``user_id`` may do with the events of the hosting group (None: no group, or none visible to them)."""
    if group_id is None:
        return None
    return await hooks.first(hookspecs.group_access_from_groups, group_id=group_id, user_id=user_id)


async def acts_as_author(row: Row, user_id: int) -> bool:
    """The author, or a manager of the group hosting the event (they edit, submit and cancel it alike)."""
    if row["author_id"] == user_id:
        return True
    access = await group_access(row["group_id"], user_id)
    return access is not None and access.manager


async def is_member(event: Row, user_id: int | None) -> bool:
    """Whether ``user_id`` is a member of the group hosting ``event`` (what a members-only event asks)."""
    access = await group_access(event["group_id"], user_id)
    return access is not None and access.member


async def takes_part(event_id: int, user_id: int | None) -> bool:
    """Whether ``user_id`` holds an active participation (pending, confirmed, waitlisted or offered)."""
    if user_id is None:
        return False
    return bool(await Participation.exists().where(Participation.event == event_id, Participation.user == user_id,
                                                   Participation.status.is_in(list(states.ACTIVE))))


async def may_see(row: Row, user_id: int | None, *, moderator: bool = False, key: str | None = None,
                  participant: bool | None = None) -> bool:
    """The one visibility rule, for every operation: an event the caller may not see is 404 to them, always.

    Authors (and group managers) and moderators see everything; others see published-or-later events, a link-only
    one with its key or once they take part, a members-only one as a member of its group or once they take part.
    An event hidden by reports (``hidden``) is 404 to everyone else, its participants included.
    ``participant`` saves the query when the caller already knows.
    """
    if moderator or (user_id is not None and await acts_as_author(row, user_id)):
        return True
    if row["status"] in states.UNSEEN:
        return False
    if row["visibility"] == "public":
        return True
    if participant is None:
        participant = await takes_part(row["id"], user_id)
    if participant:
        return True
    if row["visibility"] == "link":
        return key is not None and secrets.compare_digest(key, row["share_key"])
    return await is_member(row, user_id)


async def visible_event(event_id: int, user_id: int | None, *, moderator: bool = False, key: str | None = None,
                        lock: bool = False) -> Row:
    """Load the event if the caller may see it (see :func:`may_see`); NotFound ``event_not_found`` otherwise."""
    row = await load_event(event_id, lock=lock)
    if not await may_see(row, user_id, moderator=moderator, key=key):
        raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")
    return row
