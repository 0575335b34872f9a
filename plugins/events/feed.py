"""The public feed: full-text, tags, category, date windows, price and near-me, with keyset cursors (raw SQL)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import clock, db
from core.errors import ValidationFailed
from plugins.events import validation
from plugins.events.reads import decode_cursor, encode_cursor

EARTH_KM = 6371.0088
KM_PER_DEG_LAT = 111.045
WHEN = ("today", "tomorrow", "this_weekend", "next_7_days")
# Timezones span UTC-12..UTC+14: a local wall-clock window lies inside this UTC margin (keeps the index usable).
TZ_MARGIN = timedelta(hours=14)
NARROW_FIRST = 4  # near-me tries radius / 4 first

COLUMNS = (
    "e.id, e.title, e.starts_at, e.ends_at, e.timezone, e.tags, e.category, e.cover_ref, e.price_text, "
    "e.price_cents, e.latitude, e.longitude, (e.online_url IS NOT NULL) AS online, e.capacity, "
    "CASE WHEN e.capacity IS NULL THEN NULL ELSE greatest(e.capacity - e.seats_taken, 0) END AS seats_left, "
    "v.name AS venue_name, v.city"
)
FEED_WHERE = "e.status = 'published' AND e.visibility = 'public' AND e.deleted_at IS NULL"


@dataclass
class FeedQuery:
    """Validated feed parameters."""

    now: datetime
    limit: int = 20
    q: str | None = None
    tags: list[str] = field(default_factory=list)
    category: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    local_window: tuple[datetime, datetime] | None = None  # naive wall-clock bounds in each event's timezone
    price_max: int | None = None
    near: tuple[float, float] | None = None
    radius_km: float = 10.0
    after: list[Any] | None = None


def _bad(parameter: str, detail: str, code: str = "invalid_parameter") -> ValidationFailed:
    return ValidationFailed(detail, code=code, errors=[{"parameter": parameter, "in": "query", "detail": detail}])


def local_window(when: str, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The wall-clock window of a ``when`` shortcut, as naive local datetimes of ``tz``'s calendar."""
    today = now.astimezone(tz).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    if when == "today":
        return today, today + timedelta(days=1)
    if when == "tomorrow":
        return today + timedelta(days=1), today + timedelta(days=2)
    if when == "this_weekend":
        weekday = today.weekday()  # Monday 0 … Sunday 6
        saturday = today - timedelta(days=1) if weekday == 6 else today + timedelta(days=5 - weekday)
        return saturday, saturday + timedelta(days=2)
    return today, today + timedelta(days=8)


def parse(*, q: str | None, tags: str | None, category: str | None, starts_from: datetime | None,
          starts_to: datetime | None, when: str | None, tz: str | None, price_max: int | None, free: bool | None,
          near: str | None, radius_km: float | None, cursor: str | None, limit: int, max_radius_km: float) -> FeedQuery:
    """Check the query parameters; every problem is a 422 naming the parameter."""
    now = clock.now()
    fq = FeedQuery(now=now)
    if not 1 <= limit <= 100:
        raise _bad("limit", "limit must be between 1 and 100")
    fq.limit = limit
    if q is not None and q.strip():
        if len(q) > 200:
            raise _bad("q", "the search text has at most 200 characters")
        fq.q = q.strip()
    if tags:
        fq.tags = [t.strip() for t in tags.split(",") if t.strip()]
        bad = [t for t in fq.tags if not validation.TAG.match(t)]
        if bad or len(fq.tags) > 10:
            raise _bad("tags", f"unknown tag format {bad[0]!r}" if bad else "at most 10 tags", "invalid_tag")
    if category is not None:
        if not validation.CATEGORY.match(category):
            raise _bad("category", "a category is 1-50 lower-case letters, digits, '_' or '-'", "invalid_category")
        fq.category = category
    for name, value in (("from", starts_from), ("to", starts_to)):
        if value is not None and value.tzinfo is None:
            raise _bad(name, "give the time with its UTC offset", "naive_datetime")
    fq.starts_from, fq.starts_to = starts_from, starts_to
    if starts_from and starts_to and starts_to <= starts_from:
        raise _bad("to", "'to' must be after 'from'")
    if when is not None:
        if when not in WHEN:
            raise _bad("when", f"when is one of {', '.join(WHEN)}")
        zone = ZoneInfo(validation.timezone(tz, "/tz")) if tz else ZoneInfo("UTC")
        if when == "next_7_days":
            fq.starts_from = max(fq.starts_from or now, now)
            fq.starts_to = min(fq.starts_to or now + timedelta(days=7), now + timedelta(days=7))
        else:
            fq.local_window = local_window(when, zone, now)
    if free:
        price_max = 0
    if price_max is not None:
        if price_max < 0:
            raise _bad("price_max", "price_max must be 0 or more")
        fq.price_max = price_max
    if near is not None:
        try:
            lat_s, lng_s = near.split(",")
            lat, lng = float(lat_s), float(lng_s)
            if not (math.isfinite(lat) and math.isfinite(lng)):
                raise ValueError
        except ValueError:
            raise _bad("near", "near is 'latitude,longitude', e.g. 55.75,37.61") from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise _bad("near", "coordinates out of range", "coordinates_out_of_range")
        fq.near = (lat, lng)
        fq.radius_km = 10.0 if radius_km is None else radius_km
        if not 0 < fq.radius_km <= max_radius_km:
            raise _bad("radius_km", f"radius_km must be more than 0 and at most {max_radius_km:g}", "radius_too_large")
    elif radius_km is not None:
        raise _bad("radius_km", "radius_km needs near=lat,lng")
    if cursor:
        fq.after = decode_cursor(cursor, (float, int) if fq.near else (datetime, int))
    return fq


