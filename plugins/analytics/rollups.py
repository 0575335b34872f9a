"""Rollups: incremental, watermark-based aggregates behind the dashboards (never a scan of raw events per request).

Each raw row carries its transaction id (``txid``). A refresh takes a snapshot (``pg_current_snapshot()``) and reads
the rows whose transaction is visible (committed) in it but was not in the previous refresh's snapshot. Snapshots
only grow, so each row is counted exactly once, and a row whose transaction commits late (after newer ones) is
picked up by the next refresh instead of being skipped, which a plain "last id" watermark would do. Transactions
still running elsewhere in the cluster (other databases included) do not hold the rollups back; they only widen
the ``txid >= previous xmin`` index range that is re-checked. The dedupe sets (viewers, active actors) make the
unique counts exact. One refresh at a time (advisory lock); the whole refresh is one transaction.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from piccolo.columns import Date
from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Sum

from core import clock, db
from plugins.analytics import sql
from plugins.analytics.tables import EventDaily, EventReviewTag, EventTotal, PlatformDaily

log = logging.getLogger("plugins.analytics")

LOCK = 0x5B0_A7A1  # the refresh's advisory lock key


async def refresh() -> tuple[str | None, str] | None:
    """Fold the rows of newly committed transactions into the rollups; return (previous, new) snapshot or None."""
    pool = db.engine().pool
    if pool is None:
        raise RuntimeError("analytics.refresh needs the connection pool")
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(sql.TRY_REFRESH_LOCK, LOCK):
            return None  # another refresh is running; it (or the next tick) covers these rows
        await conn.execute(sql.ENSURE_WATERMARK, clock.now())
        mark = await conn.fetchrow(sql.WATERMARK_FOR_UPDATE)
        now = await conn.fetchrow(sql.CURRENT_SNAPSHOT)
        if mark["snapshot"] == now["snapshot"]:
            return mark["snapshot"], now["snapshot"]
        for statement in sql.ROLLUPS:
            await conn.execute(statement, mark["position"], now["snapshot"], mark["snapshot"])
        await conn.execute(sql.ADVANCE_WATERMARK, now["xmin"], now["snapshot"], clock.now())
    return mark["snapshot"], now["snapshot"]


# ---------------------------------------------------------------------------------------------------------------------
# Reading the rollups
# ---------------------------------------------------------------------------------------------------------------------

EVENT_DAY_COLUMNS = ("day", "views", "unique_viewers", "joins", "leaves", "waitlisted", "reviews", "rating_sum")
PLATFORM_DAY_COLUMNS = ("day", "active_users", "client_events", "events_submitted", "events_published", "joins",
                        "leaves", "moderation_decisions", "moderation_seconds", "tickets_opened", "tickets_replied",
                        "tickets_resolved", "searches", "searches_no_results")


def _in_range(day: Date, since: date, until: date, after: date | None) -> Combinable:
    """``since <= day <= until``, and after the keyset's last day when streaming."""
    where: Combinable = (day >= since) & (day <= until)
    return where if after is None else where & (day > after)


async def event_days(event_id: int, since: date, until: date, *, after: date | None = None,
                     limit: int = 1000) -> list[dict[str, Any]]:
    """Rows of an event's daily rollup in ``[since, until]`` (``after``: keyset for streaming)."""
    columns = [EventDaily._meta.get_column_by_name(c) for c in EVENT_DAY_COLUMNS]
    return await EventDaily.select(*columns).where(
        (EventDaily.event_id == event_id) & _in_range(EventDaily.day, since, until, after)
    ).order_by(EventDaily.day).limit(limit)


async def event_unique_viewers(event_id: int) -> int:
    """Distinct viewers of an event over its life."""
    row = await EventTotal.select(EventTotal.unique_viewers).where(EventTotal.event_id == event_id).first()
    return int(row["unique_viewers"]) if row else 0


async def event_lifetime(event_id: int) -> dict[str, int]:
    """An event's totals over its life (a sum over its few daily rows)."""
    names = ("views", "joins", "leaves", "waitlisted")
    row = await EventDaily.select(
        *(Sum(EventDaily._meta.get_column_by_name(n)).as_alias(n) for n in names)
    ).where(EventDaily.event_id == event_id).first()
    return {n: int((row or {}).get(n) or 0) for n in names}


async def event_reviews(event_id: int, before: date | None = None) -> tuple[int, int]:
    """(reviews, stars) of an event's visible reviews: over its life, or up to the day before ``before``."""
    where: Combinable = EventDaily.event_id == event_id
    if before is not None:
        where = where & (EventDaily.day < before)
    row = await EventDaily.select(Sum(EventDaily.reviews).as_alias("n"), Sum(EventDaily.rating_sum).as_alias("s")
                                  ).where(where).first()
    return int((row or {}).get("n") or 0), int((row or {}).get("s") or 0)


async def event_review_tags(event_id: int) -> dict[str, int]:
    """How many of an event's visible reviews carry each tag (tags no review carries are left out)."""
    rows = await EventReviewTag.select(EventReviewTag.tag, EventReviewTag.reviews).where(
        (EventReviewTag.event_id == event_id) & (EventReviewTag.reviews > 0)).order_by(
        EventReviewTag.reviews, ascending=False)
    return {r["tag"]: int(r["reviews"]) for r in rows}


async def platform_days(since: date, until: date, *, after: date | None = None,
                        limit: int = 1000) -> list[dict[str, Any]]:
    """Rows of the platform's daily rollup in ``[since, until]``."""
    columns = [PlatformDaily._meta.get_column_by_name(c) for c in PLATFORM_DAY_COLUMNS]
    return await PlatformDaily.select(*columns).where(
        _in_range(PlatformDaily.day, since, until, after)
    ).order_by(PlatformDaily.day).limit(limit)
