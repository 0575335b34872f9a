"""Shared pieces of the benchmarks: free ports, servers in subprocesses, wrk runs, the closing JSON line."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Wait until ``url`` answers (any status)."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def server(args: list[str], port: int, env: dict[str, str] | None = None,
           health: str = "/health") -> Iterator[subprocess.Popen[bytes]]:
    """Run ``python args...`` (an ASGI server) until the block ends; wait until it answers ``health``."""
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_http(f"http://127.0.0.1:{port}{health}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def uvicorn_args(app: str, port: int, factory: bool = False) -> list[str]:
    """Arguments to serve ``app`` with uvicorn on the loopback port, without access logs."""
    args = ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            "--log-level", "warning"]
    return [*args, "--factory"] if factory else args


def need_wrk() -> str:
    """Path of wrk, or exit with how to get it."""
    path = shutil.which("wrk")
    if not path:
        sys.exit("wrk is missing: install it with `apt-get install -y wrk` (Debian's package), then run again")
    return path


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, *, connections: int = 64, threads: int = 2, seconds: int = 10,
        script: str | None = None) -> dict[str, float]:
    """Run wrk against ``url``; return requests/s, p99 latency (ms) and error counts."""
    cmd = [need_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": rps,
        "p99_ms": p99,
        "non_2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "socket_errors": float(sum(int(x) for x in errors.groups())) if errors else 0.0,
    }


def report(name: str, figures: dict[str, Any]) -> None:
    """Print the closing JSON line every benchmark ends with."""
    print(json.dumps({"bench": name, **figures}))
