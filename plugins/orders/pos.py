"""Driving POS adapters: the registry (contract checked at start-up), connections, breaker, checked calls.

Calls run with a timeout, and what they return is validated before anything trusts it; the circuit breaker is per
venue, its state in Redis.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from core import cache, clock
from core.errors import ConfigError, NotFound
from core.hooks import plugin_settings
from core.hooks.manager import Registry, current
from plugins.orders import OrdersSettings, credentials
from plugins.orders.hookspecs import (
    CONTRACT_VERSION,
    PosAdapter,
    PosConnection,
    PosMenu,
    PosOrderState,
    PosUnavailable,
    WebhookEvent,
    register_pos_adapters,
)
from plugins.orders.tables import VenuePos

log = logging.getLogger("plugins.orders")
T = TypeVar("T")
_checked: dict[int, dict[str, PosAdapter]] = {}


def adapters(registry: Registry | None = None) -> dict[str, PosAdapter]:
    """Every adapter the enabled plugins provide, by name; checks each one's contract range (ConfigError)."""
    reg = registry or current()
    known = _checked.get(id(reg))
    if known is not None:
        return known
    found: dict[str, PosAdapter] = {}
    for plugin, adapter in reg.hooks.collect(register_pos_adapters):
        if not isinstance(adapter, PosAdapter):
            raise ConfigError(f"plugin {plugin!r}: register_pos_adapters returned {adapter!r}, not a PosAdapter")
        name = getattr(adapter, "name", "")
        if not name or not name.replace("_", "").isalnum() or name != name.lower():
            raise ConfigError(f"plugin {plugin!r}: POS adapter name {name!r} must be lower-case letters and digits")
        try:
            fits = Version(CONTRACT_VERSION) in SpecifierSet(adapter.contract)
        except InvalidSpecifier as exc:
            raise ConfigError(f"plugin {plugin!r}: POS adapter {name!r}: invalid contract range: {exc}") from exc
        if not fits:
            raise ConfigError(f"plugin {plugin!r}: POS adapter {name!r} implements pos {adapter.contract}, but "
                              f"orders offers pos {CONTRACT_VERSION}")
        if name in found:
            raise ConfigError(f"plugin {plugin!r}: POS adapter {name!r} is provided twice")
        found[name] = adapter
    _checked[id(reg)] = found
    return found


def adapter(name: str) -> PosAdapter:
    """The adapter called ``name``; NotFound ``adapter_unavailable`` when no enabled plugin provides it."""
    found = adapters().get(name)
    if found is None:
        raise NotFound("No POS adapter %(name)r is installed and enabled",
                       params={"name": name}, code="adapter_unavailable")
    return found


async def config_row(venue_id: int) -> dict[str, Any] | None:
    """The venue's POS configuration row, or None (the venue uses the manual adapter)."""
    row: dict[str, Any] | None = await VenuePos.select().where(VenuePos.venue_id == venue_id).first()
    return row


async def adapter_name(venue_id: int) -> str:
    """The adapter a venue uses (``manual`` unless configured)."""
    row = await config_row(venue_id)
    return str(row["adapter"]) if row else "manual"


async def connection(venue_id: int) -> tuple[PosAdapter, PosConnection]:
    """The venue's adapter and its connection (credentials decrypted)."""
    row = await config_row(venue_id)
    timeout = plugin_settings(OrdersSettings).pos_timeout_s
    if row is None:
        return adapter("manual"), PosConnection(venue_id, timeout_s=timeout)
    settings = row["settings"]
    if isinstance(settings, str):
        settings = msgspec.json.decode(settings or "{}")
    conn = PosConnection(venue_id, {str(k): str(v) for k, v in dict(settings).items()},
                         credentials.decrypt(row["secret_enc"]), credentials.decrypt(row["webhook_secret_enc"]),
                         timeout)
    return adapter(row["adapter"]), conn


# ---------------------------------------------------------------------------------------------------------------------
# The circuit breaker of each venue's POS (state in Redis: every worker sees the same circuit)
# ---------------------------------------------------------------------------------------------------------------------


