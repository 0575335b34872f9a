"""Points near a point: one bounding box on indexed coordinates refined by great-circle distance, for every plugin.

The events feed, the groups search and geo's venues ask the same question ("what lies within ``radius_km`` of this
point, nearest first, with the distance?") and answer it the same way: a latitude band (and, away from the
antimeridian, a longitude band) that a plain B-tree index on ``(latitude, longitude)`` serves, then the exact
great-circle distance on the few rows inside the box. PostgreSQL here has no PostGIS nor earthdistance, so the
distance is the haversine formula in SQL. This module is pure (no database, no plugin): plugins build their complete
statements from :func:`distance_sql` at import time and pass :func:`bounding_box`'s bounds as arguments.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG), the one every distance here uses."""
KM_PER_DEG_LAT = 111.045
"""Kilometres per degree of latitude (and of longitude at the equator) on that sphere, rounded up a little."""


@dataclass(frozen=True)
class Box:
    """The bounds that contain every point within a radius: a latitude band and, unless it wraps, a longitude band.

    ``lng_lo``/``lng_hi`` are None when the box would cross the antimeridian or reach a pole (then only the latitude
    band narrows the search; the distance still filters exactly).
    """

    lat_lo: float
    lat_hi: float
    lng_lo: float | None
    lng_hi: float | None


def valid_point(lat: float, lng: float) -> bool:
    """Whether ``(lat, lng)`` is a point on Earth: finite, latitude in [-90, 90], longitude in [-180, 180]."""
    return math.isfinite(lat) and math.isfinite(lng) and -90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0


def bounding_box(lat: float, lng: float, radius_km: float) -> Box:
    """The box around ``(lat, lng)`` containing every point within ``radius_km`` (never smaller than the circle)."""
    dlat = radius_km / KM_PER_DEG_LAT
    lat_lo, lat_hi = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    dlng = radius_km / (KM_PER_DEG_LAT * max(math.cos(math.radians(lat)), 1e-6))
    if dlng < 180 and -180 <= lng - dlng and lng + dlng <= 180:  # the box does not wrap around the antimeridian
        return Box(lat_lo, lat_hi, lng - dlng, lng + dlng)
    return Box(lat_lo, lat_hi, None, None)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The great-circle distance in km between two points (the same formula as :func:`distance_sql`)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_sql(lat_column: str, lng_column: str, lat_arg: str, lng_arg: str) -> str:
    """The SQL expression of the great-circle km between a row's columns and a point given as arguments.

    ``distance_sql("e.latitude", "e.longitude", "$3", "$4")``; the arguments may carry casts (``"$4::float8"``).
    Only identifiers and placeholders go in here, never values: the result is part of a constant statement.
    """
    return (
        f"{EARTH_RADIUS_KM} * 2 * asin(sqrt(power(sin(radians({lat_column} - {lat_arg}) / 2), 2) "
        f"+ cos(radians({lat_arg})) * cos(radians({lat_column})) "
        f"* power(sin(radians({lng_column} - {lng_arg}) / 2), 2)))"
    )


WALKING_KMH = 4.5
"""A walking pace for estimates when no routing provider answers."""
DETOUR = 1.3
"""Streets are longer than the straight line: a typical ratio of route to great-circle distance in cities."""


def walking_minutes(distance_km: float, kmh: float = WALKING_KMH) -> int:
    """An estimate of the minutes on foot for a straight-line distance (at least 1)."""
    return max(1, round(distance_km * DETOUR / kmh * 60))


_SPACES = re.compile(r"\s+")
_PUNCT_SPACING = re.compile(r"\s*([,.;])\s*")


def address_key(text: str) -> str:
    """An address as compared for de-duplication and caching: NFKC, case-folded, "yo" as "ye", spacing collapsed.

    ``"Москва,  Тверская ул., 1"`` and ``"москва, тверская ул. ,1"`` give the same key.
    """
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u0451", "\u0435")  # yo -> ye
    return _PUNCT_SPACING.sub(r"\1 ", _SPACES.sub(" ", text)).strip(" ,.;")


__all__ = [
    "DETOUR", "EARTH_RADIUS_KM", "KM_PER_DEG_LAT", "WALKING_KMH", "Box", "address_key", "bounding_box", "distance_sql",
    "haversine_km", "valid_point", "walking_minutes",
]
