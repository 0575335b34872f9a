"""An outage of PostgreSQL or Redis that reaches a handler is a 503 ``service_unavailable`` to retry, not a 500.

The errors are real: connecting to a port nobody listens on (what a restarting server looks like to a pool).
``bench/load.py`` measures the same end to end (PostgreSQL restarted and Redis killed under load).
"""

from __future__ import annotations

import socket

import asyncpg
import httpx
import pytest
import redis.asyncio
from litestar import Litestar, get

from core.http.problems import EXCEPTION_HANDLERS


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def postgres_down() -> None:
    await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{closed_port()}/x", timeout=2)


async def redis_down() -> None:
    client = redis.asyncio.Redis(port=closed_port(), socket_connect_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def bug() -> None:
    raise RuntimeError("a bug")


@pytest.mark.parametrize(("cause", "status"), [(postgres_down, 503), (redis_down, 503), (bug, 500)],
                         ids=["postgres", "redis", "bug"])
async def test_outage_is_503_with_retry_after(cause, status) -> None:
    @get("/boom")
    async def boom() -> None:
        await cause()

    app = Litestar([boom], exception_handlers=EXCEPTION_HANDLERS)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        r = await client.get("/boom")
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    if status == 503:
        assert r.json()["code"] == "service_unavailable"
        assert r.headers["retry-after"] == "5"
    else:
        assert r.json()["code"] == "internal_error"


async def test_redis_restart_costs_no_request(private_redis, use_redis) -> None:
    """Connections pooled before a Redis restart are dead; the client retries once on a fresh one (no 503 later)."""
    import asyncio

    from core import cache

    await use_redis(private_redis.url)
    client = cache.client()
    # Given several pooled connections (concurrent commands open one each)
    await asyncio.gather(*(client.set(f"outage-{i}", i) for i in range(8)))
    # When Redis restarts
    private_redis.stop()
    private_redis.start()
    # Then every command after it succeeds at the first try, whichever pooled connection it gets
    assert await asyncio.gather(*(client.ping() for _ in range(8))) == [True] * 8
