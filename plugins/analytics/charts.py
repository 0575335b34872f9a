"""The charts analytics declares for the admin panel (``core.admin.Chart``): daily figures and the moderation load.

Data only: the panel draws them. Daily figures come from the rollups (UTC days); the moderation load from the facts
the events hooks write inside each change's transaction (``submitted``, ``published``, ``rejected``).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import db
from core.admin import ChartQuery, Series
from core.i18n import N_
from plugins.analytics import dashboards

DECIDED = ("published", "rejected")

# Events waiting at the end of each day: each submission opens a waiting interval that the event's next submitted,
# published or rejected fact closes; a day counts the intervals open at its end. Only intervals that reach into the
# range are joined to its days, so the cost follows the range's waiting events, not the whole history.
WAITING_SQL = """
WITH moves AS (
    SELECT kind, occurred_at,
           lead(occurred_at) OVER (PARTITION BY event_id ORDER BY occurred_at, id) AS next_at
    FROM analytics.fact
    WHERE kind IN ('submitted', 'published', 'rejected') AND event_id IS NOT NULL
      AND occurred_at < ((($2::date) + 1)::timestamp AT TIME ZONE $3)
), waiting AS (
    SELECT occurred_at, next_at FROM moves
    WHERE kind = 'submitted' AND (next_at IS NULL OR next_at >= (($1::date)::timestamp AT TIME ZONE $3))
)
SELECT d.day::date AS day, count(w.occurred_at) AS waiting
FROM generate_series($1::date, $2::date, interval '1 day') AS d(day)
LEFT JOIN waiting w ON w.occurred_at < ((d.day::date + 1)::timestamp AT TIME ZONE $3)
    AND (w.next_at IS NULL OR w.next_at >= ((d.day::date + 1)::timestamp AT TIME ZONE $3))
GROUP BY 1
"""

# Decisions by a moderator per day (trusted organisers' events publish without one), and the median time to them.
DECIDED_SQL = """
SELECT (occurred_at AT TIME ZONE $3)::date AS day, count(*) AS decided,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_s) AS median_s
FROM analytics.fact
WHERE kind IN ('published', 'rejected') AND user_id IS NOT NULL AND duration_s IS NOT NULL
  AND occurred_at >= ($1::date)::timestamp AT TIME ZONE $3
  AND occurred_at < (($2::date) + 1)::timestamp AT TIME ZONE $3
GROUP BY 1
"""


async def daily(query: ChartQuery) -> list[Series]:
    """Active users, events submitted and published, and joins per (UTC) day."""
    board = await dashboards.platform_dashboard(query.since, query.until)
    by_day = {d.day: d for d in board.days}

    def series(label: str, attr: str) -> Series:
        return Series(label, {day: getattr(d, attr) for day, d in by_day.items()})

    return [series(N_("Active users"), "active_users"), series(N_("Submitted"), "events_submitted"),
            series(N_("Published"), "events_published"), series(N_("Joins"), "joins")]


async def moderation_load(query: ChartQuery) -> list[Series]:
    """Events waiting for review at the end of each day, and the decisions moderators made that day."""
    tz = _zone(query.timezone)
    waiting = await db.fetch(WAITING_SQL, query.since, query.until, tz)
    decided = await db.fetch(DECIDED_SQL, query.since, query.until, tz)
    return [Series(N_("Waiting"), {r["day"]: int(r["waiting"]) for r in waiting}),
            Series(N_("Decided"), {r["day"]: int(r["decided"]) for r in decided})]


async def decision_time(query: ChartQuery) -> list[Series]:
    """The median hours from an event's latest submission to a moderator's decision, per day decided."""
    rows = await db.fetch(DECIDED_SQL, query.since, query.until, _zone(query.timezone))
    points: dict[date, float | None] = {r["day"]: round(float(r["median_s"]) / 3600, 2) for r in rows}
    return [Series(N_("Median time to decision"), points, missing=None)]


def _zone(tz: str) -> str:
    """The staff member's zone for PostgreSQL, UTC when Python does not know it (never an error from the database)."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return tz
