"""The app factory: one Litestar app built from the enabled plugins (routes, OpenAPI, errors, middleware)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Tag
from litestar.plugins import InitPlugin

import core
from core import cache, db, jobs, logs
from core.errors import ConfigError
from core.hooks import hookspecs
from core.hooks.manager import Registry, activate, load
from core.http import openapi, response_cache
from core.http.allow import openapi_router
from core.http.guard import api_guard_middleware
from core.http.middleware import edge_middleware
from core.http.problems import EXCEPTION_HANDLERS
from core.http.routes import HealthController, capabilities_route
from core.observability.wiring import app_plugins as observability_plugins
from core.observability.wiring import request_figures
from core.realtime.wiring import app_plugins as realtime_plugins
from core.settings import Settings, get_settings

log = logging.getLogger("core.app")
API_PREFIX = "/api/v1"


class SborPlugin(InitPlugin):
    """Bridges pluggy to Litestar: every enabled plugin's routes, tagged and mounted under ``/api/v1``."""

    def __init__(self, registry: Registry, settings: Settings) -> None:
        self.registry = registry
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Add core's and the plugins' handlers, middleware, errors and lifespan."""
        handlers: list[Any] = [HealthController, capabilities_route(self.registry)]
        by_plugin: dict[str, list[Any]] = {}
        for plugin, handler in self.registry.hooks.collect(hookspecs.register_routes):
            by_plugin.setdefault(plugin, []).append(handler)
        for plugin, items in by_plugin.items():
            handlers.append(Router(path=API_PREFIX, route_handlers=items, tags=[plugin]))
        for _plugin, extra in self.registry.hooks.collect(hookspecs.register_page_routes):
            handlers.append(extra)
        app_config.route_handlers.extend(handlers)
        for plugin, deps in self.registry.hooks.collect(hookspecs.register_dependencies):
            for name, provider in deps.items():
                if name in app_config.dependencies:
                    raise ConfigError(f"plugin {plugin!r}: dependency {name!r} is already provided")
                app_config.dependencies[name] = provider
        app_config.state["permissions"] = self.registry.permissions()  # validates names at start-up
        pages = error_pages(self.registry)  # plugins' own error pages under their prefix (the panel's HTML)
        errors: dict[Any, Any] = ({exc: by_prefix(h, pages) for exc, h in EXCEPTION_HANDLERS.items()} if pages
                                  else EXCEPTION_HANDLERS)
        app_config.exception_handlers.update(errors)
        app_config.middleware.insert(0, api_guard_middleware)
        app_config.lifespan.append(self.lifespan)
        app_config.state["registry"] = self.registry
        return app_config

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """Open the pool and Redis, bind jobs, tell plugins; close everything on shutdown."""
        activate(self.registry)
        opened = await db.start_pool()  # False when the process (a test session) already holds the pool
        try:
            await self.registry.hooks.notify(hookspecs.app_started)
            if opened:  # a server process: what start-up made lives as long as it does
                gc.collect()
                gc.freeze()  # full collections no longer walk it (~130k objects: pauses in the p99, bench kernel)
            yield
        finally:
            await self.registry.hooks.notify(hookspecs.app_stopping)
            await response_cache.stop()
            if opened:
                await db.close_pool()
                await cache.close()


def error_pages(registry: Registry) -> dict[str, Callable[[Any, Exception], Any]]:
    """Path prefixes whose errors plugins answer themselves (``register_error_pages``), longest first."""
    pages: dict[str, Callable[[Any, Exception], Any]] = {}
    for plugin, found in registry.hooks.collect(hookspecs.register_error_pages):
        for prefix, handler in found.items():
            prefix = prefix.rstrip("/")
            if prefix in pages:
                raise ConfigError(f"plugin {plugin!r}: error pages of {prefix!r} are already answered")
            pages[prefix] = handler
    return dict(sorted(pages.items(), key=lambda kv: -len(kv[0])))


def by_prefix(handler: Callable[[Any, Exception], Any],
              pages: dict[str, Callable[[Any, Exception], Any]]) -> Callable[[Any, Exception], Any]:
    """``handler`` (core's problem+json), except for paths under a plugin's prefix: its own error page."""

    def handle(request: Any, exc: Exception) -> Any:
        path = request.scope.get("path") or ""
        for prefix, page in pages.items():
            if path == prefix or path.startswith(prefix + "/"):
                return page(request, exc)
        return handler(request, exc)

    return handle


def openapi_config(registry: Registry, settings: Settings) -> OpenAPIConfig:
    """OpenAPI at ``/schema``, one tag per plugin; only for ``http.openapi_allow`` when that is set."""
    tags = [Tag(name="core", description="Health and capabilities")]
    tags += [Tag(name=p.name, description=p.info.manifest.summary) for p in registry.plugins]
    return OpenAPIConfig(
        openapi_router=openapi_router("/schema", settings.http.openapi_allow),
        title="Sbor API",
        version=core.__version__,
        description="The JSON API of Sbor for the mobile app. Errors are application/problem+json (RFC 9457) "
        "with a stable `code`.",
        path="/schema",
        tags=tags,
    )


def create_app(registry: Registry | None = None, settings: Settings | None = None) -> Litestar:
    """Build the app for ``registry`` (default: the plugins enabled in ``plugins.toml``)."""
    settings = settings or get_settings()
    registry = registry or load(settings)
    activate(registry)
    if jobs._broker is None and jobs.broker_url(settings):
        jobs.configure_from(settings)
    jobs.bind(registry.hooks.collect(hookspecs.register_actors))
    cors = CORSConfig(allow_origins=settings.http.cors_origins) if settings.http.cors_origins else None
    app = Litestar(
        plugins=[SborPlugin(registry, settings), *realtime_plugins(registry, settings),
                 *observability_plugins(registry, settings)],
        openapi_config=openapi_config(registry, settings),
        cors_config=cors,
        request_max_body_size=settings.http.max_body_bytes,
        debug=False,
        logging_config=None,
    )
    openapi.install(app)  # the document completed with what core adds around handlers (auth, errors, headers)
    # Outermost, so that even unrouted requests (404, 405) get and echo a request id (and their language).
    figures = request_figures(settings)
    app.asgi_handler = edge_middleware(app.asgi_handler, figures)
    # Outside even that: anonymous GETs of opted-in routes answered from this process's copies (the feed).
    app.asgi_handler = response_cache.middleware(app.asgi_handler, response_cache.opted_paths(app), figures)
    return app


def asgi() -> Litestar:
    """Factory for ASGI servers (``uvicorn --factory core.app:asgi``)."""
    settings = get_settings()
    logs.setup(settings.log_level, settings.log_json)
    return create_app(settings=settings)
