"""The in-app inbox (list, unread count, mark read) and the delivery log, as pages of ``core.pagination``."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from core import clock
from core.errors import NotFound
from core.pagination import decode_cursor, paginate
from plugins.notify.tables import Attempt, InboxItem

log = logging.getLogger("plugins.notify")

INBOX_SCOPE = "notify.inbox"
LOG_SCOPE = "notify.deliveries"


def _before(cursor: str | None, scope: str) -> int | None:
    """The id a page continues below (lists are newest first); ``InvalidCursor`` (400) for a bad cursor."""
    return decode_cursor(cursor, int, scope=scope)[0] if cursor else None


async def list_inbox(user_id: int, cursor: str | None = None, limit: int = 20,
                     unread_only: bool = False) -> tuple[list[dict[str, Any]], str | None]:
    """The user's inbox, newest first, and the next page's cursor."""
    query = InboxItem.select(InboxItem.id, InboxItem.kind, InboxItem.title, InboxItem.body, InboxItem.data,
                             InboxItem.created_at, InboxItem.read_at).where(InboxItem.user_id == user_id)
    before = _before(cursor, INBOX_SCOPE)
    if before is not None:
        query = query.where(InboxItem.id < before)
    if unread_only:
        query = query.where(InboxItem.read_at.is_null())
    rows = await query.order_by(InboxItem.id, ascending=False).limit(limit + 1)
    for r in rows:
        r["data"] = json.loads(r["data"]) if isinstance(r["data"], str) else (r["data"] or {})
    return paginate(rows, limit, key=lambda r: (r["id"],), scope=INBOX_SCOPE)


async def unread_count(user_id: int) -> int:
    """How many inbox items the user has not read."""
    n: int = await InboxItem.count().where((InboxItem.user_id == user_id) & InboxItem.read_at.is_null())
    return n


async def mark_read(user_id: int, item_id: int) -> None:
    """Mark one item read (idempotent); another user's item is not found."""
    item = await InboxItem.select(InboxItem.id, InboxItem.read_at).where(
        (InboxItem.id == item_id) & (InboxItem.user_id == user_id)).first()
    if item is None:
        raise NotFound("no such inbox item", code="inbox_item_not_found")
    if item["read_at"] is None:
        await InboxItem.update({InboxItem.read_at: clock.now()}).where(InboxItem.id == item_id)
        log.info("user %s read inbox item %s", user_id, item_id)


async def mark_all_read(user_id: int) -> int:
    """Mark every item read; returns how many changed."""
    rows = await InboxItem.update({InboxItem.read_at: clock.now()}).where(
        (InboxItem.user_id == user_id) & InboxItem.read_at.is_null()).returning(InboxItem.id)
    log.info("user %s marked %d inbox item(s) read", user_id, len(rows))
    return len(rows)


async def delivery_log(*, user_id: int | None = None, status: str | None = None, channel: str | None = None,
                       kind: str | None = None, notification_id: int | None = None, since: datetime | None = None,
                       cursor: str | None = None, limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    """Attempts, newest first, filtered; one row per try of a notification on a channel (or a decision)."""
    query = Attempt.select(Attempt.id, Attempt.notification.as_alias("notification_id"), Attempt.user_id,
                           Attempt.kind, Attempt.channel, Attempt.status, Attempt.error, Attempt.at,
                           Attempt.notification.status.as_alias("notification_status"),
                           Attempt.notification.subject.as_alias("subject"))
    for column, value in ((Attempt.user_id, user_id), (Attempt.status, status), (Attempt.channel, channel),
                          (Attempt.kind, kind), (Attempt.notification, notification_id)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(Attempt.at >= since)
    before = _before(cursor, LOG_SCOPE)
    if before is not None:
        query = query.where(Attempt.id < before)
    rows = await query.order_by(Attempt.id, ascending=False).limit(limit + 1)
    return paginate(rows, limit, key=lambda r: (r["id"],), scope=LOG_SCOPE)
