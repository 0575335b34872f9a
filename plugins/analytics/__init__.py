"""Analytics: client and domain events, rollup dashboards, A/B experiments, the RICE board and CSV exports."""

from __future__ import annotations

import msgspec

from core.manifest import Manifest


class AnalyticsSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the analytics plugin, from ``[settings.analytics]`` in plugins.toml."""

    max_body_bytes: int = 262_144
    """Largest accepted body of ``POST /analytics/events`` (a batch holds at most 100 events)."""
    max_event_age_days: int = 30
    """Client events older than this (offline queues) are rejected one by one, the rest of the batch is kept."""
    max_clock_skew_s: int = 600
    """Client events dated further in the future than this are rejected one by one."""
    max_backlog: int = 200_000
    """Batches waiting on the stream beyond which new ones get 503 + Retry-After (the consumers are down or behind)."""
    read_count: int = 200
    """Stream entries (batches) the consumer reads and writes to PostgreSQL at once."""
    claim_idle_s: int = 60
    """Entries read but not acknowledged for this long (a worker died) are claimed by another consumer."""
    drain_budget_s: float = 20.0
    """How long one consumer run keeps draining the stream before handing over to the next tick."""
    consume_every_s: int = 2
    """How often the periodic consumer runs (ingestion lag is about this long when idle)."""
    raw_retention_days: int = 180
    """Raw client events and facts older than this are deleted (rollups are kept)."""


manifest = Manifest(
    name="analytics",
    version="0.1.0",
    summary="Product analytics: event dashboards, platform metrics, A/B tests and the RICE board",
    depends={"events": ">=0.1,<1"},
    core=">=0.1,<1",
    settings=AnalyticsSettings,
)
