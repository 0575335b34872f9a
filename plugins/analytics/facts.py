"""Domain facts from the events hooks, written inside the event's own transaction (they commit or roll back with it).

One small insert per hook call and no other I/O: the rollups fold the facts in later (``rollups.refresh``).
"""

from __future__ import annotations

import logging

from core import clock
from plugins.analytics.tables import Fact
from plugins.events.hookspecs import EventInfo

log = logging.getLogger("plugins.analytics")

JOIN_KINDS = {"confirmed": "joined", "waitlisted": "waitlisted", "pending": "requested"}
INSERT = (
    "INSERT INTO analytics.fact (kind, event_id, author_id, user_id, occurred_at, duration_s, txid) "
    "VALUES ({}, {}, {}, {}, {}, {}, pg_current_xact_id()::text::bigint)"
)


async def record(kind: str, event: EventInfo, user_id: int | None, duration_s: float | None = None) -> None:
    """Store one fact about ``event`` (``user_id``: who acted)."""
    # Piccolo's raw() joins the caller's transaction (the events change), unlike a fresh pool connection.
    await Fact.raw(INSERT, kind, event.id, event.author_id, user_id, clock.now(), duration_s)


async def record_decision(kind: str, event: EventInfo, moderator_id: int | None) -> None:
    """Store a moderation decision with the time since the event's latest submission (the throughput figure)."""
    rows = await Fact.raw(
        "SELECT occurred_at FROM analytics.fact WHERE event_id = {} AND kind = 'submitted' "
        "ORDER BY id DESC LIMIT 1", event.id)
    duration = None
    if rows and moderator_id is not None:
        duration = max(0.0, (clock.now() - rows[0]["occurred_at"]).total_seconds())
    await record(kind, event, moderator_id, duration)


async def record_join(event: EventInfo, user_id: int, status: str) -> None:
    """Store a join (``joined``, ``waitlisted`` or ``requested``) and convert the user's join experiments."""
    from plugins.analytics import experiments

    await record(JOIN_KINDS.get(status, status), event, user_id)
    if status == "confirmed":
        await experiments.convert_goal("join", f"u:{user_id}")
