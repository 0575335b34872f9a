"""Tables of the orders plugin (schema ``orders``). Private: other plugins use ``plugins.orders.api``."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from core.users.tables import User


class VenuePos(Table, schema="orders"):
    """A venue's POS: its adapter, settings and encrypted credentials (never shown), its outgoing webhook.

    ``venue_id`` is events' venue (no foreign key across plugins). ``secret_enc``/``webhook_secret_enc`` are Fernet
    tokens (``plugins.orders.credentials``); ``outgoing_secrets_enc`` a Fernet token of the JSON list of signing
    secrets of our outgoing webhooks (the first signs; all are listed in ``webhook-signature`` during a rotation).
    """

    id: Serial

    venue_id = Integer(unique=True)
    adapter = Varchar(length=40, default="manual")
    settings = JSONB(default="{}")
    secret_enc = Text(default="")
    webhook_secret_enc = Text(default="")
    outgoing_url = Varchar(length=500, default="")
    outgoing_secrets_enc = Text(default="")
    menu_synced_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class MenuItem(Table, schema="orders"):
    """A dish or drink of a venue's menu, from its POS (``source = pos``) or entered by its staff (``staff``)."""

    id: Serial

    venue_id = Integer(index=True)
    external_id = Varchar(length=100)
    category = Varchar(length=200, default="")
    name = Varchar(length=200)
    description = Text(default="")
    price_minor = Integer()
    currency = Varchar(length=3, default="RUB")
    modifiers = JSONB(default="[]")  # [{"external_id", "name", "price_minor"}]
    photo_ref = Varchar(length=500, default="")
    available = Boolean(default=True)  # offered at all (the POS or staff may hide an item)
    stopped = Boolean(default=False)  # on the stop list now
    source = Varchar(length=8, default="staff")
    position = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())
    removed_at = Timestamptz(null=True, default=None)  # gone from the POS menu: kept for old orders' lines

    orders_menu_item_venue_external = Unique(["venue_id", "external_id"])


class Order(Table, schema="orders", tablename="pre_order"):
    """An order: a user's (or a group's) pre-order at a venue. ``id`` is the UUID sent to the POS.

    ``pos_state`` follows the conversation with the POS: ``none`` (not sent), ``queued``, ``retrying``,
    ``uncertain`` (a call timed out after sending: the POS may have it), ``sent`` (the POS has it), ``failed``.
    """

    id = UUID(primary_key=True)
    user = ForeignKey(User, null=False, index=True)
    venue_id = Integer(index=True)
    event_id = Integer(null=True, default=None, index=True)
    group_id = Integer(null=True, default=None, index=True)
    status = Varchar(length=16, default="draft", index=True)
    fulfilment = Varchar(length=8, default="pickup")
    pickup_at = Timestamptz(null=True, default=None)
    table_ref = Varchar(length=40, default="")
    notes = Text(default="")
    currency = Varchar(length=3, default="RUB")
    total_minor = Integer(default=0)
    payment_status = Varchar(length=16, default="not_required")
    adapter = Varchar(length=40, default="")
    pos_state = Varchar(length=16, default="none", index=True)
    pos_order_id = Varchar(length=100, default="")
    pos_attempts = Integer(default=0)
    pos_error = Text(default="")
    pos_checked_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)
    submitted_at = Timestamptz(null=True, default=None)


class OrderLine(Table, schema="orders"):
    """One line of an order: whose part it is (group orders), the item, and the price taken from the menu."""

    id: Serial

    order = ForeignKey(Order, null=False, index=True)
    user = ForeignKey(User, null=False)
    item = ForeignKey(MenuItem, null=False)
    external_id = Varchar(length=100)
    name = Varchar(length=200)
    quantity = Integer()
    unit_price_minor = Integer()
    modifiers = JSONB(default="[]")  # [{"external_id", "name", "price_minor"}]
    line_total_minor = Integer()


class OrderMove(Table, schema="orders"):
    """One move of an order's status: who (or which role), when, from, to, why."""

    id: Serial

    order = ForeignKey(Order, null=False, index=True)
    actor = ForeignKey(User, null=True)
    role = Varchar(length=8)
    from_status = Varchar(length=16, null=True, default=None)
    to_status = Varchar(length=16)
    reason = Text(default="")
    at = Timestamptz(default=TimestamptzNow())


class WebhookDelivery(Table, schema="orders"):
    """A webhook delivery id seen from a venue's POS: a repeated one is acknowledged and ignored."""

    id: Serial

    venue_id = Integer()
    delivery_id = Varchar(length=200)
    received_at = Timestamptz(default=TimestamptzNow(), index=True)

    orders_webhook_delivery_venue_id = Unique(["venue_id", "delivery_id"])


class OutgoingWebhook(Table, schema="orders"):
    """An order status change to deliver to a venue's own system, signed the Standard Webhooks way (an outbox)."""

    id: Serial

    venue_id = Integer(index=True)
    message_id = Varchar(length=64, unique=True)
    payload = JSONB(default="{}")
    attempts = Integer(default=0)
    next_at = Timestamptz(default=TimestamptzNow(), index=True)
    delivered_at = Timestamptz(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
