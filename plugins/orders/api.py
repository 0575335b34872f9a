"""The public Python API of orders for other plugins (payments) and adapters: import only this and hookspecs."""

from __future__ import annotations

from typing import Any

from core import clock
from core.errors import Conflict
from plugins.orders import states
from plugins.orders.hookspecs import OrderInfo
from plugins.orders.signing import SignatureError, new_secret, sign, verify
from plugins.orders.store import info_of, load, transaction
from plugins.orders.tables import Order, OrderLine, OrderMove

__all__ = ["OrderInfo", "SignatureError", "erase_user", "export_user", "get_order_info", "new_secret",
           "set_payment_status", "sign", "verify"]

PAYMENT_STATUSES = ("not_required", "pending", "authorized", "paid", "refunded", "failed")


async def get_order_info(order_id: str) -> OrderInfo:
    """The snapshot of an order; NotFound(code="order_not_found") when missing."""
    return info_of(await load(order_id))


async def set_payment_status(order_id: str, status: str) -> OrderInfo:
    """Record an order's payment status (the payment plugin's call; one of :data:`PAYMENT_STATUSES`)."""
    if status not in PAYMENT_STATUSES:
        raise ValueError(f"unknown payment status {status!r}")
    async with transaction():
        row = await load(order_id, lock=True)
        await Order.update({Order.payment_status: status, Order.updated_at: clock.now()}).where(
            Order.id == row["id"])
    return info_of({**row, "payment_status": status})


async def export_user(user_id: int) -> list[dict[str, Any]]:
    """The user's orders with their lines (for the data export)."""
    rows = await Order.select(Order.id, Order.venue_id, Order.event_id, Order.status, Order.total_minor,
                              Order.currency, Order.created_at).where(Order.user == user_id).order_by(Order.created_at)
    out = []
    for r in rows:
        lines = await OrderLine.select(OrderLine.name, OrderLine.quantity, OrderLine.line_total_minor).where(
            OrderLine.order == r["id"])
        out.append({**r, "id": str(r["id"]), "created_at": r["created_at"].isoformat(), "lines": lines})
    return out


async def erase_user(user_id: int) -> None:
    """Refuse (409 ``open_orders``) while the venue still works on the user's orders; delete their drafts."""
    open_ = await Order.count().where(Order.user == user_id, Order.status.is_in(list(states.OPEN)))
    if open_:
        raise Conflict("Orders are still open at a venue; cancel them or wait until they are completed",
                       code="open_orders", open_orders=open_)
    drafts = [r["id"] for r in await Order.select(Order.id).where(Order.user == user_id,
                                                                  Order.status == states.DRAFT)]
    if drafts:
        await OrderLine.delete().where(OrderLine.order.is_in(drafts))
        await OrderMove.delete().where(OrderMove.order.is_in(drafts))
        await Order.delete().where(Order.id.is_in(drafts))
    await Order.update({Order.notes: ""}).where(Order.user == user_id)
    group_drafts = [r["order"] for r in await OrderLine.select(OrderLine.order).where(
        OrderLine.user == user_id, OrderLine.order.status == states.DRAFT)]
    if group_drafts:  # their part of other people's group drafts
        await OrderLine.delete().where(OrderLine.user == user_id, OrderLine.order.is_in(group_drafts))
