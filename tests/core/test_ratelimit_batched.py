"""The API's batched per-address limit: pushes below 80 % of the limit leave the request path, exact past it."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from core import cache, clock, ratelimit
from core.errors import RateLimited


async def shared_count(subject: str, window_s: int) -> int:
    window = math.floor(clock.timestamp() / window_s)
    value = await cache.client().get(cache.key("rl", "test", subject, window))
    return int(value or 0)


async def until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_pushes_below_the_mark_run_in_the_background(sbor_database: Any, clock: Any) -> None:
    clock.freeze()
    # Given a batch of 5 under a limit of 100: the window's first hit pushes, then every fifth, without waiting
    for _ in range(6):
        await ratelimit.hit_batched("test", "10.0.0.1", limit=100, window_s=60, batch=5)
    # Then the shared count arrives all the same
    await until(lambda: _equals(shared_count("10.0.0.1", 60), 6))
    for _ in range(4):  # not yet a batch: kept locally
        await ratelimit.hit_batched("test", "10.0.0.1", limit=100, window_s=60, batch=5)
    await asyncio.gather(*ratelimit._pushing)
    assert await shared_count("10.0.0.1", 60) == 6


async def test_past_the_mark_every_hit_is_counted_before_the_answer(sbor_database: Any, clock: Any) -> None:
    clock.freeze()
    for _ in range(8):  # 80 % of 10
        await ratelimit.hit_batched("test", "10.0.0.2", limit=10, window_s=60, batch=5)
    await until(lambda: _equals(shared_count("10.0.0.2", 60), 8))
    await ratelimit.hit_batched("test", "10.0.0.2", limit=10, window_s=60, batch=5)
    assert await shared_count("10.0.0.2", 60) == 9  # awaited: no task left behind
    # Another process's hits (straight into Redis) count against this one's next request
    window = math.floor(clock.timestamp() / 60)
    await cache.client().incrby(cache.key("rl", "test", "10.0.0.2", window), 5)
    with pytest.raises(RateLimited):
        await ratelimit.hit_batched("test", "10.0.0.2", limit=10, window_s=60, batch=5)


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)
