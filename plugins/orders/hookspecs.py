"""The hooks orders offers: the POS adapter contract (versioned), order status notifications and payments.

**The POS adapter contract, version 1** (:data:`CONTRACT_VERSION`). A POS adapter is any plugin (usually a separate
distribution with an ``sbor.plugins`` entry point) that implements :func:`register_pos_adapters` and returns
instances of :class:`PosAdapter` subclasses. Each declares the contract range it implements (``contract = ">=1,<2"``);
orders checks it at start-up (API and workers) and refuses to start with an adapter it cannot drive.

Orders calls adapters only from background jobs, with a timeout, bounded retries with backoff and a circuit breaker
per venue; it validates everything an adapter returns (:class:`PosMenu`, :class:`PosOrderState`,
:class:`WebhookEvent` are converted with their constraints, and a menu has at most :data:`MAX_MENU_ITEMS` items)
before trusting it. An adapter raises :class:`PosUnavailable` for what may succeed later (timeouts, 429, 5xx,
connection errors; ``retry_after`` carries the vendor's hint) and :class:`PosRejected` for what never will (the POS
refused the order). Our order's UUID goes to the POS as its idempotency key or external id, so submitting the same
order twice never creates a second order there. The conformance kit (``plugins.orders.conformance``) proves all this
against the adapter and a stand-in of its vendor.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

from core.hooks import hookspec
from core.hooks.policy import decision, notification

CONTRACT_VERSION = "1.0"
"""The version of the POS adapter contract this orders plugin offers."""
MAX_MENU_ITEMS = 2000

# Our statuses, as adapters report them (see plugins/orders/states.py for the moves between them).
PosStatus = Literal["submitted", "confirmed", "rejected", "preparing", "ready", "completed", "cancelled"]
POS_STATUSES: tuple[str, ...] = ("submitted", "confirmed", "rejected", "preparing", "ready", "completed", "cancelled")

Ref = Annotated[str, Meta(min_length=1, max_length=100)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Text = Annotated[str, Meta(max_length=2000)]
Money = Annotated[int, Meta(ge=0, le=100_000_000)]
Currency = Annotated[str, Meta(pattern="^[A-Z]{3}$")]


class PosModifier(msgspec.Struct, forbid_unknown_fields=True):
    """An option of a menu item (extra shot, size), priced on top of the item."""

    external_id: Ref
    name: Name
    price_minor: Money = 0


class PosMenuItem(msgspec.Struct, forbid_unknown_fields=True):
    """A dish or drink as the POS lists it; prices in minor units (kopecks, cents)."""

    external_id: Ref
    name: Name
    price_minor: Money
    currency: Currency
    category: Annotated[str, Meta(max_length=200)] = ""
    description: Text = ""
    modifiers: Annotated[list[PosModifier], Meta(max_length=50)] = []
    photo_ref: Annotated[str, Meta(max_length=500)] = ""
    available: bool = True


class PosMenu(msgspec.Struct, forbid_unknown_fields=True):
    """The menu of one venue (its stop list comes separately)."""

    items: Annotated[list[PosMenuItem], Meta(max_length=MAX_MENU_ITEMS)]


class PosOrderLine(msgspec.Struct):
    """One line of an order sent to the POS (prices from our menu, which came from the POS)."""

    external_id: str
    name: str
    quantity: int
    unit_price_minor: int
    modifiers: list[str] = []  # external ids


class PosOrder(msgspec.Struct):
    """An order to create on the POS. ``order_id`` (our UUID) is the idempotency key / external id to send."""

    order_id: str
    number: str  # short human number for the kitchen screen (the UUID's first 8 characters)
    lines: list[PosOrderLine]
    total_minor: int
    currency: str
    fulfilment: str  # pickup | table
    pickup_at: datetime | None = None
    table: str = ""
    notes: str = ""
    customer_name: str = ""
    attempt: int = 0  # 0 the first time; a retry may first look the order up by order_id


class PosOrderState(msgspec.Struct, forbid_unknown_fields=True):
    """What the POS says about an order: its id there and our status (None: a vendor status with no move)."""

    pos_order_id: Annotated[str, Meta(max_length=100)] = ""
    status: PosStatus | None = None
    reason: Annotated[str, Meta(max_length=500)] = ""


class WebhookEvent(msgspec.Struct, forbid_unknown_fields=True):
    """One status change from a vendor's webhook, after the adapter verified the request.

    ``delivery_id`` is unique per delivery (orders ignores a repeated one); ``order_id`` is our UUID when the vendor
    echoes it, else empty and ``pos_order_id`` identifies the order; ``sent_at`` is when the vendor sent it (orders
    refuses events older or newer than its tolerance, 5 minutes by default).
    """

    delivery_id: Annotated[str, Meta(min_length=1, max_length=200)]
    sent_at: datetime
    order_id: Annotated[str, Meta(max_length=100)] = ""
    pos_order_id: Annotated[str, Meta(max_length=100)] = ""
    status: PosStatus | None = None
    vendor_status: Annotated[str, Meta(max_length=100)] = ""
    reason: Annotated[str, Meta(max_length=500)] = ""


@dataclass(frozen=True)
class PosConnection:
    """How to reach one venue's POS: its settings (not secret), its credentials and the call's time budget.

    ``secret`` (an API key, a login) and ``webhook_secret`` come decrypted from the venue's POS configuration; never
    log them. ``timeout_s`` bounds one HTTP exchange.
    """

    venue_id: int
    settings: Mapping[str, str] = field(default_factory=dict)
    secret: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)
    timeout_s: float = 10.0


class PosError(Exception):
    """Base of the errors adapters raise."""


class PosUnavailable(PosError):
    """The POS could not be reached or asked us to wait (timeout, 429, 5xx): retried with backoff.

    ``retry_after`` is the vendor's hint in seconds (``Retry-After``), if any; ``maybe_committed`` says the POS may
    have stored the order before the failure (a timeout after sending): the retry must not duplicate it.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, maybe_committed: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_committed = maybe_committed


