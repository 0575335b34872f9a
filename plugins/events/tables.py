"""Tables of the events plugin (schema ``events``). Private: other plugins use ``plugins.events.api``."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Array,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.users.tables import User


class Venue(Table, schema="events"):
    """A place where events happen; its timezone is the one events there are shown in."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    name = Varchar(length=200)
    address = Varchar(length=300, default="")
    city = Varchar(length=100, default="", index=True)
    latitude = DoublePrecision(null=True, default=None, index=True)  # None until an address is geocoded (geo)
    longitude = DoublePrecision(null=True, default=None)
    timezone = Varchar(length=64, default="UTC")
    located = Varchar(length=16, default="manual")  # manual | pinned | geocoded | pending | failed (geo plugin)
    address_key = Varchar(length=300, default="", index=True)  # core.geo.address_key(address): de-duplication
    pos_ref = Varchar(length=100, null=True, default=None)  # link to a point-of-sale system (orders plugin)
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    rating_figures = JSONB(null=True, default=None)  # core.users.schemas.RatingFigures, set by reviews (api.py)


class Series(Table, schema="events"):
    """A recurring event: an RFC 5545 rule expanded in the venue's local time into occurrence events."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    author = ForeignKey(User, null=False, index=True)
    rrule = Text()
    timezone = Varchar(length=64, default="UTC")
    created_at = Timestamptz(default=TimestamptzNow())


class Event(Table, schema="events"):
    """An event. Times are UTC; ``timezone`` is the venue's (or the author's for online events).

    ``latitude``/``longitude`` are copied from the venue so the near-me feed reads one indexed table;
    ``seats_taken`` (confirmed + offered seats, guests included) is kept under the event's row lock.
    ``search`` (a generated tsvector) exists only in the database (raw migration step).
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    title = Varchar(length=200)
    description = Text(default="")
    tags = Array(Varchar(length=32), default=list)
    category = Varchar(length=50, null=True, default=None, index=True)
    cover_ref = Varchar(length=300, null=True, default=None)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    timezone = Varchar(length=64, default="UTC")
    venue = ForeignKey(Venue, null=True, index=True)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    online_url = Varchar(length=500, null=True, default=None)
    capacity = Integer(null=True, default=None)
    seats_taken = Integer(default=0)
    price_text = Varchar(length=100, default="")
    price_cents = Integer(null=True, default=None)  # the lowest price in minor units; 0 = free; None = unknown
    visibility = Varchar(length=16, default="public")  # public | link | group
    group_id = Integer(null=True, default=None, index=True)  # the hosting group (groups plugin); no foreign key
    share_key = Varchar(length=32, default="")  # the secret in a link-only event's link
    requires_approval = Boolean(default=False)
    author = ForeignKey(User, null=False, index=True)
    status = Varchar(length=20, default="draft", index=True)
    series = ForeignKey(Series, null=True, index=True)
    version = Integer(default=1)
    submitted_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)
    deleted_at = Timestamptz(null=True, default=None)
    rating_rank = DoublePrecision(null=True, default=None)  # the organiser's ranking score, set by reviews (feed sort)
    rating_figures = JSONB(null=True, default=None)  # the event's own: core.users.schemas.RatingFigures, set by reviews


class Participation(Table, schema="events"):
    """A user's place at an event. Rows are kept after leaving (status ``left``) so clients can sync tombstones."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    event = ForeignKey(Event, null=False, index=True)
    user = ForeignKey(User, null=False, index=True)
    guests = Integer(default=0)
    status = Varchar(length=16)  # pending | confirmed | waitlisted | offered | left | declined | expired
    queued_at = Timestamptz(default=TimestamptzNow())  # waitlist order
    offer_expires_at = Timestamptz(null=True, default=None)
    party_id = Integer(null=True, default=None, index=True)  # a pair joining together: both seats or none
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)


class StatusMove(Table, schema="events"):
    """One move of an event's status: who, when, from, to, why."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    event = ForeignKey(Event, null=False, index=True)
    actor = ForeignKey(User, null=True)
    from_status = Varchar(length=20, null=True, default=None)
    to_status = Varchar(length=20)
    reason = Text(default="")
    at = Timestamptz(default=TimestamptzNow())


class CalendarToken(Table, schema="events"):
    """A personal, revocable calendar feed token (only its SHA-256 is stored)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    user = ForeignKey(User, null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
