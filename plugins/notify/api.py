"""Public API of notify for other plugins and the admin panel (import only this and ``hookspecs``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.query.functions.aggregate import Count

from core.pagination import Page
from plugins.notify import inbox
from plugins.notify.tables import Notification


@dataclass(frozen=True)
class LogEntry:
    """One try of a notification on a channel (or a decision: ``deferred``, ``skipped``)."""

    id: int
    notification_id: int
    user_id: int
    kind: str
    channel: str  # email | push | sms | log | inbox | "-" (a decision, no channel)
    status: str  # sent | retry | rejected | failed | deferred | skipped
    error: str
    at: datetime
    notification_status: str  # pending | queued | sending | sent | failed | cancelled
    subject: str | None  # what the notification is about, as its sender named it ("events.event:42")


async def delivery_log(*, user_id: int | None = None, status: str | None = None, channel: str | None = None,
                       kind: str | None = None, notification_id: int | None = None, since: datetime | None = None,
                       cursor: str | None = None, limit: int = 50) -> Page[LogEntry]:
    """The delivery log, newest first, filtered (every filter optional); ``InvalidCursor`` (400) on a bad cursor."""
    rows, next_cursor = await inbox.delivery_log(user_id=user_id, status=status, channel=channel, kind=kind,
                                                 notification_id=notification_id, since=since, cursor=cursor,
                                                 limit=limit)
    return Page(items=[LogEntry(**r) for r in rows], next_cursor=next_cursor)


async def failed_count(since: datetime) -> int:
    """How many notifications ended ``failed`` since ``since`` (the admin dashboard's alarm figure)."""
    n: int = await Notification.count().where((Notification.status == "failed") & (Notification.finished_at >= since))
    return n


async def status_counts() -> dict[str, int]:
    """Notifications by status (every status present, 0 when none): the outbox at a glance."""
    out = dict.fromkeys(("pending", "queued", "sending", "sent", "failed", "cancelled"), 0)
    rows = await Notification.select(Notification.status, Count(alias="n")).group_by(Notification.status)
    for r in rows:
        out[r["status"]] = int(r["n"])
    return out
