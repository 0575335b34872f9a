"""Benchmark: the near-me feed (near, radius_km=10, next 7 days, 20 per page) vs a bare Litestar + asyncpg baseline.

Run with ``python3 manage.py bench events_feed``. Creates its own database and Redis namespace (``_common.scratch``),
fills 100 000 events over a country and 10 000 users, and serves three processes on free loopback ports: the app with
its read cache off (the same query again and again: what the stack costs over the baseline), the app with the cache
(``redis.cache_ttl_s``) under a realistic query mix, and the baseline (bare Litestar + raw asyncpg, uncached). wrk
measures them in alternating rounds (64 connections).

The cached round's mix: 90 % of requests pick one of the popular feed queries (per city, per tag, per category,
text searches) with Zipf weights (rank r drawn in proportion to 1/r), 10 % are near-me queries from a random point
of Moscow that never repeat (a long tail that always misses). During each cached round the bench edits an event on
the most popular page through the API and polls that page until the edit shows: ``fresh_within_s`` is the worst
time from the edit's answer (it is committed) to the sending of a read that saw it (0: the first read after the
edit was fresh; the edit's own latency under the load is printed apart). The JSON line ends with ``cached_rps`` and
``cached_ratio`` (over the baseline).
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
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from _common import scratch

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
UNIQUE_SHARE = 0.10  # of the cached round's requests: near-me from a point never asked before (always a miss)
FRESH_LIMIT_S = 1.0
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


def wrk(url: str, seconds: int, script: str | None = None) -> tuple[float, float]:
    extra = ["-s", script] if script else []
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", *extra, url], check=True,
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


def popular_queries() -> list[str]:
    """The popular feed queries, most popular first: each city's near-me page, then per tag, category and text."""
    base = "/api/v1/events?"
    near = [f"near={lat},{lng}&radius_km=10&when=next_7_days&limit=20" for lat, lng, _ in CITIES]
    out = [base + q for q in near]
    out += [base + "when=next_7_days&limit=20", base + "limit=20", base + "sort=rating&limit=20"]
    out += [f"{base}{q}&tags={t}" for t in TAGS for q in near[:4]]
    out += [f"{base}tags={t}&limit=20" for t in TAGS]
    out += [f"{base}category={c}&when=next_7_days" for c in ("meetup", "concert")]
    out += [f"{base}q={w}&limit=20" for w in ("music", "games", "evening", "art", "food")]
    out += [f"{base}{q}&tags={a},{b}" for q in near[:2] for a in TAGS[:5] for b in TAGS[5:]]
    out += [f"{base}{q}&free=true" for q in near] + [f"{base}{q}&when=this_weekend" for q in near]
    return out


def zipf_script(folder: Path, queries: list[str]) -> str:
    """A wrk script drawing the cached round's requests: Zipf over ``queries``, plus the never-repeating tail."""
    weights, total = [], 0.0
    for rank in range(1, len(queries) + 1):
        total += 1.0 / rank
        weights.append(total)
    paths = ",\n".join(f'  "{q}"' for q in queries)
    cum = ", ".join(f"{w / total:.8f}" for w in weights)
    script = folder / "zipf.lua"
    script.write_text(f"""
local paths = {{
{paths}
}}
local cum = {{ {cum} }}
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
request = function()
  if math.random() < {UNIQUE_SHARE} then
    local lat = 55.70 + math.random() * 0.12
    local lng = 37.50 + math.random() * 0.25
    return wrk.format("GET", string.format(
      "/api/v1/events?near=%.6f,%.6f&radius_km=10&when=next_7_days&limit=20", lat, lng))
  end
  local r, lo, hi = math.random(), 1, #cum
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cum[mid] < r then lo = mid + 1 else hi = mid end
  end
  return wrk.format("GET", paths[lo])
end
""")
    return str(script)


async def author_token(dsn: str, event_id: int) -> str:
    """A bearer token of the author of ``event_id`` (a session opened the way sign-in opens one)."""
    from core import settings
    from core.auth.services import open_session

    settings.reload()  # the scratch database and namespace exported by _common.scratch
    conn = await asyncpg.connect(dsn)
    try:
        author = await conn.fetchval("SELECT author FROM events.event WHERE id = $1", event_id)
    finally:
        await conn.close()
    _sid, token = await open_session(int(author), device="bench")
    return token


async def freshness(client: httpx.AsyncClient, app: str, token: str, event_id: int, n: int) -> tuple[float, float]:
    """Edit ``event_id``'s title through the API, then poll the most popular (cached) page until it shows the edit.

    Returns (staleness, edit latency): how long after the edit was answered (committed) a read sent then still got
    the old page (0: the first read after it was fresh), and how long the edit itself took under the load.
    """
    title = f"Edited {n} {uuid.uuid4().hex[:6]}"
    t0 = time.monotonic()
    r = await client.patch(f"{app}/api/v1/events/{event_id}", json={"title": title},
                           headers={"Authorization": f"Bearer {token}"})
    if r.status_code != 200:
        raise SystemExit(f"the edit failed: {r.status_code} {r.text[:300]}")
    committed = time.monotonic()
    while time.monotonic() - committed < 10 * FRESH_LIMIT_S:
        sent = time.monotonic()
        items = (await client.get(app + QUERY)).json()["items"]
        if any(i["id"] == event_id and i["title"] == title for i in items):
            return sent - committed, committed - t0
        await asyncio.sleep(0.01)  # a poll interval: the condition is what is waited for
    return float("inf"), committed - t0


