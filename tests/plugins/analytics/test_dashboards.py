"""Dashboards through the API: the author's per-event figures, the admins' platform figures, CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from plugins.analytics import ingest, rollups

from .conftest import client_event, published_event


async def setup_event(api: Any, make_user: Any, auth_headers: Any) -> tuple[int, dict[str, str], Any]:
    author = await make_user(roles=["organiser"])
    moderator = await make_user(roles=["moderator"])
    author_h = await auth_headers(author)
    event_id = await published_event(api, author_h, await auth_headers(moderator))
    return event_id, author_h, author


async def settle() -> None:
    await ingest.consume()
    await rollups.refresh()


async def test_author_sees_views_viewers_joins_leaves_and_conversion(api: Any, make_user: Any,
                                                                     auth_headers: Any) -> None:
    event_id, author_h, _ = await setup_event(api, make_user, auth_headers)
    fan, other = await make_user(), await make_user()
    fan_h, other_h = await auth_headers(fan), await auth_headers(other)
    # Three views by the fan, one by an anonymous device, one by the other user; the fan joins, the other joins
    # and leaves.
    await api.post("/api/v1/analytics/events", json={"events": [client_event(event_id=event_id) for _ in range(3)]},
                   headers=fan_h)
    await api.post("/api/v1/analytics/events", json={"device_id": "anon-device-1",
                                                     "events": [client_event(event_id=event_id)]})
    await api.post("/api/v1/analytics/events", json={"events": [client_event(event_id=event_id)]}, headers=other_h)
    for h in (fan_h, other_h):
        r = await api.post(f"/api/v1/events/{event_id}/join", headers=h)
        assert r.status_code == 200, r.text
    r = await api.post(f"/api/v1/events/{event_id}/leave", headers=other_h)
    assert r.status_code == 204, r.text
    await settle()

    r = await api.get(f"/api/v1/analytics/events/{event_id}/dashboard", headers=author_h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["views"], body["unique_viewers"], body["joins"], body["leaves"]) == (5, 3, 2, 1)
    assert body["conversion"] == round(2 / 3, 4)
    assert len(body["days"]) == 1
    assert body["days"][0]["views"] == 5


async def test_only_the_author_or_an_analytics_viewer_sees_an_event(api: Any, make_user: Any,
                                                                    auth_headers: Any) -> None:
    event_id, _, _ = await setup_event(api, make_user, auth_headers)
    url = f"/api/v1/analytics/events/{event_id}/dashboard"
    assert (await api.get(url)).status_code == 401
    stranger = await make_user(roles=["organiser"])
    r = await api.get(url, headers=await auth_headers(stranger))
    assert r.status_code == 404
    assert r.json()["code"] == "event_not_found"
    moderator = await make_user(roles=["moderator"])
    assert (await api.get(url, headers=await auth_headers(moderator))).status_code == 404
    admin = await make_user(roles=["admin"])
    assert (await api.get(url, headers=await auth_headers(admin))).status_code == 200
    # An event that does not exist looks the same as someone else's.
    r = await api.get("/api/v1/analytics/events/999999/dashboard", headers=await auth_headers(stranger))
    assert r.status_code == 404
    assert (await api.get(url + ".csv", headers=await auth_headers(stranger))).status_code == 404


async def test_date_range_is_validated(api: Any, make_user: Any, auth_headers: Any) -> None:
    event_id, author_h, _ = await setup_event(api, make_user, auth_headers)
    url = f"/api/v1/analytics/events/{event_id}/dashboard"
    r = await api.get(url, params={"since": "2030-02-01", "until": "2030-01-01"}, headers=author_h)
    assert r.status_code == 422
    r = await api.get(url, params={"since": "2020-01-01", "until": "2030-01-01"}, headers=author_h)
    assert r.status_code == 422
    r = await api.get(url, params={"since": "yesterday"}, headers=author_h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_parameter"
    assert r.json()["errors"][0]["parameter"] == "since"


async def test_event_dashboard_csv_is_streamed(api: Any, make_user: Any, auth_headers: Any) -> None:
    event_id, author_h, _ = await setup_event(api, make_user, auth_headers)
    await api.post("/api/v1/analytics/events", json={"device_id": "anon-device-2",
                                                     "events": [client_event(event_id=event_id)]})
    await settle()
    r = await api.get(f"/api/v1/analytics/events/{event_id}/dashboard.csv", headers=author_h)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "content-length" not in r.headers  # streamed in chunks
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["day", "views", "unique_viewers", "joins", "leaves", "waitlisted", "reviews", "rating_sum"]
    assert rows[1][1:3] == ["1", "1"]


async def test_platform_dashboard_for_analytics_viewers_only(api: Any, make_user: Any, auth_headers: Any,
                                                             clock: Any) -> None:
    now = clock.freeze()
    event_id, _, _author = await setup_event(api, make_user, auth_headers)
    await api.post("/api/v1/analytics/events", json={"device_id": "anon-device-3",
                                                     "events": [client_event(event_id=event_id)]})
    await settle()
    url = "/api/v1/analytics/platform/dashboard"
    assert (await api.get(url)).status_code == 401
    for roles in ([], ["organiser"], ["moderator"], ["support"]):
        user = await make_user(roles=roles)
        assert (await api.get(url, headers=await auth_headers(user))).status_code == 403, roles
        assert (await api.get(url + ".csv", headers=await auth_headers(user))).status_code == 403, roles
    admin_h = await auth_headers(await make_user(roles=["admin"]))
    r = await api.get(url, headers=admin_h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["until"] == now.date().isoformat()
    assert (body["events_submitted"], body["events_published"], body["moderation_decisions"]) == (1, 1, 1)
    assert body["client_events"] == 1
    today = body["days"][-1]
    # The author (submit), the moderator (decision) and the anonymous device were active.
    assert today["active_users"] == 3
    assert today["moderation_avg_s"] == 0.0
    r = await api.get(url + ".csv", headers=admin_h, params={"since": (now - timedelta(days=2)).date().isoformat()})
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ["day", "active_users", "client_events"]
    assert rows[1][:3] == [now.date().isoformat(), "3", "1"]
