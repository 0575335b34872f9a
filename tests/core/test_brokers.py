"""The jobs broker: chosen by ``jobs.broker`` (Redis or RabbitMQ), queue depths and dead letters, health, namespaces.

Tests taking ``job_broker`` run once on Redis and once on the machine's RabbitMQ (skipped with the reason when it is
unreachable); the RabbitMQ ones are real AMQP round trips, each test on queues of its own.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from core import jobs
from core.errors import ConfigError
from core.settings import load
from tests.core.brokers_support import free_port, rabbitmq_unreachable

ran: list[str] = []


@jobs.job("testbrokers.ok", max_retries=0)
async def ok(label: str) -> None:
    ran.append(label)


@jobs.job("testbrokers.fails", max_retries=0)
def fails() -> None:
    raise RuntimeError("boom")


@jobs.job("testbrokers.elsewhere", queue="reports")
def elsewhere() -> None:
    ran.append("elsewhere")


def test_settings_choose_the_broker(tmp_path) -> None:
    env = {"SBOR_VAR_DIR": str(tmp_path)}
    default = load(env)
    assert default.jobs.broker == "redis"
    rabbit = load({**env, "SBOR_JOBS_BROKER": "rabbitmq", "SBOR_JOBS_RABBITMQ_URL": "amqp://u:p@mq:5672/sbor",
                   "SBOR_REDIS_URL": "redis://cache:6379/0"})
    assert jobs.broker_url(rabbit) == "amqp://u:p@mq:5672/sbor"
    assert jobs.broker_url(load({**env, "SBOR_REDIS_URL": "redis://cache:6379/0"})) == "redis://cache:6379/0"
    with pytest.raises(ConfigError, match=r"jobs\.broker"):
        load({**env, "SBOR_JOBS_BROKER": "kafka"})


def test_a_broker_without_its_url_stops_with_the_setting_to_fill() -> None:
    with pytest.raises(ConfigError, match=r"jobs\.rabbitmq_url is empty but jobs\.broker is 'rabbitmq'"):
        jobs.new_broker("rabbitmq", "")
    with pytest.raises(ConfigError, match=r"redis\.url is empty"):
        jobs.new_broker("redis", "")


async def test_the_broker_the_test_runs_on_is_the_one_chosen(job_broker) -> None:
    b = jobs.broker()
    assert jobs.broker_kind() == job_broker.kind
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from dramatiq.brokers.redis import RedisBroker

    assert isinstance(b, {"redis": RedisBroker, "rabbitmq": RabbitmqBroker}[job_broker.kind])
    jobs.bind([("testbrokers", ok)])
    # RabbitMQ queues carry the namespace (one vhost, many sites or test sessions); Redis keys already do
    assert ok.actor is not None
    expected = f"{job_broker.namespace}.default" if job_broker.kind == "rabbitmq" else "default"
    assert ok.actor.queue_name == expected
    await asyncio.to_thread(jobs.ping)


async def test_queue_depths_count_ready_delayed_and_dead_letters(job_broker, run_jobs, clock) -> None:
    # Given jobs on two queues, one delayed, and one that fails
    ran.clear()
    jobs.bind([("testbrokers", ok), ("testbrokers", fails), ("testbrokers", elsewhere)])
    assert await asyncio.to_thread(jobs.queue_depths) == {"default": jobs.QueueDepth(0, 0, 0),
                                                          "reports": jobs.QueueDepth(0, 0, 0)}
    await ok.enqueue("now")
    await asyncio.to_thread(ok.send_with_options, args=("later",), delay=3_600_000)
    await elsewhere.enqueue()
    await fails.enqueue()
    depths = await _depths_when(lambda d: d["default"].ready == 2)
    assert depths == {"default": jobs.QueueDepth(2, 1, 0), "reports": jobs.QueueDepth(1, 0, 0)}

    # When the due ones run (the failing one raises to the caller, and is dead-lettered)
    with pytest.raises(RuntimeError, match="boom"):
        await run_jobs(include_delayed=False)
    await run_jobs(include_delayed=False)
    assert await run_jobs("reports") == 1

    # Then only the delayed job waits, and the failed one is among the dead letters
    assert sorted(ran) == ["elsewhere", "now"]
    depths = await _depths_when(lambda d: d["default"].dead == 1)
    assert depths == {"default": jobs.QueueDepth(0, 1, 1), "reports": jobs.QueueDepth(0, 0, 0)}
    clock.advance(3601)
    assert await run_jobs() == 1 and "later" in ran


async def _depths_when(condition, timeout: float = 10.0) -> dict[str, jobs.QueueDepth]:
    """Queue depths once ``condition`` holds (RabbitMQ dead-letters and counts asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        depths = await asyncio.to_thread(jobs.queue_depths)
        if condition(depths) or time.monotonic() > deadline:
            return depths
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("kind", ["redis", "rabbitmq"])
def test_ping_fails_fast_when_the_broker_is_down(sbor_database, kind) -> None:
    from tests.core.brokers_support import use_broker

    url = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F" if kind == "rabbitmq" else \
        f"redis://127.0.0.1:{free_port()}/0"
    with use_broker(kind, url, "nobody", forget=False):
        started = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017  (redis.ConnectionError or pika's AMQPConnectionError)
            jobs.ping(timeout_s=1.0)
        assert time.monotonic() - started < 5


def test_rabbitmq_reachability_is_reported_with_the_address() -> None:
    reason = rabbitmq_unreachable(f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F")
    assert reason is not None and "is not reachable" in reason and "127.0.0.1" in reason


async def test_health_asks_rabbitmq_when_jobs_run_on_it(job_broker, make_client) -> None:
    client = await make_client([])
    r = await client.get("/health")
    assert r.status_code == 200
    expected = {"status": "ok", "database": "ok", "redis": "ok"}
    assert r.json() == (expected | {"jobs": "ok"} if job_broker.kind == "rabbitmq" else expected)


async def test_health_is_503_while_rabbitmq_is_down(sbor_database, make_client) -> None:
    from tests.core.brokers_support import use_broker

    with use_broker("rabbitmq", f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F", "nobody", forget=False):
        client = await make_client([])
        r = await client.get("/health")
    assert r.status_code == 503
    assert r.json()["status"] == "degraded" and r.json()["jobs"].startswith("down:")
    assert r.json()["redis"] == r.json()["database"] == "ok"
