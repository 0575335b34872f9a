"""Shared fixtures of the reviews tests: an app with events, reviews and notify; finished events with attendees."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from core.errors import Conflict
from plugins.events.hookspecs import EventInfo
from plugins.events.testing import events_venue, make_published_event  # noqa: F401  (fixtures)

PLUGINS = ["events", "reviews", "notify"]
SETTINGS = {"reviews": {"min_reviews_shown": 3, "blocklist": ["scam"]}}
MODERATOR_ROLE = "reviews_moderator"


@dataclass
class Person:
    """A signed-in test user."""

    id: int
    headers: dict[str, str]


@dataclass
class Scene:
    """A finished event: its organiser, its confirmed attendees, and someone who was not there."""

    event: EventInfo
    organiser: Person
    attendees: list[Person] = field(default_factory=list)
    stranger: Person | None = None


@pytest_asyncio.fixture(loop_scope="session")
async def api(make_client: Callable[..., Awaitable[httpx.AsyncClient]]) -> httpx.AsyncClient:
    """A client on an app with events, reviews and notify (min_reviews_shown 3, blocklist "scam")."""
    return await make_client(PLUGINS, settings=SETTINGS)


@pytest.fixture
def person(make_user: Any, auth_headers: Any) -> Callable[..., Awaitable[Person]]:
    """``await person("organiser")``: a new user with those roles and their bearer header (``moderator``: the
    reviews moderator role, ``reviews.moderate``)."""

    async def factory(*roles: str) -> Person:
        from core.users import services as users

        wanted = [MODERATOR_ROLE if r == "moderator" else r for r in roles]
        if MODERATOR_ROLE in wanted:
            try:
                await users.create_role(MODERATOR_ROLE, "Moderates reviews", ["admin.access", "reviews.moderate"],
                                        None)
            except Conflict:
                pass
        user = await make_user(roles=wanted)
        return Person(user.id, await auth_headers(user))

    return factory


@pytest.fixture
def refresh(auth_headers: Any) -> Callable[..., Awaitable[None]]:
    """``await refresh(*people)``: new access tokens after the clock moved past the old ones' expiry."""

    async def again(*people: Person | None) -> None:
        for p in people:
            if p is not None:
                p.headers = await auth_headers(p.id)

    return again


@pytest.fixture
def finished(person: Any, make_user: Any, make_published_event: Any, events_venue: Any,  # noqa: F811
             clock: Any, refresh: Any) -> Callable[..., Awaitable[Scene]]:
    """``scene = await finished(attendees=2)``: a published event at a venue, people joined, the clock past its end
    and the finisher run (the clock stays there). ``signed_in=False``: attendees without tokens (empty headers),
    created concurrently, for tests that call the services directly."""

    async def factory(attendees: int = 1, capacity: int = 100, finish: bool = True, signed_in: bool = True,
                      **fields: Any) -> Scene:
        from plugins.events import participation, services

        organiser = await person("organiser")
        fields.setdefault("venue_id", events_venue.id)
        info = await make_published_event(author_id=organiser.id, capacity=capacity, **fields)
        if signed_in:
            people = [await person() for _ in range(attendees)]
        else:
            people = [Person(u.id, {}) for u in await asyncio.gather(*[make_user() for _ in range(attendees)])]
        for p in people:
            joined = await participation.join(p.id, info.id)
            assert joined["status"] == "confirmed", joined
        if finish:
            clock.freeze(info.ends_at + timedelta(minutes=1))
            assert await services.finish_ended() >= 1
            info = await services.event_info(info.id)
            await refresh(organiser, *(people if signed_in else ()))
        return Scene(info, organiser, people, await person())

    return factory


async def write(api: httpx.AsyncClient, who: Person, event_id: int, **body: Any) -> httpx.Response:
    """POST a review (a 5-star one unless ``body`` says otherwise)."""
    return await api.post(f"/api/v1/reviews/events/{event_id}", headers=who.headers, json={"rating": 5, **body})
