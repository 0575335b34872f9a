"""Registration: validation of email/phone/password, duplicates (also concurrent), referrals, throttling."""

from __future__ import annotations

import asyncio

from core.auth.passwords import check_strength, common_passwords
from core.users.tables import User

GOOD = "tangerine-horse-42"


async def test_register_with_phone(make_client, codes) -> None:
    client = await make_client([])
    r = await client.post("/api/v1/auth/register", json={"phone": "+44 7911 123456", "password": GOOD})
    assert r.status_code == 201, r.text
    assert r.json()["verification"]["channel"] == "sms"
    row = await User.select(User.phone, User.email, User.is_verified).where(User.id == r.json()["user_id"]).first()
    assert row == {"phone": "+447911123456", "email": None, "is_verified": False}
    assert codes.all("verify")[-1][0] == r.json()["user_id"]


async def test_invalid_email_and_phone(make_client) -> None:
    client = await make_client([])
    cases = [
        ({"email": "not-an-email", "password": GOOD}, "/email"),
        ({"email": "a@b", "password": GOOD}, "/email"),
        ({"phone": "12345", "password": GOOD}, "/phone"),
        ({"phone": "+1 555 000", "password": GOOD}, "/phone"),
        ({"phone": "+999 123456789", "password": GOOD}, "/phone"),
    ]
    for body, pointer in cases:
        r = await client.post("/api/v1/auth/register", json=body)
        assert r.status_code == 422, body
        assert r.json()["errors"][0]["pointer"] == pointer
    r = await client.post("/api/v1/auth/register", json={"password": GOOD})
    assert r.status_code == 422 and r.json()["code"] == "identifier_required"


async def test_weak_passwords_are_refused(make_client) -> None:
    client = await make_client([])
    for pw in ("short1!", "Password123", "QWERTYUIOP", "1234567890", "aaaaaaaaaaaa", "iloveyou2024"):
        r = await client.post("/api/v1/auth/register", json={"email": "x@example.org", "password": pw})
        assert r.status_code == 422, pw
        assert r.json()["code"] == "weak_password" and r.json()["errors"][0]["pointer"] == "/password"
    assert await User.count() == 0


def test_common_list_is_substantial_and_case_insensitive() -> None:
    words = common_passwords()
    assert len(words) > 3000 and "password1234" in words and "qwertyuiop" in words
    check_strength("tangerine-horse-42")


async def test_wrong_types_missing_fields_and_huge_payloads(make_client) -> None:
    client = await make_client([])
    for body in ({"email": 5, "password": GOOD}, {"email": "a@example.org"}, {"email": "a@example.org",
                 "password": GOOD, "unexpected": 1}, {"email": "a@example.org", "password": GOOD,
                                                      "display_name": "x" * 101},
                 {"email": "a" * 300 + "@example.org", "password": GOOD}, {"email": "a@example.org",
                                                                           "password": "p" * 2000}):
        r = await client.post("/api/v1/auth/register", json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post("/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = await client.post("/api/v1/auth/register", content=b"x" * 2_000_000,
                          headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = await client.post("/api/v1/auth/register", json={"email": "a@example.org", "password": GOOD,
                                                          "timezone": "Mars/Olympus"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/timezone"


async def test_same_email_twice_is_409(make_client, codes) -> None:
    client = await make_client([])
    r = await client.post("/api/v1/auth/register", json={"email": "dup@example.org", "password": GOOD})
    assert r.status_code == 201
    r = await client.post("/api/v1/auth/register", json={"email": "DUP@example.org", "password": GOOD})
    assert r.status_code == 409 and r.json()["code"] == "account_exists"


async def test_concurrent_registration_exactly_one_wins(make_client, codes) -> None:
    client = await make_client([])
    results = await asyncio.gather(*[
        client.post("/api/v1/auth/register", json={"email": "race@example.org", "password": GOOD})
        for _ in range(6)
    ])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409, 409, 409], statuses
    assert all(r.json()["code"] == "account_exists" for r in results if r.status_code == 409)
    assert await User.count().where(User.email == "race@example.org") == 1


async def test_referral_is_recorded_and_listed(make_client, make_user, auth_headers, codes) -> None:
    client = await make_client([])
    inviter = await make_user()
    h = await auth_headers(inviter)
    code = (await client.get("/api/v1/me", headers=h)).json()["referral_code"]
    assert code and len(code) == 10
    r = await client.post("/api/v1/auth/register", json={"email": "friend@example.org", "password": GOOD,
                                                          "display_name": "Friend", "referral_code": code.lower()})
    assert r.status_code == 201, r.text
    r = await client.get("/api/v1/me/referrals", headers=h)
    assert [i["display_name"] for i in r.json()["items"]] == ["Friend"]
    r = await client.post("/api/v1/auth/register", json={"email": "f2@example.org", "password": GOOD,
                                                          "referral_code": "NOSUCHCODE"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/referral_code"
    # Someone else's referrals are theirs only
    other = await make_user()
    r = await client.get("/api/v1/me/referrals", headers=await auth_headers(other))
    assert r.json()["items"] == []


async def test_registration_is_throttled_per_ip(make_client, codes) -> None:
    client = await make_client([], settings=None)
    last = None
    for i in range(11):
        last = await client.post("/api/v1/auth/register", json={"email": f"r{i}@example.org", "password": "x"})
    assert last is not None and last.status_code == 429
    assert int(last.headers["retry-after"]) > 0 and last.json()["code"] == "rate_limited"


async def test_user_registered_hook_and_send_verification_hook(codes) -> None:
    from tests.core.auth import codesink
    from tests.core.auth.support import client_with

    codesink.seen.clear()
    async with client_with({"codesink": codesink}) as client:
        r = await client.post("/api/v1/auth/register", json={"email": "hook@example.org", "password": GOOD})
        assert r.status_code == 201
    uid = r.json()["user_id"]
    assert codesink.seen[0][:5] == ("sent", uid, "email", "hook@example.org", "verify")
    assert codesink.seen[0][5].isdigit() and len(codesink.seen[0][5]) == 6
    assert codesink.seen[1] == ("registered", uid)
    assert codes.all() == []  # delivered by the plugin: not written to the log


async def test_codes_never_reach_the_log_in_production(make_app, make_user, codes, caplog) -> None:
    from core import settings as core_settings
    from core.auth import codes as code_service

    make_app([])  # no delivery plugin enabled (notify would deliver the code)
    user = await make_user()
    settings = core_settings.get_settings()
    saved = settings.env
    try:
        settings.env = "production"
        await code_service.issue(user.id, "verify", "p@example.org", None)
    finally:
        settings.env = saved
    assert codes.all() == []
    assert any("no plugin delivers verification codes" in r.getMessage() for r in caplog.records)


async def test_registration_is_throttled_per_account_across_ips(make_client, codes) -> None:
    from core import settings as core_settings

    limit = core_settings.get_settings().auth.code_account_limit
    statuses = []
    for i in range(limit + 1):
        client = await make_client([], client_ip=f"203.0.113.{i + 1}")
        r = await client.post("/api/v1/auth/register", json={"email": "Target@example.org", "password": "x"})
        statuses.append(r.status_code)
    assert statuses[:limit] == [422] * limit and statuses[-1] == 429
