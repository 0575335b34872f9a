"""Dashboards from the rollups: an event's for its author, the platform's for admins; CSV streaming of both."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any

from core import clock
from core.errors import NotFound, ValidationFailed
from plugins.analytics import rollups
from plugins.analytics.schemas import EventDashboardRead, EventDayRead, PlatformDashboardRead, PlatformDayRead
from plugins.events import api as events

MAX_RANGE_DAYS = 366
VIEW_ALL = "analytics.view"


def date_range(since: date | None, until: date | None) -> tuple[date, date]:
    """Default to the last 30 days; refuse reversed or over-long ranges."""
    until = until or clock.now().date()
    since = since or until - timedelta(days=29)
    if since > until:
        raise ValidationFailed(code="invalid_range", errors=[{"parameter": "since", "in": "query",
                                                              "detail": "since is after until"}])
    if (until - since).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(code="invalid_range", errors=[{"parameter": "since", "in": "query",
                                                              "detail": f"at most {MAX_RANGE_DAYS} days"}])
    return since, until


async def check_event_access(event_id: int, user_id: int, can_view_all: bool) -> None:
    """Only the event's author (or a holder of ``analytics.view``) sees its figures; others get 404, not a hint."""
    try:
        info = await events.get_event_info(event_id)
    except NotFound:
        info = None
    if info is None or (info.author_id != user_id and not can_view_all):
        raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")


async def event_dashboard(event_id: int, since: date, until: date) -> EventDashboardRead:
    """An event's totals over its life and its figures by day in the range; its rating over time and review tags."""
    reviews, stars = await rollups.event_reviews(event_id, before=since)
    days = []
    for r in await rollups.event_days(event_id, since, until):
        reviews, stars = reviews + r["reviews"], stars + r["rating_sum"]
        days.append(EventDayRead(**r, rating=round(stars / reviews, 2) if reviews > 0 else None))
    totals = await rollups.event_lifetime(event_id)
    uniques = await rollups.event_unique_viewers(event_id)
    conversion = round(totals["joins"] / uniques, 4) if uniques else None
    reviews, stars = await rollups.event_reviews(event_id)
    return EventDashboardRead(event_id=event_id, unique_viewers=uniques, conversion=conversion, days=days,
                              reviews=reviews, rating=round(stars / reviews, 2) if reviews > 0 else None,
                              review_tags=await rollups.event_review_tags(event_id), **totals)


def _platform_day(r: dict[str, Any]) -> PlatformDayRead:
    r = dict(r)
    seconds = r.pop("moderation_seconds")
    avg = round(seconds / r["moderation_decisions"], 1) if r["moderation_decisions"] else None
    return PlatformDayRead(moderation_avg_s=avg, **r)


async def platform_dashboard(since: date, until: date) -> PlatformDashboardRead:
    """The admins' figures by day, and their sums over the range."""
    rows = await rollups.platform_days(since, until)
    decisions = sum(r["moderation_decisions"] for r in rows)
    seconds = sum(r["moderation_seconds"] for r in rows)
    return PlatformDashboardRead(
        since=since, until=until,
        client_events=sum(r["client_events"] for r in rows),
        events_submitted=sum(r["events_submitted"] for r in rows),
        events_published=sum(r["events_published"] for r in rows),
        joins=sum(r["joins"] for r in rows),
        moderation_decisions=decisions,
        moderation_avg_s=round(seconds / decisions, 1) if decisions else None,
        days=[_platform_day(r) for r in rows],
        tickets_opened=sum(r["tickets_opened"] for r in rows),
        tickets_resolved=sum(r["tickets_resolved"] for r in rows),
        searches=sum(r["searches"] for r in rows),
        searches_no_results=sum(r["searches_no_results"] for r in rows),
    )


# ---------------------------------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------------------------------


def _line(values: Sequence[Any]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerow(["" if v is None else v for v in values])
    return buf.getvalue().encode()


async def csv_pages(columns: Sequence[str], page: Callable[[Any], Awaitable[list[dict[str, Any]]]],
                    key: str) -> AsyncIterator[bytes]:
    """Stream a table as CSV: a header, then pages fetched by keyset (``page(after)``) until one comes back empty."""
    yield _line(columns)
    after = None
    while True:
        rows = await page(after)
        if not rows:
            return
        yield b"".join(_line([r[c] for c in columns]) for r in rows)
        after = rows[-1][key]


def event_csv(event_id: int, since: date, until: date) -> AsyncIterator[bytes]:
    """An event's daily rollup as CSV."""
    return csv_pages(rollups.EVENT_DAY_COLUMNS,
                     lambda after: rollups.event_days(event_id, since, until, after=after, limit=500), "day")


def platform_csv(since: date, until: date) -> AsyncIterator[bytes]:
    """The platform's daily rollup as CSV."""
    return csv_pages(rollups.PLATFORM_DAY_COLUMNS,
                     lambda after: rollups.platform_days(since, until, after=after, limit=500), "day")


async def rows_csv(columns: Sequence[str], rows: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    """Small tables (experiment results, the RICE board) as CSV."""
    yield _line(columns)
    for r in rows:
        yield _line([r[c] for c in columns])
