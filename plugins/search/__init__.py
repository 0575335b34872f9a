"""Search: events (and groups, venues, organisers) on PostgreSQL or Typesense, facets, and the "for you" feed."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.manifest import Manifest, Secret


class Weights(msgspec.Struct, forbid_unknown_fields=True):
    """The weights of the "for you" score (one set per experiment variant)."""

    interest: Annotated[float, Meta(ge=0, le=100)] = 3.0
    """The user's liking for the event's tags and category (profile interests and decaying history)."""
    distance: Annotated[float, Meta(ge=0, le=100)] = 2.0
    """Closeness to the user's home (decays with ``distance_km``)."""
    soon: Annotated[float, Meta(ge=0, le=100)] = 0.5
    """How soon the event starts (decays with ``soon_days``)."""
    popularity: Annotated[float, Meta(ge=0, le=100)] = 1.0
    """How many people joined (log scale) and the organiser's rating."""
    social: Annotated[float, Meta(ge=0, le=100)] = 2.0
    """Members of the user's groups who are going."""


class SearchSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the search plugin, from ``[settings.search]`` in plugins.toml (checked at start-up)."""

    backend: Literal["postgres", "typesense"] = "postgres"
    """``postgres``: full-text search in the database (no extra server); ``typesense``: typo tolerance and facets."""
    typesense_urls: Annotated[str, Meta(pattern=r"^$|^https?://[^\s,/]+/?(\s*,\s*https?://[^\s,/]+/?)*$")] = ""
    """The Typesense cluster: its nodes' URLs, comma-separated. Empty: manage.py and the tests run one themselves."""
    typesense_api_key: Secret = ""
    """The Typesense API key (``SBOR_PLUGINS__SEARCH__TYPESENSE_API_KEY``)."""
    collection: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,40}$")] = "sbor"
    """Prefix of the Typesense aliases (``<collection>_events``, ``<collection>_directory``)."""
    fallback: bool = True
    """When Typesense fails, answer from PostgreSQL (header ``Search-Fallback``); false: 503 ``search_unavailable``."""
    timeout_s: Annotated[float, Meta(gt=0, le=30)] = 2.0
    """Typesense request timeout."""
    batch_size: Annotated[int, Meta(ge=1, le=10_000)] = 500
    """Outbox rows applied per batch."""
    max_results: Annotated[int, Meta(ge=20, le=10_000)] = 1000
    """How deep a search may page (cursor pages past this are refused)."""
    query_log_days: Annotated[int, Meta(ge=1, le=3650)] = 90
    """How long the anonymised query log is kept."""
    weights: Weights = msgspec.field(default_factory=Weights)
    """The default weights of the "for you" score."""
    experiment: Annotated[str, Meta(max_length=64)] = ""
    """An analytics experiment whose variant picks the weights (``variants``); empty: no experiment."""
    variants: dict[str, Weights] = {}
    """Weights per experiment variant key; a variant not listed uses ``weights``."""
    distance_km: Annotated[float, Meta(gt=0, le=1000)] = 15.0
    """The distance at which the closeness score halves (roughly)."""
    soon_days: Annotated[float, Meta(gt=0, le=365)] = 14.0
    """The number of days at which the soonness score halves (roughly)."""
    history_days: Annotated[float, Meta(gt=0, le=3650)] = 120.0
    """How fast a joined/reviewed/viewed event's tags fade from the user's interests."""


manifest = Manifest(
    name="search",
    version="0.1.0",
    summary="Search with facets on PostgreSQL or Typesense, and the personal \"for you\" feed",
    depends={"events": ">=0.1,<1"},
    core=">=0.1,<1",
    settings=SearchSettings,
    public_settings=("backend", "fallback"),
)


def typesense_nodes(settings: SearchSettings) -> list[str]:
    """The URLs of the configured Typesense nodes."""
    return [u.strip().rstrip("/") for u in settings.typesense_urls.split(",") if u.strip()]
