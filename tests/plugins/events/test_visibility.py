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
    plain = await person()  # no events.create: only a group's moderators may create its events
    r = await api.post("/api/v1/events", headers=plain.headers, json=event_body())
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


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
