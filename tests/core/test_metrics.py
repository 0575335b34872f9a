"""``/metrics``: who may read it, what it says (requests by route template, hooks, jobs, lags, circuits), and the
dashboard and alert rules shipped in ``deploy/`` reading only metrics that exist."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import threading
from datetime import timedelta
from typing import Any

import dramatiq
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from core import cache, jobs
from core.errors import ConfigError
from core.hooks import hookimpl
from core.observability import ScrapeGauge
from core.observability.jobs import JobObservability
from core.observability.scrape import Reader, from_gauge, scrape
from core.observability.wiring import metrics_readers
from core.settings import ROOT, get_settings
from tests.core.hooks.fakes import available, fake_plugin

PLUGINS = ["events", "notify", "analytics", "orders", "geo"]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def read_metrics(client: Any) -> Samples:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return parse(r.text)


@pytest.fixture
def obs_settings() -> Any:
    """The process's observability settings, restored after the test."""
    obs = get_settings().observability
    saved = list(obs.metrics_allow), list(get_settings().http.trusted_proxies)
    yield obs
    obs.metrics_allow, get_settings().http.trusted_proxies = saved


# --- who may read it -------------------------------------------------------------------------------------------------


async def test_metrics_are_served_to_loopback_only_by_default(make_client) -> None:
    local = await make_client(["events"])
    assert (await local.get("/metrics")).status_code == 200
    remote = await make_client(["events"], client_ip="203.0.113.7")
    r = await remote.get("/metrics")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "not_found"
    assert "/metrics" not in (await local.get("/schema/openapi.json")).text  # not part of the API


async def test_a_request_through_an_untrusted_proxy_is_refused_even_from_loopback(make_client, obs_settings) -> None:
    # nginx on the same host forwards every visitor from 127.0.0.1: the forwarding header gives it away.
    client = await make_client(["events"])
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        r = await client.get("/metrics", headers={header: "198.51.100.4"})
        assert r.status_code == 404, header
    # Once the proxy is trusted, the forwarded client address is what is judged.
    get_settings().http.trusted_proxies = ["127.0.0.1"]
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"})).status_code == 404
    obs_settings.metrics_allow = ["198.51.100.0/24"]
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"})).status_code == 200


async def test_configured_networks_may_scrape(make_client, obs_settings) -> None:
    obs_settings.metrics_allow = ["10.0.0.0/8", "192.0.2.1"]
    assert (await (await make_client(["events"], client_ip="10.1.2.3")).get("/metrics")).status_code == 200
    assert (await (await make_client(["events"], client_ip="192.0.2.1")).get("/metrics")).status_code == 200
    assert (await (await make_client(["events"], client_ip="192.0.2.2")).get("/metrics")).status_code == 404
    assert (await (await make_client(["events"])).get("/metrics")).status_code == 404  # loopback no longer listed


def test_a_bad_network_stops_start_up(make_app, obs_settings) -> None:
    obs_settings.metrics_allow = ["10.0.0.0/33"]
    with pytest.raises(ConfigError, match="observability.metrics_allow: '10.0.0.0/33'"):
        make_app(["events"])


def test_metrics_can_be_switched_off(make_app) -> None:
    obs = get_settings().observability
    obs.metrics_enabled = False
    try:
        app = make_app(["events"])
        assert not any(r.path == "/metrics" for r in app.routes)
    finally:
        obs.metrics_enabled = True
        make_app(["events"])  # the process-wide switch back on


# --- what it says ----------------------------------------------------------------------------------------------------


async def test_requests_are_counted_by_route_template_status_and_duration(make_client) -> None:
    client = await make_client(["events"])
    before = await read_metrics(client)
    for event_id in (999_001, 999_002, 999_003):
        assert (await client.get(f"/api/v1/events/{event_id}")).status_code == 404
    after = await read_metrics(client)
    labels = {"method": "GET", "path": "/api/v1/events/{event_id}", "status_code": "404", "app_name": "sbor"}
    counted = value(after, "sbor_http_requests_total", **labels)
    assert counted is not None and counted - (value(before, "sbor_http_requests_total", **labels) or 0) == 3
    assert value(after, "sbor_http_request_duration_seconds_count", **labels) == counted
    assert not any("999001" in dict(k[1]).get("path", "") for k in after)  # never the raw path
    assert not any(dict(k[1]).get("path") == "/metrics" for k in after)  # scrapes are not requests of the API


