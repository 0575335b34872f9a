"""Asking the providers: order per capability, circuit breakers, rate limits and budgets, timeouts, the cache.

Every call goes through :func:`ask`: the cache first (Redis, keyed by capability, language and the normalised input);
then each provider the operator listed for the capability, in order, skipping one whose circuit is open or whose rate
or daily budget is spent; each call bounded by the provider's timeout; the answer validated; failures counted into the
provider's circuit (a 429 opens it for the vendor's Retry-After). The answer says which provider gave it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec
from redis.exceptions import RedisError

from core import cache, ratelimit
from core.errors import RateLimited, ServiceUnavailable
from core.geo import address_key
from core.hooks import plugin_settings
from core.hooks.registry import Registry, current
from plugins.geo import GeoSettings, hookspecs
from plugins.geo.hookspecs import Capability, MapsProvider, ProviderError, ProviderRateLimited

log = logging.getLogger("plugins.geo")
T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """One provider's effective limits: its declared defaults with the operator's overrides."""

    cache_ttl_s: int
    per_second: int
    daily_budget: int
    timeout_s: float


@dataclass(frozen=True)
class Answer(Generic[T]):
    """What a capability answered, which provider answered it (None: the offline fallback), and from the cache?"""

    value: T
    provider: str | None
    cached: bool = False


class MapsUnavailable(ServiceUnavailable):
    """No provider could answer (none configured, all open, limited, failing); ``tried`` says why each was skipped."""

    code = "maps_unavailable"
    title = "No maps provider could answer"


def compatible(version: str) -> bool:
    """Whether an adapter's contract version is one geo can call (same major, minor not newer than geo's)."""
    ours = hookspecs.CONTRACT_VERSION.split(".")
    m = re.fullmatch(r"(\d+)\.(\d+)", version or "")
    return bool(m) and m.group(1) == ours[0] and int(m.group(2)) <= int(ours[1])  # type: ignore[union-attr]


@dataclass
class Providers:
    """The providers of one plugin set: usable ones by name, refused ones with the reason."""

    by_name: dict[str, MapsProvider] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    plugin_of: dict[str, str] = field(default_factory=dict)

    def order(self, capability: Capability, settings: GeoSettings) -> list[MapsProvider]:
        """The providers listed for ``capability``, in the operator's order, that exist and declare it."""
        names: list[str] = getattr(settings, capability)
        found = [self.by_name.get(n) for n in names]
        return [p for p in found if p is not None and capability in p.info.capabilities]

    def limits(self, provider: MapsProvider, settings: GeoSettings) -> Limits:
        """The provider's limits with the operator's overrides applied."""
        info = provider.info
        over = settings.providers.get(info.name)
        if over is None:
            return Limits(info.cache_ttl_s, info.per_second, info.daily_budget, info.timeout_s)
        return Limits(
            info.cache_ttl_s if over.cache_ttl_s is None else over.cache_ttl_s,
            info.per_second if over.per_second is None else over.per_second,
            info.daily_budget if over.daily_budget is None else over.daily_budget,
            info.timeout_s if over.timeout_s is None else over.timeout_s,
        )

    async def aclose(self) -> None:
        """Close every provider's HTTP client."""
        for p in self.by_name.values():
            try:
                await p.aclose()
            except Exception:  # closing must not stop the others
                log.exception("maps provider %s did not close", p.info.name)


@dataclass(frozen=True)
class Via:
    """Explicit providers and settings instead of the current plugin set's (the conformance kit, the benchmark)."""

    pool: Providers
    settings: GeoSettings


_loaded: dict[int, tuple[Registry, Providers]] = {}


def load(registry: Registry) -> Providers:
    """Collect and check the providers of ``registry``'s plugins (``register_maps_providers``)."""
    out = Providers()
    for plugin, provider in registry.hooks.collect(hookspecs.register_maps_providers):
        info = getattr(provider, "info", None)
        if not isinstance(info, hookspecs.ProviderInfo):
            out.refused[f"{plugin}:?"] = "no ProviderInfo"
            log.error("maps provider of plugin %s declares no ProviderInfo: left out", plugin)
            continue
        if info.name in out.by_name or info.name in out.refused:
            raise ValueError(f"maps provider {info.name!r} is registered twice (plugin {plugin})")
        if not compatible(info.contract):
            out.refused[info.name] = f"contract {info.contract!r} is not compatible with {hookspecs.CONTRACT_VERSION}"
            log.error("maps provider %s (plugin %s): %s: left out", info.name, plugin, out.refused[info.name])
            continue
        out.by_name[info.name] = provider
        out.plugin_of[info.name] = plugin
    return out


