"""First end-to-end path: create, submit, approve, join, read."""

from __future__ import annotations

from typing import Any

from tests.plugins.events.conftest import event_body


async def test_create_submit_publish_join(api: Any, person: Any, venue: Any) -> None:
    org = await person("organiser")
    r = await api.post("/api/v1/events", headers=org.headers, json=event_body(venue_id=venue["id"], capacity=5))
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["status"] == "draft" and ev["timezone"] == "Europe/Moscow" and ev["seats_left"] == 5
    eid = ev["id"]
    assert (await api.post(f"/api/v1/events/{eid}/submit", headers=org.headers)).status_code == 200
    mod = await person("moderator")
    r = await api.post(f"/api/v1/events/{eid}/approve", headers=mod.headers)
    assert r.status_code == 200, r.text
    u = await person()
    r = await api.post(f"/api/v1/events/{eid}/join", headers=u.headers, json={"guests": 1})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed"
    r = await api.get(f"/api/v1/events/{eid}", headers=u.headers)
    assert r.json()["seats_left"] == 3 and r.json()["my_status"] == "confirmed"
    r = await api.get("/api/v1/events", params={"near": "55.75,37.61", "radius_km": 10})
    assert r.status_code == 200, r.text
    assert [i["id"] for i in r.json()["items"]] == [eid]


async def test_openapi_lists_every_operation(api: Any) -> None:
    r = await api.get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    ops = {op["operationId"] for path in r.json()["paths"].values() for op in path.values() if "operationId" in op}
    for name in ("list_events", "create_event", "get_event", "update_event", "delete_event", "submit_event",
                 "approve_event", "reject_event", "cancel_event", "join_event", "leave_event", "claim_offer",
                 "list_participants", "list_my_events", "list_joined_events", "get_event_calendar", "create_venue",
                 "create_series", "list_pending_events", "list_event_history"):
        assert name in ops, name


async def test_disabled_plugin_leaves_no_route(make_client: Any) -> None:
    bare = await make_client([])
    assert (await bare.get("/api/v1/events")).status_code == 404
    assert (await bare.get("/ical/events/x/calendar.ics")).status_code == 404
