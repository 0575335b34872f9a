"""The raw SQL of analytics that earns its place (rollups, the stream's batch insert, retention); the rest is Piccolo.

Every public constant here is a complete statement with ``$n`` placeholders (run on an asyncpg connection or with
``core.db.fetch``): ``tests/test_sql_contract.py`` prepares each against the migrated database, so a column renamed in
``tables.py`` fails the suite. Why these stay raw: the rollups are ``INSERT … SELECT`` aggregates over a snapshot
window under an advisory lock, upserts that add to the stored figures (``x = x + EXCLUDED.x``) and data-modifying
CTEs; Piccolo 1.38 inserts rows, not a ``SELECT``, and its ``on_conflict`` could only add through a raw fragment. The
consumer inserts a whole stream read in one ``unnest`` statement; retention deletes compare ``txid`` with the watermark.
"""

from __future__ import annotations

_DAY = "(occurred_at AT TIME ZONE 'UTC')::date"
_VIEWER = "COALESCE('u:' || user_id::text, 'd:' || device_id)"
# $1: the previous snapshot's xmin, $2: this snapshot, $3: the previous snapshot (NULL on the first refresh).
_WINDOW = ("txid >= $1 AND pg_visible_in_snapshot(txid::text::xid8, ($2::text)::pg_snapshot) AND ($3::text IS NULL "
           "OR NOT pg_visible_in_snapshot(txid::text::xid8, ($3::text)::pg_snapshot))")

# ---------------------------------------------------------------------------------------------------------------------
# The refresh's frame: one refresh at a time, the watermark under its row lock, the current snapshot
# ---------------------------------------------------------------------------------------------------------------------

TRY_REFRESH_LOCK = "SELECT pg_try_advisory_xact_lock($1)"
"""Whether this transaction got the refresh's advisory lock ($1 the key); never waits."""

ENSURE_WATERMARK = ("INSERT INTO analytics.rollup_watermark (name, position, updated_at) VALUES ('rollups', 0, $1) "
                    "ON CONFLICT (name) DO NOTHING")
"""Create the rollups' watermark on the first refresh ($1 now)."""

WATERMARK_FOR_UPDATE = "SELECT position, snapshot FROM analytics.rollup_watermark WHERE name = 'rollups' FOR UPDATE"
"""The watermark (the previous snapshot and its xmin), locked for the rest of the refresh."""

CURRENT_SNAPSHOT = ("SELECT s::text AS snapshot, pg_snapshot_xmin(s)::text::bigint AS xmin "
                    "FROM pg_current_snapshot() AS s")
"""This refresh's snapshot and its xmin (every transaction below it has ended)."""

ADVANCE_WATERMARK = ("UPDATE analytics.rollup_watermark SET position = $1, snapshot = $2, updated_at = $3 "
                     "WHERE name = 'rollups'")
"""Move the watermark to this refresh's snapshot ($1 xmin, $2 snapshot, $3 now)."""

# ---------------------------------------------------------------------------------------------------------------------
# The rollup statements: each takes $1 the previous xmin, $2 this snapshot, $3 the previous snapshot (or NULL)
# ---------------------------------------------------------------------------------------------------------------------

ROLLUP_EVENT_VIEWS = f"""INSERT INTO analytics.event_daily (event_id, day, views)
    SELECT event_id, {_DAY}, count(*) FROM analytics.client_event
    WHERE {_WINDOW} AND name = 'event_viewed' AND event_id IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (event_id, day) DO UPDATE SET views = event_daily.views + EXCLUDED.views"""
"""Views per event and day."""

ROLLUP_EVENT_DAY_VIEWERS = f"""WITH new AS (
        INSERT INTO analytics.event_viewer_day (event_id, day, viewer)
        SELECT DISTINCT event_id, {_DAY}, {_VIEWER} FROM analytics.client_event
        WHERE {_WINDOW} AND name = 'event_viewed' AND event_id IS NOT NULL
        ON CONFLICT DO NOTHING RETURNING event_id, day)
    INSERT INTO analytics.event_daily (event_id, day, unique_viewers)
    SELECT event_id, day, count(*) FROM new GROUP BY 1, 2
    ON CONFLICT (event_id, day) DO UPDATE
        SET unique_viewers = event_daily.unique_viewers + EXCLUDED.unique_viewers"""
"""Unique viewers per event and day (the new members of the day's viewer set)."""

