"""A search request checked and resolved: words, filters, date windows in the user's time zone, sort, page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidParameter
from core.pagination import decode_cursor, encode_cursor
from plugins.search import text
from plugins.search.schemas import FACETS, SearchParams

SCOPE = "search.events"
Window = tuple[datetime, datetime]


@dataclass
class EventQuery:
    """What both backends answer: the same words, filters, sort and page."""

    now: datetime
    words: list[str] = field(default_factory=list)
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    city: str | None = None
    window: Window | None = None  # UTC bounds of ``when`` in the user's time zone
    price: str | None = None  # free | paid
    online: bool | None = None
    has_seats: bool | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    sort: str = "date"
    facets: list[str] = field(default_factory=list)
    buckets: dict[str, Window] = field(default_factory=dict)  # the date facet's buckets, in the user's time zone
    offset: int = 0
    limit: int = 20
    scope: str = SCOPE

    def next_cursor(self, found: int, max_results: int) -> str | None:
        """The cursor of the page after this one, if there is one within ``max_results``."""
        after = self.offset + self.limit
        return encode_cursor(after, scope=self.scope) if after < min(found, max_results) else None


def bad(parameter: str, detail: str, code: str = "invalid_parameter") -> InvalidParameter:
    """A 400 naming the parameter."""
    return InvalidParameter(detail, code=code, errors=[{"parameter": parameter, "in": "query", "detail": detail}])


def date_buckets(now: datetime, tz: ZoneInfo) -> dict[str, Window]:
    """Today, tomorrow, this weekend and the next 7 days as UTC bounds of the user's local calendar."""
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)

    def at(days: int) -> datetime:  # wall-clock midnight ``days`` ahead, across DST changes
        day = (midnight + timedelta(days=days)).replace(tzinfo=None)
        return day.replace(tzinfo=tz).astimezone(now.tzinfo)

    weekday = midnight.weekday()  # Monday 0 … Sunday 6
    saturday = -1 if weekday == 6 else 5 - weekday
    return {"today": (at(0), at(1)), "tomorrow": (at(1), at(2)),
            "this_weekend": (at(max(saturday, 0)) if saturday >= 0 else at(0), at(saturday + 2)),
            "next_7_days": (now, now + timedelta(days=7))}


def parse(params: SearchParams, now: datetime, max_results: int) -> EventQuery:
    """The rules that compare parameters or resolve them (the struct checked each alone)."""
    q = EventQuery(now=now, words=text.tokens(params.q), category=params.category, city=params.city,
                   price=params.price, online=params.online, has_seats=params.has_seats, limit=params.limit)
    if params.tags:
        q.tags = sorted({t.strip() for t in params.tags.split(",") if t.strip()})
    try:
        tz = ZoneInfo(params.tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise bad("tz", f"unknown time zone {params.tz!r} (use an IANA name such as Europe/Moscow)",
                  "invalid_timezone") from None
    q.buckets = date_buckets(now, tz)
    if params.when is not None:
        q.window = q.buckets[params.when]
    if params.near is not None:
        lat, lng = (float(x) for x in params.near.split(","))
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise bad("near", "coordinates out of range", "coordinates_out_of_range")
        q.near, q.radius_km = (lat, lng), params.radius_km or 25.0
    elif params.radius_km is not None:
        raise bad("radius_km", "radius_km needs near=lat,lng")
    q.sort = params.sort or ("relevance" if q.words else "distance" if q.near else "date")
    if q.sort == "distance" and q.near is None:
        raise bad("sort", "sort=distance needs near=lat,lng", "near_required")
    if params.facets:
        q.facets = list(dict.fromkeys(f.strip() for f in params.facets.split(",") if f.strip()))
        unknown = [f for f in q.facets if f not in FACETS]
        if unknown:
            raise bad("facets", f"unknown facet {unknown[0]!r}; known: {', '.join(FACETS)}", "unknown_facet")
    q.scope = f"{SCOPE}:{fingerprint(params, q)}"
    if params.cursor:
        (q.offset,) = decode_cursor(params.cursor, int, scope=q.scope)  # another query's cursor: 400 invalid_cursor
        if not 0 < q.offset < max_results:
            raise bad("cursor", "the cursor is past the deepest page", "invalid_cursor")
    return q


def fingerprint(params: SearchParams, q: EventQuery) -> str:
    """What makes two requests the same query (a cursor of one serves the other): everything but page and facets."""
    key = "\0".join(str(v) for v in (
        " ".join(q.words), q.category, ",".join(q.tags), q.city, params.when, params.tz, q.price, q.online,
        q.has_seats, q.near, q.radius_km, q.sort))
    return hashlib.sha256(key.encode()).hexdigest()[:16]
