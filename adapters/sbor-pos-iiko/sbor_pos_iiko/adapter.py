"""The ``iiko`` POS adapter: nomenclature and stop lists, pickup orders as iiko deliveries, status, cancel, webhooks.

Venue settings (not secret): ``organization_id``, ``terminal_group_id`` (from ``/api/1/organizations`` and
``/api/1/terminal_groups``), optionally ``base_url`` (default ``https://api-ru.iiko.services``), ``timezone`` of the
terminal (``completeBefore`` is local time without an offset; default ``Europe/Moscow``), ``phone`` (iiko requires a
phone on an order; default the venue's placeholder), ``cancel_cause_id``, ``currency`` (default ``RUB``).
Secrets: the API login (``secret``) and the webhook ``authToken`` set with ``/api/1/webhooks/update_settings``
(``webhook_secret``).

An order goes to ``/api/1/deliveries/create`` as ``orderServiceType: DeliveryByClient`` (pickup; a table number goes
in the comment) with **our order's UUID as iiko's order ``id``**: a retry first looks the order up by that id
(``/api/1/deliveries/by_id``) and returns it instead of creating a second one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

import msgspec

from plugins.orders.hookspecs import (
    PosAdapter,
    PosConnection,
    PosMenu,
    PosMenuItem,
    PosModifier,
    PosOrder,
    PosOrderState,
    PosRejected,
    PosStatus,
    PosUnavailable,
    WebhookEvent,
    WebhookRejected,
)

from sbor_pos_iiko.client import IikoClient

# Every delivery status iiko documents, mapped to ours.
STATUSES: dict[str, PosStatus | None] = {
    "Unconfirmed": "submitted",
    "WaitCooking": "confirmed",
    "ReadyForCooking": "confirmed",
    "CookingStarted": "preparing",
    "CookingCompleted": "ready",
    "Waiting": "ready",
    "OnWay": "ready",
    "Delivered": "completed",
    "Closed": "completed",
    "Cancelled": "cancelled",
}
EVENT_TIME = "%Y-%m-%d %H:%M:%S.%f"


def _minor(amount: Any) -> int:
    """Rubles (iiko's decimals) to kopecks."""
    return round(float(amount or 0) * 100)


def _price(product: Mapping[str, Any]) -> tuple[int, bool]:
    """The current price of a product's first size, and whether it is in the menu."""
    for size in product.get("sizePrices") or []:
        price = size.get("price") or {}
        return _minor(price.get("currentPrice")), bool(price.get("isIncludedInMenu", True))
    return 0, False


class IikoAdapter(PosAdapter):
    """iiko Cloud API (iikoTransport)."""

    name = "iiko"
    label = "iiko (iikoCloud API)"
    contract = ">=1,<2"
    settings_fields = ("organization_id", "terminal_group_id", "base_url", "timezone", "phone", "cancel_cause_id",
                       "currency", "webhook_timezone")
    webhook_auth: ClassVar[Literal["signature", "token"]] = "token"
    vendor_statuses: ClassVar[Mapping[str, PosStatus | None]] = STATUSES

    def _client(self, conn: PosConnection) -> IikoClient:
        return IikoClient(conn.secret, conn.settings.get("base_url", ""), conn.timeout_s)

    @staticmethod
    def _org(conn: PosConnection) -> str:
        org = conn.settings.get("organization_id", "")
        if not org:
            raise PosRejected("iiko: organization_id is not configured")
        return org

    async def fetch_menu(self, conn: PosConnection) -> PosMenu:
        data = await self._client(conn).call("/api/1/nomenclature", {"organizationId": self._org(conn)})
        groups = {g["id"]: g.get("name", "") for g in data.get("groups") or [] if not g.get("isDeleted")}
        products = [p for p in data.get("products") or [] if not p.get("isDeleted")]
        by_id = {p["id"]: p for p in products}
        currency = conn.settings.get("currency", "RUB")
        items = []
        for p in products:
            if p.get("type") not in ("Dish", "Good"):
                continue  # modifiers and services are not ordered on their own
            price, in_menu = _price(p)
            modifier_ids = [m["id"] for m in p.get("modifiers") or []]
            for group in p.get("groupModifiers") or []:
                modifier_ids += [c["id"] for c in group.get("childModifiers") or []]
            modifiers = [PosModifier(external_id=m, name=str(by_id[m].get("name", ""))[:200] or m,
                                     price_minor=_price(by_id[m])[0]) for m in modifier_ids if m in by_id]
            images = p.get("imageLinks") or []
            items.append(PosMenuItem(
                external_id=p["id"], name=str(p.get("name", ""))[:200], price_minor=price, currency=currency,
                category=str(groups.get(p.get("parentGroup") or p.get("groupId"), ""))[:200],
                description=str(p.get("description") or "")[:2000], modifiers=modifiers[:50],
                photo_ref=str(images[0])[:500] if images else "", available=in_menu))
        return PosMenu(items=items)

    async def fetch_stop_list(self, conn: PosConnection) -> list[str]:
        data = await self._client(conn).call("/api/1/stop_lists", {"organizationIds": [self._org(conn)]})
        terminal = conn.settings.get("terminal_group_id", "")
        out: list[str] = []
        for org in data.get("terminalGroupStopLists") or []:
            for group in org.get("items") or []:
                if terminal and group.get("terminalGroupId") != terminal:
                    continue
                out += [str(i["productId"]) for i in group.get("items") or [] if float(i.get("balance", 0)) <= 0]
        return sorted(set(out))

    async def submit_order(self, conn: PosConnection, order: PosOrder) -> PosOrderState:
        if order.attempt > 0:  # the earlier attempt may have been committed before it timed out
            found = await self.get_order(conn, order.order_id, "")
            if found is not None:
                return found
        body = {"organizationId": self._org(conn), "terminalGroupId": conn.settings.get("terminal_group_id") or None,
                "createOrderSettings": {"transportToFrontTimeout": 30},
                "order": self._order_body(conn, order)}
        try:
            data = await self._client(conn).call("/api/1/deliveries/create", body, commits=True)
        except PosRejected as exc:
            if "already exists" in str(exc).lower():  # an id we sent before: it is there
                found = await self.get_order(conn, order.order_id, "")
                if found is not None:
                    return found
            raise
        return self._state(data.get("orderInfo") or {})

    def _order_body(self, conn: PosConnection, order: PosOrder) -> dict[str, Any]:
        comment = " / ".join(p for p in (f"Sbor {order.number}", f"table {order.table}" if order.table else "",
                                         order.notes) if p)
        complete_before = None
        if order.pickup_at is not None:
            local = order.pickup_at.astimezone(ZoneInfo(conn.settings.get("timezone") or "Europe/Moscow"))
            complete_before = local.strftime(EVENT_TIME)[:-3]
        return {
            "id": order.order_id, "externalNumber": order.number, "completeBefore": complete_before,
            "phone": conn.settings.get("phone") or "+70000000000", "orderServiceType": "DeliveryByClient",
            "comment": comment[:500], "customer": {"name": order.customer_name or "Sbor", "type": "one-time"},
            "items": [{"type": "Product", "productId": line.external_id, "amount": line.quantity,
                       "price": line.unit_price_minor / 100,
                       "modifiers": [{"productId": m, "amount": 1} for m in line.modifiers]} for line in order.lines],
        }

    def _state(self, info: Mapping[str, Any]) -> PosOrderState:
        creation = info.get("creationStatus")
        if creation == "Error":
            error = info.get("errorInfo") or {}
            return PosOrderState(pos_order_id=str(info.get("id") or ""), status="rejected",
                                 reason=str(error.get("message") or error.get("description") or "")[:500])
        status = (info.get("order") or {}).get("status") or ""
        return PosOrderState(pos_order_id=str(info.get("id") or ""), status=self.map_status(status))

    async def get_order(self, conn: PosConnection, order_id: str, pos_order_id: str) -> PosOrderState | None:
        data = await self._client(conn).call("/api/1/deliveries/by_id", {
            "organizationId": self._org(conn), "orderIds": [pos_order_id or order_id]})
        orders = [o for o in data.get("orders") or [] if o.get("creationStatus") is not None]
        return self._state(orders[0]) if orders else None

    async def cancel_order(self, conn: PosConnection, order_id: str, pos_order_id: str, reason: str) -> None:
        client = self._client(conn)
        body: dict[str, Any] = {"organizationId": self._org(conn), "orderId": pos_order_id or order_id}
        if conn.settings.get("cancel_cause_id"):
            body["cancelCauseId"] = conn.settings["cancel_cause_id"]
        data = await client.call("/api/1/deliveries/cancel", body, commits=True)
        status = await client.call("/api/1/commands/status", {"organizationId": self._org(conn),
                                                              "correlationId": data.get("correlationId")})
        if status.get("state") == "Error":
            raise PosRejected(f"iiko refused the cancellation: {status.get('exception')}")
        if status.get("state") == "InProgress":
            raise PosUnavailable("iiko: the cancellation is still in progress")

    def parse_webhook(self, conn: PosConnection, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        given = headers.get("authorization", "").removeprefix("Bearer ").strip().encode()
        expected = conn.webhook_secret.encode()
        # iiko sends the authToken configured for the webhook with each request: compared in constant time.
        if not expected or not hmac.compare_digest(given, expected):
            raise WebhookRejected("the authToken does not match")
        try:
            events = msgspec.json.decode(body)
        except msgspec.DecodeError:
            raise WebhookRejected("the body is not JSON") from None
        if isinstance(events, dict):
            events = [events]
        if not isinstance(events, list):
            raise WebhookRejected("the body is not a list of events")
        out = []
        for event in events[:100]:
            if not isinstance(event, dict) or event.get("eventType") != "DeliveryOrderUpdate":
                continue  # other event types (reserves, stop lists…) are not order moves
            info = event.get("eventInfo") or {}
            status = str((info.get("order") or {}).get("status") or "")
            sent_at = self._event_time(str(event.get("eventTime") or ""), conn)
            digest = hashlib.sha256("|".join((str(event.get("eventTime")), str(info.get("id")), status,
                                               str(event.get("correlationId")))).encode()).hexdigest()
            state = self._state(info)
            out.append(WebhookEvent(delivery_id=f"iiko:{digest[:40]}", sent_at=sent_at, order_id=str(info.get("id")
                                    or ""), pos_order_id=str(info.get("posId") or ""), status=state.status,
                                    vendor_status=status[:100], reason=state.reason))
        return out

    @staticmethod
    def _event_time(value: str, conn: PosConnection) -> datetime:
        """``eventTime`` ("yyyy-MM-dd HH:mm:ss.fff") in UTC unless the venue says iiko sends another zone."""
        try:
            naive = datetime.strptime(value, EVENT_TIME)
        except ValueError:
            raise WebhookRejected(f"eventTime {value!r} is not 'yyyy-MM-dd HH:mm:ss.fff'") from None
        zone = conn.settings.get("webhook_timezone") or "UTC"
        return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
