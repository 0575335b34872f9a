"""The process's own metric objects (``prometheus_client``): hook durations and failures, database pool use.

Kept free of imports from the rest of core so that any module (``core.cache``, the hook dispatcher) may import it.
Values live in this process, or in ``PROMETHEUS_MULTIPROC_DIR`` when several processes share one ``/metrics``.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

ENABLED = True
"""False when ``observability.metrics_enabled`` is off: the hook probe and the job middleware record nothing."""

HOOK_SECONDS = Histogram(
    "sbor_hook_duration_seconds", "Time spent in one plugin's implementation of a hook", ["hook", "plugin"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
)
HOOK_FAILURES = Counter("sbor_hook_failures", "Hook implementations that raised", ["hook", "plugin"])
DB_POOL = Gauge("sbor_db_pool_connections", "Connections of this process's PostgreSQL pools by node and state "
                "(in_use, idle, max)", ["node", "state"], multiprocess_mode="livesum")

# The read cache's counts, turned into counters only in multiprocess mode (``collectors.sync_cache_counts``); a single
# process renders them straight from ``core.cache.stats()``. Not registered: values live in the multiprocess files.
CACHE_LOOKUPS = Counter("sbor_cache_requests", "Read-cache lookups by result", ["result"], registry=None)
CACHE_BUMPS = Counter("sbor_cache_invalidations", "Read-cache version bumps", registry=None)
# Where ``core.db.reading()`` sent reads (``core.db.routing_stats()``), likewise only in multiprocess mode.
DB_READ_ROUTES = Counter("sbor_db_read_routing", "Reads routed by core.db.reading(), by route", ["route"],
                         registry=None)

_hook_children: dict[tuple[str, str], Any] = {}


def observe_hook(hook: str, plugin: str, seconds: float, failed: bool) -> None:
    """Record one implementation's run (the labelled child is looked up once per hook and plugin)."""
    child = _hook_children.get((hook, plugin))
    if child is None:
        child = _hook_children[(hook, plugin)] = HOOK_SECONDS.labels(hook, plugin)
    child.observe(seconds)
    if failed:
        HOOK_FAILURES.labels(hook, plugin).inc()