async def cached_round(url: str, script: str, seconds: int, app: str, token: str, event_id: int,
                       n: int) -> tuple[float, float, float]:
    """wrk on the query mix; one freshness probe a second into it. Returns (req/s, p99 ms, probe seconds)."""
    load = asyncio.ensure_future(asyncio.to_thread(wrk, url, seconds, script))
    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.sleep(min(1.0, seconds / 3))  # the edit lands under load, not before it
        fresh, took = await freshness(client, app, token, event_id, n)
    rps, p99 = await load
    print(f"   edit answered in {took * 1000:.0f} ms (under the load); the first read sent after it "
          f"{'saw it' if fresh == 0 else f'saw it {fresh * 1000:.0f} ms later'}", flush=True)
    return rps, p99, fresh


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it with `apt-get install -y wrk` (Debian/Ubuntu) and run again")
    asyncio.run(run())


async def run() -> None:
    procs: list[subprocess.Popen[bytes]] = []
    async with scratch('enabled = ["events"]\n', "events-feed", remove_folder=True) as s:
        dsn = s.db_url
        env = {**os.environ, "SBOR_HTTP_RATE_LIMIT": "1000000000", "SBOR_DATABASE_POOL_MIN": "10",
               "SBOR_DATABASE_POOL_MAX": "10", "BENCH_DSN": dsn, "PYTHONPATH": str(ROOT)}
        try:
            await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, env=env,
                                    check=True)
            await fill(dsn)
            print(await explain(dsn), flush=True)
            port, cport, bport = free_port(), free_port(), free_port()
            uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log", "--log-level",
                       "warning"]
            app_cmd = [*uvicorn, "--factory", "core.app:asgi"]
            procs.append(serve([*app_cmd, "--port", str(port)], {**env, "SBOR_REDIS_CACHE_TTL_S": "0"}))
            procs.append(serve([*app_cmd, "--port", str(cport)], env))
            procs.append(serve([*uvicorn, "--port", str(bport), "bench._events_feed_baseline:app"], env))
            wait_ready(port, QUERY, procs[0])
            wait_ready(cport, QUERY, procs[1])
            wait_ready(bport, BASELINE_QUERY, procs[2])
            app_url, base_url = f"http://127.0.0.1:{port}{QUERY}", f"http://127.0.0.1:{bport}{BASELINE_QUERY}"
            cached_app = f"http://127.0.0.1:{cport}"
            script = zipf_script(s.folder, popular_queries())
            for url in (app_url, base_url, cached_app + QUERY):  # warm-up: pools filled, statements prepared
                await asyncio.to_thread(subprocess.run, ["wrk", "-t2", "-c16", "-d2s", url], check=True,
                                        capture_output=True)
            await asyncio.to_thread(subprocess.run, ["wrk", "-t2", "-c16", "-d3s", "-s", script, cached_app + "/"],
                                    check=True, capture_output=True)  # a serving cache is warm: the mix once
            async with httpx.AsyncClient(timeout=10) as client:
                first = (await client.get(cached_app + QUERY)).json()["items"]
            probe_id = int(first[len(first) // 2]["id"])
            token = await author_token(dsn, probe_id)
            seconds = max(1, round(DURATION_S / ROUNDS))
            app_runs, base_runs, cached_runs, fresh = [], [], [], []
            for i in range(ROUNDS):
                print(f"== round {i + 1}/{ROUNDS}: Sbor app, cache off (uvicorn, full middleware stack) ==", flush=True)
                app_runs.append(wrk(app_url, seconds))
                print(f"== round {i + 1}/{ROUNDS}: baseline (bare Litestar + raw asyncpg, same SQL) ==", flush=True)
                base_runs.append(wrk(base_url, seconds))
                print(f"== round {i + 1}/{ROUNDS}: Sbor app, read cache, Zipf query mix + an edit ==", flush=True)
                rps_c, p99_c, fresh_s = await cached_round(cached_app + "/", script, seconds, cached_app, token,
                                                           probe_id, i)
                cached_runs.append((rps_c, p99_c))
                fresh.append(fresh_s)
        finally:
            for p in procs:
                stop(p)
    rps, p99 = sum(r for r, _ in app_runs) / ROUNDS, max(p for _, p in app_runs)
    brps, bp99 = sum(r for r, _ in base_runs) / ROUNDS, max(p for _, p in base_runs)
    crps, cp99 = sum(r for r, _ in cached_runs) / ROUNDS, max(p for _, p in cached_runs)
    print(f"app: {rps:.0f} req/s, p99 {p99:.1f} ms; baseline: {brps:.0f} req/s, p99 {bp99:.1f} ms", flush=True)
    print(f"cached app (mix): {crps:.0f} req/s ({crps / brps:.2f}x the baseline), p99 {cp99:.1f} ms; "
          f"edits visible within {max(fresh) * 1000:.0f} ms (limit {FRESH_LIMIT_S * 1000:.0f} ms)", flush=True)
    print(json.dumps({"bench": "events_feed", "rps": round(rps, 1), "baseline_rps": round(brps, 1),
                      "ratio": round(rps / brps, 3), "p99_ms": round(p99, 2), "baseline_p99_ms": round(bp99, 2),
                      "cached_rps": round(crps, 1), "cached_ratio": round(crps / brps, 3),
                      "cached_p99_ms": round(cp99, 2), "fresh_within_s": round(max(fresh), 3)}))


if __name__ == "__main__":
    main()
