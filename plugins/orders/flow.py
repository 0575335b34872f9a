"""The conversation with a venue's POS, run by jobs: send (exactly once), outcomes, cancellation, reconciliation.

An order is sent with its own UUID as the POS's idempotency key, so a retry after a timeout (the POS may have
committed it) never creates a second order there. Failures that may pass are retried with backoff (the vendor's
``Retry-After`` first) up to ``max_attempts``; a venue whose POS keeps failing has its circuit opened, so its orders
wait without holding workers while other venues' orders go on. Reconciliation looks up on the POS the orders whose
outcome we do not know, and those we think failed, and repairs the difference.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Literal

from core import clock, realtime
from core.hooks import plugin_settings
from plugins.orders import OrdersSettings, pos, states
from plugins.orders.hookspecs import PosOrder, PosOrderLine, PosOrderState, PosRejected, PosUnavailable
from plugins.orders.menu import modifiers_of
from plugins.orders.store import Row, load, move, number, transaction
from plugins.orders.tables import Order, OrderLine

log = logging.getLogger("plugins.orders")
Outcome = Literal["done", "skip", "retry", "wait", "failed"]
WAITING_FOR_POS = ("queued", "retrying", "uncertain")
RECONCILE_CONCURRENCY = 8


async def pos_order(row: Row, attempt: int) -> PosOrder:
    """What the POS receives: lines, total, fulfilment, our UUID as the idempotency key."""
    lines = await OrderLine.select(OrderLine.external_id, OrderLine.name, OrderLine.quantity,
                                   OrderLine.unit_price_minor, OrderLine.modifiers).where(
        OrderLine.order == row["id"]).order_by(OrderLine.id)
    return PosOrder(order_id=str(row["id"]), number=number(row["id"]), lines=[
        PosOrderLine(external_id=ln["external_id"], name=ln["name"], quantity=ln["quantity"],
                     unit_price_minor=ln["unit_price_minor"],
                     modifiers=[m.external_id for m in modifiers_of(ln["modifiers"])]) for ln in lines],
        total_minor=row["total_minor"], currency=row["currency"], fulfilment=row["fulfilment"],
        pickup_at=row["pickup_at"], table=row["table_ref"], notes=row["notes"], attempt=attempt)


async def send(order_id: str, attempt: int) -> tuple[Outcome, float]:
    """One attempt to put a submitted order on its POS; returns what happened and, to retry or wait, after how long."""
    row = await load(order_id)
    if row["status"] != states.SUBMITTED or row["pos_state"] not in WAITING_FOR_POS:
        return "skip", 0.0  # already sent, cancelled meanwhile, or a duplicate delivery of this job
    adapter, conn = await pos.connection(row["venue_id"])
    if not adapter.remote:
        await record(order_id, pos_state="sent")  # the venue's staff see it in their live queue
        return "done", 0.0
    breaker = pos.Breaker(row["venue_id"])
    wait = await breaker.retry_in()
    if wait > 0:
        return "wait", wait
    try:
        state = pos.checked_state(await pos.call(conn, adapter.submit_order(conn, await pos_order(row, attempt))))
    except PosRejected as exc:
        await breaker.succeeded()  # the POS answered: it is up
        await fail(order_id, f"The venue's POS refused the order: {exc}"[:500])
        return "failed", 0.0
    except PosUnavailable as exc:
        await breaker.failed()
        attempts = row["pos_attempts"] + 1
        if attempts >= plugin_settings(OrdersSettings).max_attempts:
            await fail(order_id, "The venue's POS could not be reached", attempts=attempts, error=str(exc))
            return "failed", 0.0
        uncertain = exc.maybe_committed or row["pos_state"] == "uncertain"
        await record(order_id, pos_state="uncertain" if uncertain else "retrying", pos_attempts=attempts,
                     pos_error=str(exc)[:500])
        return "retry", pos.backoff_s(attempts - 1, exc.retry_after)
    await breaker.succeeded()
    await adopt(order_id, state, pos_attempts=row["pos_attempts"] + 1)
    return "done", 0.0


async def record(order_id: str, **changes: Any) -> None:
    """Store the POS conversation's state of an order (no status move)."""
    values = {getattr(Order, k): v for k, v in changes.items()}
    values[Order.updated_at] = clock.now()
    await Order.update(values).where(Order.id == load_id(order_id))


def load_id(order_id: str) -> Any:
    """The UUID of ``order_id``."""
    from plugins.orders.store import parse_id

    return parse_id(order_id)


async def fail(order_id: str, reason: str, *, attempts: int | None = None, error: str = "") -> None:
    """The POS refused the order or stayed unreachable: submitted → failed (the system's move)."""
    async with realtime.after_commit() as rt, transaction():
        row = await load(order_id, lock=True)
        changes: dict[str, Any] = {"pos_state": "failed", "pos_error": (error or reason)[:500]}
        if attempts is not None:
            changes["pos_attempts"] = attempts
        if states.allowed(row["status"], states.FAILED, states.SYSTEM):
            await move(row, states.FAILED, states.SYSTEM, None, reason, rt, **changes)
        else:
            await record(order_id, **changes)


