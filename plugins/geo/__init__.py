"""Geo: geocoding, routes and "how to get there" through maps-provider plugins; venues located, the user's area."""

from __future__ import annotations

from typing import Annotated

import msgspec

from core.manifest import Manifest

ProviderNames = list[Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]]


class ProviderLimits(msgspec.Struct, forbid_unknown_fields=True):
    """The operator's overrides of one provider's limits (``[settings.geo.providers.<name>]``); unset: the provider's.

    ``cache_ttl_s`` is how long answers may be kept (the vendor's terms decide); ``per_second`` and ``daily_budget``
    cap the calls this deployment makes (across all processes: counted in Redis); ``timeout_s`` bounds each call.
    """

    cache_ttl_s: Annotated[int, msgspec.Meta(ge=0, le=31_536_000)] | None = None
    per_second: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None
    daily_budget: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] | None = None
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=60)] | None = None


class GeoSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the geo plugin, from ``[settings.geo]`` in plugins.toml.

    The lists order the providers per capability: geo tries them in that order and skips one whose circuit is open,
    whose rate or daily budget is spent, or that does not declare the capability. Names are providers' ``info.name``
    (built in: ``nominatim``, ``osrm``, ``links``; others come from installed adapters such as ``yandex``).
    """

    geocode: ProviderNames = msgspec.field(default_factory=lambda: ["nominatim"])
    reverse: ProviderNames = msgspec.field(default_factory=lambda: ["nominatim"])
    suggest: ProviderNames = msgspec.field(default_factory=lambda: ["nominatim"])
    route: ProviderNames = msgspec.field(default_factory=lambda: ["osrm"])
    static_map: ProviderNames = msgspec.field(default_factory=list)
    deep_link: ProviderNames = msgspec.field(default_factory=lambda: ["links"])
    providers: dict[str, ProviderLimits] = msgspec.field(default_factory=dict)

    nominatim_url: str = "https://nominatim.openstreetmap.org"
    """Nominatim's base URL (self-hosted, or OSMF's public server: then 1 request/s and no typing suggestions)."""
    nominatim_email: str = ""
    """A contact address sent with every Nominatim request (its usage policy asks for one for heavier use)."""
    osrm_url: str = ""
    """OSRM's base URL (``osrm-routed``; empty: no OSRM routes). One instance serves one profile..."""
    osrm_mode_urls: dict[str, str] = msgspec.field(default_factory=dict)
    """...so a mode may have its own: ``{walk = "http://osrm-foot:5000", bicycle = "http://osrm-bike:5000"}``."""
    user_agent: Annotated[str, msgspec.Meta(min_length=8, max_length=200)] = "Sbor/0.1 (events platform; geo plugin)"
    """The User-Agent of every provider call (Nominatim refuses stock library ones); name your deployment here."""

    max_answer_bytes: Annotated[int, msgspec.Meta(ge=1024, le=50_000_000)] = 2_000_000
    """A vendor answer larger than this is refused before it is parsed."""
    circuit_failures: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 5
    """Consecutive failures of a provider (within ``circuit_open_s``) that open its circuit."""
    circuit_open_s: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 60
    """How long an open circuit skips the provider (a 429's Retry-After, when longer, wins)."""
    walking_kmh: Annotated[float, msgspec.Meta(gt=0, le=20)] = 4.5
    """The walking pace of the offline estimate."""
    venue_duplicate_m: Annotated[int, msgspec.Meta(ge=0, le=5000)] = 100
    """A new venue with the same address as one within this distance is that venue (0: by address only)."""
    home_decimals: Annotated[int, msgspec.Meta(ge=0, le=3)] = 2
    """The user's home point is rounded to this many decimals of a degree (2: about 1 km) before it is stored."""
    lookups_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 60
    """Geocoding, suggestions and routes a user may ask for per minute (protects the providers' budgets)."""


manifest = Manifest(
    name="geo",
    version="0.1.0",
    summary="Geocoding, routes and directions through maps-provider plugins; venues located; the user's area",
    depends={"events": ">=0.1,<1"},
    core=">=0.1,<1",
    settings=GeoSettings,
    public_settings=("walking_kmh",),
)
