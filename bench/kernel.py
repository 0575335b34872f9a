"""Kernel overhead: Sbor's full API stack (plugins, middleware, rate limit in Redis) vs a bare Litestar endpoint.

Both serve a small JSON document on one uvicorn process; wrk measures them in the same run (ratios, not absolute
times: the machine is shared). Run with ``python3 manage.py bench kernel``.
"""

from __future__ import annotations

import os
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


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
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
        port = free_port()
        with server(uvicorn_args("bare_app:app", port), port, env):
            bare = wrk(f"http://127.0.0.1:{port}/api/v1/capabilities", seconds=seconds)
        port = free_port()
        with server(uvicorn_args("core.app:asgi", port, factory=True), port, env):
            sbor = wrk(f"http://127.0.0.1:{port}/api/v1/capabilities", seconds=seconds)
    print(f"bare Litestar : {bare['rps']:9.0f} req/s  p99 {bare['p99_ms']:.1f} ms")
    print(f"Sbor API stack: {sbor['rps']:9.0f} req/s  p99 {sbor['p99_ms']:.1f} ms  (non-2xx {sbor['non_2xx']:.0f})")
    report("kernel", {"rps": round(sbor["rps"]), "baseline_rps": round(bare["rps"]),
                      "ratio": round(sbor["rps"] / bare["rps"], 3), "p99_ms": round(sbor["p99_ms"], 1),
                      "baseline_p99_ms": round(bare["p99_ms"], 1)})


if __name__ == "__main__":
    main()
