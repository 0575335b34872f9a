"""The notifications waiting to go out to a user (reminders before an event they joined…): listed, and turned off.

So the app can show "you will be reminded at …" and let a person cancel one reminder without muting the kind.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from core import clock, i18n, notifications
from core.errors import NotFound
from core.pagination import Page, decode_cursor, paginate
from plugins.notify.schemas import ScheduledRead
from plugins.notify.tables import Notification

log = logging.getLogger("plugins.notify")

SCOPE = "notify.scheduled"
WAITING = ("pending", "queued")


async def list_scheduled(user_id: int, cursor: str | None = None, limit: int = 50) -> Page[ScheduledRead]:
    """The user's notifications not sent yet and due later, soonest first."""
    query = Notification.select(Notification.id, Notification.kind, Notification.subject, Notification.payload,
                                Notification.due_at, Notification.offset_min).where(
        Notification.user_id == user_id, Notification.status.is_in(list(WAITING)), Notification.due_at > clock.now())
    if cursor:
        due, after = decode_cursor(cursor, datetime, int, scope=SCOPE)
        query = query.where((Notification.due_at > due) | ((Notification.due_at == due) & (Notification.id > after)))
    rows = await query.order_by(Notification.due_at, Notification.id).limit(limit + 1)
    page, nxt = paginate(rows, limit, key=lambda r: (r["due_at"], r["id"]), scope=SCOPE)
    labels = {name: i18n.gettext(kind.label) for name, kind in notifications.kinds().items()}
    return Page(items=[_read(r, labels) for r in page], next_cursor=nxt)


def _read(row: dict[str, Any], labels: dict[str, str]) -> ScheduledRead:
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else (row["payload"] or {})
    context = payload.get("context", payload) if isinstance(payload, dict) else {}
    event = context.get("event") if isinstance(context, dict) else None
    title = str(event.get("title", "")) if isinstance(event, dict) else ""
    return ScheduledRead(id=row["id"], kind=row["kind"], label=labels.get(row["kind"], row["kind"]),
                         subject=row["subject"], title=title, due_at=row["due_at"], minutes_before=row["offset_min"])


async def cancel(user_id: int, notification_id: int) -> None:
    """Turn off one waiting notification of the user's (404 ``notification_not_found`` if not theirs or not waiting)."""
    done = await Notification.update({Notification.status: "cancelled", Notification.finished_at: clock.now()}).where(
        Notification.id == notification_id, Notification.user_id == user_id,
        Notification.status.is_in(list(WAITING))).returning(Notification.id)
    if not done:
        raise NotFound("No such scheduled notification", code="notification_not_found")
    log.info("user %s turned off notification %s", user_id, notification_id)
