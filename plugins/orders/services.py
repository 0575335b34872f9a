"""The rules of orders: drafts and group parts, submission (without waiting for the POS), cancellation, staff moves.

Prices always come from the venue's menu (a price in a request is refused by the schema); every write takes the
order's row lock. Services never import Litestar and raise ``core.errors`` with stable codes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from core import clock, hooks, realtime
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.hooks import plugin_settings
from core.pagination import Page, decode_cursor, paginate
from plugins.events import api as events
from plugins.events import hookspecs as events_hooks
from plugins.orders import OrdersSettings, hookspecs, pos, states
from plugins.orders.menu import modifiers_of, venue_or_404
from plugins.orders.schemas import LineIn, LineRead, OrderCreate, OrderMoveRead, OrderRead, OrderSummary
from plugins.orders.store import Row, history, info_of, load, move, number, people, transaction
from plugins.orders.tables import MenuItem, Order, OrderLine, OrderMove

log = logging.getLogger("plugins.orders")
LIST_SCOPE = "orders.mine"


def fail(pointer: str, detail: str, code: str,
         params: dict[str, Any] | None = None) -> ValidationFailed:
    """One-field validation error; ``detail``'s ``%(name)s`` placeholders come from ``params``."""
    error = ValidationFailed(detail, code=code, params=params)
    error.extra["errors"] = [{"pointer": pointer, "detail": error.detail}]
    return error


async def is_group_member(group_id: int, user_id: int) -> bool:
    """Whether ``user_id`` is a member of the group, as the plugin owning groups answers (False when none is on)."""
    access = await hooks.first(events_hooks.group_access_from_groups, group_id=group_id, user_id=user_id)
    return bool(access and access.member)


# ---------------------------------------------------------------------------------------------------------------------
# Lines priced from the menu
# ---------------------------------------------------------------------------------------------------------------------


async def priced_lines(venue_id: int, items: Sequence[LineIn], pointer: str = "/items") -> list[dict[str, Any]]:
    """Lines with names and prices from the venue's menu; refuses other venues' items, stopped ones, huge amounts."""
    settings = plugin_settings(OrdersSettings)
    ids = sorted({i.item_id for i in items})
    rows = {r["id"]: r for r in await MenuItem.select().where(MenuItem.id.is_in(ids or [0]),
                                                             MenuItem.venue_id == venue_id)}
    out = []
    for n, line in enumerate(items):
        item = rows.get(line.item_id)
        if item is None or item["removed_at"] is not None:
            raise fail(f"{pointer}/{n}/item_id", "not on this venue's menu", "item_not_on_menu")
        if not item["available"] or item["stopped"]:
            raise fail(f"{pointer}/{n}/item_id", "%(name)s cannot be ordered now (stop list)",
                       "item_unavailable", params={"name": item['name']})
        if line.quantity > settings.max_quantity:
            raise fail(f"{pointer}/{n}/quantity", "at most %(max_quantity)s of one item",
                       "quantity_too_large", params={"max_quantity": settings.max_quantity})
        offered = {m.external_id: m for m in modifiers_of(item["modifiers"])}
        chosen = []
        for k, ext in enumerate(line.modifiers):
            if ext not in offered:
                raise fail(f"{pointer}/{n}/modifiers/{k}", "not an option of this item", "unknown_modifier")
            chosen.append(offered[ext])
        unit = item["price_minor"] + sum(m.price_minor for m in chosen)
        out.append({"item": item["id"], "external_id": item["external_id"], "name": item["name"],
                    "quantity": line.quantity, "unit_price_minor": unit, "currency": item["currency"],
                    "modifiers": msgspec.to_builtins(chosen), "line_total_minor": unit * line.quantity})
    return out


def _one_currency(lines: list[dict[str, Any]], current: str | None = None) -> str:
    currencies = {ln["currency"] for ln in lines} | ({current} if current else set())
    if len(currencies) > 1:
        raise fail("/items", "items of one order must have one currency", "mixed_currency")
    return currencies.pop() if currencies else (current or "RUB")


