"""Tables of the analytics plugin (schema ``analytics``): raw facts, rollups, experiments and the RICE board.

Users and events are referenced by plain integer ids, not foreign keys: analytics must never block deleting an
account or an event, and its raw tables are append-only.

``txid`` on the raw tables is the inserting transaction's id (``pg_current_xact_id()``); rollups advance a watermark
(a snapshot) over it, so a row committed late is never skipped nor counted twice (see ``rollups``).
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    BigInt,
    BigSerial,
    Date,
    DoublePrecision,
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


class ClientEvent(Table, schema="analytics"):
    """A client event from the mobile app (``event_viewed``, ``card_clicked``…), unique by the app's id."""

    id = BigSerial(primary_key=True)
    client_event_id = UUID(unique=True)
    name = Varchar(length=64)
    occurred_at = Timestamptz()
    received_at = Timestamptz()
    user_id = Integer(null=True, default=None)
    device_id = Varchar(length=128, null=True, default=None)
    event_id = Integer(null=True, default=None)
    props = JSONB(default="{}")
    txid = BigInt(index=True)


class Fact(Table, schema="analytics"):
    """A domain fact from the events hooks: ``submitted``, ``published``, ``joined``, ``left``, etc.

    With the reviews plugin: ``reviewed`` (a review became visible) and ``unreviewed`` (it stopped being, or an edit
    took its old rating out); ``author_id`` is the event's organiser, ``user_id`` the review's author.
    With the support plugin: ``ticket_opened``, ``ticket_replied``, ``ticket_resolved`` (``user_id`` who acted);
    they are about no event, so ``event_id`` and ``author_id`` are empty.
    With the search plugin: ``searched``, one per logged search, anonymised (no user, no event): ``query`` (the
    normalised words) and ``results`` (how many events it found).
    """

    id = BigSerial(primary_key=True)
    kind = Varchar(length=32)
    event_id = Integer(null=True, default=None, index=True)
    author_id = Integer(null=True, default=None)
    user_id = Integer(null=True, default=None)
    occurred_at = Timestamptz()
    duration_s = DoublePrecision(null=True, default=None)  # submit → decision, on published/rejected
    rating = SmallInt(null=True, default=None)  # reviewed/unreviewed: the stars counted in or out
    tags = Array(Varchar(length=32), default=list)  # reviewed/unreviewed: the review's tags
    query = Varchar(length=200, null=True, default=None)  # searched: the words searched
    results = Integer(null=True, default=None)  # searched: how many events it found
    txid = BigInt(index=True)


class RollupWatermark(Table, schema="analytics"):
    """How far the rollups have read: the snapshot of the last refresh, and its xmin (all rows below are read)."""

    name = Varchar(length=64, unique=True)
    position = BigInt(default=0)
    snapshot = Text(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class EventDaily(Table, schema="analytics"):
    """Per event and UTC day: views, unique viewers of the day, joins, leaves, waitlisted, reviews and their stars.

    ``reviews`` and ``rating_sum`` are net changes of the day (a review hidden later is subtracted on that day).
    """

    event_id = Integer()
    day = Date()
    views = Integer(default=0)
    unique_viewers = Integer(default=0)
    joins = Integer(default=0)
    leaves = Integer(default=0)
    waitlisted = Integer(default=0)
    reviews = Integer(default=0)
    rating_sum = Integer(default=0)
    unique_event_day = Unique(["event_id", "day"])


class EventReviewTag(Table, schema="analytics"):
    """Per event and review tag: how many visible reviews carry it (reviews plugin)."""

    event_id = Integer()
    tag = Varchar(length=32)
    reviews = Integer(default=0)
    unique_event_review_tag = Unique(["event_id", "tag"])


class EventTotal(Table, schema="analytics"):
    """Per event: distinct viewers over its whole life (cannot be summed from the daily figures)."""

    event_id = Integer(unique=True)
    unique_viewers = Integer(default=0)


class EventViewer(Table, schema="analytics"):
    """Who has viewed an event (``u:<user>`` or ``d:<device>``): the set behind ``EventTotal.unique_viewers``."""

    event_id = Integer()
    viewer = Varchar(length=140)
    unique_event_viewer = Unique(["event_id", "viewer"])


class EventViewerDay(Table, schema="analytics"):
    """Who viewed an event on a day: the set behind ``EventDaily.unique_viewers``."""

    event_id = Integer()
    day = Date()
    viewer = Varchar(length=140)
    unique_event_viewer_day = Unique(["event_id", "day", "viewer"])


class PlatformDaily(Table, schema="analytics"):
    """Per UTC day, for admins: active users, events submitted/published, joins, moderation, tickets, searches."""

    day = Date(unique=True)
    active_users = Integer(default=0)
    client_events = BigInt(default=0)
    events_submitted = Integer(default=0)
    events_published = Integer(default=0)
    joins = Integer(default=0)
    leaves = Integer(default=0)
    moderation_decisions = Integer(default=0)
    moderation_seconds = DoublePrecision(default=0.0)
    tickets_opened = Integer(default=0)  # support plugin: tickets opened, public replies, tickets resolved
    tickets_replied = Integer(default=0)
    tickets_resolved = Integer(default=0)
    searches = Integer(default=0)  # search plugin: searches logged, and those that found nothing
    searches_no_results = Integer(default=0)


class ActiveActor(Table, schema="analytics"):
    """Who was active on a day: the set behind ``PlatformDaily.active_users``."""

    day = Date()
    actor = Varchar(length=140)
    unique_day_actor = Unique(["day", "actor"])


class Experiment(Table, schema="analytics"):
    """An A/B test: variants with weights (JSON list), moved draft → running → stopped."""

    id = Serial(primary_key=True)
    key = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    description = Text(default="")
    status = Varchar(length=16, default="draft")
    variants = JSONB(default="[]")
    goal = Varchar(length=64, default="")
    created_by = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    stopped_at = Timestamptz(null=True, default=None)


class Exposure(Table, schema="analytics"):
    """A subject (user or device) shown a variant of an experiment, and whether it converted."""

    id = Serial(primary_key=True)
    experiment = ForeignKey(Experiment, null=False, on_delete=OnDelete.cascade)
    subject = Varchar(length=140)
    variant = Varchar(length=64)
    exposed_at = Timestamptz()
    converted_at = Timestamptz(null=True, default=None)
    unique_experiment_subject = Unique(["experiment", "subject"])


class Idea(Table, schema="analytics"):
    """A feature idea on the RICE board; ``score`` = reach x impact x confidence / effort, kept on every write."""

    id = Serial(primary_key=True)
    title = Varchar(length=200)
    description = Text(default="")
    reach = Integer(default=0)
    impact = DoublePrecision(default=1.0)
    confidence = Integer(default=100)  # percent
    effort = DoublePrecision(default=1.0)  # person-months
    score = DoublePrecision(default=0.0, index=True)
    status = Varchar(length=16, default="open")
    created_by = Integer()
    updated_by = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