ROLLUP_EVENT_VIEWERS = f"""WITH new AS (
        INSERT INTO analytics.event_viewer (event_id, viewer)
        SELECT DISTINCT event_id, {_VIEWER} FROM analytics.client_event
        WHERE {_WINDOW} AND name = 'event_viewed' AND event_id IS NOT NULL
        ON CONFLICT DO NOTHING RETURNING event_id)
    INSERT INTO analytics.event_total (event_id, unique_viewers)
    SELECT event_id, count(*) FROM new GROUP BY 1
    ON CONFLICT (event_id) DO UPDATE SET unique_viewers = event_total.unique_viewers + EXCLUDED.unique_viewers"""
"""Unique viewers over the event's life."""

ROLLUP_EVENT_PARTICIPATION = f"""INSERT INTO analytics.event_daily (event_id, day, joins, leaves, waitlisted)
    SELECT event_id, {_DAY}, count(*) FILTER (WHERE kind = 'joined'), count(*) FILTER (WHERE kind = 'left'),
           count(*) FILTER (WHERE kind = 'waitlisted')
    FROM analytics.fact WHERE {_WINDOW} AND kind IN ('joined', 'left', 'waitlisted') GROUP BY 1, 2
    ON CONFLICT (event_id, day) DO UPDATE SET joins = event_daily.joins + EXCLUDED.joins,
        leaves = event_daily.leaves + EXCLUDED.leaves, waitlisted = event_daily.waitlisted + EXCLUDED.waitlisted"""
"""Joins, leaves and waitlisted per event and day."""

_SIGN = "CASE WHEN kind = 'reviewed' THEN 1 ELSE -1 END"
ROLLUP_EVENT_REVIEWS = f"""INSERT INTO analytics.event_daily (event_id, day, reviews, rating_sum)
    SELECT event_id, {_DAY}, sum({_SIGN}), sum({_SIGN} * COALESCE(rating, 0))
    FROM analytics.fact WHERE {_WINDOW} AND kind IN ('reviewed', 'unreviewed') GROUP BY 1, 2
    ON CONFLICT (event_id, day) DO UPDATE SET reviews = event_daily.reviews + EXCLUDED.reviews,
        rating_sum = event_daily.rating_sum + EXCLUDED.rating_sum"""
"""Net reviews and stars per event and day (reviews plugin: counted in, or out when hidden or edited)."""

ROLLUP_EVENT_REVIEW_TAGS = f"""INSERT INTO analytics.event_review_tag (event_id, tag, reviews)
    SELECT f.event_id, t.tag, sum(CASE WHEN f.kind = 'reviewed' THEN 1 ELSE -1 END)
    FROM analytics.fact f CROSS JOIN LATERAL unnest(f.tags) AS t(tag)
    WHERE {_WINDOW} AND f.kind IN ('reviewed', 'unreviewed') GROUP BY 1, 2
    ON CONFLICT (event_id, tag) DO UPDATE SET reviews = event_review_tag.reviews + EXCLUDED.reviews"""
"""How many visible reviews of each event carry each tag."""

ROLLUP_ACTIVE_USERS = f"""WITH acts AS (
        SELECT {_DAY} AS day, {_VIEWER} AS actor FROM analytics.client_event WHERE {_WINDOW}
        UNION SELECT {_DAY}, 'u:' || user_id::text FROM analytics.fact WHERE {_WINDOW} AND user_id IS NOT NULL),
    new AS (INSERT INTO analytics.active_actor (day, actor) SELECT day, actor FROM acts
            ON CONFLICT DO NOTHING RETURNING day)
    INSERT INTO analytics.platform_daily (day, active_users) SELECT day, count(*) FROM new GROUP BY 1
    ON CONFLICT (day) DO UPDATE SET active_users = platform_daily.active_users + EXCLUDED.active_users"""
"""Daily active users (signed-in users by id, anonymous app users by device)."""

ROLLUP_CLIENT_EVENTS = f"""INSERT INTO analytics.platform_daily (day, client_events)
    SELECT {_DAY}, count(*) FROM analytics.client_event WHERE {_WINDOW} GROUP BY 1
    ON CONFLICT (day) DO UPDATE SET client_events = platform_daily.client_events + EXCLUDED.client_events"""
"""Client events per day."""

