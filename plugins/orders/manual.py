"""The built-in ``manual`` adapter: no POS to call; the venue's staff confirm and move orders in the live queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from plugins.orders.hookspecs import (
    PosAdapter,
    PosConnection,
    PosMenu,
    PosOrder,
    PosOrderState,
    PosStatus,
    WebhookEvent,
    WebhookRejected,
)


class ManualAdapter(PosAdapter):
    """Orders wait for the venue's staff in the admin panel's live queue; the menu is edited there too."""

    name = "manual"
    label = "Confirmed by the venue's staff (no POS)"
    remote = False
    vendor_statuses: ClassVar[Mapping[str, PosStatus | None]] = {
        "submitted": "submitted", "confirmed": "confirmed", "rejected": "rejected", "preparing": "preparing",
        "ready": "ready", "completed": "completed", "cancelled": "cancelled"}

    async def fetch_menu(self, conn: PosConnection) -> PosMenu:
        return PosMenu(items=[])  # the staff's own items are kept as they are (nothing to sync)

    async def fetch_stop_list(self, conn: PosConnection) -> list[str]:
        return []

    async def submit_order(self, conn: PosConnection, order: PosOrder) -> PosOrderState:
        return PosOrderState(pos_order_id="", status="submitted")

    async def get_order(self, conn: PosConnection, order_id: str, pos_order_id: str) -> PosOrderState | None:
        return None

    async def cancel_order(self, conn: PosConnection, order_id: str, pos_order_id: str, reason: str) -> None:
        return None

    def parse_webhook(self, conn: PosConnection, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        raise WebhookRejected("the manual adapter receives no webhooks")
