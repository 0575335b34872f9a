"""Background jobs of orders: send to the POS, cancel there, sync menus, reconcile, deliver outgoing webhooks.

Every job is idempotent (delivery is at least once).
"""

from __future__ import annotations

import asyncio
import logging

from core.jobs import job
from plugins.orders import flow, menu, webhooks

log = logging.getLogger("plugins.orders")
CANCEL_ATTEMPTS = 5


async def _later(j: object, delay_s: float, *args: object) -> None:
    from core.jobs import Job

    assert isinstance(j, Job)
    await asyncio.to_thread(j.send_with_options, args=args, delay=max(1, int(delay_s * 1000)))


async def enqueue_send(order_id: str) -> None:
    """Queue the first attempt to send a submitted order (after the submission committed)."""
    try:
        await send_to_pos.enqueue(order_id, 0)
    except Exception:  # Redis away: the order is saved as queued; reconciliation sends it
        log.warning("order %s: could not queue its sending; reconciliation will", order_id, exc_info=True)


async def enqueue_cancel(order_id: str) -> None:
    """Queue the cancellation of an order on its POS."""
    try:
        await cancel_on_pos.enqueue(order_id, 0)
    except Exception:
        log.warning("order %s: could not queue its cancellation on the POS", order_id, exc_info=True)


@job("orders.send_to_pos", max_retries=0, time_limit=120_000)
async def send_to_pos(order_id: str, attempt: int = 0) -> str:
    """One attempt to put an order on its POS; schedules the next one (backoff, open circuit) itself."""
    outcome, delay = await flow.send(order_id, attempt)
    if outcome == "retry":
        await _later(send_to_pos, delay, order_id, attempt + 1)
    elif outcome == "wait":
        await _later(send_to_pos, delay, order_id, attempt)
    return outcome


@job("orders.cancel_on_pos", max_retries=0, time_limit=120_000)
async def cancel_on_pos(order_id: str, attempt: int = 0) -> bool:
    """Tell the POS an order was cancelled here (a few attempts with backoff)."""
    done = await flow.cancel_on_pos(order_id)
    if not done and attempt + 1 < CANCEL_ATTEMPTS:
        from plugins.orders import pos

        await _later(cancel_on_pos, pos.backoff_s(attempt), order_id, attempt + 1)
    return done


@job("orders.sync_menu", max_retries=2, time_limit=300_000)
async def sync_menu(venue_id: int) -> dict[str, int]:
    """Fetch a venue's menu and stop list from its POS."""
    return await menu.sync(venue_id)


@job("orders.reconcile", max_retries=0, time_limit=600_000)
async def reconcile() -> dict[str, int]:
    """Compare our orders with the POS and repair the difference (periodic)."""
    return await flow.reconcile(enqueue_send)


@job("orders.deliver_webhooks", max_retries=0, time_limit=300_000)
async def deliver_webhooks() -> int:
    """Send due outgoing webhooks (periodic)."""
    return await webhooks.deliver_due()


@job("orders.housekeeping", max_retries=1)
async def housekeeping() -> int:
    """Forget old webhook delivery ids (daily)."""
    return await webhooks.forget_deliveries()
