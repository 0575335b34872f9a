"""Groups themselves: create (slug rules, cap, bad input), edit with If-Match, delete, search, my groups, following."""

from __future__ import annotations

from typing import Any

import httpx

from tests.plugins.groups.conftest import GROUPS

MOSCOW = (55.7558, 37.6173)
PITER = (59.9343, 30.3351)


async def test_slug_given_derived_and_taken(api: httpx.AsyncClient, person: Any, make_group: Any) -> None:
    owner = await person()
    a = await make_group(owner, name="Board Games!")
    b = await make_group(owner, name="board games")
    assert (a["slug"], b["slug"]) == ("board-games", "board-games-2")
    c = await make_group(owner, name="Anything", slug="my-club")
    assert c["slug"] == "my-club"
    r = await api.post(f"{GROUPS}/", headers=owner.headers, json={"name": "Other", "slug": "my-club"})
    assert r.status_code == 409 and r.json()["code"] == "slug_taken"
    # The slug is stable: a rename keeps it, and it is not editable.
    r = await api.patch(f"{GROUPS}/{c['id']}", headers=owner.headers, json={"name": "Renamed"})
    assert r.status_code == 200 and r.json()["slug"] == "my-club" and r.json()["name"] == "Renamed"
    r = await api.patch(f"{GROUPS}/{c['id']}", headers=owner.headers, json={"slug": "new"})
    assert r.status_code == 422


