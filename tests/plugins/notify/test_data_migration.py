"""notify's migrations for generic notices: rows of the old shape forwards into the new one, and back again."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest_asyncio
from piccolo.apps.migrations.commands.backwards import BackwardsMigrationManager
from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from core.hooks.manager import Registry
from core.migrations import piccolo_apps

BEFORE = "2026-11-25T03:56:27:703444"  # the last notify migration of the old shape
FIRST = "2026-11-26T02:29:01:770375"  # generic_notices: the first one of the new shape
LATEST = "2026-11-26T03:34:00:000000"

STARTS = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
OFFER_ENDS = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _unbind(table: type[Table]) -> None:
    for sub in table.__subclasses__():
        sub._meta._db = None  # tables look their engine up again (Piccolo's engine_finder) on next use
        _unbind(sub)


@pytest_asyncio.fixture(loop_scope="session")
async def scratch(sbor_database: Registry, sbor_env: dict[str, str]) -> AsyncIterator[asyncpg.Connection]:
    """A database of the test's own, Piccolo's engine pointed at it meanwhile; a connection to it for the test."""
    import core.piccolo_conf as conf

    name = f"sbor_migr_{uuid.uuid4().hex[:10]}"
    url = urlunsplit(urlsplit(sbor_env["_base"])._replace(path=f"/{name}"))
    admin = await asyncpg.connect(sbor_env["_base"])
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    # Migrations (and tables) find their engine through Piccolo's engine_finder, i.e. ``core.piccolo_conf.DB``; core's
    # own ``db.engine()`` and its pool stay the session's, untouched, for the tests that run after this one.
    saved = conf.DB
    conf.DB = PostgresEngine(config={"dsn": url}, log_queries=False)
    _unbind(Table)
    conn = await asyncpg.connect(url)
    try:
        yield conn
    finally:
        await conn.close()
        conf.DB = saved
        _unbind(Table)
        admin = await asyncpg.connect(sbor_env["_base"])
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def forwards(registry: Registry, notify_up_to: str = "all") -> None:
    """Every app's migrations in dependency order, notify's only up to (and including) ``notify_up_to``."""
    for _plugin, app in piccolo_apps(registry):
        manager = ForwardsMigrationManager(app_name=app.app_name,
                                           migration_id=notify_up_to if app.app_name == "notify" else "all")
        await manager.create_migration_table()
        with contextlib.redirect_stdout(io.StringIO()):
            result = await manager.run_migrations(app)
        assert result.success, result.message


async def notify_backwards(registry: Registry, down_to: str) -> None:
    """Undo notify's migrations from the latest down to (and including) ``down_to``."""
    app = next(app for _plugin, app in piccolo_apps(registry) if app.app_name == "notify")
    manager = BackwardsMigrationManager(app_name="notify", migration_id=down_to, auto_agree=True)
    with contextlib.redirect_stdout(io.StringIO()):
        result = await manager.run_migrations_backwards(app)
    assert result.success, result.message


def event(event_id: int, *, venue: str = "Café Central", city: str = "Berlin", online: bool = False) -> dict[str, Any]:
    """The event snapshot the old notify copied into each payload."""
    return {"id": event_id, "title": f"Event {event_id}", "status": "published", "starts_at": STARTS.isoformat(),
            "ends_at": STARTS.replace(hour=21).isoformat(), "timezone": "Europe/Berlin", "venue_name": venue,
            "city": city, "online": online}


async def notification(conn: asyncpg.Connection, user_id: int, kind: str, status: str, payload: dict[str, Any],
                       event_id: int | None = None, dedupe_key: str | None = None,
                       offset_min: int | None = None) -> int:
    """One notification row as the old notify wrote it."""
    return int(await conn.fetchval(
        "INSERT INTO notify.notification (user_id, kind, event_id, payload, urgent, status, due_at, dedupe_key, "
        "offset_min, finished_at) VALUES ($1, $2, $3, $4::jsonb, false, $5::varchar, now(), $6, $7, "
        "CASE WHEN $5::varchar = 'sent' THEN now() END) "
        "RETURNING id", user_id, kind, event_id, json.dumps(payload), status, dedupe_key, offset_min))


async def rows(conn: asyncpg.Connection, sql: str) -> dict[int, dict[str, Any]]:
    return {r["id"]: dict(r) for r in await conn.fetch(sql)}


