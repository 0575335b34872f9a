"""Request and response shapes of the events API (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

Visibility = Literal["public", "link", "group"]


class VenueCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new venue."""

    name: str
    latitude: float
    longitude: float
    timezone: str
    address: str = ""
    city: str = ""
    pos_ref: str | None = None


class VenueRead(msgspec.Struct):
    """A venue."""

    id: int
    name: str
    address: str
    city: str
    latitude: float
    longitude: float
    timezone: str
    pos_ref: str | None


class EventCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new event (created as a draft). Give ``venue_id`` or ``online_url`` (or both)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    tags: list[str] = []
    category: str | None = None
    cover_ref: str | None = None
    venue_id: int | None = None
    online_url: str | None = None
    timezone: str | None = None  # online events only; venue events use the venue's
    capacity: int | None = None
    price_text: str = ""
    price_cents: int | None = None
    visibility: Visibility = "public"
    requires_approval: bool = False


class EventUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Changes to an event; absent fields stay as they are."""

    title: str | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    description: str | UnsetType = UNSET
    tags: list[str] | UnsetType = UNSET
    category: str | UnsetType | None = UNSET
    cover_ref: str | UnsetType | None = UNSET
    venue_id: int | UnsetType | None = UNSET
    online_url: str | UnsetType | None = UNSET
    timezone: str | UnsetType | None = UNSET
    capacity: int | UnsetType | None = UNSET
    price_text: str | UnsetType = UNSET
    price_cents: int | UnsetType | None = UNSET
    visibility: Visibility | UnsetType = UNSET
    requires_approval: bool | UnsetType = UNSET


class SeriesCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A recurring event: the first occurrence plus an RFC 5545 ``RRULE`` (e.g. ``FREQ=WEEKLY;COUNT=10``)."""

    event: EventCreate
    rrule: str


class SeriesRead(msgspec.Struct):
    """A created series and its occurrence ids (in time order)."""

    id: int
    rrule: str
    timezone: str
    occurrence_ids: list[int]


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    """A reason the author and participants will read."""

    reason: str


class JoinBody(msgspec.Struct, forbid_unknown_fields=True):
    """Join with ``guests`` extra people (they count toward capacity)."""

    guests: int = 0


class VenueBrief(msgspec.Struct):
    """The venue as shown inside an event."""

    id: int
    name: str
    address: str
    city: str


class EventRead(msgspec.Struct):
    """An event as its reader may see it; ``online_url`` only for confirmed participants and the author."""

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
    my_status: str | None = None
    my_guests: int | None = None
    offer_expires_at: datetime | None = None
    share_key: str | None = None  # the author's link-only secret


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


class ParticipantRead(msgspec.Struct):
    """A confirmed participant visible to the reader."""

    user_id: int
    display_name: str
    guests: int
