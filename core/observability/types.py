"""The metric a plugin contributes through ``register_metrics``: a gauge read (asynchronously) at scrape time."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

NAME = re.compile(r"^sbor_[a-z0-9_]+$")

Reading = float | Mapping[tuple[str, ...], float] | None
"""One value (no labels), a value per tuple of label values (``labels`` names them), or None (no sample now)."""


@dataclass(frozen=True)
class ScrapeGauge:
    """A gauge whose value is read when Prometheus scrapes ``/metrics`` (a queue's lag, a circuit's state).

    ``read`` is awaited in the API process that answers the scrape, with a time limit; one that fails or times out
    is left out of that scrape (and counted in ``sbor_metrics_read_failures``), the others still answer. The value
    describes the whole site (rows in PostgreSQL, keys in Redis), so every API process reports the same one:
    aggregate these with ``max()``, never ``sum()``. Example::

        ScrapeGauge("sbor_notify_outbox_lag_seconds", "Age of the oldest due, unsent notification", read=outbox_lag)
        ScrapeGauge("sbor_geo_provider_circuit_open", "1 while a provider's circuit is open", read=circuits,
                    labels=("provider",))
    """

    name: str
    documentation: str
    read: Callable[[], Awaitable[Reading]]
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise ValueError(f"metric name {self.name!r} must match {NAME.pattern} (sbor_<plugin>_<what>)")
