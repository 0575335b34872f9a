"""The RICE board: scores, order, edits, permissions and the CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from plugins.analytics import rice

IDEA = {"title": "Dark mode", "reach": 5000, "impact": 1, "confidence": 80, "effort": 2}


def test_score_is_reach_impact_confidence_over_effort() -> None:
    assert rice.score(5000, 1, 80, 2) == 2000.0
    assert rice.score(300, 3, 50, 0.5) == 900.0
    assert rice.score(0, 3, 100, 1) == 0.0


async def test_board_is_sorted_and_editable_by_admins(api: Any, make_user: Any, auth_headers: Any) -> None:
    h = await auth_headers(await make_user(roles=["admin"]))
    ids = {}
    for title, reach in (("Dark mode", 5000), ("Maps", 20000), ("Badges", 100)):
        r = await api.post("/api/v1/analytics/ideas", json={**IDEA, "title": title, "reach": reach}, headers=h)
        assert r.status_code == 201, r.text
        ids[title] = r.json()["id"]
    r = await api.get("/api/v1/analytics/ideas", headers=h)
    assert [(i["title"], i["score"]) for i in r.json()["items"]] == [("Maps", 8000.0), ("Dark mode", 2000.0),
                                                                     ("Badges", 40.0)]
    # Lowering the effort of Badges to a tiny number moves it to the top.
    r = await api.patch(f"/api/v1/analytics/ideas/{ids['Badges']}", json={"effort": 0.01}, headers=h)
    assert r.status_code == 200 and r.json()["score"] == 8000.0
    r = await api.get("/api/v1/analytics/ideas", params={"limit": 2}, headers=h)
    page = r.json()
    assert [i["title"] for i in page["items"]] == ["Maps", "Badges"]  # equal scores: oldest first
    r = await api.get("/api/v1/analytics/ideas", params={"limit": 2, "cursor": page["next_cursor"]}, headers=h)
    assert [i["title"] for i in r.json()["items"]] == ["Dark mode"] and r.json()["next_cursor"] is None
    r = await api.get("/api/v1/analytics/ideas/export.csv", headers=h)
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:2] == ["id", "title"] and [row[1] for row in rows[1:]] == ["Maps", "Badges", "Dark mode"]
    assert (await api.delete(f"/api/v1/analytics/ideas/{ids['Maps']}", headers=h)).status_code == 204
    assert (await api.get(f"/api/v1/analytics/ideas/{ids['Maps']}", headers=h)).status_code == 404
    assert (await api.patch(f"/api/v1/analytics/ideas/{ids['Maps']}", json={"reach": 1}, headers=h)).status_code == 404


async def test_idea_input_is_validated(api: Any, make_user: Any, auth_headers: Any) -> None:
    h = await auth_headers(await make_user(roles=["admin"]))
    for bad in ({**IDEA, "effort": 0}, {**IDEA, "impact": 5}, {**IDEA, "confidence": 101}, {**IDEA, "reach": -1},
                {**IDEA, "reach": "many"}, {**IDEA, "title": ""}, {**IDEA, "status": "maybe"}, {"title": "x"}):
        r = await api.post("/api/v1/analytics/ideas", json=bad, headers=h)
        assert r.status_code == 422, (bad, r.text)
    r = await api.get("/api/v1/analytics/ideas", params={"cursor": "!!!"}, headers=h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    r = await api.get("/api/v1/analytics/ideas", params={"limit": 0}, headers=h)
    assert r.status_code == 422


async def test_only_analytics_managers_touch_the_board(api: Any, make_user: Any, auth_headers: Any) -> None:
    for method, url, body in (("GET", "/api/v1/analytics/ideas", None), ("POST", "/api/v1/analytics/ideas", IDEA),
                              ("GET", "/api/v1/analytics/ideas/export.csv", None),
                              ("PATCH", "/api/v1/analytics/ideas/1", {"reach": 1}),
                              ("DELETE", "/api/v1/analytics/ideas/1", None)):
        assert (await api.request(method, url, json=body)).status_code == 401
        for roles in ([], ["organiser"], ["moderator"], ["support"]):
            h = await auth_headers(await make_user(roles=roles))
            assert (await api.request(method, url, json=body, headers=h)).status_code == 403, (url, roles)
