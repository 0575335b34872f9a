"""Shared fixtures of geo's tests: stand-ins of Nominatim and OSRM on local ports, an app with events and geo."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest_asyncio

from core import cache
from plugins.geo import standin as standins
from plugins.geo.standin import StandIn


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def nominatim_standin() -> AsyncIterator[StandIn]:
    server = StandIn(standins.nominatim)
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def osrm_standin() -> AsyncIterator[StandIn]:
    server = StandIn(standins.osrm)
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_geo(sbor_env: dict[str, str], nominatim_standin: StandIn, osrm_standin: StandIn) -> None:
    """Stand-ins answering normally with nothing known; no geo cache, circuits or counters in Redis."""
    for server in (nominatim_standin, osrm_standin):
        server.reset()
        server.places.clear()
        server.reverse_places = []
        server.route = None
    redis = cache.client()
    for pattern in (cache.key("geo", "*"), cache.key("rl", "geo.*")):
        async for key in redis.scan_iter(match=pattern):
            await redis.delete(key)


def geo_settings(nominatim: StandIn, osrm: StandIn, **over: Any) -> dict[str, Any]:
    """``[settings.geo]`` pointing the built-in providers at the stand-ins (open limits).

    The timeout is generous: a stand-in answers at once, but a loaded CI machine can take a second to get there (a
    0.5 s timeout failed the first lookup of a session under load); the hang tests set their own short one.
    """
    settings: dict[str, Any] = {
        "nominatim_url": nominatim.url, "osrm_url": osrm.url, "osrm_mode_urls": {"walk": osrm.url},
        "providers": {"nominatim": {"timeout_s": 5.0, "per_second": 1000},
                      "osrm": {"timeout_s": 5.0, "per_second": 1000}},
    }
    settings.update(over)
    return settings


@pytest_asyncio.fixture(loop_scope="session")
async def geo_client(make_client: Callable[..., Awaitable[httpx.AsyncClient]], fresh_geo: None,
                     nominatim_standin: StandIn, osrm_standin: StandIn) -> httpx.AsyncClient:
    """A client on an app with events and geo, providers on the stand-ins."""
    return await make_client(["events", "geo"], {"geo": geo_settings(nominatim_standin, osrm_standin)})
