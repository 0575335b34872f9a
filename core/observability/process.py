"""Observability of a process (API or worker), set up once from the settings: metrics switch, Sentry, tracing."""

from __future__ import annotations

from core.observability import counters, sentry, tracing
from core.settings import Settings


def setup_process(settings: Settings) -> None:
    """Once per process (API or worker): error reports, tracing and the metrics switch, from the settings."""
    counters.ENABLED = settings.observability.metrics_enabled
    sentry.configure(settings)
    tracing.configure(settings.observability)
