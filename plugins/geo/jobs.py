"""Background jobs of geo: geocoding a venue typed as an address."""

from __future__ import annotations

from core.jobs import job
from plugins.geo import venues


@job("geo.locate_venue", max_retries=8, min_backoff=5_000, max_backoff=600_000)
async def locate_venue(venue_id: int, lang: str = "en") -> str:
    """Geocode a pending venue (idempotent: a venue already located is left alone); retried while maps are down."""
    return await venues.locate(venue_id, lang)
