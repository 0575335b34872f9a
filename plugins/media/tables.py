"""Tables of the media plugin (schema ``media``). Private: other plugins use ``plugins.media.api``."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from core.users.tables import User


class Item(Table, schema="media"):
    """One uploaded photo or video, from the presigned upload to its deletion (``states.py`` has the moves).

    ``target``/``target_id`` is what it belongs to (``events.gallery`` 42, ``events.cover`` 42, ``reviews.review`` 7,
    ``groups.cover`` 3); ``event_id`` the event it shows (galleries, limits); ``private``: members-only, so served
    presigned and short-lived, never through the CDN. ``city``/``tags``/``taken_on`` are copied from the event for the
    shared gallery's filters. ``renditions`` lists ``{"name", "fmt", "key", "width", "height"}``.
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    uploader = ForeignKey(User, null=False, index=True)
    kind = Varchar(length=8)  # photo | video
    status = Varchar(length=16, default="uploading", index=True)
    target = Varchar(length=40)
    target_id = Integer(null=True, default=None)
    event_id = Integer(null=True, default=None, index=True)
    private = Boolean(default=False)
    public_gallery = Boolean(default=False)  # shown in the shared gallery once approved (a public event's gallery)
    city = Varchar(length=100, default="")
    tags = Array(Varchar(length=32), default=list)
    event_starts_at = Timestamptz(null=True, default=None)
    declared_type = Varchar(length=100)
    declared_bytes = BigInt()
    upload_key = Varchar(length=120, unique=True)
    sizes = Array(SmallInt(), default=list)
    content_hash = Varchar(length=64, null=True, default=None, index=True)
    mime = Varchar(length=40, default="")
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)
    duration_s = DoublePrecision(null=True, default=None)
    codecs = Varchar(length=60, default="")
    blurhash = Varchar(length=60, default="")
    color = Varchar(length=7, default="")
    phash = BigInt(null=True, default=None)
    renditions = JSONB(default=[])
    error_code = Varchar(length=40, default="")
    error_detail = Text(default="")
    hold_reason = Text(default="")
    reason = Text(default="")  # a moderator's reason for a rejection, shown to the uploader
    attempts = Integer(default=0)
    reports = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    confirmed_at = Timestamptz(null=True, default=None)
    processed_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(User, null=True, default=None)
    published_at = Timestamptz(null=True, default=None, index=True)
    deleted_at = Timestamptz(null=True, default=None)
    purged_at = Timestamptz(null=True, default=None)  # the deleted item's objects are gone


class PersonTag(Table, schema="media"):
    """A person tagged in a photo; shown to others only once the person accepted (``accepted_at``)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    item = ForeignKey(Item, null=False, index=True)
    person = ForeignKey(User, null=False, index=True)
    tagged_by = ForeignKey(User, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    accepted_at = Timestamptz(null=True, default=None)
    media_person_tag_key = Unique(["item", "person"])


class GallerySetting(Table, schema="media"):
    """Who may upload to an event's gallery, as its organiser chose: ``organiser``, ``confirmed`` or ``joined``."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    event_id = Integer(unique=True)
    uploaders = Varchar(length=16, default="confirmed")
    updated_by = ForeignKey(User, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
