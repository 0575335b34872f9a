"""PostgreSQL: the Piccolo engine (primary + read replicas), its pools, read routing, transactions, raw fetches.

Reads that may be slightly stale (the feed, an event's detail, search) run inside :func:`reading`; everything else,
and everything inside a transaction, runs on the primary. See ``docs/replicas.md``. Migrations of the enabled plugins
are in :mod:`core.migrations`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.querystring import QueryString

from core.errors import ConfigError
from core.settings import get_settings

os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")
log = logging.getLogger("core.db")
T = TypeVar("T")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""HTTP methods after which the caller's reads stay on the primary a while (:func:`wrote`)."""
READ_YOUR_WRITES_OPT = "read_your_writes"
"""A route handler's ``opt`` key: False for writes that change nothing the caller reads back (analytics batches), so
frequent ones do not keep a user off the replicas."""
# A replica that cannot answer (down, shutting down, full, connection lost): skip it until a health check passes.
REPLICA_DOWN: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError, asyncpg.exceptions.InsufficientResourcesError,
)
# One statement the replica refused (a write slipped into reading(); a hot-standby conflict): that one goes to the
# primary, the replica stays in use.
REPLICA_REFUSED: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.ReadOnlySQLTransactionError, asyncpg.exceptions.SerializationError,
)
# How far behind a standby is. Caught up (it has replayed all the WAL the primary had written just before we asked):
# 0. Otherwise the age of the last transaction it replayed. Without the primary's position (it did not answer), caught
# up means: streaming, and everything received replayed. A replica that cannot prove it is current is not used.
PRIMARY_LSN_SQL = "SELECT pg_current_wal_lsn()::text AS lsn"
LAG_SQL = (
    "SELECT pg_is_in_recovery() AS standby, CASE WHEN $1::text IS NULL THEN "
    "COALESCE(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), false) "
    "AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) "
    "ELSE COALESCE(pg_last_wal_replay_lsn() >= $1::text::pg_lsn, false) END AS caught_up, "
    "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 AS since_replay"
)


class RoutingEngine(PostgresEngine):
    """The primary's engine: a statement inside :func:`reading` (and no transaction) runs on the chosen replica."""

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        """Run on the replica :func:`reading` chose, else (or when it fails) on the primary."""
        replica = _chosen.get()
        if not isinstance(replica, Replica) or self.current_transaction.get() is not None:
            return await super().run_querystring(querystring, in_pool)
        return await _on_replica(replica, lambda eng: eng.run_querystring(querystring, in_pool),
                                 lambda: super(RoutingEngine, self).run_querystring(querystring, in_pool))


@dataclass(eq=False)
class Replica:
    """A read replica's engine and what the last health check found."""

    name: str
    engine: PostgresEngine
    healthy: bool = False
    lag_s: float | None = None
    checked_at: float = -math.inf
    checking: bool = False
    error: str = ""


class _NotReading:
    """The state outside any :func:`reading` block (None inside one means: the primary)."""


_NOT_READING = _NotReading()
_chosen: ContextVar[Replica | _NotReading | None] = ContextVar("db_read_replica", default=_NOT_READING)
_stats: Counter[str] = Counter()
_round_robin = itertools.count()


@lru_cache(maxsize=1)
def engine() -> RoutingEngine:
    """Return the process's engine for the configured primary, with read replicas as extra nodes."""
    settings = get_settings().database
    if not settings.url:
        raise ConfigError("settings: database.url is empty (set SBOR_DATABASE_URL or start through manage.py)")
    # A replica that does not answer must not hold a request for long: connect timeout.
    replicas = {
        f"replica{i}": PostgresEngine(config={"dsn": url, "timeout": settings.replica_timeout_s}, log_queries=False)
        for i, url in enumerate(settings.replica_urls)
    }
    return RoutingEngine(config={"dsn": settings.url}, extra_nodes=replicas, log_queries=False)


@lru_cache(maxsize=1)
def replicas() -> list[Replica]:
    """The configured replicas with their health, in order (``replica0``, ``replica1``…)."""
    return [Replica(name, eng) for name, eng in engine().extra_nodes.items()]


def read_node() -> str | None:
    """Return the node name reads may go to (``query.run(node=read_node())``): a replica when configured.

    Prefer :func:`reading`, which skips replicas that are down or behind and keeps read-your-writes.
    """
    nodes = list(engine().extra_nodes)
    return nodes[0] if nodes else None


