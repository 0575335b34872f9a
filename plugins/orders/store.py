"""Low-level helpers of the services: transactions, order loads (locked or not), snapshots and status moves.

A move is recorded (who, role, from, to, why), announced to other plugins (``order_status_changed``), to the people
of the order (a notification through ``core.notifications`` and the real-time channel after the commit) and, when the
venue configured one, to the venue's own system (an outgoing Standard Webhook, written to an outbox here).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from core import clock, db, hooks, notifications
from core.errors import NotFound
from core.notifications import Notice
from core.realtime import Outbox
from plugins.events import api as events
from plugins.orders import hookspecs, sql, states
from plugins.orders.hookspecs import OrderInfo
from plugins.orders.tables import Order, OrderLine, OrderMove, OutgoingWebhook, VenuePos

log = logging.getLogger("plugins.orders")
Row = dict[str, Any]
STATUS_KIND = "orders.status"


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A transaction on the primary; Piccolo queries and hook implementations in this task join it."""
    async with db.engine().transaction():
        yield


def parse_id(order_id: str | uuid.UUID) -> uuid.UUID:
    """An order id from the path or a webhook; NotFound for anything that is not a UUID."""
    if isinstance(order_id, uuid.UUID):
        return order_id
    try:
        return uuid.UUID(str(order_id))
    except ValueError:
        raise NotFound("order not found", code="order_not_found") from None


async def load(order_id: str | uuid.UUID, *, lock: bool = False) -> Row:
    """Load an order row (``user_id`` for its owner); ``lock`` takes its row lock for the transaction."""
    oid = parse_id(order_id)
    if lock:
        rows = await Order.raw(sql.ORDER_FOR_UPDATE, oid)
        row: Row | None = rows[0] if rows else None
    else:
        row = await Order.select(*Order.all_columns(exclude=[Order.user]), Order.user.as_alias("user_id")).where(
            Order.id == oid).first()
    if row is None:
        raise NotFound("order not found", code="order_not_found")
    return row


def info_of(row: Row) -> OrderInfo:
    """The public snapshot of an order row."""
    return OrderInfo(id=str(row["id"]), user_id=row["user_id"], venue_id=row["venue_id"], status=row["status"],
                     total_minor=row["total_minor"], currency=row["currency"], payment_status=row["payment_status"],
                     event_id=row["event_id"], group_id=row["group_id"])


def number(order_id: Any) -> str:
    """The short number people and kitchens read (the UUID's first 8 characters, upper case)."""
    return str(order_id)[:8].upper()


def money(minor: int, currency: str) -> str:
    """``1 250.00 RUB``-style amount for notifications."""
    return f"{minor // 100:,}.{minor % 100:02d} {currency}".replace(",", " ")


async def people(row: Row) -> list[int]:
    """Everyone an order concerns: its owner and every member who added items (group orders)."""
    rows = await OrderLine.select(OrderLine.user).where(OrderLine.order == row["id"]).distinct()
    return sorted({row["user_id"], *(r["user"] for r in rows)})


async def move(row: Row, target: str, role: str, actor_id: int | None, reason: str, rt: Outbox,
               **changes: Any) -> Row:
    """Move a locked order to ``target`` (409 unless the table allows it) and tell everyone concerned.

    ``changes`` are other columns to set in the same update (``pos_state``…). Returns the updated row.
    """
    states.check_move(row["status"], target, role)
    now = clock.now()
    values: dict[Any, Any] = {Order.status: target, Order.version: row["version"] + 1, Order.updated_at: now}
    values.update({getattr(Order, k): v for k, v in changes.items()})
    await Order.update(values).where(Order.id == row["id"])
    await OrderMove.insert(OrderMove(order=row["id"], actor=actor_id, role=role, from_status=row["status"],
                                     to_status=target, reason=reason, at=now))
    before = row["status"]
    row = {**row, "status": target, "version": row["version"] + 1, "updated_at": now, **changes}
    info = info_of(row)
    await hooks.notify(hookspecs.order_status_changed, order=info, from_status=before, actor_id=actor_id,
                       reason=reason)
    who = await people(row)
    venue = await venue_name(row["venue_id"])
    await notifications.send(Notice(
        STATUS_KIND, user_ids=[u for u in who if u != actor_id] if role == states.USER else who,
        subject=f"orders.order:{row['id']}", key=f"orders.order:{row['id']}:status",
        context={"status": target, "reason": reason, "number": number(row["id"]),
                 "venue": venue, "total": money(row["total_minor"], row["currency"]),
                 "fulfilment": row["fulfilment"], "table": row["table_ref"], "order_id": str(row["id"])}))
    frame = {"type": "order.status", "order_id": str(row["id"]), "status": target, "from_status": before,
             "reason": reason, "version": row["version"], "pos_state": row["pos_state"]}
    for user_id in who:
        rt.to_user(user_id, frame)
    rt.publish(f"orders.order:{row['id']}", frame)
    rt.publish(f"orders.venue:{row['venue_id']}", frame)
    await outgoing(row, before)
    log.info("order %s: %s -> %s by %s %s (%s)", row["id"], before, target, role, actor_id, reason or "-")
    return row


_VENUE_NAMES: dict[int, tuple[float, str]] = {}


async def venue_name(venue_id: int) -> str:
    """A venue's name for notifications (kept a minute: every move of every order asks for it)."""
    cached = _VENUE_NAMES.get(venue_id)
    now = clock.monotonic()
    if cached is not None and now - cached[0] < 60:
        return cached[1]
    venue = await events.get_venue(venue_id)
    name = venue.name if venue else ""
    _VENUE_NAMES[venue_id] = (now, name)
    return name


async def outgoing(row: Row, before: str | None) -> None:
    """Queue the order's new status for the venue's own system, when it configured an outgoing webhook."""
    target = await VenuePos.select(VenuePos.outgoing_url).where(VenuePos.venue_id == row["venue_id"]).first()
    if not target or not target["outgoing_url"]:
        return
    message_id = f"msg_{uuid.uuid4().hex}"
    payload = {"type": "order.status", "timestamp": clock.now().isoformat(),
               "data": {"order_id": str(row["id"]), "number": number(row["id"]), "status": row["status"],
                        "from_status": before, "total_minor": row["total_minor"], "currency": row["currency"],
                        "pos_order_id": row["pos_order_id"]}}
    await OutgoingWebhook.insert(OutgoingWebhook(venue_id=row["venue_id"], message_id=message_id, payload=payload))


async def history(order_id: Any) -> list[Row]:
    """Every move of an order, oldest first."""
    rows: list[Row] = await OrderMove.select(
        OrderMove.actor.as_alias("actor_id"), OrderMove.role, OrderMove.from_status, OrderMove.to_status,
        OrderMove.reason, OrderMove.at).where(OrderMove.order == order_id).order_by(OrderMove.id)
    return rows
