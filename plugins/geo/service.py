"""Geo's lookups: geocode, reverse, suggest, route (with the offline fallback), deep links, static maps. No Litestar."""

from __future__ import annotations

import logging
import re

from core.errors import InvalidParameter, ValidationFailed
from core.geo import haversine_km, valid_point, walking_minutes
from core.hooks import plugin_settings
from plugins.geo import GeoSettings, validate, zones
from plugins.geo.broker import Answer, MapsUnavailable, Via, ask, cache_key, normalise, providers
from plugins.geo.hookspecs import MODES, MapsProvider, Mode, Place, Point, Route, Suggestion

log = logging.getLogger("plugins.geo")

MAX_ADDRESS = 300
"""The longest address accepted (the venue column holds 300 characters)."""
MAX_RESULTS = 10
_LANG = re.compile(r"^[a-z]{2}$")


def _fail(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, code=code, errors=[{"pointer": pointer, "detail": detail}])


def check_point(lat: float, lon: float, pointer: str = "") -> Point:
    """A point from user input; 422 ``coordinates_out_of_range`` for NaN, infinities, |lat| > 90, |lon| > 180."""
    if not valid_point(lat, lon):
        raise _fail(pointer or "/lat", f"({lat}, {lon}) is not a point on Earth (lat -90..90, lon -180..180)",
                    "coordinates_out_of_range")
    return Point(float(lat), float(lon))


def check_address(text: str, pointer: str = "/q") -> str:
    """An address from user input, trimmed: 422 ``address_empty`` or ``address_too_long`` (over 300 characters)."""
    text = " ".join(text.split())
    if not text:
        raise _fail(pointer, "the address is empty", "address_empty")
    if len(text) > MAX_ADDRESS:
        raise _fail(pointer, f"the address is longer than {MAX_ADDRESS} characters", "address_too_long")
    return text


def check_lang(lang: str) -> str:
    """A two-letter language code (``ru``, ``en``), lower-cased; 422 ``invalid_language`` otherwise."""
    lang = lang.strip().lower()
    if not _LANG.match(lang):
        raise _fail("/lang", "lang is a two-letter code such as ru or en", "invalid_language")
    return lang


def check_limit(limit: int) -> int:
    """1 to ``MAX_RESULTS`` answers (the route's parameter has the same rule; callers in code are told, not clamped)."""
    if not 1 <= limit <= MAX_RESULTS:
        raise InvalidParameter("limit must be 1 to %(max_results)s", params={"max_results": MAX_RESULTS}, errors=[
            {"parameter": "limit", "in": "query", "detail": f"1 to {MAX_RESULTS}"}])
    return limit


async def geocode(query: str, *, lang: str = "en", limit: int = 5, near: Point | None = None,
                  via: Via | None = None) -> Answer[list[Place]]:
    """Places for an address, best first (an empty list when nothing matches). MapsUnavailable when no provider can."""
    query, lang, limit = check_address(query), check_lang(lang), check_limit(limit)
    key = cache_key("geocode", lang, f"{limit}\x00{normalise(query)}")
    return await ask("geocode", lambda p: p.geocode(query, lang=lang, limit=limit, near=near),
                     lambda raw: validate.places(raw, limit), list[Place], key=key, via=via)


async def reverse(point: Point, *, lang: str = "en", via: Via | None = None) -> Answer[list[Place]]:
    """What is at a point (nearest first); cached per point rounded to about a metre."""
    point, lang = check_point(point.lat, point.lon), check_lang(lang)
    key = cache_key("reverse", lang, f"{point.lat:.5f},{point.lon:.5f}")
    return await ask("reverse", lambda p: p.reverse(point, lang=lang),
                     lambda raw: validate.places(raw, MAX_RESULTS), list[Place], key=key, via=via)


async def suggest(text: str, *, lang: str = "en", limit: int = 5,
                  near: Point | None = None, via: Via | None = None) -> Answer[list[Suggestion]]:
    """Completions of a partly typed address."""
    text, lang, limit = check_address(text), check_lang(lang), check_limit(limit)
    key = cache_key("suggest", lang, f"{limit}\x00{normalise(text)}")
    return await ask("suggest", lambda p: p.suggest(text, lang=lang, limit=limit, near=near),
                     lambda raw: validate.suggestions(raw, limit), list[Suggestion], key=key, via=via)


async def route(origin: Point, destination: Point, *, mode: Mode = "walk",
                via: Via | None = None) -> Answer[Route | None]:
    """A route by the first provider that routes ``mode``. Never cached: the origin is the user's position."""
    if mode not in MODES:
        raise _fail("/mode", f"mode is one of {', '.join(MODES)}", "invalid_mode")
    origin, destination = check_point(origin.lat, origin.lon, "/origin"), check_point(destination.lat,
                                                                                       destination.lon, "/destination")

    async def call(p: MapsProvider) -> Route | None:
        return await p.route(origin, destination, mode=mode)

    # A provider that does not route this mode is passed over (not "no route"): the next in the order may route it.
    return await ask("route", call, lambda raw: validate.route(raw, mode), Route | None, via=via,
                     offers=lambda p: mode in p.info.modes)


def straight_line(origin: Point, destination: Point) -> tuple[float, int]:
    """The great-circle km and the walking estimate in minutes (the offline answer when no route can be had)."""
    km = haversine_km(origin.lat, origin.lon, destination.lat, destination.lon)
    return km, walking_minutes(km, plugin_settings(GeoSettings).walking_kmh)


async def route_or_estimate(origin: Point, destination: Point, mode: Mode) -> tuple[Route | None, str | None]:
    """A provider's route, or (None, None) when none is configured, all are down or none connects the points."""
    try:
        answer = await route(origin, destination, mode=mode)
    except MapsUnavailable:
        return None, None
    return answer.value, answer.provider


def deep_links(destination: Point, origin: Point | None, mode: Mode) -> dict[str, str]:
    """Links to the map apps from every ``deep_link`` provider, in the operator's order (the first keeps an app)."""
    links: dict[str, str] = {}
    for provider in reversed(providers().order("deep_link", plugin_settings(GeoSettings))):
        try:
            links.update(provider.deep_links(destination, origin=origin, mode=mode))
        except Exception:  # a link is a convenience: one adapter's bug must not cost the others
            log.exception("maps provider %s: deep links failed", provider.info.name)
    return links


def static_map_url(center: Point, *, zoom: int = 15, width: int = 600, height: int = 400) -> str | None:
    """A map image URL from the first ``static_map`` provider that gives one."""
    for provider in providers().order("static_map", plugin_settings(GeoSettings)):
        try:
            url = provider.static_map_url(center, zoom=zoom, width=width, height=height)
        except Exception:
            log.exception("maps provider %s: static map failed", provider.info.name)
            continue
        if url:
            return url
    return None


def timezone_at(point: Point) -> str:
    """The IANA time zone at a point, offline (``UTC`` when the data has none there)."""
    return zones.timezone_at(point.lat, point.lon) or "UTC"
