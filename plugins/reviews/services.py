"""The reviews' rules: who may review; write, edit, delete, read, mark helpful, reply, report; deleted events.

Plain async functions over Piccolo; no Litestar; errors from ``core.errors``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError

from core import cache, clock, hooks, notifications, ratelimit
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.hooks import hookspecs as core_specs
from core.hooks import plugin_settings
from core.reports import services as reports
from plugins.events import api as events
from plugins.events.hookspecs import EventInfo
from plugins.reviews import ReviewsSettings, aggregates, hookspecs, moderation, sql, states
from plugins.reviews import notifications as notices
from plugins.reviews.schemas import ReviewCreate, ReviewRead
from plugins.reviews.store import (
    Row,
    editable_until,
    info_of,
    load,
    not_found,
    published,
    read,
    record,
    transaction,
    unpublished,
    visible,
)
from plugins.reviews.tables import Aggregate, Helpful, Review, Sweep

log = logging.getLogger("plugins.reviews")

FINISHED, CANCELLED = "finished", "cancelled"
FIELDS = {"rating": "rating", "text": "text", "tags": "tags", "media": "media_refs", "would_go_again": "would_go_again"}
"""Editable API fields → their columns."""


# ---------------------------------------------------------------------------------------------------------------------
# Who may review, and what
# ---------------------------------------------------------------------------------------------------------------------


async def check_eligible(event: EventInfo, user_id: int) -> None:
    """Whether ``user_id`` may review ``event``: its confirmed participant, once it finished; never its organiser.

    The events plugin records no check-ins or no-shows yet: a participation still ``confirmed`` when the event
    finished counts as attendance, and ``review_refused`` lets a check-in plugin refuse no-shows.
    """
    if event.author_id == user_id:
        raise PermissionDenied("Organisers do not review their own events", code="own_event")
    status = await events.participation_status(event.id, user_id)
    if status != "confirmed" and event.visibility != "public":
        raise NotFound("event %(id)s not found",
                       params={"id": event.id}, code="event_not_found")  # a private event stays unknown
    if event.status == CANCELLED:
        raise Conflict("A cancelled event cannot be reviewed", code="event_cancelled")
    if event.status != FINISHED:
        raise Conflict("The event has not finished yet", code="event_not_finished")
    if status != "confirmed":
        raise PermissionDenied("Only people whose place was confirmed when the event ended review it",
                               code="not_attended")
    refusal = await hooks.first(hookspecs.review_refused, event=event, user_id=user_id)
    if refusal:
        raise PermissionDenied("You may not review this event", code=refusal)


def check_content(rating: int, text: str, tags: list[str], media: list[str]) -> None:
    """Rules the schema cannot state: text for 3 stars or fewer, each tag and each photo once."""
    errors: list[dict[str, str]] = []
    code = "validation_failed"
    if rating <= 3 and not text.strip():
        errors.append({"pointer": "/text", "detail": "tell others why: a text is required for 3 stars or fewer"})
        code = "text_required"
    if len(set(tags)) != len(tags):
        errors.append({"pointer": "/tags", "detail": "each tag at most once"})
    if len(set(media)) != len(media):
        errors.append({"pointer": "/media", "detail": "each photo at most once"})
    if errors:
        raise ValidationFailed(errors[0]["detail"], code=code, errors=errors)


MEDIA_TARGET = "reviews.review"
"""The media target of a review's photos; its id is the reviewed event's (one review per person and event)."""


async def check_media(user_id: int, event_id: int, refs: list[str], stored: list[str]) -> None:
    """Each new photo reference must be the user's own upload for this review, as media says (core's hook).

    422 ``media_not_allowed`` when media refuses one, ``media_unavailable`` when nobody answers (media disabled).
    References already on the review are not asked again.
    """
    errors: list[dict[str, str]] = []
    code = "media_not_allowed"
    for i, ref in enumerate(refs):
        if ref in stored:
            continue
        answer = await hooks.first(core_specs.media_ref_checked, ref=ref, user_id=user_id, target=MEDIA_TARGET,
                                   target_id=event_id)
        if answer is None:
            errors.append({"pointer": f"/media/{i}", "detail": "photos need the media plugin, which is not enabled"})
            code = "media_unavailable"
        elif not answer:
            errors.append({"pointer": f"/media/{i}", "detail": "not your photo for this review, or not usable"})
    if errors:
        raise ValidationFailed(errors[0]["detail"], code=code, errors=errors)


async def may_attach(event_id: int, user_id: int) -> None:
    """Whether ``user_id`` may upload a photo for their review of ``event_id``: the same rules as writing it."""
    await check_eligible(await events.get_event_info(event_id), user_id)


async def drop_media(ref: str) -> None:
    """A media item went away (rejected, deleted): it leaves every review that showed it."""
    rows = await Review.select(Review.id, Review.media_refs).where(Review.media_refs.any(ref))
    for row in rows:
        await Review.update({Review.media_refs: [r for r in row["media_refs"] if r != ref]}).where(
            Review.id == row["id"])
    if rows:
        log.info("media %s removed from reviews %s", ref, [r["id"] for r in rows])


# ---------------------------------------------------------------------------------------------------------------------
# My review
# ---------------------------------------------------------------------------------------------------------------------


async def create(user_id: int, event_id: int, data: ReviewCreate) -> ReviewRead:
    """Write ``user_id``'s review of ``event_id``: published at once, or held when screening objects.

    Conflict ``already_reviewed`` for a second review; the eligibility errors of :func:`check_eligible`.
    """
    check_content(data.rating, data.text, list(data.tags), list(data.media))
    event = await events.get_event_info(event_id)
    if data.media:
        await check_media(user_id, event.id, list(data.media), [])
    async with transaction():
        await check_eligible(event, user_id)
        hold = await moderation.screen(data.text, event, user_id)
        now = clock.now()
        status = states.HELD if hold else states.PUBLISHED
        rows = await Review.insert(Review(
            event_id=event.id, organiser_id=event.author_id, venue_id=event.venue_id, author=user_id,
            rating=data.rating, text=data.text.strip(), tags=list(data.tags), media_refs=list(data.media),
            would_go_again=data.would_go_again, status=status, hold_reason=hold or "",
            listed=event.visibility == "public",
            flagged_at=now if hold else None, created_at=now, updated_at=now,
            published_at=None if hold else now,
        )).on_conflict(action="DO NOTHING").returning(Review.id)
        if not rows:
            raise Conflict("You already reviewed this event; edit your review instead", code="already_reviewed")
        review_id: int = rows[0]["id"]
        await record(review_id, user_id, None, status, hold or "")
        row = await load(review_id)
        if status == states.PUBLISHED:
            await published(row, None)
        await notifications.withdraw(notices.invite_key(event.id), [user_id])  # no invitation after the fact
    log.info("user %s reviewed event %s (review %s, %s)", user_id, event_id, review_id, status)
    return read(row, for_author=True)


async def _own(review_id: int, user_id: int) -> Row:
    """The caller's own review under its row lock; another user's is 404 (its existence is not revealed)."""
    row = await load(review_id, lock=True)
    if row["author_id"] != user_id:
        raise not_found(review_id)
    return row


async def update(user_id: int, review_id: int, changes: dict[str, Any]) -> ReviewRead:
    """Edit my review within the edit window; a new text is screened again; a hidden review goes back to the queue.

    Conflict ``edit_window_passed`` after ``edit_days``; ``review_not_editable`` once removed.
    """
    async with transaction():
        row = await _own(review_id, user_id)
        if row["status"] not in states.EDITABLE:
            raise Conflict("A removed review cannot be edited", code="review_not_editable")
        now = clock.now()
        if now > editable_until(row["created_at"]):
            raise Conflict("Reviews can be edited for a limited time after writing them", code="edit_window_passed")
        merged = dict(row)
        merged.update({FIELDS.get(k, k): v for k, v in changes.items()})
        merged["text"] = merged["text"].strip()
        check_content(merged["rating"], merged["text"], list(merged["tags"]), list(merged["media_refs"]))
        await check_media(user_id, row["event_id"], list(merged["media_refs"]), list(row["media_refs"] or ()))
        if all(merged[f] == row[f] for f in FIELDS.values()):
            return read(await load(review_id), for_author=True)
        status, hold = row["status"], row["hold_reason"]
        if merged["text"] != row["text"] or status == states.HIDDEN:
            event = await events.get_event_info(row["event_id"])
            hold = await moderation.screen(merged["text"], event, user_id) or ""
        if status == states.HIDDEN:  # the author answered the moderator: checked again
            hold = hold or "edited after a moderator hid it"
            await moderation.move_to(row, states.HELD, states.AUTHOR, user_id, hold)
            status = states.HELD
        elif status == states.PUBLISHED and hold:
            await moderation.move_to(row, states.HELD, states.SYSTEM, None, hold)
            status = states.HELD
        elif status == states.HELD:
            hold = hold or row["hold_reason"]
        await Review.update({
            Review.rating: merged["rating"], Review.text: merged["text"], Review.tags: list(merged["tags"]),
            Review.media_refs: list(merged["media_refs"]), Review.would_go_again: merged["would_go_again"],
            Review.status: status, Review.hold_reason: hold, Review.updated_at: now,
            Review.flagged_at: (row["flagged_at"] or now) if status == states.HELD else row["flagged_at"],
        }).where(Review.id == review_id)
        after = await load(review_id)
        if visible(row) and status == states.PUBLISHED:
            await published(after, row)
        elif visible(row):
            await unpublished(row, states.HELD, hold, user_id)
    log.info("user %s edited review %s (%s → %s)", user_id, review_id, row["status"], status)
    return read(after, for_author=True)


async def delete(user_id: int, review_id: int) -> None:
    """Delete my review (any time); a visible one leaves the aggregates."""
    async with transaction():
        row = await _own(review_id, user_id)
        if visible(row):
            await unpublished(row, "deleted", "", user_id)
        await Review.delete().where(Review.id == review_id)
    log.info("user %s deleted review %s", user_id, review_id)


# ---------------------------------------------------------------------------------------------------------------------
# Reading, helpful, reply, report
# ---------------------------------------------------------------------------------------------------------------------


async def get(review_id: int, viewer_id: int | None) -> ReviewRead:
    """A visible review, or the viewer's own in any status; 404 otherwise."""
    row = await load(review_id)
    mine = viewer_id is not None and row["author_id"] == viewer_id
    if not (mine or visible(row)):
        raise not_found(review_id)
    return read(row, for_author=mine)


