"""Venues as the geo plugin locates them: created with or without a point, the pin moved, found by address or distance.

A venue typed as an address has no point until geo geocodes it (``located = "pending"``); moving the pin (or the
geocoder's answer) copies the point and time zone onto the venue's events that have not ended, as creating an event
at the venue does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from core import clock, db
from core.errors import NotFound
from core.geo import address_key, bounding_box
from plugins.events import cache as event_cache
from plugins.events import sql, validation
from plugins.events.store import transaction
from plugins.events.tables import Event, Venue

log = logging.getLogger("plugins.events")

LOCATED = ("manual", "pinned", "geocoded", "pending", "failed")


@dataclass(frozen=True)
class VenueInfo:
    """A venue for other plugins (the table is private to events); ``latitude`` None until it is located."""

    id: int
    name: str
    address: str
    city: str
    latitude: float | None
    longitude: float | None
    timezone: str
    located: str  # manual | pinned | geocoded | pending | failed
    created_by: int | None = None


_COLUMNS = (Venue.id, Venue.name, Venue.address, Venue.city, Venue.latitude, Venue.longitude, Venue.timezone,
            Venue.located, Venue.created_by)


def _info(row: dict[str, Any]) -> VenueInfo:
    return VenueInfo(id=row["id"], name=row["name"], address=row["address"], city=row["city"],
                     latitude=row["latitude"], longitude=row["longitude"], timezone=row["timezone"],
                     located=row["located"], created_by=row.get("created_by"))


async def create(*, name: str, address: str, city: str, latitude: float | None, longitude: float | None,
                 timezone: str, located: str, created_by: int | None) -> VenueInfo:
    """Insert a venue (the caller checked the point; the time zone must exist)."""
    validation.timezone(timezone)
    if located not in LOCATED:
        raise ValueError(f"located must be one of {LOCATED}")
    rows = await Venue.insert(Venue(
        name=name.strip(), address=address.strip(), city=city.strip(), latitude=latitude, longitude=longitude,
        timezone=timezone, located=located, address_key=address_key(f"{address}, {city}"), created_by=created_by,
        created_at=clock.now(),
    )).returning(*_COLUMNS)
    log.info("user %s created venue %s (%s)", created_by, rows[0]["id"], located)
    return _info(rows[0])


async def get(venue_id: int) -> VenueInfo:
    """A venue; NotFound ``venue_not_found``."""
    row = await Venue.select(*_COLUMNS).where(Venue.id == venue_id).first()
    if row is None:
        raise NotFound("venue %(venue_id)s not found", params={"venue_id": venue_id}, code="venue_not_found")
    return _info(row)


async def locate(venue_id: int, *, latitude: float | None, longitude: float | None, timezone: str,
                 located: str) -> VenueInfo:
    """Set a venue's point and time zone and copy them onto its events that have not ended; returns the venue."""
    validation.timezone(timezone)
    now = clock.now()
    async with transaction():
        rows = await Venue.update({Venue.latitude: latitude, Venue.longitude: longitude, Venue.timezone: timezone,
                                   Venue.located: located}).where(Venue.id == venue_id).returning(*_COLUMNS)
        if not rows:
            raise NotFound("venue %(venue_id)s not found", params={"venue_id": venue_id}, code="venue_not_found")
        moved = await Event.update({Event.latitude: latitude, Event.longitude: longitude, Event.timezone: timezone,
                                    Event.updated_at: now, Event.version: Event.version + 1}).where(
            Event.venue == venue_id, Event.deleted_at.is_null(), Event.ends_at > now).returning(Event.id)
        await event_cache.touched([r["id"] for r in moved])  # after the commit: cards and the feed show the point
    log.info("venue %s located (%s) at %s, %s; %s events follow", venue_id, located, latitude, longitude, len(moved))
    return _info(rows[0])


async def with_address(address: str, city: str) -> list[VenueInfo]:
    """Venues whose address (with the city) normalises to the same key, oldest first."""
    rows = await Venue.select(*_COLUMNS).where(Venue.address_key == address_key(f"{address}, {city}")).order_by(
        Venue.id).limit(20)
    return [_info(r) for r in rows]


async def near(latitude: float, longitude: float, radius_km: float, limit: int = 20) -> list[tuple[VenueInfo, float]]:
    """Located venues within ``radius_km`` of a point, nearest first, with the distance in km."""
    box = bounding_box(latitude, longitude, radius_km)
    rows = await db.fetch(sql.VENUES_NEAR, latitude, longitude, box.lat_lo, box.lat_hi, box.lng_lo, box.lng_hi,
                          radius_km, limit)
    return [(_info(r), float(r["distance_km"])) for r in rows]
