"""Migrations of the enabled plugins: dependency order, idempotent, dry run; uninstall drops a plugin's schema."""

from __future__ import annotations

import asyncpg
import pytest

from core import db, migrations
from core.hooks.manager import PluginsFile, build


async def test_migrating_twice_is_a_no_op(sbor_database) -> None:
    assert await migrations.pending_migrations(sbor_database) == []
    assert await migrations.migrate(sbor_database) == []


async def test_each_plugin_owns_the_schema_named_after_it(sbor_database) -> None:
    rows = await db.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name IN ('greeting', 'account')"
    )
    assert {(r["table_schema"], r["table_name"]) for r in rows} == {("hello", "greeting"), ("users", "account")}


async def test_uninstall_reports_then_drops_and_migrate_brings_it_back(sbor_database) -> None:
    from sbor_hello.tables import Greeting

    await Greeting.insert(Greeting(name="a", message="hi"), Greeting(name="b", message="hi"))
    assert await migrations.schema_report("hello") == [("greeting", 2)]
    registry = build(PluginsFile(enabled=["hello"]))
    await migrations.drop_plugin_schema("hello", ["hello"])
    assert await migrations.schema_report("hello") == []
    with pytest.raises(asyncpg.UndefinedTableError):
        await db.fetch("SELECT * FROM hello.greeting")
    pending = await migrations.pending_migrations(registry)
    assert {p.plugin for p in pending} == {"hello"}  # each of its migrations
    ran = await migrations.migrate(registry)
    assert {p.app_name for p in ran} == {"hello"}
    assert await migrations.schema_report("hello") == [("greeting", 0)]
