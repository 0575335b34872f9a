"""Link-only and group events, the privacy context hook, the account export and erasure hooks."""

from __future__ import annotations

from typing import Any

from core.hooks import call, first, hookspecs
from tests.plugins.events.conftest import event_body


async def test_link_only_event_needs_its_key(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish(visibility="link")
    key = (await api.get(f"/api/v1/events/{eid}", headers=org.headers)).json()["share_key"]
    assert key
    assert (await api.get(f"/api/v1/events/{eid}")).status_code == 404
    assert (await api.get(f"/api/v1/events/{eid}", params={"key": "wrong"})).status_code == 404
    r = await api.get(f"/api/v1/events/{eid}", params={"key": key})
    assert r.status_code == 200 and r.json()["share_key"] is None  # only the author sees the secret
    assert eid not in [i["id"] for i in (await api.get("/api/v1/events")).json()["items"]]


async def test_members_only_event_needs_a_group(api: Any, person: Any) -> None:
    org = await person("organiser")
    r = await api.post("/api/v1/events", headers=org.headers, json=event_body(visibility="group"))
    assert r.status_code == 422 and r.json()["code"] == "group_required"
    r = await api.post("/api/v1/events", headers=org.headers, json=event_body(group_id=987654))
    assert r.status_code == 422 and r.json()["code"] == "group_not_found"


async def test_joining_a_link_only_event_needs_its_key(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish(visibility="link", online_url="https://meet.example.org/x")
    key = (await api.get(f"/api/v1/events/{eid}", headers=org.headers)).json()["share_key"]
    b = await person()
    r = await api.post(f"/api/v1/events/{eid}/join", headers=b.headers, json={})
    assert r.status_code == 404 and r.json()["code"] == "event_not_found"  # as reading it without the key
    assert (await api.get(f"/api/v1/events/{eid}/participants", headers=b.headers)).status_code == 404
    r = await api.post(f"/api/v1/events/{eid}/join", headers=b.headers, params={"key": "wrong"}, json={})
    assert r.status_code == 404
    r = await api.post(f"/api/v1/events/{eid}/join", headers=b.headers, params={"key": key}, json={})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = await api.get(f"/api/v1/events/{eid}", headers=b.headers)  # a participant sees it without the key now
    assert r.status_code == 200 and r.json()["online_url"] == "https://meet.example.org/x"


async def test_an_event_one_may_not_see_is_404_on_every_operation(api: Any, person: Any) -> None:
    org, other, mod = await person("organiser"), await person(), await person("moderator")
    for status in ("draft", "pending_review", "rejected"):
        eid = (await api.post("/api/v1/events", headers=org.headers, json=event_body())).json()["id"]
        if status != "draft":
            assert (await api.post(f"/api/v1/events/{eid}/submit", headers=org.headers)).status_code == 200
        if status == "rejected":
            r = await api.post(f"/api/v1/events/{eid}/reject", headers=mod.headers, json={"reason": "no"})
            assert r.status_code == 200
        calls = [
            api.get(f"/api/v1/events/{eid}", headers=other.headers),
            api.post(f"/api/v1/events/{eid}/join", headers=other.headers, json={}),
            api.patch(f"/api/v1/events/{eid}", headers=other.headers, json={"title": "Mine now"}),
            api.delete(f"/api/v1/events/{eid}", headers=other.headers),
            api.post(f"/api/v1/events/{eid}/submit", headers=other.headers),
            api.post(f"/api/v1/events/{eid}/cancel", headers=other.headers, json={"reason": "x"}),
            api.get(f"/api/v1/events/{eid}/history", headers=other.headers),
            api.get(f"/api/v1/events/{eid}/participants", headers=other.headers),
            api.post(f"/api/v1/events/{eid}/participants/{other.id}/approve", headers=other.headers),
        ]
        for pending_call in calls:
            r = await pending_call
            assert r.status_code == 404 and r.json()["code"] == "event_not_found", (status, r.request.url, r.text)
    # A published event the caller sees but does not own: 403, as before.
    eid = (await api.post("/api/v1/events", headers=org.headers, json=event_body())).json()["id"]
    await api.post(f"/api/v1/events/{eid}/submit", headers=org.headers)
    await api.post(f"/api/v1/events/{eid}/approve", headers=mod.headers)
    r = await api.patch(f"/api/v1/events/{eid}", headers=other.headers, json={"title": "Mine now"})
    assert r.status_code == 403 and r.json()["code"] == "not_event_author"


async def test_a_venues_pos_ref_is_for_staff_and_its_creator(api: Any, person: Any) -> None:
    org, other, mod = await person("organiser"), await person(), await person("moderator")
    r = await api.post("/api/v1/events/venues", headers=org.headers, json={
        "name": "Cafe", "latitude": 55.7, "longitude": 37.6, "timezone": "Europe/Moscow", "pos_ref": "iiko:42"})
    vid = r.json()["id"]
    assert (await api.get(f"/api/v1/events/venues/{vid}", headers=org.headers)).json()["pos_ref"] == "iiko:42"
    assert (await api.get(f"/api/v1/events/venues/{vid}", headers=mod.headers)).json()["pos_ref"] == "iiko:42"
    assert (await api.get(f"/api/v1/events/venues/{vid}", headers=other.headers)).json()["pos_ref"] is None
    assert (await api.get(f"/api/v1/events/venues/{vid}")).json()["pos_ref"] is None


async def test_users_share_context(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish()
    a, b, c = await person(), await person(), await person()
    await api.post(f"/api/v1/events/{eid}/join", headers=a.headers, json={})
    await api.post(f"/api/v1/events/{eid}/join", headers=b.headers, json={})
    assert await first(hookspecs.users_share_context, viewer_id=a.id, owner_id=b.id) is True
    assert await first(hookspecs.users_share_context, viewer_id=org.id, owner_id=a.id) is True
    assert await first(hookspecs.users_share_context, viewer_id=c.id, owner_id=a.id) is None  # abstains


async def test_export_and_erasure(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=1)
    a, b = await person(), await person()
    await api.post(f"/api/v1/events/{eid}/join", headers=a.headers, json={"guests": 0})
    await api.post(f"/api/v1/events/{eid}/join", headers=b.headers, json={})
    results = await call(hookspecs.user_data_export, user_id=a.id)
    mine = next(r["events"] for r in results if "events" in r)
    assert mine["authored"] == []
    assert [(p["event_id"], p["status"], p["guests"]) for p in mine["participations"]] == [(eid, "confirmed", 0)]
    assert isinstance(mine["participations"][0]["created_at"], str)  # JSON-ready
    await call(hookspecs.user_erasure, user_id=a.id)
    await call(hookspecs.user_erasure, user_id=a.id)  # idempotent
    assert (await api.get(f"/api/v1/events/{eid}", headers=b.headers)).json()["my_status"] == "offered"
