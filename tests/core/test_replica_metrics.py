"""Read replicas on ``/metrics``: each replica's health and lag, and where ``core.db.reading()`` sent reads.

A real streaming replica (``tests/core/replica_support.py``): up and used, then stopped (down, reads fall back to
the primary), then back.
"""

from __future__ import annotations

import asyncio
from typing import Any

from core import db
from tests.core.replica_support import ReplicaCluster, replica_cluster, replica_database, until
from tests.core.test_metrics import parse, value

__all__ = ["replica_cluster", "replica_database"]


async def read_metrics(api: Any) -> Any:
    r = await api.get("/metrics")
    assert r.status_code == 200, r.text
    return parse(r.text)


async def standby_reads(n: int) -> None:
    for _ in range(n):
        async with db.reading():
            await db.fetch("SELECT 1")


async def test_without_replicas_the_families_are_empty(sbor_database: Any, make_client: Any) -> None:
    api = await make_client(["events"])
    text = (await api.get("/metrics")).text
    assert "# TYPE sbor_db_replica_up gauge" in text
    assert not any(line.startswith("sbor_db_replica_up{") for line in text.splitlines())
    assert value(parse(text), "sbor_metrics_read_failures", metric="sbor_db_replica_up") is None


async def test_replica_health_and_read_routing_are_exported(replica_database: ReplicaCluster,
                                                            make_client: Any) -> None:
    cluster = replica_database
    api = await make_client(["events"])
    before = await read_metrics(api)
    assert value(before, "sbor_db_replica_up", replica="replica0") == 1
    assert value(before, "sbor_db_replica_lag_seconds", replica="replica0") is not None
    answered = value(before, "sbor_db_read_routing_total", route="replica0") or 0

    await standby_reads(5)
    after = await read_metrics(api)
    assert value(after, "sbor_db_read_routing_total", route="replica0") == answered + 5
    assert value(after, "sbor_db_read_routing_total", route="replica0") == db.routing_stats()["replica0"]

    # The replica goes away: a scrape says so without any read having noticed, and reads are kept on the primary.
    await asyncio.to_thread(cluster.stop_replica)
    try:
        async def down() -> bool:
            return value(await read_metrics(api), "sbor_db_replica_up", replica="replica0") == 0

        await until("a scrape to see the replica down", down, every=0.2)
        samples = await read_metrics(api)
        assert value(samples, "sbor_db_replica_lag_seconds", replica="replica0") is None  # unknown, not 0
        kept = value(samples, "sbor_db_read_routing_total", route="primary") or 0
        await standby_reads(3)
        samples = await read_metrics(api)
        assert value(samples, "sbor_db_read_routing_total", route="primary") == kept + 3
        assert value(samples, "sbor_dependency_up", dependency="postgresql") == 1  # the primary is fine
    finally:
        await asyncio.to_thread(cluster.start_replica)
        await asyncio.to_thread(cluster.wait_caught_up)

    async def back() -> bool:
        return value(await read_metrics(api), "sbor_db_replica_up", replica="replica0") == 1

    await until("a scrape to see the replica back", back, every=0.2)
