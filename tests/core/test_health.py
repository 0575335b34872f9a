"""``/health`` tells a load balancer whether PostgreSQL and Redis answer."""

from __future__ import annotations


async def test_health_ok(make_client) -> None:
    client = await make_client([])
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_health_503_while_redis_is_down_and_back_after_restart(make_client, make_user, auth_headers,
                                                                    private_redis, use_redis) -> None:
    await use_redis(private_redis.url)
    client = await make_client(["hello"])
    client.headers.update(await auth_headers(await make_user()))  # greeting needs a signed-in caller
    assert (await client.get("/health")).status_code == 200

    private_redis.stop()
    r = await client.get("/health")
    assert r.status_code == 503
    assert r.json()["redis"].startswith("down")
    assert r.json()["database"] == "ok"
    # The API itself keeps answering (rate limits fail open while Redis is away).
    assert (await client.get("/api/v1/capabilities")).status_code == 200
    # An idempotent mutation cannot be checked: a clear 503 to retry, not a 500.
    r = await client.post("/api/v1/hello/greetings", json={"name": "Ann"}, headers={"Idempotency-Key": "x"})
    assert r.status_code == 503
    assert r.json()["code"] == "service_unavailable"

    private_redis.start()
    assert (await client.get("/health")).status_code == 200
    r = await client.post("/api/v1/hello/greetings", json={"name": "Ann"}, headers={"Idempotency-Key": "x"})
    assert r.status_code == 201