async def adopt(order_id: str, state: PosOrderState, *, reconciling: bool = False, **changes: Any) -> bool:
    """The POS has the order: remember its id there and take its status when the table allows; True if it moved."""
    async with realtime.after_commit() as rt, transaction():
        row = await load(order_id, lock=True)
        changes = {"pos_state": "sent", "pos_checked_at": clock.now(), "pos_error": "", **changes}
        if state.pos_order_id:
            changes["pos_order_id"] = state.pos_order_id
        return await apply_status(row, state.status, state.reason, rt, reconciling=reconciling, **changes)


async def apply_status(row: Row, target: str | None, reason: str, rt: realtime.Outbox, *, reconciling: bool = False,
                       **changes: Any) -> bool:
    """Move a locked order to the POS's status when the table allows it (a stale or repeated status is no move)."""
    role = states.SYSTEM if reconciling and row["status"] == states.FAILED else states.POS
    if target is not None and target != row["status"] and states.allowed(row["status"], target, role):
        await move(row, target, role, None, reason, rt, **changes)
        return True
    if target is not None and target != row["status"]:
        log.info("order %s: the POS says %s while it is %s; no move", row["id"], target, row["status"])
    if changes:
        await record(str(row["id"]), **changes)
    return False


async def cancel_on_pos(order_id: str) -> bool:
    """Tell the POS an order was cancelled here; False when it could not be reached (the job retries)."""
    row = await load(order_id)
    adapter, conn = await pos.connection(row["venue_id"])
    if not adapter.remote or row["pos_state"] == "failed":
        return True
    try:
        await pos.call(conn, adapter.cancel_order(conn, str(row["id"]), row["pos_order_id"], "cancelled in Sbor"))
    except PosRejected as exc:
        log.warning("order %s: the POS refused its cancellation: %s", order_id, exc)
    except PosUnavailable:
        return False
    return True


async def reconcile(resend: Callable[[str], Awaitable[None]], limit: int = 500) -> dict[str, int]:
    """Compare our orders with their POS and repair the difference; returns counts of what it did.

    * waiting for the POS (queued, retrying, uncertain) for longer than ``reconcile_after_s``: the POS has it →
      adopt it; it does not → send it again (same UUID: never a duplicate);
    * failed in the last day: the POS has it after all → it takes the POS's status (the system's move);
    * sent and still open: the POS's current status, for webhooks that never came.

    ``resend`` queues an order's sending again (the jobs module passes its own).
    """
    settings = plugin_settings(OrdersSettings)
    now = clock.now()
    stale = now - timedelta(seconds=settings.reconcile_after_s)
    rows = await Order.select(Order.id, Order.venue_id, Order.status, Order.pos_state, Order.pos_order_id).where(
        Order.adapter != "manual",
        ((Order.status == states.SUBMITTED) & Order.pos_state.is_in(list(WAITING_FOR_POS))
         & (Order.updated_at < stale))
        | ((Order.status == states.FAILED) & (Order.updated_at > now - timedelta(days=1)))
        | (Order.status.is_in(list(states.OPEN)) & (Order.pos_state == "sent")
           & ((Order.pos_checked_at < stale) | Order.pos_checked_at.is_null())),
    ).order_by(Order.updated_at).limit(limit)
    counts = {"checked": 0, "adopted": 0, "resent": 0, "repaired": 0, "moved": 0, "skipped": 0}
    open_circuits: dict[int, bool] = {}
    gate = asyncio.Semaphore(RECONCILE_CONCURRENCY)  # look-ups overlap (each waits on a POS)

    async def one(r: Row) -> None:
        async with gate:  # a few at a time: each holds a POS call, a database and a Redis connection
            await check(r)

    async def check(r: Row) -> None:
        venue = r["venue_id"]
        if venue not in open_circuits:
            open_circuits[venue] = await pos.Breaker(venue).is_open()
        if open_circuits[venue]:
            counts["skipped"] += 1
            return
        adapter, conn = await pos.connection(venue)
        breaker = pos.Breaker(venue)
        try:
            found = await pos.call(conn, adapter.get_order(conn, str(r["id"]), r["pos_order_id"]))
            state = None if found is None else pos.checked_state(found)
        except (PosUnavailable, PosRejected) as exc:
            log.info("reconcile: order %s not checked: %s", r["id"], exc)
            if isinstance(exc, PosUnavailable) and await breaker.failed():
                open_circuits[venue] = True
            counts["skipped"] += 1
            return
        await breaker.succeeded()
        counts["checked"] += 1
        if state is None:
            if r["status"] == states.SUBMITTED:
                await record(str(r["id"]), pos_state="queued", pos_attempts=0)
                await resend(str(r["id"]))  # the same UUID: the POS cannot get it twice
                counts["resent"] += 1
            return
        moved = await adopt(str(r["id"]), state, reconciling=True)
        key = "repaired" if r["status"] == states.FAILED else ("adopted" if r["pos_state"] != "sent" else "moved")
        counts[key] += 1 if (moved or key == "adopted") else 0

    await asyncio.gather(*(one(r) for r in rows))
    if any(counts.values()):
        log.info("reconcile: %s", counts)
    return counts
