"""Request and response shapes of the search API (msgspec Structs); field rules are their ``Meta`` constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.http.params import LimitField

MAX_QUERY = 200
FACETS = ("category", "tags", "city", "date", "price", "online", "seats")
SORTS = ("relevance", "date", "distance", "rating")
WHEN = ("today", "tomorrow", "this_weekend", "next_7_days")

Word = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,49}$")]
# A city name: letters of any script, digits, spaces and . ' - only, so it can never close a Typesense string.
City = Annotated[str, Meta(pattern=r"^[^\W_][\w .'-]{0,99}$", description="a city name as in events' venues")]


class SearchParams(msgspec.Struct, forbid_unknown_fields=True):
    """The query parameters of ``GET /search/events``, parsed once from the query string."""

    q: Annotated[str, Meta(max_length=MAX_QUERY, description="what to look for; typed as it comes")] | None = None
    category: Word | None = None
    tags: Annotated[str, Meta(pattern=r"^\s*[a-z0-9][a-z0-9-]{0,31}\s*(,\s*[a-z0-9][a-z0-9-]{0,31}\s*){0,9}$",
                              description="comma-separated tags the event has all of (at most 10)")] | None = None
    city: City | None = None
    when: Literal["today", "tomorrow", "this_weekend", "next_7_days"] | None = None
    tz: Annotated[str, Meta(min_length=1, max_length=64, description="the user's IANA time zone")] | None = None
    price: Literal["free", "paid"] | None = None
    online: bool | None = None
    has_seats: bool | None = None
    near: Annotated[str, Meta(pattern=r"^-?\d{1,3}(\.\d{1,12})?,-?\d{1,3}(\.\d{1,12})?$",
                              description="latitude,longitude")] | None = None
    radius_km: Annotated[float, Meta(gt=0, le=500, description="with near")] | None = None
    sort: Literal["relevance", "date", "distance", "rating"] | None = None
    facets: Annotated[str, Meta(max_length=200, description=f"comma-separated, of: {', '.join(FACETS)}")] | None = None
    cursor: Annotated[str, Meta(max_length=2048)] | None = None
    limit: LimitField = 20


class DirectoryParams(msgspec.Struct, forbid_unknown_fields=True):
    """The query parameters of ``GET /search/directory``."""

    q: Annotated[str, Meta(max_length=MAX_QUERY)]
    kind: Literal["group", "venue", "organiser"] | None = None
    cursor: Annotated[str, Meta(max_length=2048)] | None = None
    limit: LimitField = 20


class EventHit(msgspec.Struct):
    """An event found; ``distance_km`` when ``near`` was given."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    tags: list[str]
    category: str | None
    city: str
    venue_name: str
    online: bool
    price_cents: int | None
    seats_left: int | None
    latitude: float | None
    longitude: float | None
    rating: float | None
    distance_km: float | None = None


class FacetCount(msgspec.Struct):
    """One value of a facet and how many results have it."""

    value: str
    count: int


class EventResults(msgspec.Struct):
    """A page of results: ``found`` counts them all; ``facets`` has the counts asked for (``facets=``)."""

    items: list[EventHit]
    found: int
    facets: dict[str, list[FacetCount]]
    next_cursor: str | None = None


class DirectoryHit(msgspec.Struct):
    """A group, venue or organiser found."""

    kind: str
    id: int
    title: str
    subtitle: str
    city: str


class DirectoryResults(msgspec.Struct):
    """A page of groups, venues and organisers found."""

    items: list[DirectoryHit]
    found: int
    next_cursor: str | None = None


class Features(msgspec.Struct):
    """What the active backend can do, so the app can show or hide it."""

    backend: str
    typo_tolerance: bool
    facet_counts: bool
    prefix: bool
    stemming: bool
    synonyms: bool
    fallback: bool
    facets: list[str]
    sorts: list[str]


class Reason(msgspec.Struct):
    """Why an event is in "for you": a code to branch on, and its values (``{"tag": "board-games"}``)."""

    code: str  # interest | nearby | group_going | popular | soon | well_rated
    text: str
    values: dict[str, str | int | float] = {}


class ForYouItem(msgspec.Struct):
    """An event recommended to me, with its score and why."""

    event: EventHit
    score: float
    reasons: list[Reason]


class ForYouPage(msgspec.Struct):
    """A page of "for you"; ``variant`` is the experiment variant whose weights ranked it (if any)."""

    items: list[ForYouItem]
    next_cursor: str | None = None
    variant: str | None = None


class DismissBody(msgspec.Struct, forbid_unknown_fields=True):
    """Hide an event from "for you", or every event of its organiser (``organiser: true``)."""

    event_id: Annotated[int, Meta(ge=1)]
    organiser: bool = False


class ViewedBody(msgspec.Struct, forbid_unknown_fields=True):
    """The app showed me this event's page (it teaches "for you" what I look at)."""

    event_id: Annotated[int, Meta(ge=1)]