class PosRejected(PosError):
    """The POS refused for good (unknown item, closed venue, bad credentials): the order fails with the reason."""


class WebhookRejected(PosError):
    """A webhook request that is not authentic (bad or missing signature, stale timestamp) or not understood."""


class PosAdapter(abc.ABC):
    """A POS adapter: subclass it, fill in the class attributes, implement the methods.

    ``name`` is what a venue's configuration stores (lower case, unique); ``contract`` the version range of this
    contract the adapter implements; ``settings_fields`` the non-secret settings a venue fills in (``base_url``,
    ``organization_id``…); ``remote`` False for an adapter with nobody to call (``manual``); ``webhook_auth`` is
    ``signature`` when the vendor signs each body (HMAC over the raw body: a tampered body is refused) or ``token``
    when it only sends a shared secret with each request (compared in constant time; the body's integrity rests on
    TLS); ``vendor_statuses`` maps every status the vendor documents to ours (None: no move), so the kit can check
    the mapping is total.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    contract: ClassVar[str] = ">=1,<2"
    settings_fields: ClassVar[tuple[str, ...]] = ()
    remote: ClassVar[bool] = True
    webhook_auth: ClassVar[Literal["signature", "token"]] = "signature"
    vendor_statuses: ClassVar[Mapping[str, PosStatus | None]] = {}

    @abc.abstractmethod
    async def fetch_menu(self, conn: PosConnection) -> PosMenu:
        """The venue's menu (without the stop list)."""

    @abc.abstractmethod
    async def fetch_stop_list(self, conn: PosConnection) -> list[str]:
        """External ids of the items the venue cannot serve now."""

    @abc.abstractmethod
    async def submit_order(self, conn: PosConnection, order: PosOrder) -> PosOrderState:
        """Create ``order`` on the POS, idempotently on ``order.order_id``; return its state there."""

    @abc.abstractmethod
    async def get_order(self, conn: PosConnection, order_id: str, pos_order_id: str) -> PosOrderState | None:
        """The order's state on the POS, or None when the POS does not have it (``pos_order_id`` may be empty)."""

    @abc.abstractmethod
    async def cancel_order(self, conn: PosConnection, order_id: str, pos_order_id: str, reason: str) -> None:
        """Cancel the order on the POS (the user or the venue cancelled it here)."""

    @abc.abstractmethod
    def parse_webhook(self, conn: PosConnection, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        """Verify a webhook request (in constant time, over the raw body) and return its status events.

        ``headers`` have lower-case names. Raise :class:`WebhookRejected` when it is not authentic or not
        understood. Orders has already refused a body over its size limit and de-duplicates by ``delivery_id``.
        """

    def map_status(self, vendor_status: str) -> PosStatus | None:
        """Our status for a vendor status (None: unknown or no move)."""
        return self.vendor_statuses.get(vendor_status)


@dataclass(frozen=True)
class OrderInfo:
    """A snapshot of an order for other plugins (payments, analytics)."""

    id: str
    user_id: int
    venue_id: int
    status: str
    total_minor: int
    currency: str
    payment_status: str
    event_id: int | None = None
    group_id: int | None = None


@hookspec
def register_pos_adapters() -> list[PosAdapter]:
    """Return the POS adapters this plugin provides (instances of :class:`PosAdapter` subclasses).

    Collected at start-up; an adapter whose ``contract`` range does not include :data:`CONTRACT_VERSION`, or a name
    given twice, stops start-up with one line naming the plugin. Example::

        @hookimpl
        def register_pos_adapters():
            from sbor_pos_iiko.adapter import IikoAdapter
            return [IikoAdapter()]
    """


@notification
@hookspec
def order_status_changed(order: OrderInfo, from_status: str | None, actor_id: int | None, reason: str) -> None:
    """Called after an order moves (inside the move's transaction); ``actor_id`` None for the POS or the system."""


@decision
@hookspec(firstresult=True)
def payment_status_from_payments(order: OrderInfo) -> str | None:
    """Ask the payment plugin for an order's payment status when it is submitted (``pending``, ``paid``…).

    Decision hook: the first non-None answer wins and is stored in ``payment_status``; with no payment plugin the
    order keeps ``not_required`` (paid at the venue). Errors propagate (the submission fails and rolls back).
    """


def contract_parts() -> dict[str, Any]:
    """The contract's version and statuses, for the docs and the adapters' own checks."""
    return {"version": CONTRACT_VERSION, "statuses": POS_STATUSES}
