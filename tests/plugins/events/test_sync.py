"""If-Match on edits (412), updated_since with tombstones on the author's and the participant's lists."""

from __future__ import annotations

from typing import Any

from tests.plugins.events.conftest import event_body


async def test_if_match_protects_concurrent_edits(api: Any, person: Any) -> None:
    org = await person("organiser")
    r = await api.post("/api/v1/events", headers=org.headers, json=event_body())
    eid, etag = r.json()["id"], r.headers["etag"]
    r1 = await api.patch(f"/api/v1/events/{eid}", headers={**org.headers, "If-Match": etag}, json={"title": "A"})
    assert r1.status_code == 200 and r1.headers["etag"] != etag
    r2 = await api.patch(f"/api/v1/events/{eid}", headers={**org.headers, "If-Match": etag}, json={"title": "B"})
    assert r2.status_code == 412 and r2.json()["code"] == "etag_mismatch"
    assert r2.headers["content-type"].startswith("application/problem+json")
    r3 = await api.patch(f"/api/v1/events/{eid}", headers={**org.headers, "If-Match": r1.headers["etag"]},
                         json={"title": "B"})
    assert r3.status_code == 200 and r3.json()["title"] == "B"
    r4 = await api.delete(f"/api/v1/events/{eid}", headers={**org.headers, "If-Match": r1.headers["etag"]})
    assert r4.status_code == 412


async def test_authors_list_reports_deletions_as_tombstones(api: Any, person: Any) -> None:
    org = await person("organiser")
    a = (await api.post("/api/v1/events", headers=org.headers, json=event_body(title="A"))).json()
    b = (await api.post("/api/v1/events", headers=org.headers, json=event_body(title="B"))).json()
    full = (await api.get("/api/v1/events/mine", headers=org.headers)).json()
    assert [i["id"] for i in full["items"]] == [a["id"], b["id"]]
    since = max(i["updated_at"] for i in full["items"])
    assert (await api.get("/api/v1/events/mine", headers=org.headers,
                          params={"updated_since": since})).json()["items"] == []
    assert (await api.delete(f"/api/v1/events/{a['id']}", headers=org.headers)).status_code == 204
    await api.patch(f"/api/v1/events/{b['id']}", headers=org.headers, json={"title": "B2"})
    delta = (await api.get("/api/v1/events/mine", headers=org.headers, params={"updated_since": since})).json()
    assert [(i["id"], i["deleted"]) for i in delta["items"]] == [(a["id"], True), (b["id"], False)]
    assert delta["items"][1]["title"] == "B2"
    assert (await api.get(f"/api/v1/events/{a['id']}", headers=org.headers)).status_code == 404
    # Paging through the delta.
    p1 = (await api.get("/api/v1/events/mine", headers=org.headers, params={"limit": 1})).json()
    p2 = (await api.get("/api/v1/events/mine", headers=org.headers,
                        params={"limit": 1, "cursor": p1["next_cursor"]})).json()
    assert p1["items"][0]["id"] != p2["items"][0]["id"]


async def test_published_events_cannot_be_deleted(api: Any, publish: Any) -> None:
    eid, org = await publish()
    r = await api.delete(f"/api/v1/events/{eid}", headers=org.headers)
    assert r.status_code == 409 and r.json()["code"] == "event_not_deletable"


async def test_participants_list_reports_leaving_as_tombstone(api: Any, person: Any, publish: Any) -> None:
    e1, _ = await publish()
    e2, _ = await publish()
    u = await person()
    await api.post(f"/api/v1/events/{e1}/join", headers=u.headers, json={})
    await api.post(f"/api/v1/events/{e2}/join", headers=u.headers, json={"guests": 1})
    full = (await api.get("/api/v1/events/joined", headers=u.headers)).json()["items"]
    assert [(i["event_id"], i["status"], i["guests"]) for i in full] == [(e1, "confirmed", 0), (e2, "confirmed", 1)]
    since = max(i["updated_at"] for i in full)
    await api.post(f"/api/v1/events/{e1}/leave", headers=u.headers)
    delta = (await api.get("/api/v1/events/joined", headers=u.headers, params={"updated_since": since})).json()
    assert [(i["event_id"], i["deleted"]) for i in delta["items"]] == [(e1, True)]