ROLLUP_CONVERSIONS = f"""WITH c AS (
        SELECT name, {_VIEWER} AS subject, min(occurred_at) AS at FROM analytics.client_event
        WHERE {_WINDOW} AND name IN (SELECT goal FROM analytics.experiment WHERE status = 'running' AND goal <> '')
        GROUP BY 1, 2)
    UPDATE analytics.exposure x SET converted_at = c.at FROM c, analytics.experiment e
    WHERE e.id = x.experiment AND e.status = 'running' AND e.goal = c.name AND x.subject = c.subject
      AND x.converted_at IS NULL AND c.at >= x.exposed_at"""
"""Experiment conversions: a client event named like a running experiment's goal, after the exposure."""

ROLLUP_PLATFORM_FACTS = f"""INSERT INTO analytics.platform_daily (day, events_submitted, events_published, joins,
                                              leaves, moderation_decisions, moderation_seconds, tickets_opened,
                                              tickets_replied, tickets_resolved, searches, searches_no_results)
    SELECT {_DAY}, count(*) FILTER (WHERE kind = 'submitted'), count(*) FILTER (WHERE kind = 'published'),
           count(*) FILTER (WHERE kind = 'joined'), count(*) FILTER (WHERE kind = 'left'),
           count(duration_s), COALESCE(sum(duration_s), 0), count(*) FILTER (WHERE kind = 'ticket_opened'),
           count(*) FILTER (WHERE kind = 'ticket_replied'), count(*) FILTER (WHERE kind = 'ticket_resolved'),
           count(*) FILTER (WHERE kind = 'searched'), count(*) FILTER (WHERE kind = 'searched' AND results = 0)
    FROM analytics.fact WHERE {_WINDOW} GROUP BY 1
    ON CONFLICT (day) DO UPDATE SET
        events_submitted = platform_daily.events_submitted + EXCLUDED.events_submitted,
        events_published = platform_daily.events_published + EXCLUDED.events_published,
        joins = platform_daily.joins + EXCLUDED.joins, leaves = platform_daily.leaves + EXCLUDED.leaves,
        moderation_decisions = platform_daily.moderation_decisions + EXCLUDED.moderation_decisions,
        moderation_seconds = platform_daily.moderation_seconds + EXCLUDED.moderation_seconds,
        tickets_opened = platform_daily.tickets_opened + EXCLUDED.tickets_opened,
        tickets_replied = platform_daily.tickets_replied + EXCLUDED.tickets_replied,
        tickets_resolved = platform_daily.tickets_resolved + EXCLUDED.tickets_resolved,
        searches = platform_daily.searches + EXCLUDED.searches,
        searches_no_results = platform_daily.searches_no_results + EXCLUDED.searches_no_results"""
"""Events submitted and published, joins, leaves, moderation throughput, support tickets and searches per day."""

ROLLUPS = (ROLLUP_EVENT_VIEWS, ROLLUP_EVENT_DAY_VIEWERS, ROLLUP_EVENT_VIEWERS, ROLLUP_EVENT_PARTICIPATION,
           ROLLUP_EVENT_REVIEWS, ROLLUP_EVENT_REVIEW_TAGS, ROLLUP_ACTIVE_USERS, ROLLUP_CLIENT_EVENTS,
           ROLLUP_CONVERSIONS, ROLLUP_PLATFORM_FACTS)
"""Every rollup statement, in the order a refresh runs them."""

# ---------------------------------------------------------------------------------------------------------------------
# The stream consumer and retention
# ---------------------------------------------------------------------------------------------------------------------

INSERT_CLIENT_EVENTS = """INSERT INTO analytics.client_event
    (client_event_id, name, occurred_at, received_at, user_id, device_id, event_id, props, txid)
SELECT u.*, pg_current_xact_id()::text::bigint
FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::text[], $7::int[],
            $8::jsonb[]) AS u
ON CONFLICT (client_event_id) DO NOTHING"""
"""A whole stream read in one statement, one array per column ($1..$8); duplicates (retries) are dropped."""

# Only rows the rollups have read are deleted (``position`` is the last refresh's xmin: every row below it is counted).
PURGE_CLIENT_EVENTS = ("DELETE FROM analytics.client_event WHERE occurred_at < $1 AND txid < "
                       "(SELECT position FROM analytics.rollup_watermark WHERE name = 'rollups')")
"""Delete raw client events older than $1 that the rollups have counted."""

PURGE_FACTS = ("DELETE FROM analytics.fact WHERE occurred_at < $1 AND txid < "
               "(SELECT position FROM analytics.rollup_watermark WHERE name = 'rollups')")
"""Delete raw facts older than $1 that the rollups have counted."""
