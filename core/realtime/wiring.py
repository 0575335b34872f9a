"""Wiring the real-time channel into an app: Litestar's channels on Redis pub/sub, the endpoint, room kinds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.config.app import AppConfig
from litestar.handlers import WebsocketRouteHandler
from litestar.plugins import InitPlugin
from redis.exceptions import RedisError

from core.errors import ConfigError
from core.hooks import hookspecs
from core.hooks.manager import Registry
from core.realtime import KIND, PATH, RoomKind, _live
from core.realtime.connection import Hub, endpoint
from core.settings import RealtimeSettings, Settings

log = logging.getLogger("core.realtime")

# Wiring into the app
# --------------------------------------------------------------------------------------------------------------------


class _Backend(RedisChannelsPubSubBackend):
    """Litestar's Redis pub/sub backend, listening again after a lost Redis connection (Litestar's stops for good).

    redis-py subscribes the connection to its channels again when it reconnects; what was published meanwhile is lost.
    """

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        """Yield ``(channel, payload)``; on a Redis error, log, wait a second and go on."""
        while True:
            try:
                async for event in super().stream_events():
                    yield event
            except (RedisError, OSError) as exc:
                log.warning("realtime: lost the Redis subscription (%r); retrying in 1 s", exc)
                await asyncio.sleep(1.0)


def room_kinds(registry: Registry) -> dict[str, RoomKind]:
    """The enabled plugins' room kinds by name; a kind not named ``<plugin>.<name>``, or named twice, stops start-up."""
    kinds: dict[str, RoomKind] = {}
    for plugin, kind in registry.hooks.collect(hookspecs.register_realtime_rooms):
        match = KIND.fullmatch(kind.name)
        if match is None or match.group(1) != plugin:
            raise ConfigError(f"plugin {plugin!r}: real-time room kind {kind.name!r} must be named '{plugin}.<name>'")
        if kind.name in kinds:
            raise ConfigError(f"plugin {plugin!r}: real-time room kind {kind.name!r} is declared twice")
        kinds[kind.name] = kind
    return kinds


class RealtimePlugin(InitPlugin):
    """Adds the ``/api/v1/realtime`` endpoint and the hub; its lifespan routes this process's publishes."""

    def __init__(self, registry: Registry, channels: ChannelsPlugin, redis: aioredis.Redis,
                 limits: RealtimeSettings) -> None:
        self.registry, self.channels, self.redis, self.limits = registry, channels, redis, limits

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Register the endpoint, the hub (``app.state.realtime``) and the lifespan."""
        app_config.route_handlers.append(WebsocketRouteHandler(PATH, name="realtime")(endpoint))
        app_config.state["realtime"] = Hub(self.channels, room_kinds(self.registry), self.limits)
        app_config.lifespan.append(self.lifespan)
        return app_config

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """Publish through this app's channels while it runs; close its Redis connections afterwards."""
        entry = (asyncio.get_running_loop(), self.channels)
        _live.append(entry)
        try:
            yield
        finally:
            _live.remove(entry)
            await self.redis.aclose()


def app_plugins(registry: Registry, settings: Settings) -> list[InitPlugin]:
    """The Litestar plugins of the real-time channel: ours, then Litestar's channels on the Redis pub/sub backend.

    None without a Redis URL (like the jobs broker): then the app has no real-time endpoint.
    """
    if not settings.redis.url:
        return []
    # A connection of its own: subscriptions block on reads, unlike the cache client's short socket timeout.
    redis = aioredis.Redis.from_url(settings.redis.url, socket_connect_timeout=2.0, health_check_interval=30)
    channels = ChannelsPlugin(
        backend=_Backend(redis=redis),
        arbitrary_channels_allowed=True,  # rooms are checked by the endpoint before any subscription
        subscriber_max_backlog=settings.realtime.max_backlog,
        subscriber_backlog_strategy="dropleft",  # a slow client loses its oldest messages, never stalls the others
    )
    return [RealtimePlugin(registry, channels, redis, settings.realtime), channels]

