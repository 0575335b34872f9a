"""Background jobs of notify: the dispatcher (periodic) and the delivery actor."""

from __future__ import annotations

from core.jobs import job


@job("notify.deliver", max_retries=3, min_backoff=2000)
async def deliver_job(ids: list[int]) -> None:
    """Deliver a chunk of notifications (idempotent: a duplicate message finds nothing left to claim)."""
    from plugins.notify.delivery import deliver

    await deliver(ids)


@job("notify.dispatch", max_retries=0)
async def dispatch_job() -> None:
    """Hand due outbox rows to the workers (run every few seconds by the scheduler, once per tick cluster-wide)."""
    from plugins.notify.delivery import dispatch

    await dispatch()
