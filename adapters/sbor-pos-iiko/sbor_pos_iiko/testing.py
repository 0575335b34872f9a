"""A stand-in of the iiko Cloud API on a loopback port, speaking the published contract (for tests, offline).

Access tokens (and their expiry), nomenclature, stop lists, ``deliveries/create`` (refusing an id it already has, as
the contract's unique order id asks), ``deliveries/by_id``, ``deliveries/cancel``, ``commands/status``, and the
webhooks iiko sends (an array of events, ``Authorization`` carrying the configured authToken). Faults come from
``StandInServer``: ``fail_next(429, retry_after=…)``, ``fail_next(503)``, ``commit_then_timeout_next()``.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from core import clock
from plugins.orders.conformance.standin import Reply, Request, StandInServer
from plugins.orders.hookspecs import PosConnection

API_LOGIN = "sbor-test-api-login"
ORGANIZATION = "7e1a3f39-5c4b-4e8e-9a55-3d1c0a1b2c3d"
TERMINAL = "0d9f6c1e-8a7b-4c3d-9e2f-1a2b3c4d5e6f"


class IikoStandIn(StandInServer):
    """iikoTransport as documented, in memory."""

    vendor_statuses: tuple[str, ...] = ("Unconfirmed", "WaitCooking", "ReadyForCooking", "CookingStarted",
                                        "CookingCompleted", "Waiting", "OnWay", "Delivered", "Closed", "Cancelled")

    def __init__(self) -> None:
        super().__init__()
        self.auth_token = secrets.token_hex(16)  # the webhook authToken
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.menu: list[dict[str, Any]] = []
        self.stopped_ids: list[str] = []
        self.deliveries: dict[str, dict[str, Any]] = {}
        self.creations: list[str] = []
        self.commands: dict[str, str] = {}
        self.route("POST", "/api/1/access_token", self._access_token)
        self.route("POST", "/api/1/nomenclature", self._authed(self._nomenclature))
        self.route("POST", "/api/1/stop_lists", self._authed(self._stop_lists))
        self.route("POST", "/api/1/deliveries/create", self._authed(self._create))
        self.route("POST", "/api/1/deliveries/by_id", self._authed(self._by_id))
        self.route("POST", "/api/1/deliveries/cancel", self._authed(self._cancel))
        self.route("POST", "/api/1/commands/status", self._authed(self._command))

    # -- the API -------------------------------------------------------------------------------------------------------

    def _access_token(self, req: Request) -> Reply:
        body = req.json() or {}
        if body.get("apiLogin") != API_LOGIN:
            return Reply(401, {"correlationId": str(uuid.uuid4()), "errorDescription": "Login is not authorized",
                               "error": "UNAUTHORIZED"})
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
            self.token_requests += 1
        return Reply(200, {"correlationId": str(uuid.uuid4()), "token": token})

    def _authed(self, handler: Any) -> Any:
        def wrapped(req: Request) -> Reply:
            token = req.headers.get("authorization", "").removeprefix("Bearer ")
            with self.lock:
                known = token in self.tokens
            if not known:
                return Reply(401, {"correlationId": str(uuid.uuid4()), "error": "UNAUTHORIZED",
                                   "errorDescription": "Token is expired or invalid"})
            body = req.json() or {}
            org = body.get("organizationId") or (body.get("organizationIds") or [None])[0]
            if org != ORGANIZATION:
                return Reply(400, {"correlationId": str(uuid.uuid4()), "errorDescription": "Unknown organization",
                                   "error": "BAD_REQUEST"})
            result: Reply = handler(req)
            return result

        return wrapped

    def _nomenclature(self, req: Request) -> Reply:
        with self.lock:
            menu = list(self.menu)
        groups = {i.get("category", ""): str(uuid.uuid5(uuid.NAMESPACE_URL, i.get("category", ""))) for i in menu}
        products: list[dict[str, Any]] = []
        for item in menu:
            products.append({
                "id": item["id"], "name": item["name"], "description": item.get("description", ""), "type": "Dish",
                "isDeleted": False, "parentGroup": groups[item.get("category", "")], "imageLinks": [],
                "sizePrices": [{"sizeId": None, "price": {"currentPrice": item["price_minor"] / 100,
                                                          "isIncludedInMenu": item.get("available", True)}}],
                "modifiers": [], "groupModifiers": [{"id": str(uuid.uuid4()), "childModifiers": [
                    {"id": m["id"], "defaultAmount": 0, "minAmount": 0, "maxAmount": 1}
                    for m in item.get("modifiers", [])]}]})
            for m in item.get("modifiers", []):
                products.append({"id": m["id"], "name": m["name"], "type": "Modifier", "isDeleted": False,
                                 "sizePrices": [{"price": {"currentPrice": m["price_minor"] / 100,
                                                           "isIncludedInMenu": True}}]})
        return Reply(200, {"correlationId": str(uuid.uuid4()), "revision": 1,
                           "groups": [{"id": gid, "name": name, "isDeleted": False} for name, gid in groups.items()],
                           "productCategories": [], "products": products, "sizes": []})

    def _stop_lists(self, req: Request) -> Reply:
        with self.lock:
            items = [{"balance": 0, "productId": pid, "dateAdd": "2026-01-01 10:00:00.000"} for pid in self.stopped_ids]
        return Reply(200, {"correlationId": str(uuid.uuid4()), "terminalGroupStopLists": [
            {"organizationId": ORGANIZATION, "items": [{"terminalGroupId": TERMINAL, "items": items}]}]})

    def _info(self, oid: str) -> dict[str, Any]:
        found = self.deliveries[oid]
        return {"id": oid, "posId": found["posId"], "externalNumber": found["externalNumber"],
                "organizationId": ORGANIZATION, "timestamp": 0, "creationStatus": "Success", "errorInfo": None,
                "order": {"status": found["status"], "phone": found["phone"]}}

    def _create(self, req: Request) -> Reply:
        order = (req.json() or {}).get("order") or {}
        oid = order.get("id") or str(uuid.uuid4())
        with self.lock:
            if oid in self.deliveries:
                return Reply(400, {"correlationId": str(uuid.uuid4()), "error": "BAD_REQUEST",
                                   "errorDescription": f"Order with id {oid} already exists"})
            self.deliveries[oid] = {"posId": str(uuid.uuid4()), "externalNumber": order.get("externalNumber"),
                                    "status": "Unconfirmed", "phone": order.get("phone"), "body": order}
            self.creations.append(oid)
            info = self._info(oid)
        info["creationStatus"] = "InProgress"
        info["order"] = None
        return Reply(200, {"correlationId": str(uuid.uuid4()), "orderInfo": info})

    def _by_id(self, req: Request) -> Reply:
        ids = (req.json() or {}).get("orderIds") or []
        with self.lock:
            found = [self._info(i) for i in ids if i in self.deliveries]
        return Reply(200, {"correlationId": str(uuid.uuid4()), "orders": found})

    def _cancel(self, req: Request) -> Reply:
        oid = (req.json() or {}).get("orderId")
        correlation = str(uuid.uuid4())
        with self.lock:
            if oid not in self.deliveries:
                return Reply(400, {"correlationId": correlation, "errorDescription": "Order not found"})
            self.deliveries[oid]["status"] = "Cancelled"
            self.commands[correlation] = "Success"
        return Reply(200, {"correlationId": correlation})

    def _command(self, req: Request) -> Reply:
        with self.lock:
            state = self.commands.get(str((req.json() or {}).get("correlationId")), "Error")
        return Reply(200, {"state": state, "exception": None if state != "Error" else {"message": "unknown"}})

    # -- the conformance kit's interface -------------------------------------------------------------------------------

    def connection(self, venue_id: int = 1, timeout_s: float = 0.5) -> PosConnection:
        """A venue configured for this stand-in."""
        return PosConnection(venue_id, self.adapter_settings(), API_LOGIN, self.auth_token, timeout_s)

    def adapter_settings(self) -> dict[str, str]:
        """The venue's non-secret settings."""
        return {"base_url": self.base_url, "organization_id": ORGANIZATION, "terminal_group_id": TERMINAL}

    def set_menu(self, items: list[dict[str, Any]]) -> None:
        """Generic items (see the conformance kit)."""
        with self.lock:
            self.menu = list(items)

    def set_stop_list(self, ids: list[str]) -> None:
        """Products out of stock (balance 0) on the terminal group."""
        with self.lock:
            self.stopped_ids = list(ids)

    def item_id(self, n: int) -> str:
        """A product id as iiko has them (a UUID)."""
        return str(uuid.UUID(int=n))

    def created(self) -> list[str]:
        """Our ids, once per delivery created."""
        with self.lock:
            return list(self.creations)

    def set_status(self, order_id: str, vendor_status: str, reason: str = "") -> None:
        """Move a delivery (as the kitchen's iikoFront would)."""
        with self.lock:
            self.deliveries[order_id]["status"] = vendor_status

    def webhook(self, order_id: str, vendor_status: str, *, delivery_id: str | None = None, at: float | None = None,
                secret: str | None = None) -> tuple[dict[str, str], bytes]:
        """A ``DeliveryOrderUpdate`` webhook as iiko posts it (``delivery_id`` seeds the correlation id)."""
        moment = datetime.fromtimestamp(at if at is not None else clock.timestamp(), UTC)
        with self.lock:
            pos_id = self.deliveries.get(order_id, {}).get("posId")
        event = {"eventType": "DeliveryOrderUpdate", "eventTime": moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                 "organizationId": ORGANIZATION, "correlationId": delivery_id or str(uuid.uuid4()),
                 "eventInfo": {"id": order_id, "posId": pos_id, "externalNumber": order_id[:8].upper(),
                               "timestamp": int(moment.timestamp()), "creationStatus": "Success", "errorInfo": None,
                               "order": {"status": vendor_status}}}
        return ({"authorization": secret or self.auth_token, "content-type": "application/json"},
                json.dumps([event]).encode())

    def expire_tokens(self) -> None:
        """Every session token expires (iiko's hour passed)."""
        with self.lock:
            self.tokens.clear()
