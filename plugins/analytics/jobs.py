"""Background jobs of the analytics plugin: the stream consumer with the rollup refresh, and raw data retention."""

from __future__ import annotations

import logging
from datetime import timedelta

from core import clock, db
from core.hooks import plugin_settings
from core.jobs import job
from plugins.analytics import AnalyticsSettings

log = logging.getLogger("plugins.analytics")


@job("analytics.consume", max_retries=0, time_limit=120_000)
async def consume() -> None:
    """Drain the client-event stream into PostgreSQL and refresh the rollups (run every few seconds)."""
    from plugins.analytics.ingest import consume_and_refresh

    await consume_and_refresh()


@job("analytics.purge", max_retries=3)
async def purge() -> None:
    """Delete raw rows older than ``raw_retention_days`` (the rollups keep the figures)."""
    days = plugin_settings(AnalyticsSettings).raw_retention_days
    cutoff = clock.now() - timedelta(days=days)
    for table in ("client_event", "fact"):
        # Only rows the rollups have read: never drop something not yet counted.
        await db.fetch(f"DELETE FROM analytics.{table} WHERE occurred_at < $1 AND txid < "
                       "(SELECT position FROM analytics.rollup_watermark WHERE name = 'rollups')", cutoff)
        # (``position`` is the last refresh's xmin: every row below it has been counted.)
    log.info("analytics: purged raw rows older than %s", cutoff.date())
