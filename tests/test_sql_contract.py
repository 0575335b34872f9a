"""Every raw statement a plugin keeps in its ``sql.py`` is prepared against the migrated database.

The rule (STYLE.md: raw SQL only where it earns its place, in one ``sql.py`` per plugin): every public module-level
``str`` constant of ``<plugin>/sql.py`` is a complete statement, with ``$n`` placeholders (``core.db.fetch``,
asyncpg) or Piccolo-style ``{}`` placeholders (``Table.raw``). PostgreSQL parses and plans each one at ``PREPARE``,
so a table or column renamed in ``tables.py`` (and its migration) without the SQL fails here, not in production.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from core import db
from core.hooks.manager import discover

_PICCOLO_PLACEHOLDER = re.compile(r"(?<!\{)\{\}(?!\})")


def sql_modules() -> dict[str, ModuleType]:
    """``{plugin: its sql module}`` for every installed plugin that has one."""
    out = {}
    for name, info in sorted(discover().items()):
        module_name = f"{info.module.__name__}.sql"
        if importlib.util.find_spec(module_name) is not None:
            out[name] = importlib.import_module(module_name)
    return out


def statements(module: ModuleType) -> dict[str, str]:
    """The public ``str`` constants of a ``sql.py`` (upper-case names; ``_PRIVATE`` fragments are left out)."""
    return {k: v for k, v in vars(module).items() if k.isupper() and not k.startswith("_") and isinstance(v, str)}


def numbered(statement: str) -> str:
    """Piccolo's ``{}`` placeholders as asyncpg's ``$1..$n`` (``$n`` statements are left as they are)."""
    counter = iter(range(1, 10_000))
    return _PICCOLO_PLACEHOLDER.sub(lambda _: f"${next(counter)}", statement)


async def prepare(statement: str) -> Any:
    """PREPARE ``statement`` on the session's database (parsed, names resolved, planned; not run)."""
    pool = db.engine().pool
    assert pool is not None
    async with pool.acquire() as conn:
        return await conn.prepare(numbered(statement))


CASES = [pytest.param(plugin, name, id=f"{plugin}.{name}")
         for plugin, module in sql_modules().items() for name in statements(module)]


def test_the_contract_finds_statements() -> None:
    # core's areas (``core.auth``, ``core.users``) are discovered like plugins, so their ``sql.py`` is covered too.
    covered = {plugin for plugin, _ in (c.values for c in CASES)}
    assert {"events", "analytics", "auth"} <= covered, covered


@pytest.mark.parametrize(("plugin", "name"), CASES)
async def test_raw_statement_prepares(plugin: str, name: str, sbor_database: Any) -> None:
    statement = statements(sql_modules()[plugin])[name]
    assert statement.strip(), f"{plugin}.sql.{name} is empty"
    await prepare(statement)


async def test_a_renamed_column_fails(sbor_database: Any) -> None:
    from plugins.events import sql

    broken = sql.EVENT_FOR_UPDATE.replace("e.seats_taken", "e.seats_booked")
    assert broken != sql.EVENT_FOR_UPDATE
    with pytest.raises(asyncpg.UndefinedColumnError, match="seats_booked"):
        await prepare(broken)
    with pytest.raises(asyncpg.UndefinedTableError):
        await prepare(sql.JOINED_SINCE.replace("events.participation", "events.participant"))


def test_placeholders_are_numbered() -> None:
    assert numbered("SELECT {} WHERE a = {} AND b = '{{}}'") == "SELECT $1 WHERE a = $2 AND b = '{{}}'"
    assert numbered("SELECT $1, $2") == "SELECT $1, $2"
