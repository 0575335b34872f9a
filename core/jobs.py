"""Background jobs on Dramatiq (Redis or RabbitMQ): declaring, binding to the broker, test draining.

Periodic jobs are declared here (:class:`Periodic`) and enqueued on time by ``core.scheduler``.

Plugins decorate plain functions with :func:`job` (nothing binds at import time, so import order cannot pick the
wrong broker) and return them from ``register_actors``; core binds them to the one configured broker.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
import logging
import math
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import dramatiq
from croniter import croniter
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, Middleware

from core import clock
from core.errors import ConfigError
from core.http.context import origin
from core.observability.jobs import JobObservability

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger("core.jobs")
BrokerKind = Literal["redis", "rabbitmq"]


@dataclass
class Job:
    """A background job: a function plus its Dramatiq options. ``send`` enqueues; calling runs it inline."""

    fn: Callable[..., Any]
    name: str
    queue: str = "default"
    options: dict[str, Any] = field(default_factory=dict)
    actor: dramatiq.Actor[Any, Any] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def _bound(self) -> dramatiq.Actor[Any, Any]:
        if self.actor is None:
            raise RuntimeError(f"job {self.name} is not bound to a broker (is its plugin enabled?)")
        return self.actor

    def send(self, *args: Any, **kwargs: Any) -> dramatiq.Message[Any]:
        """Enqueue the job (blocking Redis call; from async code prefer :meth:`enqueue`)."""
        return self._bound().send(*args, **kwargs)

    def send_with_options(self, *, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None,
                          **options: Any) -> dramatiq.Message[Any]:
        """Enqueue with Dramatiq options such as ``delay`` (ms). Long delays belong in PostgreSQL, not here."""
        return self._bound().send_with_options(args=args, kwargs=kwargs or {}, **options)

    async def enqueue(self, *args: Any, **kwargs: Any) -> dramatiq.Message[Any]:
        """Enqueue from async code without blocking the event loop."""
        return await asyncio.to_thread(self.send, *args, **kwargs)


def job(name: str, *, queue: str = "default", **options: Any) -> Callable[[Callable[..., Any]], Job]:
    """Declare a background job named ``<plugin>.<name>``; ``options`` are Dramatiq's (max_retries, time_limit…)."""
    if "." not in name:
        raise ValueError(f"job name {name!r} must be '<plugin>.<name>'")

    def wrap(fn: Callable[..., Any]) -> Job:
        return Job(fn=fn, name=name, queue=queue, options=options)

    return wrap


@dataclass(frozen=True)
class Periodic:
    """A job run every ``every`` or on a ``cron`` expression (UTC), once per tick across all workers."""

    job: Job
    every: timedelta | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ValueError(f"periodic {self.job.name}: give exactly one of every= or cron=")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"periodic {self.job.name}: invalid cron expression {self.cron!r}")

    def tick(self, now_ts: float) -> int:
        """Return the number of the current tick (the latest scheduled moment at or before ``now_ts``)."""
        if self.every is not None:
            return math.floor(now_ts / self.every.total_seconds())
        return int(croniter(self.cron, now_ts).get_prev(float))

    def period_s(self, now_ts: float) -> int:
        """Seconds between this tick and the next (how long a tick's claim must outlive it)."""
        if self.every is not None:
            return max(1, int(self.every.total_seconds()))
        it = croniter(self.cron, now_ts)
        return max(60, int(it.get_next(float) - it.get_prev(float)))


class PiccoloPool(Middleware):
    """Open a Piccolo pool on the worker's own event loop (never share the web process's pool across loops)."""

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from dramatiq.asyncio import get_event_loop_thread

        from core import db

        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(db.start_pool())

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        """Close the pool once the worker threads have finished (or requeued) their jobs: never under a running one.

        Dramatiq signals ``before_worker_shutdown`` before it stops the worker threads; ``after_…`` runs once they
        are joined, and in reverse middleware order, so before the AsyncIO middleware stops the loop the pool is on.
        """
        from dramatiq.asyncio import get_event_loop_thread

        from core import db

        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(db.close_pool())


_broker: dramatiq.Broker | None = None
_kind: BrokerKind = "redis"
_namespace = "sbor"
_bound: dict[str, Job] = {}


