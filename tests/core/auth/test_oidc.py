"""OIDC sign-in through a provider plugin against a real local identity server: sign-up, sign-in, linking."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from core.auth.tables import Identity
from core.users.tables import User
from tests.core.auth import fake_oidc
from tests.core.auth.support import client_with

REDIRECT = "sbor://oauth/callback"


@pytest.fixture
def idp():
    with fake_oidc.IdentityServer() as server:
        fake_oidc.PROVIDER.base_url = server.url
        yield server


async def _authorize(url: str, hint: str) -> dict[str, str]:
    """Play the user in the browser: open the authorisation URL, get sent back with code and state."""
    async with httpx.AsyncClient() as browser:
        r = await browser.get(f"{url}&{urlencode({'login_hint': hint})}")
    assert r.status_code == 302, r.text
    q = parse_qs(urlsplit(r.headers["location"]).query)
    return {"code": q["code"][0], "state": q["state"][0]}


async def _sign_in(client, hint: str, headers: dict | None = None) -> httpx.Response:
    r = await client.post("/api/v1/auth/oidc/fakeid/start", json={"redirect_uri": REDIRECT}, headers=headers or {})
    assert r.status_code == 200, r.text
    back = await _authorize(r.json()["authorization_url"], hint)
    assert back["state"] == r.json()["state"]
    return await client.post("/api/v1/auth/oidc/fakeid/callback", json={**back, "device_name": "Pixel"})


async def test_sign_up_then_sign_in_with_provider(idp, sbor_database) -> None:
    async with client_with({"fakeid": fake_oidc}) as client:
        r = await client.get("/api/v1/auth/oidc/providers")
        assert r.json() == [{"name": "fakeid", "display_name": "Fake ID"}]
        r = await _sign_in(client, "sub-1|new@example.org|1|Nadia")
        assert r.status_code == 200, r.text
        uid = r.json()["user_id"]
        me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})).json()
        assert (me["email"], me["display_name"], me["is_verified"]) == ("new@example.org", "Nadia", True)
        # Second time: the same account
        r = await _sign_in(client, "sub-1|new@example.org|1|Nadia")
        assert r.status_code == 200 and r.json()["user_id"] == uid
    assert "POST /token" in idp.requests and "GET /userinfo" in idp.requests
    assert await Identity.count() == 1


async def test_existing_email_is_not_taken_over_but_can_be_linked(idp, make_user, auth_headers,
                                                                  sbor_database) -> None:
    owner = await make_user(email="owner@example.org")
    async with client_with({"fakeid": fake_oidc}) as client:
        r = await _sign_in(client, "sub-2|owner@example.org|1|Mallory")
        assert r.status_code == 409 and r.json()["code"] == "link_required"
        # Signed in, the owner links the provider; afterwards it signs them in
        r = await _sign_in(client, "sub-2|owner@example.org|1|Owner", headers=await auth_headers(owner))
        assert r.status_code == 200 and r.json()["user_id"] == owner.id
        r = await _sign_in(client, "sub-2|owner@example.org|1|Owner")
        assert r.status_code == 200 and r.json()["user_id"] == owner.id
        # Another user cannot link the same provider account
        other = await make_user()
        r = await _sign_in(client, "sub-2|owner@example.org|1|Owner", headers=await auth_headers(other))
        assert r.status_code == 409 and r.json()["code"] == "identity_linked"


async def test_unverified_provider_email_is_not_trusted(idp, sbor_database) -> None:
    async with client_with({"fakeid": fake_oidc}) as client:
        r = await _sign_in(client, "sub-3|someone@example.org|0|Sam")
        assert r.status_code == 200
    row = await User.select(User.email).where(User.id == r.json()["user_id"]).first()
    assert row["email"] is None


async def test_state_and_code_are_single_use(idp, sbor_database) -> None:
    async with client_with({"fakeid": fake_oidc}) as client:
        r = await client.post("/api/v1/auth/oidc/fakeid/start", json={"redirect_uri": REDIRECT})
        back = await _authorize(r.json()["authorization_url"], "sub-4|four@example.org|1|Four")
        assert (await client.post("/api/v1/auth/oidc/fakeid/callback", json=back)).status_code == 200
        r = await client.post("/api/v1/auth/oidc/fakeid/callback", json=back)
        assert r.status_code == 400 and r.json()["code"] == "oidc_state_invalid"
        # A fresh state with a spent code: the provider refuses
        r = await client.post("/api/v1/auth/oidc/fakeid/start", json={"redirect_uri": REDIRECT})
        r = await client.post("/api/v1/auth/oidc/fakeid/callback", json={"state": r.json()["state"],
                                                                           "code": back["code"]})
        assert r.status_code == 401 and r.json()["code"] == "oidc_refused"
        r = await client.post("/api/v1/auth/oidc/nosuch/start", json={"redirect_uri": REDIRECT})
        assert r.status_code == 404 and r.json()["code"] == "provider_not_found"


async def test_unreachable_provider_is_503(sbor_database) -> None:
    fake_oidc.PROVIDER.base_url = "http://127.0.0.1:9"  # discard port: nothing listens
    async with client_with({"fakeid": fake_oidc}) as client:
        r = await client.post("/api/v1/auth/oidc/fakeid/start", json={"redirect_uri": REDIRECT})
        state = r.json()["state"]
        r = await client.post("/api/v1/auth/oidc/fakeid/callback", json={"state": state, "code": "x"})
        assert r.status_code == 503 and r.json()["code"] == "oidc_unavailable"


async def test_unlink_keeps_one_way_to_sign_in(idp, make_user, auth_headers, sbor_database) -> None:
    async with client_with({"fakeid": fake_oidc}) as client:
        r = await _sign_in(client, "sub-5|five@example.org|1|Five")
        h = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = await client.delete("/api/v1/auth/oidc/fakeid/link", headers=h)
        assert r.status_code == 409 and r.json()["code"] == "last_sign_in_method"
        pw_user = await make_user(password="tangerine-horse-42")
        ph = await auth_headers(pw_user)
        r = await _sign_in(client, "sub-6|six@example.org|1|Six", headers=ph)
        assert r.status_code == 200
        assert (await client.delete("/api/v1/auth/oidc/fakeid/link", headers=ph)).status_code == 204
        assert (await client.delete("/api/v1/auth/oidc/fakeid/link", headers=ph)).status_code == 404
