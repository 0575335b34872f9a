"""Shared fixtures of the support tests: an app with support (and events, notify), users, agents, tickets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from core import db
from core.users import services as users
from plugins.events.testing import (  # noqa: F401  (fixtures other plugins' tests import the same way)
    events_venue,
    make_published_event,
    published_event,
)

PLUGINS = ["support", "events", "notify"]
AGENT_ROLE = "support_agent"
LEAD_ROLE = "support_lead"


@dataclass
class Person:
    """A signed-in test user."""

    id: int
    headers: dict[str, str]


@pytest.fixture(autouse=True)
def forget_names() -> None:
    """The tables restart their ids after each test: names cached by id must not survive into the next one."""
    from plugins.support import agents, store

    store._names.clear()
    agents.forget()


@pytest_asyncio.fixture(loop_scope="session")
async def roles(sbor_database: Any) -> None:
    """The roles the tests give: agents (``support.answer``) and leads (``support.manage`` too)."""
    existing = {r["name"] for r in await users.list_roles()}
    if AGENT_ROLE not in existing:
        await users.create_role(AGENT_ROLE, "Support agent", ["admin.access", "support.answer", "users.view"], None)
    if LEAD_ROLE not in existing:
        await users.create_role(LEAD_ROLE, "Support lead", ["admin.access", "support.answer", "support.manage"], None)


@pytest_asyncio.fixture(loop_scope="session")
async def api(make_client: Callable[..., Awaitable[httpx.AsyncClient]], roles: None) -> httpx.AsyncClient:
    """A client on an app with support, events and notify."""
    return await make_client(PLUGINS)


@pytest.fixture
def person(make_user: Any, auth_headers: Any, roles: None) -> Callable[..., Awaitable[Person]]:
    """``await person("support_agent")``: a new user with those roles and their bearer header."""

    async def factory(*role_names: str, **kwargs: Any) -> Person:
        user = await make_user(roles=list(role_names), **kwargs)
        return Person(user.id, await auth_headers(user))

    return factory


@pytest.fixture
def open_ticket(api: httpx.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``ticket = await open_ticket(person, category="account")``: a ticket opened through the API."""

    async def factory(who: Person, **over: Any) -> dict[str, Any]:
        body = {"category": "account", "subject": "I cannot sign in", "body": "Help, please", **over}
        r = await api.post("/api/v1/support/tickets", json=body, headers=who.headers)
        assert r.status_code == 201, r.text
        return dict(r.json())

    return factory


async def kinds_sent(user_id: int) -> list[str]:
    """The notification kinds asked for ``user_id`` (notify's outbox), oldest first."""
    rows = await db.fetch("SELECT kind FROM notify.notification WHERE user_id = $1 ORDER BY id", user_id)
    return [r["kind"] for r in rows]
