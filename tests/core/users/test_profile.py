"""My profile: read, partial update (validation, sizes), onboarding, export and account deletion."""

from __future__ import annotations

from core.auth import services as auth
from core.auth.tables import Session
from core.users.tables import User, UserRole
from tests.core.auth.support import DEVICE, client_with, login
from tests.core.users import shareplugin


async def test_get_and_update_me(login_client) -> None:
    client = await login_client()
    r = await client.get("/api/v1/me")
    assert r.status_code == 200
    assert r.json()["privacy"] == {"profile": "everyone", "participation": "shared", "contact": "shared"}
    assert r.json()["roles"] == ["user"]
    r = await client.patch("/api/v1/me", json={
        "display_name": "Mira", "bio": "Runs marathons", "city": "Lisbon", "home_lat": 38.72, "home_lon": -9.14,
        "interests": ["Running", "running", "hiking"], "language": "pt-PT", "timezone": "Europe/Lisbon",
        "privacy": {"contact": "nobody"}, "onboarding_done": ["profile", "interests"]})
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["display_name"] == "Mira" and me["interests"] == ["hiking", "running"]
    assert me["privacy"] == {"profile": "everyone", "participation": "shared", "contact": "nobody"}
    assert me["onboarding"] == ["interests", "profile"] and me["timezone"] == "Europe/Lisbon"
    # A partial update keeps the rest
    r = await client.patch("/api/v1/me", json={"bio": "Runs ultras"})
    assert r.json()["city"] == "Lisbon" and r.json()["privacy"]["contact"] == "nobody"


