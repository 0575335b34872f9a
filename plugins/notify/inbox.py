"""The in-app inbox (list, unread count, mark read) and a user's own delivery log."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from core import clock, db
from core.errors import BadRequest, NotFound

log = logging.getLogger("plugins.notify")


def encode_cursor(last_id: int) -> str:
    """Opaque cursor: the last id seen."""
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """Read a cursor made by :func:`encode_cursor` (400 for anything else)."""
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(data["id"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BadRequest("invalid cursor", code="invalid_cursor") from exc


def _page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]["id"]) if more and rows else None


async def list_inbox(user_id: int, cursor: str | None = None, limit: int = 20,
                     unread_only: bool = False) -> tuple[list[dict[str, Any]], str | None]:
    """The user's inbox, newest first."""
    before = decode_cursor(cursor)
    rows = await db.fetch(
        "SELECT id, kind, title, body, data, created_at, read_at FROM notify.inbox_item WHERE user_id = $1 "
        "AND ($2::int IS NULL OR id < $2) AND (NOT $3 OR read_at IS NULL) ORDER BY id DESC LIMIT $4",
        user_id, before, unread_only, limit + 1)
    for r in rows:
        r["data"] = json.loads(r["data"]) if isinstance(r["data"], str) else (r["data"] or {})
    return _page(rows, limit)


async def unread_count(user_id: int) -> int:
    """How many inbox items the user has not read."""
    rows = await db.fetch("SELECT count(*) AS n FROM notify.inbox_item WHERE user_id = $1 AND read_at IS NULL",
                          user_id)
    return int(rows[0]["n"])


async def mark_read(user_id: int, item_id: int) -> None:
    """Mark one item read (idempotent); another user's item is not found."""
    rows = await db.fetch("UPDATE notify.inbox_item SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND "
                          "user_id = $2 RETURNING id", item_id, user_id, clock.now())
    if not rows:
        raise NotFound("no such inbox item", code="inbox_item_not_found")
    log.info("user %s read inbox item %s", user_id, item_id)


async def mark_all_read(user_id: int) -> int:
    """Mark every item read; returns how many changed."""
    rows = await db.fetch("UPDATE notify.inbox_item SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL "
                          "RETURNING id", user_id, clock.now())
    log.info("user %s marked %d inbox item(s) read", user_id, len(rows))
    return len(rows)


LOG_QUERY = (
    "SELECT a.id, a.notification AS notification_id, a.user_id, a.kind, a.channel, a.status, a.error, a.at, "
    "n.status AS notification_status, n.event_id FROM notify.attempt a JOIN notify.notification n "
    "ON n.id = a.notification WHERE ($1::int IS NULL OR a.user_id = $1) AND ($2::text IS NULL OR a.status = $2) "
    "AND ($3::text IS NULL OR a.channel = $3) AND ($4::text IS NULL OR a.kind = $4) "
    "AND ($5::int IS NULL OR a.notification = $5) AND ($6::timestamptz IS NULL OR a.at >= $6) "
    "AND ($7::int IS NULL OR a.id < $7) ORDER BY a.id DESC LIMIT $8"
)


async def delivery_log(*, user_id: int | None = None, status: str | None = None, channel: str | None = None,
                       kind: str | None = None, notification_id: int | None = None, since: Any = None,
                       cursor: str | None = None, limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    """Attempts, newest first, filtered; one row per try of a notification on a channel."""
    rows = await db.fetch(LOG_QUERY, user_id, status, channel, kind, notification_id, since, decode_cursor(cursor),
                          limit + 1)
    return _page(rows, limit)
