"""The HTTP side: request metrics (Litestar's Prometheus middleware), request spans, and ``GET /metrics``.

``/metrics`` answers only callers in ``observability.metrics_allow`` (loopback by default); anyone else gets the same
404 problem as an unknown path. A request that came through a proxy which is not in ``http.trusted_proxies`` (it
carries ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP``) is refused too: a reverse proxy on the same host would
otherwise make every visitor look like loopback.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import CONTENT_TYPE_LATEST

from core.errors import ConfigError, NotFound
from core.http.middleware import ASGIApp, Message, Receive, Scope, Send, client_ip
from core.observability import tracing
from core.observability.scrape import scrape
from core.settings import get_settings

METRICS_PATH = "/metrics"
FORWARDING_HEADERS = {b"x-forwarded-for", b"forwarded", b"x-real-ip"}
# Request durations: a JSON API on a shared machine; the p99 alert reads the 1 s and 2.5 s buckets.
BUCKETS: list[str | float] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]


def prometheus_config() -> PrometheusConfig:
    """Litestar's Prometheus middleware, labelled by route template (``/api/v1/events/{event_id:int}``), not path."""
    return PrometheusConfig(app_name="sbor", prefix="sbor_http", group_path=True, buckets=BUCKETS,
                            scopes={ScopeType.HTTP}, exclude=[f"^{METRICS_PATH}$"])


@lru_cache(maxsize=8)
def networks(allow: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    """Parse ``observability.metrics_allow``; a bad entry stops start-up naming it."""
    out = []
    for entry in allow:
        try:
            out.append(ip_network(entry, strict=False))
        except ValueError as exc:
            raise ConfigError(f"settings: observability.metrics_allow: {entry!r} is not an address or network") from exc
    return tuple(out)


def may_scrape(scope: Scope) -> bool:
    """Whether the caller may read ``/metrics`` (see the module's docstring)."""
    settings = get_settings()
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    if peer not in settings.http.trusted_proxies and any(k in FORWARDING_HEADERS for k, _ in scope.get("headers", [])):
        return False
    try:
        address = ip_address(client_ip(scope))
    except ValueError:
        return False
    return any(address in net for net in networks(tuple(settings.observability.metrics_allow)))


class MetricsController(PrometheusController):
    """``GET /metrics``: Litestar's exposition, restricted to allowed addresses, with the plugins' gauges added."""

    path = METRICS_PATH

    @get(include_in_schema=False)
    async def get(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        if not may_scrape(request.scope):
            raise NotFound("No such object.")
        body = await scrape(request.app.state.get("metrics_readers", []))
        return Response(body, status_code=200, media_type=CONTENT_TYPE_LATEST)


def tracing_middleware(app: ASGIApp) -> ASGIApp:
    """A server span per HTTP request, named by method and route template; continues an incoming ``traceparent``."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not tracing.enabled():
            await app(scope, receive, send)
            return
        from core.http.context import request_id

        route = scope.get("path_template") or scope["path"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])
                   if k in (b"traceparent", b"tracestate")}
        span, token = tracing.start(f"{scope['method']} {route}", parent=headers, kind="SERVER", attributes={
            "http.request.method": scope["method"], "http.route": route, "url.path": scope["path"],
            "sbor.request_id": request_id.get() or ""})
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        error: BaseException | None = None
        try:
            await app(scope, receive, send_status)
        except BaseException as exc:
            error = exc
            raise
        finally:
            span.set_attribute("http.response.status_code", status)
            if error is None and status >= 500:
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
            tracing.finish(span, token, error)

    return middleware
