"""The data migrations that carried the open reports of the plugins' old tables into core's report queue.

The old tables are gone (dropped by the generated migration after each data migration), so the test builds them
again in their last shape, fills them, runs the data migration's steps twice (idempotent) and drops them.
"""

from __future__ import annotations

import importlib
from typing import Any

from core import db
from core.reports import services as reports

OLD_TABLES = [
    """CREATE TABLE groups.chat_report (id serial PRIMARY KEY, message integer NOT NULL, reporter integer,
       reason text NOT NULL DEFAULT '', status varchar(10) NOT NULL DEFAULT 'open',
       created_at timestamptz NOT NULL DEFAULT now(), resolved_at timestamptz, resolved_by integer)""",
    """CREATE TABLE media.report (id serial PRIMARY KEY, item integer NOT NULL, reporter integer NOT NULL,
       reason varchar(40) NOT NULL, note text NOT NULL DEFAULT '', created_at timestamptz NOT NULL DEFAULT now(),
       resolved_at timestamptz)""",
    """CREATE TABLE reviews.report (id serial PRIMARY KEY, review integer NOT NULL, reporter_id integer NOT NULL,
       reason text NOT NULL DEFAULT '', resolved_at timestamptz, created_at timestamptz NOT NULL DEFAULT now())""",
]
MIGRATIONS = ["plugins.groups.piccolo_migrations.groups_2026_11_26t09_00_00_000000",
              "plugins.media.piccolo_migrations.media_2026_11_26t09_00_00_000000",
              "plugins.reviews.piccolo_migrations.reviews_2026_11_26t09_00_00_000000"]


async def _run_data_migrations() -> None:
    async with db.engine().transaction():
        for name in MIGRATIONS:
            for step in importlib.import_module(name).STEPS:
                await db.engine().run_ddl(step)


async def _cases() -> list[dict[str, Any]]:
    return [dict(r) for r in await db.fetch(
        "SELECT c.target_type, c.target_id, c.author, c.status, c.reporters, c.hidden, "
        "array_agg(r.reporter ORDER BY r.reporter) AS reporters_ids, "
        "array_agg(r.reason ORDER BY r.reporter) AS reasons, "
        "array_agg(r.text ORDER BY r.reporter) AS texts FROM reports.case_file c "
        "JOIN reports.report r ON r.\"case\" = c.id GROUP BY c.id ORDER BY c.target_type, c.target_id")]


async def test_open_old_reports_become_core_cases_once(make_app: Any, make_user: Any) -> None:
    make_app(["events", "groups", "media", "reviews"])
    author, a, b, c, moderator = [(await make_user()).id for _ in range(5)]
    for sql in OLD_TABLES:
        await db.fetch(sql)
    try:
        # chat: two open reports of one message, a dismissed one of another, one of a deleted message
        msgs = [r["id"] for r in await db.fetch(
            "INSERT INTO groups.chat_message (kind, room_key, author, body, status) VALUES "
            "('group', 'g1', $1, 'buy now', 'visible'), ('group', 'g1', $1, 'hello', 'visible'), "
            "('group', 'g1', $1, 'gone', 'deleted') RETURNING id", author)]
        await db.fetch("INSERT INTO groups.chat_report (message, reporter, reason, status) VALUES "
                       "($1, $4, 'spam link', 'open'), ($1, $5, 'again', 'open'), ($2, $4, 'meh', 'dismissed'), "
                       "($3, $4, 'old', 'open'), ($1, NULL, 'erased reporter', 'open')", *msgs, a, b)
        # media: an approved item reported twice (old reasons mapped), one the old threshold held, a resolved one
        items = [r["id"] for r in await db.fetch(
            "INSERT INTO media.item (uploader, kind, status, target, declared_type, declared_bytes, upload_key, "
            "hold_reason) VALUES ($1, 'photo', 'approved', 'event', 'image/jpeg', 10, 'k-a', ''), "
            "($1, 'photo', 'pending', 'event', 'image/jpeg', 10, 'k-b', 'reported'), "
            "($1, 'photo', 'approved', 'event', 'image/jpeg', 10, 'k-c', '') RETURNING id", author)]
        await db.fetch("INSERT INTO media.report (item, reporter, reason, note, resolved_at) VALUES "
                       "($1, $4, 'violence', 'a fight', NULL), ($1, $5, 'copyright', '', NULL), "
                       "($2, $4, 'nudity', '', NULL), ($3, $4, 'spam', '', now())", *items, a, b)
        # reviews: one open report (and one by an account that no longer exists)
        (review,) = [r["id"] for r in await db.fetch(
            "INSERT INTO reviews.review (event_id, organiser_id, author, rating, status) "
            "VALUES (1, $2, $1, 1, 'published') RETURNING id", author, moderator)]
        await db.fetch("INSERT INTO reviews.report (review, reporter_id, reason) VALUES ($1, $2, 'fake'), "
                       "($1, 2147483000, 'ghost')", review, c)
        # a message already in core's queue: the old report joins that open case
        await reports.flag("groups.message", msgs[0], "blocklist: buy")

        await _run_data_migrations()
        first = await _cases()
        await _run_data_migrations()  # idempotent

        assert await _cases() == first
        by_target = {(x["target_type"], x["target_id"]): x for x in first}
        assert set(by_target) == {("groups.message", msgs[0]), ("media.item", items[0]), ("media.item", items[1]),
                                  ("reviews.review", review)}
        chat = by_target["groups.message", msgs[0]]
        assert (chat["reporters"], chat["reporters_ids"], chat["texts"]) == (2, [a, b], ["spam link", "again"])
        assert chat["hidden"]  # the screening's case it joined
        photo = by_target["media.item", items[0]]
        assert (photo["author"], photo["reporters"], photo["hidden"]) == (author, 2, False)
        assert photo["reasons"] == ["harassment", "illegal"] and photo["texts"] == ["violence: a fight", "copyright"]
        assert by_target["media.item", items[1]]["hidden"]  # the old threshold held it: a dismissal shows it again
        rv = by_target["reviews.review", review]
        assert (rv["reporters_ids"], rv["reasons"], rv["texts"], rv["status"]) == ([c], ["other"], ["fake"], "open")
        # the carried reports are in the reporters' own list, and staff decide them in the one queue
        mine = await reports.mine(b, None, 10)
        assert [(r["target_type"], r["status"]) for r in mine.items] == [("media.item", "open"),
                                                                       ("groups.message", "open")]
    finally:
        for table in ("groups.chat_report", "media.report", "reviews.report"):
            await db.fetch(f"DROP TABLE IF EXISTS {table}")


async def test_the_old_tables_are_dropped(make_app: Any) -> None:
    make_app(["events", "groups", "media", "reviews"])
    rows = await db.fetch("SELECT to_regclass('groups.chat_report') AS chat, to_regclass('media.report') AS media, "
                          "to_regclass('reviews.report') AS reviews")
    assert dict(rows[0]) == {"chat": None, "media": None, "reviews": None}
