"""Redis: one async client per process (cache, rate limits, idempotency keys) from the settings, and the read cache."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from core import clock
from core.errors import ConfigError
from core.settings import get_settings

log = logging.getLogger("core.cache")


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
        # After a Redis restart every pooled connection is dead, and each would fail its first command (a 503 seconds
        # after Redis is back: bench/load.py saw it). One immediate retry on a fresh connection; not on timeouts.
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )


async def close() -> None:
    """Close the client's connections (the next call to :func:`client` makes a new one)."""
    if client.cache_info().currsize:
        await client().aclose()
    client.cache_clear()
    _state.skip_until = 0.0  # a new client: the read cache tries Redis again at once
    _scripts.clear()


def key(*parts: object) -> str:
    """Build a namespaced key: ``sbor:<part>:<part>…``."""
    return ":".join([get_settings().jobs.namespace, *map(str, parts)])


# ---------------------------------------------------------------------------------------------------------------------
# The read cache: versioned entries, one MGET per read, bumps after commit, uncached reads while Redis is away
# ---------------------------------------------------------------------------------------------------------------------
#
# An entry is stored under a fixed name together with the *stamp* it was computed at: the current values of the
# version counters it depends on (plus a global epoch). A read fetches the entry and the counters in one MGET and
# uses the entry only when its stamp equals the counters now; a change bumps its counters (INCR), so nothing is
# deleted, nothing is scanned, and a read racing a change at worst misses. Bumps made inside :func:`deferred`
# (wrapped around a transaction) land after the commit: a reader between the bump and the commit would otherwise
# cache the old rows under the new stamp.

EPOCH = "*epoch"
VERSION_TTL_S = 86_400  # version counters outlive every entry stamped with them (entries live cache_ttl_s)
RETRY_AFTER_S = 1.0  # after a Redis error the cache is skipped this long (reads go to the database meanwhile)
_REDIS_ERRORS = (RedisError, OSError, TimeoutError, ConfigError)


class Hit(NamedTuple):
    """A cached response: its entity tag and body."""

    etag: str
    body: bytes


@dataclass
class _State:
    skip_until: float = 0.0
    missed: bool = False  # a bump was lost while Redis was away: bump the epoch once it answers
    stats: dict[str, int] = field(default_factory=lambda: {"hit": 0, "miss": 0, "error": 0, "bump": 0})


_state = _State()
_pending: ContextVar[set[str] | None] = ContextVar("sbor_cache_pending", default=None)


@dataclass
class Seen:
    """What the reads of one request used (:func:`watch`): the version counters (Redis keys) its entries depend on.

    ``core.http.response_cache`` keeps a response in the process only when everything in it came from current
    entries (``complete``), and drops it when one of ``keys`` is bumped (the bumps are published: :func:`channel`).
    """

    keys: set[str] = field(default_factory=set)
    until: float = float("inf")  # core.clock time when the first entry used expires
    open: int = 0  # lookups that missed and were not stored (yet)
    uncached: bool = False  # a read went past the cache (Redis away, the cache off, an entry not stored)

    @property
    def complete(self) -> bool:
        """Every read of the request was a current entry, or computed and stored: the response can be kept."""
        return bool(self.keys) and not self.uncached and self.open == 0


_seen: ContextVar[Seen | None] = ContextVar("sbor_cache_seen", default=None)


@contextmanager
def watch() -> Iterator[Seen]:
    """Record, for the block (a request), which version counters the read cache's entries used (:class:`Seen`)."""
    seen = Seen()
    token = _seen.set(seen)
    try:
        yield seen
    finally:
        _seen.reset(token)


def channel() -> str:
    """The Redis channel every bump is published on (the bumped counters' keys, space-separated)."""
    return key("cv-bumps")


def stats() -> dict[str, int]:
    """This process's read-cache counters: ``hit``, ``miss``, ``error`` (Redis away: read uncached), ``bump``."""
    return dict(_state.stats)


