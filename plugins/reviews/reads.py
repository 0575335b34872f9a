"""Reading reviews: an event's, an organiser's or a venue's (newest or most helpful first), mine, and my export."""

from __future__ import annotations

from typing import Any

from piccolo.custom_types import Combinable

from core.errors import NotFound
from core.pagination import Page, decode_cursor, page_of
from plugins.events import api as events
from plugins.reviews import states
from plugins.reviews.aggregates import EVENT, ORGANISER, VENUE
from plugins.reviews.schemas import ReviewRead
from plugins.reviews.store import COLUMNS, read
from plugins.reviews.tables import Review

TARGET_COLUMNS = {EVENT: Review.event_id, ORGANISER: Review.organiser_id, VENUE: Review.venue_id}


async def check_event_readable(event_id: int, viewer_id: int | None) -> None:
    """An event's reviews are read where the event is: public ones by anyone, others by its author and participants.

    NotFound ``event_not_found`` for a deleted or unknown event (its reviews are hidden with it).
    """
    event = await events.get_event_info(event_id)
    if event.visibility == "public" or viewer_id == event.author_id:
        return
    if viewer_id is None or await events.participation_status(event_id, viewer_id) is None:
        raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")


async def list_reviews(target: str, target_id: int, sort: str, cursor: str | None, limit: int) -> Page[ReviewRead]:
    """Published reviews of a target, newest or most helpful first (keyset pages; 400 ``invalid_cursor``).

    An organiser's and a venue's lists leave out reviews of events that were not public.
    """
    scope = f"reviews.{target}.{target_id}.{sort}"
    where: list[Combinable] = [TARGET_COLUMNS[target] == target_id, Review.status == states.VISIBLE,
                               Review.event_deleted == False]  # noqa: E712
    if target != EVENT:
        where.append(Review.listed == True)  # noqa: E712
    if sort == "helpful":
        if cursor:
            helpful, after = decode_cursor(cursor, int, int, scope=scope)
            where.append((Review.helpful < helpful) | ((Review.helpful == helpful) & (Review.id < after)))
        rows = await Review.select(*COLUMNS).where(*where).order_by(Review.helpful, Review.id, ascending=False).limit(
            limit + 1)
        return page_of(rows, limit, key=lambda r: (r["helpful"], r["id"]), scope=scope, item=read)
    if cursor:
        (after,) = decode_cursor(cursor, int, scope=scope)
        where.append(Review.id < after)
    rows = await Review.select(*COLUMNS).where(*where).order_by(Review.id, ascending=False).limit(limit + 1)
    return page_of(rows, limit, key=lambda r: (r["id"],), scope=scope, item=read)


async def list_mine(user_id: int, cursor: str | None, limit: int) -> Page[ReviewRead]:
    """My reviews in every status, newest first (why a moderator hid one included)."""
    scope = f"reviews.mine.{user_id}"
    where: list[Combinable] = [Review.author == user_id]
    if cursor:
        (after,) = decode_cursor(cursor, int, scope=scope)
        where.append(Review.id < after)
    rows = await Review.select(*COLUMNS).where(*where).order_by(Review.id, ascending=False).limit(limit + 1)
    return page_of(rows, limit, key=lambda r: (r["id"],), scope=scope, item=lambda r: read(r, for_author=True))


async def export_user(user_id: int) -> list[dict[str, Any]]:
    """Every review the user wrote (reviews of deleted events included), for their data export."""
    rows = await Review.select(*COLUMNS).where(Review.author == user_id).order_by(Review.id)
    out = []
    for r in rows:
        item = read(r, for_author=True)
        out.append({"id": item.id, "event_id": item.event_id, "rating": item.rating, "text": item.text,
                    "tags": item.tags, "would_go_again": item.would_go_again, "status": item.status,
                    "hidden_reason": r["hidden_reason"] or None, "event_deleted": item.event_deleted,
                    "created_at": item.created_at.isoformat(), "updated_at": item.updated_at.isoformat(),
                    "reply": item.reply.text if item.reply else None})
    return out
