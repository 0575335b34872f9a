"""Geo's lookups through the API and the services: answers, the cache, fallbacks and every bad input of the issue."""

from __future__ import annotations

import math
import time
from typing import Any

import httpx
import pytest

from core import cache
from core.errors import ValidationFailed
from plugins.geo import GeoSettings, ProviderLimits, routes
from plugins.geo import service as geo
from plugins.geo.broker import MapsUnavailable, Providers, Via, cache_key, compatible, load, normalise
from plugins.geo.conformance import MOSCOW, ROUTE, TVERSKAYA
from plugins.geo.hookspecs import CONTRACT_VERSION, Place, Point, ProviderInfo, ProviderUnavailable, Route
from plugins.geo.providers.nominatim import Nominatim
from plugins.geo.standin import StandIn

UA = "Sbor-tests/0.1 (geo)"


async def signed_in(make_user: Any, auth_headers: Any, *roles: str) -> tuple[Any, dict[str, str]]:
    user = await make_user(roles=list(roles))
    return user, await auth_headers(user)


def via_nominatim(standin: StandIn, **limits: Any) -> tuple[Nominatim, Via]:
    provider = Nominatim(standin.url, user_agent=UA, timeout_s=limits.get("timeout_s", 5.0))
    settings = GeoSettings(geocode=["nominatim"], reverse=["nominatim"],
                           providers={"nominatim": ProviderLimits(**({"per_second": 1000} | limits))})
    return provider, Via(Providers(by_name={"nominatim": provider}), settings)


async def test_geocode_route_answers_with_provider_timezone_and_attribution(
        geo_client: httpx.AsyncClient, nominatim_standin: StandIn, make_user: Any, auth_headers: Any) -> None:
    _user, headers = await signed_in(make_user, auth_headers)
    nominatim_standin.places["Москва, Тверская улица, 7"] = [TVERSKAYA]
    r = await geo_client.get("/api/v1/geo/geocode", params={"q": "Москва, Тверская улица, 7", "lang": "ru"},
                             headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["provider"] == "nominatim" and body["cached"] is False and "OpenStreetMap" in body["attribution"]
    [place] = body["items"]
    assert (place["lat"], place["lon"], place["timezone"]) == (TVERSKAYA.lat, TVERSKAYA.lon, "Europe/Moscow")
    again = await geo_client.get("/api/v1/geo/geocode", params={"q": "москва,  тверская улица, 7", "lang": "ru"},
                                 headers=headers)
    assert again.json()["cached"] is True and len(nominatim_standin.requests) == 1


async def test_geocode_needs_sign_in(geo_client: httpx.AsyncClient) -> None:
    r = await geo_client.get("/api/v1/geo/geocode", params={"q": "Moscow"})
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("lat", "lon"), [("91", "10"), ("10", "181"), ("nan", "10"), ("10", "-inf")])
async def test_reverse_refuses_points_off_the_earth(geo_client: httpx.AsyncClient, make_user: Any,
                                                    auth_headers: Any, lat: str, lon: str) -> None:
    _user, headers = await signed_in(make_user, auth_headers)
    r = await geo_client.get("/api/v1/geo/reverse", params={"lat": lat, "lon": lon}, headers=headers)
    assert r.status_code in (400, 422), r.text
    assert r.json()["code"] in ("coordinates_out_of_range", "invalid_parameter")


async def test_nan_and_out_of_range_points_in_the_services(fresh_geo: None) -> None:
    for lat, lon in ((91.0, 0.0), (0.0, 181.0), (math.nan, 0.0), (0.0, math.nan)):
        with pytest.raises(ValidationFailed) as bad:
            await geo.reverse(Point(lat, lon))
        assert bad.value.code == "coordinates_out_of_range"


async def test_empty_and_10000_character_addresses(geo_client: httpx.AsyncClient, make_user: Any,
                                                   auth_headers: Any, fresh_geo: None) -> None:
    _user, headers = await signed_in(make_user, auth_headers)
    for q, code in (("", "address_empty"), ("   ", "address_empty"), ("x" * 10_000, "address_too_long")):
        r = await geo_client.get("/api/v1/geo/geocode", params={"q": q}, headers=headers)
        assert r.status_code == 422 and r.json()["code"] == code, r.text
        with pytest.raises(ValidationFailed) as bad:
            await geo.geocode(q)
        assert bad.value.code == code


