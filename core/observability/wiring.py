"""Wiring observability into a process (Sentry, tracing) and into an app (middleware, ``/metrics``, plugins' gauges)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPlugin

from core.errors import ConfigError
from core.hooks import hookspecs
from core.hooks.manager import Registry
from core.http.middleware import Figures
from core.observability import tracing
from core.observability.process import setup_process
from core.observability.scrape import Reader, from_gauge
from core.observability.types import ScrapeGauge
from core.settings import Settings

POOL_REFRESH_S = 1.0  # how late a scrape answered by another process may see this one's figures


def metrics_readers(registry: Registry) -> list[Reader]:
    """Core's readings and every enabled plugin's gauges (``register_metrics``), names checked."""
    from core.observability.collectors import core_readers

    readers = core_readers()
    seen = {r.name for r in readers}
    for plugin, gauge in registry.hooks.collect(hookspecs.register_metrics):
        if not isinstance(gauge, ScrapeGauge):
            raise ConfigError(f"plugin {plugin!r}: register_metrics returned {gauge!r}, not a ScrapeGauge")
        if not gauge.name.startswith(f"sbor_{plugin}_"):
            raise ConfigError(f"plugin {plugin!r}: metric {gauge.name!r} must be named 'sbor_{plugin}_<what>'")
        if gauge.name in seen:
            raise ConfigError(f"plugin {plugin!r}: metric {gauge.name!r} is declared twice")
        seen.add(gauge.name)
        readers.append(from_gauge(gauge))
    return readers


class ObservabilityPlugin(InitPlugin):
    """Adds the request spans (outermost of the route middleware) and ``GET /metrics`` (the edge counts requests)."""

    def __init__(self, registry: Registry, settings: Settings) -> None:
        self.registry = registry
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Add the middleware, the metrics route and its readers, and the pool refresher."""
        from core.http.allow import networks
        from core.observability.http import METRICS_ALLOW, MetricsController, tracing_middleware

        obs = self.settings.observability
        outer: list[object] = []
        if obs.metrics_enabled:
            networks(tuple(obs.metrics_allow), METRICS_ALLOW)  # a bad entry stops start-up here
            app_config.route_handlers.append(MetricsController)
            app_config.state["metrics_readers"] = metrics_readers(self.registry)
            if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
                app_config.lifespan.append(self.refresh_process_metrics)
        if tracing.enabled():
            outer.append(tracing_middleware)
        app_config.middleware[:0] = outer  # type: ignore[assignment]
        return app_config

    @asynccontextmanager
    async def refresh_process_metrics(self, app: Litestar) -> AsyncIterator[None]:
        """Multiprocess mode: another process may answer the scrape, so keep this one's figures fresh (every second)."""
        from core.observability.collectors import refresh_pools, sync_cache_counts, sync_read_routes
        from core.observability.http import request_figures as figures

        async def loop() -> None:
            while True:
                figures().flush()
                refresh_pools()
                sync_cache_counts()
                sync_read_routes()
                await asyncio.sleep(POOL_REFRESH_S)

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            figures().flush()  # the last second's requests too


def request_figures(settings: Settings) -> Figures | None:
    """The request metrics the edge (``core.http.middleware``) reports to; None when metrics are off."""
    if not settings.observability.metrics_enabled:
        return None
    from core.observability.http import request_figures as figures

    return figures()


def app_plugins(registry: Registry, settings: Settings) -> list[InitPlugin]:
    """The Litestar plugins of observability for an app (after ``setup_process``)."""
    setup_process(settings)
    return [ObservabilityPlugin(registry, settings)]
