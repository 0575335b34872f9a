"""Jobs: declared without a broker, bound by core, run through real Redis and RabbitMQ; periodic ticks run once.

Tests taking ``job_broker`` run once on each broker (tests/core/brokers_support.py).
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest
import redis as sync_redis

from core import jobs, scheduler
from core.errors import ConfigError
from core.settings import get_settings

seen: list[tuple[str, int]] = []


@jobs.job("testjobs.record", max_retries=0)
async def record(label: str, n: int) -> None:
    seen.append((label, n))


@jobs.job("testjobs.tick")
def tick() -> None:
    seen.append(("tick", 0))


def test_job_names_must_be_namespaced_by_plugin() -> None:
    with pytest.raises(ValueError, match="must be '<plugin>.<name>'"):
        jobs.job("nonamespace")
    with pytest.raises(ConfigError, match="plugin 'other': job 'testjobs.record' must be named 'other.<name>'"):
        jobs.bind([("other", record)])


async def test_jobs_travel_through_the_broker_and_run_in_the_test_loop(job_broker, run_jobs) -> None:
    seen.clear()
    jobs.bind([("testjobs", record)])
    await record.enqueue("a", 1)
    record.send("b", 2)
    assert seen == []  # nothing runs until a worker takes it
    assert await run_jobs() == 2
    assert seen == [("a", 1), ("b", 2)]
    assert await run_jobs() == 0


def test_periodic_needs_exactly_one_schedule() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        jobs.Periodic(tick)
    with pytest.raises(ValueError, match="invalid cron"):
        jobs.Periodic(tick, cron="every day")


def test_ticks_for_every_and_cron() -> None:
    every = jobs.Periodic(tick, every=timedelta(seconds=30))
    assert every.tick(60.0) == every.tick(89.9) == 2
    assert every.tick(90.0) == 3
    cron = jobs.Periodic(tick, cron="0 3 * * *")
    day1 = datetime(2026, 11, 25, 3, 0, 5, tzinfo=UTC).timestamp()
    assert cron.tick(day1) == datetime(2026, 11, 25, 3, 0, tzinfo=UTC).timestamp()
    assert cron.tick(day1 + 3600 * 20) == cron.tick(day1)


async def test_two_schedulers_enqueue_each_tick_once(job_broker, clock, run_jobs) -> None:
    seen.clear()
    jobs.bind([("testjobs", tick)])
    settings = get_settings()
    periodic = [jobs.Periodic(tick, every=timedelta(seconds=10))]
    client = sync_redis.Redis.from_url(settings.redis.url)
    a = scheduler.Scheduler(periodic, client, settings.jobs.namespace)
    b = scheduler.Scheduler(periodic, client, settings.jobs.namespace)
    clock.freeze(datetime(2026, 11, 25, 12, 0, 1, tzinfo=UTC))
    assert a.run_once() + b.run_once() == []  # started mid-tick: wait for the next one
    clock.advance(10)
    sent = a.run_once() + b.run_once() + a.run_once()
    assert sent == ["testjobs.tick"]
    clock.advance(10)
    sent = b.run_once() + a.run_once()
    assert sent == ["testjobs.tick"]
    assert await run_jobs() == 2
    assert seen == [("tick", 0), ("tick", 0)]
    client.close()


def test_a_daily_job_does_not_fire_when_a_worker_starts_in_the_afternoon(job_broker, clock) -> None:
    jobs.bind([("testjobs", tick)])
    settings = get_settings()
    client = sync_redis.Redis.from_url(settings.redis.url)
    daily = [jobs.Periodic(tick, cron="0 3 * * *")]
    clock.freeze(datetime(2026, 11, 25, 15, 0, 0, tzinfo=UTC))
    late = scheduler.Scheduler(daily, client, settings.jobs.namespace)
    assert late.run_once() == []
    clock.advance(timedelta(hours=6))
    assert late.run_once() == []
    clock.advance(timedelta(hours=6, seconds=1))  # 03:00:01 next day
    assert late.run_once() == ["testjobs.tick"]
    # a second machine joining an hour later does not run that tick again
    clock.advance(timedelta(hours=1))
    other = scheduler.Scheduler(daily, client, settings.jobs.namespace)
    assert other.run_once() == [] and late.run_once() == []
    client.close()


async def test_drain_runs_delayed_jobs_only_when_due_on_the_clock(job_broker, clock, run_jobs) -> None:
    seen.clear()
    jobs.bind([("testjobs", record)])
    clock.freeze()
    record.send_with_options(args=("later", 1), delay=3_600_000)
    assert await run_jobs() == 0
    assert seen == []
    clock.advance(timedelta(hours=1, seconds=1))
    assert await run_jobs() == 1
    assert seen == [("later", 1)]


async def test_queued_jobs_do_not_leak_into_the_next_test_part_1(sbor_database) -> None:
    jobs.bind([("testjobs", record)])
    record.send("leak", 1)


async def test_queued_jobs_do_not_leak_into_the_next_test_part_2(sbor_database, run_jobs) -> None:
    seen.clear()
    assert await run_jobs() == 0


@jobs.job("testjobs.count")
async def count_things() -> int:
    seen.append(("count", 7))
    return 7


async def test_a_job_that_returns_a_value_runs_without_dramatiqs_no_results_warning(job_broker, run_jobs,
                                                                                    caplog) -> None:
    seen.clear()
    jobs.bind([("testjobs", count_things)])
    assert await count_things() == 7  # called directly, the value is there (tests, the CLI)
    seen.clear()
    await count_things.enqueue()
    with caplog.at_level("WARNING"):
        assert await run_jobs() == 1
    assert seen == [("count", 7)]
    assert not [r for r in caplog.records if "returned a value" in r.getMessage()]
    actor_fn = jobs._discarding_result(count_things.fn)  # what core hands Dramatiq as the actor's function
    assert inspect.iscoroutinefunction(actor_fn) and await actor_fn() is None  # no result for a backend to miss
