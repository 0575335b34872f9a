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

from core import clock, db

log = logging.getLogger("plugins.analytics")

LOCK = 0x5B0_A7A1
DAY = "(occurred_at AT TIME ZONE 'UTC')::date"
VIEWER = "COALESCE('u:' || user_id::text, 'd:' || device_id)"
# $1: the previous snapshot's xmin, $2: this snapshot, $3: the previous snapshot (NULL on the first refresh).
WINDOW = ("txid >= $1 AND pg_visible_in_snapshot(txid::text::xid8, ($2::text)::pg_snapshot) AND ($3::text IS NULL "
          "OR NOT pg_visible_in_snapshot(txid::text::xid8, ($3::text)::pg_snapshot))")

STATEMENTS = [
    # views per event and day
    f"""INSERT INTO analytics.event_daily (event_id, day, views)
        SELECT event_id, {DAY}, count(*) FROM analytics.client_event
        WHERE {WINDOW} AND name = 'event_viewed' AND event_id IS NOT NULL GROUP BY 1, 2
        ON CONFLICT (event_id, day) DO UPDATE SET views = event_daily.views + EXCLUDED.views""",
    # unique viewers per event and day (new members of the day's viewer set)
    f"""WITH new AS (
            INSERT INTO analytics.event_viewer_day (event_id, day, viewer)
            SELECT DISTINCT event_id, {DAY}, {VIEWER} FROM analytics.client_event
            WHERE {WINDOW} AND name = 'event_viewed' AND event_id IS NOT NULL
            ON CONFLICT DO NOTHING RETURNING event_id, day)
        INSERT INTO analytics.event_daily (event_id, day, unique_viewers)
        SELECT event_id, day, count(*) FROM new GROUP BY 1, 2
        ON CONFLICT (event_id, day) DO UPDATE
            SET unique_viewers = event_daily.unique_viewers + EXCLUDED.unique_viewers""",
    # unique viewers over the event's life
    f"""WITH new AS (
            INSERT INTO analytics.event_viewer (event_id, viewer)
            SELECT DISTINCT event_id, {VIEWER} FROM analytics.client_event
            WHERE {WINDOW} AND name = 'event_viewed' AND event_id IS NOT NULL
            ON CONFLICT DO NOTHING RETURNING event_id)
        INSERT INTO analytics.event_total (event_id, unique_viewers)
        SELECT event_id, count(*) FROM new GROUP BY 1
        ON CONFLICT (event_id) DO UPDATE SET unique_viewers = event_total.unique_viewers + EXCLUDED.unique_viewers""",
    # joins, leaves, waitlisted per event and day
    f"""INSERT INTO analytics.event_daily (event_id, day, joins, leaves, waitlisted)
        SELECT event_id, {DAY}, count(*) FILTER (WHERE kind = 'joined'), count(*) FILTER (WHERE kind = 'left'),
               count(*) FILTER (WHERE kind = 'waitlisted')
        FROM analytics.fact WHERE {WINDOW} AND kind IN ('joined', 'left', 'waitlisted') GROUP BY 1, 2
        ON CONFLICT (event_id, day) DO UPDATE SET joins = event_daily.joins + EXCLUDED.joins,
            leaves = event_daily.leaves + EXCLUDED.leaves, waitlisted = event_daily.waitlisted + EXCLUDED.waitlisted""",
    # daily active users (signed-in users by id, anonymous app users by device)
    f"""WITH acts AS (
            SELECT {DAY} AS day, {VIEWER} AS actor FROM analytics.client_event WHERE {WINDOW}
            UNION SELECT {DAY}, 'u:' || user_id::text FROM analytics.fact WHERE {WINDOW} AND user_id IS NOT NULL),
        new AS (INSERT INTO analytics.active_actor (day, actor) SELECT day, actor FROM acts
                ON CONFLICT DO NOTHING RETURNING day)
        INSERT INTO analytics.platform_daily (day, active_users) SELECT day, count(*) FROM new GROUP BY 1
        ON CONFLICT (day) DO UPDATE SET active_users = platform_daily.active_users + EXCLUDED.active_users""",
    # client events per day
    f"""INSERT INTO analytics.platform_daily (day, client_events)
        SELECT {DAY}, count(*) FROM analytics.client_event WHERE {WINDOW} GROUP BY 1
        ON CONFLICT (day) DO UPDATE SET client_events = platform_daily.client_events + EXCLUDED.client_events""",
    # experiment conversions: a client event named like a running experiment's goal, after the exposure
    f"""WITH c AS (
            SELECT name, {VIEWER} AS subject, min(occurred_at) AS at FROM analytics.client_event
            WHERE {WINDOW} AND name IN (SELECT goal FROM analytics.experiment WHERE status = 'running' AND goal <> '')
            GROUP BY 1, 2)
        UPDATE analytics.exposure x SET converted_at = c.at FROM c, analytics.experiment e
        WHERE e.id = x.experiment AND e.status = 'running' AND e.goal = c.name AND x.subject = c.subject
          AND x.converted_at IS NULL AND c.at >= x.exposed_at""",
    # events submitted/published, joins, leaves, moderation throughput per day
    f"""INSERT INTO analytics.platform_daily (day, events_submitted, events_published, joins, leaves,
                                              moderation_decisions, moderation_seconds)
        SELECT {DAY}, count(*) FILTER (WHERE kind = 'submitted'), count(*) FILTER (WHERE kind = 'published'),
               count(*) FILTER (WHERE kind = 'joined'), count(*) FILTER (WHERE kind = 'left'),
               count(duration_s), COALESCE(sum(duration_s), 0)
        FROM analytics.fact WHERE {WINDOW} GROUP BY 1
        ON CONFLICT (day) DO UPDATE SET
            events_submitted = platform_daily.events_submitted + EXCLUDED.events_submitted,
            events_published = platform_daily.events_published + EXCLUDED.events_published,
            joins = platform_daily.joins + EXCLUDED.joins, leaves = platform_daily.leaves + EXCLUDED.leaves,
            moderation_decisions = platform_daily.moderation_decisions + EXCLUDED.moderation_decisions,
            moderation_seconds = platform_daily.moderation_seconds + EXCLUDED.moderation_seconds""",
]


