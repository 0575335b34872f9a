"""Rate limits in Redis on core's clock: ``await hit("login", ip, limit=5, window_s=60)`` (a sliding window).

``hit_batched`` (the API's per-address limit, on every request) keeps a fixed window and counts locally in batches.
``hit_many`` counts several uses of one bucket (the same sliding window as ``hit``) in one Redis round trip.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from core import cache, clock
from core.errors import RateLimited

log = logging.getLogger("core.ratelimit")


async def hit(bucket: str, subject: str, *, limit: int, window_s: int, cost: int = 1) -> int:
    """Count one use of ``bucket`` by ``subject``; raise :class:`RateLimited` (429, Retry-After) past ``limit``.

    A sliding window: the previous window's count, weighted by how much of it still overlaps the last ``window_s``
    seconds, plus the current one's. A burst at the end of one window and another at the start of the next cannot
    double the limit (fixed windows allow that). Returns the remaining allowance. When Redis is unreachable the limit
    is not enforced (fail open, logged): availability matters more than a throttle during a Redis restart.
    """
    now = clock.timestamp()
    window = math.floor(now / window_s)
    current, previous = cache.key("rl", bucket, subject, window), cache.key("rl", bucket, subject, window - 1)
    try:
        redis = cache.client()
        async with redis.pipeline(transaction=False) as pipe:
            pipe.incrby(current, cost)
            pipe.expire(current, 2 * window_s + 1)  # it is the "previous" window for one more window
            pipe.get(previous)
            used_now, _, used_before = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("rate limit %s not enforced: redis unavailable: %s", bucket, exc)
        return limit
    elapsed = now / window_s - window  # 0..1 through the current window
    prev = int(used_before or 0)
    estimate = prev * (1 - elapsed) + int(used_now)
    if estimate > limit:
        retry_after = _retry_after(prev, int(used_now), limit, elapsed, window_s)
        raise RateLimited(retry_after, "Too many requests for %(bucket)s; retry in %(retry_after)s s",
                          params={"bucket": bucket, "retry_after": retry_after})
    return max(0, limit - math.ceil(estimate))


async def hit_many(bucket: str, subjects: Sequence[str], *, limit: int, window_s: int) -> list[RateLimited | None]:
    """:func:`hit` once for each of ``subjects`` (a subject may repeat: each counts) in one Redis round trip.

    For hot paths that handle several uses at once (the chat's batched posts). Returns, in order, None for an allowed
    use or the :class:`RateLimited` error :func:`hit` would have raised for it. Fails open like :func:`hit`.
    """
    if not subjects:
        return []
    try:
        async with cache.client().pipeline(transaction=False) as pipe:
            verdicts = queue_hits(pipe, bucket, subjects, limit=limit, window_s=window_s)
            (reply,) = await pipe.execute(raise_on_error=False)
    except (RedisError, OSError) as exc:
        log.warning("rate limit %s not enforced: redis unavailable: %s", bucket, exc)
        return [None] * len(subjects)
    return verdicts(reply)


_HITS = """
local counts = {}
for i = 1, #KEYS, 2 do
    counts[#counts + 1] = redis.call('INCRBY', KEYS[i], 1)
    redis.call('EXPIRE', KEYS[i], ARGV[1])
    counts[#counts + 1] = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
end
return counts
"""
"""Count one hit on each current window's key (``KEYS`` pairs: current, previous); return the counts, both windows."""


def queue_hits(pipe: Pipeline, bucket: str, subjects: Sequence[str], *, limit: int,
               window_s: int) -> Callable[[Any], list[RateLimited | None]]:
    """Queue :func:`hit_many`'s command on ``pipe`` (one script: one reply to read, whatever the number of subjects).

    Returns the function that turns this command's reply into :func:`hit_many`'s verdicts (all None when the reply
    is an error: fail open, logged). Other Redis errors are the caller's (fail open too).
    """
    now = clock.timestamp()
    window = math.floor(now / window_s)
    keys: list[str] = []
    for subject in subjects:
        keys += [cache.key("rl", bucket, subject, window), cache.key("rl", bucket, subject, window - 1)]
    pipe.eval(_HITS, len(keys), *keys, 2 * window_s + 1)  # the current window is the "previous" one for one more
    elapsed = now / window_s - window

    def verdicts(reply: Any) -> list[RateLimited | None]:
        if isinstance(reply, Exception):
            log.warning("rate limit %s not enforced: redis refused: %s", bucket, reply)
            return [None] * len(subjects)
        found: list[RateLimited | None] = []
        for i in range(len(subjects)):
            used_now, prev = int(reply[2 * i]), int(reply[2 * i + 1])
            if prev * (1 - elapsed) + used_now > limit:
                retry_after = _retry_after(prev, used_now, limit, elapsed, window_s)
                found.append(RateLimited(retry_after, "Too many requests for %(bucket)s; retry in %(retry_after)s s",
                                         params={"bucket": bucket, "retry_after": retry_after}))
            else:
                found.append(None)
        return found

    return verdicts


def _retry_after(prev: int, now_count: int, limit: int, elapsed: float, window_s: int) -> int:
    """Seconds until the sliding estimate falls back to ``limit`` (the previous window fading, then the current).

    Never more than ``window_s``: by then every use counted so far is older than the window, which is all the limit
    promises to count (the estimate, spreading the current window's uses evenly over it, may say later: a client
    that retries at ``window_s`` is at worst told to wait a little more).
    """
    if prev and now_count < limit:  # within this window, as the previous one fades out
        fraction = (prev * (1 - elapsed) + now_count - limit) / prev
        return min(window_s, max(1, math.ceil(fraction * window_s)))
    rest = (1 - elapsed) * window_s  # to the end of this window, then this window fades as "previous"
    fraction = 1 - limit / now_count if now_count else 0
    return min(window_s, max(1, math.ceil(rest + fraction * window_s)))


async def reset(bucket: str, subject: str, *, window_s: int) -> None:
    """Forget the current window's count (e.g. after a successful login)."""
    window = math.floor(clock.timestamp() / window_s)
    try:
        await cache.client().delete(cache.key("rl", bucket, subject, window),
                                    cache.key("rl", bucket, subject, window - 1))
    except (RedisError, OSError):
        pass


class _Window:
    """This process's view of one subject's window: hits not yet pushed to Redis, and the last known total.

    What the hot path compares against is worked out once per window: its bounds, the batch, the 80 % mark, and
    when the next push is due (the window's first hit pushes).
    """

    __slots__ = ("batch", "ends", "mark", "pending", "push_at", "starts", "total", "window")

    def __init__(self, window: int, window_s: int, limit: int, batch: int, interval_s: float) -> None:
        self.window = window
        self.starts = window * window_s
        self.ends = self.starts + window_s
        self.batch = batch
        self.mark = 0.8 * limit
        self.pending = 0
        self.total = 0
        self.push_at = 0.0


_windows: dict[tuple[str, str], _Window] = {}
MAX_TRACKED = 100_000


async def hit_batched(bucket: str, subject: str, *, limit: int, window_s: int, batch: int | None = None,
                      interval_s: float = 0.5) -> None:
    """Count a hit like :func:`hit`, for hot paths (the per-address API limit), mostly without a Redis round trip.

    Redis stays the shared count, but each process pushes its hits in batches (every ``batch`` hits or
    ``interval_s``), and on every hit once past 80 % of the limit, so the limit is exact where it matters.
    Across P processes the count may run at most P * ``batch`` behind until the 80 % mark. ``batch`` defaults to
    1 % of the limit, at least 20 (a high limit, such as a load balancer's address allowed thousands a second, is
    pushed about twice a second instead of on every twentieth request: a Redis command's cost on the request path).
    """
    now = clock.timestamp()
    key = (bucket, subject)
    entry = _windows.get(key)
    if entry is None or not entry.starts <= now < entry.ends:
        # (Re)inserted at the end once per window: the oldest windows are the first forgotten past MAX_TRACKED.
        _windows.pop(key, None)
        entry = _windows[key] = _Window(int(now // window_s), window_s, limit,
                                        max(20, limit // 100) if batch is None else batch, interval_s)
        if len(_windows) > MAX_TRACKED:
            del _windows[next(iter(_windows))]
    entry.pending += 1
    entry.total += 1
    if entry.pending < entry.batch and now < entry.push_at and entry.total < entry.mark:
        return  # the hot path: below the batch, the interval and the mark
    window = entry.window
    if entry.total > limit:
        raise _limited(bucket, window, window_s, now)
    pushed, entry.pending, entry.push_at = entry.pending, 0, now + interval_s
    if entry.total < entry.mark:
        # Below the mark the shared count only has to arrive, not to be waited for: the request goes on (an await
        # on Redis here put one request in twenty behind a full turn of the event loop: the stack's p99).
        task = asyncio.ensure_future(_push(bucket, subject, window, window_s, entry, pushed))
        _pushing.add(task)
        task.add_done_callback(_pushing.discard)
        return
    await _push(bucket, subject, window, window_s, entry, pushed)
    if entry.total > limit:
        raise _limited(bucket, window, window_s, now)


def _limited(bucket: str, window: int, window_s: int, now: float) -> RateLimited:
    retry_after = math.ceil((window + 1) * window_s - now)
    return RateLimited(retry_after, "Too many requests for %(bucket)s; retry in %(retry_after)s s",
                       params={"bucket": bucket, "retry_after": retry_after})


_pushing: set[asyncio.Task[None]] = set()


async def _push(bucket: str, subject: str, window: int, window_s: int, entry: _Window, pushed: int) -> None:
    """Add ``pushed`` local hits to the shared count; learn the total all processes have pushed."""
    try:
        redis = cache.client()
        k = cache.key("rl", bucket, subject, window)
        total = await redis.incrby(k, pushed)
        if total == pushed:
            await redis.expire(k, window_s + 1)
    except (RedisError, OSError) as exc:
        log.warning("rate limit %s not shared: redis unavailable: %s", bucket, exc)
        return
    if entry.window == window:
        entry.total = max(entry.total, int(total))


async def settle() -> None:
    """Wait for this process's batched pushes still in flight, then forget its local counts (:func:`hit_batched`).

    For tests, between two of them: a push left running would land in Redis after the next test's reset, and the
    local totals would carry one test's requests into the next (the same address, the same window).
    """
    loop = asyncio.get_running_loop()
    while pending := [t for t in _pushing if not t.done()]:
        for task in pending:
            if task.get_loop() is not loop:  # left by a closed loop: it will never run
                task.cancel()
                _pushing.discard(task)
        await asyncio.gather(*(t for t in pending if t.get_loop() is loop), return_exceptions=True)
    _pushing.clear()
    _windows.clear()
