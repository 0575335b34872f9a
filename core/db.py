"""PostgreSQL: the Piccolo engine (primary + read replicas), its pool, and migrations of the enabled plugins."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from piccolo.engine.postgres import PostgresEngine

from core.errors import ConfigError
from core.hooks import hookspecs
from core.settings import get_settings

if TYPE_CHECKING:
    from piccolo.conf.apps import AppConfig

    from core.hooks.manager import Registry

os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")
log = logging.getLogger("core.db")

MIGRATION_LOCK = 0x5B0_0001  # advisory lock key: one migrator at a time across processes and machines


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


# ---------------------------------------------------------------------------------------------------------------------
# Migrations
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class PendingMigration:
    """One migration not yet applied."""

    plugin: str
    app_name: str
    migration_id: str


def piccolo_apps(registry: Registry) -> list[tuple[str, AppConfig]]:
    """Return ``(plugin, AppConfig)`` for every enabled plugin with tables, in load (dependency) order."""
    return registry.hooks.collect(hookspecs.register_piccolo_app)


async def pending_migrations(registry: Registry) -> list[PendingMigration]:
    """List migrations not yet applied, in the order :func:`migrate` would apply them."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.tables import Migration

    manager = BaseMigrationManager()
    table_exists = await Migration.table_exists().run()
    out: list[PendingMigration] = []
    for plugin, app in piccolo_apps(registry):
        modules = manager.get_migration_modules(app.resolved_migrations_folder_path)
        ran = set(await Migration.get_migrations_which_ran(app_name=app.app_name)) if table_exists else set()
        out.extend(
            PendingMigration(plugin, app.app_name, mid) for mid in sorted(manager.get_migration_ids(modules))
            if mid not in ran
        )
    return out


async def migrate(registry: Registry, *, verbose: bool = False) -> list[PendingMigration]:
    """Apply the pending migrations of every enabled plugin in dependency order; idempotent; returns what ran."""
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager

    conn = await engine().get_new_connection()
    try:
        # Several API processes or machines may start at once: one migrates, the others wait and find nothing to do.
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        todo = await pending_migrations(registry)
        for plugin, app in piccolo_apps(registry):
            if not any(p.app_name == app.app_name for p in todo):
                continue
            manager = ForwardsMigrationManager(app_name=app.app_name)
            await manager.create_migration_table()
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                result = await manager.run_migrations(app)
            if verbose:
                print(out.getvalue(), end="")
            if not result.success:
                raise ConfigError(f"plugin {plugin!r}: migration failed: {result.message}")
            log.info("migrated %s", plugin)
        return todo
    finally:
        with contextlib.suppress(Exception):
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        await conn.close()


async def schema_report(schema: str) -> list[tuple[str, int]]:
    """Return ``(table, row count)`` for every table in a plugin's schema (what uninstall would drop)."""
    rows = await fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' "
        "ORDER BY table_name",
        schema,
    )
    out = []
    for row in rows:
        count = await fetch(f'SELECT count(*) AS n FROM "{schema}"."{row["table_name"]}"')
        out.append((row["table_name"], int(count[0]["n"])))
    return out


async def drop_plugin_schema(plugin: str, app_names: list[str]) -> None:
    """Drop a plugin's schema with everything in it and forget its applied migrations."""
    await fetch(f'DROP SCHEMA IF EXISTS "{plugin}" CASCADE')
    exists = await fetch("SELECT to_regclass('public.migration') IS NOT NULL AS ok")
    if exists[0]["ok"]:
        for app_name in app_names:
            await fetch("DELETE FROM migration WHERE app_name = $1", app_name)
