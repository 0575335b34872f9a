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
    assert "worker up: 1 job(s)" in out
