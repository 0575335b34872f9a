"""Orders on a POS through the jobs: exactly once after a commit and a timeout, 429 and 5xx retried with backoff,
failure after bounded attempts, a circuit per venue, reconciliation both ways, cancellation on the POS."""

from __future__ import annotations

from typing import Any

import httpx

from plugins.orders.conformance.reference import ReferencePos
from tests.plugins.orders.conftest import Person, pos_items, submit

ORDER_PATH = r"^/orders/[^/]+$"


async def order_of(api: httpx.AsyncClient, who: Person, order_id: str) -> dict[str, Any]:
    r = await api.get(f"/api/v1/orders/{order_id}", headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def submitted(api: httpx.AsyncClient, guest: Person, draft: Any, events_venue: Any) -> str:
    items = await pos_items(api, guest, events_venue.id)
    order = await draft(guest, items=[{"item_id": items["Cappuccino"], "quantity": 1, "modifiers": ["oat"]}])
    r = await submit(api, guest, order["id"])
    assert r.status_code == 202, r.text
    return str(order["id"])


async def test_menu_synced_from_the_pos(api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos,
                                        events_venue: Any) -> None:
    r = await api.get(f"/api/v1/orders/venues/{events_venue.id}/menu", headers=guest.headers)
    items = {i["name"]: i for i in r.json()["items"]}
    assert r.json()["adapter"] == "http" and r.json()["synced_at"]
    assert items["Cappuccino"]["price_minor"] == 25000 and items["Cappuccino"]["modifiers"][0]["external_id"] == "oat"
    assert items["Soup"]["orderable"] is False  # on the POS's stop list


async def test_sent_once_and_moved_by_the_pos(api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos,
                                              draft: Any, events_venue: Any, run_jobs: Any) -> None:
    order_id = await submitted(api, guest, draft, events_venue)
    assert pos_venue.created() == []  # the answer did not wait for the POS
    await run_jobs()
    assert pos_venue.created() == [order_id]
    body = pos_venue.orders[order_id]["body"]
    assert body["order_id"] == order_id and body["lines"][0]["external_id"] == "dish-1"
    assert body["lines"][0]["unit_price_minor"] == 30000 and body["lines"][0]["modifiers"] == ["oat"]
    order = await order_of(api, guest, order_id)
    assert order["pos_state"] == "sent" and order["status"] == "submitted"
    headers, raw = pos_venue.webhook(order_id, "accepted")
    r = await api.post(f"/api/v1/orders/pos/{events_venue.id}/webhooks", headers=headers, content=raw)
    assert r.status_code == 200 and r.json()["applied"] == 1, r.text
    assert (await order_of(api, guest, order_id))["status"] == "confirmed"


async def test_commit_then_timeout_is_retried_without_a_duplicate(
        api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos, draft: Any, events_venue: Any,
        run_jobs: Any, clock: Any) -> None:
    order_id = await submitted(api, guest, draft, events_venue)
    pos_venue.commit_then_timeout_next(hang_s=3.5, only=ORDER_PATH)
    await run_jobs()
    order = await order_of(api, guest, order_id)
    assert order["pos_state"] == "uncertain" and order["status"] == "submitted"
    assert pos_venue.created() == [order_id]  # the POS committed it before the timeout
    clock.advance(5)
    await run_jobs()
    assert pos_venue.created() == [order_id]  # the retry found it: no second order
    assert (await order_of(api, guest, order_id))["pos_state"] == "sent"


async def test_429_waits_for_the_vendors_hint(api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos,
                                             draft: Any, events_venue: Any, run_jobs: Any, clock: Any) -> None:
    order_id = await submitted(api, guest, draft, events_venue)
    pos_venue.fail_next(429, retry_after=7, only=ORDER_PATH)
    await run_jobs()
    assert (await order_of(api, guest, order_id))["pos_state"] == "retrying"
    clock.advance(4)
    assert await run_jobs() == 0  # not before the hint
    clock.advance(4)
    assert await run_jobs() == 1
    assert pos_venue.created() == [order_id]


async def test_5xx_retried_then_failed_then_repaired_by_reconciliation(
        api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos, draft: Any, events_venue: Any,
        run_jobs: Any, clock: Any) -> None:
    from plugins.orders import flow, jobs

    order_id = await submitted(api, guest, draft, events_venue)
    pos_venue.fail_next(503, times=2, only=ORDER_PATH)
    pos_venue.commit_then_timeout_next(hang_s=3.5, only=ORDER_PATH)  # the last attempt reaches the POS after all
    await run_jobs()
    clock.advance(40)  # past both backoffs (1 s, then 2 s): attempts 2 and 3 run
    await run_jobs()
    order = await order_of(api, guest, order_id)
    assert order["status"] == "failed" and order["moves"][-1]["role"] == "system"
    assert "could not be reached" in order["moves"][-1]["reason"]
    assert pos_venue.created() == [order_id]
    from plugins.orders.pos import Breaker

    assert await Breaker(events_venue.id).is_open()
    assert (await flow.reconcile(jobs.enqueue_send))["skipped"] == 1  # its circuit is open: not even a look-up
    clock.advance(61)  # the cooldown is over
    counts = await flow.reconcile(jobs.enqueue_send)
    assert counts["repaired"] == 1
    order = await order_of(api, guest, order_id)
    assert order["status"] == "submitted" and order["pos_state"] == "sent"  # the POS's "received"
    pos_venue.set_status(order_id, "ready")
    clock.advance(120)
    assert (await flow.reconcile(jobs.enqueue_send))["moved"] == 1  # a missed webhook: the poll catches up
    assert (await order_of(api, guest, order_id))["status"] == "ready"


async def test_reconciliation_resends_what_the_pos_never_got(
        api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos, draft: Any, events_venue: Any,
        run_jobs: Any, clock: Any) -> None:
    from plugins.orders import flow, jobs

    order_id = await submitted(api, guest, draft, events_venue)
    pos_venue.fail_next(502, only=ORDER_PATH)
    await run_jobs(include_delayed=False)  # attempt 1 fails; its retry stays queued (a worker died, say)
    import os

    from core import cache

    redis = cache.client()  # the retry is lost with this session's Redis keys (never the shared server's others)
    keys = [k async for k in redis.scan_iter(match=f"{os.environ['SBOR_JOBS_NAMESPACE']}*")]
    if keys:
        await redis.delete(*keys)
    clock.advance(61)
    counts = await flow.reconcile(jobs.enqueue_send)
    assert counts["resent"] == 1, counts
    await run_jobs()
    assert pos_venue.created() == [order_id]


async def test_the_circuit_opens_per_venue(api: httpx.AsyncClient, guest: Person, staff: Person, person: Any,
                                           pos_venue: ReferencePos, draft: Any, events_venue: Any, run_jobs: Any,
                                           clock: Any) -> None:
    from plugins.events import services
    from plugins.orders import flow, jobs

    # A second venue whose POS is down for good.
    other = await services.create_venue(services.Actor(staff.id), {
        "name": "Broken Café", "city": "Berlin", "latitude": 52.5, "longitude": 13.4, "timezone": "Europe/Berlin"})
    broken = ReferencePos().start()
    try:
        secret, webhook_secret = broken.secrets()
        await api.put(f"/api/v1/orders/venues/{other['id']}/pos", headers=staff.headers, json={
            "adapter": "http", "settings": broken.adapter_settings(), "secret": secret,
            "webhook_secret": webhook_secret})
        broken.set_menu([{"id": "tea", "name": "Tea", "price_minor": 100}])
        from plugins.orders import menu

        await menu.sync(other["id"])
        tea = (await pos_items(api, guest, other["id"]))["Tea"]
        broken.fail_next(503, times=100)
        before = len(broken.requests)
        ids = []
        for _ in range(3):
            r = await api.post("/api/v1/orders", headers=guest.headers, json={
                "venue_id": other["id"], "items": [{"item_id": tea, "quantity": 1}]})
            ids.append(r.json()["id"])
            assert (await submit(api, guest, ids[-1])).status_code == 202
        good = await submitted(api, guest, draft, events_venue)
        await run_jobs(include_delayed=False)
        assert len(broken.requests) - before == 3  # three failures open the circuit
        from plugins.orders.pos import Breaker

        assert await Breaker(other["id"]).is_open() and not await Breaker(events_venue.id).is_open()
        assert pos_venue.created() == [good]  # the other venue's order went through
        clock.advance(5)
        await run_jobs(include_delayed=True)
        assert len(broken.requests) - before == 3  # while open, no calls: the jobs wait for the cooldown
        assert (await flow.reconcile(jobs.enqueue_send))["skipped"] >= 0
    finally:
        broken.stop()


async def test_cancel_reaches_the_pos(api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos, draft: Any,
                                      events_venue: Any, run_jobs: Any) -> None:
    order_id = await submitted(api, guest, draft, events_venue)
    await run_jobs()
    r = await api.post(f"/api/v1/orders/{order_id}/cancel", headers=guest.headers, json={"reason": "plans changed"})
    assert r.status_code == 200
    await run_jobs()
    assert pos_venue.orders[order_id]["status"] == "cancelled"
