"""The iiko adapter beyond the kit: login, token renewal, registry, an order end to end, live calls if configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from plugins.orders.conformance import sample_menu, sample_order
from plugins.orders.hookspecs import PosConnection, PosRejected

from sbor_pos_iiko.adapter import IikoAdapter
from sbor_pos_iiko.client import forget_tokens
from sbor_pos_iiko.testing import IikoStandIn


@pytest.fixture
def iiko() -> Iterator[IikoStandIn]:
    forget_tokens()
    server = IikoStandIn().start()
    yield server
    server.stop()


async def test_a_wrong_api_login_is_refused_for_good(iiko: IikoStandIn) -> None:
    conn = PosConnection(1, iiko.adapter_settings(), "not-the-login", iiko.auth_token, 0.5)
    with pytest.raises(PosRejected):
        await IikoAdapter().fetch_menu(conn)


async def test_the_token_is_reused_then_renewed_once_when_it_expires(iiko: IikoStandIn) -> None:
    adapter, conn = IikoAdapter(), iiko.connection()
    iiko.set_menu(sample_menu(iiko))
    await adapter.fetch_menu(conn)
    await adapter.fetch_stop_list(conn)
    assert iiko.token_requests == 1
    iiko.expire_tokens()
    await adapter.fetch_menu(conn)
    assert iiko.token_requests == 2


async def test_the_order_body_follows_the_contract(iiko: IikoStandIn) -> None:
    adapter, conn = IikoAdapter(), iiko.connection()
    order = sample_order(iiko)
    await adapter.submit_order(conn, order)
    body = iiko.deliveries[order.order_id]["body"]
    assert body["id"] == order.order_id and body["orderServiceType"] == "DeliveryByClient"
    assert body["items"] == [{"type": "Product", "productId": iiko.item_id(1), "amount": 2, "price": 250.0,
                              "modifiers": []}]
    assert body["phone"].startswith("+") and "no sugar" in body["comment"]


async def test_other_event_types_and_bad_bodies(iiko: IikoStandIn) -> None:
    adapter, conn = IikoAdapter(), iiko.connection()
    headers = {"authorization": iiko.auth_token}
    assert adapter.parse_webhook(conn, headers, b'[{"eventType": "StopListUpdate", "eventInfo": {}}]') == []
    from plugins.orders.hookspecs import WebhookRejected

    with pytest.raises(WebhookRejected):
        adapter.parse_webhook(conn, headers, b"not json")
    with pytest.raises(WebhookRejected):
        adapter.parse_webhook(conn, {"authorization": ""}, b"[]")


def test_the_adapter_is_found_through_the_registry() -> None:
    from core.hooks.manager import PluginsFile, build
    from plugins.orders import pos

    registry = build(PluginsFile(enabled=["events", "orders", "pos_iiko"]))
    found = pos.adapters(registry)
    assert {"manual", "http", "iiko"} <= set(found)
    assert isinstance(found["iiko"], IikoAdapter)


async def test_an_order_end_to_end_through_orders(make_client: Any, make_user: Any, auth_headers: Any,
                                                  iiko: IikoStandIn, run_jobs: Any) -> None:
    from plugins.events import services
    from plugins.orders import menu

    api = await make_client(["events", "orders", "pos_iiko"], {"orders": {"pos_timeout_s": 0.5}})
    staff = await make_user(roles=["admin"])
    guest = await make_user()
    staff_headers, guest_headers = await auth_headers(staff), await auth_headers(guest)
    venue = await services.create_venue(services.Actor(staff.id), {
        "name": "Кофейня", "city": "Moscow", "latitude": 55.75, "longitude": 37.61, "timezone": "Europe/Moscow"})
    r = await api.put(f"/api/v1/orders/venues/{venue['id']}/pos", headers=staff_headers, json={
        "adapter": "iiko", "settings": iiko.adapter_settings(), "secret": "sbor-test-api-login",
        "webhook_secret": iiko.auth_token})
    assert r.status_code == 200, r.text
    iiko.set_menu(sample_menu(iiko))
    await menu.sync(venue["id"])
    items = {i["name"]: i for i in (await api.get(f"/api/v1/orders/venues/{venue['id']}/menu",
                                                  headers=guest_headers)).json()["items"]}
    assert items["Cappuccino"]["price_minor"] == 25000 and not items["Seasonal soup"]["orderable"]
    r = await api.post("/api/v1/orders", headers=guest_headers, json={
        "venue_id": venue["id"], "items": [{"item_id": items["Cappuccino"]["id"], "quantity": 1,
                                            "modifiers": [iiko.item_id(10)]}]})
    order_id = r.json()["id"]
    r = await api.post(f"/api/v1/orders/{order_id}/submit", headers={**guest_headers, "Idempotency-Key": "1"})
    assert r.status_code == 202
    iiko.commit_then_timeout_next(hang_s=2.0, only="deliveries/create")
    await run_jobs()
    from core import clock

    clock.advance(10)
    await run_jobs()
    assert iiko.created() == [order_id]  # committed, timed out, retried: one delivery
    headers, body = iiko.webhook(order_id, "CookingStarted")
    r = await api.post(f"/api/v1/orders/pos/{venue['id']}/webhooks", headers=headers, content=body)
    assert r.status_code == 200 and r.json()["applied"] == 1, r.text
    r = await api.get(f"/api/v1/orders/{order_id}", headers=guest_headers)
    assert r.json()["status"] == "preparing" and r.json()["pos_state"] == "sent"
    assert uuid.UUID(order_id)
    # iiko signs no timestamp: orders itself refuses an event dated outside its 5 minutes (a replay), and a repeat.
    headers, body = iiko.webhook(order_id, "CookingCompleted", at=clock.timestamp() - 301)
    r = await api.post(f"/api/v1/orders/pos/{venue['id']}/webhooks", headers=headers, content=body)
    assert r.status_code == 401 and r.json()["code"] == "webhook_stale"
    headers, body = iiko.webhook(order_id, "CookingCompleted", delivery_id="iiko-correlation-1")
    for outcome in ({"applied": 1, "duplicates": 0}, {"applied": 0, "duplicates": 1}):
        r = await api.post(f"/api/v1/orders/pos/{venue['id']}/webhooks", headers=headers, content=body)
        assert r.status_code == 200 and {k: r.json()[k] for k in outcome} == outcome, r.text


@pytest.mark.skipif(not os.environ.get("IIKO_LIVE_API_LOGIN"), reason="set IIKO_LIVE_API_LOGIN (and "
                    "IIKO_LIVE_ORGANIZATION_ID) to call the real iiko Cloud API")
async def test_live_menu() -> None:
    conn = PosConnection(1, {"organization_id": os.environ.get("IIKO_LIVE_ORGANIZATION_ID", ""),
                             "base_url": os.environ.get("IIKO_LIVE_BASE_URL", "")},
                         os.environ["IIKO_LIVE_API_LOGIN"], "", 15.0)
    menu = await IikoAdapter().fetch_menu(conn)
    assert isinstance(menu.items, list)
