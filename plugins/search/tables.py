"""Tables of the search plugin (schema ``search``): the outbox, PostgreSQL's index, synonyms, the query log, signals."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Array,
    BigSerial,
    Boolean,
    DoublePrecision,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table


class Outbox(Table, schema="search"):
    """A change to index, written in the transaction of the change; the ``search.apply`` job applies it.

    One row per target (``postgres`` always: it is the default index and the fallback; ``typesense`` when that is
    the backend), so an outage of one delays only its own rows.
    """

    id = BigSerial(primary_key=True)
    target = Varchar(length=16)  # postgres | typesense
    kind = Varchar(length=16)  # event | group | venue | organiser | synonyms
    ref_id = Integer()
    payload = JSONB(null=True, default=None)  # groups: their snapshot (search does not depend on groups)
    attempts = Integer(default=0)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class EventDoc(Table, schema="search"):
    """PostgreSQL's search index of public, published events: one denormalised row per event.

    ``search`` (a generated tsvector, Russian and English stems) exists only in the database (raw migration step).
    """

    event_id = Integer(primary_key=True)
    title = Varchar(length=200)
    description = Text(default="")
    tags = Array(Varchar(length=32), default=list)
    category = Varchar(length=50, null=True, default=None)
    city = Varchar(length=100, default="")
    venue_id = Integer(null=True, default=None)
    venue_name = Varchar(length=200, default="")
    author_id = Integer()
    group_id = Integer(null=True, default=None)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    timezone = Varchar(length=64, default="UTC")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    online = Boolean(default=False)
    price_cents = Integer(null=True, default=None)
    seats_left = Integer(null=True, default=None)  # None: no capacity
    rating = DoublePrecision(null=True, default=None)
    joined = Integer(default=0)  # seats taken: the popularity signal
    indexed_at = Timestamptz(default=TimestamptzNow())


class DirectoryDoc(Table, schema="search"):
    """PostgreSQL's index of groups, venues and organisers (``search`` tsvector generated in the database)."""

    id = BigSerial(primary_key=True)
    kind = Varchar(length=16)  # group | venue | organiser
    ref_id = Integer()
    title = Varchar(length=200)
    subtitle = Varchar(length=300, default="")
    city = Varchar(length=100, default="")
    tags = Array(Varchar(length=32), default=list)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    weight = Integer(default=0)  # members, upcoming events: the tie-break
    indexed_at = Timestamptz(default=TimestamptzNow())
    kind_ref = Unique(["kind", "ref_id"])


class Synonym(Table, schema="search"):
    """A set of words that mean the same in search (``кино, фильм``), edited by the operator in the admin panel."""

    id = BigSerial(primary_key=True)
    words = Array(Varchar(length=64), default=list)
    updated_at = Timestamptz(default=TimestamptzNow())


class QueryLog(Table, schema="search"):
    """One search as typed (normalised, no user, no address) with its result count: the admin panel's reports."""

    id = BigSerial(primary_key=True)
    query = Varchar(length=200, index=True)
    results = Integer()
    backend = Varchar(length=16)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class Signal(Table, schema="search"):
    """What a user did with an event, for "for you": joined, reviewed (with a rating), viewed, dismissed."""

    id = BigSerial(primary_key=True)
    user_id = Integer(index=True)
    event_id = Integer(index=True)
    kind = Varchar(length=16)  # joined | reviewed | viewed | dismissed
    tags = Array(Varchar(length=32), default=list)
    category = Varchar(length=50, null=True, default=None)
    author_id = Integer(null=True, default=None)
    strength = DoublePrecision(default=1.0)
    at = Timestamptz(default=TimestamptzNow())
    user_event_kind = Unique(["user_id", "event_id", "kind"])


class BlockedOrganiser(Table, schema="search"):
    """An organiser a user never wants to see in "for you"."""

    id = BigSerial(primary_key=True)
    user_id = Integer()
    organiser_id = Integer()
    at = Timestamptz(default=TimestamptzNow())
    user_organiser = Unique(["user_id", "organiser_id"])


class Membership(Table, schema="search"):
    """Who is an active member of which group (recorded from groups' hooks when groups is enabled)."""

    id = BigSerial(primary_key=True)
    group_id = Integer(index=True)
    user_id = Integer(index=True)
    group_user = Unique(["group_id", "user_id"])


class Going(Table, schema="search"):
    """Who takes part in which upcoming event (from events' hooks): "3 members of your group are going"."""

    id = BigSerial(primary_key=True)
    event_id = Integer(index=True)
    user_id = Integer(index=True)
    event_user = Unique(["event_id", "user_id"])
