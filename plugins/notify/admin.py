"""The notify plugin's admin panel contributions: the delivery log page and the failed-notifications widget."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import clock, db
from core.admin import AdminPage, AdminQuery, Chart, ChartQuery, Column, DashboardWidget, Filter, Page, Series, Stat
from plugins.notify import api

# The log shows who received what: only staff granted notify.view (admins; support by default) may read it.
PERMISSION = "notify.view"
STATUSES = ["sent", "retry", "rejected", "failed", "deferred", "skipped"]
CHANNELS = ["email", "push", "sms", "inbox", "log", "-"]


async def load_deliveries(query: AdminQuery) -> Page:
    """The delivery log, newest first, filterable by user, channel and status."""
    f = query.filters
    user = (f.get("user_id") or "").strip()
    if user and (not user.isdigit() or len(user) > 12):
        return Page(items=[])
    # A stale or hand-edited cursor raises InvalidCursor: the panel answers with its HTML 400 page.
    page = await api.delivery_log(user_id=int(user) if user else None, status=f.get("status") or None,
                                  channel=f.get("channel") or None, cursor=query.cursor, limit=query.limit)
    return Page(items=[dict(asdict(e), error=e.error[:200]) for e in page.items], next_cursor=page.next_cursor)


async def failed_last_day() -> list[Stat]:
    """Notifications that failed for good in the last 24 h, and the outbox at a glance."""
    failed = await api.failed_count(clock.now() - timedelta(hours=24))
    counts = await api.status_counts()
    return [
        Stat("Failed in the last 24 h", failed, "/admin/p/notify/deliveries?status=failed", "bad" if failed else ""),
        Stat("Waiting to be sent", counts["pending"] + counts["queued"] + counts["sending"]),
        Stat("Sent (all time)", counts["sent"]),
    ]


# Deliveries that ended sent or failed, per channel and day (the day of their last state change).
DELIVERY_SQL = """
SELECT (updated_at AT TIME ZONE $3)::date AS day, channel, status, count(*) AS n
FROM notify.delivery
WHERE status IN ('sent', 'failed')
  AND updated_at >= ($1::date)::timestamp AT TIME ZONE $3
  AND updated_at < (($2::date) + 1)::timestamp AT TIME ZONE $3
GROUP BY 1, 2, 3 ORDER BY 2, 3
"""


async def delivery_chart(query: ChartQuery) -> list[Series]:
    """Sent and failed per channel per day: one line per channel and outcome ("email sent", "sms failed")."""
    try:
        ZoneInfo(query.timezone)
        tz = query.timezone
    except (ZoneInfoNotFoundError, ValueError):
        tz = "UTC"
    rows = await db.fetch(DELIVERY_SQL, query.since, query.until, tz)
    lines: dict[tuple[str, str], dict[date, int]] = {}
    for r in rows:
        lines.setdefault((str(r["channel"]), str(r["status"])), {})[r["day"]] = int(r["n"])
    return [Series(f"{channel} · {status}", points) for (channel, status), points in sorted(lines.items())]


def contributions() -> list[Any]:
    """What ``register_admin_pages`` returns for notify."""
    return [
        AdminPage(
            plugin="notify", slug="deliveries", title="Delivery log", load=load_deliveries, permission=PERMISSION,
            section="Notifications",
            columns=[Column("at", "When", "datetime"), Column("user_id", "User", link="/admin/users/{user_id}"),
                     Column("kind", "Kind"), Column("channel", "Channel"), Column("status", "Status", "badge"),
                     Column("error", "Error"), Column("subject", "About"), Column("notification_id", "Notification"),
                     Column("notification_status", "Now", "badge")],
            filters=[Filter("user_id", "User id"), Filter("channel", "Channel", choices=CHANNELS),
                     Filter("status", "Status", choices=STATUSES)],
        ),
        Chart(plugin="notify", name="delivery", title="Notification delivery", load=delivery_chart,
              permission=PERMISSION, order=30, unit="notifications",
              description="Sent and failed per channel and day."),
        DashboardWidget(plugin="notify", name="failed", title="Notifications", load=failed_last_day,
                        permission=PERMISSION, order=30),
    ]
