"""Against Yandex's real APIs, when a key is configured (``SBOR_PLUGINS__MAPS_YANDEX__API_KEY``); skipped otherwise."""

from __future__ import annotations

import os

import pytest

from plugins.geo import api as geo

from sbor_maps_yandex import YandexSettings
from sbor_maps_yandex.provider import YandexMaps

KEY = os.environ.get("SBOR_PLUGINS__MAPS_YANDEX__API_KEY", "")
pytestmark = [pytest.mark.live, pytest.mark.skipif(not KEY, reason="no Yandex API key configured")]


async def test_live_geocode_red_square() -> None:
    provider = YandexMaps(YandexSettings(api_key=KEY), user_agent="Sbor-tests/0.1 (live)")
    try:
        places = await provider.geocode("Москва, Красная площадь", lang="ru", limit=1, near=None)
    finally:
        await provider.aclose()
    assert places and geo.haversine_km(places[0].lat, places[0].lon, 55.7539, 37.6208) < 2
