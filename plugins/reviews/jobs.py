"""Background jobs of reviews: the deleted-events sweep (periodic) and restating the figures (both idempotent)."""

from __future__ import annotations

from core.jobs import job
from plugins.reviews import services


@job("reviews.sweep_deleted_events", max_retries=3)
async def sweep_deleted_events() -> int:
    """Hide the reviews of events deleted since the last sweep from lists and aggregates (idempotent)."""
    return await services.sweep_deleted_events()


@job("reviews.restate_figures", max_retries=3)
async def restate_figures() -> int:
    """Write every target's shown figures again with the current threshold and prior (idempotent)."""
    return await services.restate_figures()
