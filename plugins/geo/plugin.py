"""Hook implementations of the geo plugin: each a few lines, delegating."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl, plugin_settings
from core.hooks.registry import current
from plugins.geo import GeoSettings
from plugins.geo.hookspecs import MapsProvider


@hookimpl
def register_routes() -> list[Any]:
    """The JSON API under /api/v1/geo."""
    from plugins.geo.routes import GeoController, GeoVenueController

    return [GeoController, GeoVenueController]


@hookimpl
def register_actors() -> list[Any]:
    """Geocoding venues typed as an address."""
    from plugins.geo import venues

    return [venues.locate_venue_job]


@hookimpl
def register_metrics() -> list[Any]:
    """Each maps provider's circuit state, for Prometheus (plugins/geo/metrics.py)."""
    from plugins.geo.metrics import gauges

    return gauges()


@hookimpl
def register_maps_providers() -> list[MapsProvider]:
    """The built-in providers: Nominatim (geocoding), OSRM (routes, when its URL is set) and the map apps' links."""
    from plugins.geo.providers.links import Links
    from plugins.geo.providers.nominatim import Nominatim
    from plugins.geo.providers.osrm import Osrm

    s = plugin_settings(GeoSettings)
    out: list[MapsProvider] = [Links()]
    if s.nominatim_url:
        out.append(Nominatim(s.nominatim_url, user_agent=s.user_agent, email=s.nominatim_email,
                             max_bytes=s.max_answer_bytes))
    if s.osrm_url or s.osrm_mode_urls:
        out.append(Osrm(s.osrm_url, mode_urls=s.osrm_mode_urls, user_agent=s.user_agent,
                        max_bytes=s.max_answer_bytes))
    return out


@hookimpl
def app_started() -> None:
    """Load the providers now, so an incompatible adapter is reported at start-up (and shown by /geo/providers)."""
    from plugins.geo import broker

    broker.providers()


@hookimpl
async def app_stopping() -> None:
    """Close the providers' HTTP clients."""
    from plugins.geo import broker

    await broker.close(current())
