"""Rate limits in Redis (fixed windows on core's clock): ``await hit("login", ip, limit=5, window_s=60)``."""

from __future__ import annotations

import logging
import math

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
