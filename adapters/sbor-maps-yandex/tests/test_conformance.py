"""Geo's conformance kit against the Yandex provider and a local stand-in of Yandex's APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from plugins.geo.conformance import MapsProviderConformance
from plugins.geo.standin import StandIn

from sbor_maps_yandex.provider import YandexMaps


class TestYandexConformance(MapsProviderConformance):
    query_param = "geocode"

    @pytest_asyncio.fixture(loop_scope="session")
    async def standin(self, yandex_standin: StandIn) -> AsyncIterator[StandIn]:
        yandex_standin.places.clear()
        yandex_standin.reverse_places = []
        yandex_standin.route = None
        yield yandex_standin

    @pytest.fixture
    def make_provider(self, yandex_factory: Callable[..., YandexMaps]) -> Any:
        return yandex_factory
