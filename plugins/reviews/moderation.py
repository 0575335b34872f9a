"""Moderation: screening a review's text, the queue of held and reported reviews, approve, hide and remove.

Screening is the built-in ``blocklist`` setting, the platform's blocklists (``core.reports.screening``: every word
form), then the ``review_screened`` decision any plugin implements; the first reason holds the review. Moderators
(``reviews.moderate``) decide in the admin panel's queue or through the API.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count

from core import audit, clock, hooks
from core.errors import Conflict
from core.hooks import plugin_settings
from core.pagination import decode_cursor, paginate
from core.reports import screening as text_screening
from core.reports import services as reports
from plugins.events.hookspecs import EventInfo
from plugins.reviews import ReviewsSettings, hookspecs, notifications, states
from plugins.reviews.store import COLUMNS, Row, load, move, published, record, transaction, unpublished, visible
from plugins.reviews.tables import Review, ReviewMove

log = logging.getLogger("plugins.reviews")
QUEUE_SCOPE = "reviews.queue"
REVIEW_TYPE = "reviews.review"
"""The reviews' reportable type (``reports.py``): reports go to the platform's one report queue."""
WAITING = (states.HELD, states.PUBLISHED)  # a flagged review waits while held, or while published and reported


async def screen(text: str, event: EventInfo, author_id: int) -> str | None:
    """Why ``text`` should wait for a moderator (the blocklist, then other plugins), or None to publish it."""
    if not text.strip():
        return None
    for word in plugin_settings(ReviewsSettings).blocklist:
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE):
            return f"blocklist: {word}"
    found = await text_screening.screen(text)  # the platform's blocklists, every word form (core.reports)
    if found:
        return text_screening.summary(found)[:200]
    return await hooks.first(hookspecs.review_screened, text=text, event=event, author_id=author_id)


async def move_to(row: Row, target: str, role: str, actor_id: int | None, reason: str = "") -> None:
    """Check and record one status move (the caller writes the row)."""
    await move(row, target, role, actor_id, reason)


async def approve(review_id: int, moderator_id: int) -> None:
    """Publish a held or hidden review, or keep a reported one (its reports are dismissed); 409 otherwise."""
    async with transaction():
        row = await load(review_id, lock=True)
        now = clock.now()
        if row["status"] == states.PUBLISHED:
            if row["flagged_at"] is None:
                raise Conflict("This review waits for no decision", code="not_flagged")
            await record(review_id, moderator_id, states.PUBLISHED, states.PUBLISHED, "reports dismissed")
            await Review.update({Review.flagged_at: None, Review.open_reports: 0}).where(Review.id == review_id)
        else:
            await move(row, states.PUBLISHED, states.MODERATOR, moderator_id)
            await Review.update({Review.status: states.PUBLISHED, Review.flagged_at: None, Review.open_reports: 0,
                                 Review.hidden_reason: "", Review.published_at: row["published_at"] or now,
                                 Review.updated_at: now}).where(Review.id == review_id)
            after = await load(review_id)
            if visible(after):
                await published(after, None)
        await reports.target_decided(REVIEW_TYPE, review_id, moderator_id, upheld=False, decision="kept",
                                     hidden_only=True)
        await audit.record(moderator_id, "review.approve", "review", review_id, before={"status": row["status"]},
                           after={"status": states.PUBLISHED})
    log.info("moderator %s approved review %s", moderator_id, review_id)


async def hide(review_id: int, moderator_id: int, reason: str) -> None:
    """Hide a review with a reason its author reads (they may edit it and it comes back to the queue)."""
    await _take_down(review_id, moderator_id, reason, states.HIDDEN)


async def remove(review_id: int, moderator_id: int, reason: str) -> None:
    """Remove a review for good (spam, abuse): its author reads the reason and can no longer edit it."""
    await _take_down(review_id, moderator_id, reason, states.REMOVED)


async def _take_down(review_id: int, moderator_id: int, reason: str, target: str) -> None:
    reason = reason.strip()
    async with transaction():
        row = await load(review_id, lock=True)
        await move(row, target, states.MODERATOR, moderator_id, reason)
        await audit.record(moderator_id, f"review.{'remove' if target == states.REMOVED else 'hide'}", "review",
                           review_id, reason=reason, before={"status": row["status"]}, after={"status": target})
        await Review.update({Review.status: target, Review.hidden_reason: reason, Review.flagged_at: None,
                             Review.open_reports: 0, Review.updated_at: clock.now()}).where(Review.id == review_id)
        if visible(row):
            await unpublished(row, target, reason, moderator_id)
        await reports.target_decided(REVIEW_TYPE, review_id, moderator_id, upheld=True, decision=target)
        await notifications.taken_down(row, target, reason)
    log.info("moderator %s %s review %s", moderator_id, target, review_id)


# ---------------------------------------------------------------------------------------------------------------------
# The queue (oldest flag first), for the admin panel
# ---------------------------------------------------------------------------------------------------------------------


def _waiting() -> Any:
    return Review.flagged_at.is_not_null() & Review.status.is_in(list(WAITING)) & (Review.event_deleted == False)  # noqa: E712


async def count_waiting() -> int:
    """How many reviews wait for a moderator."""
    row = await Review.select(Count(alias="n")).where(_waiting()).first()
    return int(row["n"]) if row else 0


def _narrowed(status: str | None, search: str) -> list[Combinable]:
    where: list[Combinable] = [_waiting()]
    if status in WAITING:
        where.append(Review.status == status)
    if search:
        where.append(Review.text.ilike("%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                                       + "%"))
    return where


async def count_matching(status: str | None = None, search: str = "") -> int:
    """How many waiting reviews are in ``status`` (held or published-and-reported) and contain ``search``."""
    return int(await Review.count().where(*_narrowed(status, search)))


async def queue_page(cursor: str | None, limit: int, *, status: str | None = None,
                     search: str = "") -> tuple[list[Row], str | None]:
    """Held and reported reviews, oldest flag first, narrowed like :func:`count_matching` (bad cursor: 400)."""
    where = _narrowed(status, search)
    if cursor:
        at, after = decode_cursor(cursor, datetime, int, scope=QUEUE_SCOPE)
        where.append((Review.flagged_at > at) | ((Review.flagged_at == at) & (Review.id > after)))
    rows = await Review.select(*COLUMNS).where(*where).order_by(Review.flagged_at, Review.id).limit(limit + 1)
    return paginate(rows, limit, key=lambda r: (r["flagged_at"], r["id"]), scope=QUEUE_SCOPE)


async def reports_of(review_id: int) -> list[Row]:
    """The reports waiting for a decision on a review (its open case in ``core.reports``), oldest first."""
    return await reports.open_reports_of(REVIEW_TYPE, review_id)


async def author_history(author_id: int) -> dict[str, int]:
    """How many reviews the author has in each status (the moderator's view of their record)."""
    rows = await Review.select(Review.status, Count(alias="n")).where(Review.author == author_id).group_by(
        Review.status)
    out = dict.fromkeys(states.STATUSES, 0)
    out.update({r["status"]: int(r["n"]) for r in rows})
    return out


async def history(review_id: int) -> list[Row]:
    """The review's moves, oldest first."""
    return await ReviewMove.select(ReviewMove.at, ReviewMove.actor_id, ReviewMove.from_status, ReviewMove.to_status,
                                   ReviewMove.reason).where(ReviewMove.review == review_id).order_by(ReviewMove.id)


REPORTED = "reported"
"""The ``hold_reason`` of a review the platform's report threshold took down (core.reports' queue decides)."""


async def hold_reported(review_id: int) -> None:
    """The platform's reports (core.reports) reached their threshold: a published review is held.

    It stays out of this plugin's queue: the platform's report queue decides it.
    """
    async with transaction():
        row = await load(review_id, lock=True)
        if row["status"] != states.PUBLISHED:
            return
        await move(row, states.HELD, states.SYSTEM, None, REPORTED)
        await Review.update({Review.status: states.HELD, Review.hold_reason: REPORTED,
                             Review.updated_at: clock.now()}).where(Review.id == review_id)
        if visible(row):
            await unpublished(row, states.HELD, REPORTED, None)
    log.info("review %s held after reports", review_id)


async def release_reported(review_id: int, moderator_id: int | None) -> None:
    """The reports were dismissed: publish again a review they held (and nothing else held it since)."""
    row = await load(review_id)
    if row["status"] == states.HELD and row["hold_reason"] == REPORTED and moderator_id is not None:
        await approve(review_id, moderator_id)
