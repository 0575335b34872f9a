"""Hook implementations of the Yandex provider."""

from __future__ import annotations

from core.hooks import hookimpl, plugin_settings
from plugins.geo.hookspecs import MapsProvider

from sbor_maps_yandex import YandexSettings


@hookimpl
def register_maps_providers() -> list[MapsProvider]:
    """The ``yandex`` provider (its capabilities follow the keys that are set)."""
    from plugins.geo import api as geo

    from sbor_maps_yandex.provider import YandexMaps

    return [YandexMaps(plugin_settings(YandexSettings), user_agent=geo.user_agent())]
