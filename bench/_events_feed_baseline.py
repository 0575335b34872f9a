"""Baseline for bench/events_feed.py: a bare Litestar app running the feed's SQL through raw asyncpg (no Sbor)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
from litestar import Litestar, Response, get
from litestar.params import FromQuery

from plugins.events.feed import FeedQuery, page  # the same SQL (and narrow-first strategy) as the real endpoint

pool: asyncpg.Pool | None = None


async def start() -> None:
    global pool
    pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=10, max_size=10)


async def stop() -> None:
    if pool is not None:
        await pool.close()


@get("/feed")
async def feed(near: FromQuery[str], radius_km: FromQuery[float] = 10.0, limit: FromQuery[int] = 20) -> Response[bytes]:
    """Near-me, next 7 days, 20 per page."""
    lat, lng = (float(x) for x in near.split(","))
    now = datetime.now(UTC)
    fq = FeedQuery(now=now, limit=limit, near=(lat, lng), radius_km=radius_km, starts_from=now,
                   starts_to=now + timedelta(days=7))
    body = msgspec.json.encode(await page(fq, fetch))
    return Response(content=body, media_type="application/json")


async def fetch(sql: str, *args: object) -> list[dict[str, object]]:
    """Raw asyncpg on the baseline's own pool."""
    assert pool is not None
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch(sql, *args)]


app = Litestar([feed], on_startup=[start], on_shutdown=[stop], debug=False, logging_config=None)