async def test_bad_input_is_422_with_pointers(api: httpx.AsyncClient, person: Any) -> None:
    owner = await person()
    cases: list[tuple[Any, str]] = [
        ({}, "/name"),  # missing
        ({"name": 5}, "/name"),  # wrong type
        ({"name": "x", "visibility": "secret"}, "/visibility"),
        ({"name": "x", "tags": ["Not A Tag"]}, "/tags/0"),
        ({"name": "x", "latitude": 91, "longitude": 0}, "/latitude"),
        ({"name": "x", "latitude": 10}, "/longitude"),  # one without the other
        ({"name": "x", "tags": ["a", "a"]}, "/tags"),
        ({"name": "x", "description": "d" * 10_001}, "/description"),
        ({"name": "x", "owner_id": 1}, "/owner_id"),  # unknown field
        ({"name": "x", "slug": "Bad Slug"}, "/slug"),
    ]
    for body, pointer in cases:
        r = await api.post(f"{GROUPS}/", headers=owner.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert pointer in [e.get("pointer") for e in r.json().get("errors", [])], (body, r.json())
    json_headers = {**owner.headers, "Content-Type": "application/json"}
    r = await api.post(f"{GROUPS}/", headers=json_headers, content=b'{"name": "' + b"x" * 3_000_000 + b'"}')
    assert r.status_code in (413, 422)
    r = await api.post(f"{GROUPS}/", headers=json_headers, content=b"not json")
    assert r.status_code in (400, 422)


async def test_cap_on_groups_per_user(make_client: Any, person: Any) -> None:
    api = await make_client(["events", "groups"], settings={"groups": {"max_groups_per_user": 2}})
    owner = await person()
    for i in range(2):
        assert (await api.post(f"{GROUPS}/", headers=owner.headers, json={"name": f"G{i}"})).status_code == 201
    r = await api.post(f"{GROUPS}/", headers=owner.headers, json={"name": "G3"})
    assert r.status_code == 409 and r.json()["code"] == "too_many_groups"


async def test_edit_with_if_match_and_roles(api: httpx.AsyncClient, person: Any, make_group: Any,
                                            add_member: Any) -> None:
    group = await make_group()
    owner = group["owner"]
    r = await api.get(f"{GROUPS}/by-slug/{group['slug']}", headers=owner.headers)
    tag = r.headers["etag"]
    assert (await api.patch(f"{GROUPS}/{group['id']}", headers={**owner.headers, "If-Match": tag},
                            json={"description": "new"})).status_code == 200
    r = await api.patch(f"{GROUPS}/{group['id']}", headers={**owner.headers, "If-Match": tag}, json={"city": "X"})
    assert r.status_code == 412 and r.json()["code"] == "version_mismatch"
    mod, admin = await person(), await person()
    await add_member(group, mod, role="moderator")
    await add_member(group, admin, role="admin")
    r = await api.patch(f"{GROUPS}/{group['id']}", headers=mod.headers, json={"city": "X"})
    assert r.status_code == 403 and r.json()["code"] == "not_group_admin"
    r = await api.patch(f"{GROUPS}/{group['id']}", headers=admin.headers, json={"city": "Moscow"})
    assert r.status_code == 200 and r.json()["city"] == "Moscow"


async def test_delete_hides_everywhere(api: httpx.AsyncClient, person: Any, make_group: Any,
                                       add_member: Any, platform_moderator: Any) -> None:
    group = await make_group()
    admin = await person()
    await add_member(group, admin, role="admin")
    r = await api.delete(f"{GROUPS}/{group['id']}", headers=admin.headers)
    assert r.status_code == 403 and r.json()["code"] == "not_group_owner"
    assert (await api.delete(f"{GROUPS}/{group['id']}", headers=group["owner"].headers)).status_code == 204
    r = await api.get(f"{GROUPS}/by-slug/{group['slug']}", headers=group["owner"].headers)
    assert r.status_code == 404 and r.json()["code"] == "group_not_found"
    assert (await api.get(f"{GROUPS}/mine", headers=admin.headers)).json()["items"] == []
    other = await make_group(visibility="private")
    mod = await platform_moderator()
    assert (await api.get(f"{GROUPS}/by-slug/{other['slug']}", headers=mod.headers)).status_code == 200
    assert (await api.delete(f"{GROUPS}/{other['id']}", headers=mod.headers)).status_code == 204


async def test_search_text_tags_near_and_hidden_groups(api: httpx.AsyncClient, person: Any, make_group: Any) -> None:
    owner = await person()
    chess = await make_group(owner, name="Chess club", description="Blitz on Sundays", tags=["chess"],
                             latitude=MOSCOW[0], longitude=MOSCOW[1], city="Moscow")
    runners = await make_group(owner, name="Бегуны", description="Бегаем по утрам в парке", tags=["sport", "run"],
                               latitude=MOSCOW[0] + 0.05, longitude=MOSCOW[1], city="Moscow")
    far = await make_group(owner, name="Chess in Piter", tags=["chess"], latitude=PITER[0], longitude=PITER[1])
    await make_group(owner, name="Secret chess", visibility="private", tags=["chess"])
    await make_group(owner, name="Unlisted chess", visibility="unlisted", tags=["chess"])

    async def ids(**params: Any) -> list[int]:
        r = await api.get(f"{GROUPS}/", params=params)
        assert r.status_code == 200, r.text
        return [g["id"] for g in r.json()["items"]]

    assert await ids(q="chess") == [far["id"], chess["id"]]  # newest first; private/unlisted never listed
    assert await ids(q="бегать") == [runners["id"]]  # Russian stems
    assert await ids(tags="chess") == [far["id"], chess["id"]]
    assert await ids(tags="sport,run") == [runners["id"]]
    assert await ids(near=f"{MOSCOW[0]},{MOSCOW[1]}", radius_km=20) == [chess["id"], runners["id"]]
    assert await ids(near=f"{MOSCOW[0]},{MOSCOW[1]}", radius_km=1000, tags="chess") == [chess["id"], far["id"]]
    # Cursor pages: one at a time, nothing lost or repeated.
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, "near": f"{MOSCOW[0]},{MOSCOW[1]}", "radius_km": 1000}
        if cursor:
            params["cursor"] = cursor
        body = (await api.get(f"{GROUPS}/", params=params)).json()
        seen += [g["id"] for g in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [chess["id"], runners["id"], far["id"]]
    for bad in ({"near": "abc"}, {"near": "91,0"}, {"radius_km": 5}, {"near": "1,1", "radius_km": 0},
                {"tags": "Bad Tag"}, {"cursor": "garbage"}):
        r = await api.get(f"{GROUPS}/", params=bad)
        assert r.status_code == 400, (bad, r.text)


async def test_private_and_unlisted_pages(api: httpx.AsyncClient, person: Any, make_group: Any) -> None:
    private = await make_group(visibility="private")
    unlisted = await make_group(visibility="unlisted")
    stranger = await person()
    for path in (f"by-slug/{private['slug']}", f"{private['id']}/members", f"{private['id']}/events"):
        for headers in (stranger.headers, {}):
            r = await api.get(f"{GROUPS}/{path}", headers=headers)
            assert r.status_code == 404 and r.json()["code"] == "group_not_found", (path, r.text)
    r = await api.post(f"{GROUPS}/{private['id']}/join", headers=stranger.headers)
    assert r.status_code == 404
    assert (await api.get(f"{GROUPS}/by-slug/{unlisted['slug']}")).status_code == 200  # by link


async def test_mine_and_following(api: httpx.AsyncClient, person: Any, make_group: Any) -> None:
    me = await person()
    groups = [await make_group() for _ in range(3)]
    for g in groups:
        assert (await api.post(f"{GROUPS}/{g['id']}/join", headers=me.headers)).status_code == 200
    r = await api.get(f"{GROUPS}/mine", headers=me.headers, params={"limit": 2})
    first = r.json()
    assert [g["id"] for g in first["items"]] == [groups[2]["id"], groups[1]["id"]]
    r = await api.get(f"{GROUPS}/mine", headers=me.headers, params={"limit": 2, "cursor": first["next_cursor"]})
    assert [g["id"] for g in r.json()["items"]] == [groups[0]["id"]] and r.json()["next_cursor"] is None
    assert (await api.get(f"{GROUPS}/mine")).status_code == 401

    follower = await person()
    g = groups[0]
    for _ in range(2):  # idempotent
        assert (await api.post(f"{GROUPS}/{g['id']}/follow", headers=follower.headers)).status_code == 204
    page = (await api.get(f"{GROUPS}/by-slug/{g['slug']}", headers=follower.headers)).json()
    assert page["following"] is True and page["follower_count"] == 1 and page["my_state"] is None
    assert (await api.delete(f"{GROUPS}/{g['id']}/follow", headers=follower.headers)).status_code == 204
    assert (await api.get(f"{GROUPS}/by-slug/{g['slug']}", headers=follower.headers)).json()["follower_count"] == 0
    unlisted = await make_group(visibility="unlisted")
    r = await api.post(f"{GROUPS}/{unlisted['id']}/follow", headers=follower.headers)
    assert r.status_code == 409 and r.json()["code"] == "not_followable"
