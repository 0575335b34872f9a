"""Shared fixtures of the orders tests: an app with events and orders, a venue with a menu, a stand-in POS."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from plugins.events import testing as events_testing
from plugins.orders.conformance.reference import ReferencePos

# events' fixtures, shared (a venue in Berlin, an event published there, more events on demand)
events_venue = events_testing.events_venue
published_event = events_testing.published_event
make_published_event = events_testing.make_published_event

SETTINGS = {"orders": {"pos_timeout_s": 2.0, "backoff_base_s": 1.0, "backoff_max_s": 30.0, "max_attempts": 3,
                       "breaker_threshold": 3, "breaker_cooldown_s": 60, "reconcile_after_s": 60}}
PLUGINS = ["events", "orders"]


@dataclass
class Person:
    """A signed-in test user."""

    id: int
    headers: dict[str, str]


@pytest.fixture
def person(make_user: Any, auth_headers: Any) -> Callable[..., Awaitable[Person]]:
    """``await person("admin")``: a new user with those roles and their bearer header."""

    async def factory(*roles: str) -> Person:
        user = await make_user(roles=list(roles))
        return Person(user.id, await auth_headers(user))

    return factory


@pytest_asyncio.fixture(loop_scope="session")
async def api(make_client: Callable[..., Awaitable[httpx.AsyncClient]]) -> httpx.AsyncClient:
    """A client on an app with events and orders (short POS time budgets)."""
    return await make_client(PLUGINS, SETTINGS)


@pytest_asyncio.fixture(loop_scope="session")
async def staff(person: Callable[..., Awaitable[Person]]) -> Person:
    """Venue staff (an admin: holds orders.manage)."""
    return await person("admin")


@pytest_asyncio.fixture(loop_scope="session")
async def menu(api: httpx.AsyncClient, staff: Person, events_venue: Any) -> dict[str, int]:
    """Three items entered by hand at ``events_venue``: name → id (``Soup`` is on the stop list)."""
    ids = {}
    for name, price, mods in (("Cappuccino", 25000, [{"external_id": "oat", "name": "Oat milk", "price_minor": 5000}]),
                              ("Cheesecake", 32000, []), ("Soup", 41000, [])):
        r = await api.post(f"/api/v1/orders/venues/{events_venue.id}/menu/items", headers=staff.headers,
                           json={"name": name, "price_minor": price, "modifiers": mods})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    r = await api.post(f"/api/v1/orders/venues/{events_venue.id}/menu/items/{ids['Soup']}", headers=staff.headers,
                       json={"stopped": True})
    assert r.status_code == 200, r.text
    return ids


@pytest_asyncio.fixture(loop_scope="session")
async def guest(person: Callable[..., Awaitable[Person]], published_event: Any) -> Person:
    """A user confirmed for ``published_event`` (at ``events_venue``)."""
    from plugins.events import participation

    who = await person()
    await participation.join(who.id, published_event.id)
    return who


@pytest.fixture
def draft(api: httpx.AsyncClient, menu: dict[str, int], events_venue: Any,
          published_event: Any) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``order = await draft(guest, items=[...], **fields)``: a draft order for the event (201)."""

    async def factory(who: Person, items: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
        body = {"venue_id": events_venue.id, "event_id": published_event.id,
                "items": items if items is not None else [{"item_id": menu["Cappuccino"], "quantity": 2}], **fields}
        r = await api.post("/api/v1/orders", headers=who.headers, json=body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    return factory


async def submit(api: httpx.AsyncClient, who: Person, order_id: str, key: str | None = None) -> httpx.Response:
    """Submit with an Idempotency-Key."""
    return await api.post(f"/api/v1/orders/{order_id}/submit",
                          headers={**who.headers, "Idempotency-Key": key or uuid.uuid4().hex})


@pytest.fixture
def reference_pos() -> Iterator[ReferencePos]:
    """A stand-in of a venue's own system (the ``http`` adapter's protocol) on a loopback port."""
    server = ReferencePos().start()
    yield server
    server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def pos_venue(api: httpx.AsyncClient, staff: Person, events_venue: Any,
                    reference_pos: ReferencePos) -> AsyncIterator[ReferencePos]:
    """``events_venue`` configured with the ``http`` adapter on ``reference_pos``, its menu synced from it."""
    secret, webhook_secret = reference_pos.secrets()
    r = await api.put(f"/api/v1/orders/venues/{events_venue.id}/pos", headers=staff.headers, json={
        "adapter": "http", "settings": reference_pos.adapter_settings(), "secret": secret,
        "webhook_secret": webhook_secret})
    assert r.status_code == 200, r.text
    reference_pos.set_menu([
        {"id": "dish-1", "name": "Cappuccino", "price_minor": 25000, "category": "Coffee", "available": True,
         "modifiers": [{"id": "oat", "name": "Oat milk", "price_minor": 5000}]},
        {"id": "dish-2", "name": "Cheesecake", "price_minor": 32000, "category": "Desserts", "available": True},
        {"id": "dish-3", "name": "Soup", "price_minor": 41000, "category": "Kitchen", "available": True}])
    reference_pos.set_stop_list(["dish-3"])
    from plugins.orders import menu as menus

    await menus.sync(events_venue.id)
    yield reference_pos


async def pos_items(api: httpx.AsyncClient, who: Person, venue_id: int) -> dict[str, int]:
    """The venue's menu: name → id."""
    r = await api.get(f"/api/v1/orders/venues/{venue_id}/menu", headers=who.headers)
    assert r.status_code == 200, r.text
    return {i["name"]: i["id"] for i in r.json()["items"]}
