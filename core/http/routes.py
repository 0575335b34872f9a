"""Core's own endpoints: ``/health`` and ``GET /api/v1/capabilities``."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Controller, Response, get
from litestar.handlers import HTTPRouteHandler

import core
from core import cache, db, jobs
from core.hooks import hookspecs
from core.hooks.manager import Registry


class PluginCapability(msgspec.Struct):
    """What the mobile app needs to know about one enabled plugin."""

    name: str
    version: str
    settings: dict[str, Any]
    features: dict[str, Any] = {}  # what the plugin says it can do here (``register_capabilities``)


class Capabilities(msgspec.Struct):
    """The enabled plugins, so the app can show or hide features."""

    core_version: str
    api_version: str
    plugins: list[PluginCapability]


class HealthCheck(msgspec.Struct, omit_defaults=True):
    """Health of the process's dependencies (``jobs``: the RabbitMQ broker, only when jobs run on RabbitMQ)."""

    status: str
    database: str
    redis: str
    jobs: str = ""


async def _check(coro: Any) -> str:
    try:
        await asyncio.wait_for(coro, timeout=2.0)
    except Exception as exc:  # any failure of a dependency means "down", with its reason
        return f"down: {type(exc).__name__}"
    return "ok"


class HealthController(Controller):
    """Liveness and readiness for load balancers and operators."""

    path = "/health"
    tags = ["core"]

    @get(operation_id="health", summary="Health of PostgreSQL, Redis and the jobs broker (503 when one is down)")
    async def health(self) -> Response[HealthCheck]:
        """Check PostgreSQL and Redis, and RabbitMQ when jobs run on it."""
        checks = [_check(db.fetch("SELECT 1")), _check(cache.client().ping())]
        if jobs.broker_kind() == "rabbitmq":  # on Redis, the redis check covers the jobs too
            checks.append(_check(asyncio.to_thread(jobs.ping)))
        database, redis, *broker = await asyncio.gather(*checks)
        ok = database == redis == "ok" and all(b == "ok" for b in broker)
        return Response(HealthCheck("ok" if ok else "degraded", database, redis, *broker),
                        status_code=200 if ok else 503)


def capabilities_route(registry: Registry) -> HTTPRouteHandler:
    """``GET /api/v1/capabilities`` of an app serving ``registry``: its answer is made once, on the first call.

    A handler per app (it closes over the app's plugins), so that it takes no ``Request``: every client calls this
    first, and a parameter to resolve costs a tenth of the whole request here (``bench kernel``).
    """
    answer: list[Capabilities] = []

    @get("/api/v1/capabilities", operation_id="get_capabilities", tags=["core"],
         summary="Enabled plugins, versions and public settings")
    async def get_capabilities() -> Capabilities:
        """List enabled plugins with their public settings and features."""
        if not answer:  # settings and features do not change while the app runs
            answer.append(_capabilities(registry))
        return answer[0]

    return get_capabilities


def _capabilities(registry: Registry) -> Capabilities:
    """The enabled plugins' public settings and what they say they can do (``register_capabilities``)."""
    features = dict(registry.hooks.collect(hookspecs.register_capabilities))
    plugins = []
    for p in registry.plugins:
        data = msgspec.to_builtins(p.settings) if p.settings is not None else {}
        public = {k: data[k] for k in p.info.manifest.public_settings if k in data}
        plugins.append(PluginCapability(p.name, p.info.manifest.version, public, features.get(p.name, {})))
    return Capabilities(core.__version__, "v1", plugins)
