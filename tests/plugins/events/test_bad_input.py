"""Bad input: each a problem+json with a stable code, never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.plugins.events.conftest import event_body, future

PROBLEM = "application/problem+json"


def _problem(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    if code:
        assert body["code"] == code, body
    return body


async def test_end_before_start(api: Any, person: Any) -> None:
    org = await person("organiser")
    start = future()
    body = event_body(start=start)
    body["ends_at"] = (start - timedelta(minutes=30)).isoformat()
    p = _problem(await api.post("/api/v1/events", headers=org.headers, json=body), 422, "ends_before_start")
    assert p["errors"][0]["pointer"] == "/ends_at"


async def test_start_in_the_past(api: Any, person: Any) -> None:
    org = await person("organiser")
    p = _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(start=future(days=-1))),
                 422, "starts_in_past")
    assert p["errors"][0]["pointer"] == "/starts_at"


async def test_capacity_below_participants(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish(capacity=5)
    for _ in range(3):
        u = await person()
        await api.post(f"/api/v1/events/{eid}/join", headers=u.headers, json={})
    p = _problem(await api.patch(f"/api/v1/events/{eid}", headers=org.headers, json={"capacity": 2}), 422,
                 "capacity_below_participants")
    assert p["errors"][0]["pointer"] == "/capacity"
    r = await api.patch(f"/api/v1/events/{eid}", headers=org.headers, json={"capacity": 3})
    assert r.status_code == 200 and r.json()["seats_left"] == 0


@pytest.mark.parametrize(("lat", "lng"), [(91, 0), (-90.5, 10), (10, 181), (0, -200)])
async def test_coordinates_out_of_range(api: Any, person: Any, lat: float, lng: float) -> None:
    org = await person("organiser")
    r = await api.post("/api/v1/events/venues", headers=org.headers,
                       json={"name": "X", "latitude": lat, "longitude": lng, "timezone": "UTC"})
    p = _problem(r, 422, "validation_failed")  # a range in the schema: the pointer names the field
    assert [e["pointer"] for e in p["errors"]] == ["/latitude" if abs(lat) > 90 else "/longitude"]
    _problem(await api.get("/api/v1/events", params={"near": f"{lat},{lng}"}), 400, "coordinates_out_of_range")


async def test_bad_near_and_radius(api: Any) -> None:
    _problem(await api.get("/api/v1/events", params={"near": "55.7,37.6", "radius_km": 10000}), 400,
             "radius_too_large")
    p = _problem(await api.get("/api/v1/events", params={"near": "55.7,37.6", "radius_km": 0}), 400,
                 "invalid_parameter")
    assert p["errors"][0]["parameter"] == "radius_km" and p["errors"][0]["in"] == "query"
    _problem(await api.get("/api/v1/events", params={"near": "moscow"}), 400, "invalid_parameter")
    _problem(await api.get("/api/v1/events", params={"near": "nan,1"}), 400, "invalid_parameter")
    _problem(await api.get("/api/v1/events", params={"radius_km": 5}), 400)
    _problem(await api.get("/api/v1/events", params={"limit": 1000}), 400)
    _problem(await api.get("/api/v1/events", params={"when": "someday"}), 400)
    _problem(await api.get("/api/v1/events", params={"when": "today", "tz": "Mars/Olympus"}), 400, "invalid_timezone")
    _problem(await api.get("/api/v1/events", params={"radius_km": "far"}), 400)
    # Every bad parameter is listed, not only the first.
    p = _problem(await api.get("/api/v1/events", params={"limit": 0, "price_max": -1, "from": "yesterday"}), 400)
    assert sorted(e["parameter"] for e in p["errors"]) == ["from", "limit", "price_max"]


async def test_unknown_tag_format(api: Any, person: Any) -> None:
    org = await person("organiser")
    for tags in (["Music"], ["with space"], ["#hash"], ["a" * 40], [""]):
        p = _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(tags=tags)), 422)
        assert p["errors"][0]["pointer"] == "/tags/0"
    _problem(await api.get("/api/v1/events", params={"tags": "ok,NOT OK"}), 400, "invalid_tag")


async def test_editing_someone_elses_event(api: Any, person: Any, publish: Any) -> None:
    eid, _org = await publish()
    other = await person("organiser")
    _problem(await api.patch(f"/api/v1/events/{eid}", headers=other.headers, json={"title": "Mine now"}), 403,
             "not_event_author")
    _problem(await api.delete(f"/api/v1/events/{eid}", headers=other.headers), 403, "not_event_author")
    _problem(await api.post(f"/api/v1/events/{eid}/submit", headers=other.headers), 403, "not_event_author")


async def test_joining_cancelled_or_finished(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish()
    await api.post(f"/api/v1/events/{eid}/cancel", headers=org.headers, json={"reason": "Rain"})
    u = await person()
    p = _problem(await api.post(f"/api/v1/events/{eid}/join", headers=u.headers, json={}), 409, "event_not_joinable")
    assert p["event_status"] == "cancelled"
    eid2, _ = await publish()
    from core import db

    await db.fetch("UPDATE events.event SET status = 'finished' WHERE id = $1", eid2)
    _problem(await api.post(f"/api/v1/events/{eid2}/join", headers=u.headers, json={}), 409, "event_not_joinable")


async def test_joining_twice(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish()
    u = await person()
    assert (await api.post(f"/api/v1/events/{eid}/join", headers=u.headers, json={})).status_code == 200
    _problem(await api.post(f"/api/v1/events/{eid}/join", headers=u.headers, json={}), 409, "already_joined")


async def test_other_bad_bodies(api: Any, person: Any, publish: Any) -> None:
    org = await person("organiser")
    _problem(await api.post("/api/v1/events", headers=org.headers, json={"title": "x"}), 422)
    _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(capacity="many")), 422)
    _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(surprise=1)), 422)
    _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(online_url=None)), 422,
             "place_required")
    p = _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(online_url="javascript:x")),
                 422)
    assert p["errors"][0]["pointer"] == "/online_url"
    _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(venue_id=999999, online_url=None)),
             422, "venue_not_found")
    _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(title="x" * 201)), 422)
    p = _problem(await api.post("/api/v1/events", headers=org.headers,
                                json=event_body(starts_at="2030-01-01T10:00:00")), 422)  # no UTC offset
    assert p["errors"][0]["pointer"] == "/starts_at"
    _problem(await api.post("/api/v1/events", headers={**org.headers, "Content-Type": "application/json"},
                            content=b"{not json"), 400)
    _problem(await api.post("/api/v1/events/venues", headers=org.headers,
                            json={"name": "X", "latitude": 1, "longitude": 1, "timezone": "Nowhere/City"}), 422,
             "invalid_timezone")
    eid, _ = await publish(capacity=2)
    u = await person()
    _problem(await api.post(f"/api/v1/events/{eid}/join", headers=u.headers, json={"guests": -1}), 422,
             "invalid_guests")
    _problem(await api.post(f"/api/v1/events/{eid}/join", headers=u.headers, json={"guests": 50}), 422,
             "invalid_guests")
    _problem(await api.post(f"/api/v1/events/{eid}/join", headers=u.headers, json={"guests": 4}), 422,
             "party_too_large")
    _problem(await api.post("/api/v1/events/999999/join", headers=u.headers, json={}), 404, "event_not_found")
    _problem(await api.get("/api/v1/events/999999"), 404, "event_not_found")


async def test_huge_payloads_and_bad_cursors(api: Any, person: Any) -> None:
    org = await person("organiser")
    _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(description="x" * 20_001)), 422)
    _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(tags=[f"t{i}" for i in range(11)])),
             422)
    _problem(await api.post("/api/v1/events", headers=org.headers, json=event_body(description="x" * 2_000_000)), 413)
    _problem(await api.get("/api/v1/events", params={"q": "слово " * 100}), 400)
    _problem(await api.get("/api/v1/events/mine", headers=org.headers, params={"cursor": "e30"}), 400,
             "invalid_cursor")
    from core.pagination import encode_cursor

    time_cursor = encode_cursor(future(), 5, scope="events.feed")  # a time-ordered feed's cursor is not a distance one
    _problem(await api.get("/api/v1/events", params={"near": "55.7,37.6", "cursor": time_cursor}), 400,
             "invalid_cursor")