async def test_hooks_dependencies_pool_and_cache_are_reported(make_client) -> None:
    client = await make_client(PLUGINS)
    samples = await read_metrics(client)
    # app_started ran in the lifespan: geo's implementation was timed.
    assert (value(samples, "sbor_hook_duration_seconds_count", hook="app_started", plugin="geo") or 0) >= 1
    assert value(samples, "sbor_dependency_up", dependency="postgresql") == 1
    assert value(samples, "sbor_dependency_up", dependency="redis") == 1
    assert (value(samples, "sbor_db_pool_connections", node="primary", state="max") or 0) >= 1
    assert value(samples, "sbor_cache_requests_total", result="hit") is not None
    assert value(samples, "sbor_metrics_read_failures", metric="sbor_jobs_queued") is None


async def test_plugin_gauges_report_lags_and_circuits(make_client, make_user, clock) -> None:
    from plugins.analytics.ingest import stream_key
    from plugins.geo import broker as geo_broker
    from plugins.notify.tables import Notification
    from plugins.orders import pos
    from plugins.orders.tables import VenuePos

    client = await make_client(PLUGINS)
    quiet = await read_metrics(client)
    assert value(quiet, "sbor_notify_outbox_lag_seconds") == 0
    assert value(quiet, "sbor_notify_reminder_lag_seconds") == 0
    assert value(quiet, "sbor_analytics_ingest_lag_seconds") == 0
    assert value(quiet, "sbor_geo_provider_circuit_open", provider="links") == 0

    user = (await make_user()).id
    now = clock.now()
    await Notification.insert(
        Notification(user_id=user, kind="notify.verification", payload="{}", status="pending",
                     due_at=now - timedelta(seconds=120)),
        Notification(user_id=user, kind="notify.verification", payload="{}", status="queued", offset_min=60,
                     due_at=now - timedelta(seconds=45)),
        Notification(user_id=user, kind="notify.verification", payload="{}", status="sent",
                     due_at=now - timedelta(hours=5)),  # sent: not late
        Notification(user_id=user, kind="notify.verification", payload="{}", status="pending",
                     due_at=now + timedelta(hours=1)),  # not due yet
    )
    await cache.client().xadd(stream_key(), {b"b": b"x"}, id=f"{int((clock.timestamp() - 30) * 1000)}-0")
    await VenuePos.insert(VenuePos(venue_id=71, adapter="http"), VenuePos(venue_id=72, adapter="http"))
    await cache.client().hset(pos.Breaker(71).key, "open_until", str(clock.timestamp() + 300))
    await geo_broker.open_circuit("links", 60)

    busy = await read_metrics(client)
    assert value(busy, "sbor_notify_outbox_lag_seconds") == pytest.approx(120, abs=2)
    assert value(busy, "sbor_notify_reminder_lag_seconds") == pytest.approx(45, abs=2)
    assert value(busy, "sbor_notify_outbox_due") == 2
    assert value(busy, "sbor_analytics_ingest_lag_seconds") == pytest.approx(30, abs=2)
    assert value(busy, "sbor_analytics_ingest_backlog") == 1
    assert value(busy, "sbor_orders_pos_circuits_open", adapter="http") == 1
    assert value(busy, "sbor_orders_pos_circuits_open", adapter="manual") == 0
    assert value(busy, "sbor_geo_provider_circuit_open", provider="links") == 1


finished = threading.Event()
runs: list[bool] = []


@jobs.job("obsmetrics.count", queue="obsmetrics", max_retries=0)
def count(fail: bool) -> None:
    runs.append(fail)
    if len(runs) == 3:
        finished.set()
    if fail:
        raise RuntimeError("this job fails on purpose")