async def columns(conn: asyncpg.Connection, table: str) -> dict[str, int | None]:
    """Column name -> character maximum length of ``notify.<table>``."""
    found = await conn.fetch("SELECT column_name, character_maximum_length FROM information_schema.columns "
                             "WHERE table_schema = 'notify' AND table_name = $1", table)
    return {r["column_name"]: r["character_maximum_length"] for r in found}


async def indexes(conn: asyncpg.Connection) -> set[str]:
    return {r["indexname"] for r in await conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'notify'")}


async def test_old_rows_migrate_forwards_and_back(sbor_database: Registry, scratch: asyncpg.Connection) -> None:
    conn = scratch
    # Given the schema as it was before generic notices, with rows of the old shape
    await forwards(sbor_database, notify_up_to=BEFORE)
    assert "event_id" in await columns(conn, "notification")
    u1, u2 = [await conn.fetchval("INSERT INTO users.account (email, display_name) VALUES ($1, $1) RETURNING id",
                                  f"{n}@example.org") for n in ("ann", "bob")]
    reminder = await notification(conn, u1, "reminder", "pending", {"event": event(7)}, 7, f"rem:7:{u1}:60", 60)
    sending = await notification(conn, u2, "reminder", "sending", {"event": event(7, venue="", city="", online=True)},
                                 7, f"rem:7:{u2}:60", 60)
    offer = await notification(conn, u2, "waitlist_offer", "pending",
                               {"event": event(8, venue=""), "seats": 2, "expires_at": OFFER_ENDS.isoformat()},
                               8, f"offer:8:{u2}:1")
    cancelled = await notification(conn, u1, "event_cancelled", "queued",
                                   {"event": event(9, venue="", city=""), "reason": "rain"}, 9)
    sent = await notification(conn, u1, "reminder", "sent", {"event": event(7)}, 7, f"rem:7:{u1}:1440", 1440)
    code = await notification(conn, u1, "verification", "pending", {"code": "123456", "channel": "email"})
    await conn.execute("INSERT INTO notify.attempt (notification, user_id, kind, channel, status) "
                       "VALUES ($1, $2, 'reminder', 'email', 'sent')", sent, u1)
    await conn.execute("INSERT INTO notify.inbox_item (user_id, notification, kind, title) "
                       "VALUES ($1, $2, 'event_published', 'Published')", u1, sent)
    for user, kind, channel in ((u1, "reminder", "email"), (u1, "event_cancelled", "sms"),
                                (u2, "waitlist_offer", "push")):
        await conn.execute("INSERT INTO notify.preference (user_id, key, kind, channel, enabled) "
                           "VALUES ($1, $2, $3, $4, false)", user, f"{user}:{kind}:{channel}", kind, channel)
    await conn.execute("INSERT INTO notify.participant (event_id, user_id, key, status, guests) "
                       "VALUES (7, $1, $2, 'confirmed', 0)", u1, f"7:{u1}")

    # When the remaining migrations run
    await forwards(sbor_database)

    # Then kinds carry their plugin's name, and rows still to be delivered have keys, subjects, expiries and places
    got = await rows(conn, "SELECT * FROM notify.notification")
    first = {i: (r["kind"], r["key"], r["subject"], r["expires_at"], r["urgent_if_today"], r["payload"])
             for i, r in got.items()}
    assert {i: r["kind"] for i, r in got.items()} == {
        reminder: "events.reminder", sending: "events.reminder", offer: "events.waitlist_offer",
        cancelled: "events.cancelled", sent: "events.reminder", code: "notify.verification"}
    assert got[reminder]["key"] == "events.event:7:reminder" and got[sending]["key"] == "events.event:7:reminder"
    assert got[offer]["key"] == "events.event:8:offer"
    assert got[cancelled]["key"] is None and got[code]["key"] is None
    assert {i: r["subject"] for i, r in got.items()} == {
        reminder: "events.event:7", sending: "events.event:7", offer: "events.event:8", cancelled: "events.event:9",
        sent: "events.event:7", code: None}
    assert got[reminder]["expires_at"] == STARTS and got[sending]["expires_at"] == STARTS
    assert got[offer]["expires_at"] == OFFER_ENDS
    assert got[cancelled]["expires_at"] is None and got[cancelled]["urgent_if_today"] == STARTS
    assert got[reminder]["urgent_if_today"] is None
    assert got[reminder]["offset_min"] == 60 and got[sent]["offset_min"] == 1440  # how delivery tells a reminder
    places = {i: json.loads(r["payload"]).get("place") for i, r in got.items()}
    assert places == {reminder: "Café Central, Berlin", sending: "online", offer: "Berlin", cancelled: "",
                      sent: None, code: None}
    # a sent row keeps its payload and gets no key or expiry (only its kind and subject change)
    assert json.loads(got[sent]["payload"]) == {"event": event(7)}
    assert got[sent]["key"] is None and got[sent]["expires_at"] is None and got[sent]["status"] == "sent"
    assert await conn.fetchval("SELECT kind FROM notify.attempt") == "events.reminder"
    assert await conn.fetchval("SELECT kind FROM notify.inbox_item") == "events.published"
    prefs = {(r["user_id"], r["kind"], r["channel"]): r["key"]
             for r in await conn.fetch("SELECT user_id, kind, channel, key FROM notify.preference")}
    assert prefs == {(u1, "events.reminder", "email"): f"{u1}:events.reminder:email",
                     (u1, "events.cancelled", "sms"): f"{u1}:events.cancelled:sms",
                     (u2, "events.waitlist_offer", "push"): f"{u2}:events.waitlist_offer:push"}
    # and what events owns now is gone from notify
    cols = await columns(conn, "notification")
    assert "event_id" not in cols and "dedupe_key" not in cols
    assert cols["kind"] == 80 and cols["key"] == 200 and cols["subject"] == 120
    assert (await columns(conn, "preference"))["key"] == 160
    assert await conn.fetchval("SELECT to_regclass('notify.participant')") is None
    idx = await indexes(conn)
    assert {"notification_pending_user_key", "notification_failed", "notification_live_due"} <= idx
    assert not idx & {"notification_pending_key", "notification_status", "notification_due_at",
                      "notification_subject", "attempt_at"}
    assert LATEST in {r["name"] for r in await conn.fetch("SELECT name FROM migration WHERE app_name = 'notify'")}

    # When notify's migrations are undone down to before generic notices
    await notify_backwards(sbor_database, FIRST)

    # Then the old kind names and each notification's event are back; what only the new shape knew is gone
    got = await rows(conn, "SELECT * FROM notify.notification")
    assert {i: (r["kind"], r["event_id"]) for i, r in got.items()} == {
        reminder: ("reminder", 7), sending: ("reminder", 7), offer: ("waitlist_offer", 8),
        cancelled: ("event_cancelled", 9), sent: ("reminder", 7), code: ("verification", None)}
    assert all(r["dedupe_key"] is None for r in got.values())  # not kept by the new shape: cannot come back
    assert json.loads(got[reminder]["payload"])["event"] == event(7)  # an extra "place" the old templates ignore
    cols = await columns(conn, "notification")
    assert not cols.keys() & {"key", "subject", "expires_at", "urgent_if_today"}
    assert cols["kind"] == 40 and cols["event_id"] is None and "dedupe_key" in cols
    assert (await columns(conn, "preference"))["key"] == 120
    assert await conn.fetchval("SELECT kind FROM notify.attempt") == "reminder"
    assert await conn.fetchval("SELECT kind FROM notify.inbox_item") == "event_published"
    prefs = {(r["user_id"], r["kind"], r["channel"]): r["key"]
             for r in await conn.fetch("SELECT user_id, kind, channel, key FROM notify.preference")}
    assert prefs == {(u1, "reminder", "email"): f"{u1}:reminder:email",
                     (u1, "event_cancelled", "sms"): f"{u1}:event_cancelled:sms",
                     (u2, "waitlist_offer", "push"): f"{u2}:waitlist_offer:push"}
    assert await conn.fetchval("SELECT count(*) FROM notify.participant") == 0  # back, empty
    idx = await indexes(conn)
    assert "notification_live_due" in idx
    assert not idx & {"notification_pending_key", "notification_pending_user_key", "notification_failed"}
    ran = [r["name"] for r in await conn.fetch("SELECT name FROM migration WHERE app_name = 'notify' ORDER BY name")]
    assert ran[-1] == BEFORE

    # And forwards again gives the same rows as the first time (the way back loses nothing forwards needs)
    await forwards(sbor_database)
    again = await rows(conn, "SELECT * FROM notify.notification")
    assert {i: (r["kind"], r["key"], r["subject"], r["expires_at"], r["urgent_if_today"], r["payload"])
            for i, r in again.items()} == first
