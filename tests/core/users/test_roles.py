"""Roles and permissions: the guard, the permission matrix of staff routes, role editing, staff, bans."""

from __future__ import annotations

import pytest

from core.users import services
from core.users.tables import Role
from tests.core.auth import codesink
from tests.core.auth.support import client_with

ROLES = [None, "user", "organiser", "moderator", "support", "admin"]


async def _headers(role, make_user, auth_headers):
    if role is None:
        return {}, None
    user = await make_user(roles=[role] if role != "user" else [])
    return await auth_headers(user), user


@pytest.mark.parametrize("role", ROLES)
async def test_permission_matrix(role, make_client, make_user, auth_headers) -> None:
    client = await make_client([])
    h, _me = await _headers(role, make_user, auth_headers)
    target = await make_user()
    expected_anonymous = 401
    can_ban = role in ("admin",)  # moderators moderate events; banning is users.ban (admin unless granted)
    can_edit_roles = role == "admin"
    calls = [
        ("POST", f"/api/v1/users/{target.id}/ban", {"reason": "spam"}, can_ban),
        ("GET", "/api/v1/roles", None, can_edit_roles),
        ("GET", "/api/v1/permissions", None, can_edit_roles),
        ("PUT", f"/api/v1/users/{target.id}/roles/organiser", None, can_edit_roles),
        ("POST", "/api/v1/roles", {"name": f"helper_{role}", "permissions": ["users.view"]}, can_edit_roles),
    ]
    for method, path, body, allowed in calls:
        r = await client.request(method, path, headers=h, json=body)
        if role is None:
            assert r.status_code == expected_anonymous, (method, path)
        elif allowed:
            assert r.status_code in (200, 201, 204), (method, path, r.text)
        else:
            assert r.status_code == 403 and r.json()["code"] == "permission_denied", (method, path)