async def until(check: Any, what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_job_durations_failures_queue_depth_and_dead_letters(make_client) -> None:
    client = await make_client(PLUGINS)
    jobs.bind([("obsmetrics", count)])
    runs.clear()
    finished.clear()
    count.send(False)
    count.send(False)
    count.send(True)
    queued = await read_metrics(client)
    assert value(queued, "sbor_jobs_queued", queue="obsmetrics") == 3

    worker = dramatiq.Worker(jobs.broker(), queues={"obsmetrics"}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        assert await asyncio.to_thread(finished.wait, 30)

        async def published() -> bool:
            s = await read_metrics(client)
            return (value(s, "sbor_jobs_total", actor="obsmetrics.count", outcome="ok") == 2
                    and value(s, "sbor_jobs_total", actor="obsmetrics.count", outcome="failed") == 1
                    and value(s, "sbor_jobs_dead", queue="obsmetrics") == 1)

        await until(published, "the worker's job metrics in /metrics")
    finally:
        await asyncio.to_thread(worker.stop)
    s = await read_metrics(client)
    assert value(s, "sbor_job_duration_seconds_count", actor="obsmetrics.count") == 3
    assert value(s, "sbor_job_duration_seconds_bucket", actor="obsmetrics.count", le="+Inf") == 3
    assert value(s, "sbor_jobs_queued", queue="obsmetrics") == 0


async def test_job_counts_survive_a_redis_outage_until_the_next_flush(sbor_database, obs_settings) -> None:
    middleware = JobObservability()
    middleware._redis = __import__("redis").Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    middleware.record("obsmetrics.x", 0.02, ok=True)
    assert middleware.flush() is False  # nothing listens on port 1: kept
    middleware._redis = None
    assert middleware.flush() is True
    raw = await cache.client().hgetall(f"{get_settings().jobs.namespace}:metrics:jobs")
    assert float(raw[b"n|obsmetrics.x|ok"]) == 1 and float(raw[b"b|obsmetrics.x|0.05"]) == 1


async def test_a_failing_reading_is_left_out_and_named(sbor_database) -> None:
    async def broken() -> float:
        raise OSError("the dependency is down")

    async def fine() -> float:
        return 7.0

    async def never() -> float:  # a dependency that never answers: the scrape's own limit must cut it off
        await asyncio.Event().wait()
        return 0.0

    body = (await scrape([from_gauge(ScrapeGauge("sbor_t_broken", "x", read=broken)),
                          from_gauge(ScrapeGauge("sbor_t_fine", "x", read=fine)),
                          Reader("sbor_t_slow", never)])).decode()
    samples = parse(body)
    assert value(samples, "sbor_t_fine") == 7
    assert value(samples, "sbor_t_broken") is None
    assert value(samples, "sbor_metrics_read_failures", metric="sbor_t_broken") == 1
    assert value(samples, "sbor_metrics_read_failures", metric="sbor_t_slow") == 1


def test_register_metrics_names_are_checked(sbor_database) -> None:
    from core.hooks.manager import PluginsFile, build

    async def zero() -> float:
        return 0.0

    def registry(*gauges: Any) -> Any:
        plugin = fake_plugin("fakemetrics", hooks={"register_metrics": hookimpl(lambda: list(gauges))})
        return build(PluginsFile(enabled=["fakemetrics"]), available(plugin))

    good = ScrapeGauge("sbor_fakemetrics_depth", "x", read=zero)
    assert "sbor_fakemetrics_depth" in [r.name for r in metrics_readers(registry(good))]
    with pytest.raises(ConfigError, match="must be named 'sbor_fakemetrics_<what>'"):
        metrics_readers(registry(ScrapeGauge("sbor_other_depth", "x", read=zero)))
    with pytest.raises(ConfigError, match="declared twice"):
        metrics_readers(registry(good, good))
    with pytest.raises(ConfigError, match="not a ScrapeGauge"):
        metrics_readers(registry("sbor_fakemetrics_x"))
    with pytest.raises(ValueError, match="must match"):
        ScrapeGauge("Bad-Name", "x", read=zero)


# --- the dashboard and the alert rules -------------------------------------------------------------------------------

DEPLOY = ROOT / "deploy"
PROMQL_WORDS = {"sum", "rate", "irate", "increase", "by", "without", "max", "min", "avg", "histogram_quantile",
                "clamp_min", "clamp_max", "or", "and", "unless", "on", "ignoring", "group_left", "count", "abs",
                "time", "vector", "absent", "max_over_time", "min_over_time", "avg_over_time", "topk", "le", "bool",
                "offset", "label_replace", "sort_desc", "changes", "delta", "deriv", "scalar"}
BUILTIN = {"up"}  # Prometheus's own series about its targets


def metric_names_in(expr: str) -> set[str]:
    expr = re.sub(r'"[^"]*"', "", expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    return {w for w in re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr) if w not in PROMQL_WORDS
            and not re.fullmatch(r"\d+|e\d+|[smhdw]", w) and w != "Inf"}


def exported() -> set[str]:
    """Every series name Sbor exports (the histogram/counter suffixes included)."""
    names = {"sbor_http_requests_total", "sbor_http_requests_error_total", "sbor_http_requests_in_progress",
             "sbor_http_request_duration_seconds", "sbor_hook_duration_seconds", "sbor_hook_failures_total",
             "sbor_db_pool_connections", "sbor_dependency_up", "sbor_jobs_queued", "sbor_jobs_delayed",
             "sbor_jobs_dead", "sbor_jobs_total", "sbor_job_duration_seconds", "sbor_cache_requests_total",
             "sbor_cache_invalidations_total", "sbor_metrics_read_failures", "sbor_db_replica_up",
             "sbor_db_replica_lag_seconds", "sbor_db_read_routing_total"}
    for plugin in ("notify", "analytics", "orders", "geo"):
        module = __import__(f"plugins.{plugin}.metrics", fromlist=["gauges"])
        names |= {g.name for g in module.gauges()}
    for base in list(names):
        if base.endswith("_seconds"):
            names |= {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
    return names


async def test_every_name_the_dashboard_and_alerts_use_is_exported(make_client) -> None:
    names = exported()
    # The list above is what /metrics really says (a series may appear only once something happened).
    client = await make_client(PLUGINS)
    assert (await client.get("/api/v1/capabilities")).status_code == 200
    samples = await read_metrics(client)
    seen = {name for name, _labels in samples}
    assert {"sbor_dependency_up", "sbor_notify_reminder_lag_seconds", "sbor_geo_provider_circuit_open",
            "sbor_http_requests_total"} <= seen
    assert {n for n in seen if n.startswith("sbor_") and not n.endswith("_created")} <= names

    dashboard = json.loads((DEPLOY / "grafana" / "sbor.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = [r for g in rules["groups"] for r in g["rules"]]
    assert {"SborReminderLag", "SborDeadLetters", "SborErrorRate", "SborDependencyDown"} <= {a["alert"] for a in alerts}
    for alert in alerts:
        assert alert["labels"]["severity"] in {"page", "ticket"}
        assert alert["annotations"]["summary"]
    for expr in exprs + [a["expr"] for a in alerts]:
        unknown = metric_names_in(expr) - names - BUILTIN
        assert not unknown, f"{expr!r} reads {unknown}, which Sbor does not export"


def test_promtool_accepts_the_alert_rules_and_they_fire_when_they_should() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus); the YAML is checked by the test above")
    for args in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]):
        out = subprocess.run([promtool, *args], cwd=DEPLOY / "prometheus", capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr


def test_the_dashboard_is_importable_grafana_json() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "sbor.json").read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["type"] in {"timeseries", "stat", "row", "table", "gauge"}
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}"


# --- several API processes -------------------------------------------------------------------------------------------


async def test_several_api_processes_report_together_in_multiprocess_mode(sbor_database, tmp_path) -> None:
    """``uvicorn --workers 2`` with ``PROMETHEUS_MULTIPROC_DIR``: whichever process answers, the counts are all
    (requests, and the read cache's lookups, which each process adds to the shared counters every few seconds)."""
    import os
    import socket
    import sys

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    plugins = tmp_path / "plugins.toml"
    plugins.write_text('enabled = ["events"]\n')
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "SBOR_PLUGINS_FILE": str(plugins),
           "SBOR_LOG_LEVEL": "WARNING", "SBOR_HTTP_RATE_LIMIT": "0"}
    log = tmp_path / "uvicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "core.app:asgi", "--factory", "--workers", "2",
                                 "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:

            async def answering() -> bool:
                try:
                    return (await client.get("/health")).status_code == 200
                except httpx.TransportError:
                    assert proc.poll() is None, log.read_text()
                    return False

            await until(answering, "two API processes to answer", timeout=120)

            async def both_up() -> bool:  # each process writes its own files once it has served something
                for _ in range(8):
                    async with httpx.AsyncClient(base_url=base, timeout=10) as fresh:  # new connection: any process
                        await fresh.get("/health")
                return len({p.name.rsplit("_", 1)[-1] for p in metrics_dir.glob("counter_*.db")}) >= 2

            await until(both_up, "both processes to have counted requests", timeout=60)
            for _ in range(20):
                async with httpx.AsyncClient(base_url=base, timeout=10) as fresh:
                    assert (await fresh.get("/api/v1/capabilities")).status_code == 200
                    assert (await fresh.get("/api/v1/events")).status_code == 200  # the feed: a read-cache lookup

            async def cache_counted() -> bool:
                async with httpx.AsyncClient(base_url=base, timeout=10) as fresh:
                    samples = parse((await fresh.get("/metrics")).text)
                return sum(value(samples, "sbor_cache_requests_total", result=r) or 0 for r in ("hit", "miss")) == 20

            await until(cache_counted, "both processes' cache lookups in /metrics", timeout=30)
            for _ in range(4):  # whichever process answers the scrape
                async with httpx.AsyncClient(base_url=base, timeout=10) as fresh:
                    r = await fresh.get("/metrics")
                assert r.status_code == 200, r.text
                samples = parse(r.text)
                assert value(samples, "sbor_http_requests_total", method="GET", path="/api/v1/capabilities",
                             status_code="200", app_name="sbor") == 20
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_request_figures_reach_prometheus_at_the_flush_in_the_right_buckets() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from core.observability.http import RequestFigures

    registry = CollectorRegistry()
    figures = RequestFigures(registry)
    route = {"method": "GET", "path": "/api/v1/things/{thing_id:int}", "app_name": "sbor"}
    for seconds in (0.003, 0.005, 0.02, 20.0):  # 0.005 is within its own bound ("le" is inclusive)
        figures.started("GET")
        figures.finished("GET", route["path"], 200, seconds)
    figures.started("GET")
    figures.finished("GET", route["path"], 503, 0.2)
    figures.started("GET")
    figures.finished("GET", None, 404, 0.001)  # no route took it: no series could name it
    figures.started("POST")  # still running at the scrape
    # Nothing reaches Prometheus before the flush
    assert value(parse(generate_latest(registry).decode()), "sbor_http_requests_total", **route,
                 status_code="200") is None
    figures.flush()
    samples = parse(generate_latest(registry).decode())
    ok = {**route, "status_code": "200"}
    assert value(samples, "sbor_http_requests_total", **ok) == 4
    assert value(samples, "sbor_http_request_duration_seconds_count", **ok) == 4
    assert value(samples, "sbor_http_request_duration_seconds_sum", **ok) == pytest.approx(20.028)
    buckets = {le: value(samples, "sbor_http_request_duration_seconds_bucket", **ok, le=le)
               for le in ("0.005", "0.01", "0.025", "10.0", "+Inf")}
    assert buckets == {"0.005": 2, "0.01": 2, "0.025": 3, "10.0": 3, "+Inf": 4}
    failed = {**route, "status_code": "503"}
    assert value(samples, "sbor_http_requests_error_total", **failed) == 1
    assert value(samples, "sbor_http_requests_error_total", **ok) is None
    assert not any(name == "sbor_http_requests_total" and dict(labels).get("status_code") == "404"
                   for name, labels in samples)
    running = {"app_name": "sbor"}
    assert value(samples, "sbor_http_requests_in_progress", method="POST", **running) == 1
    assert value(samples, "sbor_http_requests_in_progress", method="GET", **running) == 0
    # A second flush adds only what came since
    figures.finished("POST", "/api/v1/things", 201, 0.01)
    figures.started("GET")
    figures.finished("GET", route["path"], 200, 0.004)
    figures.flush()
    samples = parse(generate_latest(registry).decode())
    assert value(samples, "sbor_http_requests_total", **ok) == 5
    assert value(samples, "sbor_http_request_duration_seconds_bucket", **ok, le="0.005") == 3
    assert value(samples, "sbor_http_requests_in_progress", method="POST", **running) == 0
