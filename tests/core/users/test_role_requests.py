"""Asking for the organiser role through the API; staff approve or reject it in the panel."""

from __future__ import annotations

from typing import Any

from core.users import services as users

URL = "/admin/p/users/role-requests"


async def test_a_user_asks_for_the_organiser_role_and_staff_approve_it(make_client: Any, make_user: Any,
                                                                      auth_headers: Any, admin_client: Any) -> None:
    api = await make_client([])
    user = await make_user()
    me = await auth_headers(user)
    r = await api.post("/api/v1/me/role-requests", headers=me, json={"role": "organiser", "note": "I run a club"})
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    assert r.json()["status"] == "pending"
    again = await api.post("/api/v1/me/role-requests", headers=me, json={"role": "organiser"})
    assert again.status_code == 409 and again.json()["code"] == "request_pending"
    r = await api.post("/api/v1/me/role-requests", headers=me, json={"role": "admin"})
    assert r.status_code == 422 and r.json()["code"] == "role_not_requestable"
    assert r.json()["errors"][0]["pointer"] == "/role"
    assert (await api.post("/api/v1/me/role-requests", json={"role": "organiser"})).status_code == 401

    staff = await admin_client(roles=["admin"])
    page = await staff.get(URL)
    assert page.status_code == 200 and "I run a club" in page.text
    r = await staff.post(f"{URL}/actions/approve", data={"_csrf": staff.csrf, "id": str(request_id),
                                                         "back": URL, "confirmed": "1"})
    assert r.status_code == 303, r.text
    assert "organiser" in await users.roles_of(user.id)
    mine = (await api.get("/api/v1/me/role-requests", headers=me)).json()
    assert [(m["id"], m["status"]) for m in mine] == [(request_id, "approved")]
    r = await api.post("/api/v1/me/role-requests", headers=me, json={"role": "organiser"})
    assert r.status_code == 409 and r.json()["code"] == "role_held"
    # deciding twice: the second moderator is told, not silently obeyed
    r = await staff.post(f"{URL}/actions/approve", data={"_csrf": staff.csrf, "id": str(request_id),
                                                         "back": URL, "confirmed": "1"})
    assert r.status_code == 409 and "already decided" in r.text


async def test_a_rejection_needs_a_reason_the_user_then_reads(make_client: Any, make_user: Any, auth_headers: Any,
                                                              admin_client: Any) -> None:
    api = await make_client([])
    user = await make_user()
    me = await auth_headers(user)
    request_id = (await api.post("/api/v1/me/role-requests", headers=me, json={"role": "organiser"})).json()["id"]
    staff = await admin_client(roles=["admin"])
    r = await staff.post(f"{URL}/actions/reject", data={"_csrf": staff.csrf, "id": str(request_id), "back": URL,
                                                        "confirmed": "1", "reason": ""})
    assert r.status_code == 422  # the form again, asking for the reason
    r = await staff.post(f"{URL}/actions/reject", data={"_csrf": staff.csrf, "id": str(request_id), "back": URL,
                                                        "confirmed": "1", "reason": "Tell us about your events"})
    assert r.status_code == 303
    (mine,) = (await api.get("/api/v1/me/role-requests", headers=me)).json()
    assert mine["status"] == "rejected" and mine["reason"] == "Tell us about your events"
    assert "organiser" not in await users.roles_of(user.id)
    moderator = await admin_client(roles=["moderator"])  # no roles.edit
    assert (await moderator.get(URL)).status_code == 403
