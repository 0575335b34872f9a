"""Venues from addresses: geocoded in the background (or placed from a suggestion), the pin movable, no duplicates."""

from __future__ import annotations

import logging

from core.errors import NotFound, PermissionDenied
from core.hooks import plugin_settings
from core.jobs import job
from plugins.events import api as events
from plugins.geo import GeoSettings, service
from plugins.geo.broker import MapsUnavailable
from plugins.geo.hookspecs import Point

log = logging.getLogger("plugins.geo")


async def duplicate_of(name: str, address: str, city: str, point: Point | None) -> events.VenueInfo | None:
    """The existing venue a new one would duplicate, if any.

    Without a point: one with the same address and city. With a point: one within ``venue_duplicate_m`` that has the
    same address or the same name (or one with the same address not located yet).
    """
    same = await events.venues_with_address(address, city)
    if point is None:
        return same[0] if same else None
    unlocated = [v for v in same if v.latitude is None]
    if unlocated:
        return unlocated[0]
    radius_km = plugin_settings(GeoSettings).venue_duplicate_m / 1000
    if radius_km <= 0:
        return same[0] if same else None
    same_ids, key_name = {v.id for v in same}, name.strip().casefold()
    for venue, _km in await events.venues_near(point.lat, point.lon, radius_km):
        if venue.id in same_ids or venue.name.strip().casefold() == key_name:
            return venue
    return None


async def add(user_id: int, *, name: str, address: str, city: str, point: Point | None,
              lang: str) -> tuple[events.VenueInfo, bool]:
    """Create a venue (or find the one it duplicates: then ``True``).

    With a point (the organiser picked a suggestion or placed a pin) the time zone comes from it at once; without one
    the venue is ``pending`` and the job ``geo.locate_venue`` geocodes it.
    """
    address = service.check_address(address, "/address")
    lang = service.check_lang(lang)
    if point is not None:
        point = service.check_point(point.lat, point.lon, "/latitude")
    existing = await duplicate_of(name, address, city, point)
    if existing is not None:
        return existing, True
    if point is None:
        venue = await events.create_located_venue(name=name, address=address, city=city, latitude=None,
                                                  longitude=None, timezone="UTC", located="pending",
                                                  created_by=user_id)
        await locate_venue_job.enqueue(venue.id, lang)
        return venue, False
    venue = await events.create_located_venue(name=name, address=address, city=city, latitude=point.lat,
                                              longitude=point.lon, timezone=service.timezone_at(point),
                                              located="pinned", created_by=user_id)
    return venue, False


async def move_pin(user_id: int, venue_id: int, point: Point, *, moderator: bool) -> events.VenueInfo:
    """Move a venue's pin (its creator or a moderator): the point and the time zone there; its events follow."""
    venue = await events.venue_location(venue_id)
    if venue.created_by != user_id and not moderator:
        raise PermissionDenied("only the venue's creator or a moderator moves its pin", code="not_venue_creator")
    point = service.check_point(point.lat, point.lon, "/latitude")
    return await events.locate_venue(venue_id, latitude=point.lat, longitude=point.lon,
                                     timezone=service.timezone_at(point), located="pinned")


async def locate(venue_id: int, lang: str) -> str:
    """Geocode a pending venue's address (the background job; idempotent). Returns what became of it.

    Raises MapsUnavailable while no provider can answer, so the job is retried later.
    """
    try:
        venue = await events.venue_location(venue_id)
    except NotFound:
        return "gone"
    if venue.located != "pending":
        return venue.located
    query = ", ".join(p for p in (venue.address, venue.city) if p)
    try:
        answer = await service.geocode(query, lang=lang, limit=1)
    except MapsUnavailable:
        log.warning("venue %s: no maps provider answered; the job will retry", venue_id)
        raise
    if not answer.value:
        await events.locate_venue(venue_id, latitude=None, longitude=None, timezone=venue.timezone, located="failed")
        log.info("venue %s: address not found by %s; the organiser places the pin", venue_id, answer.provider)
        return "failed"
    place = answer.value[0]
    point = Point(place.lat, place.lon)
    await events.locate_venue(venue_id, latitude=point.lat, longitude=point.lon,
                              timezone=service.timezone_at(point), located="geocoded")
    log.info("venue %s geocoded by %s", venue_id, answer.provider)
    return "geocoded"


@job("geo.locate_venue", max_retries=8, min_backoff=5_000, max_backoff=600_000)
async def locate_venue_job(venue_id: int, lang: str = "en") -> str:
    """Geocode a pending venue (idempotent: a venue already located is left alone); retried while maps are down."""
    return await locate(venue_id, lang)
