"""Login: no enumeration, throttling, bans, hash upgrades, password reset and change."""

from __future__ import annotations

import statistics
import time

from core import settings as core_settings
from core.auth import services
from core.users import services as users
from core.users.tables import User
from tests.core.auth.support import DEVICE, login, register_and_verify

PW = "tangerine-horse-42"


async def test_unknown_account_and_wrong_password_look_the_same(make_client, make_user) -> None:
    client = await make_client([])
    await make_user(email="known@example.org", password=PW, device_id=DEVICE)
    wrong = await login(client, "known@example.org", "wrong-password-1")
    unknown = await login(client, "nobody@example.org", "wrong-password-1")
    malformed = await login(client, "not an identifier", "wrong-password-1")
    for r in (wrong, unknown, malformed):
        assert r.status_code == 401
        body = r.json()
        assert (body["code"], body["title"], body["detail"]) == (
            "invalid_credentials", "Authentication required", "Wrong email/phone or password")


async def test_unknown_account_costs_a_hash_verification_too(make_user, sbor_database) -> None:
    from core.auth.accounts import authenticate_password
    from core.errors import NotAuthenticated

    await make_user(email="timing@example.org", password=PW)

    async def measure(identifier: str) -> float:
        start = time.perf_counter()
        try:
            await authenticate_password(identifier, "wrong-password-1", ip=f"10.0.0.{len(identifier)}")
        except NotAuthenticated:
            pass
        return time.perf_counter() - start

    known = statistics.median([await measure("timing@example.org") for _ in range(5)])
    unknown = statistics.median([await measure("nobody-here@example.org") for _ in range(5)])
    # Both verify an argon2 hash (tens of ms); without the dummy hash the unknown case would take ~1 ms.
    assert unknown > known * 0.4, (known, unknown)


async def test_a_strangers_guesses_lock_out_only_the_stranger(make_client, make_user) -> None:
    attacker = await make_client([], client_ip="203.0.113.9")
    owner = await make_client([], client_ip="198.51.100.20")
    await make_user(email="victim@example.org", password=PW, device_id=DEVICE)
    limit = core_settings.get_settings().auth.login_account_limit
    for _ in range(limit):
        assert (await login(attacker, "victim@example.org", "guess-guess-1", device_id="x" * 36)).status_code == 401
    r = await login(attacker, "victim@example.org", PW, device_id="x" * 36)  # even the right password waits there
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 0 < int(r.headers["retry-after"]) <= 900
    assert (await login(owner, "victim@example.org", PW)).status_code == 200  # the owner, elsewhere, signs in
    # Unknown accounts are throttled the same way (no enumeration through the limiter)
    for _ in range(limit):
        await login(attacker, "ghost@example.org", "guess-guess-1")
    assert (await login(attacker, "ghost@example.org", "guess-guess-1")).status_code == 429


async def test_guessing_from_many_addresses_is_limited_but_the_owners_device_gets_through(
        make_client, make_user, monkeypatch) -> None:
    auth = core_settings.get_settings().auth
    monkeypatch.setattr(auth, "login_account_all_limit", 6)
    await make_user(email="target@example.org", password=PW, device_id=DEVICE)
    for i in range(6):
        bot = await make_client([], client_ip=f"192.0.2.{i + 1}")
        assert (await login(bot, "target@example.org", "guess-guess-1", device_id="y" * 36)).status_code == 401
    bot = await make_client([], client_ip="192.0.2.99")
    r = await login(bot, "target@example.org", PW, device_id="y" * 36)  # an unknown device: the account is limited
    assert r.status_code == 429
    owner = await make_client([], client_ip="198.51.100.30")
    assert (await login(owner, "target@example.org", PW)).status_code == 200  # a device the account trusts


