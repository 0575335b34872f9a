"""Users (search, profile, ban/unban, roles) and the roles editor, with the permission matrix."""

from __future__ import annotations

import pytest

from admin_ui import session
from core import cache
from core.users import services as users
from core.users.tables import Role, User
from tests.admin_ui.conftest import page_csrf


async def test_search_by_email_phone_and_name(admin_client, make_user) -> None:
    client = await admin_client(roles=["support"])
    ann = await make_user(email="ann.smith@example.org", display_name="Ann Smith", phone="+4915112345678")
    bob = await make_user(email="bob@example.org", display_name="Bob Jones")
    for q, expected in [("ann.smith", ann), ("+49151123", ann), ("jones", bob), ("BOB@EXAMPLE", bob)]:
        r = await client.get("/admin/users", params={"q": q})
        assert r.status_code == 200
        assert f'href="/admin/users/{expected.id}"' in r.text, q
        other = bob if expected is ann else ann
        assert f'href="/admin/users/{other.id}"' not in r.text, q
    # LIKE wildcards are searched literally
    r = await client.get("/admin/users", params={"q": "%"})
    assert "No user matches." in r.text


async def test_user_list_paginates(admin_client, make_user) -> None:
    client = await admin_client(roles=["support"])
    made = [await make_user(display_name=f"Page person {i}") for i in range(30)]
    first = await client.get("/admin/users", params={"q": "Page person"})
    assert first.text.count('href="/admin/users/') == 25
    import html
    import re

    link = html.unescape(re.search(r'href="(\?q=Page\+person&amp;cursor=[^"]+)"', first.text).group(1))
    second = await client.get("/admin/users" + link)
    ids_second = {int(x) for x in re.findall(r'href="/admin/users/(\d+)"', second.text)}
    assert ids_second == {u.id for u in made[:5]}


async def test_profile_shows_roles_sessions_and_recent_actions(admin_client, make_user, auth_headers) -> None:
    client = await admin_client(roles=["support"])
    target = await make_user(roles=["organiser"], display_name="Olga")
    await auth_headers(target)  # one API session
    r = await client.get(f"/admin/users/{target.id}")
    assert r.status_code == 200
    assert "organiser, user" in r.text
    assert "pytest" in r.text  # the session's device
    assert (await client.get("/admin/users/999999")).status_code == 404


async def test_support_sees_users_but_cannot_ban_or_assign_roles(admin_client, make_user) -> None:
    client = await admin_client(roles=["support"])
    target = await make_user()
    page = await client.get(f"/admin/users/{target.id}")
    assert f'action="/admin/users/{target.id}/ban"' not in page.text  # no ban form offered
    token = client.csrf
    r = await client.post(f"/admin/users/{target.id}/ban", data={"_csrf": token, "reason": "spam"})
    assert r.status_code == 403 and "users.ban" in r.text
    r = await client.post(f"/admin/users/{target.id}/roles", data={"_csrf": token, "roles": ["admin"]})
    assert r.status_code == 403
    assert (await User.select(User.status).where(User.id == target.id).first())["status"] == "active"
    assert await users.roles_of(target.id) == ["user"]


async def test_ban_needs_a_reason_and_ends_every_session_at_once(admin_client, make_client, make_user,
                                                                  auth_headers) -> None:
    client = await admin_client(roles=["admin"])
    admin = client.user
    victim_client = await admin_client(roles=["moderator"])
    victim = victim_client.user  # a staff member, signed in to the panel too
    headers = await auth_headers(victim)
    api = await make_client(["admin"])
    assert (await victim_client.get("/admin/")).status_code == 200
    token = await page_csrf(client, f"/admin/users/{victim.id}")

    r = await client.post(f"/admin/users/{victim.id}/ban", data={"_csrf": token, "reason": "  "})
    assert r.status_code == 422
    assert 'id="reason-error">A reason is required.' in r.text

    r = await client.post(f"/admin/users/{victim.id}/ban", data={"_csrf": token, "reason": "Spam links"})
    assert r.status_code == 303
    row = await User.select(User.status, User.ban_reason).where(User.id == victim.id).first()
    assert row == {"status": "banned", "ban_reason": "Spam links"}
    assert (await victim_client.get("/admin/")).status_code == 303  # panel session gone
    assert not await cache.client().smembers(session._user_key(victim.id))
    from core.auth.tables import Session

    assert await Session.count().where((Session.user == victim.id) & Session.revoked_at.is_null()) == 0
    del api, headers

    r = await client.post(f"/admin/users/{victim.id}/ban", data={"_csrf": token, "reason": "again"})
    assert r.status_code == 409  # already banned
    r = await client.post(f"/admin/users/{admin.id}/ban", data={"_csrf": token, "reason": "oops"})
    assert r.status_code == 409  # not yourself


