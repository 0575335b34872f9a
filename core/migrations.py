"""Migrations of the enabled plugins: the plan, applying it in dependency order, and a plugin's schema report."""

from __future__ import annotations

import contextlib
import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.db import engine, fetch
from core.errors import ConfigError
from core.hooks import hookspecs

if TYPE_CHECKING:
    from piccolo.conf.apps import AppConfig

    from core.hooks.manager import Registry

log = logging.getLogger("core.db")

MIGRATION_LOCK = 0x5B0_0001  # advisory lock key: one migrator at a time across processes and machines

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