async def test_cyrillic_with_a_typo_goes_to_the_provider_as_typed(nominatim_standin: StandIn,
                                                                  fresh_geo: None) -> None:
    provider, via = via_nominatim(nominatim_standin)
    typo = "Москва, Тверкая улица 7"  # "Тверкая": the provider's fuzzy search is the one to forgive it
    nominatim_standin.places[typo] = [TVERSKAYA]
    answer = await geo.geocode(typo, lang="ru", via=via)
    assert nominatim_standin.requests[-1].query["q"] == typo
    assert answer.value[0].label == TVERSKAYA.label
    nominatim_standin.places.clear()
    assert (await geo.geocode("Масква, Тверкая 7 нет такого", lang="ru", via=via)).value == []  # empty is no error
    await provider.aclose()


async def test_swapped_coordinates_in_an_answer_are_refused_and_the_next_provider_answers(
        nominatim_standin: StandIn, fresh_geo: None) -> None:
    class Swapping:  # an adapter that gets the order wrong
        info = ProviderInfo(name="swapper", contract=CONTRACT_VERSION, capabilities=frozenset({"geocode"}))

        async def geocode(self, query: str, **_: Any) -> list[Place]:
            return [Place(lat=MOSCOW.lon, lon=MOSCOW.lat, label=MOSCOW.label, country_code="RU")]

        async def aclose(self) -> None:
            return None

    class OffTheEarth(Swapping):
        info = ProviderInfo(name="offearth", contract=CONTRACT_VERSION, capabilities=frozenset({"geocode"}))

        async def geocode(self, query: str, **_: Any) -> list[Place]:
            return [Place(lat=137.6, lon=55.7, label="Москва")]

    nominatim, _ = via_nominatim(nominatim_standin)
    nominatim_standin.places["Красная площадь"] = [MOSCOW]
    limits = {n: ProviderLimits(per_second=1000) for n in ("swapper", "offearth", "nominatim")}
    via = Via(Providers(by_name={"swapper": Swapping(), "offearth": OffTheEarth(),  # type: ignore[dict-item]
                                 "nominatim": nominatim}),
              GeoSettings(geocode=["swapper", "offearth", "nominatim"], providers=limits))
    answer = await geo.geocode("Красная площадь", lang="ru", via=via)
    assert answer.provider == "nominatim" and (answer.value[0].lat, answer.value[0].lon) == (MOSCOW.lat, MOSCOW.lon)
    await nominatim.aclose()


async def test_a_5_mb_answer_is_refused(nominatim_standin: StandIn, fresh_geo: None) -> None:
    provider, via = via_nominatim(nominatim_standin)
    nominatim_standin.huge(5 * 1024 * 1024)
    with pytest.raises(MapsUnavailable) as caught:
        await geo.geocode("Red Square", via=via)
    assert caught.value.extra["tried"] == [{"provider": "nominatim", "failed": "provider_bad_answer"}]
    await provider.aclose()


async def test_a_provider_hanging_60_s_is_cut_by_the_timeout(nominatim_standin: StandIn, fresh_geo: None) -> None:
    provider, via = via_nominatim(nominatim_standin, timeout_s=0.3)
    nominatim_standin.hang(60)
    started = time.monotonic()
    with pytest.raises(MapsUnavailable) as caught:
        await geo.geocode("Red Square", via=via)
    assert time.monotonic() - started < 2
    assert caught.value.extra["tried"][0]["failed"] in ("provider_unavailable", "timeout")
    await provider.aclose()


async def test_every_provider_down(geo_client: httpx.AsyncClient, nominatim_standin: StandIn, make_user: Any,
                                   auth_headers: Any) -> None:
    _user, headers = await signed_in(make_user, auth_headers)
    nominatim_standin.fail(503)
    r = await geo_client.get("/api/v1/geo/geocode", params={"q": "Red Square"}, headers=headers)
    assert r.status_code == 503 and r.json()["code"] == "maps_unavailable"
    assert r.json()["tried"] == [{"provider": "nominatim", "failed": "provider_unavailable"}]


