"""A stand-in of a venue's own system speaking the Sbor POS protocol (the built-in ``http`` adapter's vendor).

Used by orders' own tests, by the benchmark, and as the example of a vendor stand-in for adapter authors.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from core import clock
from plugins.orders.conformance.standin import Reply, Request, StandInServer
from plugins.orders.hookspecs import PosConnection
from plugins.orders.signing import new_secret, sign

TOKEN = "ref-secret-token"  # noqa: S105 - a stand-in's fixed credential


class ReferencePos(StandInServer):
    """The Sbor POS protocol: menu, stop list, idempotent ``PUT /orders/{id}``, status, cancel; signed webhooks."""

    vendor_statuses: tuple[str, ...] = ("received", "accepted", "rejected", "preparing", "ready", "picked_up",
                                        "cancelled")

    def __init__(self) -> None:
        super().__init__()
        self.webhook_secret = new_secret()
        self.menu: list[dict[str, Any]] = []
        self.stop_list: list[str] = []
        self.orders: dict[str, dict[str, Any]] = {}
        self.creations: list[str] = []  # one entry per order stored: a duplicate would show twice
        self.initial_status = "received"
        self.route("GET", "/menu", self._menu)
        self.route("GET", "/stop-list", self._stop_list)
        self.route("PUT", "/orders/(?P<oid>[^/]+)", self._put)
        self.route("GET", "/orders/(?P<oid>[^/]+)", self._get)
        self.route("POST", "/orders/(?P<oid>[^/]+)/cancel", self._cancel)

    def _authorised(self, req: Request) -> bool:
        return req.headers.get("authorization") == f"Bearer {TOKEN}"

    def _menu(self, req: Request) -> Reply:
        if not self._authorised(req):
            return Reply(401, {"error": "unauthorised"})
        with self.lock:
            return Reply(200, {"items": list(self.menu)})

    def _stop_list(self, req: Request) -> Reply:
        if not self._authorised(req):
            return Reply(401, {"error": "unauthorised"})
        with self.lock:
            return Reply(200, {"item_ids": list(self.stop_list)})

    def _put(self, req: Request) -> Reply:
        if not self._authorised(req):
            return Reply(401, {"error": "unauthorised"})
        oid = req.params["oid"]
        with self.lock:
            existing = self.orders.get(oid)
            if existing is None:  # idempotent on our id: the same PUT again returns the stored order
                existing = {"id": f"R-{len(self.orders) + 1}", "status": self.initial_status, "body": req.json()}
                self.orders[oid] = existing
                self.creations.append(oid)
            return Reply(200, {"id": existing["id"], "status": existing["status"]})

    def _get(self, req: Request) -> Reply:
        with self.lock:
            found = self.orders.get(req.params["oid"])
            if found is None:
                return Reply(404, {"error": "no such order"})
            return Reply(200, {"id": found["id"], "status": found["status"], "reason": found.get("reason", "")})

    def _cancel(self, req: Request) -> Reply:
        with self.lock:
            found = self.orders.get(req.params["oid"])
            if found is None:
                return Reply(404, {"error": "no such order"})
            found["status"] = "cancelled"
            return Reply(200, {"id": found["id"], "status": "cancelled"})

    # -- the VendorStandIn interface of the conformance kit ----------------------------------------------------------

    def connection(self, venue_id: int = 1, timeout_s: float = 0.5) -> PosConnection:
        """Credentials and settings of this stand-in."""
        return PosConnection(venue_id, {"base_url": self.base_url}, TOKEN, self.webhook_secret, timeout_s)

    def adapter_settings(self) -> dict[str, str]:
        """What a venue's configuration stores (non-secret)."""
        return {"base_url": self.base_url}

    def secrets(self) -> tuple[str, str]:
        """``(secret, webhook_secret)`` of a venue's configuration."""
        return TOKEN, self.webhook_secret

    def set_menu(self, items: list[dict[str, Any]]) -> None:
        """Generic items: ``{"id", "name", "price_minor", "category", "available", "modifiers": [...]}``."""
        with self.lock:
            self.menu = [{**i, "currency": "RUB"} for i in items]

    def set_stop_list(self, ids: list[str]) -> None:
        """The items out of stock."""
        with self.lock:
            self.stop_list = list(ids)

    def item_id(self, n: int) -> str:
        """A product id in this vendor's format."""
        return f"dish-{n}"

    def created(self) -> list[str]:
        """Our order ids, once per creation on the POS."""
        with self.lock:
            return list(self.creations)

    def set_status(self, order_id: str, vendor_status: str, reason: str = "") -> None:
        """Move an order on the POS (as the kitchen would)."""
        with self.lock:
            self.orders[order_id]["status"] = vendor_status
            self.orders[order_id]["reason"] = reason

    def webhook(self, order_id: str, vendor_status: str, *, delivery_id: str | None = None, at: float | None = None,
                secret: str | None = None) -> tuple[dict[str, str], bytes]:
        """A signed webhook request about one order, as this vendor sends it."""
        with self.lock:
            pos_id = self.orders.get(order_id, {}).get("id", "")
        body = json.dumps({"type": "order.status", "order_id": order_id, "id": pos_id,
                           "status": vendor_status}).encode()
        headers = sign([secret or self.webhook_secret], delivery_id or f"msg_{uuid.uuid4().hex}",
                       int(at if at is not None else clock.timestamp()), body)
        return {**headers, "content-type": "application/json"}, body

    def expire_tokens(self) -> None:
        """No session tokens in this protocol (a static bearer secret)."""
