"""Every error under /admin is an HTML page (even before any route matches); the sign-in never confirms a password to
someone who is not staff; the menu shows only what its links open."""

from __future__ import annotations

import re

import pyotp
import pytest

from admin_ui import session
from core import db
from core.users.tables import User
from tests.admin_ui.conftest import NO_TOTP, set_password, sign_in

UNROUTED = ["/admin/nope", "/admin/users/abc", "/admin/static/x.css", "/admin/static/admin/nope.js",
            "/admin/users/99999999999999999999", "/admin/users/2147483648"]


def html_error(r, status: int) -> None:
    assert r.status_code == status, (r.request.url, r.status_code, r.text[:200])
    assert r.headers["content-type"] == "text/html; charset=utf-8", (r.request.url, r.headers["content-type"])
    assert "<html" in r.text and '"code"' not in r.text


@pytest.mark.parametrize("url", UNROUTED)
async def test_unrouted_paths_under_admin_answer_html(admin_client, url) -> None:
    client = await admin_client(roles=["admin"])
    html_error(await client.get(url), 404)


@pytest.mark.parametrize("url", UNROUTED[:4])
async def test_unrouted_paths_answer_html_to_anonymous_visitors_too(make_client, url) -> None:
    client = await make_client(["admin"], settings=NO_TOTP)
    html_error(await client.get(url), 404)


async def test_a_wrong_method_under_admin_is_an_html_405(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    r = await client.put("/admin/users")
    html_error(r, 405)
    r = await client.delete("/admin/login")
    html_error(r, 405)


async def test_the_api_keeps_problem_json(make_client) -> None:
    client = await make_client(["admin"], settings=NO_TOTP)
    r = await client.get("/api/v1/nope")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = await client.get("/administrator")  # another path that only starts with the same letters
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def _without_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', html)


async def _failed_reasons() -> list[str]:
    rows = await db.fetch("SELECT reason FROM users.audit_entry WHERE action = 'login_failed' ORDER BY id")
    return [r["reason"] for r in rows]


@pytest.mark.parametrize("settings", [None, NO_TOTP], ids=["totp_required", "totp_off"])
async def test_a_non_staff_user_with_the_right_password_gets_the_wrong_password_answer(
        make_client, make_user, settings) -> None:
    user = await make_user(roles=["organiser"], email="organiser@example.org")
    await set_password(user.id)
    client = await make_client(["admin"], settings=settings)
    right = await sign_in(client, "organiser@example.org")
    wrong = await sign_in(client, "organiser@example.org", password="not the password at all")
    assert right.status_code == wrong.status_code == 401
    assert _without_tokens(right.text) == _without_tokens(wrong.text)
    assert "Email or password is wrong." in right.text
    for text in ("Second factor", "authenticator", "no access"):
        assert text not in right.text
    assert session.COOKIE not in right.cookies
    assert await _failed_reasons() == ["invalid_credentials", "invalid_credentials"]


async def test_a_non_staff_user_with_totp_on_is_not_asked_for_a_code(make_client, make_user) -> None:
    user = await make_user(roles=["organiser"], email="totp-organiser@example.org")
    await set_password(user.id)
    await User.update({User.totp_enabled: True, User.totp_secret: pyotp.random_base32()}).where(User.id == user.id)
    client = await make_client(["admin"])
    r = await sign_in(client, "totp-organiser@example.org")
    assert r.status_code == 401 and "Email or password is wrong." in r.text and "6-digit" not in r.text
    r = await sign_in(client, "totp-organiser@example.org", code="123456")
    assert r.status_code == 401 and "Email or password is wrong." in r.text and "code is wrong" not in r.text


async def test_staff_without_a_second_factor_are_still_told_to_turn_it_on(make_client, make_user) -> None:
    user = await make_user(roles=["moderator"], email="mod-no-totp@example.org")
    await set_password(user.id)
    client = await make_client(["admin"])
    r = await sign_in(client, "mod-no-totp@example.org")
    assert r.status_code == 403 and "Second factor required" in r.text


async def _menu(client) -> list[str]:
    page = await client.get("/admin/")
    assert page.status_code == 200
    nav = page.text[page.text.index("<nav"):page.text.index("</nav>")]
    return re.findall(r'class="menu[^"]*" href="([^"]+)"', nav)


@pytest.mark.parametrize(("roles", "shown", "hidden"), [
    (["support"], ["/admin/users"], ["/admin/moderation", "/admin/roles", "/admin/audit"]),
    (["moderator"], ["/admin/moderation"], ["/admin/roles", "/admin/audit"]),
    (["admin"], ["/admin/moderation", "/admin/users", "/admin/roles", "/admin/audit"], []),
])
async def test_the_menu_shows_what_the_staff_member_may_open(admin_client, roles, shown, hidden) -> None:
    client = await admin_client(roles=roles, plugins=["admin", "events", "notify"])
    links = await _menu(client)
    for url in shown:
        assert url in links, (roles, url, links)
        assert (await client.get(url)).status_code == 200, url
    for url in hidden:
        assert url not in links, (roles, url, links)
    for url in links:  # every link of the menu opens
        assert (await client.get(url)).status_code == 200, (roles, url)
