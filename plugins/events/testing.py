"""pytest fixtures that make events data through the real services, for any plugin's tests.

Use them with ``pytest_plugins = ["core.testing", "plugins.events.testing"]`` (or import them into a conftest). They
need ``core.testing``'s database (``sbor_database``, ``make_user``, ``clock``) and write through ``plugins.events``'
services, so every rule and hook (notify's outbox, analytics' facts) runs as in production:

* ``events_venue``: a venue in Berlin (``VenueInfo``: ``id``, ``name``, ``city``, ``timezone``).
* ``make_published_event(**fields)``: an event created by a new organiser (or ``author_id=``), submitted and approved
  by a new moderator; returns its ``EventInfo``. ``fields`` are the creation fields (``capacity=2``, ``venue_id=…``,
  ``starts_at=…``; by default an online event three days ahead, two hours long).
* ``published_event``: one such event at ``events_venue``.
* ``confirmed_participant``: a new user who joined ``published_event`` (``Participant``: ``user_id``, ``event``).
* ``finished_event``: an event that took place: published with a confirmed participant, then the clock moved past its
  end and the finisher run (``FinishedEvent``: ``event``, ``participant_id``). The clock stays moved (``clock`` resets
  it after the test).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from plugins.events.hookspecs import EventInfo

MakeEvent = Callable[..., Awaitable[EventInfo]]


@dataclass(frozen=True)
class VenueInfo:
    """A venue made by :func:`events_venue`."""

    id: int
    name: str
    city: str
    timezone: str


@dataclass(frozen=True)
class Participant:
    """A confirmed participant of ``event``."""

    user_id: int
    event: EventInfo


@dataclass(frozen=True)
class FinishedEvent:
    """A finished event and its confirmed participant."""

    event: EventInfo
    participant_id: int


@pytest_asyncio.fixture(loop_scope="session")
async def events_venue(make_user: Callable[..., Awaitable[Any]]) -> VenueInfo:
    """A venue in Berlin, created by a new organiser."""
    from plugins.events import services

    organiser = await make_user(roles=["organiser"])
    row = await services.create_venue(services.Actor(organiser.id), {
        "name": "Kulturhaus", "address": "Karl-Marx-Allee 1", "city": "Berlin", "latitude": 52.5163,
        "longitude": 13.4255, "timezone": "Europe/Berlin"})
    return VenueInfo(row["id"], row["name"], row["city"], row["timezone"])


@pytest.fixture
def make_published_event(make_user: Callable[..., Awaitable[Any]]) -> MakeEvent:
    """``info = await make_published_event(capacity=2, author_id=None, **fields)``: created, submitted, approved."""
    from core import clock
    from plugins.events import services

    async def factory(author_id: int | None = None, **fields: Any) -> EventInfo:
        author = services.Actor(author_id if author_id is not None else (await make_user(roles=["organiser"])).id)
        moderator = await make_user(roles=["moderator"])
        starts = fields.pop("starts_at", None) or (clock.now() + timedelta(days=3)).replace(microsecond=0)
        data = {"title": "Board games night", "description": "Bring a game.", "starts_at": starts,
                "ends_at": fields.pop("ends_at", None) or starts + timedelta(hours=2), "tags": ["games"]}
        if "venue_id" not in fields:
            data.update(online_url="https://meet.example.org/sbor", timezone="Europe/Berlin")
        data.update(fields)
        event_id = await services.create_event(author, data)
        await services.submit(author, event_id)
        return await services.approve(event_id, moderator.id)

    return factory


@pytest_asyncio.fixture(loop_scope="session")
async def published_event(make_published_event: MakeEvent, events_venue: VenueInfo) -> EventInfo:
    """A published event at ``events_venue``, three days ahead, 20 seats."""
    return await make_published_event(venue_id=events_venue.id, capacity=20)


@pytest_asyncio.fixture(loop_scope="session")
async def confirmed_participant(make_user: Callable[..., Awaitable[Any]], published_event: EventInfo) -> Participant:
    """A new user confirmed for ``published_event``."""
    from plugins.events import participation

    user = await make_user()
    joined = await participation.join(user.id, published_event.id)
    assert joined["status"] == "confirmed", joined
    return Participant(user.id, published_event)


@pytest_asyncio.fixture(loop_scope="session")
async def finished_event(make_published_event: MakeEvent, make_user: Callable[..., Awaitable[Any]],
                         clock: Any) -> FinishedEvent:
    """An event that took place with one confirmed participant: the clock moved past its end, the finisher run."""
    from plugins.events import participation, services

    info = await make_published_event(capacity=10)
    user = await make_user()
    await participation.join(user.id, info.id)
    clock.freeze(info.ends_at + timedelta(minutes=1))
    assert await services.finish_ended() >= 1
    return FinishedEvent(await services.event_info(info.id), user.id)