def build(fq: FeedQuery) -> tuple[str, list[Any]]:
    """The SQL and arguments of a feed page (one statement; asyncpg prepares and caches it per shape)."""
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = [FEED_WHERE, f"e.ends_at > {arg(fq.now)}"]
    if fq.q:
        where.append(f"e.search @@ (websearch_to_tsquery('russian', {arg(fq.q)}) "
                     f"|| websearch_to_tsquery('english', ${len(args)}))")
    if fq.tags:
        where.append(f"e.tags @> {arg(fq.tags)}::varchar[]")
    if fq.category:
        where.append(f"e.category = {arg(fq.category)}")
    if fq.starts_from:
        where.append(f"e.starts_at >= {arg(fq.starts_from)}")
    if fq.starts_to:
        where.append(f"e.starts_at < {arg(fq.starts_to)}")
    if fq.local_window:
        lo, hi = fq.local_window
        where.append(f"e.starts_at >= {arg(lo.replace(tzinfo=fq.now.tzinfo) - TZ_MARGIN)}")
        where.append(f"e.starts_at < {arg(hi.replace(tzinfo=fq.now.tzinfo) + TZ_MARGIN)}")
        where.append(f"(e.starts_at AT TIME ZONE e.timezone) >= {arg(lo)}")
        where.append(f"(e.starts_at AT TIME ZONE e.timezone) < {arg(hi)}")
    if fq.price_max is not None:
        where.append(f"e.price_cents <= {arg(fq.price_max)}")
    if fq.near is None:
        if fq.after:
            where.append(f"(e.starts_at, e.id) > ({arg(fq.after[0])}, {arg(fq.after[1])})")
        inner = (f"SELECT e.id, e.starts_at AS sort_key FROM events.event e WHERE {' AND '.join(where)} "
                 f"ORDER BY e.starts_at, e.id LIMIT {arg(fq.limit + 1)}")
        return _outer(inner, "NULL::float8"), args
    lat, lng = fq.near
    dlat = fq.radius_km / KM_PER_DEG_LAT
    coslat = max(math.cos(math.radians(lat)), 1e-6)
    dlng = fq.radius_km / (KM_PER_DEG_LAT * coslat)
    # The bounding box is what the (latitude, longitude, starts_at) index serves; the great-circle distance refines
    # it. The candidates come from the index alone (it includes ends_at and id); only the page's rows touch the heap.
    where.append(f"e.latitude BETWEEN {arg(max(-90.0, lat - dlat))} AND {arg(min(90.0, lat + dlat))}")
    if dlng < 180 and -180 <= lng - dlng and lng + dlng <= 180:
        where.append(f"e.longitude BETWEEN {arg(lng - dlng)} AND {arg(lng + dlng)}")
    la, ln = arg(lat), arg(lng)
    distance = (f"{EARTH_KM} * 2 * asin(sqrt(power(sin(radians(e.latitude - {la}) / 2), 2) + cos(radians({la})) "
                f"* cos(radians(e.latitude)) * power(sin(radians(e.longitude - {ln}) / 2), 2)))")
    where.append(f"{distance} <= {arg(fq.radius_km)}")
    if fq.after:
        where.append(f"({distance}, e.id) > ({arg(fq.after[0])}::float8, {arg(fq.after[1])})")
    inner = (f"SELECT e.id, {distance} AS sort_key FROM events.event e WHERE {' AND '.join(where)} "
             f"ORDER BY 2, e.id LIMIT {arg(fq.limit + 1)}")
    return _outer(inner, "c.sort_key"), args


def _outer(inner: str, distance: str) -> str:
    """Fetch the page's rows (and venues) for the candidate ids, in the candidates' order."""
    return (f"SELECT {COLUMNS}, {distance} AS distance_km FROM ({inner}) c JOIN events.event e ON e.id = c.id "
            "LEFT JOIN events.venue v ON v.id = e.venue ORDER BY c.sort_key, c.id")


Fetch = Callable[..., Awaitable[list[dict[str, Any]]]]


async def page(fq: FeedQuery, fetch: Fetch = db.fetch) -> dict[str, Any]:
    """One page of the feed: ``{"items": [...], "next_cursor": ...}``.

    Near-me first looks within a quarter of the radius: when that already yields a full page, those are the nearest
    events (anything outside is farther than all of them), found from a sixteenth of the index entries. Sparse areas
    fall through to the full radius.
    """
    rows: list[dict[str, Any]] | None = None
    if fq.near is not None and fq.radius_km >= 2 * NARROW_FIRST:
        narrow = dataclasses.replace(fq, radius_km=fq.radius_km / NARROW_FIRST)
        if not fq.after or fq.after[0] < narrow.radius_km:
            sql, args = build(narrow)
            rows = await fetch(sql, *args)
            if len(rows) <= fq.limit:
                rows = None
    if rows is None:
        sql, args = build(fq)
        rows = await fetch(sql, *args)
    items = rows[: fq.limit]
    nxt = None
    if len(rows) > fq.limit:
        last = items[-1]
        nxt = encode_cursor(last["distance_km"], last["id"]) if fq.near else encode_cursor(last["starts_at"],
                                                                                            last["id"])
    return {"items": items, "next_cursor": nxt}
