"""HTTP routes of orders: ``/api/v1/orders/…`` (thin: parse, call services, shape) and the POS webhooks."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from core.auth.guards import Principal, requires
from core.errors import PayloadTooLarge, SborError
from core.hooks import plugin_settings
from core.http.params import Limit
from core.pagination import Page
from plugins.orders import OrdersSettings, config, menu, services, webhooks
from plugins.orders.schemas import (
    CancelBody,
    ItemsBody,
    MenuItemCreate,
    MenuItemRead,
    MenuItemUpdate,
    MenuRead,
    OrderCreate,
    OrderRead,
    OrderSummary,
    PosConfigRead,
    PosConfigWrite,
    StatusBody,
    WebhookResult,
)

MANAGE = "orders.manage"
Caller = NamedDependency[Principal]


class IdempotencyKeyRequired(SborError):
    """A request that must carry an ``Idempotency-Key`` header came without one."""

    status = 428
    code = "idempotency_key_required"
    title = "Idempotency-Key required"


class OrderController(Controller):
    """Orders of the signed-in user: drafts, group parts, submission, cancellation."""

    path = "/orders"

    @post("/", operation_id="create_order", status_code=HTTP_201_CREATED,
          opt={"codes": {404: ["venue_not_found", "group_not_found", "event_not_found"]}})
    async def create_order(self, principal: Caller, data: JSONBody[OrderCreate]) -> OrderRead:
        """Start a draft order at a venue (prices come from the menu; a price in the body is refused)."""
        order_id = await services.create(principal.user_id, data)
        return await services.read(principal.user_id, str(order_id))

    @get("/", operation_id="list_orders")
    async def list_orders(self, principal: Caller, cursor: FromQuery[str | None] = None,
                          limit: Limit = 20) -> Page[OrderSummary]:
        """My orders and the group orders I have a part in, newest first."""
        return await services.list_mine(principal.user_id, cursor, limit)

    @get("/{order_id:str}", operation_id="get_order")
    async def get_order(self, principal: Caller, order_id: FromPath[str]) -> OrderRead:
        """One order: every line (whose part), the total and mine, the moves."""
        return await services.read(principal.user_id, order_id)

    @put("/{order_id:str}/items", operation_id="update_order_items")
    async def update_order_items(self, principal: Caller, order_id: FromPath[str],
                                 data: JSONBody[ItemsBody]) -> OrderRead:
        """Replace my part of a draft (a group order's members each edit their own part)."""
        await services.set_items(principal.user_id, order_id, data.items)
        return await services.read(principal.user_id, order_id)

    @post("/{order_id:str}/submit", operation_id="submit_order", status_code=HTTP_202_ACCEPTED,
          opt={"idempotency_required": True})
    async def submit_order(self, request: Request[Any, Any, Any], principal: Caller,
                           order_id: FromPath[str]) -> OrderRead:
        """Submit a draft (``Idempotency-Key`` required): answered at once; the POS is told in the background."""
        if not request.headers.get("idempotency-key"):
            raise IdempotencyKeyRequired("Send an Idempotency-Key header with the submission (retry with the same).")
        await services.submit(principal.user_id, order_id)
        return await services.read(principal.user_id, order_id)

    @post("/{order_id:str}/cancel", operation_id="cancel_order", status_code=HTTP_200_OK)
    async def cancel_order(self, principal: Caller, order_id: FromPath[str],
                           data: JSONBody[CancelBody]) -> OrderRead:
        """Cancel my order: a draft, or a submitted order the venue has not confirmed yet."""
        await services.cancel(principal.user_id, order_id, data.reason)
        return await services.read(principal.user_id, order_id)

    @post("/{order_id:str}/status", operation_id="move_order", status_code=HTTP_200_OK, guards=[requires(MANAGE)])
    async def move_order(self, principal: Caller, order_id: FromPath[str], data: JSONBody[StatusBody]) -> OrderRead:
        """The venue's staff move an order (confirm, prepare, ready, complete, reject or cancel with a reason)."""
        await services.staff_move(principal.user_id, order_id, data.status, data.reason)
        return await services.read(principal.user_id, order_id, staff=True)

    @get("/groups/{group_id:int}/drafts", operation_id="list_group_order_drafts")
    async def list_group_order_drafts(self, principal: Caller, group_id: FromPath[int]) -> list[OrderSummary]:
        """A group's draft orders its members may add their items to (members only)."""
        return await services.group_drafts(principal.user_id, group_id)


class VenueMenuController(Controller):
    """Venues' menus (read by anyone signed in; edited by staff) and their POS configuration."""

    path = "/orders/venues"

    @get("/{venue_id:int}/menu", operation_id="get_venue_menu")
    async def get_venue_menu(self, principal: Caller, venue_id: FromPath[int]) -> MenuRead:
        """The venue's menu; items on the stop list are ``orderable: false``."""
        return await menu.menu(venue_id)

    @post("/{venue_id:int}/menu/items", operation_id="create_menu_item", status_code=HTTP_201_CREATED,
          guards=[requires(MANAGE)])
    async def create_menu_item(self, principal: Caller, venue_id: FromPath[int],
                               data: JSONBody[MenuItemCreate]) -> MenuItemRead:
        """Add a menu item by hand."""
        return await menu.create_item(principal.user_id, venue_id, data)

    @post("/{venue_id:int}/menu/items/{item_id:int}", operation_id="update_menu_item", status_code=HTTP_200_OK,
          guards=[requires(MANAGE)])
    async def update_menu_item(self, principal: Caller, venue_id: FromPath[int], item_id: FromPath[int],
                               data: JSONBody[MenuItemUpdate]) -> MenuItemRead:
        """Change a menu item (price, hidden, on the stop list)."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        return await menu.update_item(principal.user_id, venue_id, item_id, changes)

    @post("/{venue_id:int}/menu/sync", operation_id="sync_venue_menu", status_code=HTTP_202_ACCEPTED,
          guards=[requires(MANAGE)])
    async def sync_venue_menu(self, principal: Caller, venue_id: FromPath[int]) -> dict[str, bool]:
        """Fetch the menu and stop list from the venue's POS (in the background)."""
        await config.queue_sync(principal.user_id, venue_id)
        return {"queued": True}

    @get("/{venue_id:int}/pos", operation_id="get_venue_pos", guards=[requires(MANAGE)])
    async def get_venue_pos(self, principal: Caller, venue_id: FromPath[int]) -> PosConfigRead:
        """The venue's POS configuration (which secrets are set; never their values)."""
        return await config.read(venue_id)

    @put("/{venue_id:int}/pos", operation_id="set_venue_pos", guards=[requires(MANAGE)])
    async def set_venue_pos(self, principal: Caller, venue_id: FromPath[int],
                            data: JSONBody[PosConfigWrite]) -> PosConfigRead:
        """Choose the venue's adapter and credentials (an empty secret keeps the stored one)."""
        return await config.write(principal.user_id, venue_id, data)


class PosWebhookController(Controller):
    """Webhooks from venues' POS: verified by the venue's adapter over the raw body."""

    path = "/orders/pos"

    @post("/{venue_id:int}/webhooks", operation_id="receive_pos_webhook", status_code=HTTP_200_OK)
    async def receive_pos_webhook(self, request: Request[Any, Any, Any], venue_id: FromPath[int]) -> WebhookResult:
        """A status change from the venue's POS; a body over the limit is refused (413) before it is parsed."""
        return await webhooks.receive(venue_id, {k.lower(): v for k, v in request.headers.items()},
                                      await read_limited(request))


async def read_limited(request: Request[Any, Any, Any]) -> bytes:
    """The raw body, refused (413) as soon as it passes ``webhook_max_bytes`` (declared or streamed)."""
    limit = plugin_settings(OrdersSettings).webhook_max_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("A webhook body is at most %(limit)s bytes.", params={"limit": limit})
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge("A webhook body is at most %(limit)s bytes.", params={"limit": limit})
        chunks.append(chunk)
    return b"".join(chunks)

