"""A unique rule over several columns, declared as Piccolo does, refuses a duplicate with 409 ``already_exists``."""

from __future__ import annotations

import httpx
import msgspec
import pytest
from asyncpg.exceptions import UniqueViolationError
from litestar import Litestar, post
from litestar.params import JSONBody
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table

from core import db
from core.http.problems import EXCEPTION_HANDLERS

SCHEMA = "sbor_test_unique"


class Badge(Table, schema=SCHEMA):
    """What a plugin's tables.py declares: one code per owner."""

    owner = Integer()
    code = Varchar(length=20)
    badge_owner_code_key = Unique([owner, code])  # the attribute is the constraint's name: unique in the schema


def auto_migration() -> MigrationManager:
    """The steps ``piccolo migrations new <app> --auto`` writes for ``Badge`` (add_table, columns, constraint)."""
    manager = MigrationManager(migration_id="2026-11-26T00:00:00:000000", app_name="unique_test", description="t")
    manager.add_table(class_name="Badge", tablename="badge", schema=SCHEMA, columns=None)
    for name, column_class, params in (("owner", Integer, {"default": 0}), ("code", Varchar, {"length": 20})):
        manager.add_column(table_class_name="Badge", tablename="badge", column_name=name, db_column_name=name,
                           column_class_name=column_class.__name__, column_class=column_class,
                           params={**params, "null": False}, schema=SCHEMA)
    manager.add_constraint(table_class_name="Badge", tablename="badge", constraint_name="badge_owner_code_key",
                           constraint_class=Unique, params={"columns": ["owner", "code"], "nulls_distinct": True},
                           schema=SCHEMA)
    return manager


class BadgeCreate(msgspec.Struct):
    """A badge to give."""

    owner: int
    code: str


@post("/badges", operation_id="create_badge")
async def create_badge(data: JSONBody[BadgeCreate]) -> dict[str, int]:
    """Insert through Piccolo, in a transaction, with no check of its own."""
    async with Badge._meta.db.transaction():
        rows = await Badge.insert(Badge(owner=data.owner, code=data.code)).returning(Badge.id)
    return {"id": rows[0]["id"]}


@post("/badges/raw", operation_id="create_badge_raw")
async def create_badge_raw(data: JSONBody[BadgeCreate]) -> dict[str, int]:
    """Insert through raw SQL (a plugin's sql.py), wrapped in an error of the plugin's own."""
    try:
        rows = await db.fetch(f'INSERT INTO "{SCHEMA}".badge (owner, code) VALUES ($1, $2) RETURNING id',
                              data.owner, data.code)
    except UniqueViolationError as exc:
        raise RuntimeError("could not store the badge") from exc
    return {"id": rows[0]["id"]}


@pytest.fixture
async def badges(sbor_database):
    await db.fetch(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
    await auto_migration().run()
    app = Litestar([create_badge, create_badge_raw], exception_handlers=EXCEPTION_HANDLERS, debug=False,
                   logging_config=None)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            yield client
    finally:
        await db.fetch(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')


async def test_the_auto_migration_creates_the_constraint(badges) -> None:
    rows = await db.fetch("SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint "
                          "WHERE conrelid = $1::regclass AND contype = 'u'", f"{SCHEMA}.badge")
    assert rows == [{"conname": "badge_owner_code_key", "def": "UNIQUE (owner, code)"}]


@pytest.mark.parametrize("path", ["/badges", "/badges/raw"])
async def test_a_duplicate_is_409_already_exists_naming_the_constraint(badges, path) -> None:
    assert (await badges.post(path, json={"owner": 1, "code": "early"})).status_code == 201
    assert (await badges.post(path, json={"owner": 2, "code": "early"})).status_code == 201  # other owner: fine
    r = await badges.post(path, json={"owner": 1, "code": "early"})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "already_exists"
    assert body["constraint"] == "badge_owner_code_key"
    assert "early" not in r.text  # the row's values are not echoed
    assert await Badge.count() == 2


async def test_the_migration_is_reversible(badges) -> None:
    await auto_migration().run(backwards=True)
    assert await db.fetch("SELECT to_regclass($1) AS t", f"{SCHEMA}.badge") == [{"t": None}]
