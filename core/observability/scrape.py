"""One scrape: the process's metrics (or every process's, in multiprocess mode) plus the site-wide readings.

Site-wide readings (queue depths, lags, circuit states, dependencies) are read when Prometheus asks, each with a time
limit and concurrently; one that fails is left out (``sbor_metrics_read_failures{metric}`` says which) and the others
still answer, so a down database shows as ``sbor_dependency_up{dependency="postgresql"} 0``, not as a failed scrape.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

from core.observability.types import ScrapeGauge

log = logging.getLogger("core.observability")
READ_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Reader:
    """Something read at scrape time: ``read`` returns metric families; ``name`` names it when it fails."""

    name: str
    read: Callable[[], Awaitable[list[Metric]]]


def from_gauge(gauge: ScrapeGauge) -> Reader:
    """A plugin's :class:`ScrapeGauge` as a reader."""

    async def read() -> list[Metric]:
        value = await gauge.read()
        family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=list(gauge.labels))
        if value is None:
            return [family]
        if isinstance(value, int | float):
            if gauge.labels:
                raise TypeError(f"{gauge.name}: labelled gauge read a single value")
            family.add_metric([], float(value))
        else:
            for label_values, v in sorted(value.items()):
                if len(label_values) != len(gauge.labels):
                    raise TypeError(f"{gauge.name}: label values {label_values!r} do not match {gauge.labels!r}")
                family.add_metric(list(label_values), float(v))
        return [family]

    return Reader(gauge.name, read)


class _Families:
    """A collector that yields families already read (``generate_latest`` takes anything with ``collect``)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        yield from self.families


def process_registry() -> CollectorRegistry:
    """This process's registry, or one that merges every process's files in multiprocess mode (as Litestar does)."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


async def _run(reader: Reader) -> list[Metric] | None:
    try:
        return await asyncio.wait_for(reader.read(), READ_TIMEOUT_S)
    except Exception as exc:  # one reading failing must not fail the scrape
        log.warning("metrics: %s not read: %s: %s", reader.name, type(exc).__name__, exc)
        return None


async def scrape(readers: list[Reader]) -> bytes:
    """The text exposition of a whole scrape."""
    results = await asyncio.gather(*(_run(r) for r in readers))
    families: list[Metric] = []
    failures = GaugeMetricFamily("sbor_metrics_read_failures", "Readings that failed or timed out in this scrape",
                                 labels=["metric"])
    for reader, result in zip(readers, results, strict=True):
        if result is None:
            failures.add_metric([reader.name], 1.0)
        else:
            families.extend(result)
    families.append(failures)
    local = generate_latest(process_registry())
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    return local + generate_latest(registry)
