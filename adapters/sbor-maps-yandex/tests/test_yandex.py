"""What is particular to Yandex: the orders of coordinates on the wire, languages, keys, the router's sums."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plugins.geo import api as geo
from plugins.geo.conformance import MOSCOW, ROUTE, TVERSKAYA
from plugins.geo.standin import StandIn

from sbor_maps_yandex.provider import YandexMaps


@pytest.fixture
def standin(yandex_standin: StandIn) -> StandIn:
    yandex_standin.reset()
    yandex_standin.places.clear()
    yandex_standin.reverse_places = []
    yandex_standin.route = None
    return yandex_standin


async def test_geocoder_request_and_pos_read_as_lon_lat(standin: StandIn,
                                                        yandex_factory: Callable[..., YandexMaps]) -> None:
    provider = yandex_factory(standin.url)
    standin.places["Москва, Тверская, 7"] = [TVERSKAYA]
    [place] = await provider.geocode("Москва, Тверская, 7", lang="ru", limit=3, near=geo.Point(55.75, 37.6))
    assert (place.lat, place.lon, place.country_code, place.city) == (TVERSKAYA.lat, TVERSKAYA.lon, "RU", "Москва")
    sent = standin.requests[-1].query
    assert sent == {"apikey": "test-key", "geocode": "Москва, Тверская, 7", "format": "json", "lang": "ru_RU",
                    "results": "3", "ll": "37.6,55.75", "spn": "0.5,0.5"}
    await provider.aclose()


async def test_reverse_sends_lon_comma_lat(standin: StandIn, yandex_factory: Callable[..., YandexMaps]) -> None:
    provider = yandex_factory(standin.url)
    standin.reverse_places = [MOSCOW]
    [place] = await provider.reverse(geo.Point(MOSCOW.lat, MOSCOW.lon), lang="en")
    assert standin.requests[-1].query["geocode"] == "37.620795,55.753930"
    assert standin.requests[-1].query["lang"] == "en_US"
    assert place.label == MOSCOW.label
    await provider.aclose()


async def test_router_sends_lat_lon_and_sums_steps_with_waiting(standin: StandIn,
                                                                yandex_factory: Callable[..., YandexMaps]) -> None:
    provider = yandex_factory(standin.url)
    standin.route = geo.Route(mode="walk", distance_m=ROUTE.distance_m, duration_s=ROUTE.duration_s, line=ROUTE.line)
    route = await provider.route(geo.Point(55.757718, 37.611347), geo.Point(55.75393, 37.620795), mode="walk")
    assert standin.requests[-1].query["waypoints"] == "55.757718,37.611347|55.753930,37.620795"
    assert standin.requests[-1].query["mode"] == "walking"
    assert route is not None and route.duration_s == pytest.approx(ROUTE.duration_s)
    assert route.line[0] == ROUTE.line[0]
    assert await provider.route(geo.Point(55.1, 37.1), geo.Point(55.2, 37.2), mode="bicycle") is None  # not offered
    await provider.aclose()


async def test_a_wrong_key_is_refused(standin: StandIn, yandex_factory: Callable[..., YandexMaps]) -> None:
    provider = yandex_factory(standin.url, api_key="wrong")
    with pytest.raises(geo.ProviderRefused):
        await provider.geocode("Москва", lang="ru", limit=1, near=None)
    await provider.aclose()


def test_capabilities_follow_the_keys(yandex_factory: Callable[..., YandexMaps]) -> None:
    bare = yandex_factory("http://127.0.0.1:9", api_key="", suggest_api_key="", router_api_key="",
                          static_api_key="")
    assert bare.info.capabilities == {"deep_link"} and not bare.info.modes
    full = yandex_factory("http://127.0.0.1:9")
    assert full.info.capabilities == {"geocode", "reverse", "suggest", "route", "static_map", "deep_link"}
    url = full.static_map_url(geo.Point(55.75393, 37.620795), zoom=15, width=900, height=400)
    assert url is not None and "ll=37.620795%2C55.753930" in url and "size=650%2C400" in url


async def test_swapped_answer_is_rejected_by_geo(standin: StandIn, yandex_factory: Callable[..., YandexMaps]) -> None:
    # A vendor (or adapter) answering "lat lon" where Yandex writes "lon lat": geo sees a Moscow address in Iran
    from plugins.geo import GeoSettings, ProviderLimits
    from plugins.geo.broker import Providers, Via

    provider = yandex_factory(standin.url)
    query = "Москва, Красная площадь, " + standin.url.rsplit(":", 1)[1]  # a query no other test has cached
    standin.places[query] = [MOSCOW]
    standin.swap = True
    via = Via(Providers(by_name={"yandex": provider}),
              GeoSettings(geocode=["yandex"], providers={"yandex": ProviderLimits(per_second=1000)}))
    try:
        with pytest.raises(geo.MapsUnavailable) as caught:
            await geo.geocode(query, lang="ru", via=via)
        assert caught.value.extra["tried"] == [{"provider": "yandex", "failed": "provider_bad_answer"}]
    finally:
        await provider.aclose()
