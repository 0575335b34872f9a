"""Request and response shapes of the orders API (msgspec Structs); field rules are their ``Meta`` constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

Fulfilment = Literal["pickup", "table"]
Quantity = Annotated[int, Meta(ge=1, le=1000, description="1 to the venue's limit (settings max_quantity)")]
Notes = Annotated[str, Meta(max_length=500)]
TableRef = Annotated[str, Meta(max_length=40)]
Reason = Annotated[str, Meta(max_length=500)]
ItemName = Annotated[str, Meta(min_length=1, max_length=200)]
ExternalId = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[\w.:-]+$")]
Price = Annotated[int, Meta(ge=0, le=100_000_000, description="minor units (kopecks, cents)")]
Currency = Annotated[str, Meta(pattern="^[A-Z]{3}$")]
StaffStatus = Literal["confirmed", "rejected", "preparing", "ready", "completed", "cancelled"]


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    """An item to order. Prices are never taken from the client: they come from the venue's menu."""

    item_id: int
    quantity: Quantity
    modifiers: Annotated[list[ExternalId], Meta(max_length=20)] = []
    price_minor: Annotated[int | None, Meta(description="Ignored: the price is always the venue's menu price (an app "
                                                         "may send the price it showed).")] = None


class OrderCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new draft order at a venue.

    With ``event_id``, for an event there one takes part in; with ``group_id``, a group order that the group's members
    add their items to.
    """

    venue_id: int
    items: Annotated[list[LineIn], Meta(max_length=100)] = []
    event_id: int | None = None
    group_id: int | None = None
    fulfilment: Fulfilment = "pickup"
    pickup_at: Annotated[datetime, Meta(tz=True)] | None = None
    table: TableRef = ""
    notes: Notes = ""


class ItemsBody(msgspec.Struct, forbid_unknown_fields=True):
    """The caller's part of a draft order (replaces what they had in it)."""

    items: Annotated[list[LineIn], Meta(max_length=100)]


class CancelBody(msgspec.Struct, forbid_unknown_fields=True):
    """Why the order is cancelled (optional for the user)."""

    reason: Reason = ""


class StatusBody(msgspec.Struct, forbid_unknown_fields=True):
    """A move made by the venue's staff (manual adapter); ``reason`` is required to reject or cancel."""

    status: StaffStatus
    reason: Reason = ""


class ModifierRead(msgspec.Struct):
    """An option of an item."""

    external_id: str
    name: str
    price_minor: int


class MenuItemRead(msgspec.Struct):
    """A dish or drink on the menu; ``orderable`` is false while it is hidden or on the stop list."""

    id: int
    external_id: str
    category: str
    name: str
    description: str
    price_minor: int
    currency: str
    modifiers: list[ModifierRead]
    photo_ref: str
    orderable: bool


class MenuRead(msgspec.Struct):
    """A venue's menu."""

    venue_id: int
    adapter: str
    items: list[MenuItemRead]
    synced_at: datetime | None = None


class MenuItemCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An item entered by the venue's staff."""

    name: ItemName
    price_minor: Price
    currency: Currency = "RUB"
    external_id: ExternalId | None = None
    category: Annotated[str, Meta(max_length=200)] = ""
    description: Annotated[str, Meta(max_length=2000)] = ""
    photo_ref: Annotated[str, Meta(max_length=500)] = ""
    modifiers: Annotated[list[ModifierRead], Meta(max_length=50)] = []


class MenuItemUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A change to an item by the venue's staff."""

    name: ItemName | UnsetType = UNSET
    price_minor: Price | UnsetType = UNSET
    available: bool | UnsetType = UNSET
    stopped: bool | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=2000)] | UnsetType = UNSET


class LineRead(msgspec.Struct):
    """A line of an order; ``user_id`` is whose part it is."""

    id: int
    user_id: int
    item_id: int
    name: str
    quantity: int
    unit_price_minor: int
    modifiers: list[ModifierRead]
    line_total_minor: int


class OrderMoveRead(msgspec.Struct):
    """A status move."""

    role: str
    from_status: str | None
    to_status: str
    reason: str
    at: datetime
    actor_id: int | None = None


class OrderRead(msgspec.Struct):
    """An order as its people see it: every line, the total and the caller's own part."""

    id: str
    number: str
    user_id: int
    venue_id: int
    status: str
    fulfilment: str
    table: str
    notes: str
    currency: str
    total_minor: int
    my_total_minor: int
    payment_status: str
    pos_state: str
    lines: list[LineRead]
    moves: list[OrderMoveRead]
    version: int
    created_at: datetime
    updated_at: datetime
    event_id: int | None = None
    group_id: int | None = None
    pickup_at: datetime | None = None
    submitted_at: datetime | None = None


class OrderSummary(msgspec.Struct):
    """An order in a list."""

    id: str
    number: str
    venue_id: int
    status: str
    total_minor: int
    currency: str
    updated_at: datetime
    group_id: int | None = None


class PosConfigWrite(msgspec.Struct, forbid_unknown_fields=True):
    """A venue's POS: the adapter, its settings, and credentials (write-only: never returned, empty keeps them)."""

    adapter: Annotated[str, Meta(min_length=1, max_length=40, pattern="^[a-z][a-z0-9_]*$")]
    settings: Annotated[dict[Annotated[str, Meta(max_length=60)], Annotated[str, Meta(max_length=500)]],
                        Meta(max_length=30)] = {}
    secret: Annotated[str, Meta(max_length=2000)] = ""
    webhook_secret: Annotated[str, Meta(max_length=2000)] = ""
    outgoing_url: Annotated[str, Meta(max_length=500, pattern=r"^(https?://\S+)?$")] = ""
    rotate_outgoing_secret: bool = False


class PosConfigRead(msgspec.Struct):
    """A venue's POS configuration as staff see it: which secrets are set, never their values."""

    venue_id: int
    adapter: str
    settings: dict[str, str]
    secret_set: bool
    webhook_secret_set: bool
    outgoing_url: str
    outgoing_secrets: int
    webhook_url: str
    new_outgoing_secret: str | None = None  # shown once, right after a rotation


class WebhookResult(msgspec.Struct):
    """What an incoming webhook did: applied moves, duplicates ignored, events for orders we do not know."""

    applied: int
    duplicates: int
    unknown: int
    ignored: int
