"""Request and response shapes of geo's routes (msgspec; field rules as constraints)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Latitude = Annotated[float, Meta(ge=-90.0, le=90.0, description="degrees, -90 to 90")]
Longitude = Annotated[float, Meta(ge=-180.0, le=180.0, description="degrees, -180 to 180")]
Address = Annotated[str, Meta(min_length=1, max_length=300)]
Lang = Annotated[str, Meta(pattern=r"^[a-z]{2}$", description="two-letter language code of the answer")]
ModeField = Literal["walk", "transit", "car", "bicycle"]


class PointBody(msgspec.Struct, forbid_unknown_fields=True):
    """A point (the user's position is used for this answer only and never stored)."""

    lat: Latitude
    lon: Longitude


class PlaceRead(msgspec.Struct):
    """A geocoding answer."""

    lat: float
    lon: float
    label: str
    country_code: str | None
    city: str | None
    address: str | None
    precision: str
    timezone: str


class PlacesRead(msgspec.Struct):
    """Places and who answered (``provider``; ``cached`` when from the cache); attribution to show with them."""

    items: list[PlaceRead]
    provider: str | None
    cached: bool
    attribution: str


class SuggestionRead(msgspec.Struct):
    """An address suggested while typing (a point when the provider gave one)."""

    label: str
    detail: str
    lat: float | None
    lon: float | None


class SuggestionsRead(msgspec.Struct):
    """Suggestions and who answered."""

    items: list[SuggestionRead]
    provider: str | None
    cached: bool
    attribution: str


class DirectionsBody(msgspec.Struct, forbid_unknown_fields=True):
    """Where the user is (optional: without it only the links) and how they travel."""

    origin: PointBody | None = None
    mode: ModeField = "walk"


class RouteRead(msgspec.Struct):
    """A provider's route: its length, the travel time, the line to draw as [lat, lon] pairs."""

    mode: str
    distance_m: float
    duration_s: float
    line: list[tuple[float, float]]


class DirectionsRead(msgspec.Struct):
    """How to get to an event: the route and ETA (or the straight-line estimate) and links to the map apps."""

    event_id: int
    destination: PointBody
    mode: str
    route: RouteRead | None
    provider: str | None
    fallback: bool  # true: no provider routed it; ``straight_km`` and ``walking_minutes`` are the estimate
    straight_km: float | None
    walking_minutes: int | None
    eta: datetime | None
    links: dict[str, str]
    static_map_url: str | None


class VenueBody(msgspec.Struct, forbid_unknown_fields=True):
    """A venue by its address; with ``latitude``/``longitude`` when the organiser picked a suggestion or a pin."""

    name: Annotated[str, Meta(min_length=1, max_length=200)]
    address: Address
    city: Annotated[str, Meta(max_length=100)] = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    lang: Lang = "en"


class PinBody(msgspec.Struct, forbid_unknown_fields=True):
    """The venue's pin, moved on the map."""

    latitude: Latitude
    longitude: Longitude


class LocatedVenueRead(msgspec.Struct):
    """A venue as geo shows it: ``located`` is manual, pinned, geocoded, pending (being geocoded) or failed."""

    id: int
    name: str
    address: str
    city: str
    latitude: float | None
    longitude: float | None
    timezone: str
    located: str
    duplicate: bool = False  # true: this venue already existed (same address, or same name close by)


class VenueNearRead(msgspec.Struct):
    """A venue near a point, with the distance."""

    id: int
    name: str
    address: str
    city: str
    latitude: float
    longitude: float
    timezone: str
    distance_km: float


class HomeBody(msgspec.Struct, forbid_unknown_fields=True):
    """The user's area: a point (rounded before it is stored) or a city to geocode."""

    lat: Latitude | None = None
    lon: Longitude | None = None
    city: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    lang: Lang = "en"


class HomeRead(msgspec.Struct):
    """The user's coarse home point (rounded; null when not set). Shown to nobody else."""

    lat: float | None
    lon: float | None


class MapProviderRead(msgspec.Struct):
    """A maps provider: what it can do, where, whether its circuit is open (or why it was refused)."""

    name: str
    plugin: str | None
    contract: str
    capabilities: list[str]
    modes: list[str]
    languages: list[str]
    regions: list[str]
    attribution: str
    circuit_open: bool
    refused: str | None
