"""Benchmark: 1 000 000 client events through ``POST /api/v1/analytics/events`` in batches of 100.

Starts its own database (on the configured PostgreSQL server), an API server (uvicorn, a free loopback port) and a
worker (the stream consumer and the rollups), then posts batches with ``--concurrency`` requests in flight, and
waits until the admins' dashboard counts every accepted event. Ends with one JSON line:
``{"bench": "analytics_ingest", "events_per_s": …, "lag_s": …, "lost": …}``.

    python3 manage.py bench analytics_ingest [COUNT]
    python3 manage.py bench analytics_ingest -- [--events 1000000] [--concurrency 32] [--timeout 900]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def admin_token(env: dict[str, str]) -> str:
    """An admin account in the bench database and a token for it (the dashboard needs ``analytics.view``)."""
    os.environ.update(env)
    from core import db, settings
    from core.auth.services import open_session
    from core.users import services as users
    from core.users.tables import User

    settings.reload()
    db.reset_engine()
    await db.start_pool()
    try:
        row = User(email=f"bench-{uuid.uuid4().hex[:6]}@example.org", display_name="Bench", is_verified=True)
        await row.save()
        await users.grant_role(row.id, "admin")
        _sid, token = await open_session(row.id, device="bench")
        return token
    finally:
        await db.close_pool()


def make_bodies(count: int, batch: int, devices: int, events: int) -> list[bytes]:
    now = datetime.now(UTC).isoformat()
    out = []
    rng = random.Random(7)
    for start in range(0, count, batch):
        n = min(batch, count - start)
        evs = [{"id": str(uuid.uuid4()), "name": "event_viewed", "occurred_at": now,
                "event_id": rng.randint(1, events), "props": {"source": "feed"}} for _ in range(n)]
        out.append(msgspec.json.encode({"device_id": f"bench-device-{rng.randint(1, devices):06d}", "events": evs}))
    return out


async def load(base: str, bodies: list[bytes], concurrency: int) -> tuple[int, dict[int | str, int], float]:
    """Post every body with ``concurrency`` requests in flight; return (accepted events, statuses, seconds)."""
    statuses: dict[int | str, int] = {}
    accepted = 0
    queue = iter(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal accepted
            for body in queue:
                for attempt in range(5):
                    try:
                        r = await client.post("/api/v1/analytics/events", content=body,
                                              headers={"content-type": "application/json"})
                    except httpx.TransportError as exc:
                        # Resending is safe: events are idempotent by id, the dashboard counts each once.
                        key = type(exc).__name__
                        statuses[key] = statuses.get(key, 0) + 1
                        await asyncio.sleep(0.2 * (attempt + 1))
                        continue
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    if r.status_code == 202:
                        accepted += r.json()["accepted"]
                        break
                    await asyncio.sleep(0.2 * (attempt + 1))

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return accepted, statuses, time.monotonic() - started


async def shown(base: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.get("/api/v1/analytics/platform/dashboard", headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        return int(r.json()["client_events"])


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the API server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the API server did not become healthy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, help="events to send (same as --events)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--event-ids", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the dashboard")
    args = parser.parse_args()
    if args.count:
        args.events = args.count

    base_db = os.environ.get("SBOR_DATABASE_URL") or DEFAULT_DB
    name = f"sbor_bench_{uuid.uuid4().hex[:8]}"
    plugins_file = Path(tempfile.mkdtemp()) / "plugins.toml"
    plugins_file.write_text('enabled = ["events", "analytics"]\n')
    port = free_port()
    env = {
        **os.environ,
        "SBOR_DATABASE_URL": with_database(base_db, name),
        "SBOR_REDIS_URL": os.environ.get("SBOR_REDIS_URL") or DEFAULT_REDIS,
        "SBOR_PLUGINS_FILE": str(plugins_file),
        "SBOR_JOBS_NAMESPACE": f"bench-{name[-8:]}",
        "SBOR_HTTP_RATE_LIMIT": "1000000000",
        "SBOR_DATABASE_POOL_MAX": "20",
        "SBOR_LOG_LEVEL": "WARNING",
    }
    py = sys.executable
    procs: list[subprocess.Popen[bytes]] = []

    async def create_db() -> None:
        conn = await asyncpg.connect(base_db)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop_db() -> None:
        conn = await asyncpg.connect(base_db)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create_db())
    try:
        subprocess.check_call([py, "-m", "core.cli", "migrate"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        procs.append(subprocess.Popen([py, "-m", "uvicorn", "core.app:asgi", "--factory", "--host", "127.0.0.1",
                                       "--port", str(port), "--no-access-log", "--log-level", "warning"],
                                      cwd=ROOT, env=env))
        procs.append(subprocess.Popen([py, "-m", "core.cli", "worker", "--processes", "1"], cwd=ROOT, env=env))
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, procs[0])
        token = asyncio.run(admin_token(env))
        print(f"preparing {args.events} events in batches of {args.batch} ...", flush=True)
        bodies = make_bodies(args.events, args.batch, args.devices, args.event_ids)
        print(f"posting with {args.concurrency} requests in flight to {base} ...", flush=True)
        accepted, statuses, elapsed = asyncio.run(load(base, bodies, args.concurrency))
        done_at = time.monotonic()
        rate = accepted / elapsed if elapsed else 0.0
        print(f"accepted {accepted} events in {elapsed:.1f} s ({rate:,.0f} events/s, "
              f"{len(bodies) / elapsed:,.0f} requests/s); statuses {statuses}", flush=True)
        seen = 0
        while time.monotonic() - done_at < args.timeout:
            seen = asyncio.run(shown(base, token))
            if seen >= accepted:
                break
            time.sleep(0.5)
        lag = time.monotonic() - done_at
        print(f"dashboard shows {seen} events {lag:.1f} s after the last request", flush=True)
        print(json.dumps({"bench": "analytics_ingest", "events_per_s": round(rate), "lag_s": round(lag, 1),
                          "lost": accepted - seen, "events": args.events, "accepted": accepted,
                          "requests_per_s": round(len(bodies) / elapsed), "concurrency": args.concurrency}))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        asyncio.run(drop_db())
        import redis

        client = redis.Redis.from_url(env["SBOR_REDIS_URL"])
        keys = list(client.scan_iter(match=f"{env['SBOR_JOBS_NAMESPACE']}*"))
        if keys:
            client.delete(*keys)


if __name__ == "__main__":
    main()