class Breaker:
    """Consecutive failures of one venue's POS open its circuit for ``breaker_cooldown_s``; then one probe goes.

    While open, calls to that POS are not made (the jobs wait for the cooldown); other venues are not affected.
    """

    def __init__(self, venue_id: int) -> None:
        self.venue_id = venue_id
        self.key = cache.key("orders", "breaker", venue_id)

    async def retry_in(self) -> float:
        """0 when a call may go now, else the seconds until the circuit lets a probe through."""
        redis = cache.client()
        opened_until = await redis.hget(self.key, "open_until")
        if opened_until is None:
            return 0.0
        wait = float(opened_until) - clock.timestamp()
        if wait > 0:
            return wait
        # Half-open: one probe per cooldown across all workers.
        cooldown = plugin_settings(OrdersSettings).breaker_cooldown_s
        probe = await redis.set(self.key + ":probe", b"1", nx=True, ex=max(1, cooldown))
        return 0.0 if probe else float(cooldown)

    async def failed(self) -> bool:
        """Count a failure; return True when this one opened (or re-opened) the circuit."""
        settings = plugin_settings(OrdersSettings)
        redis = cache.client()
        failures = int(await redis.hincrby(self.key, "failures", 1))
        await redis.expire(self.key, max(3600, settings.breaker_cooldown_s * 10))
        if failures >= settings.breaker_threshold:
            await redis.hset(self.key, "open_until", str(clock.timestamp() + settings.breaker_cooldown_s))
            await redis.delete(self.key + ":probe")
            log.warning("POS circuit of venue %s open after %s failures", self.venue_id, failures)
            return True
        return False

    async def succeeded(self) -> None:
        """Close the circuit."""
        await cache.client().delete(self.key, self.key + ":probe")

    async def is_open(self) -> bool:
        """Whether calls to this POS are held back now (open and still cooling down)."""
        opened_until = await cache.client().hget(self.key, "open_until")
        return opened_until is not None and float(opened_until) > clock.timestamp()


def backoff_s(attempt: int, retry_after: float | None = None) -> float:
    """Delay before attempt ``attempt + 1``: the vendor's hint when given, else exponential with jitter, capped."""
    settings = plugin_settings(OrdersSettings)
    if retry_after is not None and retry_after > 0:
        return float(min(retry_after, settings.backoff_max_s))
    base = settings.backoff_base_s * (2 ** max(0, attempt))
    return float(min(settings.backoff_max_s, base * random.uniform(0.8, 1.2)))  # noqa: S311 - jitter, not a secret


async def call(conn: PosConnection, awaitable: Awaitable[T]) -> T:
    """Await an adapter call within the connection's time budget; a timeout is :class:`PosUnavailable`."""
    try:
        return await asyncio.wait_for(awaitable, timeout=conn.timeout_s + 1.0)
    except TimeoutError:
        raise PosUnavailable("the POS call timed out", maybe_committed=True) from None


def checked_menu(value: object) -> PosMenu:
    """Validate a menu an adapter returned (schema, sizes, counts)."""
    menu: PosMenu = _checked_as(value, PosMenu, "menu")
    return menu


def checked_state(value: object) -> PosOrderState:
    """Validate an order state an adapter returned."""
    state: PosOrderState = _checked_as(value, PosOrderState, "order state")
    return state


def checked_events(values: object) -> list[WebhookEvent]:
    """Validate webhook events an adapter parsed (at most 100 in one request)."""
    if not isinstance(values, list) or len(values) > 100:
        raise PosUnavailable("the adapter returned an invalid list of webhook events")
    return [_checked_as(v, WebhookEvent, "webhook event") for v in values]


def checked_stop_list(values: object) -> list[str]:
    """Validate a stop list an adapter returned."""
    stopped: list[str] = _checked_as(values, list[str], "stop list")
    return stopped[:5000]


def _checked_as(value: object, kind: Any, what: str) -> Any:
    try:
        return msgspec.convert(msgspec.to_builtins(value, builtin_types=(datetime,)), kind)
    except (msgspec.ValidationError, TypeError) as exc:
        log.warning("POS adapter returned an invalid %s: %s", what, exc)
        raise PosUnavailable(f"the adapter returned an invalid {what}: {exc}") from None
