"""Orders' gauges for Prometheus: the venues whose POS circuit is open, by adapter (read at scrape time)."""

from __future__ import annotations

from core import cache, clock
from core.observability import ScrapeGauge
from plugins.orders import pos
from plugins.orders.tables import VenuePos


async def circuits_open() -> dict[tuple[str, ...], float]:
    """``{(adapter,): venues whose POS circuit is open now}``, every adapter in use listed (0 when none is open)."""
    rows = await VenuePos.select(VenuePos.venue_id, VenuePos.adapter)
    out: dict[tuple[str, ...], float] = {(name,): 0.0 for name in pos.adapters()}
    if not rows:
        return out
    pipe = cache.client().pipeline(transaction=False)
    for row in rows:
        pipe.hget(pos.Breaker(row["venue_id"]).key, "open_until")
    now = clock.timestamp()
    for row, opened_until in zip(rows, await pipe.execute(), strict=True):
        key = (str(row["adapter"]),)
        out[key] = out.get(key, 0.0) + (1.0 if opened_until is not None and float(opened_until) > now else 0.0)
    return out


def gauges() -> list[ScrapeGauge]:
    """What ``register_metrics`` returns."""
    return [ScrapeGauge("sbor_orders_pos_circuits_open", "Venues whose POS circuit is open (calls held back)",
                        read=circuits_open, labels=("adapter",))]