async def start_pool() -> bool:
    """Open the connection pools (primary and replicas); return False when they were already open.

    Without a pool every query opens a new connection (30x slower, and no warning). Replicas' pools open no
    connection up front, so a replica that is down does not stop start-up (its reads go to the primary).
    """
    settings = get_settings().database
    if engine().pool is not None:
        return False
    await engine().start_connection_pool(min_size=settings.pool_min, max_size=settings.pool_max, reset=_released)
    for eng in engine().extra_nodes.values():
        await eng.start_connection_pool(min_size=0, max_size=settings.pool_max, reset=_released)
    return True


async def _released(conn: Any) -> None:
    """A connection back in the pool: asyncpg has rolled back what was open; nothing else to undo, so no round trip.

    asyncpg's default reset runs ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on every release (a
    second round trip per checkout). Pooled connections here hold no session state: no SET (``SET LOCAL`` ends with
    its transaction), no LISTEN, and session advisory locks (migrations, search's reindex) take a connection of
    their own. Keep it so.
    """


async def close_pool() -> None:
    """Close the pools; safe to call when none is open."""
    for eng in [engine(), *engine().extra_nodes.values()]:
        if eng.pool is not None:
            await eng.close_connection_pool()


def reset_engine() -> None:
    """Forget the engine (after the settings changed, e.g. in tests); tables look it up lazily again."""
    engine.cache_clear()
    replicas.cache_clear()
    _stats.clear()
    conf = sys.modules.get("core.piccolo_conf")
    if conf is not None:  # Piccolo's engine_finder reads ``core.piccolo_conf.DB``: back to the lazy lookup of engine()
        vars(conf).pop("DB", None)
    from piccolo.table import Table

    for table in Table.__subclasses__():
        _unbind(table)


def _unbind(table: Any) -> None:
    table._meta._db = None
    for sub in table.__subclasses__():
        _unbind(sub)


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run raw SQL (``$1`` placeholders) and return rows as dicts; for hot paths and admin tools.

    On the primary; inside :func:`reading` (and outside a transaction) on the replica it chose.
    """
    replica = _chosen.get()
    if isinstance(replica, Replica) and current_transaction() is None:
        return await _on_replica(replica, lambda eng: _fetch(eng, sql, args), lambda: _fetch(engine(), sql, args))
    return await _fetch(engine(), sql, args)


async def _fetch(eng: PostgresEngine, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    if eng.pool is not None:
        async with eng.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
    else:
        conn = await eng.get_new_connection()
        try:
            rows = await conn.fetch(sql, *args)
        finally:
            await conn.close()
    return [dict(r) for r in rows]


def current_transaction() -> PostgresTransaction | None:
    """The transaction the running task is inside (``engine().transaction()``), or None."""
    try:
        return engine().current_transaction.get()
    except ConfigError:  # no database configured (a unit test of the hooks alone): no transaction either
        return None


# ---------------------------------------------------------------------------------------------------------------------
# Read routing
# ---------------------------------------------------------------------------------------------------------------------


@asynccontextmanager
async def reading(user_id: int | None = None) -> AsyncIterator[Replica | None]:
    """Run the block's reads on a read replica when that is safe; yield the replica chosen (None: the primary).

    ``async with db.reading(viewer_id): ...`` wraps reads that may be slightly stale (at most
    ``database.replica_max_lag_s``): the feed, an event's detail, search. The block stays on the primary when no
    replica is configured or healthy, inside a transaction, and for ``user_id`` when that user wrote within
    ``database.read_your_writes_s`` (:func:`wrote`), so people see their own join or edit at once. Statements the
    replica cannot answer are run again on the primary: the caller never sees a replica's failure.
    """
    outer = _chosen.get()
    replica: Replica | None = None
    if current_transaction() is not None:
        replica = None
    elif isinstance(outer, _NotReading):
        replica = await _choose(user_id)
    elif outer is not None and not (user_id is not None and await _wrote_recently(user_id)):
        replica = outer  # nested: the enclosing block's choice (on_primary() included) holds
    if replica is None:
        _stats["primary"] += 1
    token = _chosen.set(replica)
    try:
        yield replica
    finally:
        _chosen.reset(token)


@asynccontextmanager
async def on_primary() -> AsyncIterator[None]:
    """Run the block's reads on the primary even inside :func:`reading` (e.g. filling a cache right after a change)."""
    token = _chosen.set(None)
    try:
        yield
    finally:
        _chosen.reset(token)


async def wrote(user_id: int) -> None:
    """Keep ``user_id``'s reads on the primary for ``database.read_your_writes_s`` (every process: a Redis key).

    Called by the HTTP layer for every POST/PUT/PATCH/DELETE of a signed-in caller, before the handler runs (so the
    window is open before the write commits). Costs nothing when no replica is configured.
    """
    settings = get_settings().database
    if not settings.replica_urls or settings.read_your_writes_s <= 0:
        return
    from redis.exceptions import RedisError

    from core import cache

    try:
        await cache.client().set(cache.key("db", "wrote", user_id), b"1", px=int(settings.read_your_writes_s * 1000))
    except (RedisError, OSError) as exc:  # while Redis is away every signed-in read goes to the primary anyway
        log.warning("read-your-writes: could not record user %s's write in Redis: %s", user_id, exc)


