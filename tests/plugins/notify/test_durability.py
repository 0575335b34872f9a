"""Durability with real processes: a worker subprocess, our own Redis server restarted mid-burst, a worker killed.

Each test starts its own ``redis-server`` on a free port (never the machine's shared one) and a real
``python -m core.cli worker`` against the test database, and checks that every notification reaches the real SMTP
server exactly once (counted by Message-ID).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import db
from core.settings import ROOT
from plugins.events import hookspecs as events_specs
from tests.plugins.notify.conftest import fire, free_port, join, make_event

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")


class RedisProcess:
    """A private Redis without persistence: a restart loses every queued message."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        import redis

        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


class Workers:
    """``python -m core.cli worker`` subprocesses against the test database, our Redis and a temp plugins.toml."""

    def __init__(self, tmp: Path, redis_url: str, smtp_port: int, chunk: int = 5, concurrency: int = 8,
                 threads: int = 2) -> None:
        self.tmp = tmp
        plugins = tmp / "plugins.toml"
        plugins.write_text(
            'enabled = ["events", "notify"]\n[settings.notify]\nchannels = ["email"]\nsmtp_host = "127.0.0.1"\n'
            f'smtp_port = {smtp_port}\ndispatch_every_s = 1.0\nlease_s = 4\ndeliver_chunk = {chunk}\n'
            f'concurrency = {concurrency}\n'
            'smtp_from = "Sbor <no-reply@sbor.test>"\n')
        self.env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins), "SBOR_REDIS_URL": redis_url,
                    "SBOR_JOBS_NAMESPACE": f"durability{free_port()}", "SBOR_JOBS_THREADS": str(threads),
                    "SBOR_LOG_LEVEL": "INFO"}
        self.env.pop("SBOR_TEST_PLUGINS", None)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.files: list[object] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"worker{len(self.procs)}.log", "wb")  # closed in stop()
        self.files.append(log)
        proc = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--processes", "1"], cwd=ROOT,
                                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in self.files:
            f.close()  # type: ignore[attr-defined]

    def logs(self) -> str:
        return "\n".join(f.read_text(errors="replace")[-3000:] for f in sorted(self.tmp.glob("worker*.log")))


async def wait_for(predicate, timeout: float, what: str, workers: Workers | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{workers.logs() if workers else ''}")


async def count(status: str) -> int:
    return int((await db.fetch("SELECT count(*) AS n FROM notify.notification WHERE status = $1", status))[0]["n"])


async def make_burst(make_user, n_users: int, n_changes: int) -> None:
    users = [await make_user() for _ in range(n_users)]
    event = make_event(90)
    for u in users:
        await join(event=event, user_id=u.id, guests=0, status="confirmed")
    from dataclasses import replace

    for i in range(n_changes):
        await fire(events_specs.event_changed, event=replace(event, title=f"Edition {i}"),
                   changes={"title": ("x", "y")}, actor_id=1)


@pytest.mark.slow
async def test_redis_restart_mid_burst_loses_nothing_and_duplicates_nothing(use_settings, smtp, own_redis, make_user,
                                                                             tmp_path: Path) -> None:
    recorder, port = smtp
    slow = threading.Event()

    def reply(msg):
        if not slow.is_set():
            time.sleep(0.02)  # keep the burst going long enough to restart Redis in the middle
        return None

    recorder.reply = reply
    use_settings()
    await make_burst(make_user, 20, 10)  # 200 notifications due now
    workers = Workers(tmp_path, own_redis.url, port)
    workers.start()
    try:
        await wait_for(lambda: _at_least(recorder, 20), 60, "the first messages", workers)
        own_redis.kill()  # every queued message is gone with it
        await asyncio.sleep(1.5)
        own_redis.start()
        slow.set()
        await wait_for(lambda: _all_sent(200), 90, "every notification sent", workers)
    finally:
        workers.stop()
    ids = recorder.ids()
    assert len(ids) == 200, workers.logs()
    assert len(set(ids)) == 200


async def _at_least(recorder, n: int) -> bool:
    return len(recorder.ids()) >= n


async def _all_sent(n: int) -> bool:
    return await count("sent") == n


@pytest.mark.slow
async def test_worker_killed_mid_send_is_redelivered_once(use_settings, smtp, own_redis, make_user,
                                                          tmp_path: Path) -> None:
    recorder, port = smtp
    stalled = threading.Event()
    release = threading.Event()
    victim: list[str] = []

    async def reply(msg):
        if not victim:
            victim.append(str(msg["Message-ID"]))
            stalled.set()
            while not release.is_set():  # the worker dies while waiting for our answer
                await asyncio.sleep(0.05)
            return "451 4.4.2 Connection dropped"
        return None

    recorder.reply = reply
    use_settings()
    await make_burst(make_user, 5, 4)  # 20 notifications
    # one send in flight at a time: the only message the kill interrupts is the victim (a message the provider
    # accepted just before a crash would be sent again with the same Message-ID: the documented window)
    workers = Workers(tmp_path, own_redis.url, port, chunk=1, concurrency=1, threads=1)
    first = workers.start()
    try:
        await wait_for(lambda: _flag(stalled), 60, "the first send to start", workers)
        first.kill()  # SIGKILL mid-send: no chance to record anything
        first.wait()
        release.set()
        workers.start()
        await wait_for(lambda: _all_sent(20), 60, "every notification sent", workers)
    finally:
        release.set()
        workers.stop()
    ids = recorder.ids()
    assert len(ids) == 20 and len(set(ids)) == 20
    assert victim[0] in ids  # the interrupted one was sent again, once
    nid = int(victim[0].strip("<>").split(".")[0].removeprefix("n"))
    row = (await db.fetch("SELECT status, attempts FROM notify.notification WHERE id = $1", nid))[0]
    assert row["status"] == "sent" and row["attempts"] >= 2


async def _flag(event: threading.Event) -> bool:
    return event.is_set()
