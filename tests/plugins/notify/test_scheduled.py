"""The app lists a user's reminders still to come and turns one off, through the API."""

from __future__ import annotations

from typing import Any

from tests.plugins.events.conftest import event_body


async def test_my_reminders_are_listed_soonest_first_and_one_can_be_turned_off(make_client: Any, make_user: Any,
                                                                                auth_headers: Any) -> None:
    api = await make_client(["events", "notify"])
    org = await auth_headers(await make_user(roles=["organiser"]))
    mod = await auth_headers(await make_user(roles=["moderator"]))
    eid = (await api.post("/api/v1/events", headers=org, json=event_body(title="Board games night"))).json()["id"]
    await api.post(f"/api/v1/events/{eid}/submit", headers=org)
    assert (await api.post(f"/api/v1/events/{eid}/approve", headers=mod)).status_code == 200
    me, other = await auth_headers(await make_user()), await auth_headers(await make_user())
    assert (await api.post(f"/api/v1/events/{eid}/join", headers=me, json={})).status_code == 200

    r = await api.get("/api/v1/notify/scheduled", headers=me)
    assert r.status_code == 200, r.text
    items = [i for i in r.json()["items"] if i["kind"] == "events.reminder"]
    assert [i["minutes_before"] for i in items] == [1440, 300, 60]
    assert all(i["title"] == "Board games night" and i["subject"] == f"events.event:{eid}" for i in items)
    assert items == sorted(items, key=lambda i: i["due_at"])

    first = items[0]["id"]
    assert (await api.delete(f"/api/v1/notify/scheduled/{first}", headers=other)).status_code == 404  # not theirs
    assert (await api.delete(f"/api/v1/notify/scheduled/{first}", headers=me)).status_code == 204
    again = await api.delete(f"/api/v1/notify/scheduled/{first}", headers=me)
    assert again.status_code == 404 and again.json()["code"] == "notification_not_found"
    left = [i["minutes_before"] for i in (await api.get("/api/v1/notify/scheduled", headers=me)).json()["items"]
            if i["kind"] == "events.reminder"]
    assert left == [300, 60]
    assert (await api.get("/api/v1/notify/scheduled", headers=other)).json()["items"] == []
    assert (await api.get("/api/v1/notify/scheduled", params={"cursor": "nope"}, headers=me)).json()["code"] == \
        "invalid_cursor"
