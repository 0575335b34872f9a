"""Helpers of the admin panel tests: passwords, the sign-in form, CSRF tokens, events waiting for review.

A signed-in staff client is ``admin_client`` (from ``admin_ui.testing``, loaded for every test).
"""

from __future__ import annotations

import re

import httpx

from core.auth.passwords import hash_password
from core.users.tables import User

PASSWORD = "correct horse battery staple"
PLUGINS = ["admin"]
# Staff sign in with TOTP in production; most tests switch it off and one test covers the second factor.
NO_TOTP = {"admin": {"require_totp": False}}


async def set_password(user_id: int, password: str = PASSWORD) -> None:
    """Store a password through core.auth's own hashing."""
    await User.update({User.password_hash: await hash_password(password)}).where(User.id == user_id)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert m, "page has no CSRF token"
    return m.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD, code: str = "",
                  next_url: str = "/admin/") -> httpx.Response:
    """Fill and submit the sign-in form like a browser."""
    page = await client.get("/admin/login")
    return await client.post("/admin/login", data={"_csrf": csrf_of(page.text), "email": email, "password": password,
                                                   "code": code, "next": next_url, "timezone": "Europe/Berlin"})


async def page_csrf(client: httpx.AsyncClient, url: str) -> str:
    """The CSRF token from a signed-in page."""
    r = await client.get(url)
    assert r.status_code == 200, r.text
    return csrf_of(r.text)


async def pending_event(author_id: int, title: str = "Board games night", days: int = 7) -> int:
    """An event its author created and submitted for review (through the events plugin's services)."""
    from datetime import timedelta

    from core import clock
    from plugins.events import services as events

    starts = clock.now() + timedelta(days=days)
    actor = events.Actor(author_id)
    event_id = await events.create_event(actor, {
        "title": title, "description": f"{title}: bring friends.", "starts_at": starts,
        "ends_at": starts + timedelta(hours=3), "online_url": "https://meet.example.org/sbor",
        "timezone": "Europe/Berlin", "tags": ["games"], "capacity": 20,
    })
    await events.submit(actor, event_id)
    return int(event_id)


async def event_status(event_id: int) -> str:
    """The event's status, read from the database."""
    from core import db

    return str((await db.fetch("SELECT status FROM events.event WHERE id = $1", event_id))[0]["status"])
