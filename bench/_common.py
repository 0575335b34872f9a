"""Shared pieces of the benchmarks: free ports, servers in subprocesses, wrk runs, the closing JSON line."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


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
    """Run ``python args...`` (an ASGI server) until the block ends; wait until it answers ``health``.

    Its output goes to a file that nothing has to drain (a pipe nobody read blocked a server once 64 KB of warnings
    had piled up: bench support's p99 of seconds); the file's last lines are printed if the server fails to start
    or exits during the block.
    """
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **(env or {})},
                                stdout=subprocess.DEVNULL, stderr=log)
        try:
            try:
                wait_http(f"http://127.0.0.1:{port}{health}")
            except Exception:
                print(_tail(log), file=sys.stderr)
                raise
            yield proc
            if proc.poll() is not None:
                print(f"server {' '.join(args)} exited with {proc.returncode}:\n{_tail(log)}", file=sys.stderr)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _tail(log: IO[bytes], lines: int = 40) -> str:
    """The last ``lines`` lines written to ``log``."""
    log.seek(0)
    return b"\n".join(log.read().splitlines()[-lines:]).decode(errors="replace")


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


@dataclass(frozen=True)
class Scratch:
    """A throwaway set-up: its database, Redis namespace, temporary folder and the variables it exported.

    ``base_url`` is the configured database URL the scratch ``database`` (at ``db_url``) was made next to.
    """

    base_url: str
    database: str
    db_url: str
    redis_url: str
    namespace: str
    folder: Path
    plugins: Path
    env: dict[str, str]


async def _drop_database(base: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def scratch(plugins_toml: str | Callable[[Path], str], prefix: str, env: dict[str, str] | None = None,
                  *, remove_folder: bool = False) -> AsyncIterator[Scratch]:
    """A fresh PostgreSQL database beside ``SBOR_DATABASE_URL``, a private Redis namespace, a temporary folder.

    Writes ``plugins_toml`` (or what it returns for the folder) to ``<folder>/plugins.toml`` and exports
    ``SBOR_DATABASE_URL``, ``SBOR_REDIS_URL``, ``SBOR_PLUGINS_FILE``, ``SBOR_JOBS_NAMESPACE``,
    ``SBOR_LOG_LEVEL=WARNING`` and then ``env`` into ``os.environ`` (they stay there). On the way out, even after an
    error: deletes the namespace's Redis keys and drops the database (``WITH (FORCE)``); the folder is kept (logs
    stay readable) unless ``remove_folder``.
    """
    import asyncpg
    import redis

    base = os.environ.get("SBOR_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("SBOR_REDIS_URL") or DEFAULT_REDIS_URL
    name = f"sbor_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    folder = Path(tempfile.mkdtemp(prefix=f"sbor-bench-{prefix}-"))
    namespace = f"sborbench{uuid.uuid4().hex[:6]}"
    s = Scratch(base, name, urlunsplit(urlsplit(base)._replace(path=f"/{name}")), redis_url, namespace, folder,
                folder / "plugins.toml", {})
    try:
        s.plugins.write_text(plugins_toml(folder) if callable(plugins_toml) else plugins_toml)
        s.env.update({"SBOR_DATABASE_URL": s.db_url, "SBOR_REDIS_URL": redis_url, "SBOR_PLUGINS_FILE": str(s.plugins),
                      "SBOR_JOBS_NAMESPACE": namespace, "SBOR_LOG_LEVEL": "WARNING", **(env or {})})
        os.environ.update(s.env)
        yield s
    finally:
        try:
            r = redis.Redis.from_url(redis_url)
            try:
                keys = list(r.scan_iter(match=f"{namespace}*"))
                if keys:
                    r.delete(*keys)
            finally:
                r.close()
        finally:
            # Shielded: a cancel pending from a second Ctrl-C would land on the first await and leave the database.
            drop = asyncio.ensure_future(_drop_database(base, name))
            try:
                await asyncio.shield(drop)
            except asyncio.CancelledError:
                await drop
                raise
                if remove_folder:
                    shutil.rmtree(folder, ignore_errors=True)
