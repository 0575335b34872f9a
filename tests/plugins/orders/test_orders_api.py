"""Orders through the API: drafts priced from the menu, submission (Idempotency-Key), cancellation, bad input."""

from __future__ import annotations

from typing import Any

import httpx

from tests.plugins.orders.conftest import Person, submit


async def test_draft_is_priced_from_the_menu_and_submitted_without_waiting(
        api: httpx.AsyncClient, guest: Person, menu: dict[str, int], draft: Any, run_jobs: Any) -> None:
    order = await draft(guest, items=[{"item_id": menu["Cappuccino"], "quantity": 2, "modifiers": ["oat"]},
                                      {"item_id": menu["Cheesecake"], "quantity": 1}])
    assert order["status"] == "draft" and order["total_minor"] == 2 * 30000 + 32000
    assert order["my_total_minor"] == order["total_minor"]
    r = await submit(api, guest, order["id"], key="k1")
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "submitted" and r.json()["pos_state"] == "queued"
    again = await submit(api, guest, order["id"], key="k1")  # the same key: the first answer replayed
    assert again.status_code == 202 and again.headers.get("idempotent-replayed") == "true"
    assert await run_jobs() == 1
    r = await api.get(f"/api/v1/orders/{order['id']}", headers=guest.headers)
    assert r.json()["pos_state"] == "sent"  # the manual adapter: waiting in the staff's live queue
    assert [m["to_status"] for m in r.json()["moves"]] == ["draft", "submitted"]


async def test_submit_requires_an_idempotency_key(api: httpx.AsyncClient, guest: Person, draft: Any) -> None:
    order = await draft(guest)
    r = await api.post(f"/api/v1/orders/{order['id']}/submit", headers=guest.headers)
    assert r.status_code == 428 and r.json()["code"] == "idempotency_key_required"


async def test_submitting_twice_is_an_illegal_move(api: httpx.AsyncClient, guest: Person, draft: Any) -> None:
    order = await draft(guest)
    assert (await submit(api, guest, order["id"])).status_code == 202
    r = await submit(api, guest, order["id"])  # another key: a second submission
    assert r.status_code == 409 and r.json()["code"] == "illegal_status_move"


async def test_item_from_another_venues_menu(api: httpx.AsyncClient, guest: Person, staff: Person, draft: Any,
                                             events_venue: Any) -> None:
    from plugins.events import services

    other = await services.create_venue(services.Actor(staff.id), {
        "name": "Elsewhere", "city": "Berlin", "latitude": 52.5, "longitude": 13.4, "timezone": "Europe/Berlin"})
    r = await api.post(f"/api/v1/orders/venues/{other['id']}/menu/items", headers=staff.headers,
                       json={"name": "Foreign tea", "price_minor": 100})
    assert r.status_code == 201
    r = await api.post("/api/v1/orders", headers=guest.headers, json={
        "venue_id": events_venue.id, "items": [{"item_id": r.json()["id"], "quantity": 1}]})
    assert r.status_code == 422 and r.json()["code"] == "item_not_on_menu"
    assert r.json()["errors"][0]["pointer"] == "/items/0/item_id"


async def test_item_on_the_stop_list(api: httpx.AsyncClient, guest: Person, menu: dict[str, int],
                                     events_venue: Any) -> None:
    r = await api.post("/api/v1/orders", headers=guest.headers, json={
        "venue_id": events_venue.id, "items": [{"item_id": menu["Soup"], "quantity": 1}]})
    assert r.status_code == 422 and r.json()["code"] == "item_unavailable"


async def test_item_stopped_after_the_draft_is_refused_at_submission(
        api: httpx.AsyncClient, guest: Person, staff: Person, menu: dict[str, int], draft: Any,
        events_venue: Any) -> None:
    order = await draft(guest)
    await api.post(f"/api/v1/orders/venues/{events_venue.id}/menu/items/{menu['Cappuccino']}",
                   headers=staff.headers, json={"stopped": True})
    r = await submit(api, guest, order["id"])
    assert r.status_code == 422 and r.json()["code"] == "item_unavailable"


