"""Analytics' gauges for Prometheus: how far ingestion (Redis stream → PostgreSQL) lags (read at scrape time)."""

from __future__ import annotations

from core import cache, clock
from core.observability import ScrapeGauge
from plugins.analytics.ingest import dead_key, stream_key


async def ingest_lag() -> float:
    """Seconds since the oldest accepted batch not yet stored was accepted (0: the stream is empty).

    Entries leave the stream once stored (``XACK`` + ``XDEL``), so the first one left is the oldest waiting; its id
    is the millisecond it was added.
    """
    first = await cache.client().xrange(stream_key(), count=1)
    if not first:
        return 0.0
    entry_id = first[0][0]
    added_ms = int((entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)).split("-")[0])
    return max(0.0, clock.timestamp() - added_ms / 1000)


async def ingest_backlog() -> float:
    """Accepted batches not stored yet."""
    return float(await cache.client().xlen(stream_key()))


async def dead_entries() -> float:
    """Stream entries that could not be decoded (kept for inspection)."""
    return float(await cache.client().xlen(dead_key()))


def gauges() -> list[ScrapeGauge]:
    """What ``register_metrics`` returns."""
    return [
        ScrapeGauge("sbor_analytics_ingest_lag_seconds", "Age of the oldest accepted, unstored event batch",
                    read=ingest_lag),
        ScrapeGauge("sbor_analytics_ingest_backlog", "Accepted event batches not stored yet", read=ingest_backlog),
        ScrapeGauge("sbor_analytics_dead_entries", "Undecodable stream entries set aside", read=dead_entries),
    ]
