"""Redis: one async client per process (cache, rate limits, idempotency keys) from the settings."""

from __future__ import annotations

from functools import lru_cache

import redis.asyncio as aioredis

from core.errors import ConfigError
from core.settings import get_settings


@lru_cache(maxsize=1)
def client() -> aioredis.Redis:
    """Return the process's Redis client. It reconnects by itself after a Redis restart."""
    url = get_settings().redis.url
    if not url:

        raise ConfigError("settings: redis.url is empty (set SBOR_REDIS_URL or start through manage.py)")
    return aioredis.Redis.from_url(
        url,
        decode_responses=False,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
        retry_on_timeout=False,
    )


async def close() -> None:
    """Close the client's connections (the next call to :func:`client` makes a new one)."""
    if client.cache_info().currsize:
        await client().aclose()
    client.cache_clear()


def key(*parts: object) -> str:
    """Build a namespaced key: ``sbor:<part>:<part>…``."""
    return ":".join([get_settings().jobs.namespace, *map(str, parts)])