async def test_limits_slide_a_burst_across_a_window_boundary_is_not_doubled(sbor_database, clock) -> None:
    from core import ratelimit
    from core.errors import RateLimited

    clock.freeze()
    clock.advance(900 - (clock.timestamp() % 900) - 1)  # one second before a window ends
    for _ in range(10):
        await ratelimit.hit("test_slide", "s", limit=10, window_s=900)
    clock.advance(2)  # the next fixed window has begun: a fixed window would allow ten more here
    try:
        await ratelimit.hit("test_slide", "s", limit=10, window_s=900)
    except RateLimited as exc:
        assert 60 < int(exc.headers["Retry-After"]) <= 100  # as the first burst fades: ~a tenth of the window
    else:
        raise AssertionError("a second burst right after the boundary passed the limit")
    clock.advance(900)  # a whole window later the first burst has faded out
    assert await ratelimit.hit("test_slide", "s", limit=10, window_s=900) >= 8


async def test_login_is_throttled_per_ip(make_client) -> None:
    client = await make_client([], client_ip="198.51.100.7")
    limit = core_settings.get_settings().auth.login_ip_limit
    statuses = [(await login(client, f"u{i}@example.org", "guess-guess-1")).status_code for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit and statuses[-1] == 429
    other = await make_client([], client_ip="198.51.100.8")
    assert (await login(other, "u0@example.org", "guess-guess-1")).status_code == 401


async def test_banned_user_cannot_login_or_refresh_and_loses_sessions(make_client, make_user) -> None:
    client = await make_client([])
    mod = await make_user(roles=["moderator"])
    user = await make_user(email="bad@example.org", password=PW, device_id=DEVICE)
    pair = await services.start_session(user.id)
    await users.ban_user(user.id, "spam", mod.id)
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair.access_token}"})
    assert r.status_code == 401
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair.refresh_token})
    assert r.status_code == 401
    r = await login(client, "bad@example.org")
    assert r.status_code == 401 and r.json()["code"] == "account_inactive"
    await users.unban_user(user.id, mod.id)
    assert (await login(client, "bad@example.org")).status_code == 200


