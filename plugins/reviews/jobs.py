"""Background jobs of reviews: the sweep that hides the reviews of deleted events (periodic, idempotent)."""

from __future__ import annotations

from core.jobs import job
from plugins.reviews import services


@job("reviews.sweep_deleted_events", max_retries=3)
async def sweep_deleted_events() -> int:
    """Hide the reviews of events deleted since the last sweep from lists and aggregates (idempotent)."""
    return await services.sweep_deleted_events()