def routing_stats() -> dict[str, int]:
    """Counters since start-up, for metrics and tests.

    ``replica0``…: statements a replica answered; ``primary``: :func:`reading` blocks kept on the primary (no healthy
    replica, a transaction, the user's recent write); ``fallback``: statements a replica failed and the primary
    answered.
    """
    return dict(_stats)


def replica_status() -> list[dict[str, Any]]:
    """Each replica's health as last checked: name, healthy, lag_s, error (for health pages and metrics)."""
    return [{"name": r.name, "healthy": r.healthy, "lag_s": r.lag_s, "error": r.error} for r in replicas()]


async def check_replicas(force: bool = True) -> list[dict[str, Any]]:
    """Check every replica now (``force``) or when its last check is older than ``database.replica_check_s``."""
    await asyncio.gather(*(_check(r, force=force) for r in replicas()))
    return replica_status()


async def _choose(user_id: int | None) -> Replica | None:
    if not get_settings().database.replica_urls:
        return None
    if user_id is not None and await _wrote_recently(user_id):
        return None
    healthy = []
    for replica in replicas():
        await _check(replica, force=False)
        if replica.healthy:
            healthy.append(replica)
    if not healthy:
        return None
    return healthy[next(_round_robin) % len(healthy)]


async def _wrote_recently(user_id: int) -> bool:
    from redis.exceptions import RedisError

    from core import cache

    try:
        return bool(await cache.client().exists(cache.key("db", "wrote", user_id)))
    except (RedisError, OSError):
        return True  # cannot tell: the primary is always right


async def _check(replica: Replica, *, force: bool) -> None:
    """Ask the replica how far behind it is. One check at a time per replica; the others use the last answer."""
    settings = get_settings().database
    if replica.checking or (not force and time.monotonic() - replica.checked_at < settings.replica_check_s):
        return
    replica.checking = True
    was = replica.healthy
    try:
        row = await asyncio.wait_for(_probe(replica.engine), timeout=settings.replica_timeout_s)
        if not row["standby"] or row["caught_up"]:
            replica.lag_s = 0.0
        else:
            replica.lag_s = row["since_replay"] if row["since_replay"] is not None else math.inf
        replica.healthy = replica.lag_s <= settings.replica_max_lag_s
        replica.error = "" if replica.healthy else f"{replica.lag_s:.1f} s behind"
    except REPLICA_DOWN as exc:
        replica.healthy, replica.lag_s, replica.error = False, None, f"{type(exc).__name__}: {exc}"
    finally:
        replica.checked_at = time.monotonic()
        replica.checking = False
    if was and not replica.healthy:
        log.warning("read replica %s skipped (%s); its reads go to the primary", replica.name, replica.error)
    elif replica.healthy and not was:
        log.info("read replica %s in use (%.2f s behind)", replica.name, replica.lag_s or 0.0)


async def _probe(eng: PostgresEngine) -> Any:
    try:
        primary_lsn = (await _fetch(engine(), PRIMARY_LSN_SQL, ()))[0]["lsn"]
    except (*REPLICA_DOWN, asyncpg.PostgresError):
        primary_lsn = None  # the replica's own view, then (reads of a replica beat errors of a primary that is down)
    if eng.pool is not None:
        async with eng.pool.acquire() as conn:
            return await conn.fetchrow(LAG_SQL, primary_lsn)
    conn = await eng.get_new_connection()
    try:
        return await conn.fetchrow(LAG_SQL, primary_lsn)
    finally:
        await conn.close()


async def _on_replica(replica: Replica, on: Callable[[PostgresEngine], Awaitable[T]],
                      primary: Callable[[], Awaitable[T]]) -> T:
    """Run ``on(replica engine)``; when the replica fails, skip it and run ``primary()`` instead."""
    try:
        result = await on(replica.engine)
    except REPLICA_DOWN as exc:
        replica.healthy, replica.checked_at = False, time.monotonic()
        replica.error = f"{type(exc).__name__}: {exc}"
        log.warning("read replica %s failed (%s); reading from the primary", replica.name, replica.error)
    except REPLICA_REFUSED as exc:
        log.warning("read replica %s refused a statement (%s); running it on the primary", replica.name, exc)
    else:
        _stats[replica.name] += 1
        return result
    _stats["fallback"] += 1
    return await primary()
