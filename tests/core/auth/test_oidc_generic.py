"""Core's standard OIDC provider against a real local server: discovery, JWKS-verified ID token, nonce."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from core.auth.oidc_generic import GenericOIDCProvider
from tests.core.auth import fake_oidc, generic_oidc
from tests.core.auth.support import client_with

REDIRECT = "https://app.example.org/oauth"


@pytest.fixture
def idp():
    with fake_oidc.IdentityServer() as server:
        generic_oidc.PROVIDERS[:] = [GenericOIDCProvider("generic", "Generic", server.url, fake_oidc.CLIENT_ID,
                                                         fake_oidc.CLIENT_SECRET)]
        yield server
    generic_oidc.PROVIDERS.clear()


async def _flow(client, hint: str) -> httpx.Response:
    r = await client.post("/api/v1/auth/oidc/generic/start", json={"redirect_uri": REDIRECT})
    assert r.status_code == 200, r.text
    async with httpx.AsyncClient() as browser:
        back = await browser.get(f"{r.json()['authorization_url']}&{urlencode({'login_hint': hint})}")
    q = parse_qs(urlsplit(back.headers["location"]).query)
    return await client.post("/api/v1/auth/oidc/generic/callback", json={"state": q["state"][0],
                                                                           "code": q["code"][0]})


async def test_generic_provider_signs_up_with_verified_id_token(idp, sbor_database) -> None:
    async with client_with({"genericid": generic_oidc}) as client:
        r = await _flow(client, "g-1|gina@example.org|1|Gina")
        assert r.status_code == 200, r.text
        me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})).json()
        assert (me["email"], me["display_name"]) == ("gina@example.org", "Gina")
    assert "GET /.well-known/openid-configuration" in idp.requests and "GET /jwks" in idp.requests
    assert "GET /userinfo" not in idp.requests  # the verified ID token carried everything


async def test_wrong_nonce_is_refused(idp, sbor_database) -> None:
    idp.id_token_nonce = "replayed-nonce"
    async with client_with({"genericid": generic_oidc}) as client:
        r = await _flow(client, "g-2|g2@example.org|1|G")
        assert r.status_code == 401 and r.json()["code"] == "oidc_refused"


async def test_id_token_signed_by_another_key_is_refused(idp, sbor_database) -> None:
    idp.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with client_with({"genericid": generic_oidc}) as client:
        r = await _flow(client, "g-3|g3@example.org|1|G")
        assert r.status_code == 401 and r.json()["code"] == "oidc_refused"
