"""OpenTelemetry: spans per request, hook implementation, query and job, one trace from a request into its jobs;
OTLP export to a configured endpoint; nothing at all when tracing is off."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import dramatiq
import httpx
import pytest
from litestar import get
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from core import db, hooks, jobs
from core.app import create_app
from core.hooks import hookimpl
from core.hooks import hookspecs as core_specs
from core.hooks.manager import PluginsFile, Registry, activate, build
from core.observability import tracing
from core.settings import ObservabilitySettings, get_settings
from tests.core.hooks.fakes import available, fake_plugin

job_done = threading.Event()


@jobs.job("obstrace.go", queue="obstrace", max_retries=0)
async def go(n: int) -> None:
    conn = await asyncpg.connect(get_settings().database.url)  # its own connection: this runs on Dramatiq's loop
    try:
        await conn.fetchval("SELECT $1::int + 1", n)
    finally:
        await conn.close()
    job_done.set()


@get("/obstrace/go", operation_id="obstrace_go")
async def start_job() -> dict[str, int]:
    await db.fetch("SELECT 1")
    await hooks.notify(core_specs.user_registered, user_id=42)
    await go.enqueue(987654)
    return {"queued": 1}


def on_registered(user_id: int) -> None:
    """A hook implementation, so that the request has one to span."""


PLUGIN = fake_plugin("obstrace", hooks={"register_routes": hookimpl(lambda: [start_job]),
                                        "register_actors": hookimpl(lambda: [go]),
                                        "user_registered": hookimpl(on_registered)})


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for this test, into memory."""
    exporter = InMemorySpanExporter()
    assert tracing.configure(get_settings().observability, exporter=exporter)
    yield exporter
    tracing.shutdown()


@pytest.fixture
def traced_app(sbor_database: Registry) -> Iterator[Any]:
    app = create_app(build(PluginsFile(enabled=["obstrace"]), available(PLUGIN)))
    yield app
    activate(sbor_database)


async def run_worker_until(done: threading.Event, queue: str) -> None:
    worker = dramatiq.Worker(jobs.broker(), queues={queue}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        assert await asyncio.to_thread(done.wait, 30), "the job did not run"
    finally:
        await asyncio.to_thread(worker.stop)


async def test_a_request_and_the_job_it_enqueues_share_one_trace(spans, traced_app) -> None:
    job_done.clear()
    async with traced_app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=traced_app),
                                                        base_url="http://testserver") as client:
        r = await client.get("/api/v1/obstrace/go", headers={"X-Request-ID": "trace-me-1"})
        assert r.status_code == 200
    await run_worker_until(job_done, "obstrace")

    finished = spans.get_finished_spans()
    request = next(s for s in finished if s.kind == SpanKind.SERVER)
    assert request.name == "GET /api/v1/obstrace/go"
    assert request.attributes["http.route"] == "/api/v1/obstrace/go"
    assert request.attributes["http.response.status_code"] == 200
    assert request.attributes["sbor.request_id"] == "trace-me-1"
    trace_id = request.context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]

    hook = next(s for s in in_trace if s.name == "hook user_registered")
    assert hook.attributes["sbor.plugin"] == "obstrace" and hook.parent.span_id == request.context.span_id
    queries = [s for s in in_trace if s.kind == SpanKind.CLIENT and "SELECT 1" in str(s.attributes.get("db.statement"))]
    assert queries and queries[0].parent.span_id == request.context.span_id

    job = next(s for s in finished if s.name == "job obstrace.go")
    assert job.kind == SpanKind.CONSUMER
    assert job.context.trace_id == trace_id  # the worker continued the request's trace
    assert job.parent.span_id == request.context.span_id
    job_query = next(s for s in finished if "SELECT $1::int + 1" in str(s.attributes.get("db.statement")))
    assert job_query.context.trace_id == trace_id and job_query.parent.span_id == job.context.span_id
    assert "987654" not in str(job_query.attributes)  # statements without their parameters


async def test_an_incoming_traceparent_is_continued(spans, traced_app) -> None:
    parent_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {"traceparent": f"00-{parent_trace}-00f067aa0ba902b7-01"}
    async with traced_app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=traced_app),
                                                        base_url="http://testserver") as client:
        assert (await client.get("/api/v1/capabilities", headers=headers)).status_code == 200
    request = next(s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER)
    assert f"{request.context.trace_id:032x}" == parent_trace
    assert request.parent.span_id == 0x00f067aa0ba902b7


async def test_tracing_off_adds_nothing(traced_app, run_jobs) -> None:
    assert not tracing.enabled()
    assert not any(getattr(m, "__name__", "") == "middleware" and "tracing" in m.__qualname__
                   for m in traced_app.middleware)
    message = await go.enqueue(1)
    assert tracing.CARRIER_OPTION not in message.options
    job_done.clear()
    await run_jobs("obstrace")
    assert job_done.is_set()


class Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint: keeps every POST body."""

    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_spans_are_exported_over_otlp_when_an_endpoint_is_configured() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Collector.received.clear()
    try:
        endpoint = f"http://127.0.0.1:{server.server_port}/v1/traces"
        assert tracing.configure(ObservabilitySettings(otlp_endpoint=endpoint, service_name="sbor-test",
                                                       otlp_headers={"x-tenant": "t1"}))
        span, token = tracing.start("exported span", attributes={"sbor.test": "yes"})
        tracing.finish(span, token)
        tracing.flush()
    finally:
        tracing.shutdown()
        server.shutdown()
        server.server_close()
    assert Collector.received, "nothing was exported"
    path, ctype, body = Collector.received[0]
    assert path == "/v1/traces" and ctype == "application/x-protobuf"
    request = ExportTraceServiceRequest.FromString(body)
    resource = request.resource_spans[0]
    assert {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"] == "sbor-test"
    assert [s.name for s in resource.scope_spans[0].spans] == ["exported span"]


def test_without_an_endpoint_tracing_stays_off() -> None:
    assert tracing.configure(ObservabilitySettings()) is False
    assert not tracing.enabled()
    assert tracing.carrier() == {}  # the API alone: a no-op, nothing to propagate
