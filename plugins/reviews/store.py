"""Low-level helpers shared by the services: transactions, review loads (locked or not), snapshots, shapes, moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from core import cache, clock, db, hooks
from core.errors import NotFound
from core.hooks import plugin_settings
from plugins.reviews import ReviewsSettings, aggregates, hookspecs, sql, states
from plugins.reviews.hookspecs import ReviewInfo
from plugins.reviews.schemas import ReviewRead, ReviewReplyRead
from plugins.reviews.states import check_move
from plugins.reviews.tables import Review, ReviewMove

Row = dict[str, Any]

COLUMNS = (
    Review.id, Review.event_id, Review.organiser_id, Review.venue_id, Review.author.as_alias("author_id"),
    Review.author.display_name.as_alias("author_name"), Review.rating, Review.text, Review.tags, Review.media_refs,
    Review.would_go_again, Review.status, Review.hold_reason, Review.hidden_reason, Review.flagged_at,
    Review.open_reports, Review.helpful, Review.reply, Review.replied_at, Review.reply_edited_at, Review.event_deleted,
    Review.created_at, Review.updated_at, Review.published_at,
)
"""The columns of a review row (the same keys as ``sql.REVIEW_FOR_UPDATE``, plus the author's display name)."""


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A transaction on the primary; Piccolo queries and hook implementations in this task join it.

    Read-cache invalidations made inside (events' cards, public profiles: ``core.cache.bump``) land after the commit,
    so a reader in between never caches the old figures under the new version.
    """
    async with cache.deferred(), db.engine().transaction():
        yield


def not_found(review_id: int) -> NotFound:
    """The one answer for a review that does not exist or that the caller may not see."""
    return NotFound("review %(review_id)s not found", params={"review_id": review_id}, code="review_not_found")


async def load(review_id: int, *, lock: bool = False) -> Row:
    """A review row; ``lock`` takes its row lock for the rest of the transaction. NotFound when missing."""
    rows: list[Row] = await (Review.raw(sql.REVIEW_FOR_UPDATE, review_id) if lock else
                             Review.select(*COLUMNS).where(Review.id == review_id))
    if not rows:
        raise not_found(review_id)
    return rows[0]


def visible(row: Row) -> bool:
    """Whether everyone may see the review (published, and its event not deleted)."""
    return row["status"] == states.VISIBLE and not row["event_deleted"]


def editable_until(created_at: datetime) -> datetime:
    """The end of a review's edit window."""
    return created_at + timedelta(days=plugin_settings(ReviewsSettings).edit_days)


def info_of(row: Row, status: str | None = None) -> ReviewInfo:
    """The public snapshot of a review row (``status`` overrides the row's, e.g. ``deleted``)."""
    return ReviewInfo(
        id=row["id"], event_id=row["event_id"], organiser_id=row["organiser_id"], venue_id=row["venue_id"],
        author_id=row["author_id"], rating=row["rating"], text=row["text"], tags=tuple(row["tags"] or ()),
        would_go_again=row["would_go_again"], status=status or row["status"], created_at=row["created_at"],
        published_at=row["published_at"],
    )


def read(row: Row, *, for_author: bool = False) -> ReviewRead:
    """The API shape of a review row; ``for_author`` adds what only its author reads (why it was hidden)."""
    reply = None
    if row["reply"] is not None:
        reply = ReviewReplyRead(text=row["reply"], replied_at=row["replied_at"], edited_at=row["reply_edited_at"])
    return ReviewRead(
        id=row["id"], event_id=row["event_id"], organiser_id=row["organiser_id"], venue_id=row["venue_id"],
        author_id=row["author_id"], author_name=row.get("author_name") or "", rating=row["rating"], text=row["text"],
        tags=list(row["tags"] or ()), would_go_again=row["would_go_again"], media=list(row["media_refs"] or ()),
        helpful=row["helpful"], status=row["status"], created_at=row["created_at"], updated_at=row["updated_at"],
        editable_until=editable_until(row["created_at"]), reply=reply,
        hidden_reason=(row["hidden_reason"] or None) if for_author and row["status"] == states.HIDDEN else None,
        event_deleted=row["event_deleted"],
    )


async def move(row: Row, target: str, role: str, actor_id: int | None, reason: str = "") -> None:
    """Check and record a status move of a locked review row (the caller updates the row)."""
    check_move(row["status"], target, role)
    await ReviewMove.insert(ReviewMove(review=row["id"], actor_id=actor_id, from_status=row["status"],
                                       to_status=target, reason=reason, at=clock.now()))


async def record(review_id: int, actor_id: int | None, from_status: str | None, to_status: str,
                 reason: str = "") -> None:
    """Record a history entry that is not a status move (the creation, dismissed reports)."""
    await ReviewMove.insert(ReviewMove(review=review_id, actor_id=actor_id, from_status=from_status,
                                       to_status=to_status, reason=reason, at=clock.now()))


async def published(row: Row, previous: Row | None) -> None:
    """A review became (or stays, edited) visible: count it and tell the other plugins (in the transaction)."""
    await aggregates.apply(row, previous["rating"] if previous else None, row["rating"])
    await hooks.notify(hookspecs.review_published, review=info_of(row),
                       previous=info_of(previous) if previous else None)


async def unpublished(row: Row, status: str, reason: str, actor_id: int | None) -> None:
    """A visible review stopped being visible (``status`` says why): uncount it and tell the other plugins."""
    await aggregates.apply(row, row["rating"], None)
    await hooks.notify(hookspecs.review_hidden, review=info_of(row, status), reason=reason, actor_id=actor_id)
