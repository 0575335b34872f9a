"""The raw SQL of media that earns its place: row locks, a per-user lock for quotas, the near-duplicate search.

Run with ``Table.raw`` inside the current transaction: ``{}`` placeholders, each bound in order.
"""

from __future__ import annotations

LOCK_ITEM = "SELECT id, status, uploader FROM media.item WHERE id = {} FOR UPDATE"
"""Lock one item for a status move (confirm, decide, delete): two requests never both move it."""

LOCK_UPLOADER = "SELECT pg_advisory_xact_lock(hashtext('media.quota'), {}::int)"
"""Serialise one user's upload requests inside a transaction, so the daily and per-event counts hold."""

NEAR_REJECTED = (
    "SELECT id, distance FROM (SELECT id, bit_count((phash # {}::bigint)::bit(64)) AS distance FROM media.item "
    "WHERE status = 'rejected' AND phash IS NOT NULL AND id <> {}) near "
    "WHERE distance <= {} ORDER BY distance, id LIMIT 1"
)
"""The closest rejected item within a Hamming distance of a 64-bit perceptual hash (rejected items are few)."""

KEYS_IN_USE = (
    "SELECT DISTINCT r->>'key' AS key FROM media.item, jsonb_array_elements(renditions) AS r "
    "WHERE content_hash = {} AND id <> {} AND status <> 'deleted'"
)
"""Objects of the same content still used by another item (content-addressed objects are shared)."""
