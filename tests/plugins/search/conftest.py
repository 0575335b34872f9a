"""Shared fixtures of the search tests: venues in two cities, published events, a search-enabled app, Typesense."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from core import clock as core_clock
from core.hooks.manager import PluginsFile, Registry, activate, build
from core.testing import all_plugins
from plugins.events.hookspecs import EventInfo
from plugins.events.testing import make_published_event  # noqa: F401  (fixture)
from plugins.search import indexer

PLUGINS = ["events", "search"]
BERLIN = (52.5200, 13.4050)
MOSCOW = (55.7558, 37.6173)


@dataclass(frozen=True)
class Venue:
    """A venue made by :func:`make_venue`."""

    id: int
    city: str


@pytest.fixture
def make_venue(make_user: Any) -> Callable[..., Awaitable[Venue]]:
    """``await make_venue("Berlin", (lat, lng), "Europe/Berlin")``."""
    from plugins.events import services

    async def factory(city: str = "Berlin", at: tuple[float, float] = BERLIN, tz: str = "Europe/Berlin",
                      name: str | None = None) -> Venue:
        organiser = await make_user(roles=["organiser"])
        row = await services.create_venue(services.Actor(organiser.id), {
            "name": name or f"Hall {uuid.uuid4().hex[:4]}", "address": "Street 1", "city": city, "latitude": at[0],
            "longitude": at[1], "timezone": tz})
        return Venue(row["id"], city)

    return factory


@pytest.fixture
def event(make_published_event: Any) -> Callable[..., Awaitable[EventInfo]]:  # noqa: F811
    """``await event("Jazz", days=2, tags=["music"], venue=v, price_cents=0)``: published (indexed by ``indexed()``)."""

    async def factory(title: str, *, days: float = 3, venue: Venue | None = None, **fields: Any) -> EventInfo:
        starts = (core_clock.now() + timedelta(days=days)).replace(microsecond=0)
        fields.setdefault("description", "")
        fields.setdefault("tags", [])
        if venue is not None:
            fields["venue_id"] = venue.id
        return await make_published_event(title=title, starts_at=starts, **fields)  # type: ignore[no-any-return]

    return factory


@pytest.fixture
def use_search(sbor_database: Registry) -> Iterator[Callable[..., Registry]]:
    """``use_search(backend="typesense", fallback=False)``: make those search settings current for the test."""

    def use(**settings: Any) -> Registry:
        registry = build(PluginsFile(enabled=all_plugins(), settings={"search": settings}))
        activate(registry)
        return registry

    yield use
    activate(sbor_database)


@pytest_asyncio.fixture(loop_scope="session")
async def typesense(use_search: Callable[..., Registry]) -> AsyncIterator[Any]:
    """The session's Typesense with collections of this test's own (a unique alias prefix), made current."""
    from plugins.search.backends import registry

    prefix = f"t{uuid.uuid4().hex[:10]}"
    use_search(backend="typesense", collection=prefix)
    backend = registry.typesense()
    await backend.ensure()
    yield backend
    client = backend.client()
    for c in await client.collections.retrieve():
        if c["name"].startswith(prefix):
            await backend.coll(c["name"]).delete()
    for a in (await client.aliases.retrieve())["aliases"]:
        if a["name"].startswith(prefix):
            await client.aliases[a["name"]].delete()
    await backend.close()


@pytest.fixture
def search_api(make_client: Callable[..., Awaitable[httpx.AsyncClient]]) -> Callable[..., Awaitable[httpx.AsyncClient]]:
    """``api = await search_api(backend="typesense")``: a client on events + search with those settings (current)."""

    async def factory(**settings: Any) -> httpx.AsyncClient:
        return await make_client(PLUGINS, settings={"search": settings})

    return factory


async def indexed() -> dict[str, int]:
    """Apply the outbox now (what the ``search.apply`` job does every second)."""
    return await indexer.apply(budget_s=30)
