"""Benchmark: the near-me feed (near, radius_km=10, next 7 days, 20 per page) vs a bare Litestar + asyncpg baseline.

Run with ``python3 manage.py bench events_feed``. Creates its own database, fills 100 000 events over a country and
10 000 users, serves the real app (uvicorn) and the baseline in subprocesses on free loopback ports, measures both
with wrk (64 connections, 4 alternating rounds of 3 s each) and ends with one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVENTS, USERS, VENUES = 100_000, 10_000, 4_000
DURATION_S = int(os.environ.get("BENCH_DURATION_S", "12"))
# The two servers are measured in alternating rounds (app, baseline, app, …) so a burst of load from elsewhere on the
# machine hits both alike; the figures are the mean req/s and the worst p99 over the rounds.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
CONNECTIONS = 64
# Cities (lat, lng, weight): events cluster where people live; the query point is central Moscow.
CITIES = [(55.7558, 37.6173, 30), (59.9343, 30.3351, 15), (55.0084, 82.9357, 6), (56.8389, 60.6057, 6),
          (55.7963, 49.1088, 5), (56.3269, 44.0059, 5), (53.1959, 50.1002, 4), (54.9885, 73.3242, 4),
          (47.2357, 39.7015, 4), (54.7388, 55.9721, 4), (45.0355, 38.9753, 4), (51.6720, 39.1843, 3)]
QUERY = "/api/v1/events?near=55.7558,37.6173&radius_km=10&when=next_7_days&limit=20"
BASELINE_QUERY = "/feed?near=55.7558,37.6173&radius_km=10&limit=20"
TAGS = ["music", "games", "sport", "art", "tech", "kids", "food", "film", "books", "dance"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def fill(dsn: str) -> None:
    rnd = random.Random(42)
    conn = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        t0 = time.monotonic()
        await conn.copy_records_to_table(
            "account", schema_name="users", columns=["email", "display_name", "status", "is_verified", "created_at"],
            records=[(f"bench{i}@example.org", f"User {i}", "active", True, now) for i in range(USERS)])
        user_ids = [r["id"] for r in await conn.fetch("SELECT id FROM users.account")]
        venues = []
        for i in range(VENUES):
            if rnd.random() < 0.8:
                lat, lng, _ = rnd.choices(CITIES, weights=[c[2] for c in CITIES])[0]
                lat, lng = lat + rnd.gauss(0, 0.15), lng + rnd.gauss(0, 0.25)
            else:  # the rest of the country
                lat, lng = rnd.uniform(43.0, 68.0), rnd.uniform(28.0, 135.0)
            venues.append((f"Venue {i}", f"Street {i}", "City", lat, lng, "Europe/Moscow", now))
        await conn.copy_records_to_table(
            "venue", schema_name="events",
            columns=["name", "address", "city", "latitude", "longitude", "timezone", "created_at"], records=venues)
        vrows = await conn.fetch("SELECT id, latitude, longitude FROM events.venue")
        records = []
        for i in range(EVENTS):
            v = rnd.choice(vrows)
            start = (now + timedelta(hours=rnd.uniform(-24, 24 * 60))).replace(microsecond=0)
            tags = rnd.sample(TAGS, rnd.randint(1, 3))
            cap = rnd.choice([None, 20, 50, 100])
            records.append((
                f"Event {i} {tags[0]}", f"A {tags[0]} evening number {i}", tags, rnd.choice(["meetup", "concert"]),
                start, start + timedelta(hours=rnd.choice([2, 3, 4])), "Europe/Moscow", v["id"], v["latitude"],
                v["longitude"], cap, 0, "", rnd.choice([None, 0, 50000]), "public", uuid.uuid4().hex[:16], False,
                rnd.choice(user_ids), "published", 1, now, now,
            ))
        await conn.copy_records_to_table(
            "event", schema_name="events",
            columns=["title", "description", "tags", "category", "starts_at", "ends_at", "timezone", "venue",
                     "latitude", "longitude", "capacity", "seats_taken", "price_text", "price_cents", "visibility",
                     "share_key", "requires_approval", "author", "status", "version", "created_at", "updated_at"],
            records=records)
        await conn.execute("VACUUM ANALYZE")  # as autovacuum would: index-only scans need the visibility map
        print(f"filled {USERS} users, {VENUES} venues, {EVENTS} events in {time.monotonic() - t0:.1f}s", flush=True)
    finally:
        await conn.close()


async def explain(dsn: str) -> str:
    os.environ["SBOR_DATABASE_URL"] = dsn
    from core import clock
    from plugins.events.feed import FeedQuery, build

    now = clock.now()
    fq = FeedQuery(now=now, near=(55.7558, 37.6173), radius_km=10, starts_from=now, starts_to=now + timedelta(days=7))
    conn = await asyncpg.connect(dsn)
    try:
        out = []
        for label, q in (("full radius", fq), ("narrow first (radius / 4)", replace(fq, radius_km=fq.radius_km / 4))):
            sql, args = build(q)
            rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)
            found = await conn.fetch(sql, *args)
            out.append(f"-- {label}: {len(found)} rows (page of 20 + 1)\n" + "\n".join(r[0] for r in rows))
    finally:
        await conn.close()
    return "\n".join(out)


def wait_ready(port: int, path: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {proc.returncode}")
        try:
            r = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
            if r.status_code == 200:
                return
            print(f"  port {port}: {r.status_code} {r.text[:300]}", flush=True)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not become ready")


def wrk(url: str, seconds: int) -> tuple[float, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url], check=True,
                         capture_output=True, text=True).stdout
    print(out, flush=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert m is not None
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    if "Non-2xx" in out:
        raise SystemExit("non-2xx responses during the run: " + out)
    return rps, p99


def serve(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=None, start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it with `apt-get install -y wrk` (Debian/Ubuntu) and run again")
    base = os.environ.get("SBOR_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    name = f"sbor_bench_events_{uuid.uuid4().hex[:8]}"
    dsn = with_db(base, name)

    async def admin(sql: str) -> None:
        c = await asyncpg.connect(base)
        try:
            await c.execute(sql)
        finally:
            await c.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    procs: list[subprocess.Popen[bytes]] = []
    tmp = tempfile.mkdtemp(prefix="sbor-bench-")
    try:
        plugins_file = Path(tmp) / "plugins.toml"
        plugins_file.write_text('enabled = ["events"]\n')
        env = {**os.environ, "SBOR_DATABASE_URL": dsn, "SBOR_PLUGINS_FILE": str(plugins_file),
               "SBOR_LOG_LEVEL": "WARNING", "SBOR_HTTP_RATE_LIMIT": "1000000000", "SBOR_DATABASE_POOL_MIN": "10",
               "SBOR_DATABASE_POOL_MAX": "10", "BENCH_DSN": dsn, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, env=env, check=True)
        asyncio.run(fill(dsn))
        print(asyncio.run(explain(dsn)), flush=True)
        port, bport = free_port(), free_port()
        uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log", "--log-level",
                   "warning"]
        procs.append(serve([*uvicorn, "--port", str(port), "--factory", "core.app:asgi"], env))
        procs.append(serve([*uvicorn, "--port", str(bport), "bench._events_feed_baseline:app"], env))
        wait_ready(port, QUERY, procs[0])
        wait_ready(bport, BASELINE_QUERY, procs[1])
        app_url, base_url = f"http://127.0.0.1:{port}{QUERY}", f"http://127.0.0.1:{bport}{BASELINE_QUERY}"
        for url in (app_url, base_url):  # warm-up: pools filled, statements prepared
            subprocess.run(["wrk", "-t2", "-c16", "-d2s", url], check=True, capture_output=True)
        seconds = max(1, round(DURATION_S / ROUNDS))
        app_runs, base_runs = [], []
        for i in range(ROUNDS):
            print(f"== round {i + 1}/{ROUNDS}: Sbor app (uvicorn, full middleware stack) ==", flush=True)
            app_runs.append(wrk(app_url, seconds))
            print(f"== round {i + 1}/{ROUNDS}: baseline (bare Litestar + raw asyncpg, same SQL) ==", flush=True)
            base_runs.append(wrk(base_url, seconds))
        rps, p99 = sum(r for r, _ in app_runs) / ROUNDS, max(p for _, p in app_runs)
        brps, bp99 = sum(r for r, _ in base_runs) / ROUNDS, max(p for _, p in base_runs)
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"app: {rps:.0f} req/s, p99 {p99:.1f} ms; baseline: {brps:.0f} req/s, p99 {bp99:.1f} ms", flush=True)
    print(json.dumps({"bench": "events_feed", "rps": round(rps, 1), "baseline_rps": round(brps, 1),
                      "ratio": round(rps / brps, 3), "p99_ms": round(p99, 2), "baseline_p99_ms": round(bp99, 2)}))


if __name__ == "__main__":
    main()