async def test_role_editing(make_client, make_user, auth_headers) -> None:
    client = await make_client([])
    admin = await make_user(roles=["admin"])
    h = await auth_headers(admin)
    r = await client.post("/api/v1/roles", headers=h, json={"name": "helpdesk", "description": "Answers",
                                                            "permissions": ["users.view", "nope.nothing"]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_permission"
    r = await client.post("/api/v1/roles", headers=h, json={"name": "helpdesk", "permissions": ["users.view"]})
    assert r.status_code == 201 and r.json()["permissions"] == ["users.view"]
    assert (await client.post("/api/v1/roles", headers=h, json={"name": "helpdesk"})).status_code == 409
    assert (await client.post("/api/v1/roles", headers=h, json={"name": "Bad Name!"})).status_code == 422
    u = await make_user()
    assert (await client.put(f"/api/v1/users/{u.id}/roles/helpdesk", headers=h)).status_code == 204
    assert await services.permissions_of(u.id) == frozenset({"users.view"})
    assert await services.is_staff(u.id) is True
    r = await client.patch("/api/v1/roles/helpdesk", headers=h, json={"permissions": ["users.ban"]})
    assert r.status_code == 200
    assert await services.permissions_of(u.id) == frozenset({"users.ban"})
    assert (await client.patch("/api/v1/roles/admin", headers=h, json={"permissions": []})).status_code == 409
    assert (await client.delete("/api/v1/roles/moderator", headers=h)).status_code == 409
    assert (await client.delete("/api/v1/roles/helpdesk", headers=h)).status_code == 204
    assert await services.roles_of(u.id) == ["user"]
    assert (await client.put(f"/api/v1/users/{u.id}/roles/ghost", headers=h)).status_code == 404
    assert (await client.put("/api/v1/users/999999/roles/organiser", headers=h)).status_code == 404
    assert (await client.delete(f"/api/v1/users/{u.id}/roles/organiser", headers=h)).status_code == 204


async def test_is_staff(make_user) -> None:
    assert await services.is_staff((await make_user()).id) is False
    assert await services.is_staff((await make_user(roles=["organiser"])).id) is False
    assert await services.is_staff((await make_user(roles=["moderator"])).id) is True
    assert await services.is_staff((await make_user(roles=["admin"])).id) is True


async def test_builtin_roles_are_not_overwritten(make_user) -> None:
    await services.ensure_builtin_roles()
    await Role.update({Role.permissions: ["events.create", "users.view"]}).where(Role.name == "organiser")
    await services.ensure_builtin_roles()
    row = await Role.select(Role.permissions).where(Role.name == "organiser").first()
    assert row["permissions"] == ["events.create", "users.view"]


async def test_ban_and_unban_route_with_hooks(make_user, auth_headers, sbor_database) -> None:
    admin = await make_user(roles=["admin"])
    victim = await make_user()
    victim_h = await auth_headers(victim)
    codesink.seen.clear()
    async with client_with({"codesink": codesink}) as client:
        h = await auth_headers(admin)
        r = await client.post(f"/api/v1/users/{victim.id}/ban", headers=h, json={"reason": "spam"})
        assert r.status_code == 204
        assert (await client.get("/api/v1/me", headers=victim_h)).status_code == 401
        r = await client.post(f"/api/v1/users/{victim.id}/ban", headers=h, json={"reason": ""})
        assert r.status_code == 422
        r = await client.post(f"/api/v1/users/{admin.id}/ban", headers=h, json={"reason": "oops"})
        assert r.status_code == 409 and r.json()["code"] == "ban_self"
        assert (await client.post(f"/api/v1/users/{victim.id}/unban", headers=h)).status_code == 204
        assert (await client.post(f"/api/v1/users/{victim.id}/unban", headers=h)).status_code == 409
        assert (await client.post("/api/v1/users/999999/ban", headers=h, json={"reason": "x"})).status_code == 404
    assert codesink.seen == [("banned", victim.id, "spam", admin.id), ("unbanned", victim.id, admin.id)]


async def test_object_level_rule_user_cannot_change_another_profile(login_client, make_user) -> None:
    client = await login_client()
    other = await make_user(display_name="Other")
    # There is no route taking another user's id for edits; /me is always the caller
    r = await client.patch("/api/v1/me", json={"display_name": "Hacked"})
    assert r.status_code == 200
    assert (await services.get_user(other.id)).display_name == "Other"
    r = await client.patch(f"/api/v1/users/{other.id}/profile", json={"display_name": "Hacked"})
    assert r.status_code == 405


async def test_staff_list_and_get_users(make_client, make_user, auth_headers) -> None:
    client = await make_client([])
    support = await make_user(roles=["support"])
    h = await auth_headers(support)
    for i in range(4):
        await make_user(email=f"member{i}@example.org", display_name=f"Member {i}")
    r = await client.get("/api/v1/users", headers=h, params={"q": "member", "limit": 3})
    assert r.status_code == 200, r.text
    page = r.json()
    assert [u["email"] for u in page["items"]] == ["member3@example.org", "member2@example.org", "member1@example.org"]
    r = await client.get("/api/v1/users", headers=h, params={"q": "member", "limit": 3, "cursor": page["next_cursor"]})
    assert [u["email"] for u in r.json()["items"]] == ["member0@example.org"] and r.json()["next_cursor"] is None
    assert (await client.get("/api/v1/users", headers=h, params={"q": "%"})).json()["items"] == []
    banned = await client.get("/api/v1/users", headers=h, params={"status": "banned"})
    assert banned.status_code == 200 and banned.json()["items"] == []
    # A status that is none, a parameter the list does not know, a search past 100 characters: 400, named
    for params, name in [({"status": "frozen"}, "status"), ({"stauts": "banned"}, "stauts"), ({"q": "m" * 101}, "q")]:
        r = await client.get("/api/v1/users", headers=h, params=params)
        assert r.status_code == 400 and r.json()["code"] == "invalid_parameter", r.text
        assert r.json()["errors"][0]["parameter"] == name
    r = await client.get(f"/api/v1/users/{support.id}", headers=h)
    assert r.json()["roles"] == ["support", "user"] and "password_hash" not in r.json()
    assert (await client.get("/api/v1/users/999999", headers=h)).status_code == 404
    plain = await auth_headers(await make_user())
    assert (await client.get("/api/v1/users", headers=plain)).status_code == 403
    assert (await client.get(f"/api/v1/users/{support.id}", headers=plain)).status_code == 403
