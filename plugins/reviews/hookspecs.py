"""Hooks the reviews plugin offers to others (notify, analytics, search implement them).

The notifications (``review_published``, ``review_hidden``, ``review_replied``) are called **inside the database
transaction of the change**, after the row and the aggregates are written: an implementation writing with Piccolo
joins it (notify's outbox, analytics' facts), so its write commits or rolls back with the review. Do no slow I/O in
them. ``review`` is always a :class:`ReviewInfo` snapshot taken after the change.

The decisions (``review_screened``, ``review_refused``) let any plugin hold a review for moderation (a text screener)
or refuse a reviewer (a check-in plugin refusing no-shows); their errors propagate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.hooks import hookspec
from core.hooks.policy import decision, notification
from plugins.events.hookspecs import EventInfo


@dataclass(frozen=True)
class ReviewInfo:
    """A snapshot of a review for other plugins (the public shape; the table is private to reviews)."""

    id: int
    event_id: int
    organiser_id: int  # the event's author when the review was written
    venue_id: int | None
    author_id: int
    rating: int  # 1..5
    text: str
    tags: tuple[str, ...]
    would_go_again: bool | None
    status: str  # held | published | hidden | removed | deleted
    created_at: datetime
    published_at: datetime | None = None


@notification
@hookspec
def review_published(review: ReviewInfo, previous: ReviewInfo | None) -> None:
    """Called when a review becomes visible to everyone, or a visible review is edited.

    ``previous`` is None when the review was not visible before (written, or approved by a moderator); otherwise it
    is the snapshot before the edit (its rating moved from ``previous.rating`` to ``review.rating``). Reviews'
    own implementation tells the organiser of a new review; analytics counts it.
    """


@notification
@hookspec
def review_hidden(review: ReviewInfo, reason: str, actor_id: int | None) -> None:
    """Called when a visible review stops being visible; ``review.status`` says why.

    ``hidden`` or ``removed``: a moderator (``actor_id``) decided, ``reason`` is what the author reads; ``held``: its
    author's edit was held for moderation; ``deleted``: its author deleted it. ``review`` keeps the rating that was
    counted, so a listener can subtract it.
    """


@notification
@hookspec
def review_replied(review: ReviewInfo, reply: str, organiser_id: int, edited: bool) -> None:
    """Called when the organiser replies in public to a visible review (``edited``: changed their reply)."""


@decision
@hookspec(firstresult=True)
def review_screened(text: str, event: EventInfo, author_id: int) -> str | None:
    """Screen a review's text before it is shown: return a reason to hold it for moderation, None to let it pass.

    Called on every write of a review's text, inside its transaction, after the built-in ``blocklist`` setting
    found nothing. The first non-None answer holds the review (the moderators see the reason). Errors propagate (the
    write fails rather than publish unscreened text).
    """


@decision
@hookspec(firstresult=True)
def review_refused(event: EventInfo, user_id: int) -> str | None:
    """Whether a confirmed participant of a finished event may not review it: a refusal code, or None to allow.

    Reviews' own rule (confirmed participation when the event ended, the organiser excluded) runs first; this
    refines it, e.g. a check-in plugin returns ``"no_show"`` for someone who never checked in. The code is the
    403 problem's ``code``. Errors propagate.
    """