async def _write_lines(order_id: uuid.UUID, user_id: int, lines: list[dict[str, Any]]) -> None:
    await OrderLine.delete().where(OrderLine.order == order_id, OrderLine.user == user_id)
    if lines:
        await OrderLine.insert(*[OrderLine(order=order_id, user=user_id, item=ln["item"],
                                           external_id=ln["external_id"], name=ln["name"], quantity=ln["quantity"],
                                           unit_price_minor=ln["unit_price_minor"], modifiers=ln["modifiers"],
                                           line_total_minor=ln["line_total_minor"]) for ln in lines])


async def _totals(order_id: uuid.UUID) -> tuple[int, int]:
    rows = await OrderLine.select(OrderLine.line_total_minor).where(OrderLine.order == order_id)
    return sum(r["line_total_minor"] for r in rows), len(rows)


# ---------------------------------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------------------------------


async def can_see(row: Row, user_id: int) -> bool:
    """The owner, anyone with a part in it, and for a group order the group's members."""
    if row["user_id"] == user_id or user_id in await people(row):
        return True
    return row["group_id"] is not None and await is_group_member(row["group_id"], user_id)


async def _visible(row: Row, user_id: int) -> Row:
    if not await can_see(row, user_id):
        raise NotFound("order not found", code="order_not_found")  # another user's order: as if it did not exist
    return row


def _owner(row: Row, user_id: int) -> None:
    if row["user_id"] != user_id:
        raise PermissionDenied("Only the member who started this group order submits or cancels it",
                               code="not_order_owner")


async def _check_event(user_id: int, venue_id: int, event_id: int) -> None:
    event = await events.get_event_info(event_id)
    if event.venue_id != venue_id:
        raise fail("/event_id", "this event is not at this venue", "event_not_at_venue")
    if await events.participation_status(event_id, user_id) != "confirmed":
        raise PermissionDenied("Join the event before ordering for it", code="not_participating")


# ---------------------------------------------------------------------------------------------------------------------
# Drafts
# ---------------------------------------------------------------------------------------------------------------------


async def create(user_id: int, data: OrderCreate) -> uuid.UUID:
    """Start a draft order (with the caller's items, if any)."""
    await venue_or_404(data.venue_id)
    if data.event_id is not None:
        await _check_event(user_id, data.venue_id, data.event_id)
    if data.group_id is not None and not await is_group_member(data.group_id, user_id):
        raise NotFound("group %(group_id)s not found", params={"group_id": data.group_id}, code="group_not_found")
    if data.fulfilment == "table" and not data.table.strip():
        raise fail("/table", "give the table for table service", "table_required")
    if data.pickup_at is not None and data.pickup_at <= clock.now():
        raise fail("/pickup_at", "the pickup time has passed", "pickup_in_past")
    if len(data.items) > plugin_settings(OrdersSettings).max_lines:
        raise fail("/items", "too many lines", "too_many_lines")
    lines = await priced_lines(data.venue_id, data.items)
    order_id = uuid.uuid4()
    now = clock.now()
    async with transaction():
        await Order.insert(Order(id=order_id, user=user_id, venue_id=data.venue_id, event_id=data.event_id,
                                 group_id=data.group_id, fulfilment=data.fulfilment, pickup_at=data.pickup_at,
                                 table_ref=data.table.strip(), notes=data.notes, currency=_one_currency(lines),
                                 total_minor=sum(ln["line_total_minor"] for ln in lines), created_at=now,
                                 updated_at=now, adapter=await pos.adapter_name(data.venue_id)))
        await _write_lines(order_id, user_id, lines)
        await OrderMove.insert(OrderMove(order=order_id, actor=user_id, role=states.USER, from_status=None,
                                         to_status=states.DRAFT, at=now))
    log.info("user %s started order %s at venue %s", user_id, order_id, data.venue_id)
    return order_id


