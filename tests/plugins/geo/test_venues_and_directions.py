"""Venues by address (background geocoding, suggestions, the pin, duplicates), directions to an event, my area."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from core import clock
from core.users import lifecycle
from core.users.tables import User
from plugins.events import api as events
from plugins.geo.conformance import MOSCOW, TVERSKAYA
from plugins.geo.hookspecs import Route
from plugins.geo.standin import StandIn


async def organiser(make_user: Any, auth_headers: Any) -> tuple[Any, dict[str, str]]:
    user = await make_user(roles=["organiser"])
    return user, await auth_headers(user)


async def test_an_address_is_geocoded_in_the_background(geo_client: httpx.AsyncClient, nominatim_standin: StandIn,
                                                        make_user: Any, auth_headers: Any, run_jobs: Any) -> None:
    _org, headers = await organiser(make_user, auth_headers)
    nominatim_standin.places["Тверская улица, 7, Москва"] = [TVERSKAYA]
    r = await geo_client.post("/api/v1/geo/venues", headers=headers, json={
        "name": "Лофт", "address": "Тверская улица, 7", "city": "Москва", "lang": "ru"})
    assert r.status_code == 201, r.text
    venue = r.json()
    assert venue["located"] == "pending" and venue["latitude"] is None and venue["duplicate"] is False
    await run_jobs()
    r = await geo_client.get(f"/api/v1/geo/venues/{venue['id']}")
    assert r.json() | {} == r.json() and r.json()["located"] == "geocoded"
    assert (r.json()["latitude"], r.json()["longitude"], r.json()["timezone"]) == (TVERSKAYA.lat, TVERSKAYA.lon,
                                                                                   "Europe/Moscow")
    # typed again, with other spacing and case: the same venue
    again = await geo_client.post("/api/v1/geo/venues", headers=headers, json={
        "name": "Loft", "address": "тверская  улица , 7", "city": "москва"})
    assert again.status_code == 201 and again.json()["id"] == venue["id"] and again.json()["duplicate"] is True


async def test_an_address_nobody_knows_fails_and_the_pin_then_places_it(
        geo_client: httpx.AsyncClient, make_user: Any, auth_headers: Any, run_jobs: Any) -> None:
    _org, headers = await organiser(make_user, auth_headers)
    r = await geo_client.post("/api/v1/geo/venues", headers=headers, json={"name": "Дача", "address": "Нигде, 0"})
    await run_jobs()
    vid = r.json()["id"]
    assert (await events.venue_location(vid)).located == "failed"
    r = await geo_client.put(f"/api/v1/geo/venues/{vid}/pin", headers=headers,
                             json={"latitude": 59.9390, "longitude": 30.3158})
    assert r.status_code == 200 and r.json()["located"] == "pinned" and r.json()["timezone"] == "Europe/Moscow"
    stranger = await make_user(roles=["organiser"])
    r = await geo_client.put(f"/api/v1/geo/venues/{vid}/pin", headers=await auth_headers(stranger),
                             json={"latitude": 59.9, "longitude": 30.3})
    assert r.status_code == 403 and r.json()["code"] == "not_venue_creator"
    r = await geo_client.put(f"/api/v1/geo/venues/{vid}/pin", headers=headers, json={"latitude": 91, "longitude": 0})
    assert r.status_code == 422
    r = await geo_client.put("/api/v1/geo/venues/999999/pin", headers=headers, json={"latitude": 1, "longitude": 1})
    assert r.status_code == 404 and r.json()["code"] == "venue_not_found"


async def test_a_picked_suggestion_is_placed_at_once_and_duplicates_by_distance(
        geo_client: httpx.AsyncClient, make_user: Any, auth_headers: Any) -> None:
    _org, headers = await organiser(make_user, auth_headers)
    body = {"name": "Бар Ласточка", "address": "Невский проспект, 1", "city": "Санкт-Петербург",
            "latitude": 59.9358, "longitude": 30.3256}
    first = await geo_client.post("/api/v1/geo/venues", headers=headers, json=body)
    assert first.status_code == 201 and first.json()["located"] == "pinned"
    assert first.json()["timezone"] == "Europe/Moscow"
    near = await geo_client.post("/api/v1/geo/venues", headers=headers, json=body | {
        "address": "Невский пр., д. 1", "latitude": 59.9359, "longitude": 30.3257})  # same name, 13 m away
    assert near.json()["id"] == first.json()["id"] and near.json()["duplicate"] is True
    far = await geo_client.post("/api/v1/geo/venues", headers=headers, json=body | {
        "address": "Невский пр., д. 100", "latitude": 59.9311, "longitude": 30.3609})
    assert far.json()["id"] != first.json()["id"]
    half = await geo_client.post("/api/v1/geo/venues", headers=headers, json=body | {"longitude": None})
    assert half.status_code == 422 and half.json()["code"] == "coordinates_incomplete"
    listed = await geo_client.get("/api/v1/geo/venues", params={"near": "59.9358,30.3256", "radius_km": 5})
    assert [v["id"] for v in listed.json()][:2] == [first.json()["id"], far.json()["id"]]
    assert listed.json()[0]["distance_km"] == 0
    r = await geo_client.get("/api/v1/geo/venues", params={"near": "59.9,30.3", "radius_km": 500})
    assert r.status_code == 400 and r.json()["code"] == "radius_too_large"


async def test_creating_venues_needs_the_permission(geo_client: httpx.AsyncClient, make_user: Any,
                                                    auth_headers: Any) -> None:
    user = await make_user()
    r = await geo_client.post("/api/v1/geo/venues", headers=await auth_headers(user),
                              json={"name": "X", "address": "Y"})
    assert r.status_code == 403


async def _event_at(venue_id: int, author_id: int, status: str = "published") -> int:
    from plugins.events.tables import Event

    start = clock.now() + timedelta(days=2)
    venue = await events.venue_location(venue_id)
    rows = await Event.insert(Event(title="Jazz", starts_at=start, ends_at=start + timedelta(hours=2),
                                    timezone=venue.timezone, venue=venue_id, latitude=venue.latitude,
                                    longitude=venue.longitude, author=author_id, status=status)).returning(Event.id)
    return int(rows[0]["id"])


async def test_directions_route_eta_links_and_the_offline_fallback(
        geo_client: httpx.AsyncClient, osrm_standin: StandIn, make_user: Any, auth_headers: Any) -> None:
    org, headers = await organiser(make_user, auth_headers)
    venue = await events.create_located_venue(name="Площадь", address="Красная площадь", city="Москва",
                                              latitude=MOSCOW.lat, longitude=MOSCOW.lon, timezone="Europe/Moscow",
                                              located="manual", created_by=org.id)
    event_id = await _event_at(venue.id, org.id)
    here = {"lat": TVERSKAYA.lat, "lon": TVERSKAYA.lon}
    osrm_standin.route = Route(mode="walk", distance_m=900, duration_s=720,
                               line=((TVERSKAYA.lat, TVERSKAYA.lon), (MOSCOW.lat, MOSCOW.lon)))
    r = await geo_client.post(f"/api/v1/geo/events/{event_id}/directions", json={"origin": here, "mode": "walk"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["provider"] == "osrm" and body["fallback"] is False and body["route"]["duration_s"] == 720
    assert body["route"]["line"][0] == [TVERSKAYA.lat, TVERSKAYA.lon]
    assert set(body["links"]) >= {"yandex", "2gis", "google", "apple"}
    assert "rtext=55.757718%2C37.611347~55.753930%2C37.620795" in body["links"]["yandex"]
    assert "/from/37.611347,55.757718/to/37.620795,55.753930" in body["links"]["2gis"]
    assert 0.7 < body["straight_km"] < 0.8
    # no routing provider for the mode (OSRM here routes walk and car): the straight line, no ETA but on foot
    r = await geo_client.post(f"/api/v1/geo/events/{event_id}/directions", json={"origin": here, "mode": "transit"})
    body = r.json()
    assert (body["fallback"], body["route"], body["provider"], body["eta"]) == (True, None, None, None)
    assert body["walking_minutes"] >= 10 and "rtt=mt" in body["links"]["yandex"]
    # the routing provider down: the straight line and a walking estimate
    osrm_standin.fail(502)
    r = await geo_client.post(f"/api/v1/geo/events/{event_id}/directions", json={"origin": here, "mode": "walk"})
    body = r.json()
    assert body["fallback"] is True and body["route"] is None and body["walking_minutes"] >= 10 and body["eta"]
    # no position: the links only
    r = await geo_client.post(f"/api/v1/geo/events/{event_id}/directions", json={})
    assert r.json()["straight_km"] is None and "pt=37.620795%2C55.753930" in r.json()["links"]["yandex"]
    r = await geo_client.post(f"/api/v1/geo/events/{event_id}/directions",
                              json={"origin": {"lat": 91, "lon": 0}})
    assert r.status_code == 422
    r = await geo_client.post(f"/api/v1/geo/events/{event_id}/directions", json={"origin": here, "mode": "plane"})
    assert r.status_code == 422
    draft = await _event_at(venue.id, org.id, status="draft")
    r = await geo_client.post(f"/api/v1/geo/events/{draft}/directions", json={"origin": here})
    assert r.status_code == 404 and r.json()["code"] == "event_not_found"
    r = await geo_client.post(f"/api/v1/geo/events/{draft}/directions", json={}, headers=headers)
    assert r.status_code == 200  # its author sees it


async def test_moving_the_pin_moves_the_coming_events(geo_client: httpx.AsyncClient, make_user: Any,
                                                      auth_headers: Any) -> None:
    org, headers = await organiser(make_user, auth_headers)
    venue = await events.create_located_venue(name="Клуб", address="Арбат, 1", city="Москва", latitude=55.75,
                                              longitude=37.59, timezone="Europe/Moscow", located="manual",
                                              created_by=org.id)
    event_id = await _event_at(venue.id, org.id)
    await geo_client.put(f"/api/v1/geo/venues/{venue.id}/pin", headers=headers,
                         json={"latitude": 56.8389, "longitude": 60.6057})  # Yekaterinburg
    info = await events.get_event_info(event_id)
    assert (info.latitude, info.longitude, info.timezone) == (56.8389, 60.6057, "Asia/Yekaterinburg")


async def test_my_area_is_rounded_private_and_deletable(geo_client: httpx.AsyncClient, nominatim_standin: StandIn,
                                                        make_user: Any, auth_headers: Any) -> None:
    user = await make_user()
    headers = await auth_headers(user)
    assert (await geo_client.get("/api/v1/geo/home", headers=headers)).json() == {"lat": None, "lon": None}
    r = await geo_client.put("/api/v1/geo/home", headers=headers, json={"lat": 55.753930, "lon": 37.620795})
    assert r.json() == {"lat": 55.75, "lon": 37.62}
    row = await User.select(User.home_lat, User.home_lon).where(User.id == user.id).first()
    assert row == {"home_lat": 55.75, "home_lon": 37.62}  # only the rounded point is stored
    other = await make_user()
    profile = await geo_client.get(f"/api/v1/users/{user.id}/profile", headers=await auth_headers(other))
    assert profile.status_code == 200 and "home_" not in profile.text and "55.75" not in profile.text  # nobody else
    exported = await geo_client.get("/api/v1/me/export", headers=headers)
    assert (exported.json()["account"]["home_lat"], exported.json()["account"]["home_lon"]) == (55.75, 37.62)
    nominatim_standin.places["Казань"] = [MOSCOW.__class__(lat=55.796127, lon=49.106414, label="Казань",
                                                           country_code="RU")]
    r = await geo_client.put("/api/v1/geo/home", headers=headers, json={"city": "Казань"})
    assert r.json() == {"lat": 55.8, "lon": 49.11}
    r = await geo_client.put("/api/v1/geo/home", headers=headers, json={"city": "Атлантида"})
    assert r.status_code == 422 and r.json()["code"] == "city_not_found"
    r = await geo_client.put("/api/v1/geo/home", headers=headers, json={"city": "Казань", "lat": 1.0, "lon": 1.0})
    assert r.status_code == 422 and r.json()["code"] == "home_point_or_city"
    r = await geo_client.put("/api/v1/geo/home", headers=headers, json={"lat": 91, "lon": 1.0})
    assert r.status_code == 422
    assert (await geo_client.delete("/api/v1/geo/home", headers=headers)).status_code == 204
    assert (await geo_client.get("/api/v1/geo/home", headers=headers)).json() == {"lat": None, "lon": None}
    assert (await geo_client.get("/api/v1/geo/home")).status_code == 401
    await geo_client.put("/api/v1/geo/home", headers=headers, json={"lat": 55.75, "lon": 37.62})
    await lifecycle.anonymise(user.id)  # what deleting the account does
    row = await User.select(User.home_lat, User.home_lon).where(User.id == user.id).first()
    assert row == {"home_lat": None, "home_lon": None}


@pytest.mark.parametrize("radius", [0.5, 3.0])
async def test_venues_near_share_core_geo_with_the_feed(radius: float, make_user: Any, sbor_database: Any) -> None:
    from core.geo import haversine_km

    org = await make_user(roles=["organiser"])
    venue = await events.create_located_venue(name="Near", address=f"Point {radius}", city="", latitude=10.0,
                                              longitude=179.999, timezone="UTC", located="manual", created_by=org.id)
    found = await events.venues_near(10.0, -179.999, radius)  # across the antimeridian: 0.22 km away
    assert [v.id for v, _ in found] == [venue.id]
    assert found[0][1] == pytest.approx(haversine_km(10.0, 179.999, 10.0, -179.999), abs=1e-6)
