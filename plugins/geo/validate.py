"""Answers checked before use: coordinates finite, in range and in the (lat, lon) order; sizes and texts bounded."""

from __future__ import annotations

import math
from typing import Any

from core.geo import valid_point
from plugins.geo import zones
from plugins.geo.hookspecs import Mode, Place, ProviderBadAnswer, Route, Suggestion

MAX_TEXT = 500
MAX_LINE_POINTS = 5_000


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ProviderBadAnswer(f"{what} is not text")
    return value.strip()[:MAX_TEXT]


def _point(lat: Any, lon: Any, what: str) -> None:
    if not (isinstance(lat, int | float) and isinstance(lon, int | float)):
        raise ProviderBadAnswer(f"{what}: coordinates are not numbers")
    if not valid_point(lat, lon):
        swapped = valid_point(lon, lat) if math.isfinite(lat) and math.isfinite(lon) else False
        raise ProviderBadAnswer(f"{what}: ({lat}, {lon}) is not a point on Earth"
                                + (" (swapped coordinates?)" if swapped else ""))


def swapped(lat: float, lon: float, country_code: str) -> bool:
    """Whether a point claimed to be in ``country_code`` lies there only with latitude and longitude exchanged."""
    here = zones.countries_at(lat, lon)
    if not here or country_code in here or not valid_point(lon, lat):
        return False
    return country_code in zones.countries_at(lon, lat)


def places(items: Any, limit: int) -> list[Place]:
    """A provider's places, checked; raises ProviderBadAnswer on the first bad one (the answer is not trusted)."""
    if not isinstance(items, list):
        raise ProviderBadAnswer("places: not a list")
    out = []
    for item in items[:limit]:
        if not isinstance(item, Place):
            raise ProviderBadAnswer("places: not a Place")
        _point(item.lat, item.lon, "place")
        label = _text(item.label, "place label")
        if not label:
            raise ProviderBadAnswer("place: empty label")
        cc = item.country_code.strip().upper() if isinstance(item.country_code, str) and item.country_code else None
        if cc is not None and swapped(item.lat, item.lon, cc):
            raise ProviderBadAnswer(f"place {label!r}: ({item.lat}, {item.lon}) lies in {cc} only when swapped")
        out.append(Place(lat=float(item.lat), lon=float(item.lon), label=label, country_code=cc,
                         city=_text(item.city, "city") or None if item.city is not None else None,
                         address=_text(item.address, "address") or None if item.address is not None else None,
                         precision=_text(item.precision or "other", "precision")))
    return out


def suggestions(items: Any, limit: int) -> list[Suggestion]:
    """A provider's suggestions, checked."""
    if not isinstance(items, list):
        raise ProviderBadAnswer("suggestions: not a list")
    out = []
    for item in items[:limit]:
        if not isinstance(item, Suggestion):
            raise ProviderBadAnswer("suggestions: not a Suggestion")
        if (item.lat is None) != (item.lon is None):
            raise ProviderBadAnswer("suggestion: half a point")
        if item.lat is not None:
            _point(item.lat, item.lon, "suggestion")
        label = _text(item.label, "suggestion label")
        if label:
            out.append(Suggestion(label=label, detail=_text(item.detail or "", "detail"), lat=item.lat, lon=item.lon))
    return out


def route(item: Any, mode: Mode) -> Route | None:
    """A provider's route, checked (None stays None: no route is an answer)."""
    if item is None:
        return None
    if not isinstance(item, Route):
        raise ProviderBadAnswer("route: not a Route")
    for value in (item.distance_m, item.duration_s):
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ProviderBadAnswer(f"route: distance or duration {value!r}")
    if item.mode != mode:
        raise ProviderBadAnswer(f"route: asked for {mode}, answered {item.mode}")
    for lat, lon in item.line[:MAX_LINE_POINTS]:
        _point(lat, lon, "route line")
    return Route(mode=mode, distance_m=float(item.distance_m), duration_s=float(item.duration_s),
                 line=tuple(item.line[:MAX_LINE_POINTS]))
