"""The POS adapter conformance kit: one pytest suite every adapter's own tests run against it and its vendor stand-in.

In the adapter's tests::

    from plugins.orders.conformance import PosAdapterConformance

    class TestIikoConformance(PosAdapterConformance):
        @pytest.fixture
        def adapter(self): return IikoAdapter()

        @pytest.fixture
        def vendor(self):                      # a VendorStandIn: a real local HTTP server speaking the vendor's API
            server = IikoStandIn().start()
            yield server
            server.stop()

The suite proves the contract: declared version, status mapping total, menu and stop list, submit exactly once when
the POS commits and then times out, 429 (with its hint) and 5xx raised as retryable, unknown orders, cancellation,
token expiry (when the vendor has tokens), webhooks verified (bad signatures and tampered bodies refused, stale ones
refused or dated so orders refuses them) with stable delivery ids (orders ignores a repeated one).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import pytest

from core import clock
from plugins.orders.conformance.standin import StandInServer
from plugins.orders.hookspecs import (
    CONTRACT_VERSION,
    POS_STATUSES,
    PosAdapter,
    PosConnection,
    PosMenu,
    PosOrder,
    PosOrderLine,
    PosUnavailable,
    WebhookRejected,
)

__all__ = ["PosAdapterConformance", "StandInServer", "VendorStandIn", "sample_order"]


class VendorStandIn(Protocol):
    """What the kit needs from a vendor stand-in (see ``plugins.orders.conformance.reference.ReferencePos``)."""

    vendor_statuses: tuple[str, ...]

    def connection(self, venue_id: int = 1, timeout_s: float = 0.5) -> PosConnection: ...
    def set_menu(self, items: list[dict[str, Any]]) -> None: ...
    def set_stop_list(self, ids: list[str]) -> None: ...
    def item_id(self, n: int) -> str: ...
    def created(self) -> list[str]: ...
    def set_status(self, order_id: str, vendor_status: str, reason: str = "") -> None: ...
    def webhook(self, order_id: str, vendor_status: str, *, delivery_id: str | None = None, at: float | None = None,
                secret: str | None = None) -> tuple[dict[str, str], bytes]: ...
    def expire_tokens(self) -> None: ...
    def fail_next(self, status: int, *, retry_after: float | None = None, times: int = 1,
                  only: str | None = None) -> None: ...
    def commit_then_timeout_next(self, *, hang_s: float = 3.0, times: int = 1, only: str | None = None) -> None: ...


def sample_order(vendor: VendorStandIn, attempt: int = 0, order_id: str | None = None) -> PosOrder:
    """A small order of the sample menu's first item."""
    oid = order_id or str(uuid.uuid4())
    return PosOrder(order_id=oid, number=oid[:8].upper(), lines=[
        PosOrderLine(external_id=vendor.item_id(1), name="Cappuccino", quantity=2, unit_price_minor=25000)],
        total_minor=50000, currency="RUB", fulfilment="pickup", notes="no sugar", attempt=attempt)


def sample_menu(vendor: VendorStandIn) -> list[dict[str, Any]]:
    """Three items: one with a modifier, one hidden."""
    return [
        {"id": vendor.item_id(1), "name": "Cappuccino", "price_minor": 25000, "category": "Coffee",
         "modifiers": [{"id": vendor.item_id(10), "name": "Oat milk", "price_minor": 5000}], "available": True},
        {"id": vendor.item_id(2), "name": "Cheesecake", "price_minor": 32000, "category": "Desserts",
         "modifiers": [], "available": True},
        {"id": vendor.item_id(3), "name": "Seasonal soup", "price_minor": 41000, "category": "Kitchen",
         "modifiers": [], "available": False},
    ]


