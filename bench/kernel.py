"""Kernel overhead: Sbor's full API stack (plugins, middleware, rate limit in Redis) vs a bare Litestar endpoint.

Both serve a small JSON document on one uvicorn process; wrk measures them in alternating rounds of the same run
(ratios, not absolute times: the machine is shared). Run with ``python3 manage.py bench kernel [seconds]`` (20 by
default); the JSON line adds ``p99_ratio`` (Sbor's p99 over bare Litestar's).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile

from _common import free_port, report, server, uvicorn_args, wrk

BARE = '''
from litestar import Litestar, get

@get("/health")
async def health() -> dict:
    return {"status": "ok"}

@get("/api/v1/capabilities")
async def caps() -> dict:
    return {"core_version": "0.1.0", "api_version": "v1", "plugins": []}

app = Litestar([health, caps])
'''


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))  # a p99 of a few seconds is noisy: the median of five


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    per_round = max(2, round(seconds / ROUNDS))
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "bare_app.py"), "w") as fh:
            fh.write(BARE)
        plugins = os.path.join(tmp, "plugins.toml")
        with open(plugins, "w") as fh:
            fh.write("enabled = []\n")
        # BENCH_RATE_LIMIT=0 measures the stack without the per-address limit.
        limit = os.environ.get("BENCH_RATE_LIMIT", "100000000")
        env = {"PYTHONPATH": tmp, "SBOR_PLUGINS_FILE": plugins, "SBOR_HTTP_RATE_LIMIT": limit,
               "SBOR_LOG_LEVEL": "WARNING"}
        bport, sport = free_port(), free_port()
        # Both servers run throughout; rounds alternate (bare, Sbor, bare, …) so a burst of load from elsewhere on the
        # shared machine hits both alike. Figures: mean req/s and the median round's p99 of each.
        with server(uvicorn_args("bare_app:app", bport), bport, env), \
                server(uvicorn_args("core.app:asgi", sport, factory=True), sport, env):
            for port in (bport, sport):  # warm-up: connections, first-request paths, the GC's first passes
                wrk(f"http://127.0.0.1:{port}/api/v1/capabilities", seconds=2)
            bares, sbors = [], []
            for i in range(ROUNDS):
                bares.append(wrk(f"http://127.0.0.1:{bport}/api/v1/capabilities", seconds=per_round))
                sbors.append(wrk(f"http://127.0.0.1:{sport}/api/v1/capabilities", seconds=per_round))
                print(f"round {i + 1}/{ROUNDS}: bare {bares[-1]['rps']:.0f} req/s p99 {bares[-1]['p99_ms']:.1f} ms; "
                      f"Sbor {sbors[-1]['rps']:.0f} req/s p99 {sbors[-1]['p99_ms']:.1f} ms", flush=True)
    bare = {"rps": statistics.mean(r["rps"] for r in bares), "p99_ms": statistics.median(r["p99_ms"] for r in bares)}
    sbor = {"rps": statistics.mean(r["rps"] for r in sbors), "p99_ms": statistics.median(r["p99_ms"] for r in sbors),
            "non_2xx": sum(r["non_2xx"] for r in sbors)}
    print(f"bare Litestar : {bare['rps']:9.0f} req/s  p99 {bare['p99_ms']:.1f} ms")
    print(f"Sbor API stack: {sbor['rps']:9.0f} req/s  p99 {sbor['p99_ms']:.1f} ms  (non-2xx {sbor['non_2xx']:.0f})")
    report("kernel", {"rps": round(sbor["rps"]), "baseline_rps": round(bare["rps"]),
                      "ratio": round(sbor["rps"] / bare["rps"], 3), "p99_ms": round(sbor["p99_ms"], 1),
                      "baseline_p99_ms": round(bare["p99_ms"], 1),
                      "p99_ratio": round(sbor["p99_ms"] / bare["p99_ms"], 2)})


if __name__ == "__main__":
    main()
