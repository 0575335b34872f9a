"""Read replicas for real: a streaming replica of a private primary serves the feed, event details and search.

The replica is a second PostgreSQL server made by ``pg_basebackup -R`` (``tests/core/replica_support.py``). Which
server answered is proven by what it answers: with WAL replay paused on the replica, a read from it shows the data as
it was, a read from the primary shows the change.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from core import clock, db
from core import settings as core_settings
from plugins.events.tables import Event
from plugins.events.testing import make_published_event  # noqa: F401  (fixture)
from plugins.search import indexer
from tests.core.replica_support import REPLICA_ENV, ReplicaCluster, replica_cluster, replica_database, until

__all__ = ["replica_cluster", "replica_database"]
PLUGINS = ["events", "search"]
CLIENT_IP = "192.0.2.20"  # a per-address rate limit of its own (the polls below add up)


@pytest.fixture
def db_settings() -> Iterator[Any]:
    """``db_settings(replica_max_lag_s=0.5)``: change ``database.*`` settings for the test (restored after)."""

    def change(**values: Any) -> None:
        for key, value in values.items():
            os.environ[f"SBOR_DATABASE_{key.upper()}"] = str(value)
        core_settings.reload()

    yield change
    os.environ.update(REPLICA_ENV)
    core_settings.reload()


async def in_recovery() -> bool:
    """Whether the server that ran the statement is a standby (asked through ``core.db.fetch``)."""
    return bool((await db.fetch("SELECT pg_is_in_recovery() AS standby"))[0]["standby"])


async def piccolo_in_recovery() -> bool:
    """The same through a Piccolo query (the engine's routing)."""
    return bool((await Event.raw("SELECT pg_is_in_recovery() AS standby"))[0]["standby"])


async def test_without_replicas_every_read_is_on_the_primary(sbor_database: Any) -> None:
    async with db.reading(7) as chosen:
        assert chosen is None
        assert await in_recovery() is False
    assert db.replica_status() == []


async def test_reading_goes_to_the_replica_except_in_transactions(replica_database: ReplicaCluster) -> None:
    assert await in_recovery() is False  # outside reading(): the primary
    async with db.reading() as chosen:
        assert chosen is not None and chosen.name == "replica0"
        assert await in_recovery() is True
        assert await piccolo_in_recovery() is True
        async with db.engine().transaction():  # a transaction is the primary's, reads included
            assert await piccolo_in_recovery() is False
            async with db.reading() as inner:
                assert inner is None
                assert await in_recovery() is False
        async with db.on_primary():
            assert await in_recovery() is False
        # A write that slipped into reading() is refused by the standby and runs on the primary instead.
        rows = await db.fetch("SELECT nextval('events.event_id_seq') AS n, pg_is_in_recovery() AS standby")
        assert rows[0]["standby"] is False
    assert [s["name"] for s in db.replica_status()] == ["replica0"]
    assert db.replica_status()[0]["healthy"] is True


async def test_feed_detail_and_search_read_the_replica_and_writers_read_their_own_writes(
        replica_database: ReplicaCluster, make_client: Any, make_user: Any, auth_headers: Any,
        make_published_event: Any, db_settings: Any) -> None:  # noqa: F811
    cluster = replica_database
    api = await make_client(PLUGINS, client_ip=CLIENT_IP)
    organiser, reader = await make_user(roles=["organiser"]), await make_user()
    author_h, reader_h = await auth_headers(organiser), await auth_headers(reader)
    ev = await make_published_event(author_id=organiser.id, title="Replica alpha", capacity=10)
    await indexer.apply(budget_s=30)
    await asyncio.to_thread(cluster.wait_caught_up)

    async def title(headers: dict[str, str] | None = None) -> str:
        r = await api.get(f"/api/v1/events/{ev.id}", headers=headers or {})
        assert r.status_code == 200, r.text
        return str(r.json()["title"])

    async def feed() -> list[str]:
        r = await api.get("/api/v1/events/")
        assert r.status_code == 200, r.text
        return [i["title"] for i in r.json()["items"]]

    async def search(q: str) -> int:
        r = await api.get("/api/v1/search/events", params={"q": q})
        assert r.status_code == 200, r.text
        return int(r.json()["found"])

    # Given a replica that is caught up: the feed, the detail and search answer from it.
    before = db.routing_stats().get("replica0", 0)
    assert await feed() == ["Replica alpha"]
    assert await title() == "Replica alpha"
    assert await search("alpha") == 1
    assert db.routing_stats()["replica0"] >= before + 4  # feed 1, detail 3+ (event, count…), search 2+

    # When the replica stops applying WAL and the author edits the event (and the search index follows)…
    etag = (await api.get(f"/api/v1/events/{ev.id}", headers=author_h)).headers["etag"]
    await asyncio.to_thread(cluster.pause_replay)
    r = await api.patch(f"/api/v1/events/{ev.id}", json={"title": "Replica beta"},
                        headers={**author_h, "If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Replica beta"
    await indexer.apply(budget_s=30)
    # …then readers see the replica's (older) state: it is where their reads go.
    assert await title() == "Replica alpha"
    assert await title(reader_h) == "Replica alpha"
    assert await feed() == ["Replica alpha"]
    assert (await search("alpha"), await search("beta")) == (1, 0)
    # But the author reads their own write: after a write a user reads from the primary for a while.
    assert await title(author_h) == "Replica beta"

    # A reader who joins sees their participation at once; others see the replica's count.
    r = await api.post(f"/api/v1/events/{ev.id}/join", headers=reader_h)
    assert r.status_code == 200, r.text
    mine = (await api.get(f"/api/v1/events/{ev.id}", headers=reader_h)).json()
    assert (mine["my_status"], mine["participant_count"], mine["title"]) == ("confirmed", 1, "Replica beta")
    assert (await api.get(f"/api/v1/events/{ev.id}")).json()["participant_count"] == 0

    # When the replica falls further behind than database.replica_max_lag_s, reads go to the primary…
    db_settings(replica_max_lag_s=0.3)
    await until("reads to leave the lagging replica", lambda: _title_is(api, ev.id, "Replica beta"))
    assert db.replica_status()[0]["healthy"] is False
    assert "behind" in db.replica_status()[0]["error"]
    assert await search("beta") == 1
    # …and come back to it once it has caught up.
    await asyncio.to_thread(cluster.resume_replay)
    await asyncio.to_thread(cluster.wait_caught_up)
    await until("the replica to be used again", lambda: _reads_replica(api, ev.id))
    assert await title() == "Replica beta"


async def test_the_window_of_read_your_writes_ends(replica_database: ReplicaCluster, make_client: Any,
                                                   make_user: Any, auth_headers: Any,
                                                   make_published_event: Any,  # noqa: F811
                                                   db_settings: Any) -> None:
    cluster = replica_database
    db_settings(read_your_writes_s=0.5)
    api = await make_client(PLUGINS, client_ip=CLIENT_IP)
    organiser = await make_user(roles=["organiser"])
    author_h = await auth_headers(organiser)
    ev = await make_published_event(author_id=organiser.id, title="Window one")
    await asyncio.to_thread(cluster.wait_caught_up)
    etag = (await api.get(f"/api/v1/events/{ev.id}")).headers["etag"]
    await asyncio.to_thread(cluster.pause_replay)
    try:
        r = await api.patch(f"/api/v1/events/{ev.id}", json={"title": "Window two"},
                            headers={**author_h, "If-Match": etag})
        assert r.json()["title"] == "Window two"  # the response's own read: on the primary
        # Once the window has passed, the author's reads go back to the (here: frozen) replica.
        await until("the author's window to close", lambda: _title_is(api, ev.id, "Window one", author_h))
    finally:
        await asyncio.to_thread(cluster.resume_replay)


async def test_reads_survive_the_replica_going_away_and_use_it_again_when_it_returns(
        replica_database: ReplicaCluster, make_client: Any, make_published_event: Any) -> None:  # noqa: F811
    cluster = replica_database
    api = await make_client(PLUGINS, client_ip=CLIENT_IP)
    ev = await make_published_event(title="Outage proof")
    await indexer.apply(budget_s=30)
    await asyncio.to_thread(cluster.wait_caught_up)
    assert await _reads_replica(api, ev.id)

    # When the replica goes away, every read still answers (from the primary), without an error.
    await asyncio.to_thread(cluster.stop_replica)
    fallbacks = db.routing_stats().get("fallback", 0) + db.routing_stats().get("primary", 0)
    for _ in range(3):
        assert (await api.get(f"/api/v1/events/{ev.id}")).status_code == 200
        r = await api.get("/api/v1/events/")
        assert r.status_code == 200 and [i["title"] for i in r.json()["items"]] == ["Outage proof"]
        r = await api.get("/api/v1/search/events", params={"q": "outage"})
        assert r.status_code == 200 and r.json()["found"] == 1
    assert db.routing_stats().get("fallback", 0) + db.routing_stats().get("primary", 0) >= fallbacks + 9
    assert db.replica_status()[0]["healthy"] is False

    # When it is back (and caught up), reads return to it by themselves.
    await asyncio.to_thread(cluster.start_replica)
    await asyncio.to_thread(cluster.wait_caught_up)
    await until("the replica to be used again", lambda: _reads_replica(api, ev.id))
    assert db.replica_status()[0]["healthy"] is True


async def test_a_write_that_is_not_read_back_does_not_pin_the_writer_to_the_primary(
        replica_database: ReplicaCluster, make_client: Any, make_user: Any, auth_headers: Any,
        make_published_event: Any) -> None:  # noqa: F811
    api = await make_client([*PLUGINS, "analytics"], client_ip=CLIENT_IP)
    reader_h = await auth_headers(await make_user())
    ev = await make_published_event(title="Telemetry")
    await asyncio.to_thread(replica_database.wait_caught_up)
    # An analytics batch (opt read_your_writes=False) leaves the sender on the replica…
    batch = {"events": [{"id": str(uuid.uuid4()), "name": "event_viewed", "occurred_at": clock.now().isoformat(),
                         "event_id": ev.id}]}
    r = await api.post("/api/v1/analytics/events", json=batch, headers=reader_h)
    assert r.status_code == 202, r.text
    assert await _reads_replica(api, ev.id, reader_h)
    # …a join does not.
    assert (await api.post(f"/api/v1/events/{ev.id}/join", headers=reader_h)).status_code == 200
    assert not await _reads_replica(api, ev.id, reader_h)


async def test_while_redis_is_away_signed_in_readers_read_from_the_primary(
        replica_database: ReplicaCluster, make_client: Any, make_user: Any, auth_headers: Any,
        make_published_event: Any, private_redis: Any, use_redis: Any) -> None:  # noqa: F811
    api = await make_client(PLUGINS, client_ip=CLIENT_IP)
    reader_h = await auth_headers(await make_user())
    ev = await make_published_event(title="Redis away")
    await asyncio.to_thread(replica_database.wait_caught_up)
    await use_redis(private_redis.url)
    assert await _reads_replica(api, ev.id, reader_h)  # a reader who wrote nothing: the replica

    # When Redis cannot say whether the reader just wrote, the primary answers them (and nobody gets an error).
    private_redis.stop()
    assert not await _reads_replica(api, ev.id, reader_h)
    assert await _reads_replica(api, ev.id)  # anonymous readers never wrote: the replica still


async def _title_is(api: Any, event_id: int, expected: str, headers: dict[str, str] | None = None) -> bool:
    r = await api.get(f"/api/v1/events/{event_id}", headers=headers or {})
    assert r.status_code == 200, r.text
    return bool(r.json()["title"] == expected)


async def _reads_replica(api: Any, event_id: int, headers: dict[str, str] | None = None) -> bool:
    """Whether a detail read (anonymous unless ``headers``) was answered by the replica."""
    before = db.routing_stats().get("replica0", 0)
    r = await api.get(f"/api/v1/events/{event_id}", headers=headers or {})
    assert r.status_code == 200, r.text
    return db.routing_stats().get("replica0", 0) > before
