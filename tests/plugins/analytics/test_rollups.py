"""Hooks → facts → rollups: each hook implementation does what its spec promises; the watermark never skips a row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg

from core import db, hooks
from plugins.analytics import ingest, rollups
from plugins.analytics.schemas import ClientEventBatch, ClientEventIn
from plugins.events import hookspecs as events_specs

from .conftest import info


async def facts() -> list[tuple[str, int, int | None]]:
    rows = await db.fetch("SELECT kind, event_id, user_id FROM analytics.fact ORDER BY id")
    return [(r["kind"], r["event_id"], r["user_id"]) for r in rows]


async def platform(day: Any) -> dict[str, Any]:
    rows = await db.fetch("SELECT * FROM analytics.platform_daily WHERE day = $1", day)
    return rows[0] if rows else {}


async def test_each_events_hook_records_its_fact(sbor_database: Any, clock: Any) -> None:
    clock.freeze()
    ev = info(10, author_id=1)
    await hooks.notify(events_specs.event_submitted, event=ev, actor_id=1)
    await hooks.notify(events_specs.event_published, event=ev, moderator_id=2)
    await hooks.notify(events_specs.event_rejected, event=info(11, 1), moderator_id=2, reason="spam")
    await hooks.notify(events_specs.participant_joined, event=ev, user_id=3, guests=0, status="confirmed")
    await hooks.notify(events_specs.participant_joined, event=ev, user_id=4, guests=1, status="waitlisted")
    await hooks.notify(events_specs.participant_joined, event=ev, user_id=5, guests=0, status="pending")
    await hooks.notify(events_specs.participant_left, event=ev, user_id=3)
    await hooks.notify(events_specs.event_cancelled, event=ev, reason="rain", actor_id=1)
    assert await facts() == [("submitted", 10, 1), ("published", 10, 2), ("rejected", 11, 2), ("joined", 10, 3),
                             ("waitlisted", 10, 4), ("requested", 10, 5), ("left", 10, 3), ("cancelled", 10, 1)]


async def test_moderation_throughput_is_time_from_submit_to_decision(sbor_database: Any, clock: Any) -> None:
    now = clock.freeze()
    await hooks.notify(events_specs.event_submitted, event=info(1, 1), actor_id=1)
    await hooks.notify(events_specs.event_submitted, event=info(2, 1), actor_id=1)
    clock.advance(timedelta(hours=2))
    await hooks.notify(events_specs.event_published, event=info(1, 1), moderator_id=9)
    clock.advance(timedelta(hours=2))
    await hooks.notify(events_specs.event_rejected, event=info(2, 1), moderator_id=9, reason="no")
    await rollups.refresh()
    day = await platform(now.date())
    assert day["events_submitted"] == 2
    assert day["events_published"] == 1
    assert day["moderation_decisions"] == 2
    assert day["moderation_seconds"] == 6 * 3600  # 2 h + 4 h


async def test_facts_roll_back_with_the_change(sbor_database: Any) -> None:
    try:
        async with db.engine().transaction():
            await hooks.notify(events_specs.participant_joined, event=info(1, 1),
                               user_id=2, guests=0, status="confirmed")
            raise RuntimeError("the join failed after the hook")
    except RuntimeError:
        pass
    assert await facts() == []


async def test_rollups_count_each_row_once_across_refreshes(sbor_database: Any, clock: Any) -> None:
    now = clock.freeze()
    ev = info(20, 1)
    await hooks.notify(events_specs.participant_joined, event=ev, user_id=2, guests=0, status="confirmed")
    await rollups.refresh()
    await rollups.refresh()  # nothing new: no double count
    await hooks.notify(events_specs.participant_joined, event=ev, user_id=3, guests=0, status="confirmed")
    await hooks.notify(events_specs.participant_left, event=ev, user_id=2)
    await rollups.refresh()
    rows = await db.fetch("SELECT day, joins, leaves FROM analytics.event_daily WHERE event_id = 20")
    assert rows == [{"day": now.date(), "joins": 2, "leaves": 1}]
    assert (await platform(now.date()))["active_users"] == 2


async def test_a_row_committed_late_is_not_skipped(sbor_database: Any, sbor_env: dict[str, str]) -> None:
    # A transaction that wrote a fact stays open (a slow request) while newer rows commit and a refresh runs.
    slow = await asyncpg.connect(sbor_env["SBOR_DATABASE_URL"])
    try:
        tx = slow.transaction()
        await tx.start()
        await slow.execute(
            "INSERT INTO analytics.fact (kind, event_id, author_id, user_id, occurred_at, txid) "
            "VALUES ('joined', 30, 1, 7, now(), pg_current_xact_id()::text::bigint)")
        await hooks.notify(events_specs.participant_joined, event=info(30, 1), user_id=8, guests=0, status="confirmed")
        await rollups.refresh()
        rows = await db.fetch("SELECT joins FROM analytics.event_daily WHERE event_id = 30")
        # The newer row is counted; the older one, not committed yet, is not (and is not forgotten either).
        assert rows == [{"joins": 1}]
        await tx.commit()
    finally:
        await slow.close()
    await rollups.refresh()
    rows = await db.fetch("SELECT joins FROM analytics.event_daily WHERE event_id = 30")
    assert rows == [{"joins": 2}]
    await rollups.refresh()
    assert await db.fetch("SELECT joins FROM analytics.event_daily WHERE event_id = 30") == [{"joins": 2}]


async def test_unique_viewers_by_day_and_over_the_event_life(sbor_database: Any, clock: Any) -> None:
    day1 = clock.freeze()

    async def view(device: str | None, user: int | None, n: int = 1) -> None:
        import uuid

        events = [ClientEventIn(id=uuid.uuid4(), name="event_viewed", occurred_at=clock.now(), event_id=40)
                  for _ in range(n)]
        await ingest.accept_batch(ClientEventBatch(events=events, device_id=device), user)
        await ingest.consume()
        await rollups.refresh()

    await view("device-aaaa", None, 3)
    await view(None, 5, 2)
    clock.advance(timedelta(days=1))
    await view("device-aaaa", None)
    await view("device-bbbb", None)
    rows = await db.fetch("SELECT day, views, unique_viewers FROM analytics.event_daily WHERE event_id = 40 "
                          "ORDER BY day")
    assert rows == [{"day": day1.date(), "views": 5, "unique_viewers": 2},
                    {"day": day1.date() + timedelta(days=1), "views": 2, "unique_viewers": 2}]
    assert await rollups.event_unique_viewers(40) == 3
    assert (await platform(day1.date()))["active_users"] == 2
    assert (await platform(day1.date()))["client_events"] == 5


async def test_an_unrelated_long_transaction_does_not_hold_the_rollups_back(sbor_database: Any,
                                                                            sbor_env: dict[str, str]) -> None:
    # Another session (another database of the cluster, say) holds a transaction id for a long time.
    other = await asyncpg.connect(sbor_env["SBOR_DATABASE_URL"])
    try:
        tx = other.transaction()
        await tx.start()
        await other.fetchval("SELECT pg_current_xact_id()")
        await hooks.notify(events_specs.participant_joined, event=info(31, 1), user_id=8, guests=0, status="confirmed")
        await rollups.refresh()
        assert await db.fetch("SELECT joins FROM analytics.event_daily WHERE event_id = 31") == [{"joins": 1}]
        await hooks.notify(events_specs.participant_joined, event=info(31, 1), user_id=9, guests=0, status="confirmed")
        await rollups.refresh()
        assert await db.fetch("SELECT joins FROM analytics.event_daily WHERE event_id = 31") == [{"joins": 2}]
        await tx.rollback()
    finally:
        await other.close()
    await rollups.refresh()
    assert await db.fetch("SELECT joins FROM analytics.event_daily WHERE event_id = 31") == [{"joins": 2}]


async def test_purge_deletes_only_old_rows_already_rolled_up(sbor_database: Any, clock: Any) -> None:
    from plugins.analytics import jobs

    start = clock.freeze()
    await hooks.notify(events_specs.participant_joined, event=info(50, 1), user_id=2, guests=0, status="confirmed")
    await rollups.refresh()
    # The watermark is the snapshot's xmin, which is cluster-wide: a transaction open in another database (another
    # test session) holds it back, and purge then rightly keeps the row. Every row of this database is committed and
    # was counted by the refresh above, so move the watermark past them, as a refresh on a quiet server would.
    await db.fetch("UPDATE analytics.rollup_watermark SET position = pg_current_xact_id()::text::bigint "
                   "WHERE name = 'rollups'")
    clock.advance(timedelta(days=181))
    await hooks.notify(events_specs.participant_joined, event=info(50, 1),
                       user_id=3, guests=0, status="confirmed")  # recent
    # An old row not yet counted (written after the last refresh, dated in the past) must survive the purge.
    await db.fetch("INSERT INTO analytics.fact (kind, event_id, author_id, user_id, occurred_at, txid) "
                   "VALUES ('left', 50, 1, 2, $1, pg_current_xact_id()::text::bigint)", start)
    await jobs.purge()
    assert sorted(await facts()) == [("joined", 50, 3), ("left", 50, 2)]
    await rollups.refresh()
    rows = await db.fetch("SELECT day, joins, leaves FROM analytics.event_daily WHERE event_id = 50 ORDER BY day")
    assert rows == [{"day": start.date(), "joins": 1, "leaves": 1},
                    {"day": (start + timedelta(days=181)).date(), "joins": 1, "leaves": 0}]


async def test_one_refresh_at_a_time(sbor_database: Any, sbor_env: dict[str, str]) -> None:
    await hooks.notify(events_specs.participant_joined, event=info(60, 1), user_id=2, guests=0, status="confirmed")
    other = await asyncpg.connect(sbor_env["SBOR_DATABASE_URL"])
    try:
        tx = other.transaction()
        await tx.start()
        assert await other.fetchval("SELECT pg_try_advisory_xact_lock($1)", rollups.LOCK)
        assert await rollups.refresh() is None  # busy: the other refresher covers these rows
        await tx.rollback()
    finally:
        await other.close()
    assert await rollups.refresh() is not None
    assert await db.fetch("SELECT joins FROM analytics.event_daily WHERE event_id = 60") == [{"joins": 1}]
