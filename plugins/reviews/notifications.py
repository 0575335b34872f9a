"""The notifications of reviews: its kinds, the invitation to review, the notices its hooks and moderation ask for.

Each is asked for inside the change's transaction; notify delivers them when it is enabled.
Templates: ``templates/reviews/notifications/<language>/<kind>.txt``; their context is ``event`` (``id``,
``title``), ``review`` (``id``, ``rating``, ``text``) and, per kind, ``reply``, ``reason``, ``status``.
Invitations are keyed ``reviews.invite:<event id>``: writing the review withdraws one not yet sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import clock, notifications
from core.errors import NotFound
from core.hooks import plugin_settings
from core.notifications import Notice, NotificationKind
from core.users import services as users
from plugins.events import api as events
from plugins.events.hookspecs import EventInfo
from plugins.reviews import ReviewsSettings, sql
from plugins.reviews.hookspecs import ReviewInfo
from plugins.reviews.tables import InviteLog

log = logging.getLogger("plugins.reviews")

INVITE, NEW_REVIEW, REPLIED, TAKEN_DOWN = "reviews.invite", "reviews.new_review", "reviews.replied", "reviews.hidden"
KINDS = [
    NotificationKind(INVITE, label="Invitations to review events I attended",
                     description="At most one every 30 days, the day after an event."),
    NotificationKind(NEW_REVIEW, label="New reviews of my events"),
    NotificationKind(REPLIED, label="The organiser replied to my review"),
    NotificationKind(TAKEN_DOWN, label="A moderator hid or removed my review",
                     description="With the moderator's reason."),
]
INVITE_LIFETIME = timedelta(hours=48)  # an invitation not delivered by then (notify down, quiet hours) is dropped


def invite_key(event_id: int) -> str:
    """The key of the invitations to review an event."""
    return f"reviews.invite:{event_id}"


def subject(review_id: int) -> str:
    """What a notice is about, for the delivery log and the app."""
    return f"reviews.review:{review_id}"


def invite_moment(ends_at: datetime, timezone: str, settings: ReviewsSettings) -> datetime:
    """When an attendee in ``timezone`` is invited: their first local daytime moment in the window after the end.

    The window runs from ``invite_after_hours`` to ``invite_within_hours`` after the event's end; its end is used
    when it holds no daytime.
    """
    earliest = ends_at + timedelta(hours=settings.invite_after_hours)
    latest = max(earliest, ends_at + timedelta(hours=settings.invite_within_hours))
    try:
        zone: Any = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = earliest.astimezone(zone)
    if settings.daytime_from_hour <= local.hour < settings.daytime_to_hour:
        return earliest
    day = local.date() if local.hour < settings.daytime_from_hour else local.date() + timedelta(days=1)
    start = datetime.combine(day, time(settings.daytime_from_hour), tzinfo=zone).astimezone(UTC)
    return min(max(start, earliest), latest)


async def invite(event: EventInfo) -> int:
    """Invite the confirmed participants of a finished event (not its organiser) to review it; returns how many.

    Each at their local daytime, and at most once per ``invite_every_days``. Runs in the finisher's transaction.
    """
    settings = plugin_settings(ReviewsSettings)
    people = sorted({u for u, _ in await events.confirmed_participants(event.id) if u != event.author_id})
    if not people:
        return 0
    contacts = await users.get_contacts(people)
    moments = [invite_moment(event.ends_at, contacts[u].timezone if u in contacts else "UTC", settings)
               for u in people]
    cutoff = clock.now() - timedelta(days=settings.invite_every_days)
    claimed = {r["user_id"] for r in await InviteLog.raw(sql.CLAIM_INVITES, event.id, people, moments, cutoff)}
    by_moment: dict[datetime, list[int]] = {}
    for user_id, moment in zip(people, moments, strict=True):
        if user_id in claimed:
            by_moment.setdefault(moment, []).append(user_id)
    for moment, user_ids in sorted(by_moment.items()):
        await notifications.send(Notice(INVITE, user_ids=user_ids, context={"event": _event(event)},
                                        key=invite_key(event.id), send_at=moment,
                                        expires_at=event.ends_at + INVITE_LIFETIME, subject=f"events.event:{event.id}"))
    log.info("invited %s of %s participants of event %s to review it", len(claimed), len(people), event.id)
    return len(claimed)


def _event(event: EventInfo) -> dict[str, Any]:
    return {"id": event.id, "title": event.title, "ends_at": event.ends_at.isoformat(), "timezone": event.timezone}


async def _event_of(event_id: int) -> dict[str, Any]:
    try:
        return _event(await events.get_event_info(event_id))
    except NotFound:
        return {"id": event_id, "title": "", "ends_at": None, "timezone": "UTC"}


def _review(review: ReviewInfo | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(review, ReviewInfo):
        return {"id": review.id, "rating": review.rating, "text": review.text}
    return {"id": review["id"], "rating": review["rating"], "text": review["text"]}


async def new_review(review: ReviewInfo) -> None:
    """Tell the organiser about a review of their event that everyone can now read."""
    await notifications.send(Notice(NEW_REVIEW, user_ids=(review.organiser_id,), subject=subject(review.id),
                                    context={"event": await _event_of(review.event_id), "review": _review(review)}))


async def replied(review: ReviewInfo, reply: str) -> None:
    """Tell the review's author the organiser replied (or changed their reply)."""
    await notifications.send(Notice(REPLIED, user_ids=(review.author_id,), subject=subject(review.id),
                                    key=f"reviews.review:{review.id}:reply",
                                    context={"event": await _event_of(review.event_id), "review": _review(review),
                                             "reply": reply}))


async def taken_down(row: Mapping[str, Any], status: str, reason: str) -> None:
    """Tell the author a moderator hid (they may edit it) or removed their review, and why."""
    await notifications.send(Notice(TAKEN_DOWN, user_ids=(row["author_id"],), subject=subject(row["id"]),
                                    context={"event": await _event_of(row["event_id"]), "review": _review(row),
                                             "status": status, "reason": reason}))