def new_broker(kind: BrokerKind, url: str, namespace: str = "sbor", *, heartbeat_timeout_s: float = 60.0,
               maintenance_chance: int = 1000) -> dramatiq.Broker:
    """A Dramatiq broker of ``kind`` at ``url``, not yet Dramatiq's global one (see :func:`configure_broker`).

    RabbitMQ publishes with confirmations on durable queues (a job is accepted once the server has it on disk);
    Redis keeps Dramatiq's layout under ``<namespace>-jobs:`` and is as durable as its own persistence settings.
    """
    if not url:
        setting = "jobs.rabbitmq_url" if kind == "rabbitmq" else "redis.url"
        raise ConfigError(f"settings: {setting} is empty but jobs.broker is {kind!r}")
    if kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        quiet_pika()
        return RabbitmqBroker(url=url, confirm_delivery=True)
    if kind == "redis":
        return _RedisBroker(url=url, namespace=f"{namespace}-jobs", heartbeat_timeout=int(heartbeat_timeout_s * 1000),
                            maintenance_chance=maintenance_chance)
    raise ConfigError(f"settings: jobs.broker must be 'redis' or 'rabbitmq', not {kind!r}")


class _RedisBroker(RedisBroker):
    """Dramatiq's Redis broker, minus a way to strand jobs when Redis goes away in the middle of a fetch.

    A fetch moves jobs into this process's "acks" set (``broker_id``) before the reply comes back. When the reply is
    lost (Redis killed, connection cut) those jobs are in no queue and in no memory, and Dramatiq hands a process's
    acks back only once its heartbeat stops (``jobs.redis_heartbeat_timeout_s``): a live worker kept them forever.
    Here a fetch is never retried behind the consumer's back (redis-py's own retry would fetch again and strand the
    first batch), and after a failed one this process takes a new ``broker_id``: the old one's heartbeat stops, and
    a maintenance pass one heartbeat timeout later puts whatever it held back in the queue (delivered again: at
    least once; jobs acknowledged meanwhile are not, their data being gone).
    """

    def __init__(self, *, url: str, **options: Any) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        super().__init__(url=url, **options)  # type: ignore[no-untyped-call]
        self.fetcher = redis.Redis(connection_pool=redis.ConnectionPool.from_url(url, retry=Retry(NoBackoff(), 0)))

    def do_fetch(self, queue_name: str, prefetch: int) -> Any:
        import redis
        from dramatiq.common import current_millis

        args = ["fetch", current_millis(), queue_name, self.broker_id, self.heartbeat_timeout, self.dead_message_ttl,
                self._should_do_maintenance("fetch"), self._max_unpack_size(),  # type: ignore[no-untyped-call]
                prefetch]  # as RedisBroker._dispatch
        try:
            return self.scripts["dispatch"](args=args, keys=[self.namespace], client=self.fetcher)
        except (redis.ConnectionError, redis.TimeoutError):
            self.broker_id = str(uuid.uuid4())
            raise


def quiet_pika() -> None:
    """Pika logs every connection opened and closed at INFO (health checks, each enqueueing thread): keep warnings."""
    logging.getLogger("pika").setLevel(logging.WARNING)


def configure_broker(url: str, namespace: str = "sbor", *, worker: bool = False, kind: BrokerKind = "redis",
                     heartbeat_timeout_s: float = 60.0, maintenance_chance: int = 1000) -> dramatiq.Broker:
    """Create the broker and make it Dramatiq's global broker (before any actor exists); ``url`` is ``kind``'s."""
    global _broker, _kind, _namespace
    broker = new_broker(kind, url, namespace, heartbeat_timeout_s=heartbeat_timeout_s,
                        maintenance_chance=maintenance_chance)
    broker.add_middleware(AsyncIO())
    broker.add_middleware(JobObservability())  # job metrics and spans, the request's trace carried into its jobs
    if worker:
        broker.add_middleware(PiccoloPool())
    if _broker is not None:  # replaced (tests switch brokers): its connections go now, not at garbage collection
        close(_broker)
    dramatiq.set_broker(broker)
    _broker, _kind, _namespace = broker, kind, namespace
    _bound.clear()
    return broker


