"""OpenTelemetry traces: a span per request, hook implementation, database query and job; OTLP export.

Off unless ``observability.otlp_endpoint`` is set: no SDK tracer provider is installed, no middleware is added, the
hook probe and the job middleware test one module-level variable and do nothing else. When on, a tracer provider
with a batching OTLP/HTTP exporter is created for this process, asyncpg is instrumented (one span per query,
statement text without parameters), and the trace context travels from a request into the jobs it enqueues (in the
message's options) and continues in the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

    from core.settings import ObservabilitySettings

log = logging.getLogger("core.observability")

_tracer: Tracer | None = None
_provider: TracerProvider | None = None
CARRIER_OPTION = "trace_context"
"""The Dramatiq message option that carries the W3C trace context (``traceparent``) of the request that sent it."""


def enabled() -> bool:
    """Whether this process records spans."""
    return _tracer is not None


def configure(settings: ObservabilitySettings, exporter: SpanExporter | None = None) -> bool:
    """Install the tracer provider when an OTLP endpoint is configured (or ``exporter`` is given, in tests).

    Returns whether tracing is on. Idempotent: a second call keeps the provider already installed.
    """
    global _tracer, _provider
    if _tracer is not None:
        return True
    if not settings.otlp_endpoint and exporter is None:
        return False
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}),
                              sampler=ParentBased(TraceIdRatioBased(settings.trace_sample_ratio)))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint,
                                                                        headers=dict(settings.otlp_headers))))
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    _provider, _tracer = provider, provider.get_tracer("sbor")
    log.info("tracing on: spans exported to %s", settings.otlp_endpoint or type(exporter).__name__)
    return True


def shutdown() -> None:
    """Flush and remove the tracer provider (process exit; tests switch tracing off again)."""
    global _tracer, _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    _provider.shutdown()
    _tracer = _provider = None


def flush() -> None:
    """Export the spans still buffered (a worker stopping; the provider also flushes at process exit)."""
    if _provider is not None:
        _provider.force_flush()


def tracer() -> Tracer:
    """The process's tracer (only while :func:`enabled`)."""
    if _tracer is None:
        raise RuntimeError("tracing is off")
    return _tracer


def start(name: str, *, parent: Mapping[str, str] | None = None, kind: str = "INTERNAL",
          attributes: Mapping[str, Any] | None = None) -> tuple[Span, object]:
    """Start span ``name`` and make it current; ``parent`` is a W3C carrier to continue (a job's message).

    Returns the span and the token :func:`finish` needs.
    """
    from opentelemetry import context, propagate, trace

    ctx = propagate.extract(dict(parent)) if parent is not None else None
    span = tracer().start_span(name, context=ctx, kind=getattr(trace.SpanKind, kind), attributes=attributes)
    token = context.attach(trace.set_span_in_context(span))
    return span, token


def finish(span: Span, token: object, error: BaseException | None = None) -> None:
    """End ``span`` (recording ``error``) and restore the context that was current before :func:`start`."""
    from opentelemetry import context, trace

    if error is not None:
        span.record_exception(error)
        span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
    span.end()
    context.detach(token)  # type: ignore[arg-type]


def carrier() -> dict[str, str]:
    """The current trace context as W3C headers (``traceparent``…), empty outside a span."""
    from opentelemetry import propagate

    out: dict[str, str] = {}
    propagate.inject(out)
    return out


def current_context() -> object:
    """The current OpenTelemetry context (to carry into another thread or event loop)."""
    from opentelemetry import context

    return context.get_current()


def attach(ctx: object) -> object:
    """Make ``ctx`` (from :func:`current_context`) current; returns the token for :func:`detach`."""
    from opentelemetry import context

    return context.attach(ctx)  # type: ignore[arg-type]


def detach(token: object) -> None:
    """Undo :func:`attach`."""
    from opentelemetry import context

    context.detach(token)  # type: ignore[arg-type]