def ttl_s() -> int:
    """The entries' time to live (the ``redis.cache_ttl_s`` setting); 0: the read cache is off."""
    return get_settings().redis.cache_ttl_s


def _version_key(dep: str) -> str:
    return key("cv", dep)


def _failed(exc: BaseException, what: str) -> None:
    _state.stats["error"] += 1
    if time.monotonic() >= _state.skip_until:  # one line per outage second, not one per request
        log.warning("read cache %s skipped: redis unavailable: %s", what, exc)
    _state.skip_until = time.monotonic() + RETRY_AFTER_S


class Lookup(NamedTuple):
    """What :func:`lookup` found: the entry if current, and what :func:`store` needs to keep a new one."""

    hit: Hit | None
    stamp: bytes | None  # None: Redis is away, store nothing
    guarded: bytes = b""  # the guard counter's value before computing (see :func:`store`)


async def _mget(names: Sequence[str]) -> list[bytes | None]:
    values: list[bytes | None] = await client().mget(names)  # type: ignore[assignment]  # bytes: no decoding
    return values


# One round trip for a read: the counters, the entry, and the counters of the parts its header names. (The parts'
# keys are not declared in KEYS: fine on the standalone Redis Sbor uses; a Redis Cluster would need hash tags.)
_LOOKUP_LUA = """
local vals = {}
for i = 3, #KEYS do vals[#vals + 1] = redis.call('GET', KEYS[i]) or '0' end
local guarded = ''
if KEYS[2] ~= '' then guarded = redis.call('GET', KEYS[2]) or '0' end
local entry = redis.call('GET', KEYS[1])
if not entry then return {table.concat(vals, ':'), guarded} end
local a = string.find(entry, '\\n', 1, true)
local b = string.find(entry, '\\n', a + 1, true)
local parts = {}
for k in string.gmatch(string.sub(entry, a + 1, b - 1), '%S+') do parts[#parts + 1] = redis.call('GET', k) or '0' end
return {table.concat(vals, ':'), guarded, entry, table.concat(parts, ':')}
"""
_scripts: dict[int, Any] = {}


async def lookup(name: str, deps: Sequence[str], guard: str | None = None) -> Lookup:
    """Fetch entry ``name`` if still current for ``deps`` (and for the parts it was stored with).

    One round trip (a script reading the epoch, ``deps``, ``guard``, the entry and its parts' counters). Never
    raises for Redis: while it is away (and for :data:`RETRY_AFTER_S` after an error) returns ``Lookup(None, None)``
    and the caller reads the database.
    """
    seen = _seen.get()
    if ttl_s() <= 0 or time.monotonic() < _state.skip_until:
        if seen is not None:
            seen.uncached = True
        return Lookup(None, None)
    try:
        redis = client()
        if _state.missed:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.incr(_version_key(EPOCH))
                pipe.publish(channel(), _version_key(EPOCH))
                await pipe.execute()
            _state.missed = False
        script = _scripts.get(id(redis))
        if script is None:
            script = _scripts.setdefault(id(redis), redis.register_script(_LOOKUP_LUA))
        keys = [key("c", name), _version_key(guard) if guard else "", _version_key(EPOCH), *map(_version_key, deps)]
        found = await script(keys=keys)
    except _REDIS_ERRORS as exc:
        _failed(exc, "read")
        if seen is not None:
            seen.uncached = True
        return Lookup(None, None)
    stamp, guarded = found[0], found[1]
    if seen is not None:
        seen.keys.update(keys[2:])
    if len(found) > 2:
        head, names, parts_at, etag, body = found[2].split(b"\n", 4)
        at, born, until = head.split(b"|")
        if at == stamp and parts_at == found[3] and float(born) <= clock.timestamp() < float(until):
            _state.stats["hit"] += 1
            if seen is not None:
                seen.keys.update(names.decode().split())
                seen.until = min(seen.until, float(until))
            return Lookup(Hit(etag.decode(), body), stamp, guarded)
    _state.stats["miss"] += 1
    if seen is not None:
        seen.open += 1
    return Lookup(None, stamp, guarded)


