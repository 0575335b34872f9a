"""Client events: validation and limits at the endpoint, the Redis stream, the consumer group, idempotency."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from core import cache, db
from plugins.analytics import ingest, rollups

from .conftest import client_event

DEVICE = "device-0001"


async def stored() -> list[dict[str, Any]]:
    return await db.fetch("SELECT client_event_id, name, user_id, device_id, event_id, props::text AS props "
                          "FROM analytics.client_event ORDER BY id")


async def test_anonymous_batch_is_queued_then_stored_by_the_consumer(api: Any) -> None:
    batch = [client_event(event_id=7), client_event("search_made", query="jazz", results=3)]
    r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": batch})
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": 2, "rejected": []}
    # Nothing written by the request itself: the batch waits on the stream.
    assert await stored() == []
    assert await cache.client().xlen(ingest.stream_key()) == 1

    assert await ingest.consume() == 2
    rows = await stored()
    assert [(str(r["client_event_id"]), r["name"], r["device_id"], r["user_id"], r["event_id"]) for r in rows] == [
        (batch[0]["id"], "event_viewed", DEVICE, None, 7),
        (batch[1]["id"], "search_made", DEVICE, None, None),
    ]
    assert '"query": "jazz"' in rows[1]["props"]
    # Acknowledged and removed from the stream.
    assert await cache.client().xlen(ingest.stream_key()) == 0


async def test_signed_in_batch_is_attributed_to_the_user(api: Any, make_user: Any, auth_headers: Any) -> None:
    user = await make_user()
    r = await api.post("/api/v1/analytics/events", json={"events": [client_event("share_tapped", event_id=3)]},
                       headers=await auth_headers(user))
    assert r.status_code == 202, r.text
    await ingest.consume()
    rows = await stored()
    assert [(r["user_id"], r["device_id"]) for r in rows] == [(user.id, None)]


async def test_anonymous_without_device_id_is_refused(api: Any) -> None:
    r = await api.post("/api/v1/analytics/events", json={"events": [client_event()]})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "device_id_required"


async def test_invalid_token_is_401_not_anonymous(api: Any) -> None:
    r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [client_event()]},
                       headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401


async def test_more_than_100_events_is_refused(api: Any) -> None:
    r = await api.post("/api/v1/analytics/events",
                       json={"device_id": DEVICE, "events": [client_event() for _ in range(101)]})
    assert r.status_code == 422
    assert r.json()["code"] == "validation_failed"
    assert r.json()["errors"][0]["pointer"] == "/events"
    assert await cache.client().exists(ingest.stream_key()) == 0


async def test_empty_batch_is_refused(api: Any) -> None:
    r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": []})
    assert r.status_code == 422


async def test_body_over_the_cap_is_413_before_parsing(api: Any) -> None:
    big = client_event(note="x" * 300_000)
    r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [big]})
    assert r.status_code == 413
    assert r.json()["code"] == "batch_too_large"


async def test_wrong_types_are_reported_by_pointer(api: Any) -> None:
    cases = [
        ({"id": "not-a-uuid", "name": "event_viewed", "occurred_at": "2030-01-01T00:00:00Z"}, "/events/0/id"),
        ({"id": str(uuid.uuid4()), "name": "Event Viewed!", "occurred_at": "2030-01-01T00:00:00Z"}, "/events/0/name"),
        ({"id": str(uuid.uuid4()), "name": "event_viewed", "occurred_at": "yesterday"}, "/events/0/occurred_at"),
        ({"id": str(uuid.uuid4()), "name": "event_viewed", "occurred_at": "2030-01-01T00:00:00Z", "event_id": "seven"},
         "/events/0/event_id"),
        ({"id": str(uuid.uuid4()), "name": "event_viewed", "occurred_at": "2030-01-01T00:00:00Z",
          "props": {"nested": {"a": 1}}}, "/events/0/props"),
        ({"id": str(uuid.uuid4()), "name": "event_viewed", "occurred_at": "2030-01-01T00:00:00Z", "extra": 1},
         "/events/0"),
    ]
    for event, pointer in cases:
        r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [event]})
        assert r.status_code == 422, (event, r.text)
        assert r.json()["errors"][0]["pointer"].startswith(pointer), (event, r.json())
    r = await api.post("/api/v1/analytics/events", json={"device_id": "short", "events": [client_event()]})
    assert r.status_code == 422
    r = await api.post("/api/v1/analytics/events", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert await cache.client().exists(ingest.stream_key()) == 0


async def test_events_out_of_the_time_window_are_rejected_one_by_one(api: Any, clock: Any) -> None:
    now = clock.freeze()
    batch = [client_event(at=now - timedelta(days=31)), client_event(), client_event(at=now + timedelta(hours=1))]
    r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": batch})
    assert r.status_code == 202
    body = r.json()
    assert body["accepted"] == 1
    assert [(x["index"], x["code"]) for x in body["rejected"]] == [(0, "too_old"), (2, "in_future")]
    await ingest.consume()
    assert [str(r["client_event_id"]) for r in await stored()] == [batch[1]["id"]]


async def test_a_resent_batch_is_stored_once(api: Any) -> None:
    batch = [client_event(event_id=1), client_event(event_id=1)]
    for _ in range(3):
        r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": batch})
        assert r.status_code == 202
    # A duplicate inside one batch too.
    r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [batch[0], batch[0]]})
    assert r.status_code == 202
    assert await ingest.consume() == 8
    assert len(await stored()) == 2
    await rollups.refresh()
    rows = await db.fetch("SELECT views, unique_viewers FROM analytics.event_daily WHERE event_id = 1")
    assert rows == [{"views": 2, "unique_viewers": 1}]


async def test_entries_of_a_dead_consumer_are_claimed_and_stored(api: Any) -> None:
    batch = [client_event(event_id=5)]
    await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": batch})
    redis = cache.client()
    await ingest._ensure_group(redis)
    # A worker reads the entry and dies before writing it (no XACK).
    reply = await redis.xreadgroup(ingest.GROUP, "worker-that-died", {ingest.stream_key(): ">"}, count=10)
    assert len(reply[0][1]) == 1
    # A new consumer finds nothing new, and the entry is too fresh to claim…
    assert await ingest.consume(consumer="worker-2") == 0
    assert await stored() == []
    # …until it has been idle long enough.
    assert await ingest.consume(consumer="worker-2", claim_idle_ms=0) == 1
    assert [str(r["client_event_id"]) for r in await stored()] == [batch[0]["id"]]
    pending = await redis.xpending(ingest.stream_key(), ingest.GROUP)
    assert pending["pending"] == 0


async def test_a_failed_write_leaves_the_entry_pending(api: Any, sbor_database: Any) -> None:
    await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [client_event()]})
    await db.fetch("ALTER TABLE analytics.client_event RENAME TO client_event_away")
    try:
        try:
            await ingest.consume(consumer="worker-x")
        except Exception as exc:  # the database refused: the job fails, the entry stays unacknowledged
            assert "client_event" in str(exc)
        else:
            raise AssertionError("consume should fail while the table is missing")
    finally:
        await db.fetch("ALTER TABLE analytics.client_event_away RENAME TO client_event")
    pending = await cache.client().xpending(ingest.stream_key(), ingest.GROUP)
    assert pending["pending"] == 1
    assert await ingest.consume(consumer="worker-y", claim_idle_ms=0) == 1
    assert len(await stored()) == 1


async def test_an_undecodable_entry_goes_to_the_dead_letter_stream(sbor_database: Any) -> None:
    redis = cache.client()
    await ingest._ensure_group(redis)
    await redis.xadd(ingest.stream_key(), {b"b": b"\xff\x00garbage"})
    assert await ingest.consume() == 0
    assert await redis.xlen(ingest.dead_key()) == 1
    assert (await redis.xpending(ingest.stream_key(), ingest.GROUP))["pending"] == 0


async def test_the_consume_job_runs_through_the_broker(api: Any, run_jobs: Any) -> None:
    from plugins.analytics import jobs

    await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [client_event(event_id=9)]})
    await jobs.consume.enqueue()
    assert await run_jobs() == 1
    rows = await db.fetch("SELECT views FROM analytics.event_daily WHERE event_id = 9")
    assert rows == [{"views": 1}]


async def test_a_full_backlog_is_refused_with_503(make_client: Any) -> None:
    api = await make_client(["events", "analytics"], settings={"analytics": {"max_backlog": 2}})
    for _ in range(2):
        r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [client_event()]})
        assert r.status_code == 202
    r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [client_event()]})
    assert r.status_code == 503
    assert r.json()["code"] == "ingest_backlog" and r.headers["retry-after"] == "30"
    assert await cache.client().xlen(ingest.stream_key()) == 2
    # Once the consumer catches up, batches are accepted again.
    assert await ingest.consume() == 2
    r = await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [client_event()]})
    assert r.status_code == 202


async def test_consumers_of_dead_workers_are_forgotten_unless_they_hold_entries(api: Any) -> None:
    redis = cache.client()
    await ingest._ensure_group(redis)
    await redis.xgroup_createconsumer(ingest.stream_key(), ingest.GROUP, "long-gone")
    await api.post("/api/v1/analytics/events", json={"device_id": DEVICE, "events": [client_event()]})
    await redis.xreadgroup(ingest.GROUP, "died-holding", {ingest.stream_key(): ">"}, count=1)

    def names(infos: list[dict[Any, Any]]) -> set[str]:
        return {n.decode() if isinstance(n, bytes) else n for n in (i["name"] for i in infos)}

    await ingest._forget_idle_consumers(redis)  # nobody idle for a day yet
    assert names(await redis.xinfo_consumers(ingest.stream_key(), ingest.GROUP)) == {"long-gone", "died-holding"}
    await ingest._forget_idle_consumers(redis, idle_ms=0)
    assert names(await redis.xinfo_consumers(ingest.stream_key(), ingest.GROUP)) == {"died-holding"}