async def set_items(user_id: int, order_id: str, items: Sequence[LineIn]) -> None:
    """Replace the caller's part of a draft (the owner's, or a group member's)."""
    async with realtime.after_commit() as rt, transaction():
        row = await _visible(await load(order_id, lock=True), user_id)
        if row["status"] != states.DRAFT:
            raise Conflict("Only a draft order can change", code="order_not_editable",
                           order_status=row["status"])
        lines = await priced_lines(row["venue_id"], items)
        others = await OrderLine.count().where(OrderLine.order == row["id"], OrderLine.user != user_id)
        if others + len(lines) > plugin_settings(OrdersSettings).max_lines:
            raise fail("/items", "too many lines in this order", "too_many_lines")
        currency = _one_currency(lines, row["currency"] if others else None)
        await _write_lines(row["id"], user_id, lines)
        total, _count = await _totals(row["id"])
        await Order.update({Order.total_minor: total, Order.currency: currency, Order.version: row["version"] + 1,
                            Order.updated_at: clock.now()}).where(Order.id == row["id"])
        frame = {"type": "order.updated", "order_id": str(row["id"]), "total_minor": total,
                 "version": row["version"] + 1}
        for person in {*await people(row), row["user_id"]}:
            rt.to_user(person, frame)
        rt.publish(f"orders.order:{row['id']}", frame)


# ---------------------------------------------------------------------------------------------------------------------
# Submission and cancellation
# ---------------------------------------------------------------------------------------------------------------------


async def submit(user_id: int, order_id: str) -> Row:
    """Submit a draft: priced again from the menu, moved to ``submitted``, queued for the POS (never waited for)."""
    async with realtime.after_commit() as rt, transaction():
        row = await _visible(await load(order_id, lock=True), user_id)
        _owner(row, user_id)
        states.check_move(row["status"], states.SUBMITTED, states.USER)
        lines = await OrderLine.select(OrderLine.item, OrderLine.quantity, OrderLine.modifiers,
                                       OrderLine.user).where(OrderLine.order == row["id"]).order_by(OrderLine.id)
        if not lines:
            raise fail("/items", "the order has no items", "order_empty")
        if row["event_id"] is not None:
            await _check_event(user_id, row["venue_id"], row["event_id"])
        # The stop list may have changed since the draft was made: every line is checked (and priced) again.
        priced = await priced_lines(row["venue_id"], [
            LineIn(item_id=ln["item"], quantity=ln["quantity"],
                   modifiers=[m.external_id for m in modifiers_of(ln["modifiers"])]) for ln in lines])
        total = sum(p["line_total_minor"] for p in priced)
        adapter = await pos.adapter_name(row["venue_id"])
        pos.adapter(adapter)  # the venue's adapter must be installed and enabled (404 adapter_unavailable)
        row = {**row, "total_minor": total}
        payment = await hooks.first(hookspecs.payment_status_from_payments, order=info_of(row))
        row = await move(row, states.SUBMITTED, states.USER, user_id, "", rt, total_minor=total,
                         payment_status=payment or row["payment_status"], adapter=adapter, pos_state="queued",
                         submitted_at=clock.now())
    from plugins.orders import jobs

    await jobs.enqueue_send(str(row["id"]))
    return row


async def cancel(user_id: int, order_id: str, reason: str) -> Row:
    """The user cancels their order: a draft, or a submitted order the venue has not confirmed yet."""
    async with realtime.after_commit() as rt, transaction():
        row = await _visible(await load(order_id, lock=True), user_id)
        _owner(row, user_id)
        row = await move(row, states.CANCELLED, states.USER, user_id, reason.strip(), rt)
    await _cancel_on_pos(row)
    return row


async def staff_move(staff_id: int, order_id: str, target: str, reason: str) -> Row:
    """A move made by the venue's staff (the manual adapter's queue, or overriding a POS)."""
    reason = reason.strip()
    if target in (states.REJECTED, states.CANCELLED) and not reason:
        raise fail("/reason", "give the customer a reason", "reason_required")
    async with realtime.after_commit() as rt, transaction():
        row = await move(await load(order_id, lock=True), target, states.STAFF, staff_id, reason, rt)
    if target == states.CANCELLED:
        await _cancel_on_pos(row)
    return row


