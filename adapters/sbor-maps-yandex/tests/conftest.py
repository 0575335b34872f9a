"""Fixtures of the Yandex adapter's tests: a Yandex stand-in on a local port and the provider pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from yandex_standin import KEY, render

from plugins.geo.standin import StandIn

from sbor_maps_yandex import YandexSettings
from sbor_maps_yandex.provider import YandexMaps


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def yandex_standin() -> AsyncIterator[StandIn]:
    server = StandIn(render)
    await server.start()
    yield server
    await server.stop()


def settings_for(url: str, **over: Any) -> YandexSettings:
    values: dict[str, Any] = {"api_key": KEY, "suggest_api_key": KEY, "router_api_key": KEY, "static_api_key": KEY,
                              "geocoder_url": f"{url}/1.x", "suggest_url": f"{url}/suggest/v1",
                              "router_url": f"{url}/router/v2", "static_url": "https://static-maps.yandex.ru/v1"}
    values.update(over)
    return YandexSettings(**values)


@pytest.fixture
def yandex_factory() -> Callable[..., YandexMaps]:
    def make(url: str, *, timeout_s: float = 0.5, max_bytes: int = 1_000_000, **over: Any) -> YandexMaps:
        return YandexMaps(settings_for(url, timeout_s=timeout_s, **over), user_agent="Sbor-tests/0.1 (yandex)",
                          max_bytes=max_bytes)

    return make
