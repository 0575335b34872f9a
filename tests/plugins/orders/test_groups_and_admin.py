"""Group orders (members add their parts; the starter submits) and the admin panel's live queue."""

from __future__ import annotations

from typing import Any

import httpx
import pytest_asyncio

from tests.plugins.orders.conftest import Person, submit


@pytest_asyncio.fixture(loop_scope="session")
async def group(make_client: Any, person: Any, menu: dict[str, int]) -> tuple[httpx.AsyncClient, dict[str, Any],
                                                                              Person, Person]:
    """An app with groups (made after the menu's app, so its plugin set is the current one), owner and member."""
    from core import clock
    from plugins.groups import states, store
    from plugins.groups.tables import Member

    api = await make_client(["events", "groups", "orders"])
    owner, member = await person(), await person()
    r = await api.post("/api/v1/groups/", headers=owner.headers, json={
        "name": "Coffee club", "description": "Flat whites", "tags": ["coffee"]})
    assert r.status_code == 201, r.text
    found = r.json()
    async with store.transaction():
        await store.load_group(found["id"], lock=True)
        await Member.insert(Member(group=found["id"], user=member.id, role="member", state=states.ACTIVE,
                                   joined_at=clock.now()))
    return api, found, owner, member


async def test_a_group_order(group: Any, menu: dict[str, int], events_venue: Any, person: Any) -> None:
    api, found, owner, member = group
    r = await api.post("/api/v1/orders", headers=owner.headers, json={
        "venue_id": events_venue.id, "group_id": found["id"],
        "items": [{"item_id": menu["Cappuccino"], "quantity": 1}]})
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    drafts = await api.get(f"/api/v1/orders/groups/{found['id']}/drafts", headers=member.headers)
    assert [d["id"] for d in drafts.json()] == [order_id]
    r = await api.put(f"/api/v1/orders/{order_id}/items", headers=member.headers,
                      json={"items": [{"item_id": menu["Cheesecake"], "quantity": 2}]})
    assert r.status_code == 200, r.text
    mine = r.json()
    assert mine["total_minor"] == 25000 + 2 * 32000 and mine["my_total_minor"] == 2 * 32000
    assert {ln["user_id"] for ln in mine["lines"]} == {owner.id, member.id}
    r = await submit(api, member, order_id)
    assert r.status_code == 403 and r.json()["code"] == "not_order_owner"
    assert (await submit(api, owner, order_id)).status_code == 202
    r = await api.put(f"/api/v1/orders/{order_id}/items", headers=member.headers, json={"items": []})
    assert r.status_code == 409 and r.json()["code"] == "order_not_editable"
    outsider = await person()
    assert (await api.get(f"/api/v1/orders/{order_id}", headers=outsider.headers)).status_code == 404
    r = await api.get(f"/api/v1/orders/groups/{found['id']}/drafts", headers=outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "group_not_found"
    mine_list = await api.get("/api/v1/orders", headers=member.headers)
    assert [o["id"] for o in mine_list.json()["items"]] == [order_id]


async def test_group_orders_need_the_groups_plugin(api: httpx.AsyncClient, guest: Person, events_venue: Any) -> None:
    r = await api.post("/api/v1/orders", headers=guest.headers, json={"venue_id": events_venue.id, "group_id": 1})
    assert r.status_code == 404 and r.json()["code"] == "group_not_found"


async def test_the_live_queue_in_the_admin_panel(admin_client: Any, api: httpx.AsyncClient, guest: Person,
                                                 draft: Any) -> None:
    order = await draft(guest)
    await submit(api, guest, order["id"])
    panel = await admin_client(roles=["admin"], plugins=["events", "orders", "admin"])
    r = await panel.get("/admin/p/orders/queue")
    assert r.status_code == 200 and order["number"] in r.text
    # Live: the page fetches its own list again every 5 s (htmx swaps #orders-queue); ticked boxes are kept.
    assert 'id="orders-queue" hx-get="' in r.text and 'hx-trigger="every 5s"' in r.text
    assert f'id="pick-{order["id"]}" hx-preserve="true"' in r.text
    late = await draft(guest)
    await submit(api, guest, late["id"])
    assert late["number"] in (await panel.get("/admin/p/orders/queue")).text  # what the next refresh shows
    # The manual adapter's moves: confirm, preparing, ready, completed; reject with a reason.
    for action in ("confirm", "preparing", "ready", "complete"):
        r = await panel.post(f"/admin/p/orders/queue/actions/{action}", data={
            "_csrf": panel.csrf, "id": [order["id"]], "confirmed": "1"})
        assert r.status_code in (200, 303), r.text[:500]
    moves = (await api.get(f"/api/v1/orders/{order['id']}", headers=guest.headers)).json()["moves"]
    assert [(m["to_status"], m["role"]) for m in moves][2:] == [
        ("confirmed", "staff"), ("preparing", "staff"), ("ready", "staff"), ("completed", "staff")]
    r = await panel.post("/admin/p/orders/queue/actions/reject", data={"_csrf": panel.csrf, "id": [late["id"]],
                                                                        "confirmed": "1", "reason": "  "})
    assert r.status_code == 422  # a rejection needs a reason the customer reads
    r = await panel.post("/admin/p/orders/queue/actions/reject", data={
        "_csrf": panel.csrf, "id": [late["id"]], "confirmed": "1", "reason": "Out of oat milk"})
    assert r.status_code in (200, 303), r.text[:500]
    rejected = (await api.get(f"/api/v1/orders/{late['id']}", headers=guest.headers)).json()
    assert rejected["status"] == "rejected" and rejected["moves"][-1]["reason"] == "Out of oat milk"
    r = await panel.get(f"/admin/p/orders/queue/o/{order['id']}")
    assert r.status_code == 200 and "Cappuccino" in r.text
    r = await panel.get("/admin/p/orders/queue")
    assert order["number"] not in r.text and late["number"] not in r.text  # completed and rejected left the queue


async def test_staff_choose_a_venues_adapter_and_credentials_in_the_panel(admin_client: Any,
                                                                          events_venue: Any) -> None:
    from plugins.orders import pos

    panel = await admin_client(roles=["admin"], plugins=["events", "orders", "admin"])
    url = "/admin/p/orders/pos"
    form = await panel.get(f"{url}/new")
    assert form.status_code == 200 and '<option value="http"' in form.text and '<option value="manual"' in form.text
    r = await panel.post(f"{url}/new", data={
        "_csrf": panel.csrf, "venue_id": str(events_venue.id), "adapter": "http",
        "settings": "base_url=http://127.0.0.1:9/pos", "secret": "api-s3cret", "webhook_secret": "wh-s3cret"})
    assert r.status_code == 303, r.text[:500]
    shown = await panel.get(f"{url}/o/{events_venue.id}")
    edit = await panel.get(f"{url}/o/{events_venue.id}/edit")
    for page in (shown, edit):
        assert page.status_code == 200 and "api-s3cret" not in page.text and "wh-s3cret" not in page.text
    assert "base_url=http://127.0.0.1:9/pos" in edit.text
    # Saved again with the secrets left empty: the stored ones stay.
    r = await panel.post(f"{url}/o/{events_venue.id}/edit", data={
        "_csrf": panel.csrf, "venue_id": str(events_venue.id), "adapter": "http",
        "settings": "base_url=http://127.0.0.1:9/pos", "secret": "", "webhook_secret": ""})
    assert r.status_code == 303, r.text[:500]
    adapter, conn = await pos.connection(events_venue.id)
    assert adapter.name == "http" and conn.secret == "api-s3cret" and conn.webhook_secret == "wh-s3cret"
    r = await panel.post(f"{url}/o/{events_venue.id}/edit", data={
        "_csrf": panel.csrf, "venue_id": str(events_venue.id), "adapter": "http", "settings": "colour=blue"})
    assert r.status_code == 422  # a setting the adapter does not have


async def test_staff_edit_a_menu_and_its_stop_list_in_the_panel(admin_client: Any, api: httpx.AsyncClient,
                                                                guest: Person, events_venue: Any) -> None:
    panel = await admin_client(roles=["admin"], plugins=["events", "orders", "admin"])
    url = "/admin/p/orders/menu"
    r = await panel.post(f"{url}/new", data={
        "_csrf": panel.csrf, "venue_id": str(events_venue.id), "name": "Syrniki", "price_minor": "39000",
        "currency": "RUB", "category": "Breakfast", "description": "With sour cream"})
    assert r.status_code == 303, r.text[:500]

    async def syrniki() -> dict[str, Any]:
        r = await api.get(f"/api/v1/orders/venues/{events_venue.id}/menu", headers=guest.headers)
        found: dict[str, Any] = {i["name"]: i for i in r.json()["items"]}["Syrniki"]
        assert found["price_minor"] == 39000 and found["category"] == "Breakfast"
        return found

    item_id = str((await syrniki())["id"])
    assert (await syrniki())["orderable"]
    for action, expected in (("stop", False), ("unstop", True)):
        r = await panel.post(f"{url}/actions/{action}", data={"_csrf": panel.csrf, "id": [item_id], "confirmed": "1"})
        assert r.status_code in (200, 303), r.text[:500]
        assert (await syrniki())["orderable"] is expected
