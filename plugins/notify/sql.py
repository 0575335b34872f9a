"""Every raw statement of notify: the set-based steps of the outbox, the dispatcher and the delivery actor."""

from __future__ import annotations

CLAIM = (
    "WITH due AS (SELECT id FROM notify.notification WHERE (status = 'pending' AND due_at <= $1) "
    "OR (status IN ('queued', 'sending') AND lease_until < $1) ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
    "UPDATE notify.notification n SET status = 'queued', lease_until = $2 FROM due WHERE n.id = due.id "
    "RETURNING n.id"
)
# TAKE and FINISH find a chunk's rows by primary key. Their status test is written so that no index matches it
# (``lower(status)``: statuses are lower-case): the statistics of ``status`` lag behind a burst (10 000 rows queued
# at once look like none), and the planner then walked the status index (or a partial one) through every queued row
# for each chunk of 50 (10 ms per chunk in the reminders bench), instead of 50 primary-key look-ups (1 ms).
TAKE = (
    "UPDATE notify.notification SET status = 'sending', lease_until = $2, attempts = attempts + 1 "
    "WHERE id = ANY($1::int[]) AND lower(status) = 'queued' "
    "RETURNING id, user_id, kind, subject, payload, urgent, urgent_if_today, due_at, expires_at, attempts, offset_min"
)
BEGIN_MANY = (
    "INSERT INTO notify.delivery (notification, channel, idempotency_key, status, destination, provider_id, error, "
    "attempts, updated_at) SELECT f.nid, f.channel, f.key, 'sending', '', '', '', 1, $2 "
    "FROM jsonb_to_recordset($1::jsonb) AS f(nid int, channel text, key text) "
    "ON CONFLICT (idempotency_key) DO UPDATE SET status = 'sending', attempts = delivery.attempts + 1, "
    "updated_at = $2 WHERE delivery.status = 'retry' OR (delivery.status = 'sending' AND delivery.updated_at < $3) "
    "RETURNING id, idempotency_key"
)
END_MANY = (
    "WITH f AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS f(id int, status text, provider_id text, "
    "destination text, error text, nid int, user_id int, kind text, channel text, outcome text)), "
    "d AS (UPDATE notify.delivery d SET status = f.status, provider_id = f.provider_id, destination = f.destination, "
    "error = f.error, updated_at = $2 FROM f WHERE d.id = f.id RETURNING d.id) "
    "INSERT INTO notify.attempt (notification, user_id, kind, channel, status, error, at) "
    "SELECT f.nid, f.user_id, f.kind, f.channel, f.outcome, f.error, $2 FROM f"
)
LOG_MANY = (
    "INSERT INTO notify.attempt (notification, user_id, kind, channel, status, error, at) "
    "SELECT f.nid, f.user_id, f.kind, f.channel, f.status, f.error, $2 FROM jsonb_to_recordset($1::jsonb) "
    "AS f(nid int, user_id int, kind text, channel text, status text, error text)"
)
INBOX_MANY = (
    "WITH f AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS f(user_id int, nid int, kind text, title text, "
    "body text, data jsonb)), i AS (INSERT INTO notify.inbox_item (user_id, notification, kind, title, body, data, "
    "created_at) SELECT f.user_id, f.nid, f.kind, f.title, f.body, f.data, $2 FROM f "
    "ON CONFLICT (notification) DO NOTHING RETURNING id, notification) "
    "INSERT INTO notify.delivery (notification, channel, idempotency_key, status, destination, provider_id, error, "
    "attempts, updated_at) SELECT i.notification, 'inbox', 'n' || i.notification || ':inbox', 'sent', 'inbox', "
    "i.id::text, '', 1, $2 FROM i ON CONFLICT (idempotency_key) DO NOTHING"
)
FINISH = (
    "UPDATE notify.notification n SET status = f.status, due_at = COALESCE(f.due_at, n.due_at), error = f.error, "
    "expires_at = COALESCE(f.expires_at, n.expires_at), "
    "attempts = n.attempts - f.refund, lease_until = NULL, "
    "finished_at = CASE WHEN f.status IN ('sent', 'failed', 'cancelled') THEN $2::timestamptz END "
    "FROM jsonb_to_recordset($1::jsonb) AS f(id int, status text, due_at timestamptz, error text, refund int, "
    "expires_at timestamptz) "
    "WHERE n.id = f.id AND lower(n.status) = 'sending'"
)

# ---------------------------------------------------------------------------------------------------------------------
# The outbox (Piccolo ``raw``, ``{}`` placeholders: these run in the caller's transaction)
# ---------------------------------------------------------------------------------------------------------------------

REPLACE = (
    "UPDATE notify.notification SET status = 'cancelled', finished_at = {}, error = 'replaced', lease_until = NULL "
    "WHERE key = {} AND user_id = ANY({}::int[]) AND status IN ('pending', 'queued')"
)
ADD = (
    "INSERT INTO notify.notification (user_id, kind, subject, payload, urgent, urgent_if_today, status, due_at, "
    "expires_at, attempts, error, key, created_at) SELECT u, {}, {}, {}::jsonb, {}, {}, 'pending', {}, {}, 0, '', {}, "
    "{} FROM unnest({}::int[]) AS u RETURNING id"
)
# One row per reminder offset of each recipient (their own offsets, else the platform's); moments passed are skipped.
ADD_REMINDERS = (
    "INSERT INTO notify.notification (user_id, kind, subject, payload, urgent, urgent_if_today, status, due_at, "
    "expires_at, attempts, error, key, offset_min, created_at) "
    "SELECT u.u, {}, {}, {}::jsonb, {}, {}, 'pending', {}::timestamptz - make_interval(mins => o.m), {}, 0, '', {}, "
    "o.m, {} FROM unnest({}::int[]) AS u(u) LEFT JOIN notify.user_options opt ON opt.user_id = u.u "
    "CROSS JOIN LATERAL unnest(COALESCE(opt.reminder_offsets, {}::int[])) AS o(m) "
    "WHERE {}::timestamptz - make_interval(mins => o.m) > {} RETURNING id"
)
# A key is ``:``-separated segments: a prefix matches the key itself or keys continuing with ``:`` (``…:4`` is not a
# prefix of ``…:42``). With users given, the partial index (user_id, key) of pending rows finds their rows.
WITHDRAW = (
    "UPDATE notify.notification SET status = 'cancelled', finished_at = {}, error = 'withdrawn', lease_until = NULL "
    "WHERE (key = {} OR starts_with(key, {} || ':')) AND status IN ('pending', 'queued') "
    "AND ({}::int[] IS NULL OR user_id = ANY({}::int[])) RETURNING id"
)

