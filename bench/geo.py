"""Benchmark: 10 000 geocoding requests (70 % repeats) through geo vs the same requests straight to the vendor.

Run with ``python3 manage.py bench geo``. A stand-in of Nominatim runs in a process of its own and answers every
request after 50 ms (``plugins.geo.standin``). The same sequence of 10 000 addresses — 3 000 distinct, 7 000 repeats
of addresses already asked, people asking for the same places — is sent 64 at a time:

* through geo (``plugins.geo.service.geocode``: validation, the Redis cache, rate and budget counters, the circuit,
  the timeout, answer validation), counting the cache hits and the calls that reached the stand-in;
* straight to the stand-in with one httpx client and the same connection pool (what an app without geo would do).

Ends with one JSON line: ``{"bench": "geo", "rps", "baseline_rps", "p99_ms", "hit_rate", "provider_calls",
"errors", "baseline_errors"}``. A request geo could not answer (503 ``maps_unavailable``: on a loaded machine the
stand-in may take longer than the timeout, and five timeouts in a row open the circuit) is counted, not fatal; the
first one's ``tried`` is printed. Both sides wait at most ``TIMEOUT_S`` for the stand-in.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SBOR_JOBS_NAMESPACE", f"bench-geo-{uuid.uuid4().hex[:8]}")

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10000"))
REPEAT_RATE = 0.7
CONCURRENCY = 64
DELAY_MS = 50.0
TIMEOUT_S = 10.0
STREETS = ["Тверская", "Арбат", "Новый Арбат", "Мясницкая", "Покровка", "Маросейка", "Пятницкая", "Большая Ордынка",
           "Лесная", "Бауманская", "Никольская", "Варварка", "Сретенка", "Петровка", "Неглинная"]


def sequence(n: int, repeat_rate: float, seed: int = 7) -> list[str]:
    """``n`` addresses: a new one with probability 1 - ``repeat_rate``, else one already asked (popular ones more)."""
    rng = random.Random(seed)
    seen: list[str] = []
    out: list[str] = []
    distinct = round(n * (1 - repeat_rate))
    for i in range(n):
        new_left, left = distinct - len(seen), n - i
        if not seen or rng.random() < new_left / left:
            seen.append(f"Москва, {rng.choice(STREETS)} улица, {len(seen) + 1}")
            out.append(seen[-1])
        else:
            out.append(seen[min(int(rng.paretovariate(1.2)) - 1, len(seen) - 1) if rng.random() < 0.5
                            else rng.randrange(len(seen))])
    return out


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


async def run(queries: list[str], ask: object) -> tuple[float, list[float]]:
    """Send ``queries`` ``CONCURRENCY`` at a time through ``ask``; returns (seconds, latencies)."""
    latencies: list[float] = []
    position = 0

    async def worker() -> None:
        nonlocal position
        while position < len(queries):
            q = queries[position]
            position += 1
            started = time.perf_counter()
            await ask(q)  # type: ignore[operator]
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, latencies


async def main(url: str) -> dict[str, float | int | str]:
    import httpx

    from core import cache
    from plugins.geo import GeoSettings, ProviderLimits
    from plugins.geo import service as geo
    from plugins.geo.broker import MapsUnavailable, Providers, Via
    from plugins.geo.providers.nominatim import Nominatim

    queries = sequence(REQUESTS, REPEAT_RATE)
    distinct = len(set(queries))
    provider = Nominatim(url, user_agent="Sbor-bench/0.1 (geo)", timeout_s=TIMEOUT_S)
    via = Via(Providers(by_name={"nominatim": provider}),
              GeoSettings(geocode=["nominatim"], providers={"nominatim": ProviderLimits(
                  per_second=100_000, daily_budget=10_000_000, cache_ttl_s=3600, timeout_s=TIMEOUT_S)}))
    hits = errors = base_errors = 0
    first_error: list[Any] = []

    async def through_geo(q: str) -> None:
        nonlocal hits, errors
        try:
            answer = await geo.geocode(q, lang="ru", limit=1, via=via)
        except MapsUnavailable as exc:
            errors += 1
            first_error[:] = first_error or [exc.extra.get("tried")]
            return
        hits += answer.cached

    # The same connection pool as geo's provider clients (plugins.geo.http.MAX_CONNECTIONS): one httpx client, as an
    # app calling the vendor directly would hold.
    from plugins.geo.http import MAX_CONNECTIONS

    limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=TIMEOUT_S,
                                 headers={"User-Agent": "Sbor-bench/0.1 (baseline)"}) as client:
        async def straight(q: str) -> None:
            nonlocal base_errors
            try:
                r = await client.get("/search", params={"q": q, "format": "jsonv2", "limit": 1,
                                                        "addressdetails": 1, "accept-language": "ru"})
                r.raise_for_status()
                r.json()
            except httpx.HTTPError:
                base_errors += 1

        await run(queries[:200], straight)  # warm up connections on both sides
        base_errors = 0
        base_s, base_lat = await run(queries, straight)
    calls_before = await _calls(url)
    geo_s, geo_lat = await run(queries, through_geo)
    provider_calls = await _calls(url) - calls_before
    await provider.aclose()
    redis = cache.client()
    async for key in redis.scan_iter(match=cache.key("*")):
        await redis.delete(key)
    await cache.close()
    print(f"requests: {len(queries)} ({distinct} distinct, {len(queries) - distinct} repeats), "
          f"{CONCURRENCY} at a time, stand-in answering in {DELAY_MS:.0f} ms")
    print(f"through geo:    {len(queries) / geo_s:8.0f} req/s  p99 {p99(geo_lat):7.1f} ms  "
          f"cache hits {hits} ({hits / len(queries):.1%})  calls reaching the stand-in {provider_calls}")
    print(f"straight:       {len(queries) / base_s:8.0f} req/s  p99 {p99(base_lat):7.1f} ms  "
          f"calls reaching the stand-in {len(queries)}")
    if errors or base_errors:
        print(f"unanswered: {errors} through geo (first: tried {first_error[0] if first_error else None}), "
              f"{base_errors} straight")
    return {"bench": "geo", "rps": round(len(queries) / geo_s, 1), "baseline_rps": round(len(queries) / base_s, 1),
            "p99_ms": round(p99(geo_lat), 1), "hit_rate": round(hits / len(queries), 4),
            "provider_calls": provider_calls, "errors": errors, "baseline_errors": base_errors}


async def _calls(url: str) -> int:
    """How many requests the stand-in has answered (its ``/_count`` endpoint)."""
    import httpx

    async with httpx.AsyncClient(base_url=url) as client:
        return int((await client.get("/_count")).json()["requests"])


if __name__ == "__main__":
    from bench._common import free_port

    port = free_port()
    standin = subprocess.Popen([sys.executable, "-m", "plugins.geo.standin", "--port", str(port),
                                "--delay-ms", str(DELAY_MS)], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert standin.stdout is not None
        base = standin.stdout.readline().decode().strip()
        result = asyncio.run(main(base))
    finally:
        standin.terminate()
        standin.wait(timeout=10)
    print(json.dumps(result))