async def test_unban_with_a_reason(admin_client, make_user) -> None:
    client = await admin_client(roles=["admin"])
    target = await make_user()
    token = await page_csrf(client, f"/admin/users/{target.id}")
    r = await client.post(f"/admin/users/{target.id}/unban", data={"_csrf": token, "reason": "x"})
    assert r.status_code == 409
    await client.post(f"/admin/users/{target.id}/ban", data={"_csrf": token, "reason": "spam"})
    r = await client.post(f"/admin/users/{target.id}/unban", data={"_csrf": token, "reason": ""})
    assert r.status_code == 422
    r = await client.post(f"/admin/users/{target.id}/unban", data={"_csrf": token, "reason": "appeal accepted"})
    assert r.status_code == 303
    assert (await User.select(User.status).where(User.id == target.id).first())["status"] == "active"


async def test_assign_roles(admin_client, make_user) -> None:
    client = await admin_client(roles=["admin"])
    target = await make_user(roles=["organiser"])
    token = await page_csrf(client, f"/admin/users/{target.id}")
    r = await client.post(f"/admin/users/{target.id}/roles", data={"_csrf": token, "roles": ["moderator", "support"]})
    assert r.status_code == 303
    assert await users.roles_of(target.id) == ["moderator", "support", "user"]
    r = await client.post(f"/admin/users/{target.id}/roles", data={"_csrf": token, "roles": ["king"]})
    assert r.status_code == 422 and "Unknown role" in r.text
    assert await users.roles_of(target.id) == ["moderator", "support", "user"]


async def test_moderator_cannot_edit_roles(admin_client) -> None:
    client = await admin_client(roles=["moderator"])
    assert (await client.get("/admin/roles")).status_code == 403
    assert (await client.get("/admin/roles/support")).status_code == 403
    token = client.csrf
    r = await client.post("/admin/roles/support", data={"_csrf": token, "permissions": ["users.ban"]})
    assert r.status_code == 403
    perms = (await Role.select(Role.permissions).where(Role.name == "support").first())["permissions"]
    assert "users.ban" not in perms


async def test_admin_edits_a_roles_permissions_from_the_registry(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    page = await client.get("/admin/roles/support")
    assert page.status_code == 200
    assert 'value="admin.audit"' in page.text and 'value="users.ban"' in page.text  # registry of every plugin
    token = await page_csrf(client, "/admin/roles/support")
    r = await client.post("/admin/roles/support", data={"_csrf": token,
                                                          "permissions": ["admin.access", "users.view", "users.ban"]})
    assert r.status_code == 303
    perms = (await Role.select(Role.permissions).where(Role.name == "support").first())["permissions"]
    assert sorted(perms) == ["admin.access", "users.ban", "users.view"]
    r = await client.post("/admin/roles/support", data={"_csrf": token, "permissions": ["made.up"]})
    assert r.status_code == 422 and "Unknown permission" in r.text
    r = await client.post("/admin/roles/admin", data={"_csrf": token, "permissions": []})
    assert r.status_code == 409  # "*" is locked
    assert (await client.get("/admin/roles/nope")).status_code == 404


@pytest.mark.parametrize(("roles", "url", "status"), [
    (["moderator"], "/admin/", 200),
    (["moderator"], "/admin/users", 200),
    (["moderator"], "/admin/roles", 403),
    (["moderator"], "/admin/audit", 403),
    (["moderator"], "/admin/plugins", 403),
    (["support"], "/admin/", 200),
    (["support"], "/admin/users", 200),
    (["support"], "/admin/roles", 403),
    (["support"], "/admin/audit", 403),
    (["admin"], "/admin/roles", 200),
    (["admin"], "/admin/audit", 200),
    (["admin"], "/admin/plugins", 200),
])
async def test_permission_matrix_of_pages(admin_client, roles, url, status) -> None:
    client = await admin_client(roles=roles)
    r = await client.get(url)
    assert r.status_code == status
    if status == 403:
        assert "Permission denied" in r.text and "<html" in r.text  # an HTML page, not JSON