async def store(name: str, found: Lookup, etag: str, body: bytes, ttl: int | None = None, *,
                parts: Sequence[str] = (), guard: str | None = None) -> None:
    """Keep ``body`` (with ``etag``) as entry ``name``, computed after ``found = await lookup(...)`` missed.

    ``parts`` are further counters the entry depends on, known only once computed (the events on a feed page); it
    is then also checked on every read. ``guard`` (the same as given to :func:`lookup`) is a counter bumped with
    every part: when it moved while computing, a part may have changed after it was read, so nothing is stored.
    The entry lives ``ttl`` seconds (at most the setting) by Redis and by ``core.clock`` (a moved test clock too).
    """
    ttl = ttl_s() if ttl is None else min(ttl, ttl_s())
    if found.stamp is None or ttl <= 0:
        return
    now = clock.timestamp()
    head = b"%s|%.3f|%.3f" % (found.stamp, now - 0.001, now + ttl)  # (rounded: a frozen clock still reads it)
    try:
        parts_at = b""
        if parts:
            values = await _mget(([_version_key(guard)] if guard else []) + [_version_key(p) for p in parts])
            if guard and (values.pop(0) or b"0") != found.guarded:
                return
            parts_at = b":".join(v or b"0" for v in values)
        names = " ".join(_version_key(p) for p in parts).encode()
        entry = b"\n".join([head, names, parts_at, etag.encode(), body])
        await client().set(key("c", name), entry, ex=ttl)
    except _REDIS_ERRORS as exc:
        _failed(exc, "write")
        return
    seen = _seen.get()
    if seen is not None:
        seen.open -= 1
        seen.keys.update(_version_key(p) for p in parts)
        seen.until = min(seen.until, now + ttl)


async def bump(*deps: str) -> None:
    """Make every entry depending on ``deps`` stale, now, or after the enclosing :func:`deferred` block (the commit)."""
    pending = _pending.get()
    if pending is not None:
        pending.update(deps)
        return
    await _bump(deps)


async def _bump(deps: Iterable[str], *, again: bool = True) -> None:
    deps = tuple(set(deps))
    names = [_version_key(d) for d in deps]
    if not names:
        return
    if again:
        _after_replicas(deps)
    _state.stats["bump"] += 1
    try:
        async with client().pipeline(transaction=False) as pipe:
            for n in names:
                pipe.incr(n)
                pipe.expire(n, VERSION_TTL_S)
            pipe.publish(channel(), " ".join(names))  # processes' copies of responses (core.http.response_cache)
            await pipe.execute()
    except _REDIS_ERRORS as exc:
        _state.missed = True  # entries stamped before may still match: the epoch moves once Redis answers
        _failed(exc, "invalidation")


_later: set[asyncio.Task[None]] = set()


def _after_replicas(deps: Iterable[str]) -> None:
    """With read replicas, bump once more when they must have replayed the change (``replica_max_lag_s``).

    A replica further behind than that is not read, so an entry filled from a lagging one meanwhile goes then.
    """
    settings = get_settings().database
    if not settings.replica_urls or settings.replica_max_lag_s <= 0:
        return
    held = tuple(deps)

    def fire() -> None:
        task = asyncio.ensure_future(_bump(held, again=False))
        _later.add(task)
        task.add_done_callback(_later.discard)

    asyncio.get_running_loop().call_later(settings.replica_max_lag_s, fire)


@asynccontextmanager
async def deferred() -> AsyncIterator[None]:
    """Hold :func:`bump` calls made inside the block and make them when it exits, even on an error.

    Wrapped around a transaction (``async with cache.deferred(), engine.transaction(): ...``) the bumps land after
    its commit. Nested blocks defer to the outermost one.
    """
    if _pending.get() is not None:
        yield
        return
    pending: set[str] = set()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
        if pending:
            await _bump(pending)
