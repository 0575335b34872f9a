"""Rate limits in Redis (fixed windows on core's clock): ``await hit("login", ip, limit=5, window_s=60)``."""

from __future__ import annotations

import logging
import math
from collections import OrderedDict

from redis.exceptions import RedisError

from core import cache, clock
from core.errors import RateLimited

log = logging.getLogger("core.ratelimit")


async def hit(bucket: str, subject: str, *, limit: int, window_s: int, cost: int = 1) -> int:
    """Count one use of ``bucket`` by ``subject``; raise :class:`RateLimited` (429, Retry-After) past ``limit``.

    Returns the remaining allowance. When Redis is unreachable the limit is not enforced (fail open, logged):
    availability of the API matters more than a throttle during a Redis restart.
    """
    now = clock.timestamp()
    window = math.floor(now / window_s)
    k = cache.key("rl", bucket, subject, window)
    try:
        redis = cache.client()
        used = await redis.incrby(k, cost)
        if used == cost:  # first hit of this window: one extra round trip per window, not per request
            await redis.expire(k, window_s + 1)
    except (RedisError, OSError) as exc:
        log.warning("rate limit %s not enforced: redis unavailable: %s", bucket, exc)
        return limit
    if used > limit:
        retry_after = math.ceil((window + 1) * window_s - now)
        raise RateLimited(retry_after, f"Too many requests for {bucket}; retry in {retry_after} s")
    return limit - int(used)


async def reset(bucket: str, subject: str, *, window_s: int) -> None:
    """Forget the current window's count (e.g. after a successful login)."""
    window = math.floor(clock.timestamp() / window_s)
    try:
        await cache.client().delete(cache.key("rl", bucket, subject, window))
    except (RedisError, OSError):
        pass


class _Window:
    """This process's view of one subject's window: hits not yet pushed to Redis, and the last known total."""

    __slots__ = ("pending", "synced_at", "total", "window")

    def __init__(self, window: int) -> None:
        self.window = window
        self.pending = 0
        self.total = 0
        self.synced_at = 0.0


_windows: OrderedDict[tuple[str, str], _Window] = OrderedDict()
MAX_TRACKED = 100_000


async def hit_batched(bucket: str, subject: str, *, limit: int, window_s: int, batch: int = 20,
                      interval_s: float = 0.5) -> None:
    """Count a hit like :func:`hit`, for hot paths (the per-address API limit), mostly without a Redis round trip.

    Redis stays the shared count, but each process pushes its hits in batches (every ``batch`` hits or
    ``interval_s``), and on every hit once past 80 % of the limit, so the limit is exact where it matters.
    Across P processes the count may run at most P * ``batch`` behind until the 80 % mark.
    """
    now = clock.timestamp()
    window = math.floor(now / window_s)
    key = (bucket, subject)
    entry = _windows.get(key)
    if entry is None or entry.window != window:
        entry = _Window(window)
        _windows[key] = entry
        if len(_windows) > MAX_TRACKED:
            _windows.popitem(last=False)
    _windows.move_to_end(key)
    entry.pending += 1
    entry.total += 1
    retry_after = math.ceil((window + 1) * window_s - now)
    if entry.total > limit:
        raise RateLimited(retry_after, f"Too many requests for {bucket}; retry in {retry_after} s")
    if entry.pending < batch and now - entry.synced_at < interval_s and entry.total < 0.8 * limit:
        return
    pushed, entry.pending, entry.synced_at = entry.pending, 0, now
    try:
        redis = cache.client()
        k = cache.key("rl", bucket, subject, window)
        total = await redis.incrby(k, pushed)
        if total == pushed:
            await redis.expire(k, window_s + 1)
    except (RedisError, OSError) as exc:
        log.warning("rate limit %s not shared: redis unavailable: %s", bucket, exc)
        return
    entry.total = max(entry.total, int(total))
    if entry.total > limit:
        raise RateLimited(retry_after, f"Too many requests for {bucket}; retry in {retry_after} s")