async def test_quantity_of_zero_or_ten_thousand(api: httpx.AsyncClient, guest: Person, menu: dict[str, int],
                                                events_venue: Any) -> None:
    for quantity in (0, 10_000):
        r = await api.post("/api/v1/orders", headers=guest.headers, json={
            "venue_id": events_venue.id, "items": [{"item_id": menu["Cheesecake"], "quantity": quantity}]})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["pointer"] == "/items/0/quantity"
    r = await api.post("/api/v1/orders", headers=guest.headers, json={
        "venue_id": events_venue.id, "items": [{"item_id": menu["Cheesecake"], "quantity": 51}]})
    assert r.status_code == 422 and r.json()["code"] == "quantity_too_large"


async def test_a_price_sent_by_the_client_is_ignored(api: httpx.AsyncClient, guest: Person, menu: dict[str, int],
                                                     events_venue: Any) -> None:
    r = await api.post("/api/v1/orders", headers=guest.headers, json={
        "venue_id": events_venue.id, "items": [{"item_id": menu["Cheesecake"], "quantity": 2, "price_minor": 1}]})
    assert r.status_code == 201, r.text  # prices come from the menu only: what the app sent changes nothing
    line = r.json()["lines"][0]
    assert (line["unit_price_minor"], line["line_total_minor"], r.json()["total_minor"]) == (32000, 64000, 64000)
    r = await api.post("/api/v1/orders", headers=guest.headers, json={
        "venue_id": events_venue.id, "total_minor": 1, "items": [{"item_id": menu["Cheesecake"], "quantity": 1}]})
    assert r.status_code == 422  # not a field of an order at all: a typo or a client bug, said out loud


async def test_another_users_order_is_not_found(api: httpx.AsyncClient, guest: Person, person: Any,
                                                draft: Any) -> None:
    order = await draft(guest)
    stranger = await person()
    assert (await api.get(f"/api/v1/orders/{order['id']}", headers=stranger.headers)).json()["code"] == \
        "order_not_found"
    for path, body in (("/submit", None), ("/cancel", {})):
        r = await api.post(f"/api/v1/orders/{order['id']}{path}", json=body,
                           headers={**stranger.headers, "Idempotency-Key": f"x{path}"})
        assert r.status_code == 404 and r.json()["code"] == "order_not_found"
    r = await api.put(f"/api/v1/orders/{order['id']}/items", headers=stranger.headers, json={"items": []})
    assert r.status_code == 404
    assert (await api.get("/api/v1/orders/not-a-uuid", headers=stranger.headers)).status_code == 404


async def test_ordering_for_an_event_one_has_not_joined(api: httpx.AsyncClient, person: Any, menu: dict[str, int],
                                                        events_venue: Any, published_event: Any) -> None:
    outsider = await person()
    r = await api.post("/api/v1/orders", headers=outsider.headers, json={
        "venue_id": events_venue.id, "event_id": published_event.id,
        "items": [{"item_id": menu["Cheesecake"], "quantity": 1}]})
    assert r.status_code == 403 and r.json()["code"] == "not_participating"


async def test_event_at_another_venue(api: httpx.AsyncClient, guest: Person, menu: dict[str, int],
                                      make_published_event: Any, events_venue: Any) -> None:
    online = await make_published_event()
    r = await api.post("/api/v1/orders", headers=guest.headers, json={
        "venue_id": events_venue.id, "event_id": online.id, "items": []})
    assert r.status_code == 422 and r.json()["code"] == "event_not_at_venue"


async def test_cancelling_a_completed_order(api: httpx.AsyncClient, guest: Person, staff: Person, draft: Any,
                                            run_jobs: Any) -> None:
    order = await draft(guest)
    await submit(api, guest, order["id"])
    await run_jobs()
    for status in ("confirmed", "ready", "completed"):
        r = await api.post(f"/api/v1/orders/{order['id']}/status", headers=staff.headers, json={"status": status})
        assert r.status_code == 200, r.text
    r = await api.post(f"/api/v1/orders/{order['id']}/cancel", headers=guest.headers, json={"reason": "late"})
    assert r.status_code == 409 and r.json()["code"] == "illegal_status_move"
    assert r.json()["current_status"] == "completed"