async def _visible_locked(review_id: int) -> Row:
    row = await load(review_id, lock=True)
    if not visible(row):
        raise not_found(review_id)
    return row


async def mark_helpful(user_id: int, review_id: int) -> int:
    """Count the user's "helpful" once (409 ``already_marked`` again, ``own_review`` for their own); the new count."""
    async with transaction():
        row = await _visible_locked(review_id)
        if row["author_id"] == user_id:
            raise Conflict("You cannot mark your own review helpful", code="own_review")
        rows = await Helpful.insert(Helpful(review=review_id, user_id=user_id, created_at=clock.now())).on_conflict(
            action="DO NOTHING").returning(Helpful.id)
        if not rows:
            raise Conflict("You already marked this review helpful", code="already_marked")
        counted = await Review.update({Review.helpful: Review.helpful + 1}).where(Review.id == review_id).returning(
            Review.helpful)
    return int(counted[0]["helpful"])


async def reply(organiser_id: int, review_id: int, text: str, *, edit: bool) -> ReviewRead:
    """The organiser's one public reply (``edit``: change it).

    403 ``not_event_organiser`` for anyone else; 409 ``already_replied`` for a second reply; 404 ``reply_not_found``
    when editing none.
    """
    text = text.strip()
    async with transaction():
        row = await _visible_locked(review_id)
        if row["organiser_id"] != organiser_id:
            raise PermissionDenied("Only the event's organiser replies to its reviews", code="not_event_organiser")
        if not edit and row["reply"] is not None:
            raise Conflict("You already replied to this review; edit your reply instead", code="already_replied")
        if edit and row["reply"] is None:
            raise NotFound("There is no reply to edit", code="reply_not_found")
        now = clock.now()
        values: dict[Any, Any] = {Review.reply: text}
        values[Review.reply_edited_at if edit else Review.replied_at] = now
        await Review.update(values).where(Review.id == review_id)
        after = await load(review_id)
        await hooks.notify(hookspecs.review_replied, review=info_of(after), reply=text, organiser_id=organiser_id,
                           edited=edit)
    log.info("organiser %s %s review %s", organiser_id, "edited the reply to" if edit else "replied to", review_id)
    return read(after)


