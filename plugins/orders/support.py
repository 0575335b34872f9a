"""What orders tells the support plugin (optional hooks, orders does not depend on support): tickets about orders."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from core.users import services as users
from plugins.orders import services
from plugins.orders.admin import MANAGE
from plugins.orders.store import load, money, number
from plugins.orders.tables import Order

RECENT = 10


def _label(row: dict[str, Any]) -> str:
    return f"Order {number(row['id'])} · {row['status']} · {money(row['total_minor'], row['currency'])}"


async def ticket_subject(subject_id: str, user_id: int) -> str | bool:
    """The order's label when the user may see it (as ``GET /orders/{id}`` does); False otherwise (404 for support)."""
    try:
        row = await load(subject_id)
    except NotFound:
        return False
    return _label(row) if await services.can_see(row, user_id) else False


async def user_context(user_id: int, permissions: frozenset[str]) -> dict[str, Any]:
    """The user's latest orders, newest first; linked to the panel's order page for holders of ``orders.manage``."""
    linked = users.allows(permissions, MANAGE)
    rows = await Order.select(Order.id, Order.status, Order.total_minor, Order.currency, Order.venue_id,
                              Order.created_at).where(Order.user == user_id).order_by(
        Order.created_at, ascending=False).limit(RECENT)
    return {"title": "Orders", "rows": [
        {"label": f"{r['created_at']:%Y-%m-%d} venue #{r['venue_id']}", "value": _label(r),
         **({"url": f"/admin/p/orders/queue/o/{r['id']}"} if linked else {})} for r in rows]}
