"""Request and response shapes of the events API (msgspec Structs); field rules are their ``Meta`` constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.http.params import LimitField
from core.pagination import Page
from core.users.schemas import RatingFigures

Visibility = Literal["public", "link", "group"]

# Field rules (rules that compare fields, or need settings or the database, live in validation.py).
TAG_PATTERN = "^[a-z0-9][a-z0-9-]{0,31}$"
CATEGORY_PATTERN = "^[a-z0-9][a-z0-9_-]{0,49}$"
MAX_CAPACITY = 1_000_000
MAX_PRICE_CENTS = 100_000_000

Title = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S", description="1 to 200 characters")]
Description = Annotated[str, Meta(max_length=20_000)]
Tag = Annotated[str, Meta(pattern=TAG_PATTERN, description="lower-case letters, digits or '-', 1 to 32")]
Tags = Annotated[list[Tag], Meta(max_length=10, description="at most 10 unique tags")]
Category = Annotated[str, Meta(pattern=CATEGORY_PATTERN, description="lower-case letters, digits, '_' or '-'")]
CoverRef = Annotated[str, Meta(max_length=300)]
OnlineUrl = Annotated[str, Meta(pattern=r"^https?://[^\s]{3,490}$", max_length=500, description="an http(s) URL")]
TimezoneName = Annotated[str, Meta(min_length=1, max_length=64, description="an IANA name such as Europe/Moscow")]
Capacity = Annotated[int, Meta(ge=1, le=MAX_CAPACITY)]
PriceText = Annotated[str, Meta(max_length=100)]
PriceCents = Annotated[int, Meta(ge=0, le=MAX_PRICE_CENTS, description="the lowest price in minor units; 0 = free")]
Moment = Annotated[datetime, Meta(tz=True, description="with its UTC offset, e.g. 2026-12-01T19:00:00+03:00")]
Latitude = Annotated[float, Meta(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Meta(ge=-180.0, le=180.0)]
Reason = Annotated[str, Meta(max_length=2000, description="1 to 2000 characters once trimmed")]


class VenueCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new venue."""

    name: Title
    latitude: Latitude
    longitude: Longitude
    timezone: TimezoneName
    address: Annotated[str, Meta(max_length=300)] = ""
    city: Annotated[str, Meta(max_length=100)] = ""
    pos_ref: Annotated[str, Meta(max_length=100)] | None = None


class VenueRead(msgspec.Struct):
    """A venue; ``rating``: its events' ratings (the reviews plugin), None until there are enough of them."""

    id: int
    name: str
    address: str
    city: str
    latitude: float | None  # None until an address typed without a point is geocoded (geo plugin)
    longitude: float | None
    timezone: str
    pos_ref: str | None
    rating: RatingFigures | None = None


class EventCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new event (created as a draft). Give ``venue_id`` or ``online_url`` (or both)."""

    title: Title
    starts_at: Moment
    ends_at: Moment
    description: Description = ""
    tags: Tags = []
    category: Category | None = None
    cover_ref: CoverRef | None = None
    venue_id: int | None = None
    online_url: OnlineUrl | None = None
    timezone: TimezoneName | None = None  # online events only; venue events use the venue's
    capacity: Capacity | None = None
    price_text: PriceText = ""
    price_cents: PriceCents | None = None
    visibility: Visibility = "public"
    requires_approval: bool = False
    group_id: int | None = None  # host the event for a group I moderate; ``group`` visibility: its members only


class EventUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Changes to an event; absent fields stay as they are."""

    title: Title | UnsetType = UNSET
    starts_at: Moment | UnsetType = UNSET
    ends_at: Moment | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    category: Category | UnsetType | None = UNSET
    cover_ref: CoverRef | UnsetType | None = UNSET
    venue_id: int | UnsetType | None = UNSET
    online_url: OnlineUrl | UnsetType | None = UNSET
    timezone: TimezoneName | UnsetType | None = UNSET
    capacity: Capacity | UnsetType | None = UNSET
    price_text: PriceText | UnsetType = UNSET
    price_cents: PriceCents | UnsetType | None = UNSET
    visibility: Visibility | UnsetType = UNSET
    requires_approval: bool | UnsetType = UNSET


class SeriesCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A recurring event: the first occurrence plus an RFC 5545 ``RRULE`` (e.g. ``FREQ=WEEKLY;COUNT=10``)."""

    event: EventCreate
    rrule: Annotated[str, Meta(min_length=1, max_length=500)]


class SeriesRead(msgspec.Struct):
    """A created series and its occurrence ids (in time order)."""

    id: int
    rrule: str
    timezone: str
    occurrence_ids: list[int]


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    """A reason the author and participants will read."""

    reason: Reason


class JoinBody(msgspec.Struct, forbid_unknown_fields=True):
    """Join with ``guests`` extra people (they count toward capacity; the most is the ``max_guests`` setting)."""

    guests: int = 0


class VenueBrief(msgspec.Struct):
    """The venue as shown inside an event."""

    id: int
    name: str
    address: str
    city: str


class EventRead(msgspec.Struct):
    """An event as its reader may see it; ``online_url`` only for confirmed participants and the author.

    ``rating``: its attendees' ratings (the reviews plugin), None until there are enough of them.
    """

    id: int
    title: str
    description: str
    tags: list[str]
    category: str | None
    cover_ref: str | None
    starts_at: datetime
    ends_at: datetime
    local_starts_at: str  # ISO in the event's timezone, for display
    local_ends_at: str
    timezone: str
    venue: VenueBrief | None
    latitude: float | None
    longitude: float | None
    online: bool
    online_url: str | None
    capacity: int | None
    participant_count: int
    seats_left: int | None
    price_text: str
    price_cents: int | None
    visibility: str
    requires_approval: bool
    author_id: int
    status: str
    series_id: int | None
    version: int
    updated_at: datetime
    group_id: int | None = None  # the hosting group
    my_status: str | None = None
    my_guests: int | None = None
    offer_expires_at: datetime | None = None
    share_key: str | None = None  # the author's link-only secret
    rating: RatingFigures | None = None


class FeedItem(msgspec.Struct):
    """An event in the feed; ``distance_km`` is set when the feed is sorted by distance (``near=``)."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    tags: list[str]
    category: str | None
    cover_ref: str | None
    price_text: str
    price_cents: int | None
    latitude: float | None
    longitude: float | None
    online: bool
    capacity: int | None
    seats_left: int | None
    venue_name: str | None
    city: str | None
    distance_km: float | None
    rating_rank: float | None = None  # the organiser's ranking score (reviews plugin; Bayesian), None: unrated


class MyEventItem(msgspec.Struct):
    """One of my authored events in ``/events/mine``; a deleted one is a tombstone (id, deleted, updated_at)."""

    id: int
    deleted: bool
    updated_at: datetime
    title: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    version: int | UnsetType = UNSET


class JoinedItem(msgspec.Struct):
    """One of my participations in ``/events/joined``; one no longer active is a tombstone."""

    event_id: int
    deleted: bool
    updated_at: datetime
    status: str | UnsetType = UNSET
    guests: int | UnsetType = UNSET
    offer_expires_at: datetime | UnsetType | None = UNSET
    title: str | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    event_status: str | UnsetType = UNSET


class PendingItem(msgspec.Struct):
    """An event waiting for review, in the moderation queue."""

    id: int
    title: str
    author_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue_name: str | None
    city: str | None
    latitude: float | None
    longitude: float | None
    online: bool
    capacity: int | None
    tags: list[str]
    category: str | None


class ParticipantRead(msgspec.Struct):
    """A confirmed participant visible to the reader."""

    user_id: int
    display_name: str
    guests: int


class ParticipantsPage(msgspec.Struct):
    """A page of visible participants; ``hidden`` counts those on this page whose privacy hides them from the reader."""

    items: list[ParticipantRead]
    hidden: int
    next_cursor: str | None = None


class MoveRead(msgspec.Struct):
    """One status move in an event's history."""

    actor_id: int | None
    at: datetime
    from_status: str | None
    to_status: str
    reason: str


class ParticipationRead(msgspec.Struct):
    """My place at an event."""

    event_id: int
    user_id: int
    status: str
    guests: int
    offer_expires_at: datetime | None
    updated_at: datetime


class CalendarLink(msgspec.Struct):
    """My personal calendar feed URL and its token."""

    url: str
    token: str


class FeedParams(msgspec.Struct, forbid_unknown_fields=True):
    """The feed's query parameters (``GET /events``), parsed once from the query string."""

    q: Annotated[str, Meta(max_length=200, description="full-text search")] | None = None
    tags: Annotated[str, Meta(pattern=r"^\s*[a-z0-9][a-z0-9-]{0,31}\s*(,\s*[a-z0-9][a-z0-9-]{0,31}\s*){0,9}$",
                              description="comma-separated tags the event has all of (at most 10)")] | None = None
    category: Category | None = None
    starts_from: Moment | None = msgspec.field(default=None, name="from")
    starts_to: Moment | None = msgspec.field(default=None, name="to")
    when: Literal["today", "tomorrow", "this_weekend", "next_7_days"] | None = None
    tz: TimezoneName | None = None
    # le: price_cents is a PostgreSQL integer; a larger bound would overflow the query (400, not 422)
    price_max: Annotated[int, Meta(ge=0, le=2**31 - 1, description="at most this price in minor units")] | None = None
    free: bool | None = None
    near: Annotated[str, Meta(pattern=r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$",
                              description="latitude,longitude: sorted by distance")] | None = None
    radius_km: Annotated[float, Meta(gt=0, description="with near; at most the max_radius_km setting")] | None = None
    sort: Annotated[Literal["start", "rating"], Meta(
        description="start: soonest first; rating: the organiser's rating, best first (not with near)")] = "start"
    cursor: str | None = None
    limit: LimitField = 20


__all__ = [
    "CalendarLink", "EventCreate", "EventRead", "EventUpdate", "FeedItem", "FeedParams", "JoinBody", "JoinedItem",
    "MoveRead", "MyEventItem", "Page", "ParticipantRead", "ParticipantsPage", "ParticipationRead", "PendingItem",
    "ReasonBody", "SeriesCreate", "SeriesRead", "VenueBrief", "VenueCreate", "VenueRead",
]