async def _cancel_on_pos(row: Row) -> None:
    if row["pos_state"] in ("sent", "uncertain", "retrying", "queued") and row["adapter"] != "manual":
        from plugins.orders import jobs

        await jobs.enqueue_cancel(str(row["id"]))


# ---------------------------------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------------------------------


async def read(user_id: int | None, order_id: str, *, staff: bool = False) -> OrderRead:
    """An order as the caller sees it (404 for anyone it does not concern, unless staff)."""
    row = await load(order_id)
    if not staff:
        await _visible(row, user_id or 0)
    lines = await OrderLine.select(OrderLine.id, OrderLine.user.as_alias("user_id"), OrderLine.item.as_alias(
        "item_id"), OrderLine.name, OrderLine.quantity, OrderLine.unit_price_minor, OrderLine.modifiers,
        OrderLine.line_total_minor).where(OrderLine.order == row["id"]).order_by(OrderLine.id)
    line_reads = [LineRead(**{**ln, "modifiers": modifiers_of(ln["modifiers"])}) for ln in lines]
    return OrderRead(
        id=str(row["id"]), number=number(row["id"]), user_id=row["user_id"], venue_id=row["venue_id"],
        status=row["status"], fulfilment=row["fulfilment"], table=row["table_ref"], notes=row["notes"],
        currency=row["currency"], total_minor=row["total_minor"],
        my_total_minor=sum(ln.line_total_minor for ln in line_reads if ln.user_id == user_id),
        payment_status=row["payment_status"], pos_state=row["pos_state"], lines=line_reads,
        moves=[OrderMoveRead(**m) for m in await history(row["id"])], version=row["version"],
        created_at=row["created_at"], updated_at=row["updated_at"], event_id=row["event_id"],
        group_id=row["group_id"], pickup_at=row["pickup_at"], submitted_at=row["submitted_at"])


def summary(r: Row) -> OrderSummary:
    """A row as a list item."""
    return OrderSummary(id=str(r["id"]), number=number(r["id"]), venue_id=r["venue_id"], status=r["status"],
                        total_minor=r["total_minor"], currency=r["currency"], updated_at=r["updated_at"],
                        group_id=r["group_id"])


SUMMARY_COLUMNS = (Order.id, Order.venue_id, Order.status, Order.total_minor, Order.currency, Order.updated_at,
                   Order.group_id, Order.created_at)


async def list_mine(user_id: int, cursor: str | None, limit: int) -> Page[OrderSummary]:
    """The caller's orders and the group orders they have a part in, newest first."""
    parts = await OrderLine.select(OrderLine.order).where(OrderLine.user == user_id).distinct().limit(1000)
    where = (Order.user == user_id) | Order.id.is_in([r["order"] for r in parts] or [uuid.UUID(int=0)])
    query = Order.select(*SUMMARY_COLUMNS).where(where)
    if cursor:
        at, oid = decode_cursor(cursor, datetime, uuid.UUID, scope=LIST_SCOPE)
        query = query.where((Order.created_at < at) | ((Order.created_at == at) & (Order.id < oid)))
    rows = await query.order_by(Order.created_at, Order.id, ascending=False).limit(limit + 1)
    items, nxt = paginate(rows, limit, key=lambda r: (r["created_at"], r["id"]), scope=LIST_SCOPE)
    return Page(items=[summary(r) for r in items], next_cursor=nxt)


async def group_drafts(user_id: int, group_id: int) -> list[OrderSummary]:
    """A group's draft orders its members may add to (members only: 404 ``group_not_found`` otherwise)."""
    if not await is_group_member(group_id, user_id):
        raise NotFound("group %(group_id)s not found", params={"group_id": group_id}, code="group_not_found")
    rows = await Order.select(*SUMMARY_COLUMNS).where(Order.group_id == group_id, Order.status == states.DRAFT
                                                      ).order_by(Order.created_at, ascending=False).limit(50)
    return [summary(r) for r in rows]
