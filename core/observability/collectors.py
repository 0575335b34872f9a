"""Core's readings at scrape time: dependencies up, job queues and dead letters, job runs, cache, database pools."""

from __future__ import annotations

import asyncio
import math
import os
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from core import cache, db, jobs
from core.errors import ConfigError
from core.observability import counters
from core.observability.jobs import BUCKETS, stats_key
from core.observability.scrape import Reader


def refresh_pools() -> None:
    """Set ``sbor_db_pool_connections`` from this process's pools (at scrape time, and every few seconds)."""
    try:
        primary = db.engine()
    except ConfigError:
        return
    for node, eng in [("primary", primary), *primary.extra_nodes.items()]:
        pool = eng.pool
        if pool is None:
            continue
        size, idle = pool.get_size(), pool.get_idle_size()
        counters.DB_POOL.labels(node, "in_use").set(size - idle)
        counters.DB_POOL.labels(node, "idle").set(idle)
        counters.DB_POOL.labels(node, "max").set(pool.get_max_size())


async def pools() -> list[Metric]:
    """Refresh this process's pool gauge before the registry is rendered (it is a process metric, not a reading)."""
    refresh_pools()
    return []


async def dependencies() -> list[Metric]:
    """``sbor_dependency_up{dependency}``: 1 when PostgreSQL answers ``SELECT 1`` and Redis answers ``PING``."""

    async def probe(check: Any) -> float:
        try:
            await asyncio.wait_for(check(), 1.5)
        except Exception:  # down, refusing, timing out: all the same to the operator
            return 0.0
        return 1.0

    pg, redis = await asyncio.gather(probe(lambda: db.fetch("SELECT 1")), probe(lambda: cache.client().ping()))
    family = GaugeMetricFamily("sbor_dependency_up", "1 when the dependency answers this API process",
                               labels=["dependency"])
    family.add_metric(["postgresql"], pg)
    family.add_metric(["redis"], redis)
    return [family]


async def queues() -> list[Metric]:
    """``sbor_jobs_queued``, ``sbor_jobs_delayed`` and ``sbor_jobs_dead`` per queue, asked of the broker."""
    depths = await asyncio.to_thread(jobs.queue_depths)
    queued = GaugeMetricFamily("sbor_jobs_queued", "Jobs waiting in the queue", labels=["queue"])
    delayed = GaugeMetricFamily("sbor_jobs_delayed", "Jobs waiting for their time (retries, delays)", labels=["queue"])
    dead = GaugeMetricFamily("sbor_jobs_dead", "Dead-lettered jobs (retries exhausted), kept for inspection",
                             labels=["queue"])
    for name, depth in sorted(depths.items()):
        queued.add_metric([name], depth.ready)
        delayed.add_metric([name], depth.delayed)
        dead.add_metric([name], depth.dead)
    return [queued, delayed, dead]


async def job_runs() -> list[Metric]:
    """``sbor_jobs_total{actor,outcome}`` and ``sbor_job_duration_seconds{actor}``, as every worker reported them."""
    raw: dict[Any, Any] = await cache.client().hgetall(stats_key())
    runs: dict[tuple[str, str], float] = {}
    sums: dict[str, float] = {}
    buckets: dict[str, dict[str, float]] = {}
    for field, value in raw.items():
        kind, actor, *rest = field.decode().split("|")
        if kind == "n":
            runs[(actor, rest[0])] = float(value)
        elif kind == "s":
            sums[actor] = float(value)
        elif kind == "b":
            buckets.setdefault(actor, {})[rest[0]] = float(value)
    total = CounterMetricFamily("sbor_jobs", "Jobs run by the workers, by actor and outcome (ok, failed)",
                                labels=["actor", "outcome"])
    for (actor, outcome), n in sorted(runs.items()):
        total.add_metric([actor, outcome], n)
    hist = HistogramMetricFamily("sbor_job_duration_seconds", "Time a job ran, by actor", labels=["actor"])
    for actor in sorted(buckets):
        cumulative, out = 0.0, []
        for le in BUCKETS:
            cumulative += buckets[actor].get(_le(le), 0.0)
            out.append((_le(le), cumulative))
        hist.add_metric([actor], out, sum_value=sums.get(actor, 0.0))
    return [total, hist]