class PosAdapterConformance:
    """Subclass as ``Test…`` and provide the fixtures ``adapter`` (a PosAdapter) and ``vendor`` (a VendorStandIn)."""

    TIMEOUT_S = 2.0  # generous: a loaded CI machine must not turn a slow connect into a false failure

    @pytest.fixture
    def conn(self, vendor: VendorStandIn) -> PosConnection:
        """The stand-in's connection with a short time budget."""
        return vendor.connection(timeout_s=self.TIMEOUT_S)

    async def test_declares_the_contract(self, adapter: PosAdapter) -> None:
        from packaging.specifiers import SpecifierSet

        assert adapter.name and adapter.name == adapter.name.lower() and adapter.label
        assert CONTRACT_VERSION in SpecifierSet(adapter.contract)

    async def test_status_mapping_is_total(self, adapter: PosAdapter, vendor: VendorStandIn) -> None:
        missing = [s for s in vendor.vendor_statuses if s not in adapter.vendor_statuses]
        assert not missing, f"vendor statuses without a mapping: {missing}"
        for vendor_status, ours in adapter.vendor_statuses.items():
            assert ours is None or ours in POS_STATUSES, (vendor_status, ours)
            assert adapter.map_status(vendor_status) == ours
        assert adapter.map_status("no-such-status") is None
        mapped = set(adapter.vendor_statuses.values())
        assert {"confirmed", "completed", "cancelled"} <= mapped, "the happy path and the cancellation must map"

    async def test_menu_and_stop_list(self, adapter: PosAdapter, vendor: VendorStandIn, conn: PosConnection) -> None:
        vendor.set_menu(sample_menu(vendor))
        vendor.set_stop_list([vendor.item_id(2)])
        menu = await adapter.fetch_menu(conn)
        assert isinstance(menu, PosMenu)
        checked = PosMenu(items=list(menu.items))  # the orders plugin re-validates too; this is the shape
        by_id = {i.external_id: i for i in checked.items}
        assert set(by_id) >= {vendor.item_id(1), vendor.item_id(2)}
        assert by_id[vendor.item_id(1)].price_minor == 25000 and by_id[vendor.item_id(1)].name == "Cappuccino"
        assert [m.external_id for m in by_id[vendor.item_id(1)].modifiers] == [vendor.item_id(10)]
        assert by_id[vendor.item_id(1)].modifiers[0].price_minor == 5000
        assert vendor.item_id(3) not in by_id or not by_id[vendor.item_id(3)].available
        assert await adapter.fetch_stop_list(conn) == [vendor.item_id(2)]

    async def test_submit_once_and_read_back(self, adapter: PosAdapter, vendor: VendorStandIn,
                                             conn: PosConnection) -> None:
        order = sample_order(vendor)
        state = await adapter.submit_order(conn, order)
        assert state.status in (None, *POS_STATUSES)
        again = await adapter.submit_order(conn, sample_order(vendor, attempt=1, order_id=order.order_id))
        assert vendor.created().count(order.order_id) == 1, "a repeated submit must not create a second order"
        found = await adapter.get_order(conn, order.order_id, state.pos_order_id or again.pos_order_id)
        assert found is not None and found.status in POS_STATUSES

    async def test_commit_then_timeout_never_duplicates(self, adapter: PosAdapter, vendor: VendorStandIn,
                                                        conn: PosConnection) -> None:
        order = sample_order(vendor)
        vendor.commit_then_timeout_next(hang_s=self.TIMEOUT_S + 1.5, only=self.submit_path)
        with pytest.raises(PosUnavailable) as raised:
            await adapter.submit_order(conn, order)
        assert raised.value.maybe_committed, "a timeout after sending must say the POS may have the order"
        state = await adapter.submit_order(conn, sample_order(vendor, attempt=1, order_id=order.order_id))
        assert vendor.created().count(order.order_id) == 1
        assert state.status in (None, *POS_STATUSES)

    submit_path: str | None = None
    """A regex of the vendor's order-creation path, to aim the commit-then-timeout fault (None: the next request)."""

    async def test_429_is_retryable_with_its_hint(self, adapter: PosAdapter, vendor: VendorStandIn,
                                                  conn: PosConnection) -> None:
        order = sample_order(vendor)
        vendor.fail_next(429, retry_after=7, only=self.submit_path)
        with pytest.raises(PosUnavailable) as raised:
            await adapter.submit_order(conn, order)
        assert raised.value.retry_after == 7
        await adapter.submit_order(conn, sample_order(vendor, attempt=1, order_id=order.order_id))
        assert vendor.created().count(order.order_id) == 1

    async def test_5xx_is_retryable(self, adapter: PosAdapter, vendor: VendorStandIn, conn: PosConnection) -> None:
        order = sample_order(vendor)
        vendor.fail_next(503, only=self.submit_path)
        with pytest.raises(PosUnavailable):
            await adapter.submit_order(conn, order)
        vendor.fail_next(500)
        with pytest.raises(PosUnavailable):
            await adapter.get_order(conn, order.order_id, "")
        vendor.fail_next(502)
        with pytest.raises(PosUnavailable):
            await adapter.fetch_menu(conn)
        await adapter.submit_order(conn, sample_order(vendor, attempt=1, order_id=order.order_id))
        assert vendor.created().count(order.order_id) == 1

    async def test_unknown_order_is_none(self, adapter: PosAdapter, conn: PosConnection) -> None:
        assert await adapter.get_order(conn, str(uuid.uuid4()), "") is None

    async def test_cancel(self, adapter: PosAdapter, vendor: VendorStandIn, conn: PosConnection) -> None:
        order = sample_order(vendor)
        state = await adapter.submit_order(conn, order)
        await adapter.cancel_order(conn, order.order_id, state.pos_order_id, "the guest cancelled")
        found = await adapter.get_order(conn, order.order_id, state.pos_order_id)
        assert found is not None and found.status == "cancelled"

    async def test_token_expiry_is_handled(self, adapter: PosAdapter, vendor: VendorStandIn,
                                           conn: PosConnection) -> None:
        vendor.set_menu(sample_menu(vendor))
        await adapter.fetch_menu(conn)
        vendor.expire_tokens()
        assert (await adapter.fetch_menu(conn)).items, "an expired session token must be refreshed, not fail"

    async def test_webhook_maps_a_status(self, adapter: PosAdapter, vendor: VendorStandIn,
                                         conn: PosConnection) -> None:
        order = sample_order(vendor)
        await adapter.submit_order(conn, order)
        confirmed = next(v for v, ours in adapter.vendor_statuses.items() if ours == "confirmed")
        headers, body = vendor.webhook(order.order_id, confirmed)
        events = adapter.parse_webhook(conn, _lower(headers), body)
        assert [e.status for e in events] == ["confirmed"]
        assert events[0].order_id == order.order_id or events[0].pos_order_id
        assert abs(events[0].sent_at.timestamp() - clock.timestamp()) < 120

    async def test_duplicate_webhooks_share_their_delivery_id(self, adapter: PosAdapter, vendor: VendorStandIn,
                                                              conn: PosConnection) -> None:
        order = sample_order(vendor)
        await adapter.submit_order(conn, order)
        ready = next(v for v, ours in adapter.vendor_statuses.items() if ours == "ready")
        headers, body = vendor.webhook(order.order_id, ready, delivery_id="delivery-1")
        first = adapter.parse_webhook(conn, _lower(headers), body)
        second = adapter.parse_webhook(conn, _lower(headers), body)
        assert [e.delivery_id for e in first] == [e.delivery_id for e in second], "orders de-duplicates on it"
        other_headers, other_body = vendor.webhook(order.order_id, ready, delivery_id="delivery-2")
        other = adapter.parse_webhook(conn, _lower(other_headers), other_body)
        assert other[0].delivery_id != first[0].delivery_id

    async def test_bad_signatures_are_refused(self, adapter: PosAdapter, vendor: VendorStandIn,
                                              conn: PosConnection) -> None:
        order = sample_order(vendor)
        await adapter.submit_order(conn, order)
        confirmed = next(v for v, ours in adapter.vendor_statuses.items() if ours == "confirmed")
        headers, body = vendor.webhook(order.order_id, confirmed, secret=_other_secret(conn.webhook_secret))
        with pytest.raises(WebhookRejected):
            adapter.parse_webhook(conn, _lower(headers), body)
        headers, body = vendor.webhook(order.order_id, confirmed)
        if adapter.webhook_auth == "signature":  # a token-only vendor does not cover the body (TLS does)
            with pytest.raises(WebhookRejected):
                adapter.parse_webhook(conn, _lower(headers), body.replace(b"}", b' , "x": 1}', 1))  # tampered
        with pytest.raises(WebhookRejected):
            adapter.parse_webhook(conn, {"content-type": "application/json"}, body)  # no credentials at all

    async def test_stale_webhooks_are_refused(self, adapter: PosAdapter, vendor: VendorStandIn,
                                              conn: PosConnection) -> None:
        order = sample_order(vendor)
        await adapter.submit_order(conn, order)
        confirmed = next(v for v, ours in adapter.vendor_statuses.items() if ours == "confirmed")
        headers, body = vendor.webhook(order.order_id, confirmed, at=clock.timestamp() - 3600)
        try:
            events = adapter.parse_webhook(conn, _lower(headers), body)
        except WebhookRejected:
            return
        # Adapters whose vendor does not sign a timestamp must date the events: orders refuses stale ones.
        assert all(clock.timestamp() - e.sent_at.timestamp() > 300 for e in events)


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _other_secret(secret: str) -> str:
    from plugins.orders.signing import new_secret

    return new_secret() if secret.startswith("whsec_") else secret + "-wrong"