async def refresh() -> tuple[str | None, str] | None:
    """Fold the rows of newly committed transactions into the rollups; return (previous, new) snapshot or None."""
    pool = db.engine().pool
    if pool is None:
        raise RuntimeError("analytics.refresh needs the connection pool")
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", LOCK):
            return None  # another refresh is running; it (or the next tick) covers these rows
        await conn.execute(
            "INSERT INTO analytics.rollup_watermark (name, position, updated_at) VALUES ('rollups', 0, $1) "
            "ON CONFLICT (name) DO NOTHING", clock.now())
        mark = await conn.fetchrow(
            "SELECT position, snapshot FROM analytics.rollup_watermark WHERE name = 'rollups' FOR UPDATE")
        now = await conn.fetchrow("SELECT s::text AS snapshot, pg_snapshot_xmin(s)::text::bigint AS xmin "
                                  "FROM pg_current_snapshot() AS s")
        if mark["snapshot"] == now["snapshot"]:
            return mark["snapshot"], now["snapshot"]
        for sql in STATEMENTS:
            await conn.execute(sql, mark["position"], now["snapshot"], mark["snapshot"])
        await conn.execute("UPDATE analytics.rollup_watermark SET position = $1, snapshot = $2, updated_at = $3 "
                           "WHERE name = 'rollups'", now["xmin"], now["snapshot"], clock.now())
    return mark["snapshot"], now["snapshot"]


# ---------------------------------------------------------------------------------------------------------------------
# Reading the rollups
# ---------------------------------------------------------------------------------------------------------------------

EVENT_DAY_COLUMNS = ("day", "views", "unique_viewers", "joins", "leaves", "waitlisted")
PLATFORM_DAY_COLUMNS = ("day", "active_users", "client_events", "events_submitted", "events_published", "joins",
                        "leaves", "moderation_decisions", "moderation_seconds")


async def event_days(event_id: int, since: date, until: date, *, after: date | None = None,
                     limit: int = 1000) -> list[dict[str, Any]]:
    """Rows of an event's daily rollup in ``[since, until]`` (``after``: keyset for streaming)."""
    return await db.fetch(
        f"SELECT {', '.join(EVENT_DAY_COLUMNS)} FROM analytics.event_daily WHERE event_id = $1 AND day >= $2 "
        "AND day <= $3 AND ($4::date IS NULL OR day > $4) ORDER BY day LIMIT $5",
        event_id, since, until, after, limit)


async def event_unique_viewers(event_id: int) -> int:
    """Distinct viewers of an event over its life."""
    rows = await db.fetch("SELECT unique_viewers FROM analytics.event_total WHERE event_id = $1", event_id)
    return int(rows[0]["unique_viewers"]) if rows else 0


async def event_lifetime(event_id: int) -> dict[str, int]:
    """An event's totals over its life (a sum over its few daily rows)."""
    rows = await db.fetch(
        "SELECT COALESCE(sum(views), 0) AS views, COALESCE(sum(joins), 0) AS joins, "
        "COALESCE(sum(leaves), 0) AS leaves, COALESCE(sum(waitlisted), 0) AS waitlisted "
        "FROM analytics.event_daily WHERE event_id = $1", event_id)
    return {k: int(v) for k, v in rows[0].items()}


async def platform_days(since: date, until: date, *, after: date | None = None,
                        limit: int = 1000) -> list[dict[str, Any]]:
    """Rows of the platform's daily rollup in ``[since, until]``."""
    return await db.fetch(
        f"SELECT {', '.join(PLATFORM_DAY_COLUMNS)} FROM analytics.platform_daily WHERE day >= $1 AND day <= $2 "
        "AND ($3::date IS NULL OR day > $3) ORDER BY day LIMIT $4", since, until, after, limit)
