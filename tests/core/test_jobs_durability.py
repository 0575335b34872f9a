"""Jobs survive crashes on both brokers: the broker killed mid-burst, a worker killed mid-job; each effect once.

Each test owns its broker (a private ``redis-server`` with an fsynced append-only file, or a private RabbitMQ node)
and real ``manage.py worker`` processes running the probe plugin's job (``tests/core/jobprobe``), whose effect is
counted in PostgreSQL. A job is "accepted" once ``send`` returns: Redis has it in its fsynced log, RabbitMQ has
confirmed it. Delivery is at least once; the job's marker row makes the effect exactly once. Every wait polls a
condition until a deadline and fails naming it, with the processes' output.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from core import db
from core.settings import ROOT
from tests.core.brokers_support import BrokerServer, broker_env, free_port, use_broker
from tests.core.jobprobe.jobs import SCHEMA, apply

BOOT_S = 120.0  # spawning a Python process that imports the app, on two busy cores
DONE_S = 120.0

pytestmark = pytest.mark.slow


class ProbeWorkers:
    """``python -m core.cli worker`` processes with only the probe plugin, installed as a distribution."""

    def __init__(self, tmp: Path, server: BrokerServer, namespace: str, threads: int = 2) -> None:
        self.tmp = tmp
        site = tmp / "site"
        dist = site / "sbor_jobprobe-0.1.0.dist-info"
        dist.mkdir(parents=True, exist_ok=True)
        (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sbor-jobprobe\nVersion: 0.1.0\n")
        (dist / "entry_points.txt").write_text("[sbor.plugins]\njobprobe = tests.core.jobprobe\n")
        plugins = tmp / "plugins.toml"
        plugins.write_text('enabled = ["jobprobe"]\n')
        self.env = {**os.environ, **broker_env(server.kind, server.url, namespace),
                    "PYTHONPATH": str(site), "SBOR_PLUGINS_FILE": str(plugins), "SBOR_TEST_PLUGINS": "jobprobe",
                    "SBOR_JOBS_THREADS": str(threads), "SBOR_LOG_LEVEL": "INFO",
                    # Redis hands a dead worker's jobs back after its heartbeat timeout, on a maintenance pass:
                    # seconds here instead of a minute (RabbitMQ does it when the connection drops).
                    "SBOR_JOBS_REDIS_HEARTBEAT_TIMEOUT_S": "3", "SBOR_JOBS_REDIS_MAINTENANCE_CHANCE": "1000000"}
        self.env.pop("SBOR_WORKER_PARENT_PID", None)
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with (self.tmp / f"worker{len(self.procs)}.log").open("wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--processes", "1", "--no-scheduler"],
                                    cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)  # no chance to requeue, ack or close anything
        proc.wait()

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.tmp.glob("worker*.log")))


async def until(check: Callable[[], Awaitable[Any]], what: str, timeout: float, *context: Any) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := await check()):
        if loop.time() > deadline:
            details = "\n".join(c.logs() for c in context)
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{details}")
        await asyncio.sleep(0.1)
    return result


async def figures() -> dict[str, int]:
    row = (await db.fetch(
        "SELECT (SELECT applied FROM jobprobe.total WHERE id = 1) AS applied, "
        "(SELECT amount FROM jobprobe.total WHERE id = 1) AS amount, (SELECT count(*) FROM jobprobe.done) AS done, "
        "(SELECT count(*) FROM jobprobe.run) AS runs, "
        "(SELECT count(*) FROM jobprobe.run r WHERE NOT EXISTS "
        " (SELECT 1 FROM jobprobe.done d WHERE d.key = r.key)) AS running"))[0]
    return {k: int(v) for k, v in row.items()}


@pytest.fixture
async def probe_tables(sbor_database: Any) -> Any:
    for statement in filter(str.strip, SCHEMA.split(";")):
        await db.fetch(statement)
    yield
    await db.fetch("DROP SCHEMA jobprobe CASCADE")  # not a plugin of the suite: leave no stray schema behind


def enqueue(server: BrokerServer, namespace: str, n: int, hold_ms: int) -> None:
    """Send ``n`` probe jobs (amounts 1..n) through ``server``; each is accepted when ``send`` returns."""
    with use_broker(server.kind, server.url, namespace, extra=[("jobprobe", apply)], forget=False):
        for i in range(1, n + 1):
            apply.send(f"k{i}", i, hold_ms)


def expect_exactly_once(got: dict[str, int], n: int, workers: ProbeWorkers, server: BrokerServer) -> None:
    why = f"{got}\n{workers.logs()}\n{server.logs()}"
    assert got["done"] == n, why  # none lost
    assert got["applied"] == n and got["amount"] == n * (n + 1) // 2, why  # none applied twice


async def test_broker_killed_mid_burst_loses_no_job_and_applies_each_once(probe_tables: Any, own_broker: BrokerServer,
                                                                          tmp_path: Path) -> None:
    # Given a burst of jobs accepted by the broker, and a worker busy on them
    n = 200
    namespace = f"durable{free_port()}"
    await asyncio.to_thread(enqueue, own_broker, namespace, n, 40)
    workers = ProbeWorkers(tmp_path, own_broker, namespace)
    workers.start()
    try:
        await until(lambda: _applied_at_least(n // 5), "the burst to be under way", BOOT_S, workers)

        # When the broker is killed (SIGKILL) in the middle and comes back with its data
        own_broker.kill()
        assert (await figures())["applied"] < n, "the burst ended before the broker went down: nothing was tested"
        await asyncio.to_thread(own_broker.start)

        # Then every job's effect happens, once
        got = await until(lambda: _applied_at_least(n), "every job applied", DONE_S, workers, own_broker)
    finally:
        workers.stop()
    expect_exactly_once(await figures(), n, workers, own_broker)
    assert got["runs"] >= n


async def test_worker_killed_mid_job_is_redelivered_and_applied_once(probe_tables: Any, own_broker: BrokerServer,
                                                                     tmp_path: Path) -> None:
    # Given jobs that take a while and a worker in the middle of some
    n = 30
    namespace = f"durable{free_port()}"
    await asyncio.to_thread(enqueue, own_broker, namespace, n, 300)
    workers = ProbeWorkers(tmp_path, own_broker, namespace)
    first = workers.start()
    try:
        await until(_one_mid_job, "a job to be in the middle of its work", BOOT_S, workers)

        # When that worker is SIGKILLed, and another one is running
        workers.kill(first)
        interrupted = (await figures())["running"]
        workers.start()

        # Then the interrupted jobs are delivered again and every effect happens once
        got = await until(lambda: _applied_at_least(n), "every job applied", BOOT_S + DONE_S, workers, own_broker)
    finally:
        workers.stop()
    expect_exactly_once(await figures(), n, workers, own_broker)
    assert interrupted >= 1
    assert got["runs"] >= n + interrupted, got  # the interrupted ones ran again (redelivery), their effect once


async def _applied_at_least(n: int) -> dict[str, int] | None:
    got = await figures()
    return got if got["applied"] >= n else None


async def _one_mid_job() -> bool:
    return (await figures())["running"] >= 1


def test_a_fetch_whose_reply_is_lost_strands_no_job(sbor_database: Any) -> None:
    """Redis gone between running a fetch and answering it: the fetched jobs come back to the live worker."""
    import uuid

    import dramatiq
    import redis

    from core import jobs
    from core.settings import get_settings

    url = get_settings().redis.url
    namespace = f"{get_settings().jobs.namespace}-{uuid.uuid4().hex[:8]}"  # under the session's: cleaned afterwards
    broker: Any = jobs.new_broker("redis", url, namespace, heartbeat_timeout_s=0.2, maintenance_chance=1_000_000)
    fetcher = broker.fetcher
    try:
        broker.declare_queue("default")
        broker.enqueue(dramatiq.Message(queue_name="default", actor_name="probe", args=(), kwargs={}, options={}))
        # Given a fetch that ran in Redis (the job is in this worker's acks) but whose reply never came back
        lost = broker.scripts["dispatch"](args=["fetch", int(time.time() * 1000), "default", broker.broker_id,
                                                broker.heartbeat_timeout, broker.dead_message_ttl, 0, 100, 1],
                                          keys=[broker.namespace], client=fetcher)
        assert len(lost) == 1
        broker.fetcher = redis.Redis(port=free_port(), socket_connect_timeout=0.5)  # the connection is gone
        with pytest.raises(redis.ConnectionError):
            broker.do_fetch("default", 1)
        broker.fetcher = fetcher
        # When the consumer fetches again, once the heartbeat timeout has passed
        deadline = time.monotonic() + 10
        while not (got := broker.do_fetch("default", 1)):
            assert time.monotonic() < deadline, "the job fetched before the connection broke never came back"
            time.sleep(0.05)
        # Then the job is delivered again (at least once)
        assert got == lost
    finally:
        jobs.close(broker)
