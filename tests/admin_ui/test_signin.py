"""Sign-in, session cookie, CSRF of the sign-in form, throttling, logout, non-staff refused, second factor."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from admin_ui import session
from core import cache
from core.users.tables import User
from tests.admin_ui.conftest import NO_TOTP, PASSWORD, csrf_of, set_password, sign_in


async def _email(user) -> str:
    return (await User.select(User.email).where(User.id == user.id).first())["email"]


async def test_anonymous_is_sent_to_sign_in_with_the_way_back(make_client) -> None:
    client = await make_client(["admin"], settings=NO_TOTP)
    r = await client.get("/admin/users?q=ann")
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/login?next=/admin/users%3Fq%3Dann"


async def test_sign_in_sets_a_safe_cookie_and_opens_a_server_side_session(make_client, make_user) -> None:
    user = await make_user(roles=["moderator"])
    await set_password(user.id)
    client = await make_client(["admin"], settings=NO_TOTP)
    r = await sign_in(client, await _email(user), next_url="/admin/users")
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(f"{session.COOKIE}="))
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/admin" in flags
    assert "secure" not in flags  # plain http here; see the https test
    token = cookie.split(";")[0].split("=", 1)[1]
    # Only a hash of the cookie is stored in Redis; the session resolves to the user
    assert await cache.client().get(session._key(token)) is not None
    assert not [k async for k in cache.client().scan_iter(match=f"*{token}*")]
    assert (await session.load_session(token)).user_id == user.id
    assert (await client.get("/admin/")).status_code == 200


@pytest.mark.parametrize("cookie_secure", [None, True])
async def test_cookie_is_secure_over_https_or_when_configured(make_client, make_user, cookie_secure) -> None:
    user = await make_user(roles=["admin"])
    await set_password(user.id)
    client = await make_client(["admin"], settings={"admin": {"require_totp": False, "cookie_secure": cookie_secure}})
    client.base_url = httpx.URL("https://testserver")
    r = await sign_in(client, await _email(user))
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(f"{session.COOKIE}="))
    assert "; secure" in cookie.lower()


@pytest.mark.parametrize("next_url", ["//evil.example/x", "https://evil.example/", "/api/v1/me", "/admin\\@evil"])
async def test_no_open_redirect_after_sign_in(make_client, make_user, next_url) -> None:
    user = await make_user(roles=["admin"])
    await set_password(user.id)
    client = await make_client(["admin"], settings=NO_TOTP)
    r = await sign_in(client, await _email(user), next_url=next_url)
    assert r.headers["location"] == "/admin/"


async def test_wrong_password_and_unknown_email_get_the_same_answer(make_client, make_user) -> None:
    user = await make_user(roles=["admin"])
    await set_password(user.id)
    client = await make_client(["admin"], settings=NO_TOTP)
    wrong = await sign_in(client, await _email(user), password="not the password")
    unknown = await sign_in(client, "nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    assert "Email or password is wrong." in wrong.text and "Email or password is wrong." in unknown.text
    assert session.COOKIE not in wrong.cookies


async def test_missing_fields_show_errors_next_to_the_fields(make_client) -> None:
    client = await make_client(["admin"], settings=NO_TOTP)
    page = await client.get("/admin/login")
    r = await client.post("/admin/login", data={"_csrf": csrf_of(page.text), "email": "", "password": ""})
    assert r.status_code == 422
    assert 'id="email-error">Enter your email.' in r.text
    assert 'id="password-error">Enter your password.' in r.text


async def test_sign_in_form_without_its_csrf_token_is_refused(make_client, make_user) -> None:
    user = await make_user(roles=["admin"])
    await set_password(user.id)
    client = await make_client(["admin"], settings=NO_TOTP)
    await client.get("/admin/login")
    r = await client.post("/admin/login", data={"email": await _email(user), "password": PASSWORD})
    assert r.status_code == 403
    assert session.COOKIE not in r.cookies


async def test_a_user_without_staff_permission_gets_the_wrong_password_answer(make_client, make_user) -> None:
    # The panel's own "no access" page would confirm the password: non-staff get the wrong-password page instead
    # (tests/admin_ui/test_errors_signin.py covers the second-factor case, where require_totp is on).
    user = await make_user(roles=["organiser"])
    await set_password(user.id)
    client = await make_client(["admin"], settings=NO_TOTP)
    r = await sign_in(client, await _email(user))
    assert r.status_code == 401
    assert "Email or password is wrong." in r.text and "no access" not in r.text
    assert session.COOKIE not in r.cookies


async def test_a_banned_staff_member_cannot_sign_in(make_client, make_user) -> None:
    user = await make_user(roles=["admin"])
    await set_password(user.id)
    await User.update({User.status: "banned"}).where(User.id == user.id)
    client = await make_client(["admin"], settings=NO_TOTP)
    r = await sign_in(client, await _email(user))
    assert r.status_code == 401
    assert session.COOKIE not in r.cookies


async def test_sign_in_is_throttled(make_client, make_user) -> None:
    user = await make_user(roles=["admin"])
    await set_password(user.id)
    client = await make_client(["admin"], settings={"admin": {"require_totp": False, "login_limit": 3}})
    email = await _email(user)
    for _ in range(3):
        assert (await sign_in(client, email, password="wrong password!")).status_code == 401
    r = await sign_in(client, email)  # even the right password waits now
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert "Too many attempts" in r.text


async def test_staff_need_a_second_factor_by_default(make_client, make_user) -> None:
    user = await make_user(roles=["admin"])
    await set_password(user.id)
    client = await make_client(["admin"])  # require_totp defaults to true
    r = await sign_in(client, await _email(user))
    assert r.status_code == 403
    assert "Second factor required" in r.text
    assert session.COOKIE not in r.cookies


async def test_logout_needs_the_csrf_token_and_ends_the_session(admin_client) -> None:
    client = await admin_client(roles=["moderator"])
    assert (await client.post("/admin/logout", data={})).status_code == 403
    assert (await client.get("/admin/")).status_code == 200  # still signed in
    token = client.csrf
    r = await client.post("/admin/logout", data={"_csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    assert (await client.get("/admin/")).status_code == 303


async def test_session_ends_after_its_maximum_age(admin_client, clock) -> None:
    client = await admin_client(roles=["moderator"])
    assert (await client.get("/admin/")).status_code == 200
    clock.advance(timedelta(hours=13))
    assert (await client.get("/admin/")).status_code == 303


async def test_demoted_staff_are_out_at_once(admin_client) -> None:
    from core.users.tables import UserRole

    client = await admin_client(roles=["support"])
    user = client.user
    assert (await client.get("/admin/")).status_code == 200
    await UserRole.delete().where(UserRole.user == user.id)
    assert (await client.get("/admin/")).status_code == 303


async def test_staff_with_totp_sign_in_with_a_fresh_code_only(make_client, make_user, clock) -> None:
    import pyotp

    from core.auth import totp

    user = await make_user(roles=["moderator"])
    await set_password(user.id)
    clock.freeze()
    secret = (await totp.setup(user.id))["secret"]
    recovery = await totp.enable(user.id, pyotp.TOTP(secret).at(clock.now()))
    clock.advance(timedelta(seconds=60))
    client = await make_client(["admin"])  # require_totp on (the default)
    email = await _email(user)

    r = await sign_in(client, email)
    assert r.status_code == 401 and 'id="code-error">Enter the 6-digit code' in r.text
    r = await sign_in(client, email, code="000000" if pyotp.TOTP(secret).at(clock.now()) != "000000" else "111111")
    assert r.status_code == 401 and 'id="code-error">This code is wrong' in r.text
    code = pyotp.TOTP(secret).at(clock.now())
    r = await sign_in(client, email, code=code)
    assert r.status_code == 303 and session.COOKIE in r.cookies
    # The same code is never accepted twice
    other = await make_client(["admin"])
    r = await sign_in(other, email, code=code)
    assert r.status_code == 401 and "This code is wrong or was already used." in r.text
    # A recovery code works once in the same field
    third = await make_client(["admin"])
    assert (await sign_in(third, email, code=recovery[0])).status_code == 303
    fourth = await make_client(["admin"])
    assert (await sign_in(fourth, email, code=recovery[0])).status_code == 401
