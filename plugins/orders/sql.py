"""The raw SQL of orders that earns its place (row locks, the de-duplication insert); the rest goes through Piccolo.

Every public constant is a complete statement prepared by ``tests/test_sql_contract.py`` against the migrated
database. Statements run with Piccolo's ``Table.raw`` (joining the current transaction) take ``{}`` placeholders.
"""

from __future__ import annotations

ORDER_FOR_UPDATE = (
    "SELECT id, \"user\" AS user_id, venue_id, event_id, group_id, status, fulfilment, pickup_at, table_ref, notes, "
    "currency, total_minor, payment_status, adapter, pos_state, pos_order_id, pos_attempts, pos_error, version, "
    "created_at, updated_at, submitted_at FROM orders.pre_order WHERE id = {} FOR UPDATE"
)
"""An order under its row lock: every move, edit and POS outcome of one order queues up here."""

WEBHOOK_SEEN = (
    "INSERT INTO orders.webhook_delivery (venue_id, delivery_id, received_at) VALUES ({}, {}, {}) "
    "ON CONFLICT (venue_id, delivery_id) DO NOTHING RETURNING id"
)
"""Record a webhook delivery id; no row back means it was seen before (a duplicate, ignored)."""

OUTGOING_DUE = (
    "SELECT id, venue_id, message_id, payload, attempts FROM orders.outgoing_webhook "
    "WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= {} ORDER BY next_at, id LIMIT {} "
    "FOR UPDATE SKIP LOCKED"
)
"""Outgoing webhooks due, claimed by one worker (others skip the locked rows)."""
