"""The built-in ``http`` adapter: a venue's own system speaking the small Sbor POS protocol.

It is also the reference adapter the conformance kit tests itself with (``docs/writing-a-pos-adapter.md``).

The protocol, relative to the venue's ``base_url``, with ``Authorization: Bearer <secret>``:

* ``GET /menu`` → ``{"items": [{"id", "name", "price_minor", "currency", "category", "description",
  "modifiers": [{"id", "name", "price_minor"}], "photo_url", "available"}]}``
* ``GET /stop-list`` → ``{"item_ids": [...]}``
* ``PUT /orders/{our uuid}`` (idempotent: the same id again returns the stored order) → ``{"id", "status"}``
* ``GET /orders/{our uuid}`` → ``{"id", "status", "reason"}`` or 404; ``POST /orders/{our uuid}/cancel``
* statuses: ``received accepted rejected preparing ready picked_up cancelled``
* webhooks to us: ``{"type": "order.status", "order_id", "status", "reason"}`` signed the Standard Webhooks way
  with the venue's webhook secret (``webhook-id`` is the delivery id).
* 429 and 503 may carry ``Retry-After`` (seconds).
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec

from core import clock
from plugins.orders import signing
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

STATUSES: dict[str, PosStatus | None] = {"received": "submitted", "accepted": "confirmed", "rejected": "rejected",
                                   "preparing": "preparing", "ready": "ready", "picked_up": "completed",
                                   "cancelled": "cancelled"}


@functools.cache
def tls() -> ssl.SSLContext:
    """One TLS context for every call to a POS: building one loads the CA bundle (30-300 ms of CPU per client)."""
    return httpx.create_ssl_context()


def retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` hint in seconds (the HTTP-date form is treated as no hint)."""
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def raise_for(response: httpx.Response) -> None:
    """Map an HTTP status to the contract's errors: 408/429/5xx retried, other 4xx refused for good."""
    code = response.status_code
    if code < 400:
        return
    if code in (408, 425, 429) or code >= 500:
        raise PosUnavailable(f"HTTP {code}", retry_after=retry_after(response))
    raise PosRejected(f"HTTP {code}: {response.text[:200]}")


class HttpAdapter(PosAdapter):
    """A venue's own system speaking the Sbor POS protocol."""

    name = "http"
    label = "The venue's own system (Sbor POS protocol)"
    settings_fields = ("base_url",)
    vendor_statuses = STATUSES

    async def _request(self, conn: PosConnection, method: str, path: str, body: Any = None,
                       *, sent: bool = False) -> httpx.Response:
        base = conn.settings.get("base_url", "").rstrip("/")
        if not base:
            raise PosRejected("base_url is not configured")
        try:
            async with httpx.AsyncClient(timeout=conn.timeout_s, verify=tls()) as client:
                response = await client.request(method, base + path, json=body,
                                                 headers={"authorization": f"Bearer {conn.secret}"})
        except httpx.TimeoutException as exc:
            # The request may have reached the POS and been committed before the answer was lost.
            raise PosUnavailable(f"timeout: {exc!r}", maybe_committed=sent) from None
        except httpx.HTTPError as exc:
            raise PosUnavailable(f"connection: {exc!r}") from None
        if response.status_code != 404:
            raise_for(response)
        return response

    async def fetch_menu(self, conn: PosConnection) -> PosMenu:
        data = (await self._request(conn, "GET", "/menu")).json()
        items = [PosMenuItem(external_id=str(i["id"]), name=i["name"], price_minor=i["price_minor"],
                             currency=i.get("currency", "RUB"), category=i.get("category", ""),
                             description=i.get("description", ""), photo_ref=i.get("photo_url", ""),
                             available=bool(i.get("available", True)),
                             modifiers=[PosModifier(str(m["id"]), m["name"], m.get("price_minor", 0))
                                        for m in i.get("modifiers", [])])
                 for i in data.get("items", [])]
        return PosMenu(items=items)

    async def fetch_stop_list(self, conn: PosConnection) -> list[str]:
        return [str(i) for i in (await self._request(conn, "GET", "/stop-list")).json().get("item_ids", [])]

    async def submit_order(self, conn: PosConnection, order: PosOrder) -> PosOrderState:
        body = msgspec.to_builtins(order)
        response = await self._request(conn, "PUT", f"/orders/{order.order_id}", body, sent=True)
        if response.status_code == 404:
            raise PosRejected("the POS has no orders endpoint")
        data = response.json()
        return PosOrderState(pos_order_id=str(data.get("id", "")), status=self.map_status(data.get("status", "")))

    async def get_order(self, conn: PosConnection, order_id: str, pos_order_id: str) -> PosOrderState | None:
        response = await self._request(conn, "GET", f"/orders/{order_id}")
        if response.status_code == 404:
            return None
        data = response.json()
        return PosOrderState(pos_order_id=str(data.get("id", "")), status=self.map_status(data.get("status", "")),
                             reason=str(data.get("reason", ""))[:500])

    async def cancel_order(self, conn: PosConnection, order_id: str, pos_order_id: str, reason: str) -> None:
        await self._request(conn, "POST", f"/orders/{order_id}/cancel", {"reason": reason})

    def parse_webhook(self, conn: PosConnection, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        try:
            delivery_id, stamp = signing.verify([conn.webhook_secret], headers, body, now=clock.timestamp())
        except signing.SignatureError as exc:
            raise WebhookRejected(str(exc)) from None
        try:
            data = msgspec.json.decode(body, type=dict[str, Any])
        except msgspec.DecodeError:
            raise WebhookRejected("the body is not JSON") from None
        status = str(data.get("status", ""))
        return [WebhookEvent(delivery_id=delivery_id, sent_at=datetime.fromtimestamp(stamp, UTC),
                             order_id=str(data.get("order_id", "")), pos_order_id=str(data.get("id", "")),
                             status=self.map_status(status), vendor_status=status,
                             reason=str(data.get("reason", ""))[:500])]
