"""Shared fixtures of the media tests: an app with events and media, people, a published event, file makers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from plugins.events.testing import (  # noqa: F401  (fixtures)
    confirmed_participant,
    events_venue,
    make_published_event,
    published_event,
)
from plugins.media.testing import media_files, seaweedfs, upload  # noqa: F401  (fixtures)

PLUGINS = ["events", "media"]


@dataclass
class Person:
    """A signed-in test user."""

    id: int
    headers: dict[str, str]


MODERATOR_ROLE = "media_moderator"


@pytest.fixture
def person(make_user: Any, auth_headers: Any) -> Callable[..., Awaitable[Person]]:
    """``await person("moderator")``: a new user with those roles and their bearer header (``moderator``: a role
    holding ``media.moderate``; core's built-in moderator role does not have it yet)."""

    async def factory(*roles: str) -> Person:
        from core.errors import Conflict
        from core.users import services as users

        wanted = [MODERATOR_ROLE if r == "moderator" else r for r in roles]
        if MODERATOR_ROLE in wanted:
            try:
                await users.create_role(MODERATOR_ROLE, "Moderates media", ["admin.access", "media.moderate"], None)
            except Conflict:
                pass
        user = await make_user(roles=wanted)
        return Person(user.id, await auth_headers(user))

    return factory


@pytest.fixture
def media_app(make_client: Callable[..., Awaitable[httpx.AsyncClient]],
              tmp_path: Any) -> Callable[..., Awaitable[httpx.AsyncClient]]:
    """``client = await media_app(**settings)``: events + media with the local backend under a fresh directory."""

    async def factory(**settings: Any) -> httpx.AsyncClient:
        merged = {"local_dir": str(tmp_path / "media"), **settings}
        return await make_client(PLUGINS, settings={"media": merged})

    return factory


@pytest_asyncio.fixture(loop_scope="session")
async def api(media_app: Callable[..., Awaitable[httpx.AsyncClient]]) -> httpx.AsyncClient:
    """The local backend."""
    return await media_app()


@pytest_asyncio.fixture(loop_scope="session")
async def s3_api(media_app: Callable[..., Awaitable[httpx.AsyncClient]], seaweedfs: Any) -> httpx.AsyncClient:  # noqa: F811
    """The S3 backend on the session's SeaweedFS."""
    return await media_app(**seaweedfs.settings())


@pytest_asyncio.fixture(loop_scope="session")
async def participant(confirmed_participant: Any, auth_headers: Any) -> Person:  # noqa: F811
    """A confirmed participant of ``published_event`` (who may add to its gallery by default)."""
    return Person(confirmed_participant.user_id, await auth_headers(confirmed_participant.user_id))
