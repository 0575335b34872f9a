"""The Dramatiq middleware: job durations and failures per actor, and the trace carried from request to job.

Workers may run on other machines than the API, so they publish what they measured to Redis (one hash, flushed
every couple of seconds with a pipeline, never per job); ``/metrics`` on any API process reads it back as
``sbor_jobs_total`` and ``sbor_job_duration_seconds``. No port to open on the workers, any number of them.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from core.observability import counters, sentry, tracing
from core.settings import get_settings

log = logging.getLogger("core.observability")

BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, float("inf"))
FLUSH_S = 2.0


def stats_key() -> str:
    """The Redis hash the workers add their job counts and durations to."""
    return f"{get_settings().jobs.namespace}:metrics:jobs"


def _bucket(seconds: float) -> str:
    for bound in BUCKETS:
        if seconds <= bound:
            return "+Inf" if bound == float("inf") else repr(bound)
    return "+Inf"


def _in_context(async_fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run an async actor on Dramatiq's event loop inside the worker thread's trace context (the job's span)."""

    @functools.wraps(async_fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from dramatiq.asyncio import get_event_loop_thread

        loop_thread = get_event_loop_thread()
        if loop_thread is None:
            raise RuntimeError("Dramatiq's AsyncIO middleware is not set up")
        if not tracing.enabled():
            return loop_thread.run_coroutine(async_fn(*args, **kwargs))
        ctx = tracing.current_context()

        async def run() -> Any:
            token = tracing.attach(ctx)
            try:
                return await async_fn(*args, **kwargs)
            finally:
                tracing.detach(token)

        return loop_thread.run_coroutine(run())

    return wrapper


class JobObservability(Middleware):
    """Times every job, counts failures, spans jobs (continuing the enqueuing request's trace), and publishes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: defaultdict[str, float] = defaultdict(float)
        self._local = threading.local()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self._redis: Any = None

    # Sending: the request's trace context rides in the message's options (kept as is on retries and delays).
    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        if tracing.enabled() and tracing.CARRIER_OPTION not in message.options:
            carrier = tracing.carrier()
            if carrier:
                message.options[tracing.CARRIER_OPTION] = carrier

    def after_declare_actor(self, broker: dramatiq.Broker, actor: dramatiq.Actor[Any, Any]) -> None:
        async_fn = getattr(actor.fn, "__wrapped__", None)
        if async_fn is not None and inspect.iscoroutinefunction(async_fn):
            actor.fn = _in_context(async_fn)

    # Running: one message at a time per worker thread, so thread-local state is the message's.
    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self._local.started = time.perf_counter()
        self._local.span = None
        sentry.running_job.set(message.actor_name)
        if tracing.enabled():
            self._local.span = tracing.start(
                f"job {message.actor_name}", parent=message.options.get(tracing.CARRIER_OPTION) or {},
                kind="CONSUMER", attributes={"messaging.system": "dramatiq", "messaging.message.id": message.message_id,
                                             "messaging.destination.name": message.queue_name,
                                             "sbor.job": message.actor_name})

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, *,
                              result: Any = None, exception: BaseException | None = None) -> None:
        started = getattr(self._local, "started", None)
        self._local.started = None
        sentry.running_job.set(None)
        if started is not None and counters.ENABLED:
            self.record(message.actor_name, time.perf_counter() - started, ok=exception is None)
        span = getattr(self._local, "span", None)
        self._local.span = None
        if span is not None:
            tracing.finish(span[0], span[1], exception)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        span = getattr(self._local, "span", None)
        self._local.span = self._local.started = None
        sentry.running_job.set(None)
        if span is not None:
            tracing.finish(span[0], span[1])

    def record(self, actor: str, seconds: float, *, ok: bool) -> None:
        """Add one run to what the next flush publishes."""
        with self._lock:
            self._pending[f"n|{actor}|{'ok' if ok else 'failed'}"] += 1
            self._pending[f"s|{actor}"] += seconds
            self._pending[f"b|{actor}|{_bucket(seconds)}"] += 1

    # Publishing: a thread per worker process.
    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from core.observability.process import setup_process

        setup_process(get_settings())
        self._stop.clear()
        self._flusher = threading.Thread(target=self._flush_loop, name="sbor-job-metrics", daemon=True)
        self._flusher.start()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join(timeout=5)
            self._flusher = None
        self.flush()
        tracing.flush()

    def _flush_loop(self) -> None:
        while not self._stop.wait(FLUSH_S):
            self.flush()

    def flush(self) -> bool:
        """Add the runs recorded since the last flush to Redis; on failure keep them for the next one."""
        with self._lock:
            pending, self._pending = self._pending, defaultdict(float)
        if not pending:
            return True
        try:
            if self._redis is None:
                import redis

                self._redis = redis.Redis.from_url(get_settings().redis.url, socket_timeout=2.0,
                                                   socket_connect_timeout=2.0)
            pipe = self._redis.pipeline(transaction=False)
            key = stats_key()
            for field, value in pending.items():
                pipe.hincrbyfloat(key, field, value)
            pipe.execute()
            return True
        except Exception as exc:  # Redis away: keep the counts, try again at the next flush
            log.warning("job metrics not published (kept for the next try): %s", exc)
            with self._lock:
                for field, value in pending.items():
                    self._pending[field] += value
            return False
