"""Benchmark: search on Typesense and on PostgreSQL side by side, indexing throughput, publication-to-search lag.

Run with ``python3 manage.py bench search [--events N]``. Creates its own database with N events (default 100 000)
over a dozen cities, starts a Typesense 0.24.1 of its own, builds both indexes (the reindex: events/s), serves the
real app twice (uvicorn; ``backend = "postgres"`` and ``backend = "typesense"``) and measures each with wrk on the
same query mix (plain words, typos, filters with facets, near me), in alternating rounds. Then it runs a real worker
(the ``search.apply`` job every second) and publishes events through the events services, timing until each is
found through the API. Ends with one JSON line.
"""

# ruff: noqa: RUF001  (Russian words are the point of this benchmark)
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DURATION_S = int(os.environ.get("BENCH_DURATION_S", "16"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = 32
WRK_TIMEOUT_S = 30  # wrk's default (2 s) would cap the p99 and hide slow answers as socket timeouts
CITIES = [("Moscow", 55.7558, 37.6173, 30), ("Saint Petersburg", 59.9343, 30.3351, 15), ("Novosibirsk", 55.0084,
          82.9357, 6), ("Yekaterinburg", 56.8389, 60.6057, 6), ("Kazan", 55.7963, 49.1088, 5), ("Berlin", 52.52,
          13.405, 8), ("Samara", 53.1959, 50.1002, 4), ("Omsk", 54.9885, 73.3242, 4), ("Rostov", 47.2357, 39.7015, 4)]
# Words people search for, in Russian and English; each event's title and description draw from them.
TOPICS = {
    "music": ["концерт", "джаз", "рок", "concert", "jazz", "orchestra"],
    "games": ["настольные", "игры", "квиз", "board", "games", "quiz"],
    "film": ["кино", "фильм", "показ", "film", "cinema", "screening"],
    "sport": ["йога", "бег", "футбол", "yoga", "running", "football"],
    "art": ["выставка", "живопись", "мастер-класс", "exhibition", "painting", "workshop"],
    "tech": ["митап", "python", "разработка", "meetup", "startup", "hackathon"],
    "food": ["дегустация", "ужин", "кофе", "tasting", "dinner", "coffee"],
    "books": ["книжный", "клуб", "лекция", "book", "club", "lecture"],
}
CATEGORIES = ["concert", "meetup", "workshop", "party", "lecture", "screening"]
QUERIES = [  # the mix: plain words, typos, filters with facets, near me (Moscow)
    "q=концерт", "q=jazz", "q=board%20games", "q=кино", "q=yoga", "q=python%20meetup", "q=лекция",
    "q=концрет", "q=jaz%20concrt", "q=hakathon", "q=выстака",
    "q=концерт&when=this_weekend&tz=Europe/Moscow&facets=category,tags,city,date,price",
    "q=games&category=meetup&price=free&facets=category,tags,date,online,seats",
    "city=Moscow&when=next_7_days&tz=Europe/Moscow&has_seats=true&facets=category,tags,price",
    "near=55.7558,37.6173&radius_km=5&sort=distance", "q=coffee&near=55.7558,37.6173&radius_km=10",
]


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def free_port() -> int:
    from bench._common import free_port as fp

    return fp()


async def fill(dsn: str, events: int) -> None:
    rnd = random.Random(19)
    conn = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        t0 = time.monotonic()
        await conn.copy_records_to_table(
            "account", schema_name="users", columns=["email", "display_name", "status", "is_verified", "created_at"],
            records=[(f"org{i}@example.org", f"Organiser {i}", "active", True, now) for i in range(2000)])
        users = [r["id"] for r in await conn.fetch("SELECT id FROM users.account")]
        venues = []
        for i in range(3000):
            city, lat, lng, _ = rnd.choices(CITIES, weights=[c[3] for c in CITIES])[0]
            venues.append((f"Venue {i}", f"Street {i}", city, lat + rnd.gauss(0, 0.08), lng + rnd.gauss(0, 0.12),
                           "Europe/Moscow", now))
        await conn.copy_records_to_table(
            "venue", schema_name="events",
            columns=["name", "address", "city", "latitude", "longitude", "timezone", "created_at"], records=venues)
        vrows = await conn.fetch("SELECT id, latitude, longitude FROM events.venue")
        records = []
        for i in range(events):
            tags = rnd.sample(list(TOPICS), rnd.randint(1, 2))
            words = [w for t in tags for w in rnd.sample(TOPICS[t], 2)]
            online = rnd.random() < 0.1
            v = None if online else rnd.choice(vrows)
            start = (now + timedelta(hours=rnd.uniform(1, 24 * 60))).replace(microsecond=0)
            cap = rnd.choice([None, 10, 30, 100])
            records.append((
                f"{words[0].capitalize()} {' '.join(words[1:3])} #{i}", f"{' '.join(words)}. Event number {i}.",
                tags, rnd.choice(CATEGORIES), start, start + timedelta(hours=rnd.choice([2, 3])), "Europe/Moscow",
                v["id"] if v else None, v["latitude"] if v else None, v["longitude"] if v else None,
                "https://meet.example.org/x" if online else None, cap,
                rnd.randint(0, cap) if cap else rnd.randint(0, 40),
                "", rnd.choice([None, 0, 0, 50000]), "public", uuid.uuid4().hex[:16], False, rnd.choice(users),
                "published", 1, now, now))
        await conn.copy_records_to_table(
            "event", schema_name="events",
            columns=["title", "description", "tags", "category", "starts_at", "ends_at", "timezone", "venue",
                     "latitude", "longitude", "online_url", "capacity", "seats_taken", "price_text", "price_cents",
                     "visibility", "share_key", "requires_approval", "author", "status", "version", "created_at",
                     "updated_at"], records=records)
        await conn.execute("VACUUM ANALYZE")
        print(f"filled {events} events in {time.monotonic() - t0:.1f} s", flush=True)
    finally:
        await conn.close()


async def build_indexes(env: dict[str, str]) -> dict[str, float]:
    """Both reindexes in this process (the same code as ``manage.py search reindex``): events per second."""
    os.environ.update(env)
    from core import db, settings
    from core.hooks.manager import load
    from plugins.search import reindex
    from plugins.search.backends import registry

    settings.reload()
    db.reset_engine()
    load()
    await db.start_pool()
    try:
        rates = {}
        for target in ("postgres", "typesense"):
            t0 = time.monotonic()
            report = await reindex.reindex(target, lambda n: None)
            took = time.monotonic() - t0
            rates[target] = report.events / took
            print(f"reindex {target}: {report.events} events in {took:.1f} s = {rates[target]:.0f} events/s "
                  f"(+{report.directory} venues/organisers)", flush=True)
        await registry.typesense().close()
        return rates
    finally:
        await db.close_pool()


def lua_script(path: Path) -> str:
    requests = ",\n".join(f'  "/api/v1/search/events?{quote(q, safe="=&,%:./_")}"' for q in QUERIES)
    path.write_text(f"local paths = {{\n{requests}\n}}\nlocal i = 0\n"
                    "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n")
    return str(path)


def wrk(url: str, script: str, seconds: int) -> tuple[float, float, int]:
    """Requests/s, p99 ms and failures (non-2xx: a Typesense error is a 503, not a quiet fallback; socket errors)."""
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT_S}s",
                          "--latency", "-s", script, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert m is not None
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(bad.group(1)) if bad else 0) + (sum(int(x) for x in errors.groups()) if errors else 0)
    if failed:
        print(f"  {failed} failed requests (non-2xx or socket errors): figures of an overloaded run", flush=True)
    return rps, p99, failed


