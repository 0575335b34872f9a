"""Admin panel: the live queue of incoming orders (the manual adapter's workplace), venues' POS and menus."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from core.admin import Action, ActionContext, ActionResult, AdminPage, AdminQuery, Column, Field, Filter, Form, Page
from core.errors import ValidationFailed
from core.pagination import decode_cursor, paginate
from plugins.orders import config, menu, pos, services, states
from plugins.orders.schemas import MenuItemCreate, PosConfigWrite
from plugins.orders.store import money, number
from plugins.orders.tables import MenuItem, Order, VenuePos

MANAGE = "orders.manage"
QUEUE_SCOPE = "orders.admin.queue"
REASON = Field("reason", "Reason (the customer reads it)", kind="textarea", required=True, max_length=500)


async def list_queue(query: AdminQuery) -> Page:
    """Open orders, oldest submission first (the kitchen's order); filter by status and venue."""
    status = query.filters.get("status") or ""
    where: list[Any] = [Order.status == status] if status in states.STATUSES else [
        Order.status.is_in(list(states.OPEN))]
    venue = query.filters.get("venue_id", "")
    if venue.isdigit():
        where.append(Order.venue_id == int(venue))
    if query.cursor:
        at, oid = decode_cursor(query.cursor, str, str, scope=QUEUE_SCOPE)
        where.append((Order.updated_at > at) | ((Order.updated_at == at) & (Order.id > oid)))
    rows = await Order.select(Order.id, Order.venue_id, Order.status, Order.total_minor, Order.currency,
                              Order.fulfilment, Order.table_ref, Order.pickup_at, Order.pos_state, Order.adapter,
                              Order.updated_at).where(*where).order_by(Order.updated_at, Order.id).limit(
        query.limit + 1)
    items, nxt = paginate(rows, query.limit, key=lambda r: (r["updated_at"].isoformat(), str(r["id"])),
                          scope=QUEUE_SCOPE)
    return Page(items=[{**r, "id": str(r["id"]), "number": number(r["id"]),
                        "total": money(r["total_minor"], r["currency"]),
                        "where": r["table_ref"] if r["fulfilment"] == "table" else "pickup"} for r in items],
                next_cursor=nxt)


async def order_detail(order_id: str) -> Mapping[str, Any] | None:
    """Everything the staff need to act on an order: lines, notes, moves."""
    try:
        order = await services.read(None, order_id, staff=True)
    except Exception:  # a malformed or unknown id: the panel answers 404
        return None
    data = msgspec.to_builtins(order)
    data["lines"] = "; ".join(f"{ln.quantity} x {ln.name}" for ln in order.lines)
    data["moves"] = "; ".join(f"{m.from_status or '-'} → {m.to_status} ({m.role}) {m.reason}" for m in order.moves)
    return dict(data)


def _mover(target: str) -> Any:
    async def run(ctx: ActionContext) -> ActionResult:
        for order_id in ctx.ids:
            await services.staff_move(ctx.staff_id, order_id, target, str(ctx.values.get("reason", "")))
        return ActionResult(f"{len(ctx.ids)} order(s) {target}.")

    return run


def _can(target: str) -> Any:
    return lambda row: states.allowed(str(row.get("status", "")), target, states.STAFF)


def queue_actions() -> list[Action]:
    """The manual adapter's buttons: one per move the staff may make."""
    return [
        Action("confirm", "Confirm", MANAGE, _mover(states.CONFIRMED), bulk=True, visible=_can(states.CONFIRMED),
               confirm="Confirm the selected orders? Their customers are told at once."),
        Action("preparing", "Preparing", MANAGE, _mover(states.PREPARING), bulk=True,
               visible=_can(states.PREPARING), confirm="Mark the selected orders as being prepared?"),
        Action("ready", "Ready", MANAGE, _mover(states.READY), bulk=True, visible=_can(states.READY),
               confirm="Mark the selected orders ready? Their customers are told to come."),
        Action("complete", "Completed", MANAGE, _mover(states.COMPLETED), bulk=True, visible=_can(states.COMPLETED),
               confirm="Mark the selected orders completed?"),
        Action("reject", "Reject", MANAGE, _mover(states.REJECTED), fields=[REASON], danger=True,
               visible=_can(states.REJECTED), confirm="Reject this order? The customer reads the reason."),
        Action("cancel", "Cancel", MANAGE, _mover(states.CANCELLED), fields=[REASON], danger=True,
               confirm="Cancel this order? The customer is told at once.", visible=_can(states.CANCELLED)),
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Venues' POS
# ---------------------------------------------------------------------------------------------------------------------


def pos_fields() -> list[Field]:
    """The POS form (secrets are write-only: the form never shows them; empty keeps the stored value)."""
    names = sorted(pos.adapters())
    return [
        Field("venue_id", "Venue id", kind="int", required=True),
        Field("adapter", "Adapter", kind="choice", choices=[(n, n) for n in names], required=True, default="manual"),
        Field("settings", "Settings (one key=value a line)", kind="textarea", max_length=5000),
        Field("secret", "API key / login (never shown; empty keeps it)", kind="secret"),
        Field("webhook_secret", "Webhook secret (never shown; empty keeps it)", kind="secret"),
        Field("outgoing_url", "Outgoing webhook URL (order status to the venue's system)", kind="url"),
    ]


async def list_pos(query: AdminQuery) -> Page:
    """Venues with a POS configured."""
    rows = await VenuePos.select(VenuePos.venue_id, VenuePos.adapter, VenuePos.menu_synced_at,
                                 VenuePos.updated_at).order_by(VenuePos.venue_id).limit(200)
    return Page(items=[{**r, "id": str(r["venue_id"])} for r in rows])


async def load_pos(venue_id: str) -> Mapping[str, Any] | None:
    """The form's values (no secrets)."""
    if not venue_id.isdigit():
        return None
    cfg = await config.read(int(venue_id))
    return {"venue_id": cfg.venue_id, "adapter": cfg.adapter, "outgoing_url": cfg.outgoing_url,
            "settings": "\n".join(f"{k}={v}" for k, v in sorted(cfg.settings.items())),
            "secret_set": cfg.secret_set, "webhook_secret_set": cfg.webhook_secret_set, "webhook_url": cfg.webhook_url}


async def save_pos(ctx: ActionContext, venue_id: str | None, values: Mapping[str, Any]) -> str:
    """Store the venue's POS configuration through the same service as the API."""
    settings: dict[str, str] = {}
    for n, line in enumerate(str(values.get("settings") or "").splitlines()):
        if line.strip():
            key, sep, value = line.partition("=")
            if not sep:
                raise ValidationFailed(errors=[{"pointer": "/settings", "detail": f"line {n + 1}: key=value"}])
            settings[key.strip()] = value.strip()
    target = int(venue_id) if venue_id else int(values["venue_id"])
    await config.write(ctx.staff_id, target, PosConfigWrite(
        adapter=str(values["adapter"]), settings=settings, secret=str(values.get("secret") or ""),
        webhook_secret=str(values.get("webhook_secret") or ""), outgoing_url=str(values.get("outgoing_url") or "")))
    return str(target)


async def sync_menus(ctx: ActionContext) -> ActionResult:
    """Queue the menu sync of the chosen venues."""
    for venue_id in ctx.ids:
        await config.queue_sync(ctx.staff_id, int(venue_id))
    return ActionResult(f"Menu sync queued for {len(ctx.ids)} venue(s).")


async def rotate(ctx: ActionContext) -> ActionResult:
    """Add a new outgoing signing secret (the previous one keeps signing until the next rotation)."""
    shown = []
    for venue_id in ctx.ids:
        cfg = await config.read(int(venue_id))
        new = await config.write(ctx.staff_id, int(venue_id), PosConfigWrite(
            adapter=cfg.adapter, settings=cfg.settings, outgoing_url=cfg.outgoing_url, rotate_outgoing_secret=True))
        shown.append(f"venue {venue_id}: {new.new_outgoing_secret}")
    return ActionResult("New signing secret (shown once): " + "; ".join(shown))


# ---------------------------------------------------------------------------------------------------------------------
# Menus
# ---------------------------------------------------------------------------------------------------------------------

ITEM_FIELDS = [Field("venue_id", "Venue id", kind="int", required=True),
               Field("name", "Name", required=True, max_length=200),
               Field("price_minor", "Price (minor units)", kind="int", required=True),
               Field("currency", "Currency", default="RUB", max_length=3),
               Field("category", "Category", max_length=200),
               Field("description", "Description", kind="textarea", max_length=2000)]


async def list_items(query: AdminQuery) -> Page:
    """Menu items of a venue (filter ``venue_id``)."""
    venue = query.filters.get("venue_id", "")
    q = MenuItem.select(MenuItem.id, MenuItem.venue_id, MenuItem.name, MenuItem.price_minor, MenuItem.currency,
                        MenuItem.available, MenuItem.stopped, MenuItem.source).where(MenuItem.removed_at.is_null())
    if venue.isdigit():
        q = q.where(MenuItem.venue_id == int(venue))
    rows = await q.order_by(MenuItem.venue_id).order_by(MenuItem.id).limit(200)
    return Page(items=[{**r, "id": str(r["id"])} for r in rows])


async def load_item(item_id: str) -> Mapping[str, Any] | None:
    """An item for the form."""
    row = await MenuItem.select().where(MenuItem.id == int(item_id)).first() if item_id.isdigit() else None
    return row


async def save_item(ctx: ActionContext, item_id: str | None, values: Mapping[str, Any]) -> str:
    """Create or change an item through the menu service."""
    if item_id is None:
        created = await menu.create_item(ctx.staff_id, int(values["venue_id"]), MenuItemCreate(
            name=values["name"], price_minor=int(values["price_minor"]), currency=values.get("currency") or "RUB",
            category=values.get("category") or "", description=values.get("description") or ""))
        return str(created.id)
    row = await menu.update_item(ctx.staff_id, int(values["venue_id"]), int(item_id), {
        "name": values["name"], "price_minor": int(values["price_minor"]),
        "description": values.get("description") or ""})
    return str(row.id)


def _stopper(stopped: bool) -> Any:
    async def run(ctx: ActionContext) -> ActionResult:
        for item_id in ctx.ids:
            row = await load_item(item_id)
            if row is not None:
                await menu.update_item(ctx.staff_id, row["venue_id"], int(item_id), {"stopped": stopped})
        return ActionResult(f"{len(ctx.ids)} item(s) {'on' if stopped else 'off'} the stop list.")

    return run


def contributions() -> list[object]:
    """The pages orders adds to the panel."""
    return [
        AdminPage(plugin="orders", slug="queue", title="Incoming orders", permission=MANAGE, load=list_queue,
                  columns=[Column("number", "Order", link="/admin/p/orders/queue/o/{id}"),
                           Column("venue_id", "Venue", "number"), Column("status", "Status", "badge"),
                           Column("total", "Total"), Column("where", "Pickup / table"),
                           Column("pickup_at", "Pickup at", "datetime"), Column("pos_state", "POS", "badge"),
                           Column("updated_at", "Changed", "datetime")],
                  filters=[Filter("status", "Status", choices=list(states.STATUSES)), Filter("venue_id", "Venue")],
                  actions=queue_actions(), detail=order_detail, template="orders/admin/queue.html"),
        AdminPage(plugin="orders", slug="pos", title="Venues' POS", permission=MANAGE, load=list_pos,
                  columns=[Column("venue_id", "Venue", "number"), Column("adapter", "Adapter", "badge"),
                           Column("menu_synced_at", "Menu synced", "datetime"),
                           Column("updated_at", "Changed", "datetime")],
                  form=Form(fields=pos_fields(), load=load_pos, save=save_pos), detail=load_pos,
                  actions=[Action("sync", "Sync menu", MANAGE, sync_menus, bulk=True,
                                  confirm="Fetch the menus of the selected venues from their POS?"),
                           Action("rotate", "Rotate outgoing secret", MANAGE, rotate,
                                  confirm="Add a new signing secret? The previous one keeps working meanwhile.")]),
        AdminPage(plugin="orders", slug="menu", title="Menus", permission=MANAGE, load=list_items,
                  columns=[Column("venue_id", "Venue", "number"), Column("name", "Item"),
                           Column("price_minor", "Price", "number"), Column("stopped", "Stop list", "badge"),
                           Column("source", "From", "badge")],
                  filters=[Filter("venue_id", "Venue")], form=Form(fields=ITEM_FIELDS, load=load_item, save=save_item),
                  actions=[Action("stop", "Stop list", MANAGE, _stopper(True), bulk=True,
                                  visible=lambda r: not r.get("stopped"), confirm="Put the selected items on the "
                                  "stop list?"),
                           Action("unstop", "Back on", MANAGE, _stopper(False), bulk=True,
                                  visible=lambda r: bool(r.get("stopped")), confirm="Offer them again?")]),
    ]
