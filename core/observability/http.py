"""The HTTP side: request metrics (Litestar's Prometheus middleware), request spans, and ``GET /metrics``.

``/metrics`` answers only callers in ``observability.metrics_allow`` (loopback by default); anyone else gets the same
404 problem as an unknown path. A request that came through a proxy which is not in ``http.trusted_proxies`` (it
carries ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP``) is refused too: a reverse proxy on the same host would
otherwise make every visitor look like loopback.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController, PrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST

from core.errors import NotFound
from core.http.allow import address_allowed
from core.http.middleware import ASGIApp, Message, Receive, Scope, Send
from core.observability import tracing
from core.observability.scrape import scrape
from core.settings import get_settings

METRICS_PATH = "/metrics"
METRICS_ALLOW = "observability.metrics_allow"
# Request durations: a JSON API on a shared machine; the p99 alert reads the 1 s and 2.5 s buckets.
BUCKETS: list[str | float] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]


class RequestMetrics(PrometheusMiddleware):
    """Litestar's Prometheus middleware with the same metrics and labels, and less work per request.

    The stock ``__call__`` builds a ``Request``, a label dict and looks up four labelled children on every request
    (~24 µs here); this one reads the scope and keeps the children per (method, route, status): ~5 µs.
    """

    _children: ClassVar[dict[tuple[str, str, int], tuple[Any, Any, Any]]] = {}
    _progress: ClassVar[dict[tuple[str, str], Any]] = {}

    def _labels(self, method: str, path: str, status: int) -> dict[str, str | int | float]:
        return {"method": method, "path": path, "status_code": status, "app_name": self._config.app_name}

    def _for(self, method: str, path: str, status: int) -> tuple[Any, Any, Any]:
        key = (method, path, status)
        children = self._children.get(key)
        if children is None:
            labels = self._labels(method, path, status)
            values = list(labels.values())
            errors = self.requests_error_count(labels).labels(*values) if status >= 500 else None
            children = (self.request_count(labels).labels(*values), self.request_time(labels).labels(*values), errors)
            self._children[key] = children
        return children

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope.get("path_template") or scope["path"]
        progress = self._progress.get((method, path))
        if progress is None:
            labels = self._labels(method, path, 200)  # Litestar's in-progress series carry status 200
            progress = self._progress[(method, path)] = self.requests_in_progress(labels).labels(*labels.values())
        started = time.perf_counter()
        status, ended = 500, 0.0

        async def send_timed(message: Message) -> None:
            nonlocal status, ended
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not ended:
                ended = time.perf_counter()
            await send(message)

        progress.inc()
        try:
            await self.app(scope, receive, send_timed)
        finally:
            progress.dec()
            count, duration, errors = self._for(method, path, status)
            count.inc()
            duration.observe((ended or time.perf_counter()) - started)
            if errors is not None:
                errors.inc()


def prometheus_config() -> PrometheusConfig:
    """Litestar's Prometheus middleware, labelled by route template (``/api/v1/events/{event_id:int}``), not path."""
    return PrometheusConfig(app_name="sbor", prefix="sbor_http", group_path=True, buckets=BUCKETS,
                            scopes={ScopeType.HTTP}, exclude=[f"^{METRICS_PATH}$"], middleware_class=RequestMetrics)


def may_scrape(scope: Scope) -> bool:
    """Whether the caller may read ``/metrics`` (see the module's docstring; the check is ``core.http.allow``'s)."""
    return address_allowed(scope, get_settings().observability.metrics_allow, METRICS_ALLOW)


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
