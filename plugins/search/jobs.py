"""Background jobs of search: apply the outbox (every second), prune ended events and old query log (hourly)."""

from __future__ import annotations

from core.hooks import plugin_settings
from core.jobs import job
from plugins.search import SearchSettings, indexer, querylog


@job("search.apply", max_retries=0, time_limit=60_000)
async def apply() -> dict[str, int]:
    """Apply waiting changes to every index, in batches (a target that is down keeps its rows for the next run)."""
    return await indexer.apply(budget_s=20.0)


@job("search.prune", max_retries=3)
async def prune() -> int:
    """Remove ended events from the indexes and query log rows past retention."""
    await querylog.purge(plugin_settings(SearchSettings).query_log_days)
    return await indexer.prune()
