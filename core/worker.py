"""``manage.py worker``: Dramatiq worker processes for the enabled plugins' jobs, plus the periodic scheduler.

The broker is the one ``jobs.broker`` names (Redis or RabbitMQ); the scheduler's once-per-tick claims live in Redis
either way (Redis also holds the cache and rate limits, so it is always there).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from typing import Any

import dramatiq
import redis

from core import jobs, logs
from core.hooks import hookspecs
from core.hooks.manager import current
from core.scheduler import Scheduler
from core.settings import get_settings

log = logging.getLogger("core.worker")


def _serve(threads: int, scheduler: bool, stop: Any = None) -> None:
    """Run one worker process until SIGTERM/SIGINT."""
    settings = get_settings()
    logs.setup(settings.log_level, settings.log_json)  # spawned children start with no logging set up
    broker = jobs.configure_from(settings, worker=True)
    registry = current()
    bound = jobs.bind(registry.hooks.collect(hookspecs.register_actors))
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=1000)
    worker.queue_prefetch = settings.jobs.prefetch
    worker.start()
    sched = None
    if scheduler:
        periodics = [p for _plugin, p in registry.hooks.collect(hookspecs.register_periodic_jobs)]
        if periodics:
            client = redis.Redis.from_url(settings.redis.url)
            sched = Scheduler(periodics, client, settings.jobs.namespace, settings.jobs.scheduler_tick_s)
            sched.start()
    log.info("worker up: %d job(s), queues %s, %d thread(s), pid %d, broker %s", len(bound),
             sorted(broker.get_declared_queues()), threads, os.getpid(), settings.jobs.broker)
    done = stop or threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # Started by `manage.py run`: stop with the parent even if it was killed without a chance to tell us.
    parent = int(os.environ.get("SBOR_WORKER_PARENT_PID", "0"))
    while not done.wait(1.0):
        if parent and os.getppid() != parent:
            log.warning("parent process %s is gone; stopping", parent)
            break
    if sched is not None:
        sched.stop()
    worker.stop(timeout=10_000)
    broker.close()


def run_workers(processes: int, threads: int, scheduler: bool) -> None:
    """Run ``processes`` worker processes (each with the scheduler; ticks are claimed once across all of them)."""
    if processes <= 1:
        _serve(threads, scheduler)
        return
    ctx = multiprocessing.get_context("spawn")
    # The children watch this process; this process watches whoever started it (``manage.py run``).
    parent = int(os.environ.get("SBOR_WORKER_PARENT_PID", "0"))
    os.environ["SBOR_WORKER_PARENT_PID"] = str(os.getpid())
    children = [ctx.Process(target=_serve, args=(threads, scheduler), daemon=False) for _ in range(processes)]
    for child in children:
        child.start()

    def forward(signum: int, frame: Any) -> None:
        for child in children:
            if child.is_alive() and child.pid:
                os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while any(child.is_alive() for child in children):
        for child in children:
            child.join(timeout=1.0)
        if parent and os.getppid() != parent:
            log.warning("parent process %s is gone; stopping the workers", parent)
            forward(signal.SIGTERM, None)
