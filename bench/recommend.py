"""Benchmark: offline evaluation of "for you" against a popularity-only baseline and random, and the feed's p99.

Run with ``python3 manage.py bench recommend [--events N] [--users M] [--sample K]``. Builds its own database with N
upcoming events (default 100 000) in search's index over nine cities and 24 tags, and M synthetic users (default
10 000), each with hidden preferences (a home, two or three tags, a taste for popular events). Each user's history
is a dozen past events chosen by those preferences (what "for you" learns from: the signals table, one profile
interest for half of them); their next joins, among the upcoming events, are held out. For K sampled users the real
feed (``plugins.search.recommend.ranked``) is compared with the held-out joins: precision@10 and NDCG@10, beside the
most popular events overall and random events, in the same run. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CITIES = [(55.7558, 37.6173, 30), (59.9343, 30.3351, 15), (55.0084, 82.9357, 6), (56.8389, 60.6057, 6),
          (55.7963, 49.1088, 5), (52.52, 13.405, 8), (53.1959, 50.1002, 4), (54.9885, 73.3242, 4),
          (47.2357, 39.7015, 4)]
TAGS = ["jazz", "rock", "classical", "board-games", "quiz", "chess", "cinema", "theatre", "yoga", "running",
        "football", "painting", "photo", "python", "startups", "design", "wine", "coffee", "cooking", "books",
        "poetry", "history", "dance", "kids"]
CATEGORIES = ["concert", "meetup", "workshop", "party", "lecture", "screening"]
HISTORY, HELD_OUT = 12, 5


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111.045
    dlng = (a[1] - b[1]) * 111.045 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlng)


class World:
    """Events, users with hidden preferences, their past joins (history) and their next joins (held out)."""

    def __init__(self, events: int, users: int, seed: int = 7) -> None:
        rnd = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.events = []  # (id, tags, category, city, lat, lng, starts_at, popularity)
        self.by_city_tag: dict[tuple[int, str], list[int]] = {}
        for i in range(1, events + 1):
            c = rnd.choices(range(len(CITIES)), weights=[x[2] for x in CITIES])[0]
            lat, lng = CITIES[c][0] + rnd.gauss(0, 0.08), CITIES[c][1] + rnd.gauss(0, 0.12)
            tags = rnd.sample(TAGS, rnd.randint(1, 3))
            popularity = int(rnd.paretovariate(1.3)) - 1  # most events small, a few very popular
            starts = self.now + timedelta(hours=rnd.uniform(2, 24 * 45))
            self.events.append((i, tags, rnd.choice(CATEGORIES), c, lat, lng, starts, min(popularity, 500)))
            for t in tags:
                self.by_city_tag.setdefault((c, t), []).append(i - 1)
        static = [math.log(2 + e[7]) * math.exp(-(e[6] - self.now).days / 30.0) for e in self.events]
        self.users = []  # (id, city, home, tags, profile interest or None)
        self.history: list[tuple[int, list[str], str, datetime, float]] = []  # user, tags, category, at, strength
        self.held_out: dict[int, set[int]] = {}
        for u in range(1, users + 1):
            c = rnd.choices(range(len(CITIES)), weights=[x[2] for x in CITIES])[0]
            home = (CITIES[c][0] + rnd.gauss(0, 0.06), CITIES[c][1] + rnd.gauss(0, 0.09))
            likes = rnd.sample(TAGS, rnd.randint(2, 3))
            interest = likes[0] if rnd.random() < 0.5 else None
            self.users.append((u, c, home, likes, interest))
            for _ in range(HISTORY):  # past events: the tags they chose (mostly liked ones), fading with age
                tags = [rnd.choice(likes)] + ([rnd.choice(TAGS)] if rnd.random() < 0.5 else [])
                if rnd.random() < 0.15:
                    tags = [rnd.choice(TAGS)]
                self.history.append((u, tags, rnd.choice(CATEGORIES), self.now - timedelta(days=rnd.uniform(3, 200)),
                                     3.0))
            pool = {i for t in likes for i in self.by_city_tag.get((c, t), [])}
            weighted = []
            liked = set(likes)
            coslat = math.cos(math.radians(home[0]))
            for i in pool:  # the hidden preference: liked tags, close to home, popular, soon (km() inlined: hot)
                e = self.events[i]
                match = len(liked.intersection(e[1]))
                d = math.hypot((home[0] - e[4]) * 111.045, (home[1] - e[5]) * 111.045 * coslat)
                weighted.append((i, match * math.exp(-d / 8.0) * static[i]))
            chosen: set[int] = set()
            if weighted:
                ids, weights = zip(*weighted, strict=True)
                cumulative = list(itertools.accumulate(weights))  # what choices(weights=) builds on every call
                while len(chosen) < min(HELD_OUT, len(ids)):
                    chosen.add(self.events[rnd.choices(ids, cum_weights=cumulative)[0]][0])
            self.held_out[u] = chosen


async def fill(dsn: str, w: World) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        t0 = time.monotonic()
        await conn.copy_records_to_table(
            "account", schema_name="users",
            columns=["email", "display_name", "status", "is_verified", "created_at", "interests", "home_lat",
                     "home_lon"],
            records=[(f"u{u}@example.org", f"User {u}", "active", True, w.now, [i] if i else [], h[0], h[1])
                     for u, _c, h, _l, i in w.users])
        await conn.copy_records_to_table(
            "event_doc", schema_name="search",
            columns=["event_id", "title", "description", "tags", "category", "city", "author_id", "starts_at",
                     "ends_at", "timezone", "latitude", "longitude", "online", "joined", "indexed_at"],
            records=[(e[0], f"Event {e[0]}", "", e[1], e[2], f"City {e[3]}", 1 + e[0] % 500, e[6],
                      e[6] + timedelta(hours=2), "UTC", e[4], e[5], False, e[7], w.now) for e in w.events])
        await conn.copy_records_to_table(
            "signal", schema_name="search",
            columns=["user_id", "event_id", "kind", "tags", "category", "strength", "at"],
            records=[(u, 10_000_000 + n, "joined", tags, cat, s, at) for n, (u, tags, cat, at, s) in
                     enumerate(w.history)])
        await conn.execute("VACUUM ANALYZE")
        print(f"filled {len(w.events)} events, {len(w.users)} users, {len(w.history)} past joins "
              f"in {time.monotonic() - t0:.1f} s", flush=True)
    finally:
        await conn.close()


def precision(ranked: list[int], relevant: set[int]) -> float:
    return sum(1 for i in ranked[:10] if i in relevant) / 10.0


def ndcg(ranked: list[int], relevant: set[int]) -> float:
    dcg = sum(1.0 / math.log2(k + 2) for k, i in enumerate(ranked[:10]) if i in relevant)
    ideal = sum(1.0 / math.log2(k + 2) for k in range(min(10, len(relevant))))
    return dcg / ideal if ideal else 0.0


async def evaluate(env: dict[str, str], w: World, sample: int) -> dict[str, float]:
    os.environ.update(env)
    from core import db, settings
    from core.hooks.manager import load
    from plugins.search import recommend

    settings.reload()
    db.reset_engine()
    load()
    await db.start_pool()
    rnd = random.Random(3)
    try:
        users = [u for u in rnd.sample(w.users, min(sample, len(w.users))) if w.held_out[u[0]]]
        by_popularity = sorted(w.events, key=lambda e: (-e[7], e[0]))
        popular = [e[0] for e in by_popularity[:10]]
        # a stronger baseline beside the issue's: the most popular events of the user's own city
        local = {c: [e[0] for e in by_popularity if e[3] == c][:10] for c in range(len(CITIES))}
        keys = ("p", "n", "pop_p", "pop_n", "local_p", "local_n", "rnd_p", "rnd_n")
        scores: dict[str, list[float]] = {k: [] for k in keys}
        took = []
        for u, *_ in users[:5]:  # warm-up: prepared statements, caches
            await recommend.ranked(u, now=w.now)
        for u, city, *_ in users:
            t0 = time.perf_counter()
            feed = [i.event.id for i in await recommend.ranked(u, now=w.now, depth=10)]
            took.append((time.perf_counter() - t0) * 1000)
            relevant = w.held_out[u]
            randoms = [e[0] for e in rnd.sample(w.events, 10)]
            scores["p"].append(precision(feed, relevant))
            scores["n"].append(ndcg(feed, relevant))
            scores["pop_p"].append(precision(popular, relevant))
            scores["pop_n"].append(ndcg(popular, relevant))
            scores["local_p"].append(precision(local[city], relevant))
            scores["local_n"].append(ndcg(local[city], relevant))
            scores["rnd_p"].append(precision(randoms, relevant))
            scores["rnd_n"].append(ndcg(randoms, relevant))
        took.sort()
        out = {k: statistics.mean(v) for k, v in scores.items()}
        out["p99"] = took[min(len(took) - 1, int(len(took) * 0.99))]
        out["p50"] = took[len(took) // 2]
        out["users"] = len(users)
        return out
    finally:
        await db.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=400, help="users evaluated (the feed is computed for each)")
    args = parser.parse_args()
    base = os.environ.get("SBOR_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    name = f"sbor_bench_recommend_{uuid.uuid4().hex[:8]}"
    dsn = with_db(base, name)

    async def admin(sql: str) -> None:
        c = await asyncpg.connect(base)
        try:
            await c.execute(sql)
        finally:
            await c.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    tmp = Path(tempfile.mkdtemp(prefix="sbor-bench-recommend-"))
    try:
        plugins_file = tmp / "plugins.toml"
        plugins_file.write_text('enabled = ["events", "search"]\n')
        env = {**os.environ, "SBOR_DATABASE_URL": dsn, "SBOR_PLUGINS_FILE": str(plugins_file),
               "SBOR_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        t0 = time.monotonic()
        world = World(args.events, args.users)
        print(f"world built in {time.monotonic() - t0:.1f} s: {sum(map(len, world.held_out.values()))} held-out "
              f"joins", flush=True)
        asyncio.run(fill(dsn, world))
        r = asyncio.run(evaluate(env, world, args.sample))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"{r['users']} users evaluated on {args.events} events / {args.users} users: "
          f"for you P@10 {r['p']:.4f} NDCG@10 {r['n']:.4f}; popularity P@10 {r['pop_p']:.4f} NDCG@10 "
          f"{r['pop_n']:.4f}; popular in the user's city P@10 {r['local_p']:.4f}; random P@10 {r['rnd_p']:.4f}; "
          f"feed p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms",
          flush=True)
    print(json.dumps({"bench": "recommend", "precision_at_10": round(r["p"], 4),
                      "popularity_precision_at_10": round(r["pop_p"], 4),
                      "random_precision_at_10": round(r["rnd_p"], 4), "ndcg_at_10": round(r["n"], 4),
                      "feed_p99_ms": round(r["p99"], 1), "popularity_ndcg_at_10": round(r["pop_n"], 4),
                      "city_popularity_precision_at_10": round(r["local_p"], 4), "feed_p50_ms": round(r["p50"], 1),
                      "events": args.events, "users": args.users, "evaluated_users": r["users"],
                      "load_1m": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
