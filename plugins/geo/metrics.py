"""Geo's gauges for Prometheus: each maps provider's circuit, open or closed (read at scrape time)."""

from __future__ import annotations

from core.observability import ScrapeGauge
from plugins.geo import broker


async def circuits() -> dict[tuple[str, ...], float]:
    """``{(provider,): 1 while its circuit is open, else 0}`` for every usable provider."""
    return {(name,): 1.0 if await broker.circuit_open(name) else 0.0 for name in sorted(broker.providers().by_name)}


def gauges() -> list[ScrapeGauge]:
    """What ``register_metrics`` returns."""
    return [ScrapeGauge("sbor_geo_provider_circuit_open", "1 while a maps provider's circuit is open (skipped)",
                        read=circuits, labels=("provider",))]
