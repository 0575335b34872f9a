"""Background jobs of media: process an upload, purge a deleted item's objects, and the sweep that re-sends both."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.jobs import job
from plugins.media import pipeline
from plugins.media.store import log

SWEEP_AFTER = timedelta(minutes=10)


@job("media.process", max_retries=5, time_limit=10 * 60 * 1000)
async def process(item_id: int) -> str:
    """Check, render, store and screen one confirmed upload; a storage outage sends it again later."""
    outcome = await pipeline.process(item_id)
    if outcome.result == "retry" and outcome.retry_in_s:
        await asyncio.to_thread(process.send_with_options, args=(item_id,), delay=outcome.retry_in_s * 1000)
    return outcome.result


@job("media.purge", max_retries=5)
async def purge(item_id: int) -> str:
    """Remove a deleted item's objects; sent again until the storage answers."""
    outcome = await pipeline.purge(item_id)
    if outcome.result == "retry":
        await asyncio.to_thread(purge.send_with_options, args=(item_id,), delay=outcome.retry_in_s * 1000)
    return outcome.result


@job("media.sweep", max_retries=1)
async def sweep() -> int:
    """Re-send items processing or purging for more than ten minutes (a lost message, a long outage)."""
    processing, purging = await pipeline.stuck(SWEEP_AFTER)
    for item_id in processing:
        await process.enqueue(item_id)
    for item_id in purging:
        await purge.enqueue(item_id)
    if processing or purging:
        log.info("media sweep: %s to process, %s to purge again", len(processing), len(purging))
    return len(processing) + len(purging)
