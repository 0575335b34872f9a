"""Venues' menus: reads, edits by the venue's staff, and the sync from the POS (menu and stop list)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec

from core import clock
from core.errors import NotFound
from plugins.events import api as events
from plugins.orders import pos
from plugins.orders.hookspecs import PosMenu
from plugins.orders.schemas import MenuItemCreate, MenuItemRead, MenuRead, ModifierRead
from plugins.orders.store import transaction
from plugins.orders.tables import MenuItem, VenuePos

log = logging.getLogger("plugins.orders")


async def venue_or_404(venue_id: int) -> events.VenueRef:
    """The venue, or NotFound ``venue_not_found``."""
    venue = await events.get_venue(venue_id)
    if venue is None:
        raise NotFound("venue %(venue_id)s not found", params={"venue_id": venue_id}, code="venue_not_found")
    return venue


def modifiers_of(value: Any) -> list[ModifierRead]:
    """The modifiers JSON of an item or a line."""
    if isinstance(value, str | bytes):
        value = msgspec.json.decode(value or "[]")
    return msgspec.convert(value or [], list[ModifierRead])


def item_read(r: dict[str, Any]) -> MenuItemRead:
    """A menu row as the API shows it."""
    return MenuItemRead(id=r["id"], external_id=r["external_id"], category=r["category"], name=r["name"],
                        description=r["description"], price_minor=r["price_minor"], currency=r["currency"],
                        modifiers=modifiers_of(r["modifiers"]), photo_ref=r["photo_ref"],
                        orderable=bool(r["available"] and not r["stopped"]))


async def menu(venue_id: int) -> MenuRead:
    """A venue's current menu (items removed from the POS are left out)."""
    await venue_or_404(venue_id)
    rows = await MenuItem.select().where(MenuItem.venue_id == venue_id, MenuItem.removed_at.is_null()).order_by(
        MenuItem.category).order_by(MenuItem.position).order_by(MenuItem.id)
    cfg = await VenuePos.select(VenuePos.adapter, VenuePos.menu_synced_at).where(
        VenuePos.venue_id == venue_id).first()
    return MenuRead(venue_id=venue_id, adapter=cfg["adapter"] if cfg else "manual",
                    items=[item_read(r) for r in rows], synced_at=cfg["menu_synced_at"] if cfg else None)


async def create_item(staff_id: int, venue_id: int, data: MenuItemCreate) -> MenuItemRead:
    """Add an item by hand (a venue without a POS, or a dish the POS does not list)."""
    await venue_or_404(venue_id)
    row = MenuItem(venue_id=venue_id, external_id=data.external_id or f"staff-{uuid.uuid4().hex[:12]}",
                   category=data.category, name=data.name, description=data.description, price_minor=data.price_minor,
                   currency=data.currency, modifiers=msgspec.to_builtins(data.modifiers), photo_ref=data.photo_ref,
                   source="staff")
    await row.save()
    log.info("staff %s added menu item %s at venue %s", staff_id, row.id, venue_id)
    return item_read(await _row(venue_id, row.id))


async def update_item(staff_id: int, venue_id: int, item_id: int, changes: dict[str, Any]) -> MenuItemRead:
    """Change an item (price, availability, stop list) by hand."""
    await _row(venue_id, item_id)
    if changes:
        values: dict[Any, Any] = {getattr(MenuItem, k): v for k, v in changes.items()}
        values[MenuItem.updated_at] = clock.now()
        await MenuItem.update(values).where(MenuItem.id == item_id)
        log.info("staff %s changed menu item %s at venue %s: %s", staff_id, item_id, venue_id, sorted(changes))
    return item_read(await _row(venue_id, item_id))


async def _row(venue_id: int, item_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = await MenuItem.select().where(
        MenuItem.id == item_id, MenuItem.venue_id == venue_id).first()
    if row is None:
        raise NotFound("menu item %(item_id)s not found at this venue",
                       params={"item_id": item_id}, code="item_not_found")
    return row


async def apply_sync(venue_id: int, fetched: PosMenu, stopped: list[str]) -> dict[str, int]:
    """Make the venue's POS items match a validated menu and stop list; returns counts (added, updated, removed)."""
    now = clock.now()
    stop = set(stopped)
    counts = {"added": 0, "updated": 0, "removed": 0}
    async with transaction():
        existing = {r["external_id"]: r for r in await MenuItem.select(
            MenuItem.id, MenuItem.external_id, MenuItem.source).where(MenuItem.venue_id == venue_id)}
        seen: set[str] = set()
        for position, item in enumerate(fetched.items):
            if item.external_id in seen:
                continue  # a vendor listing one product twice: the first wins
            seen.add(item.external_id)
            values = {"category": item.category, "name": item.name, "description": item.description,
                      "price_minor": item.price_minor, "currency": item.currency,
                      "modifiers": msgspec.to_builtins(item.modifiers), "photo_ref": item.photo_ref,
                      "available": item.available, "stopped": item.external_id in stop, "position": position,
                      "source": "pos", "updated_at": now, "removed_at": None}
            old = existing.get(item.external_id)
            if old is None:
                await MenuItem.insert(MenuItem(venue_id=venue_id, external_id=item.external_id, **values))
                counts["added"] += 1
            else:
                await MenuItem.update({getattr(MenuItem, k): v for k, v in values.items()}).where(
                    MenuItem.id == old["id"])
                counts["updated"] += 1
        gone = [r["id"] for ext, r in existing.items() if ext not in seen and r["source"] == "pos"]
        if gone:
            await MenuItem.update({MenuItem.removed_at: now, MenuItem.updated_at: now}).where(
                MenuItem.id.is_in(gone), MenuItem.removed_at.is_null())
            counts["removed"] = len(gone)
        await VenuePos.update({VenuePos.menu_synced_at: now}).where(VenuePos.venue_id == venue_id)
    log.info("menu of venue %s synced from its POS: %s", venue_id, counts)
    return counts


async def apply_stop_list(venue_id: int, stopped: list[str]) -> None:
    """Mark exactly the POS items of ``stopped`` as on the stop list."""
    now = clock.now()
    async with transaction():
        await MenuItem.update({MenuItem.stopped: False, MenuItem.updated_at: now}).where(
            MenuItem.venue_id == venue_id, MenuItem.source == "pos", MenuItem.stopped.eq(True),
            MenuItem.external_id.not_in(list(stopped) or [""]))
        if stopped:
            await MenuItem.update({MenuItem.stopped: True, MenuItem.updated_at: now}).where(
                MenuItem.venue_id == venue_id, MenuItem.external_id.is_in(list(stopped)))


async def sync(venue_id: int) -> dict[str, int]:
    """Fetch the venue's menu and stop list from its POS (validated) and apply them."""
    adapter, conn = await pos.connection(venue_id)
    fetched = pos.checked_menu(await pos.call(conn, adapter.fetch_menu(conn)))
    stopped = pos.checked_stop_list(await pos.call(conn, adapter.fetch_stop_list(conn)))
    return await apply_sync(venue_id, fetched, stopped)