async def test_vendor_429_answers_503_with_retry_after(geo_client: httpx.AsyncClient, nominatim_standin: StandIn,
                                                       make_user: Any, auth_headers: Any) -> None:
    _user, headers = await signed_in(make_user, auth_headers)
    nominatim_standin.fail(429, retry_after="12")
    r = await geo_client.get("/api/v1/geo/geocode", params={"q": "Red Square"}, headers=headers)
    assert r.status_code == 503 and r.headers["Retry-After"] == "12"
    r = await geo_client.get("/api/v1/geo/providers")
    nominatim = next(p for p in r.json() if p["name"] == "nominatim")
    assert nominatim["circuit_open"] is True and "geocode" in nominatim["capabilities"]


async def test_every_provider_down_says_what_each_did(nominatim_standin: StandIn, fresh_geo: None) -> None:
    class Down:  # a second provider, unreachable
        info = ProviderInfo(name="down", contract=CONTRACT_VERSION, capabilities=frozenset({"geocode"}))

        async def geocode(self, query: str, **_: Any) -> list[Place]:
            raise ProviderUnavailable("connection refused")

        async def aclose(self) -> None:
            return None

    nominatim, _ = via_nominatim(nominatim_standin)
    nominatim_standin.fail(503)
    limits = {n: ProviderLimits(per_second=1000) for n in ("down", "nominatim")}
    via = Via(Providers(by_name={"down": Down(), "nominatim": nominatim}),  # type: ignore[dict-item]
              GeoSettings(geocode=["down", "nominatim"], providers=limits))
    with pytest.raises(MapsUnavailable) as caught:
        await geo.geocode("Red Square", via=via)
    assert caught.value.extra["tried"] == [{"provider": "down", "failed": "provider_unavailable"},
                                           {"provider": "nominatim", "failed": "provider_unavailable"}]
    await nominatim.aclose()


async def test_each_providers_rate_limit_and_cache_ttl_are_its_own(nominatim_standin: StandIn, fresh_geo: None,
                                                                   clock: Any) -> None:
    clock.freeze()  # every call in the same instant: the per-second limit is deterministic
    provider, via = via_nominatim(nominatim_standin, per_second=1, cache_ttl_s=123)
    nominatim_standin.places["Red Square"] = [MOSCOW]
    assert (await geo.geocode("Red Square", via=via)).provider == "nominatim"
    ttl = await cache.client().ttl(cache_key("geocode", "en", f"5\x00{normalise('Red Square')}"))
    assert 100 < ttl <= 123  # the provider's own TTL (its terms), not a global one
    with pytest.raises(MapsUnavailable) as limited:
        await geo.geocode("Obelisco", via=via)
    assert limited.value.extra["tried"] == [{"provider": "nominatim", "skipped": "rate_limited"}]
    assert "Retry-After" in limited.value.headers and len(nominatim_standin.requests) == 1
    assert (await geo.geocode("red  square", via=via)).cached  # the cache still answers
    await provider.aclose()