def close(b: dramatiq.Broker) -> None:
    """Close a broker's connections: RabbitMQ's (one per thread that used it) and Redis's pool (best effort)."""
    try:
        if isinstance(b, RedisBroker):
            b.client.connection_pool.disconnect()
            if isinstance(b, _RedisBroker):
                b.fetcher.connection_pool.disconnect()
        else:
            b.close()
    except Exception:
        log.warning("could not close the job broker", exc_info=True)


def broker_url(settings: Settings) -> str:
    """The URL of the broker the settings choose (``jobs.rabbitmq_url`` or ``redis.url``)."""
    return settings.jobs.rabbitmq_url if settings.jobs.broker == "rabbitmq" else settings.redis.url


def configure_from(settings: Settings, *, worker: bool = False) -> dramatiq.Broker:
    """Configure the broker ``jobs.broker`` names (Redis unless told otherwise), as the API and workers do."""
    j = settings.jobs
    return configure_broker(broker_url(settings), j.namespace, worker=worker, kind=j.broker,
                            heartbeat_timeout_s=j.redis_heartbeat_timeout_s,
                            maintenance_chance=j.redis_maintenance_chance)


def broker() -> dramatiq.Broker:
    """Return the configured broker."""
    if _broker is None:
        raise RuntimeError("the job broker is not configured")
    return _broker


def broker_kind() -> BrokerKind:
    """``"redis"`` or ``"rabbitmq"``: the kind of the configured broker."""
    return _kind


def broker_queue(queue: str) -> str:
    """The broker's name for a job queue: on RabbitMQ it carries the namespace, as Redis keys do.

    So one vhost may serve several sites (and each test session its own queues).
    """
    return f"{_namespace}.{queue}" if _kind == "rabbitmq" else queue


def _discarding_result(fn: Callable[..., Any], name: str = "") -> Callable[..., Any]:
    """The function as an actor runs it: what it returns (a count, for the log and tests) is not a job result.

    Dramatiq warns on every run of an actor that returns a value without a results backend; calling the job
    directly (``await job()``) still returns it. What the job does is recorded as coming from ``job:<name>`` (the
    audit log's origin).
    """
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> None:
            token = origin.set(f"job:{name}")
            try:
                await fn(*args, **kwargs)
            finally:
                origin.reset(token)

        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        token = origin.set(f"job:{name}")
        try:
            fn(*args, **kwargs)
        finally:
            origin.reset(token)

    return run


def bind(pairs: Iterable[tuple[str, Job]]) -> dict[str, Job]:
    """Bind the plugins' jobs to the broker as Dramatiq actors; names must be ``<plugin>.<name>`` and unique."""
    pairs = list(pairs)
    for plugin, j in pairs:
        if not isinstance(j, Job):
            raise ConfigError(f"plugin {plugin!r}: register_actors returned {j!r}, not a core.jobs.job")
        if not j.name.startswith(f"{plugin}."):
            raise ConfigError(f"plugin {plugin!r}: job {j.name!r} must be named '{plugin}.<name>'")
        if j.name in _bound and _bound[j.name] is not j:
            raise ConfigError(f"plugin {plugin!r}: job {j.name!r} declared twice")
    if not pairs:
        return dict(_bound)
    b = broker()
    for _plugin, j in pairs:
        if j.name in b.actors:
            j.actor = b.actors[j.name]
        else:
            j.actor = dramatiq.Actor(_discarding_result(j.fn, j.name), broker=b, actor_name=j.name,
                                     queue_name=broker_queue(j.queue),
                                     priority=0, options=j.options)
        _bound[j.name] = j
    return dict(_bound)


@dataclass(frozen=True)
class QueueDepth:
    """Messages waiting in one job queue: ready to run, delayed (retries, ``delay=``) and dead-lettered."""

    ready: int
    delayed: int
    dead: int


