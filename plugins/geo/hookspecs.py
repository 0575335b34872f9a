"""The maps-provider contract (version 1.0): what an adapter declares, returns and raises, and the hook that adds it.

A maps provider is a plugin (built into geo, or a separately installed distribution with an ``sbor.plugins`` entry
point) whose ``register_maps_providers`` returns objects satisfying :class:`MapsProvider`. Geo calls them: it orders
them per capability from ``[settings.geo]``, skips one whose circuit is open, caches, rate-limits, budgets, times out
and validates every answer, so an adapter is only an HTTP client that speaks its vendor's API and maps the answer to
the types below. ``docs/writing-a-maps-provider.md`` walks through writing one; ``plugins.geo.conformance`` is the
pytest suite every adapter's tests run.

Versioning: :data:`CONTRACT_VERSION` is ``major.minor``. An adapter declares the version it implements in
``ProviderInfo.contract``; geo loads it when the major is the same and the minor is not newer than geo's (a minor adds
optional things only). Anything else is refused at start-up, logged and shown by ``GET /api/v1/geo/providers``.

Coordinates are always WGS84 decimal degrees in the order **(lat, lon)** in these types, whatever order the vendor
uses on the wire (Yandex's ``pos`` is "lon lat", OSRM's URLs are ``lon,lat``): converting is the adapter's job, and
geo rejects an answer whose point is out of range or lies in another country than the one it claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from core.hooks import hookspec

CONTRACT_VERSION = "1.0"
"""The version of this contract geo implements (``major.minor``)."""

Capability = Literal["geocode", "reverse", "suggest", "route", "static_map", "deep_link"]
CAPABILITIES: tuple[Capability, ...] = ("geocode", "reverse", "suggest", "route", "static_map", "deep_link")
Mode = Literal["walk", "transit", "car", "bicycle"]
MODES: tuple[Mode, ...] = ("walk", "transit", "car", "bicycle")


@dataclass(frozen=True)
class Point:
    """A point, (lat, lon) in degrees."""

    lat: float
    lon: float


@dataclass(frozen=True)
class Place:
    """A geocoding answer: the point and how to show it.

    ``country_code`` is ISO 3166-1 alpha-2 (``"RU"``) when the vendor says it: geo then checks the point lies in that
    country (which catches swapped coordinates). ``precision`` is ``exact`` (a house), ``street``, ``locality``… or
    ``other``.
    """

    lat: float
    lon: float
    label: str
    country_code: str | None = None
    city: str | None = None
    address: str | None = None
    precision: str = "other"


@dataclass(frozen=True)
class Suggestion:
    """An address suggested while the user types; the point when the vendor gives one (else geocode ``label``)."""

    label: str
    detail: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Route:
    """A route: its length, the travel time (the ETA is now + ``duration_s``) and optionally its line as (lat, lon)."""

    mode: Mode
    distance_m: float
    duration_s: float
    line: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class ProviderInfo:
    """What a provider is and can do, declared once (geo reads it at start-up).

    ``regions`` are ISO country codes the vendor covers well (``("*",)`` for the world); ``languages`` the answer
    languages it supports (ISO 639-1). The limits are the defaults the vendor's terms allow; the operator may override
    each under ``[settings.geo.providers.<name>]``.
    """

    name: str
    contract: str
    capabilities: frozenset[Capability]
    languages: tuple[str, ...] = ("en",)
    regions: tuple[str, ...] = ("*",)
    modes: frozenset[Mode] = frozenset()
    attribution: str = ""
    cache_ttl_s: int = 86_400
    per_second: int = 10
    daily_budget: int = 10_000
    timeout_s: float = 5.0
    deep_link_apps: tuple[str, ...] = field(default=())


class ProviderError(Exception):
    """An adapter's failure; geo tries the next provider. ``code`` says which kind (stable, snake_case)."""

    code = "provider_error"


class ProviderRateLimited(ProviderError):
    """The vendor answered 429 (or its own quota error); ``retry_after`` (s) from its hint when it gave one."""

    code = "provider_rate_limited"

    def __init__(self, message: str = "rate limited by the vendor", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """The vendor could not be reached, timed out or answered 5xx."""

    code = "provider_unavailable"


class ProviderBadAnswer(ProviderError):
    """The answer was malformed, too large or failed validation."""

    code = "provider_bad_answer"


class ProviderRefused(ProviderError):
    """The vendor refused the request itself (4xx other than 429: a wrong key, a bad parameter)."""

    code = "provider_refused"


@runtime_checkable
class MapsProvider(Protocol):
    """An adapter. Implement the methods of the capabilities it declares; geo never calls the others.

    Every method may raise the :class:`ProviderError` subclasses above; anything else counts as a failure too.
    "Nothing found" is an empty list (or None for a route), never an error.
    """

    info: ProviderInfo

    async def geocode(self, query: str, *, lang: str, limit: int, near: Point | None) -> list[Place]:
        """Places matching an address or a name, best first."""
        ...

    async def reverse(self, point: Point, *, lang: str) -> list[Place]:
        """What is at a point (the nearest address first)."""
        ...

    async def suggest(self, text: str, *, lang: str, limit: int, near: Point | None) -> list[Suggestion]:
        """Completions of a partly typed address."""
        ...

    async def route(self, origin: Point, destination: Point, *, mode: Mode) -> Route | None:
        """A route between two points by ``mode`` (one of ``info.modes``), or None when there is none."""
        ...

    def static_map_url(self, center: Point, *, zoom: int, width: int, height: int) -> str | None:
        """The URL of a map image centred on a point with a pin (no network call)."""
        ...

    def deep_links(self, destination: Point, *, origin: Point | None, mode: Mode) -> dict[str, str]:
        """URLs that open the vendor's own app (or site) at the destination or with the route (no network call)."""
        ...

    async def aclose(self) -> None:
        """Close the provider's HTTP client (geo calls it when the app stops)."""
        ...


@hookspec
def register_maps_providers() -> list[MapsProvider]:
    """Return this plugin's maps providers (instances; names unique across plugins). Called once at start-up.

    Example::

        @hookimpl
        def register_maps_providers():
            return [YandexMaps(plugin_settings(YandexSettings))]

    Geo checks each ``info.contract`` against :data:`CONTRACT_VERSION` and leaves out (logging why) a provider with an
    incompatible one. Errors propagate (a provider that cannot be built stops start-up).
    """