def providers() -> Providers:
    """The providers of the current plugin set (loaded on first use, then kept)."""
    registry = current()
    entry = _loaded.get(id(registry))
    if entry is None or entry[0] is not registry:
        entry = (registry, load(registry))
        _loaded[id(registry)] = entry
    return entry[1]


async def close(registry: Registry) -> None:
    """Close and forget the providers of ``registry`` (the app is stopping)."""
    entry = _loaded.pop(id(registry), None)
    if entry is not None and entry[0] is registry:
        await entry[1].aclose()


# --------------------------------------------------------------------------------------------------------------------
# Cache keys
# --------------------------------------------------------------------------------------------------------------------

def normalise(text: str) -> str:
    """The cache's view of an address (:func:`core.geo.address_key`)."""
    return address_key(text)


def cache_key(capability: str, lang: str, text: str) -> str:
    """The Redis key of an answer (a hash: addresses people typed are not kept readable in key names)."""
    digest = hashlib.sha256(f"{lang}\x00{text}".encode()).hexdigest()[:32]
    return cache.key("geo", "c", capability, digest)


class _Cached(msgspec.Struct, Generic[T]):
    p: str
    v: T


# --------------------------------------------------------------------------------------------------------------------
# Circuit breakers (shared by every process through Redis)
# --------------------------------------------------------------------------------------------------------------------


def _circuit(name: str) -> tuple[str, str]:
    return cache.key("geo", "cb", name, "open"), cache.key("geo", "cb", name, "fail")


async def circuit_open(name: str) -> bool:
    """Whether the provider's circuit is open (skip it); a Redis failure counts as closed."""
    try:
        return bool(await cache.client().exists(_circuit(name)[0]))
    except (RedisError, OSError):
        return False


async def open_circuit(name: str, seconds: float) -> None:
    """Open the circuit for ``seconds`` (at least one)."""
    try:
        await cache.client().set(_circuit(name)[0], b"1", ex=max(1, math.ceil(seconds)))
    except (RedisError, OSError) as exc:
        log.warning("circuit of %s not opened: redis unavailable: %s", name, exc)


async def _failed(name: str, settings: GeoSettings) -> None:
    opened, failures = _circuit(name)
    try:
        redis = cache.client()
        n = await redis.incr(failures)
        if n == 1:
            await redis.expire(failures, settings.circuit_open_s)
        if n >= settings.circuit_failures:
            await redis.set(opened, b"1", ex=settings.circuit_open_s)
            await redis.delete(failures)
            log.warning("maps provider %s: circuit open for %s s after %s failures", name, settings.circuit_open_s, n)
    except (RedisError, OSError) as exc:
        log.warning("circuit of %s not counted: redis unavailable: %s", name, exc)


async def _succeeded(name: str) -> None:
    try:
        await cache.client().delete(_circuit(name)[1])
    except (RedisError, OSError):
        pass


# --------------------------------------------------------------------------------------------------------------------
# Asking
# --------------------------------------------------------------------------------------------------------------------


