"""Shared fixtures of the events tests: an app with events, signed-in people, a venue and ready-made events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from core import clock as core_clock
from plugins.events.testing import (  # noqa: F401  (fixtures other plugins' tests import the same way)
    confirmed_participant,
    events_venue,
    finished_event,
    make_published_event,
    published_event,
)

MOSCOW = (55.7558, 37.6173)


@dataclass
class Person:
    """A signed-in test user."""

    id: int
    headers: dict[str, str]


@pytest_asyncio.fixture(loop_scope="session")
async def api(make_client: Callable[..., Awaitable[httpx.AsyncClient]]) -> httpx.AsyncClient:
    """A client on an app with the events plugin (rate limit out of the way of the tests' bursts)."""
    return await make_client(["events"])


@pytest.fixture
def person(make_user: Any, auth_headers: Any) -> Callable[..., Awaitable[Person]]:
    """``await person("organiser")``: a new user with those roles and their bearer header."""

    async def factory(*roles: str) -> Person:
        user = await make_user(roles=list(roles))
        return Person(user.id, await auth_headers(user))

    return factory


def future(days: float = 3, hours: float = 0) -> datetime:
    """A moment ahead of the (possibly frozen) clock, whole minutes, UTC."""
    return (core_clock.now() + timedelta(days=days, hours=hours)).replace(second=0, microsecond=0)


def event_body(**over: Any) -> dict[str, Any]:
    """A valid event creation body (online unless a venue is given)."""
    start = over.pop("start", future())
    body = {"title": "Board games night", "description": "Bring your favourite game", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(), "online_url": "https://meet.example.org/x",
            "tags": ["games"], "category": "meetup"}
    body.update(over)
    return body


@pytest_asyncio.fixture(loop_scope="session")
async def venue(api: httpx.AsyncClient, person: Any) -> dict[str, Any]:
    """A venue in Moscow."""
    org = await person("organiser")
    r = await api.post("/api/v1/events/venues", headers=org.headers, json={
        "name": "Loft", "city": "Moscow", "address": "Tverskaya 1", "latitude": MOSCOW[0], "longitude": MOSCOW[1],
        "timezone": "Europe/Moscow"})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def publish(api: httpx.AsyncClient, person: Any) -> Callable[..., Awaitable[tuple[int, Person]]]:
    """``event_id, author = await publish(capacity=2, ...)``: create, submit and approve an event."""

    async def factory(author: Person | None = None, **over: Any) -> tuple[int, Person]:
        author = author or await person("organiser")
        mod = await person("moderator")
        r = await api.post("/api/v1/events", headers=author.headers, json=event_body(**over))
        assert r.status_code == 201, r.text
        event_id = r.json()["id"]
        assert (await api.post(f"/api/v1/events/{event_id}/submit", headers=author.headers)).status_code == 200
        r = await api.post(f"/api/v1/events/{event_id}/approve", headers=mod.headers)
        assert r.status_code == 200, r.text
        return event_id, author

    return factory

