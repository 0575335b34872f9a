"""The set-based SQL of the dispatcher and the delivery actor (one statement per step for a whole chunk)."""

from __future__ import annotations

CLAIM = (
    "WITH due AS (SELECT id FROM notify.notification WHERE (status = 'pending' AND due_at <= $1) "
    "OR (status IN ('queued', 'sending') AND lease_until < $1) ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
    "UPDATE notify.notification n SET status = 'queued', lease_until = $2 FROM due WHERE n.id = due.id "
    "RETURNING n.id"
)
TAKE = (
    "UPDATE notify.notification SET status = 'sending', lease_until = $2, attempts = attempts + 1 "
    "WHERE id = ANY($1::int[]) AND status = 'queued' "
    "RETURNING id, user_id, kind, event_id, payload, urgent, due_at, attempts, offset_min"
)
DEVICES = "SELECT user_id, platform, token FROM notify.device_token WHERE user_id = ANY($1::int[]) ORDER BY id"
BEGIN_MANY = (
    "INSERT INTO notify.delivery (notification, channel, idempotency_key, status, destination, provider_id, error, "
    "attempts, updated_at) SELECT f.nid, f.channel, f.key, 'sending', '', '', '', 1, $2 "
    "FROM jsonb_to_recordset($1::jsonb) AS f(nid int, channel text, key text) "
    "ON CONFLICT (idempotency_key) DO UPDATE SET status = 'sending', attempts = delivery.attempts + 1, "
    "updated_at = $2 WHERE delivery.status = 'retry' OR (delivery.status = 'sending' AND delivery.updated_at < $3) "
    "RETURNING id, idempotency_key"
)
STATES = "SELECT idempotency_key, status FROM notify.delivery WHERE idempotency_key = ANY($1::text[])"
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
    "attempts = n.attempts - f.refund, lease_until = NULL, "
    "finished_at = CASE WHEN f.status IN ('sent', 'failed', 'cancelled') THEN $2::timestamptz END "
    "FROM jsonb_to_recordset($1::jsonb) AS f(id int, status text, due_at timestamptz, error text, refund int) "
    "WHERE n.id = f.id AND n.status = 'sending'"
)