async def ask(capability: Capability, call: Callable[[MapsProvider], Awaitable[Any]],
              check: Callable[[Any], T], type_: Any, *, key: str | None = None, via: Via | None = None,
              offers: Callable[[MapsProvider], bool] | None = None) -> Answer[T]:
    """Answer ``capability`` from the cache or the first provider that can; MapsUnavailable when none can.

    ``call`` asks one provider, ``check`` validates its answer (raising ProviderBadAnswer), ``type_`` is the answer's
    type for the cache, ``key`` the cache key (None: not cached), ``via`` the providers and settings to use instead
    of the current plugin set's, ``offers`` whether a provider can answer this particular request (a route's mode):
    one that cannot is skipped (``mode_not_offered``) without a call, so the next in the order answers.
    """
    settings = via.settings if via is not None else plugin_settings(GeoSettings)
    if key is None:
        return await _ask_providers(capability, call, check, settings, via, None, offers)
    hit = await _cache_get(key, type_)
    if hit is not None:
        return Answer(hit.v, hit.p, cached=True)
    # One provider call per key at a time in this process: the same address asked again while the first ask is in
    # flight waits for that answer (and counts as a cache hit) instead of spending the budget twice.
    running = _inflight.get(key)
    if running is not None:
        answer: Answer[T] = await asyncio.shield(running)
        return Answer(answer.value, answer.provider, cached=True)
    task = asyncio.ensure_future(_ask_providers(capability, call, check, settings, via, key, offers))
    _inflight[key] = task
    try:
        return await asyncio.shield(task)
    finally:
        if _inflight.get(key) is task:
            del _inflight[key]


_inflight: dict[str, asyncio.Future[Any]] = {}


async def _ask_providers(capability: Capability, call: Callable[[MapsProvider], Awaitable[Any]],
                         check: Callable[[Any], T], settings: GeoSettings, via: Via | None,
                         key: str | None, offers: Callable[[MapsProvider], bool] | None = None) -> Answer[T]:
    pool = via.pool if via is not None else providers()
    tried: list[dict[str, str]] = []
    retry_hints: list[float] = []
    for provider in pool.order(capability, settings):
        name = provider.info.name
        limits = pool.limits(provider, settings)
        if offers is not None and not offers(provider):
            tried.append({"provider": name, "skipped": "mode_not_offered"})
            continue
        if await circuit_open(name):
            tried.append({"provider": name, "skipped": "circuit_open"})
            continue
        try:
            await ratelimit.hit(f"geo.{name}", "second", limit=limits.per_second, window_s=1)
            await ratelimit.hit(f"geo.{name}.day", "budget", limit=limits.daily_budget, window_s=86_400)
        except RateLimited as exc:
            tried.append({"provider": name, "skipped": "rate_limited" if exc.retry_after <= 1 else "budget_spent"})
            retry_hints.append(exc.retry_after)
            continue
        try:
            async with asyncio.timeout(limits.timeout_s):
                raw = await call(provider)
            value = check(raw)
        except ProviderRateLimited as exc:
            wait = exc.retry_after if exc.retry_after is not None else settings.circuit_open_s
            await open_circuit(name, wait)
            retry_hints.append(wait)
            tried.append({"provider": name, "failed": exc.code})
            log.warning("maps provider %s: rate limited by the vendor; circuit open for %.0f s", name, wait)
            continue
        except (ProviderError, TimeoutError, Exception) as exc:  # an adapter's bug is a failure like any other
            code = exc.code if isinstance(exc, ProviderError) else ("timeout" if isinstance(exc, TimeoutError)
                                                                    else "provider_crashed")
            tried.append({"provider": name, "failed": code})
            log.warning("maps provider %s failed (%s): %s", name, code, exc)
            await _failed(name, settings)
            continue
        await _succeeded(name)
        if key is not None and limits.cache_ttl_s > 0:
            await _cache_set(key, name, value, limits.cache_ttl_s)
        return Answer(value, name)
    headers = {"Retry-After": str(max(1, math.ceil(min(retry_hints))))} if retry_hints else None
    raise MapsUnavailable("no maps provider could answer %(capability)s", headers=headers, tried=tried,
                          params={"capability": capability})


async def _cache_get(key: str, type_: Any) -> _Cached[Any] | None:
    try:
        data = await cache.client().get(key)
    except (RedisError, OSError) as exc:
        log.warning("geo cache not read: redis unavailable: %s", exc)
        return None
    if data is None:
        return None
    try:
        return msgspec.json.decode(data, type=_Cached[type_])
    except msgspec.DecodeError:
        return None


async def _cache_set(key: str, provider: str, value: Any, ttl_s: int) -> None:
    try:
        await cache.client().set(key, msgspec.json.encode(_Cached(p=provider, v=value)), ex=ttl_s)
    except (RedisError, OSError) as exc:
        log.warning("geo cache not written: redis unavailable: %s", exc)