def queue_depths() -> dict[str, QueueDepth]:
    """Depth of every queue the bound jobs use, by the jobs' queue name, asked of the broker (blocking).

    Messages a worker holds (prefetched or running) are not counted. Dead letters are the jobs that failed past
    their retries: Dramatiq keeps them 7 days (Redis) or until RabbitMQ's dead-letter TTL.
    """
    b = broker()
    names = sorted({j.queue for j in _bound.values()})
    if isinstance(b, RedisBroker):
        pipe = b.client.pipeline(transaction=False)
        for name in names:
            full = f"{b.namespace}:{broker_queue(name)}"
            pipe.llen(full)
            pipe.llen(dramatiq.common.dq_name(full))
            pipe.zcard(dramatiq.common.xq_name(full))
        counts = pipe.execute()
        return {n: QueueDepth(*counts[3 * i:3 * i + 3]) for i, n in enumerate(names)}
    import pika

    out: dict[str, QueueDepth] = {}
    connection = pika.BlockingConnection(b.parameters)  # type: ignore[attr-defined]
    try:
        for name in names:
            q = broker_queue(name)
            figures = []
            for full in (q, dramatiq.common.dq_name(q), dramatiq.common.xq_name(q)):
                channel = connection.channel()
                try:  # passive: count without declaring (a queue nobody used yet is empty, not an error)
                    figures.append(channel.queue_declare(full, passive=True).method.message_count)
                    channel.close()
                except pika.exceptions.ChannelClosedByBroker:
                    figures.append(0)
            out[name] = QueueDepth(*figures)
    finally:
        connection.close()
    return out


def forget_queues(*, delete: bool = False) -> None:
    """Empty every queue the broker declared (with its delayed and dead-letter queues); ``delete`` removes them.

    For tests and throwaway namespaces: RabbitMQ keeps durable queues after their last consumer is gone. On Redis,
    ``delete`` is the same as emptying (the keys go).
    """
    b = broker()
    if isinstance(b, RedisBroker) or not delete:
        b.flush_all()
        return
    import pika

    connection = pika.BlockingConnection(b.parameters)  # type: ignore[attr-defined]
    try:
        channel = connection.channel()
        for q in b.get_declared_queues():
            for name in (q, dramatiq.common.dq_name(q), dramatiq.common.xq_name(q)):
                channel.queue_delete(name)
    finally:
        connection.close()


def ping(timeout_s: float = 2.0) -> None:
    """Raise unless the broker answers within ``timeout_s`` (health checks; blocking)."""
    b = broker()
    if isinstance(b, RedisBroker):
        b.client.ping()
        return
    import pika

    quiet_pika()
    params = [copy.copy(p) for p in b.parameters] if isinstance(b.parameters, list) else [copy.copy(b.parameters)]  # type: ignore[attr-defined]
    for p in params:
        p.socket_timeout = p.stack_timeout = timeout_s
    pika.BlockingConnection(params).close()


# ---------------------------------------------------------------------------------------------------------------------
# Tests: run queued jobs in the caller's event loop, against the real broker
# ---------------------------------------------------------------------------------------------------------------------


async def drain(queue: str = "default", *, limit: int = 10_000, include_delayed: bool = True) -> int:
    """Consume and run every message queued (and, optionally, every delayed message due on core's clock).

    For tests: messages really travel through the broker (Redis or RabbitMQ); jobs run in the test's loop so they
    share its Piccolo pool. Advancing ``core.clock`` makes delayed messages due. Exceptions of a job propagate (the
    message is rejected first: dead-lettered). Returns the number of jobs run.
    """
    b = broker()
    ran = 0
    not_due: list[dramatiq.MessageProxy] = []
    queue = broker_queue(queue)
    queues = [queue, dramatiq.common.dq_name(queue)] if include_delayed else [queue]
    for q in queues:
        consumer = b.consume(q, prefetch=limit, timeout=100)
        try:
            while ran < limit:
                message = await asyncio.to_thread(next, consumer)
                if message is None:
                    break
                eta = message.options.get("eta")
                if eta is not None and eta > clock.timestamp() * 1000:
                    not_due.append(message)  # put back after this pass, or we would read it again
                    continue
                target = _bound.get(message.actor_name)
                if target is None:
                    consumer.nack(message)
                    raise LookupError(f"no job named {message.actor_name}")
                came_from = origin.set(f"job:{message.actor_name}")  # as the worker's actor sets it
                try:
                    result = target.fn(*message.args, **message.kwargs)
                    if inspect.isawaitable(result):
                        await result
                except BaseException:
                    consumer.nack(message)
                    raise
                finally:
                    origin.reset(came_from)
                consumer.ack(message)
                ran += 1
        finally:
            for waiting in not_due:
                remaining = int(waiting.options["eta"] - clock.timestamp() * 1000)
                b.enqueue(waiting.copy(queue_name=queue), delay=max(1, remaining))
                consumer.ack(waiting)
            not_due.clear()
            consumer.close()
    return ran
