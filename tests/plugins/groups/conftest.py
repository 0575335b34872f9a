"""Shared fixtures of the groups tests (chat and "+1" tests use them too): an app with groups, people, groups.

``api`` (events + groups + notify), ``person("organiser")`` and ``publish(...)`` are events' fixtures, reused here
with ``api`` overridden so the app also runs groups (and notify, whose outbox tests read).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.plugins.events import conftest as events_fixtures
from tests.plugins.events.conftest import Person, event_body, future  # noqa: F401  (for the tests here)

GROUP_PLUGINS = ["events", "groups", "notify"]
GROUPS = "/api/v1/groups"

person = events_fixtures.person  # events' fixtures, on this directory's ``api``
publish = events_fixtures.publish


@pytest_asyncio.fixture(loop_scope="session")
async def api(make_client: Callable[..., Awaitable[httpx.AsyncClient]]) -> httpx.AsyncClient:
    """A client on an app with events, groups and notify."""
    return await make_client(GROUP_PLUGINS)


@pytest.fixture
def make_group(api: httpx.AsyncClient, person: Any) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``group = await make_group(owner, name=..., visibility="private", join_policy="request")``: the group's page.

    ``owner`` may be None (a new user). The returned dict is the API's ``GroupRead`` plus ``owner`` (the Person).
    """
    counter = iter(range(1, 1_000_000))

    async def factory(owner: Person | None = None, **fields: Any) -> dict[str, Any]:
        owner = owner or await person()
        body = {"name": f"Board gamers {next(counter)}", "description": "We play on Fridays", "tags": ["games"]}
        body.update(fields)
        r = await api.post(f"{GROUPS}/", headers=owner.headers, json=body)
        assert r.status_code == 201, r.text
        return {**r.json(), "owner": owner}

    return factory


@pytest.fixture
def add_member() -> Callable[..., Awaitable[None]]:
    """``await add_member(group, person, role="member")``: make ``person`` an active member with ``role``.

    Goes through the membership service (the same move a link acceptance makes: hooks fire); ``role="owner"``
    transfers the ownership (the old owner becomes an admin).
    """
    from plugins.groups import members, states, store
    from plugins.groups.tables import Member

    async def factory(group: dict[str, Any], who: Person, role: str = "member") -> None:
        group_id = group["id"]
        async with store.transaction():
            await store.load_group(group_id, lock=True)
            await members.move(group_id, who.id, states.ACTIVE, states.LINK, actor_id=who.id)
            if role == states.OWNER:
                await members.hand_over(group_id, await store.owner_of(group_id), who.id)
            elif role != states.MEMBER:
                await Member.update({Member.role: role}).where(Member.group == group_id, Member.user == who.id)

    return factory


@pytest.fixture
def platform_moderator(person: Any) -> Callable[[], Awaitable[Person]]:
    """``await platform_moderator()``: a user whose role holds ``groups.moderate``."""

    async def factory() -> Person:
        from core.users import access

        if "groups_moderator" not in {r["name"] for r in await access.list_roles()}:
            await access.create_role("groups_moderator", "Moderates groups", ["groups.moderate"], None)
        return await person("groups_moderator")  # type: ignore[no-any-return]

    return factory
