"""The public Python API of geo for other plugins (and adapters): import only this (and ``hookspecs``).

The near-a-point helper is core's (``core.geo``: a bounding box on indexed coordinates refined by great-circle
distance) so that events, groups and search use it without depending on geo; it is re-exported here for plugins that
do depend on geo.
"""

from __future__ import annotations

from core.geo import Box, address_key, bounding_box, distance_sql, haversine_km, valid_point, walking_minutes
from plugins.geo import GeoSettings
from plugins.geo.broker import Answer, MapsUnavailable, compatible
from plugins.geo.hookspecs import (
    CONTRACT_VERSION,
    MapsProvider,
    Mode,
    Place,
    Point,
    ProviderBadAnswer,
    ProviderError,
    ProviderInfo,
    ProviderRateLimited,
    ProviderRefused,
    ProviderUnavailable,
    Route,
    Suggestion,
)
from plugins.geo.http import get_json, make_client, retry_after
from plugins.geo.service import deep_links, geocode, reverse, route, static_map_url, straight_line, suggest, timezone_at


def user_agent() -> str:
    """The User-Agent every provider sends (``[settings.geo] user_agent``): adapters use it for their clients."""
    from core.hooks import plugin_settings

    return plugin_settings(GeoSettings).user_agent


__all__ = [
    "CONTRACT_VERSION", "Answer", "Box", "MapsProvider", "MapsUnavailable", "Mode", "Place", "Point",
    "ProviderBadAnswer", "ProviderError", "ProviderInfo", "ProviderRateLimited", "ProviderRefused",
    "ProviderUnavailable", "Route", "Suggestion", "address_key", "bounding_box", "compatible", "deep_links",
    "distance_sql", "geocode", "get_json", "haversine_km", "make_client", "retry_after", "reverse", "route",
    "static_map_url", "straight_line", "suggest", "timezone_at", "user_agent", "valid_point", "walking_minutes",
]