async def test_user_cancels_before_confirmation_not_after(api: httpx.AsyncClient, guest: Person, staff: Person,
                                                          draft: Any) -> None:
    order = await draft(guest)
    await submit(api, guest, order["id"])
    r = await api.post(f"/api/v1/orders/{order['id']}/cancel", headers=guest.headers, json={"reason": "changed"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    other = await draft(guest)
    await submit(api, guest, other["id"])
    await api.post(f"/api/v1/orders/{other['id']}/status", headers=staff.headers, json={"status": "confirmed"})
    r = await api.post(f"/api/v1/orders/{other['id']}/cancel", headers=guest.headers, json={})
    assert r.status_code == 409 and r.json()["code"] == "illegal_status_move"


async def test_staff_reject_needs_a_reason_and_reaches_the_user(api: httpx.AsyncClient, guest: Person,
                                                                staff: Person, draft: Any) -> None:
    order = await draft(guest)
    await submit(api, guest, order["id"])
    r = await api.post(f"/api/v1/orders/{order['id']}/status", headers=staff.headers, json={"status": "rejected"})
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    r = await api.post(f"/api/v1/orders/{order['id']}/status", headers=staff.headers,
                       json={"status": "rejected", "reason": "Kitchen closed"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = await api.post(f"/api/v1/orders/{order['id']}/status", headers=guest.headers,
                       json={"status": "confirmed"})
    assert r.status_code == 403


async def test_table_service_needs_a_table_and_empty_orders_do_not_submit(
        api: httpx.AsyncClient, guest: Person, draft: Any, events_venue: Any) -> None:
    r = await api.post("/api/v1/orders", headers=guest.headers, json={"venue_id": events_venue.id,
                                                                       "fulfilment": "table"})
    assert r.status_code == 422 and r.json()["code"] == "table_required"
    order = await draft(guest, items=[])
    r = await submit(api, guest, order["id"])
    assert r.status_code == 422 and r.json()["code"] == "order_empty"


async def test_list_mine_is_paginated(api: httpx.AsyncClient, guest: Person, draft: Any) -> None:
    made = [(await draft(guest))["id"] for _ in range(3)]
    r = await api.get("/api/v1/orders?limit=2", headers=guest.headers)
    page = r.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    r = await api.get(f"/api/v1/orders?limit=2&cursor={page['next_cursor']}", headers=guest.headers)
    assert {i["id"] for i in page["items"] + r.json()["items"]} == set(made)
    r = await api.get("/api/v1/orders?cursor=v1.bad.cursor", headers=guest.headers)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"


async def test_pickup_at_a_time_or_to_a_table_with_notes(api: httpx.AsyncClient, guest: Person, menu: dict[str, int],
                                                         events_venue: Any, clock: Any) -> None:
    from datetime import timedelta

    cheesecake = [{"item_id": menu["Cheesecake"], "quantity": 1}]
    past = (clock.now() - timedelta(minutes=1)).isoformat()
    r = await api.post("/api/v1/orders", headers=guest.headers, json={
        "venue_id": events_venue.id, "pickup_at": past, "items": cheesecake})
    assert r.status_code == 422 and r.json()["code"] == "pickup_in_past"
    later = clock.now() + timedelta(minutes=30)
    r = await api.post("/api/v1/orders", headers=guest.headers, json={
        "venue_id": events_venue.id, "pickup_at": later.isoformat(), "notes": "No sugar, please", "items": cheesecake})
    assert r.status_code == 201, r.text
    assert r.json()["fulfilment"] == "pickup" and r.json()["notes"] == "No sugar, please"
    assert r.json()["pickup_at"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    r = await api.post("/api/v1/orders", headers=guest.headers, json={
        "venue_id": events_venue.id, "fulfilment": "table", "table": " 12 ", "items": cheesecake})
    assert r.status_code == 201 and r.json()["table"] == "12"
    r = await api.post("/api/v1/orders", headers=guest.headers, json={"venue_id": events_venue.id, "items": [
        {"item_id": menu["Cappuccino"], "quantity": 1, "modifiers": ["whisky"]}]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_modifier"
    assert r.json()["errors"][0]["pointer"] == "/items/0/modifiers/0"
