"""The public feed: full-text, tags, category, dates, price, near-me and rating, with keyset cursors (raw SQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from core import db
from core.errors import InvalidParameter
from core.geo import bounding_box, valid_point
from core.pagination import Page, decode_cursor, encode_cursor
from plugins.events import sql
from plugins.events.schemas import FeedItem, FeedParams

# Timezones span UTC-12..UTC+14: a local wall-clock window lies inside this UTC margin (keeps the index usable).
TZ_MARGIN = timedelta(hours=14)
NARROW_FIRST = 4  # near-me tries radius / 4 first
SCOPE, SCOPE_NEAR = "events.feed", "events.feed.near"  # a time cursor is not a distance cursor
SCOPE_RATING = "events.feed.rating"


def near_scope(near: tuple[float, float]) -> str:
    """A distance cursor holds for its own origin only (a distance from elsewhere would skip or repeat events)."""
    return f"{SCOPE_NEAR}:{near[0]:.6f},{near[1]:.6f}"


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
    sort: str = "start"  # start | rating (near-me always sorts by distance)
    after: tuple[Any, int] | None = None


def _bad(parameter: str, detail: str, code: str = "invalid_parameter") -> InvalidParameter:
    return InvalidParameter(detail, code=code, errors=[{"parameter": parameter, "in": "query", "detail": detail}])


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


def parse(params: FeedParams, *, now: datetime, max_radius_km: float) -> FeedQuery:
    """The rules of the feed's parameters that compare them or need settings (the struct checked the rest)."""
    fq = FeedQuery(now=now, limit=params.limit, q=(params.q or "").strip() or None, category=params.category,
                   starts_from=params.starts_from, starts_to=params.starts_to, sort=params.sort)
    if params.tags:
        fq.tags = [t.strip() for t in params.tags.split(",") if t.strip()]
    if fq.starts_from and fq.starts_to and fq.starts_to <= fq.starts_from:
        raise _bad("to", "'to' must be after 'from'")
    if params.when is not None:
        try:
            zone = ZoneInfo(params.tz or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad("tz", f"unknown timezone {params.tz!r} (use an IANA name such as Europe/Moscow)",
                       "invalid_timezone") from None
        if params.when == "next_7_days":
            fq.starts_from = max(fq.starts_from or now, now)
            fq.starts_to = min(fq.starts_to or now + timedelta(days=7), now + timedelta(days=7))
        else:
            fq.local_window = local_window(params.when, zone, now)
    fq.price_max = 0 if params.free else params.price_max
    if params.near is not None and fq.sort == "rating":
        raise _bad("sort", "sort=rating cannot be combined with near (near-me sorts by distance)")
    if params.near is not None:
        lat, lng = (float(x) for x in params.near.split(","))
        if not valid_point(lat, lng):
            raise _bad("near", "coordinates out of range", "coordinates_out_of_range")
        fq.near = (lat, lng)
        fq.radius_km = 10.0 if params.radius_km is None else params.radius_km
        if not fq.radius_km <= max_radius_km:
            raise _bad("radius_km", f"radius_km must be more than 0 and at most {max_radius_km:g}", "radius_too_large")
    elif params.radius_km is not None:
        raise _bad("radius_km", "radius_km needs near=lat,lng")
    if params.cursor:
        if fq.near:
            fq.after = decode_cursor(params.cursor, float, int, scope=near_scope(fq.near))
        elif fq.sort == "rating":
            fq.after = decode_cursor(params.cursor, float, int, scope=SCOPE_RATING)
        else:
            fq.after = decode_cursor(params.cursor, datetime, int, scope=SCOPE)
    return fq


def build(fq: FeedQuery) -> tuple[str, list[Any]]:
    """The SQL and arguments of a feed page (one statement; asyncpg prepares and caches it per shape)."""
    args: list[Any] = [fq.now, fq.limit + 1]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if fq.near is None and fq.sort == "rating":
        statement = sql.FEED_BY_RATING if fq.after is None else sql.FEED_BY_RATING_AFTER
    elif fq.near is None:
        statement = sql.FEED_BY_START if fq.after is None else sql.FEED_BY_START_AFTER
    else:
        lat, lng = fq.near
        box = bounding_box(lat, lng, fq.radius_km)
        args += [lat, lng, box.lat_lo, box.lat_hi, fq.radius_km]
        statement = sql.FEED_BY_DISTANCE if fq.after is None else sql.FEED_BY_DISTANCE_AFTER
    if fq.after is not None:
        args += list(fq.after)
    where: list[str] = []
    if fq.near is not None:
        box = bounding_box(*fq.near, fq.radius_km)
        if box.lng_lo is not None:  # None: the box wraps around the antimeridian (the distance alone filters)
            where.append(f"e.longitude BETWEEN {arg(box.lng_lo)} AND {arg(box.lng_hi)}")
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
    return statement.replace("/*filters*/", "".join(f"AND {w} " for w in where)), args


Fetch = Callable[..., Awaitable[list[dict[str, Any]]]]


async def page(fq: FeedQuery, fetch: Fetch = db.fetch) -> Page[FeedItem]:
    """One page of the feed.

    Near-me first looks within a quarter of the radius: when that already yields a full page, those are the nearest
    events (anything outside is farther than all of them), found from a sixteenth of the index entries. Sparse areas
    fall through to the full radius. The public feed reads from a replica when one is healthy (``core.db.reading``).
    """
    async with db.reading():
        return await _page(fq, fetch)


async def _page(fq: FeedQuery, fetch: Fetch) -> Page[FeedItem]:
    rows: list[dict[str, Any]] | None = None
    if fq.near is not None and fq.radius_km >= 2 * NARROW_FIRST:
        narrow = dataclasses.replace(fq, radius_km=fq.radius_km / NARROW_FIRST)
        if not fq.after or fq.after[0] < narrow.radius_km:
            rows = await fetch(*_statement(narrow))
            if len(rows) <= fq.limit:
                rows = None
    if rows is None:
        rows = await fetch(*_statement(fq))
    items = rows[: fq.limit]
    nxt = None
    if len(rows) > fq.limit:
        last = items[-1]
        if fq.near:
            nxt = encode_cursor(last["distance_km"], last["id"], scope=near_scope(fq.near))
        elif fq.sort == "rating":
            nxt = encode_cursor(float(last["rating_rank"] or 0.0), last["id"], scope=SCOPE_RATING)
        else:
            nxt = encode_cursor(last["starts_at"], last["id"], scope=SCOPE)
    return Page(items=msgspec.convert(items, list[FeedItem]), next_cursor=nxt)


def _statement(fq: FeedQuery) -> list[Any]:
    statement, args = build(fq)
    return [statement, *args]