async def report(user_id: int, review_id: int, reason: str) -> None:
    """Report a visible review to the platform's report queue (``core.reports``, type ``reviews.review``).

    The route of old, kept for the app: reason ``other`` with ``reason`` as the text; once per user (409
    ``already_reported``); not one's own (409 ``own_review``).
    """
    await ratelimit.hit("reviews.report", str(user_id), limit=plugin_settings(ReviewsSettings).reports_per_hour,
                        window_s=3600)
    row = await load(review_id)
    if not visible(row):
        raise not_found(review_id)
    if row["author_id"] == user_id:
        raise Conflict("You cannot report your own review", code="own_review")
    _made, created = await reports.file(user_id, "reviews.review", review_id, "other", reason)
    if not created:
        raise Conflict("You already reported this review", code="already_reported")


# ---------------------------------------------------------------------------------------------------------------------
# Deleted events: their reviews stay in their authors' exports and leave everything else
# ---------------------------------------------------------------------------------------------------------------------

SWEEP = "deleted_events"
SWEEP_OVERLAP = timedelta(minutes=10)  # deletions committed late (an older timestamp) are still seen
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def hide_event_reviews(event_id: int) -> int:
    """Hide the reviews of a deleted event from lists, the queue and the aggregates; how many (idempotent)."""
    async with transaction():
        rows = await Review.raw(sql.EVENT_REVIEWS_FOR_UPDATE, event_id)
        for row in rows:
            if row["status"] == states.VISIBLE:
                await aggregates.apply(row, row["rating"], None)
        if rows:
            await Review.update({Review.event_deleted: True, Review.flagged_at: None}).where(
                (Review.event_id == event_id) & (Review.event_deleted == False))  # noqa: E712
    return len(rows)


