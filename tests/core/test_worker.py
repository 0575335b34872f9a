"""``manage.py worker`` as an operator runs it: a separate process with its own pool, taking jobs from the broker.

The first test runs on each broker (Redis, RabbitMQ: ``job_broker``); crashes are in test_jobs_durability.py.

Nothing here sleeps and hopes: every wait polls a condition (log lines, rows, live processes) until a deadline that is
generous for a loaded machine, and fails naming what it waited for, with the worker's output.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

from core import clock as core_clock
from core import db
from core.settings import ROOT

BOOT_S = 120.0  # spawning Python processes that import the whole app, on two busy cores
JOB_S = 60.0
PARENT_CHECK_S = 1.0  # how often core.worker's processes look for their parent
UP = re.compile(r"worker up: (\d+) job\(s\).*pid (\d+)")


class Worker:
    """A ``manage.py worker`` subprocess whose output goes to a file (read while it runs; no pipe to fill)."""

    def __init__(self, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.proc = proc
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def up(self) -> list[tuple[int, int]]:
        """``(jobs, pid)`` of every worker process that has logged it is up."""
        return [(int(m[1]), int(m[2])) for m in UP.finditer(self.output())]

    async def until(self, check: Callable[[], Awaitable[Any] | Any], what: str, timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; worker output:\n"
                                     f"{self.output()}")
            await asyncio.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@asynccontextmanager
async def start_worker(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> AsyncIterator[Worker]:
    """Run ``manage.py worker ARGS`` with only the hello plugin enabled; SIGTERM it at the end and expect exit 0.

    The stop must be orderly whatever the test did: no traceback, and no job finding the pool already closed.
    """
    plugins = tmp_path / "plugins.toml"
    plugins.write_text('enabled = ["hello"]\n')
    log = tmp_path / "worker.log"
    full_env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins), "SBOR_LOG_LEVEL": "INFO", **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", *args], cwd=ROOT, env=full_env,
                                stdout=out, stderr=subprocess.STDOUT)
    worker = Worker(proc, log)
    try:
        yield worker
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(proc.wait, 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"the worker did not stop within 60 s of SIGTERM:\n{worker.output()}") from None
    assert code == 0, worker.output()
    output = worker.output()
    assert "Traceback" not in output and "needs the connection pool" not in output, output


async def test_worker_process_runs_enabled_plugins_jobs(job_broker, tmp_path) -> None:
    from sbor_hello.jobs import forget_old_greetings
    from sbor_hello.tables import Greeting

    await Greeting.insert(Greeting(name="old", message="hi", created_at=core_clock.now() - timedelta(days=40)),
                          Greeting(name="new", message="hi", created_at=core_clock.now()))
    async with start_worker(tmp_path, "--threads", "2", "--no-scheduler", env=job_broker.env) as worker:
        await forget_old_greetings.enqueue()

        async def only_new_left() -> bool:
            return [r["name"] for r in await Greeting.select(Greeting.name)] == ["new"]

        await worker.until(only_new_left, "the job to delete the old greeting", BOOT_S + JOB_S)
        (jobs, _pid), = await worker.until(worker.up, "the worker to be up", BOOT_S)
    assert jobs >= 2  # hello's job and core's auth.cleanup at least
    assert f"broker {job_broker.kind}" in worker.output()


async def test_several_worker_processes_stay_up_under_their_parent(sbor_database, tmp_path) -> None:
    from sbor_hello.jobs import forget_old_greetings
    from sbor_hello.tables import Greeting

    # Given a master started by this process (as `manage.py run` starts it), with two worker processes
    env = {"SBOR_WORKER_PARENT_PID": str(os.getpid())}
    async with start_worker(tmp_path, "--processes", "2", "--threads", "1", "--no-scheduler", env=env) as worker:
        up = await worker.until(lambda: len(worker.up()) == 2 and worker.up(), "both worker processes up", BOOT_S)
        children = [pid for _jobs, pid in up]
        booted = asyncio.get_running_loop().time()

        # When a job is queued, one of them runs it
        await Greeting.insert(Greeting(name="old", message="hi", created_at=core_clock.now() - timedelta(days=90)))
        await forget_old_greetings.enqueue()

        async def none_left() -> bool:
            return await Greeting.count() == 0

        await worker.until(none_left, "a worker process to run the job", JOB_S)

        # Then, past two of their parent checks, neither took the master for a vanished parent
        await worker.until(lambda: asyncio.get_running_loop().time() - booted > 2.5 * PARENT_CHECK_S,
                           "two parent checks", 10)
        assert worker.proc.poll() is None, worker.output()
        assert all(alive(pid) for pid in children), worker.output()
        assert "is gone" not in worker.output()
    assert len(worker.up()) == 2, worker.output()


async def test_sigterm_lets_the_running_job_finish_on_the_pool_then_stops(sbor_database, tmp_path) -> None:
    """Ordered shutdown: stop taking jobs, let the running one finish (its queries on the pool), then close the pool."""
    from sbor_hello.jobs import forget_old_greetings
    from sbor_hello.tables import Greeting

    await Greeting.insert(Greeting(name="old", message="hi", created_at=core_clock.now() - timedelta(days=90)))
    blocker = await asyncpg.connect(os.environ["SBOR_DATABASE_URL"])
    try:
        async with start_worker(tmp_path, "--threads", "1", "--no-scheduler") as worker:
            # Given the job running, held inside its DELETE by a row lock this test keeps
            await blocker.execute("BEGIN")
            await blocker.execute("SELECT 1 FROM hello.greeting FOR UPDATE")
            await forget_old_greetings.enqueue()

            async def job_waits_on_the_lock() -> bool:  # on another connection: a transaction's view is frozen
                rows = await db.fetch("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock' AND query ILIKE 'DELETE FROM%greeting%'")
                return bool(rows[0]["n"])

            await worker.until(job_waits_on_the_lock, "the job to wait on the row lock", BOOT_S + JOB_S)

            # When the worker is told to stop while the job runs, and the job may go on only afterwards
            worker.proc.send_signal(signal.SIGTERM)
            await worker.until(lambda: "Shutting down" in worker.output(), "the worker to begin its shutdown", JOB_S)
            assert worker.proc.poll() is None, worker.output()  # waiting for its job, not gone
            await blocker.execute("ROLLBACK")

            # Then the job finishes on the still-open pool, and the process exits 0 (start_worker checks the output)
            await worker.until(lambda: worker.proc.poll() is not None, "the worker to exit", JOB_S)
    finally:
        await blocker.close()
    assert await Greeting.count() == 0, worker.output()
    assert "forgot 1 greeting(s)" in worker.output()