def _cache_counts() -> dict[str, int]:
    """The read cache's counters; its hits include the whole responses answered from this process's copies."""
    from core.http import response_cache  # (the fast path imports the metrics middleware: no cycle at import time)

    counts = cache.stats()
    counts["hit"] = counts.get("hit", 0) + response_cache.stats()["hit"]
    return counts


def sync_cache_counts() -> None:
    """Multiprocess mode: add what the read cache counted since the last call to the shared (file-backed) counters."""
    for result, n in _cache_counts().items():
        delta = n - _cache_synced.get(result, 0)
        if delta > 0:
            if result == "bump":
                counters.CACHE_BUMPS.inc(delta)
            else:
                counters.CACHE_LOOKUPS.labels(result).inc(delta)
        _cache_synced[result] = n


_cache_synced: dict[str, int] = {}


async def cache_lookups() -> list[Metric]:
    """``sbor_cache_requests_total{result}`` (hit, miss, error) and ``sbor_cache_invalidations_total``: this process's.

    The read cache (``core.cache``) counts in plain integers on its hot path; they are turned into metrics here. In
    multiprocess mode every process adds them to the shared counters (every few seconds and before a scrape it
    answers), and the registry renders the total.
    """
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        sync_cache_counts()
        return []
    counts = _cache_counts()
    lookups = CounterMetricFamily("sbor_cache_requests", "Read-cache lookups of this process by result",
                                  labels=["result"])
    for result in ("hit", "miss", "error"):
        lookups.add_metric([result], counts.get(result, 0))
    bumps = CounterMetricFamily("sbor_cache_invalidations", "Read-cache version bumps made by this process")
    bumps.add_metric([], counts.get("bump", 0))
    return [lookups, bumps]


async def replicas() -> list[Metric]:
    """``sbor_db_replica_up`` and ``sbor_db_replica_lag_seconds`` per read replica (``core.db.replica_status()``).

    Checked now when the last check is older than ``database.replica_check_s``, so an idle process reports the
    present, not what its last read found.
    """
    up = GaugeMetricFamily("sbor_db_replica_up", "1 while the read replica answers and is within "
                           "database.replica_max_lag_s (reads go to it), as this API process sees it",
                           labels=["replica"])
    lag = GaugeMetricFamily("sbor_db_replica_lag_seconds", "How far the read replica's replay is behind the primary "
                            "(absent while it does not answer)", labels=["replica"])
    try:
        status = await db.check_replicas(force=False)
    except ConfigError:
        return [up, lag]
    for replica in status:
        up.add_metric([replica["name"]], 1.0 if replica["healthy"] else 0.0)
        if replica["lag_s"] is not None:
            lag.add_metric([replica["name"]], float(replica["lag_s"]))
    return [up, lag]


def sync_read_routes() -> None:
    """Multiprocess mode: add what ``core.db`` routed since the last call to the shared (file-backed) counters."""
    for route, n in db.routing_stats().items():
        delta = n - _routes_synced.get(route, 0)
        if delta > 0:
            counters.DB_READ_ROUTES.labels(route).inc(delta)
        _routes_synced[route] = n


_routes_synced: dict[str, int] = {}


async def read_routes() -> list[Metric]:
    """``sbor_db_read_routing_total{route}`` from ``core.db.routing_stats()``: this process's (all, in multiprocess).

    ``replica0``…: statements a replica answered; ``primary``: reading blocks kept on the primary (no healthy replica,
    a transaction, the caller's recent write); ``fallback``: statements a replica failed and the primary answered.
    """
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        sync_read_routes()
        return []
    family = CounterMetricFamily("sbor_db_read_routing", "Reads routed by core.db.reading() in this process, by "
                                 "route (replicaN, primary, fallback)", labels=["route"])
    for route, n in sorted(db.routing_stats().items()):
        family.add_metric([route], n)
    return [family]


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


def core_readers() -> list[Reader]:
    """Core's readings, in every scrape."""
    return [Reader("sbor_db_pool_connections", pools), Reader("sbor_dependency_up", dependencies),
            Reader("sbor_jobs_queued", queues), Reader("sbor_jobs_total", job_runs),
            Reader("sbor_cache_requests_total", cache_lookups), Reader("sbor_db_replica_up", replicas),
            Reader("sbor_db_read_routing_total", read_routes)]
