"""Background job of the "+1" search: close the requests whose event has started (periodic)."""

from __future__ import annotations

from core.jobs import job
from plugins.groups.partners import services


@job("groups.close_partner_requests", max_retries=3)
async def close_partner_requests() -> int:
    """Close open requests whose event started (idempotent; reads already treat them as closed)."""
    return await services.close_started()
