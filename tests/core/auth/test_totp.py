"""Second factor: set-up, sign-in with TOTP, replay, recovery codes, and the admin panel's staff rule."""

from __future__ import annotations

import pyotp
import pytest

from core import clock as core_clock
from core.auth import services
from core.auth.accounts import authenticate_password
from core.errors import NotAuthenticated
from tests.core.auth.support import login

PW = "tangerine-horse-42"


def _code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(core_clock.timestamp() + 30 * offset_steps)


async def _with_totp(client, make_user, **kw):
    user = await make_user(password=PW, device_id="device-0001-test", **kw)
    pair = await services.start_session(user.id)
    h = {"Authorization": f"Bearer {pair.access_token}"}
    r = await client.post("/api/v1/auth/totp/setup", headers=h)
    assert r.status_code == 200
    secret = r.json()["secret"]
    assert r.json()["otpauth_uri"].startswith("otpauth://totp/")
    r = await client.post("/api/v1/auth/totp/enable", headers=h, json={"code": "000000" if _code(secret) != "000000"
                                                                        else "111111"})
    assert r.status_code == 401 and r.json()["code"] == "totp_invalid"
    r = await client.post("/api/v1/auth/totp/enable", headers=h, json={"code": _code(secret)})
    assert r.status_code == 200, r.text
    recovery = r.json()["recovery_codes"]
    assert len(recovery) == 10 and len(set(recovery)) == 10
    return user, h, secret, recovery


async def test_login_with_totp_and_no_replay(make_client, make_user, clock) -> None:
    client = await make_client([])
    clock.freeze()
    _user, _h, secret, _ = await _with_totp(client, make_user, email="t@example.org")
    r = await login(client, "t@example.org")
    assert r.status_code == 401 and r.json()["code"] == "totp_required"
    clock.advance(30)  # the enabling code was spent; use the next step's code
    code = _code(secret)
    r = await login(client, "t@example.org", totp_code=code)
    assert r.status_code == 200, r.text
    r = await login(client, "t@example.org", totp_code=code)
    assert r.status_code == 401 and r.json()["code"] == "totp_invalid"  # the same code never works twice
    clock.advance(120)
    r = await login(client, "t@example.org", totp_code=code)  # stale
    assert r.status_code == 401


async def test_recovery_codes_work_once(make_client, make_user) -> None:
    client = await make_client([])
    _user, _h, _secret, recovery = await _with_totp(client, make_user, email="rc@example.org")
    r = await login(client, "rc@example.org", totp_code=recovery[0].upper())
    assert r.status_code == 200
    r = await login(client, "rc@example.org", totp_code=recovery[0])
    assert r.status_code == 401 and r.json()["code"] == "totp_invalid"
    assert (await login(client, "rc@example.org", totp_code=recovery[1])).status_code == 200


async def test_disable_needs_password_and_code(make_client, make_user, clock) -> None:
    client = await make_client([])
    clock.freeze()
    _user, h, secret, _recovery = await _with_totp(client, make_user, email="off@example.org")
    clock.advance(30)
    r = await client.post("/api/v1/auth/totp/disable", headers=h, json={"password": "nope-nope-12", "code":
                                                                         _code(secret)})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    r = await client.post("/api/v1/auth/totp/disable", headers=h, json={"password": PW, "code": _code(secret)})
    assert r.status_code == 204
    assert (await login(client, "off@example.org")).status_code == 200
    r = await client.post("/api/v1/auth/totp/disable", headers=h, json={"password": PW, "code": "123456"})
    assert r.status_code == 409 and r.json()["code"] == "totp_not_enabled"


async def test_regenerate_recovery_codes(make_client, make_user, clock) -> None:
    client = await make_client([])
    clock.freeze()
    _user, h, secret, old = await _with_totp(client, make_user, email="regen@example.org")
    clock.advance(30)
    r = await client.post("/api/v1/auth/totp/recovery-codes", headers=h, json={"code": _code(secret)})
    assert r.status_code == 200
    new = r.json()["recovery_codes"]
    assert (await login(client, "regen@example.org", totp_code=old[0])).status_code == 401
    assert (await login(client, "regen@example.org", totp_code=new[0])).status_code == 200


async def test_admin_panel_sign_in_requires_totp_for_staff(make_client, make_user, clock) -> None:
    client = await make_client([])
    clock.freeze()
    # A staff member without TOTP cannot get in
    await make_user(email="mod@example.org", password=PW, roles=["moderator"])
    with pytest.raises(NotAuthenticated) as info:
        await authenticate_password("mod@example.org", PW, require_totp=True)
    assert info.value.code == "totp_setup_required"
    with pytest.raises(NotAuthenticated) as info:
        await authenticate_password("mod@example.org", "wrong-pass-1", require_totp=True)
    assert info.value.code == "invalid_credentials"
    # With TOTP: no code → totp_required; right code → the user id
    user, _h, secret, _ = await _with_totp(client, make_user, email="staff@example.org", roles=["support"])
    with pytest.raises(NotAuthenticated) as info:
        await authenticate_password("staff@example.org", PW, require_totp=True)
    assert info.value.code == "totp_required"
    clock.advance(30)
    assert await authenticate_password("staff@example.org", PW, _code(secret), require_totp=True) == user.id
    with pytest.raises(NotAuthenticated) as info:
        await authenticate_password("staff@example.org", PW, _code(secret), require_totp=True)
    assert info.value.code == "totp_invalid"


async def test_setup_twice_is_a_conflict(make_client, make_user) -> None:
    client = await make_client([])
    _user, h, _secret, _ = await _with_totp(client, make_user)
    r = await client.post("/api/v1/auth/totp/setup", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "totp_already_enabled"


async def test_totp_guessing_is_throttled_per_account(make_client, make_user, clock) -> None:
    from core import settings as core_settings

    client = await make_client([])
    clock.freeze()
    _user, h, secret, _ = await _with_totp(client, make_user, email="guess@example.org")
    limit = core_settings.get_settings().auth.login_account_limit
    right = _code(secret, 1)
    wrong = [c for c in (f"{i:06d}" for i in range(20)) if c not in {_code(secret, d) for d in (-1, 0, 1, 2)}]
    statuses = [(await client.post("/api/v1/auth/totp/recovery-codes", headers=h, json={"code": wrong[i]})).status_code
                for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit and statuses[-1] == 429
    clock.advance(30)
    r = await client.post("/api/v1/auth/totp/recovery-codes", headers=h, json={"code": right})
    assert r.status_code == 429  # even the right code waits for the window
