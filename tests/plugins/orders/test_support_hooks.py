"""orders answers support's hooks (optional: orders does not depend on support): tickets about orders, context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest_asyncio

from core.hooks.manager import PluginsFile, build
from plugins.orders import plugin
from tests.plugins.orders.conftest import PLUGINS, SETTINGS, Person


@pytest_asyncio.fixture(loop_scope="session")
async def api(make_client: Callable[..., Awaitable[httpx.AsyncClient]]) -> httpx.AsyncClient:
    """This module's app also runs support (the orders fixtures use it)."""
    return await make_client([*PLUGINS, "support"], SETTINGS)


async def test_a_ticket_points_at_ones_own_order_only(api: httpx.AsyncClient, guest: Person, draft: Any,
                                                      person: Any) -> None:
    order = await draft(guest)
    number = order["id"][:8].upper()

    def body(ref: str) -> dict[str, Any]:
        return {"category": "order", "subject": "Cold coffee", "body": "It was cold",
                "about": {"type": "orders.order", "id": ref}}

    r = await api.post("/api/v1/support/tickets", json=body(order["id"]), headers=guest.headers)
    assert r.status_code == 201, r.text
    assert r.json()["about"]["label"] == f"Order {number} · draft · 500.00 RUB"
    stranger = await person()
    for who, ref in ((stranger, order["id"]), (guest, "00000000-0000-0000-0000-000000000000"), (guest, "nope")):
        r = await api.post("/api/v1/support/tickets", json=body(ref), headers=who.headers)
        assert r.status_code == 404 and r.json()["code"] == "subject_not_found", (ref, r.text)
    assert await plugin.ticket_subject_from_plugin(subject_type="events.event", subject_id=order["id"],
                                                   user_id=guest.id) is None  # not orders' type


async def test_agents_see_the_users_latest_orders(guest: Person, draft: Any) -> None:
    first, second = await draft(guest), await draft(guest)
    rows = (await plugin.user_context_for_support(user_id=guest.id, permissions=frozenset({"support.answer"})))["rows"]
    assert [r["value"][6:14] for r in rows] == [second["id"][:8].upper(), first["id"][:8].upper()]  # newest first
    assert not any("url" in r for r in rows)
    rows = (await plugin.user_context_for_support(user_id=guest.id, permissions=frozenset({"orders.manage"})))["rows"]
    assert rows[0]["url"] == f"/admin/p/orders/queue/o/{second['id']}"


async def test_orders_loads_without_support(make_app: Any) -> None:
    make_app(["events", "orders"])  # the optional hooks need no spec
    caller = build(PluginsFile(enabled=["events", "orders"])).pm.hook.ticket_subject_from_plugin
    assert "orders" in [i.plugin_name for i in caller.get_hookimpls()] and caller.spec is None
