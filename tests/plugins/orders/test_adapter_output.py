"""What an adapter returns is validated (schema, sizes) before orders trusts it: menus, stop lists, states, events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from plugins.orders import pos
from plugins.orders.conformance.reference import ReferencePos
from plugins.orders.hookspecs import (
    MAX_MENU_ITEMS,
    PosMenu,
    PosMenuItem,
    PosOrderState,
    PosUnavailable,
    WebhookEvent,
)
from tests.plugins.orders.conftest import Person, pos_items
from tests.plugins.orders.test_pos_flow import order_of, submitted


def item(**changes: Any) -> PosMenuItem:
    # Structs are not validated when built: an adapter can hand back anything, which is why orders checks.
    return PosMenuItem(**{"external_id": "dish-1", "name": "Tea", "price_minor": 100, "currency": "RUB", **changes})


def test_a_menu_is_checked_for_schema_and_size() -> None:
    assert pos.checked_menu(PosMenu(items=[item()])).items[0].name == "Tea"
    for bad in (item(price_minor=-1), item(currency="rub"), item(name=""), item(name="x" * 201),
                item(external_id="x" * 101), item(description="x" * 2001), item(modifiers=[None])):
        with pytest.raises(PosUnavailable, match="invalid menu"):
            pos.checked_menu(PosMenu(items=[bad]))
    with pytest.raises(PosUnavailable, match="invalid menu"):
        pos.checked_menu(PosMenu(items=[item(external_id=f"d{n}") for n in range(MAX_MENU_ITEMS + 1)]))
    with pytest.raises(PosUnavailable):
        pos.checked_menu({"items": "everything"})


def test_states_stop_lists_and_events_are_checked() -> None:
    assert pos.checked_state(PosOrderState(pos_order_id="R-1", status="confirmed")).status == "confirmed"
    for bad in (PosOrderState(status="eaten"), PosOrderState(pos_order_id="x" * 101), "confirmed", None):  # type: ignore[arg-type]
        with pytest.raises(PosUnavailable, match="invalid order state"):
            pos.checked_state(bad)
    assert pos.checked_stop_list(["a", "b"]) == ["a", "b"]
    assert len(pos.checked_stop_list([str(n) for n in range(6000)])) == 5000
    with pytest.raises(PosUnavailable):
        pos.checked_stop_list([1, None])
    event = WebhookEvent(delivery_id="d1", sent_at=datetime.now(UTC), status="ready")
    assert pos.checked_events([event])[0].status == "ready"
    for bad_events in ([event] * 101, event, [WebhookEvent(delivery_id="", sent_at=event.sent_at)],
                       [WebhookEvent(delivery_id="d2", sent_at=event.sent_at, status="lost")]):  # type: ignore[arg-type]
        with pytest.raises(PosUnavailable):
            pos.checked_events(bad_events)


async def test_a_bad_menu_from_the_pos_changes_nothing(api: httpx.AsyncClient, guest: Person,
                                                       pos_venue: ReferencePos, events_venue: Any) -> None:
    from plugins.orders import menu

    pos_venue.set_menu([{"id": "dish-1", "name": "Cappuccino", "price_minor": -25000, "category": "Coffee"}])
    with pytest.raises(PosUnavailable, match="invalid menu"):
        await menu.sync(events_venue.id)
    r = await api.get(f"/api/v1/orders/venues/{events_venue.id}/menu", headers=guest.headers)
    prices = {i["name"]: i["price_minor"] for i in r.json()["items"]}
    assert prices == {"Cappuccino": 25000, "Cheesecake": 32000, "Soup": 41000}  # the last good sync stays


async def test_a_bad_answer_to_a_submission_is_not_trusted(api: httpx.AsyncClient, guest: Person,
                                                           pos_venue: ReferencePos, draft: Any, events_venue: Any,
                                                           run_jobs: Any) -> None:
    assert await pos_items(api, guest, events_venue.id)
    order_id = await submitted(api, guest, draft, events_venue)
    # The POS answers the submission with an id far past the contract's 100 characters.
    pos_venue.orders[order_id] = {"id": "R" * 1000, "status": "received", "body": None}
    await run_jobs(include_delayed=False)
    order = await order_of(api, guest, order_id)
    assert order["pos_state"] == "retrying" and order["status"] == "submitted"
    from plugins.orders.tables import Order

    stored = await Order.select(Order.pos_order_id, Order.pos_error).where(Order.id == order_id).first()
    assert stored is not None and stored["pos_order_id"] == "" and "invalid order state" in stored["pos_error"]


async def test_a_webhook_the_adapter_parsed_into_nonsense_is_refused(api: httpx.AsyncClient,
                                                                     pos_venue: ReferencePos,
                                                                     events_venue: Any) -> None:
    headers, body = pos_venue.webhook("x" * 500, "accepted")  # signed, but its order id breaks the contract
    r = await api.post(f"/api/v1/orders/pos/{events_venue.id}/webhooks", headers=headers, content=body)
    assert r.status_code == 401 and r.json()["code"] == "webhook_invalid"