async def test_update_me_rejects_bad_input(login_client) -> None:
    client = await login_client()
    bad = [
        {"display_name": ""}, {"display_name": "x" * 101}, {"bio": "b" * 2001}, {"home_lat": 91, "home_lon": 0},
        {"home_lat": 10}, {"interests": ["x" * 41]}, {"interests": [f"t{i}" for i in range(31)]},
        {"timezone": "Nowhere/City"}, {"language": "!!"}, {"privacy": {"profile": "friends"}},
        {"onboarding_done": ["fly"]}, {"email": "new@example.org"}, {"status": "active"}, {"bio": 5},
    ]
    for body in bad:
        r = await client.patch("/api/v1/me", json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_export_contains_account_and_plugins(login_client, sbor_database) -> None:
    client = await login_client(email="exp@example.org")
    r = await client.get("/api/v1/me/export")
    assert r.status_code == 200
    data = r.json()
    assert data["account"]["email"] == "exp@example.org"
    assert "password_hash" not in data["account"] and "totp_secret" not in data["account"]
    assert [s["device"] for s in data["plugins"]["auth"]["sessions"]] == ["pytest"]
    shareplugin.pairs.clear()
    async with client_with({"sharetest": shareplugin}) as other:
        r = await other.get("/api/v1/me/export", headers=dict(client.headers))
        assert r.json()["plugins"]["sharetest"] == {"groups": []}


async def test_delete_account_anonymises_and_calls_plugins(make_user, sbor_database) -> None:
    user = await make_user(email="bye@example.org", password="tangerine-horse-42", device_id=DEVICE,
                           roles=["organiser"])
    keeper = await make_user(email="keep@example.org", password="tangerine-horse-42")
    pair = await auth.start_session(user.id)
    h = {"Authorization": f"Bearer {pair.access_token}"}
    shareplugin.erased.clear()
    shareplugin.refuse.clear()
    async with client_with({"sharetest": shareplugin}) as client:
        r = await client.request("DELETE", "/api/v1/me", headers=h, json={"password": "wrong-password-1"})
        assert r.status_code == 403
        shareplugin.refuse.add(user.id)  # a plugin refuses: nothing is deleted
        r = await client.request("DELETE", "/api/v1/me", headers=h, json={"password": "tangerine-horse-42"})
        assert r.status_code == 409 and r.json()["code"] == "has_open_events"
        me = await client.get("/api/v1/me", headers=h)
        assert me.status_code == 200 and me.json()["bio"] == ""  # the plugin's partial erasure was rolled back
        shareplugin.refuse.clear()
        r = await client.request("DELETE", "/api/v1/me", headers=h, json={"password": "tangerine-horse-42"})
        assert r.status_code == 204
        assert (await client.get("/api/v1/me", headers=h)).status_code == 401
        assert (await login(client, "bye@example.org")).status_code == 401
    assert shareplugin.erased == [user.id]
    row = await User.select().where(User.id == user.id).first()
    assert (row["email"], row["display_name"], row["status"], row["password_hash"]) == (
        None, "Deleted user", "deleted", "")
    assert await UserRole.count().where(UserRole.user == user.id) == 0
    assert await Session.count().where((Session.user == user.id) & Session.revoked_at.is_null()) == 0
    assert (await User.select(User.email).where(User.id == keeper.id).first())["email"] == "keep@example.org"


async def test_referrals_are_paginated(login_client, make_user) -> None:
    from core.users.tables import User

    client = await login_client()
    invited = [await make_user(display_name=f"Friend {i}") for i in range(5)]
    await User.update({User.referred_by: client.user.id}).where(User.id.is_in([u.id for u in invited]))
    seen, cursor = [], None
    while True:
        r = await client.get("/api/v1/me/referrals", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen += [i["display_name"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert seen == [f"Friend {i}" for i in reversed(range(5))]
    assert (await client.get("/api/v1/me/referrals", params={"cursor": "!!bad"})).status_code == 400
    assert (await client.get("/api/v1/me/referrals", params={"limit": 1000})).status_code == 400


async def test_languages_and_private_birth_year(login_client, make_user) -> None:
    from core import clock
    from core.users import lifecycle, services

    client = await login_client()
    me = (await client.get("/api/v1/me")).json()
    assert me["languages"] == [] and me["birth_year"] is None
    r = await client.patch("/api/v1/me", json={"languages": ["en", "pt-BR", "en"], "birth_year": 1990})
    assert r.status_code == 200, r.text
    assert r.json()["languages"] == ["en", "pt-BR"] and r.json()["birth_year"] == 1990
    # Private: another user's view of the profile has neither.
    other = await make_user()
    profile = (await client.get(f"/api/v1/users/{me['id']}/profile")).json()
    assert "birth_year" not in profile and "languages" not in profile
    # Bad values, each with its pointer.
    future = clock.now().year + 1
    for body, pointer in [({"languages": ["e"]}, "/languages/0"), ({"languages": ["en_US"]}, "/languages/0"),
                          ({"languages": [f"l{chr(97 + i)}" for i in range(11)]}, "/languages"),
                          ({"birth_year": 1800}, "/birth_year"), ({"birth_year": future}, "/birth_year"),
                          ({"birth_year": "soon"}, "/birth_year")]:
        r = await client.patch("/api/v1/me", json=body)
        assert r.status_code == 422, body
        assert [e["pointer"] for e in r.json()["errors"]] == [pointer], (body, r.json())
    # Plugins read them through the directory; null clears the year.
    facts = await services.matching_facts([me["id"], other.id, 0])
    assert facts[me["id"]].languages == ("en", "pt-BR") and facts[me["id"]].birth_year == 1990
    assert facts[other.id].languages == () and set(facts) == {me["id"], other.id}
    r = await client.patch("/api/v1/me", json={"birth_year": None})
    assert r.json()["birth_year"] is None
    # Erasure clears them.
    await client.patch("/api/v1/me", json={"birth_year": 1990})
    await lifecycle.anonymise(me["id"])
    row = await User.select(User.languages, User.birth_year).where(User.id == me["id"]).first()
    assert row == {"languages": [], "birth_year": None}
    assert me["id"] not in await services.matching_facts([me["id"]])


async def test_the_home_point_is_stored_coarse(make_client, make_user, auth_headers) -> None:
    client = await make_client([])
    headers = await auth_headers(await make_user())
    r = await client.patch("/api/v1/me", headers=headers, json={"home_lat": 55.751244, "home_lon": 37.618423})
    assert r.status_code == 200, r.text
    assert (r.json()["home_lat"], r.json()["home_lon"]) == (55.75, 37.62)  # about 1 km: an area, not the address
