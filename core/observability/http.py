"""The HTTP side: request metrics (counted by the edge, ``core.http.middleware``), request spans, ``GET /metrics``.

``/metrics`` answers only callers in ``observability.metrics_allow`` (loopback by default); anyone else gets the same
404 problem as an unknown path. A request that came through a proxy which is not in ``http.trusted_proxies`` (it
carries ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP``) is refused too: a reverse proxy on the same host would
otherwise make every visitor look like loopback.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache
from typing import Any

from litestar import Request, Response, get
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from core.errors import NotFound
from core.http.allow import address_allowed
from core.http.middleware import METRICS_PATH, ASGIApp, Message, Receive, Scope, Send
from core.observability import tracing
from core.observability.scrape import scrape
from core.settings import get_settings

METRICS_ALLOW = "observability.metrics_allow"
# Request durations: a JSON API on a shared machine; the p99 alert reads the 1 s and 2.5 s buckets.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LABELS = ("method", "path", "status_code", "app_name")
APP_NAME = "sbor"


class _Tally:
    """One route's answers with one status since the last flush: count, total seconds, per-bucket counts."""

    __slots__ = ("buckets", "count", "seconds")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.buckets = [0] * (len(BUCKETS) + 1)  # the last one is +Inf


class RequestFigures:
    """The request metrics, named and labelled as Litestar's Prometheus middleware names them (``sbor_http_*``).

    The edge (``core.http.middleware``) reports each request once it is answered, by route template. A request only
    adds to plain numbers in this process; :meth:`flush` moves them into the Prometheus metrics before every scrape
    (and every second in multiprocess mode, where another process may answer the scrape). Prometheus's own values
    take a lock per change, five per request: a tenth of the stack's cost per request (``bench kernel``).
    ``sbor_http_requests_in_progress`` is counted per method: the route is not known until the router has run.
    """

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.requests = Counter("sbor_http_requests_total", "Total requests", LABELS, registry=registry)
        self.durations = Histogram("sbor_http_request_duration_seconds", "Request duration, in seconds", LABELS,
                                   buckets=BUCKETS, registry=registry)
        self.errors = Counter("sbor_http_requests_error_total", "Total errors in requests", LABELS, registry=registry)
        self.running = Gauge("sbor_http_requests_in_progress", "Total requests currently in progress",
                             ["method", "app_name"], multiprocess_mode="livesum", registry=registry)
        self._tallies: dict[tuple[str, str, int], _Tally] = {}
        self._running: dict[str, int] = {}

    def started(self, method: str) -> None:
        """A request came in."""
        self._running[method] = self._running.get(method, 0) + 1

    def finished(self, method: str, template: str | None, status: int, seconds: float) -> None:
        """A request that came in was answered (``template``: its route; None when no route took it)."""
        self._running[method] -= 1
        if template is not None:
            self.record(method, template, status, seconds)

    def record(self, method: str, template: str, status: int, seconds: float) -> None:
        """Count one answer of a route (the response cache counts its copies here too)."""
        key = (method, template, status)
        tally = self._tallies.get(key)
        if tally is None:
            tally = self._tallies[key] = _Tally()
        tally.count += 1
        tally.seconds += seconds
        tally.buckets[bisect_left(BUCKETS, seconds)] += 1  # the first bound the duration is within ("le")

    def flush(self) -> None:
        """Move what was counted since the last flush into the Prometheus metrics."""
        tallies, self._tallies = self._tallies, {}
        for (method, template, status), tally in tallies.items():
            values = (method, template, str(status), APP_NAME)
            self.requests.labels(*values).inc(tally.count)
            if status >= 500:
                self.errors.labels(*values).inc(tally.count)
            histogram = self.durations.labels(*values)
            # prometheus_client has no public call to add many observations at once; these are its own fields.
            histogram._sum.inc(tally.seconds)
            for bucket, n in zip(histogram._buckets, tally.buckets, strict=True):
                if n:
                    bucket.inc(n)
        for method, n in self._running.items():
            self.running.labels(method, APP_NAME).set(n)


@lru_cache(maxsize=1)
def request_figures() -> RequestFigures:
    """The process's request metrics (made once: a metric is registered once per process)."""
    return RequestFigures()


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
        request_figures().flush()
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
