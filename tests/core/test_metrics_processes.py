"""``manage.py run --workers N`` sets up Prometheus's multiprocess mode by itself: a fresh, empty ``var/`` directory
in ``PROMETHEUS_MULTIPROC_DIR`` (unless the operator set one), so any process's ``/metrics`` counts all of them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.observability.process import MULTIPROC_DIR, MULTIPROC_ENV, prepare_multiprocess
from core.settings import ROOT, Settings, load
from tests.core.test_metrics import parse, until, value


def settings_in(tmp_path: Path, **env: str) -> Settings:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    return load({"SBOR_CONFIG": str(empty), "SBOR_VAR_DIR": str(tmp_path / "var"), **env})


def test_several_processes_get_a_fresh_empty_directory(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    stale = settings.var_path / MULTIPROC_DIR
    stale.mkdir(parents=True)
    (stale / "counter_4242.db").write_bytes(b"left by an earlier run")
    environ: dict[str, str] = {}
    path = prepare_multiprocess(3, settings, environ)
    assert path == stale and environ == {MULTIPROC_ENV: str(stale)}
    assert path.is_dir() and list(path.iterdir()) == []  # an earlier run's counts are not added again


@pytest.mark.parametrize(("processes", "env", "metrics"), [
    (1, {}, "true"),  # one process: its own registry, nothing shared
    (4, {MULTIPROC_ENV: "/srv/prom"}, "true"),  # the operator's directory, theirs to wipe
    (4, {}, "false"),  # metrics off
])
def test_nothing_is_set_up_otherwise(tmp_path: Path, processes: int, env: dict[str, str], metrics: str) -> None:
    settings = settings_in(tmp_path, SBOR_OBSERVABILITY_METRICS_ENABLED=metrics)
    environ = dict(env)
    assert prepare_multiprocess(processes, settings, environ) is None
    assert environ == env
    assert not (settings.var_path / MULTIPROC_DIR).exists()


async def test_run_with_two_workers_adds_up_both_processes(sbor_database: Any, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    plugins = tmp_path / "plugins.toml"
    plugins.write_text("enabled = []\n")
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    var = tmp_path / "var"
    shared = var / MULTIPROC_DIR
    shared.mkdir(parents=True)
    (shared / "counter_1.db").write_bytes(b"stale")
    env = {k: v for k, v in os.environ.items() if k != MULTIPROC_ENV}
    env.update({"SBOR_CONFIG": str(empty), "SBOR_PLUGINS_FILE": str(plugins), "SBOR_VAR_DIR": str(var),
                "SBOR_HTTP_PORT": str(port), "SBOR_LOG_LEVEL": "WARNING", "SBOR_HTTP_RATE_LIMIT": "0"})
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "core.cli", "run", "--workers", "2", "--no-worker"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async def answering() -> bool:
            try:
                async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                    return (await client.get("/health")).status_code == 200
            except httpx.TransportError:
                assert proc.poll() is None, log.read_text()
                return False

        await until(answering, "two API processes to answer", timeout=120)
        assert "(PROMETHEUS_MULTIPROC_DIR)" in log.read_text()
        assert not (shared / "counter_1.db").exists()

        async def both_counted() -> bool:
            for _ in range(8):
                async with httpx.AsyncClient(base_url=base, timeout=10) as fresh:  # a new connection: any process
                    await fresh.get("/api/v1/capabilities")
            return len({p.stem.rsplit("_", 1)[-1] for p in shared.glob("counter_*.db")}) >= 2

        await until(both_counted, "both processes to count requests in the shared directory", timeout=60)
        labels = {"method": "GET", "path": "/api/v1/capabilities", "status_code": "200", "app_name": "sbor"}
        totals: list[float | None] = []

        async def every_scrape_counts_all() -> bool:
            # Whichever process answers, it reports every process's requests: its own as of now, the other's as of
            # that process's last flush (every second).
            totals.clear()
            for _ in range(4):
                async with httpx.AsyncClient(base_url=base, timeout=10) as fresh:
                    r = await fresh.get("/metrics")
                    assert r.status_code == 200, r.text
                    totals.append(value(parse(r.text), "sbor_http_requests_total", **labels))
            return all(t is not None and t >= 8 for t in totals)

        await until(every_scrape_counts_all, "every scrape to count both processes' requests", timeout=10)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert not shared.exists()  # the run's directory goes with it
