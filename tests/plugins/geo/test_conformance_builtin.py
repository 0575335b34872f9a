"""The conformance kit run against geo's own providers (Nominatim, OSRM, links): the kit works, and so do they."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from plugins.geo import standin as standins
from plugins.geo.conformance import MapsProviderConformance
from plugins.geo.providers.links import Links
from plugins.geo.providers.nominatim import Nominatim
from plugins.geo.providers.osrm import Osrm
from plugins.geo.standin import StandIn

UA = "Sbor-tests/0.1 (geo conformance)"


class TestNominatimConformance(MapsProviderConformance):
    query_param = "q"

    @pytest_asyncio.fixture(loop_scope="session")
    async def standin(self, nominatim_standin: StandIn) -> AsyncIterator[StandIn]:
        nominatim_standin.places.clear()
        nominatim_standin.reverse_places = []
        yield nominatim_standin

    @pytest.fixture
    def make_provider(self) -> Any:
        return lambda url, *, timeout_s, max_bytes: Nominatim(url, user_agent=UA, email="ops@example.org",
                                                              timeout_s=timeout_s, max_bytes=max_bytes)

    async def test_sends_the_usage_policy_headers(self, provider: Any, standin: StandIn) -> None:
        await provider.geocode("Red Square", lang="ru", limit=3, near=None)
        sent = standin.requests[-1]
        assert sent.headers["user-agent"] == UA  # never httpx's stock one (the public server refuses those)
        assert sent.query == {"q": "Red Square", "format": "jsonv2", "addressdetails": "1", "limit": "3",
                              "accept-language": "ru", "email": "ops@example.org"}
        await provider.aclose()

    def test_the_public_server_gets_one_request_a_second_and_no_typing_suggestions(self) -> None:
        public = Nominatim("https://nominatim.openstreetmap.org", user_agent=UA)
        assert public.info.per_second == 1 and "suggest" not in public.info.capabilities
        own = Nominatim("http://nominatim.internal:8080", user_agent=UA)
        assert own.info.per_second > 1 and "suggest" in own.info.capabilities


class TestOsrmConformance(MapsProviderConformance):
    @pytest_asyncio.fixture(loop_scope="session")
    async def standin(self, osrm_standin: StandIn) -> AsyncIterator[StandIn]:
        osrm_standin.route = None
        yield osrm_standin

    @pytest.fixture
    def make_provider(self) -> Any:
        return lambda url, *, timeout_s, max_bytes: Osrm(url, mode_urls={"walk": url}, user_agent=UA,
                                                         timeout_s=timeout_s, max_bytes=max_bytes)

    async def test_sends_lon_lat_on_the_wire(self, provider: Any, standin: StandIn) -> None:
        from plugins.geo.hookspecs import Point

        await provider.route(Point(55.1, 37.2), Point(55.3, 37.4), mode="walk")
        assert standin.requests[-1].path == "/route/v1/foot/37.200000,55.100000;37.400000,55.300000"
        await provider.aclose()


class TestLinksConformance(MapsProviderConformance):
    @pytest_asyncio.fixture(loop_scope="session")
    async def standin(self) -> AsyncIterator[StandIn]:
        server = StandIn(standins.nominatim)  # never called: links need no vendor
        await server.start()
        yield server
        await server.stop()

    @pytest.fixture
    def make_provider(self) -> Any:
        return lambda url, *, timeout_s, max_bytes: Links()
