"""pytest fixtures for admin panel tests of any plugin: ``pytest_plugins = ["core.testing", "admin_ui.testing"]``.

* ``admin_client(roles=["moderator"], plugins=["events"], settings=None, user=None, timezone="UTC")``: an
  ``httpx.AsyncClient`` on
  an app with the admin panel and ``plugins`` enabled, signed in to ``/admin`` as a staff member through the real
  sign-in form, second factor included (the panel's default ``require_totp = true`` stays on: the user gets TOTP
  turned on and signs in with a one-time recovery code). The client carries:

  - ``client.user``: the signed-in user (``UserSummary``: ``.id``, ``.display_name``) — a new user with the role
    ``user`` plus ``roles``, or ``user=`` (an existing one, without TOTP of its own);
  - ``client.csrf``: the session's CSRF token, for the forms it posts
    (``await client.post(url, data={"_csrf": client.csrf, "reason": "spam"})``).

  Every call signs in a new session (another ``user=`` or the same one again). Example::

      async def test_moderator_approves(admin_client):
          client = await admin_client(roles=["moderator"], plugins=["events"])
          r = await client.get("/admin/moderation/events.review")
          assert r.status_code == 200

``enrol_staff(user_id)`` and ``sign_in_staff(client, user_id, code)`` do the same for a client on an app a test
builds itself (a stand-in plugin registered by hand).

Core's fixtures (``make_client``, ``make_user``, ``clock``…) come from ``core.testing``; this tree loads both with
``-p`` in ``pyproject.toml``. A test that checks sign-in itself (wrong code, rate limits) drives ``/admin/login``
directly instead.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

PASSWORD = "admin-testing correct horse battery staple"  # noqa: S105 (a test fixture's password)
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


async def sign_in_staff(client: Any, user_id: int, recovery_code: str, next_url: str = "/admin/",
                        timezone: str = "UTC") -> None:
    """Submit the sign-in form like a browser (password and second factor); fail the test with the page if refused."""
    from admin_ui import session
    from core.users.tables import User

    page = await client.get("/admin/login")
    found = _CSRF.search(page.text)
    assert found, f"/admin/login has no CSRF token ({page.status_code})"
    row = await User.select(User.email).where(User.id == user_id).first()
    assert row is not None, f"no user {user_id}"
    r = await client.post("/admin/login", data={
        "_csrf": found.group(1), "email": row["email"], "password": PASSWORD, "code": recovery_code, "next": next_url,
        "timezone": timezone})
    assert r.status_code == 303 and session.COOKIE in r.cookies, f"admin sign-in refused ({r.status_code}): {r.text}"


async def enrol_staff(user_id: int) -> list[str]:
    """Give the user the password :data:`PASSWORD` and TOTP turned on; return their one-time recovery codes."""
    from core.auth import totp
    from core.auth.passwords import hash_password
    from core.users.tables import User

    await User.update({User.password_hash: await hash_password(PASSWORD)}).where(User.id == user_id)
    _uri, codes = await totp.set_up_for_cli(user_id)
    return codes


@pytest.fixture
def admin_client(make_client: Callable[..., Awaitable[Any]],
                 make_user: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``client = await admin_client(roles=["moderator"])``: signed in to the panel, TOTP passed (see module)."""
    codes: dict[int, list[str]] = {}  # recovery codes left per user this test enrolled

    async def factory(roles: list[str] | None = None, plugins: list[str] | None = None,
                      settings: dict[str, dict[str, Any]] | None = None, user: Any = None,
                      client_ip: str = "127.0.0.1", timezone: str = "UTC") -> Any:
        from admin_ui import session

        if user is None:
            user = await make_user(roles=roles)
        if user.id not in codes:
            codes[user.id] = await enrol_staff(user.id)
        enabled = list(plugins or [])
        if "admin" not in enabled:
            enabled.append("admin")
        client = await make_client(enabled, settings=settings, client_ip=client_ip)
        await sign_in_staff(client, user.id, codes[user.id].pop(), timezone=timezone)
        sess = await session.load_session(client.cookies.get(session.COOKIE))
        assert sess is not None, "no admin session after sign-in"
        client.user = user
        client.csrf = sess.csrf
        return client

    return factory
