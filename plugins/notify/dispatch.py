"""The dispatcher: due outbox rows → the delivery actor, in chunks (a periodic job, once per tick cluster-wide)."""

from __future__ import annotations

import logging
from datetime import timedelta

from core import clock, db
from core.hooks import plugin_settings
from core.jobs import job
from plugins.notify import NotifySettings, sql
from plugins.notify.delivery import deliver_job

log = logging.getLogger("plugins.notify")


@job("notify.dispatch", max_retries=0)
async def dispatch_job() -> None:
    """Hand due outbox rows to the workers (run every few seconds by the scheduler)."""
    await dispatch()


async def dispatch(max_rounds: int = 10) -> int:
    """Claim due rows and hand them to workers in chunks; returns how many were handed over."""
    s = plugin_settings(NotifySettings)
    total = 0
    for _ in range(max_rounds):
        now = clock.now()
        rows = await db.fetch(sql.CLAIM, now, now + timedelta(seconds=s.lease_s), s.dispatch_batch)
        ids = [r["id"] for r in rows]
        for i in range(0, len(ids), s.deliver_chunk):
            # If Redis is down this raises: the rows stay queued and are claimed again when their lease ends.
            await deliver_job.enqueue(ids[i : i + s.deliver_chunk])
        total += len(ids)
        if len(ids) < s.dispatch_batch:
            break
    if total:
        log.info("dispatcher handed %d notification(s) to the workers", total)
    return total