def serve(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
           "--log-level", "warning", "--factory", "core.app:asgi"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


async def lag(env: dict[str, str], url: str, samples: int) -> list[float]:
    """Publish events through the services (a worker applies the outbox); time until each is found via the API."""
    import httpx

    from core import db
    from plugins.events import services

    await db.start_pool()
    try:
        rows = await db.fetch("SELECT id FROM users.account ORDER BY id LIMIT 2")
        author, moderator = services.Actor(rows[0]["id"]), rows[1]["id"]
        out = []
        async with httpx.AsyncClient(timeout=5) as client:
            for i in range(samples):
                word = f"lagprobe{uuid.uuid4().hex[:8]}"
                starts = datetime.now(UTC) + timedelta(days=2)
                event_id = await services.create_event(author, {
                    "title": f"Probe {word}", "starts_at": starts, "ends_at": starts + timedelta(hours=2),
                    "online_url": "https://meet.example.org/p", "timezone": "Europe/Moscow", "tags": ["tech"]})
                await services.submit(author, event_id)
                await services.approve(event_id, moderator)
                t0 = time.monotonic()
                while time.monotonic() - t0 < 30:
                    r = await client.get(f"{url}/api/v1/search/events?q={quote(word)}")
                    if r.status_code == 200 and r.json()["found"]:
                        break
                    await asyncio.sleep(0.02)
                out.append(time.monotonic() - t0)
                print(f"  lag sample {i + 1}: {out[-1]:.2f} s", flush=True)
                await asyncio.sleep(random.uniform(0, 1))  # land anywhere in the job's one-second period
        return out
    finally:
        await db.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--lag-samples", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it with `apt-get install -y wrk` and run again")
    base = os.environ.get("SBOR_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    name = f"sbor_bench_search_{uuid.uuid4().hex[:8]}"
    dsn = with_db(base, name)

    async def admin(sql: str) -> None:
        c = await asyncpg.connect(base)
        try:
            await c.execute(sql)
        finally:
            await c.close()

    from plugins.search import embedded as ts_server

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    tmp = Path(tempfile.mkdtemp(prefix="sbor-bench-search-"))
    procs: list[subprocess.Popen[bytes]] = []
    running = None
    try:
        t0 = time.monotonic()
        running = ts_server.start(tmp / "typesense")
        print(f"typesense: {running.label} in {time.monotonic() - t0:.2f} s", flush=True)
        files = {}
        for backend in ("postgres", "typesense"):
            files[backend] = tmp / f"plugins-{backend}.toml"
            # no fallback: a Typesense answer that fails or is late counts as a failure, never as PostgreSQL's
            files[backend].write_text(f'enabled = ["events", "search"]\n[settings.search]\nbackend = "{backend}"\n'
                                      'fallback = false\ntimeout_s = 20.0\n')
        env = {**os.environ, **running.env, "SBOR_DATABASE_URL": dsn, "SBOR_PLUGINS_FILE": str(files["typesense"]),
               "SBOR_LOG_LEVEL": "WARNING", "SBOR_HTTP_RATE_LIMIT": "1000000000", "SBOR_DATABASE_POOL_MIN": "8",
               "SBOR_DATABASE_POOL_MAX": "8", "PYTHONPATH": str(ROOT),
               "SBOR_JOBS_NAMESPACE": f"bench-search-{uuid.uuid4().hex[:6]}"}
        subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, env=env, check=True)
        asyncio.run(fill(dsn, args.events))
        rates = asyncio.run(build_indexes(env))
        ports = {b: free_port() for b in files}
        for b, port in ports.items():
            procs.append(serve(port, {**env, "SBOR_PLUGINS_FILE": str(files[b])}))
        urls = {b: f"http://127.0.0.1:{p}/api/v1/search/events" for b, p in ports.items()}
        for u, proc in zip(urls.values(), procs, strict=True):
            wait_ready(f"{u}?q=jazz", proc)
        script = lua_script(tmp / "mix.lua")
        for u in urls.values():  # warm-up: pools filled, statements prepared
            wrk(u, script, 2)
        seconds = max(1, round(DURATION_S / ROUNDS))
        runs: dict[str, list[tuple[float, float, int]]] = {b: [] for b in urls}
        for i in range(ROUNDS):
            for b, u in urls.items():
                runs[b].append(wrk(u, script, seconds))
                print(f"round {i + 1}/{ROUNDS} {b}: {runs[b][-1][0]:.0f} req/s, p99 {runs[b][-1][1]:.1f} ms",
                      flush=True)
        figures = {b: (statistics.mean(r for r, _, _ in v), max(p for _, p, _ in v), sum(f for _, _, f in v))
                   for b, v in runs.items()}
        worker = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--processes", "1", "--threads", "2"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        procs.append(worker)
        time.sleep(3)  # the worker boots and the scheduler takes its first tick
        os.environ.update(env)
        from core import settings

        settings.reload()
        samples = asyncio.run(lag(env, f"http://127.0.0.1:{ports['typesense']}", args.lag_samples))
    finally:
        for p in procs:
            stop(p)
        if running is not None:
            running.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    ts, pg = figures["typesense"], figures["postgres"]
    print(f"events: {args.events}; typesense {ts[0]:.0f} req/s p99 {ts[1]:.1f} ms; postgres {pg[0]:.0f} req/s p99 "
          f"{pg[1]:.1f} ms; index {rates['typesense']:.0f} events/s (postgres {rates['postgres']:.0f}); "
          f"lag median {statistics.median(samples):.2f} s, max {max(samples):.2f} s", flush=True)
    print(json.dumps({"bench": "search", "typesense_rps": round(ts[0], 1), "postgres_rps": round(pg[0], 1),
                      "typesense_p99_ms": round(ts[1], 1), "postgres_p99_ms": round(pg[1], 1),
                      "index_per_s": round(rates["typesense"], 1), "lag_s": round(statistics.median(samples), 3),
                      "events": args.events, "postgres_index_per_s": round(rates["postgres"], 1),
                      "lag_max_s": round(max(samples), 3), "typesense_failed": ts[2], "postgres_failed": pg[2],
                      "load_1m": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
