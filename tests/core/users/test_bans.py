"""Temporary bans (lifted when they end, at sign-in or by the job) and the one appeal a banned user may file."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core import db
from core.users import appeals
from core.users import services as users

PASSWORD = "correct horse battery staple"
DEVICE = "device-bans-0001"


async def person(make_user: Any, email: str) -> Any:
    return await make_user(email=email, password=PASSWORD, device_id=DEVICE)


async def login(api: Any, email: str, password: str = PASSWORD) -> Any:
    return await api.post("/api/v1/auth/login", json={"identifier": email, "password": password, "device_id": DEVICE})


async def appeal(api: Any, email: str, text: str = "It was my brother", password: str = PASSWORD) -> Any:
    return await api.post("/api/v1/appeals", json={"identifier": email, "password": password, "text": text})


async def test_a_temporary_ban_ends_by_itself_at_sign_in(make_client, make_user, auth_headers, clock) -> None:
    clock.freeze()
    admin = await make_user(roles=["admin"])
    user = await person(make_user, "tempban@example.org")
    api = await make_client([])
    until = clock.now() + timedelta(days=3)
    r = await api.post(f"/api/v1/users/{user.id}/ban", headers=await auth_headers(admin),
                       json={"reason": "spam", "until": until.isoformat()})
    assert r.status_code == 204, r.text
    r = await login(api, "tempban@example.org")
    assert r.status_code == 401 and r.json()["code"] == "account_inactive"
    clock.advance(timedelta(days=3, seconds=1).total_seconds())
    r = await login(api, "tempban@example.org")
    assert r.status_code == 200, r.text
    assert (await users.get_user(user.id)).status == "active"
    rows = await db.fetch("SELECT action, actor_id, reason, after FROM users.audit_entry WHERE object_id = $1 "
                          "AND action LIKE 'user.%ban' ORDER BY id", str(user.id))
    assert [(r["action"], r["actor_id"]) for r in rows] == [("user.ban", admin.id), ("user.unban", None)]
    assert rows[0]["after"] == f'{{"until": "{until.isoformat()}", "status": "banned"}}'
    assert rows[1]["reason"] == "the temporary ban ended"


async def test_ban_end_must_be_in_the_future_and_aware(make_client, make_user, auth_headers, clock) -> None:
    admin = await make_user(roles=["admin"])
    user = await make_user()
    api = await make_client([])
    headers = await auth_headers(admin)
    past = (clock.now() - timedelta(hours=1)).isoformat()
    r = await api.post(f"/api/v1/users/{user.id}/ban", headers=headers, json={"reason": "x", "until": past})
    assert r.status_code == 422 and r.json()["code"] == "ban_end_past"
    r = await api.post(f"/api/v1/users/{user.id}/ban", headers=headers,
                       json={"reason": "x", "until": "2030-01-01T00:00:00"})  # no offset: refused
    assert r.status_code in (400, 422)
    r = await api.post(f"/api/v1/users/{user.id}/ban", headers=headers, json={"reason": "x", "until": 5})
    assert r.status_code in (400, 422)
    assert (await users.get_user(user.id)).status == "active"


async def test_a_permanent_ban_is_not_lifted_by_time(make_user, clock) -> None:
    clock.freeze()
    user = await person(make_user, "forever@example.org")
    await users.ban_user(user.id, "fraud", None)
    clock.advance(timedelta(days=3650).total_seconds())
    from core.users.lifecycle import lift_expired_bans

    assert await lift_expired_bans() == 0
    assert (await users.get_user(user.id)).status == "banned"


async def test_a_banned_user_appeals_once(make_client, make_user) -> None:
    user = await person(make_user, "appeal@example.org")
    api = await make_client([])
    # Not banned: nothing to appeal against
    r = await appeal(api, "appeal@example.org")
    assert r.status_code == 409 and r.json()["code"] == "not_banned"
    await users.ban_user(user.id, "harassment", None)
    # Wrong credentials: the sign-in's answer, whether the account exists or not
    wrong = await appeal(api, "appeal@example.org", password="not the password")
    unknown = await appeal(api, "nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    r = await appeal(api, "appeal@example.org", "I was hacked; I changed my password.")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending" and body["text"] == "I was hacked; I changed my password."
    again = await appeal(api, "appeal@example.org", "Please!")
    assert again.status_code == 409 and again.json()["code"] == "appeal_exists"
    # Unhappy bodies
    r = await api.post("/api/v1/appeals", json={"identifier": "appeal@example.org", "password": PASSWORD})
    assert r.status_code == 400 or r.status_code == 422
    r = await api.post("/api/v1/appeals", json={"identifier": "appeal@example.org", "password": PASSWORD,
                                                 "text": "x" * 4001})
    assert r.status_code in (400, 422)
    assert len(await appeals.of_user(user.id)) == 1


async def test_staff_accept_or_refuse_an_appeal_once(make_user) -> None:
    staff = await make_user(roles=["admin"])
    accepted = await make_user()
    refused = await make_user()
    for u in (accepted, refused):
        await users.ban_user(u.id, "spam", staff.id)
    a = await appeals.file(accepted.id, "Sorry")
    b = await appeals.file(refused.id, "Not me")
    done = await appeals.decide(a["id"], staff.id, accept=True)
    assert done["status"] == "accepted"
    assert (await users.get_user(accepted.id)).status == "active"
    import pytest

    from core.errors import Conflict, ValidationFailed

    with pytest.raises(ValidationFailed):
        await appeals.decide(b["id"], staff.id, accept=False, answer="  ")
    done = await appeals.decide(b["id"], staff.id, accept=False, answer="The messages were yours.")
    assert done["status"] == "refused" and done["answer"] == "The messages were yours."
    assert (await users.get_user(refused.id)).status == "banned"
    with pytest.raises(Conflict) as exc:
        await appeals.decide(b["id"], staff.id, accept=True)
    assert exc.value.code == "appeal_decided"
    rows = await db.fetch("SELECT action, reason FROM users.audit_entry WHERE action IN ('user.unban', "
                          "'user.appeal_refuse') ORDER BY id")
    assert [(r["action"], r["reason"]) for r in rows] == [
        ("user.unban", f"appeal {a['id']} accepted"), ("user.appeal_refuse", "The messages were yours.")]
    # A new ban opens a new chance to appeal
    await users.ban_user(refused.id, "spam again", staff.id)
    assert (await appeals.file(refused.id, "Again not me"))["status"] == "pending"


async def test_the_panel_queue_of_appeals(admin_client, make_user) -> None:
    client = await admin_client(roles=["admin"])
    banned = await make_user(display_name="Banned Bob")
    await users.ban_user(banned.id, "spam", client.user.id)
    made = await appeals.file(banned.id, "Let me back in")
    r = await client.get("/admin/p/users/appeals")
    assert r.status_code == 200 and "Banned Bob" in r.text and "Let me back in" in r.text
    page = await client.get(f"/admin/users/{banned.id}")
    assert "Ban appeals" in page.text and "Let me back in" in page.text
    r = await client.post("/admin/p/users/appeals/actions/accept",
                          data={"_csrf": client.csrf, "id": [str(made["id"])], "answer": "OK", "confirmed": "1"})
    assert r.status_code in (200, 303), r.text
    assert (await users.get_user(banned.id)).status == "active"
    # Support (no users.ban) cannot open the queue
    support = await admin_client(roles=["support"])
    assert (await support.get("/admin/p/users/appeals")).status_code == 403
