"""The mobile app's auth flow end to end: register → verify → login → refresh → logout."""

from __future__ import annotations

from tests.core.auth.support import DEVICE, login, register_and_verify


async def test_register_verify_login_refresh_logout(make_client, codes) -> None:
    client = await make_client([])
    # Given a registration
    r = await client.post("/api/v1/auth/register", json={"email": "Ada@Example.org", "password": "tangerine-horse-42",
                                                         "display_name": "Ada"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["verification"] == {"channel": "email", "destination": "a***@example.org", "expires_in": 600}
    # An unverified account cannot get tokens: it is asked for the code
    r = await login(client, "ada@example.org")
    assert r.status_code == 401 and r.json()["code"] == "verification_required"
    # When the code is confirmed
    r = await client.post("/api/v1/auth/verify", json={"identifier": "ada@example.org", "code": codes.last("verify"),
                                                       "device_id": DEVICE})
    assert r.status_code == 204, r.text
    # Then login from that device gives tokens
    r = await login(client, "ADA@example.org")
    assert r.status_code == 200, r.text
    pair = r.json()
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 900 and pair["user_id"] == body["user_id"]
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["email"] == "ada@example.org" and me.json()["is_verified"] is True
    # Refresh rotates
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["refresh_token"] != pair["refresh_token"] and new["session_id"] == pair["session_id"]
    headers = {"Authorization": f"Bearer {new['access_token']}"}
    # Logout ends the session: the access token and the refresh token stop working
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    r = await client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"


async def test_new_device_needs_a_code(make_client, codes) -> None:
    client = await make_client([])
    await register_and_verify(client, codes, "bo@example.org")
    r = await login(client, "bo@example.org", device_id="another-device-9")
    assert r.status_code == 401
    assert r.json()["code"] == "verification_required" and r.json()["channel"] == "email"
    wrong = "000000" if codes.last("login") != "000000" else "111111"
    r = await login(client, "bo@example.org", device_id="another-device-9", code=wrong)
    assert r.status_code == 422 and r.json()["code"] == "code_invalid"
    r = await login(client, "bo@example.org", device_id="another-device-9", code=codes.last("login"))
    assert r.status_code == 200, r.text
    # The device is trusted from now on
    r = await login(client, "bo@example.org", device_id="another-device-9")
    assert r.status_code == 200
