"""Yandex Maps for Sbor's geo plugin: Geocoder, Geosuggest, Router and Static API, and deep links to Yandex Maps."""

from __future__ import annotations

from typing import Annotated

import msgspec

from core.manifest import Manifest, Secret


class YandexSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the Yandex provider: ``[settings.maps_yandex]``, keys also from ``SBOR_PLUGINS__MAPS_YANDEX__*``.

    Yandex issues a key per API in its developer dashboard: a capability is offered only when its key is set. The
    cache TTL defaults to one day; set what your agreement with Yandex allows.
    """

    api_key: Secret = ""
    """The JavaScript API and HTTP Geocoder key (geocoding, reverse geocoding)."""
    suggest_api_key: Secret = ""
    """The Geosuggest key (addresses as the user types)."""
    router_api_key: Secret = ""
    """The Router API key (routes and travel times by car, on foot, by public transport)."""
    static_api_key: Secret = ""
    """The Static API key (map images; the URL carries it, so restrict the key by HTTP Referer)."""
    geocoder_url: str = "https://geocode-maps.yandex.ru/v1"
    suggest_url: str = "https://suggest-maps.yandex.ru/v1"
    router_url: str = "https://api.routing.yandex.net/v2"
    static_url: str = "https://static-maps.yandex.ru/v1"
    cache_ttl_s: Annotated[int, msgspec.Meta(ge=0, le=2_592_000)] = 86_400
    per_second: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 20
    daily_budget: Annotated[int, msgspec.Meta(ge=0)] = 1000
    """The free tier's daily request limit; raise it to your contract's."""
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=30)] = 5.0


manifest = Manifest(
    name="maps_yandex",
    version="0.1.0",
    summary="Yandex Maps provider for geo (Geocoder, Geosuggest, Router, Static API, deep links)",
    depends={"geo": ">=0.1,<1"},
    core=">=0.1,<1",
    settings=YandexSettings,
)