async def test_password_hash_is_upgraded_on_login(make_client, make_user) -> None:
    client = await make_client([])
    auth = core_settings.get_settings().auth
    saved = auth.argon2_time_cost, auth.argon2_memory_kib
    try:
        auth.argon2_time_cost, auth.argon2_memory_kib = 1, 8192
        user = await make_user(email="old@example.org", password=PW, device_id=DEVICE)
        before = (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"]
        assert "m=8192,t=1" in before
        auth.argon2_time_cost, auth.argon2_memory_kib = saved
        assert (await login(client, "old@example.org")).status_code == 200
        after = (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"]
        assert f"m={saved[1]},t={saved[0]}" in after and after != before
        assert (await login(client, "old@example.org")).status_code == 200  # the upgraded hash verifies
    finally:
        auth.argon2_time_cost, auth.argon2_memory_kib = saved


async def test_password_reset(make_client, codes) -> None:
    client = await make_client([])
    uid = await register_and_verify(client, codes, "forgot@example.org")
    pair = (await login(client, "forgot@example.org")).json()
    # Same answer for an unknown account
    for ident in ("forgot@example.org", "unknown@example.org", "garbage"):
        r = await client.post("/api/v1/auth/password/forgot", json={"identifier": ident})
        assert r.status_code == 202
    assert [u for u, p, _ in codes.all("reset")] == [uid]
    code = codes.last("reset")
    r = await client.post("/api/v1/auth/password/reset", json={"identifier": "forgot@example.org", "code": code,
                                                                 "new_password": "password123"})
    assert r.status_code == 422 and r.json()["code"] == "weak_password"
    r = await client.post("/api/v1/auth/password/reset", json={"identifier": "forgot@example.org", "code": code,
                                                                 "new_password": "lavender-canoe-77"})
    assert r.status_code == 204, r.text
    # The code works once, old sessions are gone, the new password works
    r = await client.post("/api/v1/auth/password/reset", json={"identifier": "forgot@example.org", "code": code,
                                                                 "new_password": "lavender-canoe-78"})
    assert r.status_code == 422
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401
    assert (await login(client, "forgot@example.org", "lavender-canoe-77")).status_code == 200
    assert (await login(client, "forgot@example.org", PW)).status_code == 401


async def test_codes_have_an_attempt_limit_and_expire(make_client, codes, clock) -> None:
    client = await make_client([])
    await register_and_verify(client, codes, "limit@example.org")
    await client.post("/api/v1/auth/password/forgot", json={"identifier": "limit@example.org"})
    good = codes.last("reset")
    bad = "000000" if good != "000000" else "111111"
    body = {"identifier": "limit@example.org", "new_password": "lavender-canoe-77"}
    for _ in range(5):
        r = await client.post("/api/v1/auth/password/reset", json={**body, "code": bad})
        assert r.status_code == 422
    assert r.json()["code"] == "code_exhausted"
    r = await client.post("/api/v1/auth/password/reset", json={**body, "code": good})
    assert r.status_code == 422  # dead after five wrong tries, even with the right code
    # A new code expires after ten minutes
    clock.freeze()
    await client.post("/api/v1/auth/password/forgot", json={"identifier": "limit@example.org"})
    clock.advance(601)
    r = await client.post("/api/v1/auth/password/reset", json={**body, "code": codes.last("reset")})
    assert r.status_code == 422 and r.json()["code"] == "code_invalid"


async def test_change_password_ends_other_sessions(make_client, make_user) -> None:
    client = await make_client([])
    user = await make_user(email="chg@example.org", password=PW, device_id=DEVICE)
    a = await services.start_session(user.id, "a")
    b = await services.start_session(user.id, "b")
    h = {"Authorization": f"Bearer {a.access_token}"}
    r = await client.post("/api/v1/auth/password/change", headers=h,
                          json={"current_password": "wrong-one-123", "new_password": "lavender-canoe-77"})
    assert r.status_code == 403
    r = await client.post("/api/v1/auth/password/change", headers=h,
                          json={"current_password": PW, "new_password": "lavender-canoe-77"})
    assert r.status_code == 204
    assert (await client.get("/api/v1/me", headers=h)).status_code == 200
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {b.access_token}"})
    assert r.status_code == 401


async def test_verify_resend_and_wrong_code(make_client, codes) -> None:
    client = await make_client([])
    await client.post("/api/v1/auth/register", json={"email": "slow@example.org", "password": PW})
    first = codes.last("verify")
    r = await client.post("/api/v1/auth/verify/resend", json={"identifier": "slow@example.org"})
    assert r.status_code == 202
    second = codes.last("verify")
    r = await client.post("/api/v1/auth/verify", json={"identifier": "slow@example.org", "code": first})
    if first != second:  # the older code stopped working
        assert r.status_code == 422
    r = await client.post("/api/v1/auth/verify", json={"identifier": "nobody@example.org", "code": second})
    assert r.status_code == 422 and r.json()["code"] == "code_invalid"
    r = await client.post("/api/v1/auth/verify", json={"identifier": "slow@example.org", "code": second})
    assert r.status_code == 204
    assert (await client.post("/api/v1/auth/verify/resend", json={"identifier": "nobody@x.org"})).status_code == 202


async def test_forgot_password_send_limit_does_not_reveal_the_account(make_client, make_user, codes) -> None:
    client = await make_client([])
    user = await make_user(email="many@example.org")
    answers = []
    for ident in ["many@example.org"] * 7 + ["ghost@example.org"] * 7:
        r = await client.post("/api/v1/auth/password/forgot", json={"identifier": ident})
        answers.append(r.status_code)
    assert answers == [202] * 14
    sent = core_settings.get_settings().auth.code_send_limit
    assert [u for u, _p, _c in codes.all("reset")] == [user.id] * sent


async def test_test_kit_fixtures(admin_user, login_client) -> None:
    assert await users.roles_of(admin_user.id) == ["admin", "user"]
    client = await login_client(roles=["organiser"])
    r = await client.get("/api/v1/me")
    assert r.status_code == 200 and r.json()["roles"] == ["organiser", "user"] and r.json()["id"] == client.user.id


async def test_phone_login_throttle_counts_every_spelling(make_client, make_user) -> None:
    client = await make_client([])
    await make_user(phone="+447911123456", password=PW, device_id=DEVICE)
    limit = core_settings.get_settings().auth.login_account_limit
    spellings = ["+447911123456", "+44 7911 123456", "+44 (0)7911-123456", "+44 7911 123 456"]
    statuses = [(await login(client, spellings[i % 4], "guess-guess-1")).status_code for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit and statuses[-1] == 429
