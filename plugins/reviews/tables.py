"""Tables of the reviews plugin (schema ``reviews``). Private: other plugins use ``plugins.reviews.hookspecs``.

Events are referenced by plain ids (their table is private to events, and a review outlives a deleted event in its
author's export); users by foreign key to core's table.
"""

from __future__ import annotations

from piccolo.columns import (
    Array,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from core.users.tables import User


class Review(Table, schema="reviews"):
    """One user's review of one event; ``status`` moves only as ``states.MOVES`` allows.

    ``organiser_id`` and ``venue_id`` are copied from the event when the review is written: the aggregates they feed
    are updated from the review row alone. ``flagged_at`` is set while the review waits in the moderation queue
    (held by screening, or reported); ``event_deleted`` hides it everywhere but its author's export.
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    event_id = Integer(index=True)
    organiser_id = Integer(index=True)
    venue_id = Integer(null=True, default=None, index=True)
    author = ForeignKey(User, null=False, index=True)
    rating = SmallInt()
    text = Text(default="")
    tags = Array(Varchar(length=32), default=list)
    media_refs = Array(Varchar(length=300), default=list)
    would_go_again = Boolean(null=True, default=None)
    status = Varchar(length=16, index=True)  # held | published | hidden | removed
    hold_reason = Varchar(length=200, default="")  # why screening held it (moderators only)
    hidden_reason = Text(default="")  # why a moderator hid it (the author reads it)
    flagged_at = Timestamptz(null=True, default=None, index=True)
    open_reports = Integer(default=0)
    helpful = Integer(default=0)
    reply = Text(null=True, default=None)
    replied_at = Timestamptz(null=True, default=None)
    reply_edited_at = Timestamptz(null=True, default=None)
    event_deleted = Boolean(default=False)
    listed = Boolean(default=True)  # the event was public: the review shows on its organiser's and venue's pages
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    review_event_author_key = Unique(["event_id", "author"])


class ReviewMove(Table, schema="reviews"):
    """One move of a review's status: who, when, from, to, why (the moderators' history)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    review = ForeignKey(Review, null=False, index=True, on_delete=OnDelete.cascade)
    actor_id = Integer(null=True, default=None)
    from_status = Varchar(length=16, null=True, default=None)
    to_status = Varchar(length=16)
    reason = Text(default="")
    at = Timestamptz(default=TimestamptzNow())


class Helpful(Table, schema="reviews"):
    """A user found a review helpful (once per user and review)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    review = ForeignKey(Review, null=False, index=True, on_delete=OnDelete.cascade)
    user_id = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
    helpful_review_user_key = Unique(["review", "user_id"])


class Aggregate(Table, schema="reviews"):
    """Published reviews of one target (``event``, ``organiser`` or ``venue``): how many, their sum and histogram.

    Kept incrementally in the transaction of each review change (one atomic upsert adding the change's deltas), never
    recounted.
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    target = Varchar(length=16)
    target_id = Integer()
    reviews = Integer(default=0)  # how many published reviews
    total = Integer(default=0)  # the sum of their ratings
    stars_1 = Integer(default=0)
    stars_2 = Integer(default=0)
    stars_3 = Integer(default=0)
    stars_4 = Integer(default=0)
    stars_5 = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())
    aggregate_target_key = Unique(["target", "target_id"])


class InviteLog(Table, schema="reviews"):
    """The last invitation to review each user got (at most one per ``invite_every_days``)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    user_id = Integer(unique=True)
    event_id = Integer()
    sent_at = Timestamptz()


class Sweep(Table, schema="reviews"):
    """How far the deleted-events sweep has read events' deletions (one row)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    name = Varchar(length=32, unique=True)
    position = Timestamptz()
