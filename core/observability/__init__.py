"""Observability: Prometheus metrics at ``/metrics``, OpenTelemetry traces, Sentry error reports.

Each part is off or inert unless configured (``[observability]`` in the settings): metrics are on by default and
readable from loopback only; tracing needs ``otlp_endpoint``; error reports need ``sentry_dsn``. See
``docs/observability.md`` for the metric names, the dashboard and the alert rules.

Plugins add metrics through the ``register_metrics`` hook (:class:`ScrapeGauge`: an async read evaluated at scrape
time), or define ``prometheus_client`` counters/histograms of their own (prefix ``sbor_<plugin>_``).
"""

from __future__ import annotations

from core.observability.types import ScrapeGauge

__all__ = ["ScrapeGauge"]
