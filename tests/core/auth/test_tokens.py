"""Access and refresh tokens under attack: tampering, alg none, expiry, unknown kid, rotation, reuse, races."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta

import jwt
import pytest

from core import settings as core_settings
from core.auth import services
from core.auth.tokens import decode_access_token, issue_access_token
from core.errors import NotAuthenticated


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _me(client, token: str):
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


async def test_valid_token_reaches_me(make_client, make_user) -> None:
    client = await make_client([])
    user = await make_user()
    pair = await services.start_session(user.id, "phone")
    r = await _me(client, pair.access_token)
    assert r.status_code == 200 and r.json()["id"] == user.id


async def test_tampered_payload_is_refused(make_client, make_user) -> None:
    client = await make_client([])
    victim, attacker = await make_user(), await make_user()
    pair = await services.start_session(attacker.id)
    header, payload, sig = pair.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(victim.id)
    r = await _me(client, f"{header}.{_b64(claims)}.{sig}")
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_alg_none_is_refused(make_client, make_user) -> None:
    client = await make_client([])
    user = await make_user()
    _sid, token = await services.open_session(user.id)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': jwt.get_unverified_header(token)['kid']})}.{_b64(claims)}."
    r = await _me(client, forged)
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"


async def test_other_algorithm_with_the_key_is_refused(make_client, make_user) -> None:
    client = await make_client([])
    user = await make_user()
    auth = core_settings.get_settings().auth
    _sid, token = await services.open_session(user.id)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, auth.jwt_keys[auth.jwt_current_kid], algorithm="HS512",
                        headers={"kid": auth.jwt_current_kid})
    r = await _me(client, forged)
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"


async def test_expired_access_token(make_client, make_user, clock) -> None:
    client = await make_client([])
    user = await make_user()
    clock.freeze()
    _sid, token = await services.open_session(user.id)
    assert (await _me(client, token)).status_code == 200
    clock.advance(timedelta(seconds=901))
    r = await _me(client, token)
    assert r.status_code == 401 and r.json()["code"] == "token_expired"


async def test_unknown_kid_is_refused(make_client, make_user) -> None:
    client = await make_client([])
    user = await make_user()
    auth = core_settings.get_settings().auth
    _sid, token = await services.open_session(user.id)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, auth.jwt_keys[auth.jwt_current_kid], algorithm="HS256", headers={"kid": "k-other"})
    r = await _me(client, forged)
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"


async def test_garbage_and_wrong_scheme(make_client) -> None:
    client = await make_client([])
    for header in ("Bearer not.a.jwt", "Bearer x", "Basic dXNlcjpwdw==", "Bearer " + "a" * 5000):
        r = await client.get("/api/v1/me", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.json()["code"] == "token_invalid"


async def test_key_rotation_keeps_old_tokens_valid_until_the_key_is_dropped(make_user, sbor_database) -> None:
    user = await make_user()
    auth = core_settings.get_settings().auth
    saved = (dict(auth.jwt_keys), auth.jwt_current_kid)
    try:
        old_token = issue_access_token(user.id, (await services.open_session(user.id))[0])
        auth.jwt_keys["k-new"] = "a-brand-new-signing-secret-0123456789abcdef"
        auth.jwt_current_kid = "k-new"
        new_token = issue_access_token(user.id, (await services.open_session(user.id))[0])
        assert jwt.get_unverified_header(new_token)["kid"] == "k-new"
        assert decode_access_token(old_token).user_id == user.id  # old key still listed: accepted
        del auth.jwt_keys[saved[1]]
        with pytest.raises(NotAuthenticated):
            decode_access_token(old_token)
        assert decode_access_token(new_token).user_id == user.id
    finally:
        auth.jwt_keys.clear()
        auth.jwt_keys.update(saved[0])
        auth.jwt_current_kid = saved[1]


async def test_refresh_reuse_revokes_the_family(make_client, make_user) -> None:
    client = await make_client([])
    user = await make_user()
    first = await services.start_session(user.id)
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first.refresh_token})
    assert r.status_code == 200
    second = r.json()
    # The old token comes back (stolen copy): the whole session ends, including the newest tokens
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first.refresh_token})
    assert r.status_code == 401 and r.json()["code"] == "refresh_reused"
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    assert (await _me(client, second["access_token"])).status_code == 401


async def test_twenty_concurrent_refreshes_exactly_one_wins(make_client, make_user) -> None:
    client = await make_client([])
    user = await make_user()
    for _round in range(5):  # a race: repeat it so a lucky ordering cannot hide a second winner (or none)
        pair = await services.start_session(user.id)
        results = await asyncio.gather(*[
            client.post("/api/v1/auth/refresh", json={"refresh_token": pair.refresh_token}) for _ in range(20)
        ])
        codes = sorted(r.status_code for r in results)
        assert codes.count(200) == 1, codes
        assert codes.count(401) == 19
        assert {r.json()["code"] for r in results if r.status_code == 401} == {"refresh_reused"}
        # The losers' reuse detection ended the family: the winner's new refresh token is dead too
        winner = next(r.json() for r in results if r.status_code == 200)
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]})
        assert r.status_code == 401 and r.json()["code"] == "session_revoked"


async def test_unknown_refresh_token(make_client) -> None:
    client = await make_client([])
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": "made-up"})
    assert r.status_code == 401 and r.json()["code"] == "refresh_invalid"
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 500})
    assert r.status_code == 422
    r = await client.post("/api/v1/auth/refresh", json={"token": "x"})
    assert r.status_code == 422


async def test_refresh_has_an_absolute_lifetime(make_client, make_user, clock) -> None:
    client = await make_client([])
    user = await make_user()
    clock.freeze()
    pair = await services.start_session(user.id)
    token = pair.refresh_token
    for _ in range(3):  # rotating does not extend the family's life
        clock.advance(timedelta(days=9))
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": token})
        assert r.status_code == 200
        token = r.json()["refresh_token"]
    clock.advance(timedelta(days=4))  # 31 days after sign-in
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert r.status_code == 401 and r.json()["code"] == "session_expired"


async def test_sessions_list_and_logout_everywhere(make_client, make_user) -> None:
    client = await make_client([])
    user = await make_user()
    a = await services.start_session(user.id, "Pixel")
    b = await services.start_session(user.id, "iPad")
    h = {"Authorization": f"Bearer {a.access_token}"}
    r = await client.get("/api/v1/auth/sessions", headers=h)
    assert r.status_code == 200
    listed = {s["device"]: s["current"] for s in r.json()}
    assert listed == {"Pixel": True, "iPad": False}
    r = await client.delete(f"/api/v1/auth/sessions/{b.session_id}", headers=h)
    assert r.status_code == 204
    assert (await _me(client, b.access_token)).status_code == 401
    assert (await client.post("/api/v1/auth/logout-all", headers=h)).status_code == 204
    assert (await _me(client, a.access_token)).status_code == 401


async def test_cannot_list_or_end_someone_elses_session(make_client, make_user) -> None:
    client = await make_client([])
    alice, bob = await make_user(), await make_user()
    a = await services.start_session(alice.id, "alice-phone")
    b = await services.start_session(bob.id, "bob-phone")
    h = {"Authorization": f"Bearer {a.access_token}"}
    r = await client.get("/api/v1/auth/sessions", headers=h)
    assert [s["device"] for s in r.json()] == ["alice-phone"]
    r = await client.delete(f"/api/v1/auth/sessions/{b.session_id}", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "session_not_found"
    assert (await _me(client, b.access_token)).status_code == 200  # Bob is still signed in
    r = await client.delete("/api/v1/auth/sessions/not-a-uuid", headers=h)
    assert r.status_code in (400, 404) and r.headers["content-type"].startswith("application/problem+json")


async def test_anonymous_calls_are_401(make_client) -> None:
    client = await make_client([])
    for method, path in (("GET", "/api/v1/me"), ("POST", "/api/v1/auth/logout"), ("GET", "/api/v1/auth/sessions"),
                         ("POST", "/api/v1/auth/totp/setup"), ("GET", "/api/v1/me/export")):
        r = await client.request(method, path)
        assert r.status_code == 401, (method, path)
        assert r.json()["code"] == "not_authenticated"
