"""Jobs: declared without a broker, bound by core, run through real Redis; periodic ticks run once across workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis as sync_redis

from core import jobs
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


async def test_jobs_travel_through_redis_and_run_in_the_test_loop(sbor_database, run_jobs) -> None:
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


async def test_two_schedulers_enqueue_each_tick_once(sbor_database, clock, run_jobs) -> None:
    seen.clear()
    jobs.bind([("testjobs", tick)])
    settings = get_settings()
    periodic = [jobs.Periodic(tick, every=timedelta(seconds=10))]
    client = sync_redis.Redis.from_url(settings.redis.url)
    a = jobs.Scheduler(periodic, client, settings.jobs.namespace)
    b = jobs.Scheduler(periodic, client, settings.jobs.namespace)
    clock.freeze(datetime(2026, 11, 25, 12, 0, 1, tzinfo=UTC))
    sent = a.run_once() + b.run_once() + a.run_once()
    assert sent == ["testjobs.tick"]
    clock.advance(10)
    sent = b.run_once() + a.run_once()
    assert sent == ["testjobs.tick"]
    assert await run_jobs() == 2
    assert seen == [("tick", 0), ("tick", 0)]
    client.close()