async def test_a_route_skips_a_provider_without_the_mode(fresh_geo: None) -> None:
    class Walker:  # routes on foot only; listed first
        info = ProviderInfo(name="walker", contract=CONTRACT_VERSION, capabilities=frozenset({"route"}),
                            modes=frozenset({"walk"}))
        calls = 0

        async def route(self, origin: Point, destination: Point, *, mode: str) -> Route | None:
            Walker.calls += 1
            return None

        async def aclose(self) -> None:
            return None

    class Transit(Walker):
        info = ProviderInfo(name="transit", contract=CONTRACT_VERSION, capabilities=frozenset({"route"}),
                            modes=frozenset({"transit"}))

        async def route(self, origin: Point, destination: Point, *, mode: str) -> Route | None:
            return Route(mode="transit", distance_m=ROUTE.distance_m, duration_s=ROUTE.duration_s)

    limits = {n: ProviderLimits(per_second=1000) for n in ("walker", "transit")}
    via = Via(Providers(by_name={"walker": Walker(), "transit": Transit()}),  # type: ignore[dict-item]
              GeoSettings(route=["walker", "transit"], providers=limits))
    answer = await geo.route(Point(*ROUTE.line[0]), Point(*ROUTE.line[-1]), mode="transit", via=via)
    assert answer.provider == "transit" and answer.value is not None and Walker.calls == 0
    with pytest.raises(MapsUnavailable) as caught:
        await geo.route(Point(*ROUTE.line[0]), Point(*ROUTE.line[-1]), mode="car", via=via)
    assert caught.value.extra["tried"] == [{"provider": "walker", "skipped": "mode_not_offered"},
                                           {"provider": "transit", "skipped": "mode_not_offered"}]


def test_geo_error_codes_are_declared_in_openapi(make_app: Any) -> None:
    schema = make_app(["events", "geo"]).openapi_schema.to_schema()
    ops = {op["operationId"]: op for item in schema["paths"].values() for op in item.values()
           if isinstance(op, dict) and "operationId" in op}
    declared = {"geocode_address": routes.GEOCODE_CODES, "reverse_geocode": routes.REVERSE_CODES,
                "suggest_addresses": routes.SUGGEST_CODES, "get_event_directions": routes.DIRECTIONS_CODES,
                "set_home_area": routes.HOME_CODES, "create_venue_from_address": routes.VENUE_CODES,
                "move_venue_pin": routes.PIN_CODES, "list_venues_near": routes.NEAR_CODES,
                "get_located_venue": {404: ["venue_not_found"]}}
    for op_id, codes in declared.items():
        for status, names in codes.items():
            description = ops[op_id]["responses"][str(status)]["description"]
            assert all(f"`{name}`" in description for name in names), (op_id, status, description)
    assert "Retry-After" in ops["geocode_address"]["responses"]["503"]["headers"]


def test_contract_versions() -> None:
    assert compatible("1.0") and compatible(CONTRACT_VERSION)
    assert not compatible("2.0") and not compatible("1.9") and not compatible("") and not compatible("one")


def test_an_incompatible_adapter_is_refused_at_load(sbor_database: Any) -> None:
    class Future:
        info = ProviderInfo(name="future", contract="2.0", capabilities=frozenset({"geocode"}))

    class Registry:
        class hooks:  # the registry's attribute
            @staticmethod
            def collect(_spec: Any) -> list[tuple[str, Any]]:
                return [("maps_future", Future())]

    pool = load(Registry())  # type: ignore[arg-type]
    assert "future" not in pool.by_name and "not compatible" in pool.refused["future"]


async def test_suggest_and_providers_list(geo_client: httpx.AsyncClient, nominatim_standin: StandIn,
                                          make_user: Any, auth_headers: Any) -> None:
    _user, headers = await signed_in(make_user, auth_headers)
    nominatim_standin.places["Тверская"] = [TVERSKAYA]
    r = await geo_client.get("/api/v1/geo/suggest", params={"q": "Тверская", "lang": "ru", "near": "55.75,37.61"},
                             headers=headers)
    assert r.status_code == 200 and r.json()["items"][0]["label"] == TVERSKAYA.label
    r = await geo_client.get("/api/v1/geo/suggest", params={"q": "Тверская", "near": "55.75"}, headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "invalid_parameter"
    names = {p["name"] for p in (await geo_client.get("/api/v1/geo/providers")).json()}
    assert {"nominatim", "osrm", "links"} <= names


async def test_a_limit_out_of_range_is_400_not_clamped(make_client: Any, make_user: Any, auth_headers: Any) -> None:
    client = await make_client(["events", "geo"])
    headers = await auth_headers(await make_user())
    for bad in (0, 11, -3):
        r = await client.get("/api/v1/geo/geocode", params={"q": "Tverskaya 1", "limit": bad}, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "invalid_parameter", r.text
        assert r.json()["errors"][0]["parameter"] == "limit"
