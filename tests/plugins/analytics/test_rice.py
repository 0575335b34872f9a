"""The RICE board: scores, order, edits, permissions and the CSV export."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

from core.pagination import encode_cursor
from plugins.analytics import rice
from tests.core.users.test_lists import all_pages, page_schema, tampered

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


async def test_only_analytics_managers_touch_the_board(api: Any, make_user: Any, auth_headers: Any) -> None:
    for method, url, body in (("GET", "/api/v1/analytics/ideas", None), ("POST", "/api/v1/analytics/ideas", IDEA),
                              ("GET", "/api/v1/analytics/ideas/export.csv", None),
                              ("PATCH", "/api/v1/analytics/ideas/1", {"reach": 1}),
                              ("DELETE", "/api/v1/analytics/ideas/1", None)):
        assert (await api.request(method, url, json=body)).status_code == 401
        for roles in ([], ["organiser"], ["moderator"], ["support"]):
            h = await auth_headers(await make_user(roles=roles))
            assert (await api.request(method, url, json=body, headers=h)).status_code == 403, (url, roles)


async def add_ideas(api: Any, h: dict[str, str], reaches: list[int]) -> list[int]:
    """Ideas with these reaches (the score follows), in order; their ids."""
    ids = []
    for n, reach in enumerate(reaches):
        r = await api.post("/api/v1/analytics/ideas", json={**IDEA, "title": f"Idea {n}", "reach": reach}, headers=h)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def test_board_pages_chain_to_the_end_across_equal_scores(api: Any, make_user: Any, auth_headers: Any) -> None:
    h = await auth_headers(await make_user(roles=["admin"]))
    api.headers.update(h)
    # Scores 4000, 2000 x 4 (ties broken by id: oldest first), 400, 0.4: pages cut inside the run of ties
    ids = await add_ideas(api, h, [5000, 10000, 5000, 5000, 1000, 5000, 1])
    pages = await all_pages(api, "/api/v1/analytics/ideas", 2)
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert [i["id"] for p in pages for i in p] == [ids[1], ids[0], ids[2], ids[3], ids[5], ids[4], ids[6]]
    # Filtered by status, the cursor still chains
    await api.patch(f"/api/v1/analytics/ideas/{ids[0]}", json={"status": "planned"})
    await api.patch(f"/api/v1/analytics/ideas/{ids[6]}", json={"status": "planned"})
    pages = await all_pages(api, "/api/v1/analytics/ideas", 1, status="planned")
    assert [i["id"] for p in pages for i in p] == [ids[0], ids[6]]


async def test_board_limit_out_of_range_is_400(api: Any, make_user: Any, auth_headers: Any) -> None:
    h = await auth_headers(await make_user(roles=["admin"]))
    for bad in (0, 201, "all"):
        r = await api.get("/api/v1/analytics/ideas", params={"limit": bad}, headers=h)
        assert r.status_code == 400 and r.json()["code"] == "invalid_parameter", (bad, r.text)
    assert (await api.get("/api/v1/analytics/ideas", params={"limit": 200}, headers=h)).status_code == 200


async def test_board_refuses_bad_cursors(api: Any, make_user: Any, auth_headers: Any) -> None:
    h = await auth_headers(await make_user(roles=["admin"]))
    await add_ideas(api, h, [300, 200, 100])
    good = (await api.get("/api/v1/analytics/ideas", params={"limit": 1}, headers=h)).json()["next_cursor"]
    old_format = base64.urlsafe_b64encode(b"2000.0:1").decode()
    other_list = encode_cursor(2000.0, 1, scope="users.accounts")
    for bad in (tampered(good), good[:-2], old_format, other_list, "!!!"):
        r = await api.get("/api/v1/analytics/ideas", params={"cursor": bad}, headers=h)
        assert r.status_code == 400 and r.json()["code"] == "invalid_cursor", (bad, r.text)
    # The board's own cursor is refused by another list too
    r = await api.get("/api/v1/me/referrals", params={"cursor": good}, headers=h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"


async def test_openapi_documents_the_board_page(api: Any) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    page = page_schema(schema, "/api/v1/analytics/ideas")
    assert page["title"] == "Page[IdeaRead]"
    assert page["properties"]["items"]["items"]["$ref"] == "#/components/schemas/IdeaRead"
