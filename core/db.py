"""PostgreSQL: the Piccolo engine (primary + read replicas), its pool, the current transaction, raw fetches.

Migrations of the enabled plugins are in :mod:`core.migrations`.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any

from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from core.errors import ConfigError
from core.settings import get_settings

os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")
log = logging.getLogger("core.db")


@lru_cache(maxsize=1)
def engine() -> PostgresEngine:
    """Return the process's engine for the configured primary, with read replicas as extra nodes."""
    settings = get_settings().database
    if not settings.url:
        raise ConfigError("settings: database.url is empty (set SBOR_DATABASE_URL or start through manage.py)")
    replicas = {
        f"replica{i}": PostgresEngine(config={"dsn": url}, log_queries=False)
        for i, url in enumerate(settings.replica_urls)
    }
    return PostgresEngine(config={"dsn": settings.url}, extra_nodes=replicas, log_queries=False)


def read_node() -> str | None:
    """Return the node name reads may go to (``query.run(node=read_node())``): a replica when configured."""
    nodes = list(engine().extra_nodes)
    return nodes[0] if nodes else None


async def start_pool() -> bool:
    """Open the connection pools (primary and replicas); return False when they were already open.

    Without a pool every query opens a new connection (30x slower, and no warning).
    """
    settings = get_settings().database
    if engine().pool is not None:
        return False
    for eng in [engine(), *engine().extra_nodes.values()]:
        await eng.start_connection_pool(min_size=settings.pool_min, max_size=settings.pool_max)
    return True


async def close_pool() -> None:
    """Close the pools; safe to call when none is open."""
    for eng in [engine(), *engine().extra_nodes.values()]:
        if eng.pool is not None:
            await eng.close_connection_pool()


def reset_engine() -> None:
    """Forget the engine (after the settings changed, e.g. in tests); tables look it up lazily again."""
    engine.cache_clear()
    from piccolo.table import Table

    for table in Table.__subclasses__():
        _unbind(table)


def _unbind(table: Any) -> None:
    table._meta._db = None
    for sub in table.__subclasses__():
        _unbind(sub)


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run raw SQL on the primary (``$1`` placeholders) and return rows as dicts; for hot paths and admin tools."""
    eng = engine()
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
