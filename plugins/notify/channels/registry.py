"""The channel table of this process: built from ``register_notify_channels`` (later plugins override by name)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from core.errors import ConfigError
from core.hooks import plugin_settings
from core.hooks.manager import current
from plugins.notify import NotifySettings
from plugins.notify import hookspecs as notify_specs
from plugins.notify.channels.base import Channel
from plugins.notify.channels.email import EmailChannel
from plugins.notify.channels.log import LogChannel
from plugins.notify.channels.push import PushChannel
from plugins.notify.channels.sms import TwilioSmsChannel

_cache: dict[tuple[int, int], dict[str, Any]] = {}


def builtin_channels() -> list[Any]:
    """The providers notify ships that the settings' ``channels`` use (and the log), configured from the settings.

    Only those: a channel not in ``channels`` is never tried, and building the HTTP clients of push and SMS (TLS
    contexts) cost a worker a few hundred milliseconds on its first chunk.
    """
    s = plugin_settings(NotifySettings)
    makers: dict[str, Callable[[], Any]] = {"email": lambda: EmailChannel(s), "push": lambda: PushChannel(s),
                                            "sms": lambda: TwilioSmsChannel(s), "log": LogChannel}
    return [make() for name, make in makers.items() if name in s.channels or name == "log"]


def channels() -> dict[str, Any]:
    """Channels by name for the current plugin set and event loop (HTTP clients belong to one loop)."""
    registry = current()
    key = (id(registry), id(asyncio.get_running_loop()))
    table = _cache.get(key)
    if table is None:
        table = {}
        for plugin, channel in registry.hooks.collect(notify_specs.register_notify_channels):
            if not isinstance(channel, Channel):
                raise ConfigError(f"plugin {plugin!r}: register_notify_channels returned {channel!r}, not a Channel")
            table[channel.name] = channel
        _cache[key] = table
    return table


async def close_all() -> None:
    """Close every channel's connections (worker shutdown, tests)."""
    tables = list(_cache.values())
    _cache.clear()
    for table in tables:
        for channel in table.values():
            await channel.close()
