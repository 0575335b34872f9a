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


async def test_settle_lands_the_pushes_in_flight_and_forgets_the_local_counts(sbor_database: Any, clock: Any) -> None:
    clock.freeze()
    for _ in range(6):  # pushes left running in the background
        await ratelimit.hit_batched("test", "10.0.0.3", limit=10, window_s=60, batch=5)
    await ratelimit.settle()
    assert not ratelimit._pushing and await shared_count("10.0.0.3", 60) == 6
    # After a reset of Redis (what core.testing does between tests) the address starts again from nothing
    window = math.floor(clock.timestamp() / 60)
    await cache.client().delete(cache.key("rl", "test", "10.0.0.3", window))
    for _ in range(10):
        await ratelimit.hit_batched("test", "10.0.0.3", limit=10, window_s=60, batch=5)


@pytest.mark.parametrize("elapsed", [0.0, 0.01, 0.1, 0.5, 0.99])
@pytest.mark.parametrize(("prev", "now_count"), [(0, 6), (0, 600), (5, 6), (20, 4), (600, 600)])
def test_retry_after_never_exceeds_the_window(prev: int, now_count: int, elapsed: float) -> None:
    assert 1 <= ratelimit._retry_after(prev, now_count, 5, elapsed, 60) <= 60


async def test_a_flood_at_the_start_of_a_window_is_told_to_wait_at_most_the_window(sbor_database: Any,
                                                                                   clock: Any) -> None:
    from datetime import UTC, datetime

    clock.freeze(datetime.fromtimestamp(60 * 29_000_000 + 1, UTC))  # one second into a window
    verdicts = await ratelimit.hit_many("test.flood", ["u1"] * 7, limit=5, window_s=60)
    refused = [v for v in verdicts if v is not None]
    assert len(refused) == 2 and all(1 <= v.retry_after <= 60 for v in refused)
    with pytest.raises(RateLimited) as caught:
        await ratelimit.hit("test.flood", "u1", limit=5, window_s=60)
    assert 1 <= caught.value.retry_after <= 60


async def test_past_max_tracked_the_oldest_window_is_forgotten_first(sbor_database: Any, clock: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    clock.freeze()
    monkeypatch.setattr(ratelimit, "_windows", {})
    monkeypatch.setattr(ratelimit, "MAX_TRACKED", 3)
    for subject in ("a", "b", "c"):
        await ratelimit.hit_batched("test.lru", subject, limit=1000, window_s=60)
    # A hit of an address tracked in this window does not reorder it; a fourth address pushes out the oldest
    await ratelimit.hit_batched("test.lru", "a", limit=1000, window_s=60)
    await ratelimit.hit_batched("test.lru", "d", limit=1000, window_s=60)
    assert [s for _b, s in ratelimit._windows] == ["b", "c", "d"]
    # In the next window an address comes back at the end, with a count of its own
    clock.advance(60)
    await ratelimit.hit_batched("test.lru", "b", limit=1000, window_s=60)
    assert [s for _b, s in ratelimit._windows] == ["c", "d", "b"] and ratelimit._windows[("test.lru", "b")].total == 1
    await ratelimit.settle()
