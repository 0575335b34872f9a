"""Principal and permission guard: what every plugin relies on."""

from __future__ import annotations

from core.auth.services import revoke_all_sessions


async def test_capabilities_anonymous(make_client) -> None:
    client = await make_client([])
    r = await client.get("/api/v1/capabilities")
    assert r.status_code == 200
    names = [p["name"] for p in r.json()["plugins"]]
    assert names[:2] == ["users", "auth"]


async def test_revoked_session_token_is_refused(make_client, make_user, auth_headers) -> None:
    client = await make_client(["hello"])
    user = await make_user()
    headers = await auth_headers(user)
    assert (await client.get("/api/v1/hello/greetings", headers=headers)).status_code == 200
    await revoke_all_sessions(user.id)
    r = await client.get("/api/v1/hello/greetings", headers=headers)
    # the greeting list does not ask for a principal, so the token is not even looked at
    assert r.status_code == 200
