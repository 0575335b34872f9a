"""Support's raw SQL: the round-robin pick, race-safe across API processes (each constant a complete statement)."""

NEXT_AGENT = """
UPDATE support.agent SET last_assigned_at = $2
WHERE id = (
    SELECT id FROM support.agent
    WHERE active AND last_seen_at >= $1 AND NOT ("user" = ANY($3::int[]))
    ORDER BY last_assigned_at NULLS FIRST, id
    LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING "user"
"""
"""Take the online agent ($1: seen since) whose turn is longest ago, stamp the turn ($2), skipping users $3."""

SEEN = """
INSERT INTO support.agent ("user", active, last_seen_at) VALUES ($1, true, $2)
ON CONFLICT ("user") DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, active = true
WHERE support.agent.last_seen_at IS NULL OR support.agent.last_seen_at < $3 OR NOT support.agent.active
"""
"""Record agent $1 as seen at $2 (written at most once per heartbeat interval: only when last seen before $3)."""

METRICS = """
SELECT count(*) AS opened,
       count(*) FILTER (WHERE resolved_at IS NOT NULL OR status = 'closed') AS resolved,
       count(*) FILTER (WHERE status IN ('new', 'open', 'waiting_for_user')) AS unresolved,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_s) AS first_response_median_s,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response_s) AS first_response_p90_s,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_s) AS resolution_median_s,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution_s) AS resolution_p90_s,
       avg(csat_score)::float AS csat_avg, count(csat_score) AS rated
FROM support.ticket WHERE created_at >= $1 AND created_at < $2
"""
"""Totals of the tickets opened in [$1, $2): counts, median and p90 times (working seconds), CSAT."""

METRICS_BY_CATEGORY = """
SELECT category, count(*) AS opened,
       count(*) FILTER (WHERE first_response_met) AS first_response_met,
       count(first_response_met) AS first_response_counted,
       count(*) FILTER (WHERE resolution_met) AS resolution_met,
       count(resolution_met) AS resolution_counted
FROM support.ticket WHERE created_at >= $1 AND created_at < $2 GROUP BY category ORDER BY category
"""
"""SLA met per category of the tickets opened in [$1, $2) (counted once the target was reached or missed)."""

METRICS_BY_AGENT = """
SELECT t.assignee AS agent_id, a.display_name AS agent, count(*) AS tickets,
       count(*) FILTER (WHERE t.resolved_at IS NOT NULL OR t.status = 'closed') AS resolved,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.first_response_s) AS first_response_median_s,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.resolution_s) AS resolution_median_s,
       avg(t.csat_score)::float AS csat_avg
FROM support.ticket t JOIN users.account a ON a.id = t.assignee
WHERE t.created_at >= $1 AND t.created_at < $2 GROUP BY t.assignee, a.display_name ORDER BY tickets DESC, agent_id
"""
"""Per assigned agent, the tickets opened in [$1, $2)."""

METRICS_DAILY = """
SELECT d::date AS day,
       (SELECT count(*) FROM support.ticket t
         WHERE t.created_at >= d AND t.created_at < d + interval '1 day') AS opened,
       (SELECT count(*) FROM support.ticket t
         WHERE t.resolved_at >= d AND t.resolved_at < d + interval '1 day') AS resolved
FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 day', interval '1 day') d ORDER BY d
"""
"""Tickets opened and resolved on each day of [$1, $2) (days start at $1's time of day)."""
