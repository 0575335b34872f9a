"""The conformance kit: one pytest suite every maps-provider adapter's tests run, against a stand-in of its vendor.

Subclass :class:`MapsProviderConformance` in the adapter's tests and give it three things::

    from plugins.geo.conformance import MapsProviderConformance
    from plugins.geo.standin import StandIn

    class TestYandexConformance(MapsProviderConformance):
        query_param = "geocode"                      # the query parameter that carries the address to the vendor

        @pytest_asyncio.fixture(loop_scope="session")
        async def standin(self):                     # a stand-in speaking your vendor's JSON
            server = StandIn(render_yandex)
            await server.start()
            yield server
            await server.stop()

        @pytest.fixture
        def make_provider(self):                     # your provider pointed at the stand-in
            return lambda url, *, timeout_s, max_bytes: YandexMaps(..., timeout_s=timeout_s, max_bytes=max_bytes)

It proves, for the capabilities the provider declares: a compatible contract version; coordinates in range and in
the (lat, lon) order whatever the vendor's order; Cyrillic addresses sent and returned intact; nothing found is an
empty answer, not an error; 429 (with its Retry-After), 5xx, a 5 MB answer and a hang map to the contract's errors
and, through geo, open the circuit or fall through; the daily budget is enforced; the second identical call is a
cache hit. The tests need Sbor's test fixtures (``-p core.testing``) for Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import pytest
import pytest_asyncio

from core import cache
from plugins.geo import GeoSettings, ProviderLimits
from plugins.geo import service as geo
from plugins.geo.broker import MapsUnavailable, Providers, Via, compatible
from plugins.geo.hookspecs import (
    CAPABILITIES,
    MODES,
    MapsProvider,
    Place,
    Point,
    ProviderBadAnswer,
    ProviderRateLimited,
    ProviderUnavailable,
    Route,
)
from plugins.geo.standin import StandIn

MOSCOW = Place(lat=55.753930, lon=37.620795, label="Россия, Москва, Красная площадь", country_code="RU",
               city="Москва", address="Россия, Москва, Красная площадь", precision="exact")
TVERSKAYA = Place(lat=55.757718, lon=37.611347, label="Россия, Москва, Тверская улица, 7", country_code="RU",
                  city="Москва", address="Россия, Москва, Тверская улица, 7", precision="exact")
BUENOS_AIRES = Place(lat=-34.603722, lon=-58.381592, label="Obelisco, Buenos Aires, Argentina", country_code="AR",
                     city="Buenos Aires", precision="exact")
ROUTE = Route(mode="walk", distance_m=1234.5, duration_s=987.0,
              line=((55.757718, 37.611347), (55.755800, 37.617300), (55.753930, 37.620795)))

Factory = Callable[..., MapsProvider]


async def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether ``condition`` becomes true within ``seconds`` (checked while the stand-in, on this loop, serves)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


class MapsProviderConformance:
    """The suite. Subclasses provide the ``standin`` and ``make_provider`` fixtures and ``query_param``."""

    query_param: str = "q"
    """The query parameter carrying the address to the vendor (checked for the Cyrillic round trip)."""
    timeout_s: float = 5.0
    """The provider's timeout for ordinary calls (generous: a stand-in answers at once, a loaded CI machine may not)."""
    hang_timeout_s: float = 0.5
    """The provider's timeout in the hang test (which waits about this long)."""

    # Fixtures ------------------------------------------------------------------------------------------------------

    @pytest.fixture
    def provider(self, standin: StandIn, make_provider: Factory) -> MapsProvider:
        """The adapter under test, pointed at the stand-in."""
        standin.reset()
        return make_provider(standin.url, timeout_s=self.timeout_s, max_bytes=1_000_000)

    @pytest_asyncio.fixture(autouse=True, loop_scope="session")
    async def _fresh_geo_state(self, sbor_env: dict[str, str]) -> AsyncIterator[None]:
        """No cache entries, circuits or counters left from another test."""
        redis = cache.client()
        for pattern in (cache.key("geo", "*"), cache.key("rl", "geo.*")):
            async for key in redis.scan_iter(match=pattern):
                await redis.delete(key)
        yield

    def via(self, provider: MapsProvider, **limits: Any) -> Via:
        """Geo's machinery with only this provider, first for every capability."""
        name = provider.info.name
        values = {"per_second": 1000, "daily_budget": 1000, "cache_ttl_s": 600, "timeout_s": self.timeout_s} | limits
        settings = GeoSettings(geocode=[name], reverse=[name], suggest=[name], route=[name], static_map=[name],
                               deep_link=[name], providers={name: msgspec.convert(values, ProviderLimits)},
                               circuit_failures=2, circuit_open_s=30)
        return Via(Providers(by_name={name: provider}), settings)

    def needs(self, provider: MapsProvider, capability: str) -> None:
        if capability not in provider.info.capabilities:
            pytest.skip(f"{provider.info.name} does not declare {capability}")

    # The contract --------------------------------------------------------------------------------------------------

    async def test_declares_a_compatible_contract(self, provider: MapsProvider) -> None:
        info = provider.info
        assert compatible(info.contract), f"contract {info.contract!r} is not compatible"
        assert info.name.isidentifier() and info.name == info.name.lower()
        assert info.capabilities and set(info.capabilities) <= set(CAPABILITIES)
        assert set(info.modes) <= set(MODES)
        assert ("route" in info.capabilities) == bool(info.modes) or "route" not in info.capabilities
        assert info.cache_ttl_s >= 0 and info.per_second >= 1 and info.daily_budget >= 0 and info.timeout_s > 0
        await provider.aclose()

    async def test_geocode_gives_points_in_range_and_in_lat_lon_order(self, provider: MapsProvider,
                                                                      standin: StandIn) -> None:
        self.needs(provider, "geocode")
        standin.places["Red Square"] = [MOSCOW]
        standin.places["Obelisco"] = [BUENOS_AIRES]
        [moscow] = await provider.geocode("Red Square", lang="en", limit=5, near=None)
        assert (moscow.lat, moscow.lon) == pytest.approx((MOSCOW.lat, MOSCOW.lon), abs=1e-5)
        [south_west] = await provider.geocode("Obelisco", lang="en", limit=5, near=None)  # negative lat and lon
        assert (south_west.lat, south_west.lon) == pytest.approx((BUENOS_AIRES.lat, BUENOS_AIRES.lon), abs=1e-5)
        assert moscow.country_code in (None, "RU")
        await provider.aclose()

    async def test_cyrillic_addresses_round_trip(self, provider: MapsProvider, standin: StandIn) -> None:
        self.needs(provider, "geocode")
        query = "Москва, Тверская улица, 7"
        standin.places[query] = [TVERSKAYA]
        [place] = await provider.geocode(query, lang="ru", limit=5, near=None)
        assert standin.requests[-1].query[self.query_param] == query  # sent as UTF-8, decoded intact
        assert place.label == TVERSKAYA.label
        await provider.aclose()

    async def test_nothing_found_is_an_empty_answer(self, provider: MapsProvider) -> None:
        self.needs(provider, "geocode")
        assert await provider.geocode("Нигдеград, улица Несуществующая, 0", lang="ru", limit=5, near=None) == []
        await provider.aclose()

    async def test_reverse_gives_the_place_in_lat_lon_order(self, provider: MapsProvider, standin: StandIn) -> None:
        self.needs(provider, "reverse")
        standin.reverse_places = [MOSCOW]
        [place] = await provider.reverse(Point(MOSCOW.lat, MOSCOW.lon), lang="ru")
        assert (place.lat, place.lon) == pytest.approx((MOSCOW.lat, MOSCOW.lon), abs=1e-5)
        standin.reverse_places = []
        assert await provider.reverse(Point(0.0, -160.0), lang="ru") == []  # the middle of the Pacific
        await provider.aclose()

    async def test_suggest_gives_labels(self, provider: MapsProvider, standin: StandIn) -> None:
        self.needs(provider, "suggest")
        standin.places["Тверская"] = [TVERSKAYA]
        found = await provider.suggest("Тверская", lang="ru", limit=5, near=Point(MOSCOW.lat, MOSCOW.lon))
        assert found and found[0].label
        for s in found:
            assert (s.lat is None) == (s.lon is None)
        await provider.aclose()

    async def test_route_gives_distance_duration_and_line_in_lat_lon_order(self, provider: MapsProvider,
                                                                           standin: StandIn) -> None:
        self.needs(provider, "route")
        mode = sorted(provider.info.modes)[0]
        standin.route = Route(mode=mode, distance_m=ROUTE.distance_m, duration_s=ROUTE.duration_s, line=ROUTE.line)
        found = await provider.route(Point(*ROUTE.line[0]), Point(*ROUTE.line[-1]), mode=mode)
        assert found is not None and found.mode == mode
        assert found.distance_m == pytest.approx(ROUTE.distance_m, rel=1e-3)
        assert found.duration_s == pytest.approx(ROUTE.duration_s, rel=1e-3)
        if found.line:
            assert found.line[0] == pytest.approx(ROUTE.line[0], abs=1e-5)
        standin.route = None
        assert await provider.route(Point(*ROUTE.line[0]), Point(0.0, -160.0), mode=mode) is None  # no route
        await provider.aclose()

    async def test_links_and_maps_are_https_urls_with_the_point(self, provider: MapsProvider) -> None:
        if not {"deep_link", "static_map"} & set(provider.info.capabilities):
            pytest.skip("no links nor static maps")
        point = Point(55.75393, 37.620795)
        urls: list[str] = []
        if "deep_link" in provider.info.capabilities:
            urls += provider.deep_links(point, origin=Point(55.7577, 37.6113), mode="walk").values()
            urls += provider.deep_links(point, origin=None, mode="car").values()
        if "static_map" in provider.info.capabilities:
            url = provider.static_map_url(point, zoom=15, width=600, height=400)
            assert url is not None
            urls.append(url)
        assert urls
        for url in urls:
            assert url.startswith("https://") and "55.75393" in url and "37.620795" in url, url
        await provider.aclose()

    # Failures the vendor makes -------------------------------------------------------------------------------------

    async def _any_call(self, provider: MapsProvider) -> Any:
        caps = provider.info.capabilities
        if "geocode" in caps:
            return await provider.geocode("Red Square", lang="en", limit=5, near=None)
        if "reverse" in caps:
            return await provider.reverse(Point(MOSCOW.lat, MOSCOW.lon), lang="en")
        if "route" in caps:
            return await provider.route(Point(*ROUTE.line[0]), Point(*ROUTE.line[-1]),
                                        mode=sorted(provider.info.modes)[0])
        pytest.skip("no capability calls the vendor")

    async def test_429_is_rate_limited_with_the_retry_hint(self, provider: MapsProvider, standin: StandIn) -> None:
        standin.fail(429, retry_after="7")
        with pytest.raises(ProviderRateLimited) as caught:
            await self._any_call(provider)
        assert caught.value.retry_after == pytest.approx(7)
        await provider.aclose()

    @pytest.mark.parametrize("status", [500, 502, 503])
    async def test_5xx_is_unavailable(self, provider: MapsProvider, standin: StandIn, status: int) -> None:
        standin.fail(status)
        with pytest.raises(ProviderUnavailable):
            await self._any_call(provider)
        await provider.aclose()

    @pytest.mark.parametrize("declared", [False, True])
    async def test_a_5_mb_answer_is_refused_before_parsing(self, provider: MapsProvider, standin: StandIn,
                                                            declared: bool) -> None:
        standin.huge(5 * 1024 * 1024, declared=declared)
        with pytest.raises(ProviderBadAnswer):
            await self._any_call(provider)
        await provider.aclose()

    async def test_a_hanging_vendor_times_out(self, standin: StandIn, make_provider: Factory) -> None:
        standin.reset()
        provider = make_provider(standin.url, timeout_s=self.hang_timeout_s, max_bytes=1_000_000)
        standin.hang(60)
        started = time.monotonic()
        with pytest.raises((ProviderUnavailable, TimeoutError)):
            await self._any_call(provider)
        assert time.monotonic() - started < self.hang_timeout_s * 4 + 1
        await provider.aclose()

    # Through geo: circuit, budget, cache ---------------------------------------------------------------------------

    async def test_through_geo_a_429_opens_the_circuit(self, provider: MapsProvider, standin: StandIn) -> None:
        self.needs(provider, "geocode")
        via = self.via(provider)
        standin.fail(429, retry_after="30")
        with pytest.raises(MapsUnavailable) as first:
            await geo.geocode("Red Square", via=via)
        assert first.value.extra["tried"] == [{"provider": provider.info.name, "failed": "provider_rate_limited"}]
        assert first.value.headers["Retry-After"] == "30"
        seen = len(standin.requests)
        with pytest.raises(MapsUnavailable) as second:
            await geo.geocode("Red Square", via=via)
        assert second.value.extra["tried"] == [{"provider": provider.info.name, "skipped": "circuit_open"}]
        assert len(standin.requests) == seen  # the vendor was left alone
        await provider.aclose()

    async def test_through_geo_the_daily_budget_is_enforced(self, provider: MapsProvider, standin: StandIn) -> None:
        self.needs(provider, "geocode")
        via = self.via(provider, daily_budget=2)
        for q in ("Red Square", "Obelisco"):
            standin.places[q] = [MOSCOW]
            await geo.geocode(q, via=via)
        with pytest.raises(MapsUnavailable) as spent:
            await geo.geocode("Тверская улица, 7", via=via)
        assert spent.value.extra["tried"] == [{"provider": provider.info.name, "skipped": "budget_spent"}]
        assert len(standin.requests) == 2
        await provider.aclose()

    async def test_through_geo_the_second_call_is_a_cache_hit(self, provider: MapsProvider, standin: StandIn) -> None:
        self.needs(provider, "geocode")
        via = self.via(provider)
        standin.places["Москва, Тверская улица, 7"] = [TVERSKAYA]
        first = await geo.geocode("Москва, Тверская улица, 7", lang="ru", via=via)
        again = await geo.geocode("  москва ,  Тверская  улица, 7 ", lang="ru", via=via)  # the same, normalised
        assert (first.cached, again.cached) == (False, True)
        assert first.provider == again.provider == provider.info.name
        assert again.value == first.value and len(standin.requests) == 1
        await provider.aclose()

    async def test_through_geo_a_hang_is_cut_by_geos_timeout(self, provider: MapsProvider, standin: StandIn) -> None:
        self.needs(provider, "geocode")
        via = self.via(provider, timeout_s=0.5)  # geo's own timeout; the adapter's client would wait much longer
        assert await provider.geocode("warm up", lang="en", limit=1, near=None) == []  # a connection in the pool
        standin.hang(60)
        started = time.monotonic()
        with pytest.raises(MapsUnavailable) as caught:
            await geo.geocode("Red Square", via=via)
        assert time.monotonic() - started < 3
        assert caught.value.extra["tried"] == [{"provider": provider.info.name, "failed": "timeout"}]
        assert await _wait_until(lambda: len(standin.requests) == 2, 5)  # the vendor was asked, and hung
        await provider.aclose()
