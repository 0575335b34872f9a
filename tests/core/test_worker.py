"""``manage.py worker`` as an operator runs it: a separate process with its own pool, taking jobs from Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta

from core import clock as core_clock
from core.settings import ROOT


async def test_worker_process_runs_enabled_plugins_jobs(sbor_database, tmp_path, make_client) -> None:
    from sbor_hello.jobs import forget_old_greetings
    from sbor_hello.tables import Greeting

    await Greeting.insert(Greeting(name="old", message="hi", created_at=core_clock.now() - timedelta(days=40)),
                          Greeting(name="new", message="hi", created_at=core_clock.now()))
    plugins = tmp_path / "plugins.toml"
    plugins.write_text('enabled = ["hello"]\n')
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins), "SBOR_LOG_LEVEL": "INFO"}
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--threads", "2", "--no-scheduler"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        await forget_old_greetings.enqueue()
        for _ in range(200):
            names = [r["name"] for r in await Greeting.select(Greeting.name)]
            if names == ["new"]:
                break
            await asyncio.sleep(0.1)
        assert names == ["new"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "worker up: 2 job(s)" in out  # hello's job and core's auth.cleanup


async def test_several_worker_processes_stay_up_under_their_parent(sbor_database, tmp_path) -> None:
    from sbor_hello.jobs import forget_old_greetings
    from sbor_hello.tables import Greeting

    plugins = tmp_path / "plugins.toml"
    plugins.write_text('enabled = ["hello"]\n')
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins), "SBOR_WORKER_PARENT_PID": str(os.getpid())}
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--processes", "2", "--threads", "1",
                             "--no-scheduler"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        await asyncio.sleep(4)  # the children must not take the master for a vanished parent
        assert proc.poll() is None
        await Greeting.insert(Greeting(name="old", message="hi", created_at=core_clock.now() - timedelta(days=90)))
        await forget_old_greetings.enqueue()
        for _ in range(200):
            if not await Greeting.count():
                break
            await asyncio.sleep(0.1)
        assert await Greeting.count() == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert out.count("worker up:") == 2, out
