"""The status table, the adapter registry's contract check, the offered hooks, notifications and real time."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.errors import ConfigError, Conflict
from plugins.orders import states
from plugins.orders.hookspecs import PosAdapter
from plugins.orders.manual import ManualAdapter
from tests.plugins.orders.conftest import Person, submit


def test_every_move_of_the_table_and_nothing_else() -> None:
    for current in states.STATUSES:
        for target in states.STATUSES:
            for role in (states.USER, states.STAFF, states.POS, states.SYSTEM):
                if states.allowed(current, target, role):
                    states.check_move(current, target, role)
                else:
                    with pytest.raises(Conflict) as raised:
                        states.check_move(current, target, role)
                    assert raised.value.code == "illegal_status_move"
    assert not any(current in states.FINAL and current != states.FAILED for current, _ in states.MOVES)
    assert states.allowed("submitted", "cancelled", states.USER) and not states.allowed("confirmed", "cancelled",
                                                                                          states.USER)


def test_an_adapter_for_another_contract_stops_start_up() -> None:
    from plugins.orders import pos

    class Future(ManualAdapter):
        name = "future"
        contract = ">=2,<3"

    class Hooks:
        def collect(self, spec: Any) -> list[tuple[str, PosAdapter]]:
            return [("pos_future", Future())]

    class Registry:
        hooks = Hooks()

    with pytest.raises(ConfigError, match="implements pos >=2,<3"):
        pos.adapters(Registry())  # type: ignore[arg-type]

    class Twice(Hooks):
        def collect(self, spec: Any) -> list[tuple[str, PosAdapter]]:
            return [("a", ManualAdapter()), ("b", ManualAdapter())]

    class Registry2:
        hooks = Twice()

    with pytest.raises(ConfigError, match="provided twice"):
        pos.adapters(Registry2())  # type: ignore[arg-type]


async def test_moves_notify_the_people_and_the_hooks(make_client: Any, guest: Person, staff: Person, draft: Any,
                                                     monkeypatch: Any) -> None:
    from core import notifications

    sent: list[Any] = []
    told: list[Any] = []

    async def capture(notice: Any) -> None:
        sent.append(notice)

    monkeypatch.setattr(notifications, "send", capture)

    async def hook(spec: Any, **kw: Any) -> None:
        told.append((spec.__name__, kw))

    monkeypatch.setattr("core.hooks.notify", hook)  # what store.move calls
    api = await make_client(["events", "orders"])
    order = await draft(guest)
    assert (await submit(api, guest, order["id"])).status_code == 202
    r = await api.post(f"/api/v1/orders/{order['id']}/status", headers=staff.headers, json={"status": "confirmed"})
    assert r.status_code == 200
    kinds = [(n.kind, n.context["status"], list(n.user_ids)) for n in sent]
    assert kinds == [("orders.status", "submitted", []), ("orders.status", "confirmed", [guest.id])]
    assert sent[-1].context["venue"] == "Kulturhaus" and sent[-1].context["total"] == "500.00 RUB"
    assert [(name, kw["order"].status, kw["from_status"]) for name, kw in told] == [
        ("order_status_changed", "submitted", "draft"), ("order_status_changed", "confirmed", "submitted")]


async def test_the_app_hears_each_move_live(api: httpx.AsyncClient, guest: Person, staff: Person,
                                            draft: Any, monkeypatch: Any) -> None:
    from core.realtime import Outbox

    frames: list[tuple[str, Any]] = []
    original = Outbox.to_user

    def spy(self: Outbox, user_id: int, data: Any) -> None:
        frames.append((str(user_id), data))
        original(self, user_id, data)

    monkeypatch.setattr(Outbox, "to_user", spy)
    order = await draft(guest)
    await submit(api, guest, order["id"])
    await api.post(f"/api/v1/orders/{order['id']}/status", headers=staff.headers, json={"status": "confirmed"})
    statuses = [d["status"] for u, d in frames if u == str(guest.id) and d["type"] == "order.status"]
    assert statuses == ["submitted", "confirmed"]


async def test_rooms_are_for_the_orders_people(guest: Person, person: Any, staff: Person, draft: Any) -> None:
    from plugins.orders.notifications import may_join_order, may_join_venue

    order = await draft(guest)
    stranger = await person()
    assert await may_join_order(guest.id, order["id"]) and not await may_join_order(stranger.id, order["id"])
    assert not await may_join_order(guest.id, "nonsense")
    assert await may_join_venue(staff.id, "1") and not await may_join_venue(guest.id, "1")


async def test_payment_hook_sets_the_status(api: httpx.AsyncClient, guest: Person, draft: Any,
                                            monkeypatch: Any) -> None:
    from plugins.orders import api as orders_api

    async def first(spec: Any, **kw: Any) -> Any:
        return "pending" if spec.__name__ == "payment_status_from_payments" else None

    monkeypatch.setattr("core.hooks.first", first)  # what services.submit calls
    order = await draft(guest)
    r = await submit(api, guest, order["id"])
    assert r.json()["payment_status"] == "pending"
    info = await orders_api.set_payment_status(order["id"], "paid")
    assert info.payment_status == "paid" and info.status == "submitted"


async def test_erasure_is_refused_while_orders_are_open(guest: Person, draft: Any, api: httpx.AsyncClient) -> None:
    from plugins.orders import api as orders_api

    order = await draft(guest)
    await submit(api, guest, order["id"])
    with pytest.raises(Conflict) as raised:
        await orders_api.erase_user(guest.id)
    assert raised.value.code == "open_orders"
    exported = await orders_api.export_user(guest.id)
    assert exported[0]["id"] == order["id"] and exported[0]["lines"][0]["quantity"] == 2
