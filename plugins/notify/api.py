"""Public API of notify for other plugins and the admin panel (import only this and ``hookspecs``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import db
from plugins.notify import inbox


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
    event_id: int | None


@dataclass(frozen=True)
class LogPage:
    """A page of the delivery log, newest first; pass ``next_cursor`` back for the next page."""

    items: list[LogEntry]
    next_cursor: str | None


async def delivery_log(*, user_id: int | None = None, status: str | None = None, channel: str | None = None,
                       kind: str | None = None, notification_id: int | None = None, since: datetime | None = None,
                       cursor: str | None = None, limit: int = 50) -> LogPage:
    """The delivery log, filtered (every filter optional). ``BadRequest(code="invalid_cursor")`` on a bad cursor."""
    rows, next_cursor = await inbox.delivery_log(user_id=user_id, status=status, channel=channel, kind=kind,
                                                 notification_id=notification_id, since=since, cursor=cursor,
                                                 limit=max(1, min(limit, 200)))
    return LogPage([LogEntry(**r) for r in rows], next_cursor)


async def failed_count(since: datetime) -> int:
    """How many notifications ended ``failed`` since ``since`` (the admin dashboard's alarm figure)."""
    rows = await db.fetch("SELECT count(*) AS n FROM notify.notification WHERE status = 'failed' AND finished_at >= $1",
                          since)
    return int(rows[0]["n"])


async def status_counts() -> dict[str, int]:
    """Notifications by status (every status present, 0 when none): the outbox at a glance."""
    out = dict.fromkeys(("pending", "queued", "sending", "sent", "failed", "cancelled"), 0)
    for r in await db.fetch("SELECT status, count(*) AS n FROM notify.notification GROUP BY status"):
        out[r["status"]] = int(r["n"])
    return out
