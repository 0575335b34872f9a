"""Background jobs of the analytics plugin: the stream consumer with the rollup refresh, and raw data retention."""

from __future__ import annotations

import logging
from datetime import timedelta

from core import clock, db
from core.hooks import plugin_settings
from core.jobs import job
from plugins.analytics import AnalyticsSettings, sql

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
    for statement in (sql.PURGE_CLIENT_EVENTS, sql.PURGE_FACTS):  # only rows the rollups have counted
        await db.fetch(statement, cutoff)
    log.info("analytics: purged raw rows older than %s", cutoff.date())
