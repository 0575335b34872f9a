"""Joining: seats, guests, approval, the waitlist and its offers, concurrency, idempotency."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from core import db


async def _join(api: Any, who: Any, eid: int, guests: int = 0, **headers: str) -> Any:
    return await api.post(f"/api/v1/events/{eid}/join", headers={**who.headers, **headers}, json={"guests": guests})


async def test_guests_count_and_waitlist_then_offer_and_claim(api: Any, person: Any, publish: Any) -> None:
    eid, _org = await publish(capacity=3)
    a, b, c = await person(), await person(), await person()
    assert (await _join(api, a, eid, guests=1)).json()["status"] == "confirmed"  # 2 of 3 seats
    assert (await _join(api, b, eid, guests=1)).json()["status"] == "waitlisted"  # needs 2, 1 left
    assert (await _join(api, c, eid)).json()["status"] == "waitlisted"  # first come first served: no skipping b
    detail = (await api.get(f"/api/v1/events/{eid}", headers=a.headers)).json()
    assert detail["participant_count"] == 2 and detail["seats_left"] == 1
    # a leaves: 3 seats free, b (party of two) gets an offer, then c gets the last seat as an offer.
    assert (await api.post(f"/api/v1/events/{eid}/leave", headers=a.headers)).status_code == 204
    mine_b = (await api.get(f"/api/v1/events/{eid}", headers=b.headers)).json()
    assert mine_b["my_status"] == "offered" and mine_b["offer_expires_at"] is not None
    assert (await api.get(f"/api/v1/events/{eid}", headers=c.headers)).json()["my_status"] == "offered"
    r = await api.post(f"/api/v1/events/{eid}/claim", headers=b.headers)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = await api.post(f"/api/v1/events/{eid}/claim", headers=a.headers)
    assert r.status_code == 409 and r.json()["code"] == "no_offer"


async def test_party_of_three_waits_for_three_seats(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=3)
    a, b, big = await person(), await person(), await person()
    await _join(api, a, eid)
    await _join(api, b, eid)
    assert (await _join(api, big, eid, guests=2)).json()["status"] == "waitlisted"
    await api.post(f"/api/v1/events/{eid}/leave", headers=a.headers)
    # Two seats free: not enough for three, the party keeps waiting.
    assert (await api.get(f"/api/v1/events/{eid}", headers=big.headers)).json()["my_status"] == "waitlisted"
    await api.post(f"/api/v1/events/{eid}/leave", headers=b.headers)
    assert (await api.get(f"/api/v1/events/{eid}", headers=big.headers)).json()["my_status"] == "offered"


async def test_offer_expires_and_passes_on(api: Any, person: Any, publish: Any, clock: Any, run_jobs: Any) -> None:
    from core.errors import Conflict
    from plugins.events import jobs, participation

    eid, _ = await publish(capacity=1)
    a, b, c = await person(), await person(), await person()
    await _join(api, a, eid)
    await _join(api, b, eid)
    await _join(api, c, eid)
    clock.freeze()
    await api.post(f"/api/v1/events/{eid}/leave", headers=a.headers)

    async def status(who: Any) -> str:
        # After moving the clock, read through the service (access tokens are bound to real time).
        return str((await participation.my_participation(who.id, eid))["status"])

    assert await status(b) == "offered"
    clock.advance(timedelta(minutes=119))
    await jobs.expire_offers.enqueue()
    await run_jobs()
    assert await status(b) == "offered"
    clock.advance(timedelta(minutes=2))
    try:
        await participation.claim(b.id, eid)
        raise AssertionError("an expired offer was claimed")
    except Conflict as exc:
        assert exc.code == "offer_expired"
    await jobs.expire_offers.enqueue()
    await run_jobs()
    assert await status(b) == "expired"
    assert await status(c) == "offered"
    assert (await participation.claim(c.id, eid))["status"] == "confirmed"


async def test_approval_required(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish(capacity=1, requires_approval=True)
    a, b = await person(), await person()
    assert (await _join(api, a, eid)).json()["status"] == "pending"
    assert (await _join(api, b, eid)).json()["status"] == "pending"
    # Only the author decides.
    r = await api.post(f"/api/v1/events/{eid}/participants/{a.id}/approve", headers=b.headers)
    assert r.status_code == 403
    r = await api.post(f"/api/v1/events/{eid}/participants/{a.id}/approve", headers=org.headers)
    assert r.json()["status"] == "confirmed"
    r = await api.post(f"/api/v1/events/{eid}/participants/{b.id}/approve", headers=org.headers)
    assert r.json()["status"] == "waitlisted"  # full
    r = await api.post(f"/api/v1/events/{eid}/participants/{a.id}/decline", headers=org.headers)
    assert r.json()["status"] == "declined"
    assert (await api.get(f"/api/v1/events/{eid}", headers=b.headers)).json()["my_status"] == "offered"


async def test_online_link_only_for_confirmed(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish(capacity=1)
    a, b = await person(), await person()
    assert (await api.get(f"/api/v1/events/{eid}")).json()["online_url"] is None
    await _join(api, a, eid)
    await _join(api, b, eid)
    assert (await api.get(f"/api/v1/events/{eid}", headers=a.headers)).json()["online_url"].startswith("https://")
    assert (await api.get(f"/api/v1/events/{eid}", headers=b.headers)).json()["online_url"] is None  # waitlisted
    assert (await api.get(f"/api/v1/events/{eid}", headers=org.headers)).json()["online_url"] is not None


async def test_concurrent_joins_never_overbook(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=5)
    people = [await person() for _ in range(30)]
    results = await asyncio.gather(*(_join(api, p, eid, guests=i % 2) for i, p in enumerate(people)))
    assert all(r.status_code == 200 for r in results), [r.text for r in results if r.status_code != 200]
    rows = await db.fetch("SELECT coalesce(sum(1 + guests), 0) AS seats FROM events.participation "
                          "WHERE event = $1 AND status = 'confirmed'", eid)
    taken = await db.fetch("SELECT seats_taken, capacity FROM events.event WHERE id = $1", eid)
    assert rows[0]["seats"] <= 5
    assert taken[0]["seats_taken"] == rows[0]["seats"]
    statuses = [r.json()["status"] for r in results]
    assert statuses.count("confirmed") >= 3 and statuses.count("waitlisted") >= 25


async def test_concurrent_joins_on_the_last_seat(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=2)
    first = await person()
    await _join(api, first, eid)
    people = [await person() for _ in range(20)]
    results = await asyncio.gather(*(_join(api, p, eid) for p in people))
    assert sorted(r.json()["status"] for r in results).count("confirmed") == 1
    detail = (await api.get(f"/api/v1/events/{eid}")).json()
    assert detail["seats_left"] == 0 and detail["participant_count"] == 2


async def test_idempotent_join_and_create(api: Any, person: Any, publish: Any) -> None:
    from tests.plugins.events.conftest import event_body

    eid, _ = await publish(capacity=10)
    a = await person()
    r1 = await _join(api, a, eid, guests=2, **{"Idempotency-Key": "join-1"})
    r2 = await _join(api, a, eid, guests=2, **{"Idempotency-Key": "join-1"})
    assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json()
    assert r2.headers.get("idempotent-replayed") == "true"
    # Without the key, a second join is refused: the replay above did not act twice.
    r3 = await _join(api, a, eid, guests=2)
    assert r3.status_code == 409 and r3.json()["code"] == "already_joined"
    org = await person("organiser")
    body = event_body(title="Once only")
    c1 = await api.post("/api/v1/events", headers={**org.headers, "Idempotency-Key": "create-1"}, json=body)
    c2 = await api.post("/api/v1/events", headers={**org.headers, "Idempotency-Key": "create-1"}, json=body)
    assert c1.status_code == c2.status_code == 201 and c1.json()["id"] == c2.json()["id"]
    count = await db.fetch("SELECT count(*) AS n FROM events.event WHERE title = 'Once only'")
    assert count[0]["n"] == 1


async def test_leave_and_rejoin(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=2)
    a = await person()
    await _join(api, a, eid)
    assert (await api.post(f"/api/v1/events/{eid}/leave", headers=a.headers)).status_code == 204
    r = await api.post(f"/api/v1/events/{eid}/leave", headers=a.headers)
    assert r.status_code == 404 and r.json()["code"] == "not_participating"
    assert (await _join(api, a, eid)).json()["status"] == "confirmed"


async def test_more_capacity_offers_seats_to_the_waitlist(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish(capacity=1)
    a, b = await person(), await person()
    await _join(api, a, eid)
    assert (await _join(api, b, eid)).json()["status"] == "waitlisted"
    r = await api.patch(f"/api/v1/events/{eid}", headers=org.headers, json={"capacity": 2})
    assert r.status_code == 200 and r.json()["seats_left"] == 0  # the new seat is held by the offer
    assert (await api.get(f"/api/v1/events/{eid}", headers=b.headers)).json()["my_status"] == "offered"
