"""Notify's gauges for Prometheus: how late the outbox and the reminders are (read at scrape time)."""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count, Min

from core import clock
from core.observability import ScrapeGauge
from plugins.notify.tables import Notification

LIVE = ["pending", "queued", "sending"]  # not yet sent, failed or cancelled (the partial index notification_live_due)


async def _oldest_due(reminders_only: bool) -> float:
    now = clock.now()
    where = [Notification.status.is_in(LIVE), Notification.due_at <= now]
    if reminders_only:
        where.append(Notification.offset_min.is_not_null())
    row = await Notification.select(Min(Notification.due_at, alias="oldest")).where(*where).first()
    oldest = row["oldest"] if row else None
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


async def outbox_lag() -> float:
    """Seconds since the oldest notification that is due and not sent yet became due (0: nothing waits)."""
    return await _oldest_due(reminders_only=False)


async def reminder_lag() -> float:
    """The same for reminders only (a reminder late by minutes is a reminder missed)."""
    return await _oldest_due(reminders_only=True)


async def outbox_due() -> float:
    """Notifications due and not sent yet."""
    row = await Notification.select(Count(alias="n")).where(
        Notification.status.is_in(LIVE), Notification.due_at <= clock.now()).first()
    return float(row["n"]) if row else 0.0


def gauges() -> list[ScrapeGauge]:
    """What ``register_metrics`` returns."""
    return [
        ScrapeGauge("sbor_notify_outbox_lag_seconds", "Age of the oldest due, unsent notification", read=outbox_lag),
        ScrapeGauge("sbor_notify_reminder_lag_seconds", "Age of the oldest due, unsent reminder", read=reminder_lag),
        ScrapeGauge("sbor_notify_outbox_due", "Notifications due and not sent yet", read=outbox_due),
    ]
