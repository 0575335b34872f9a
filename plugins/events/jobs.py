"""Background jobs of events: expire unclaimed waitlist offers, finish events whose end has passed (both periodic)."""

from __future__ import annotations

from core.jobs import job
from plugins.events import participation, services


@job("events.expire_offers", max_retries=3)
async def expire_offers() -> int:
    """Expire offers past their claim deadline and offer the seats to the next person (idempotent)."""
    return await participation.expire_offers()


@job("events.finish_ended", max_retries=3)
async def finish_ended() -> int:
    """Move published events whose end has passed to finished (idempotent)."""
    return await services.finish_ended()
