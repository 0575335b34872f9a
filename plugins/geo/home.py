"""The user's area: a coarse home point for "near me" without a GPS fix, stored only when the user sets it.

Rounded before it is stored (``home_decimals``: 2 is about a kilometre); shown to nobody but the user (core's public
profile never includes it); core deletes it with the account and includes it in the data export.
"""

from __future__ import annotations

import logging

from core.errors import ValidationFailed
from core.hooks import plugin_settings
from core.users.tables import User
from plugins.geo import GeoSettings, service
from plugins.geo.hookspecs import Point

log = logging.getLogger("plugins.geo")


def rounded(point: Point) -> Point:
    """The point as stored: rounded to ``home_decimals`` decimals of a degree."""
    decimals = plugin_settings(GeoSettings).home_decimals
    return Point(round(point.lat, decimals), round(point.lon, decimals))


async def get(user_id: int) -> Point | None:
    """The user's home point, or None."""
    row = await User.select(User.home_lat, User.home_lon).where(User.id == user_id).first()
    if row is None or row["home_lat"] is None or row["home_lon"] is None:
        return None
    return Point(row["home_lat"], row["home_lon"])


async def set_point(user_id: int, point: Point) -> Point:
    """Store the user's area (rounded) on their explicit request."""
    point = rounded(service.check_point(point.lat, point.lon, "/lat"))
    await User.update({User.home_lat: point.lat, User.home_lon: point.lon}).where(User.id == user_id)
    log.info("user %s set their home area", user_id)  # never the point itself
    return point


async def set_city(user_id: int, city: str, lang: str) -> Point:
    """Store the centre of a city as the user's area (geocoded); 422 ``city_not_found``; 503 when maps are down."""
    answer = await service.geocode(city, lang=lang, limit=1)
    if not answer.value:
        raise ValidationFailed("city not found", code="city_not_found",
                               errors=[{"pointer": "/city", "detail": "no such city"}])
    return await set_point(user_id, Point(answer.value[0].lat, answer.value[0].lon))


async def clear(user_id: int) -> None:
    """Forget the user's area."""
    await User.update({User.home_lat: None, User.home_lon: None}).where(User.id == user_id)
    log.info("user %s cleared their home area", user_id)