async def sweep_deleted_events() -> int:
    """Hide the reviews of the events deleted since the last sweep; returns how many reviews it hid."""
    mark = await Sweep.select(Sweep.position).where(Sweep.name == SWEEP).first()
    since = mark["position"] - SWEEP_OVERLAP if mark else EPOCH
    deleted = await events.deleted_events_since(since, limit=500)
    hidden = 0
    for event_id, _at in deleted:
        hidden += await hide_event_reviews(event_id)
    if deleted:
        last = max(at for _, at in deleted)
        await Sweep.insert(Sweep(name=SWEEP, position=last)).on_conflict(
            target=Sweep.name, action="DO UPDATE", values=[Sweep.position])
    if hidden:
        log.info("hid %s reviews of %s deleted events", hidden, len(deleted))
    return hidden


SHOWN_WITH_KEY = ("reviews", "shown_with")


async def restate_figures(batch: int = 500) -> int:
    """Write every target's shown figures again, with the settings as they are now; returns how many targets.

    The ``reviews.restate_figures`` job, enqueued at start-up when ``min_reviews_shown`` or the prior changed since the
    figures were written (:func:`figures_settings_changed`). One target per transaction, its aggregate row locked:
    a review changing it meanwhile waits and then writes the newer figures, and no two rows are ever held at once, so
    nothing can deadlock with a review's own transaction (which locks event, organiser, venue in that order).
    """
    settings = plugin_settings(ReviewsSettings)
    after, done = 0, 0
    while True:
        ids = [r["id"] for r in await Aggregate.select(Aggregate.id).where(Aggregate.id > after)
               .order_by(Aggregate.id).limit(batch)]
        for aggregate_id in ids:
            async with transaction():
                rows = await Aggregate.raw(sql.AGGREGATE_FOR_UPDATE, aggregate_id)
                if rows:
                    await aggregates.show(rows[0], settings)
                    done += 1
        if len(ids) < batch:
            return done
        after = ids[-1]


async def figures_settings_changed() -> bool:
    """Whether the figures were written with other settings (then :func:`restate_figures` is due).

    The settings last stated are kept in Redis, swapped atomically: of several processes starting at once, one is
    told. Where none were recorded yet, these are recorded and nothing is due. Without Redis nothing is due: the next
    start asks again.
    """
    now = aggregates.shown_with(plugin_settings(ReviewsSettings))
    try:
        before = await cache.client().set(cache.key(*SHOWN_WITH_KEY), now, get=True)
    except (RedisError, OSError):
        log.warning("reviews: could not compare the figures' settings (Redis unavailable)")
        return False
    # None: the first start of this version (or a Redis that lost its data): the settings are recorded
    return before is not None and (before.decode() if isinstance(before, bytes) else before) != now
