"""The outbox: notifications written as rows in the transaction of the change that causes them.

Everything here runs inside the caller's transaction (the events hooks are called in it), so it goes through
Piccolo (``Table.raw``), which joins the task's current transaction; nothing here does network I/O.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from core import clock
from core.hooks import plugin_settings
from plugins.notify import NotifySettings
from plugins.notify.tables import Notification

log = logging.getLogger("plugins.notify")

# Fields whose change participants hear about (a new description alone does not wake anyone up).
NOTABLE_CHANGES = ("starts_at", "ends_at", "venue_name", "city", "address", "online", "title")


def settings() -> NotifySettings:
    """The notify plugin's settings."""
    return plugin_settings(NotifySettings)


async def sql(query: str, *args: Any) -> list[dict[str, Any]]:
    """Run SQL (``{}`` placeholders) in the current transaction when there is one."""
    rows: list[dict[str, Any]] = await Notification.raw(query, *args)
    return rows


def snapshot(event: Any) -> dict[str, Any]:
    """What a notification needs to know about an event (copied: the event may change or vanish later)."""
    return {
        "id": event.id, "title": event.title, "status": event.status,
        "starts_at": event.starts_at.isoformat(), "ends_at": event.ends_at.isoformat(),
        "timezone": event.timezone, "venue_name": event.venue_name, "city": event.city, "online": event.online,
    }


async def add(user_id: int, kind: str, payload: dict[str, Any], *, due_at: datetime | None = None,
              urgent: bool = False, event_id: int | None = None, dedupe_key: str | None = None) -> int | None:
    """Write one notification; returns its id, or None when ``dedupe_key`` was already used."""
    now = clock.now()
    rows = await sql(
        "INSERT INTO notify.notification (user_id, kind, event_id, payload, urgent, status, due_at, attempts, error, "
        "dedupe_key, created_at) VALUES ({}, {}, {}, {}::jsonb, {}, 'pending', {}, 0, '', {}, {}) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        user_id, kind, event_id, json.dumps(payload), urgent, due_at or now, dedupe_key, now,
    )
    log.info("notification %s queued for user %s (%s)", rows[0]["id"] if rows else "-", user_id, kind)
    return rows[0]["id"] if rows else None


async def add_for_participants(event: Any, kind: str, payload: dict[str, Any], statuses: tuple[str, ...],
                               urgent: bool = False) -> int:
    """Write one notification per participant of ``event`` in one of ``statuses``; returns how many."""
    now = clock.now()
    rows = await sql(
        "WITH ins AS (INSERT INTO notify.notification (user_id, kind, event_id, payload, urgent, status, due_at, "
        "attempts, error, created_at) SELECT p.user_id, {}, p.event_id, {}::jsonb, {}, 'pending', {}, 0, '', {} "
        "FROM notify.participant p WHERE p.event_id = {} AND p.status = ANY({}::text[]) RETURNING 1) "
        "SELECT count(*) AS n FROM ins",
        kind, json.dumps(payload), urgent, now, now, event.id, list(statuses),
    )
    n = int(rows[0]["n"])
    log.info("%d %s notification(s) queued for event %s", n, kind, event.id)
    return n


async def schedule_reminders(event: Any, user_id: int | None = None) -> int:
    """Create the reminders of ``event`` for its confirmed participants (or one of them); returns how many.

    One row per offset (the user's own offsets, else the platform's), due ``starts_at - offset``; moments already
    passed are skipped. Idempotent: the dedupe key names event, user, offset and start time; a reminder cancelled
    earlier (the user left and came back) is revived.
    """
    now = clock.now()
    starts = event.starts_at
    payload = json.dumps({"event": snapshot(event)})
    rows = await sql(
        "WITH ins AS (INSERT INTO notify.notification (user_id, kind, event_id, payload, urgent, status, due_at, "
        "attempts, error, dedupe_key, offset_min, created_at) "
        "SELECT p.user_id, 'reminder', p.event_id, {}::jsonb, false, 'pending', "
        "{}::timestamptz - make_interval(mins => o.m), "
        "0, '', 'reminder:' || p.event_id || ':' || p.user_id || ':' || o.m || ':' || {}::text, o.m, {} "
        "FROM notify.participant p LEFT JOIN notify.user_options u ON u.user_id = p.user_id "
        "CROSS JOIN LATERAL unnest(COALESCE(u.reminder_offsets, {}::int[])) AS o(m) "
        "WHERE p.event_id = {} AND p.status = 'confirmed' AND ({}::int IS NULL OR p.user_id = {}::int) "
        "AND {}::timestamptz - make_interval(mins => o.m) > {} "
        "ON CONFLICT (dedupe_key) DO UPDATE SET status = 'pending', due_at = EXCLUDED.due_at, attempts = 0, "
        "error = '', payload = EXCLUDED.payload, finished_at = NULL WHERE notification.status = 'cancelled' "
        "RETURNING 1) SELECT count(*) AS n FROM ins",
        payload, starts, str(int(starts.timestamp())), now, list(settings().reminder_offsets_min), event.id,
        user_id, user_id, starts, now,
    )
    return int(rows[0]["n"])


async def cancel_reminders(event_id: int, user_id: int | None = None, reason: str = "") -> int:
    """Cancel the reminders of an event (or of one participant) not yet handed to a worker; returns how many."""
    rows = await sql(
        "WITH c AS (UPDATE notify.notification SET status = 'cancelled', finished_at = {}, error = {}, "
        "lease_until = NULL WHERE event_id = {} AND kind = 'reminder' AND status IN ('pending', 'queued') "
        "AND ({}::int IS NULL OR user_id = {}::int) RETURNING 1) SELECT count(*) AS n FROM c",
        clock.now(), reason, event_id, user_id, user_id,
    )
    return int(rows[0]["n"])


async def set_participant(event: Any, user_id: int, status: str, guests: int) -> None:
    """Remember that ``user_id`` takes part in ``event`` (confirmed, waitlisted or pending)."""
    await sql(
        "INSERT INTO notify.participant (event_id, user_id, key, status, guests) VALUES ({}, {}, {}, {}, {}) "
        "ON CONFLICT (key) DO UPDATE SET status = EXCLUDED.status, guests = EXCLUDED.guests",
        event.id, user_id, f"{event.id}:{user_id}", status, guests,
    )


async def drop_participant(event_id: int, user_id: int | None = None) -> None:
    """Forget a participant (or every participant of a finished/cancelled event)."""
    await sql("DELETE FROM notify.participant WHERE event_id = {} AND ({}::int IS NULL OR user_id = {}::int)",
              event_id, user_id, user_id)


# ---------------------------------------------------------------------------------------------------------------------
# Reactions to the events hooks (called inside the events transaction)
# ---------------------------------------------------------------------------------------------------------------------


async def on_participant_joined(event: Any, user_id: int, guests: int, status: str) -> None:
    """Record the participant; schedule reminders when confirmed, drop them otherwise."""
    await set_participant(event, user_id, status, guests)
    if status == "confirmed":
        n = await schedule_reminders(event, user_id)
        log.info("user %s joined event %s: %d reminder(s) scheduled", user_id, event.id, n)
    else:
        await cancel_reminders(event.id, user_id, reason=f"participant {status}")


async def on_participant_left(event: Any, user_id: int) -> None:
    """Forget the participant and cancel their reminders."""
    await drop_participant(event.id, user_id)
    n = await cancel_reminders(event.id, user_id, reason="participant left")
    log.info("user %s left event %s: %d reminder(s) cancelled", user_id, event.id, n)


async def on_event_changed(event: Any, changes: dict[str, Any]) -> None:
    """Reschedule on a time change, refresh copies otherwise, tell participants of notable changes."""
    if "starts_at" in changes:
        dropped = await cancel_reminders(event.id, reason="event time changed")
        made = await schedule_reminders(event)
        log.info("event %s moved: %d reminder(s) dropped, %d scheduled", event.id, dropped, made)
    elif changes:
        # Pending reminders carry a copy of the event: keep it current (title, place).
        await sql("UPDATE notify.notification SET payload = payload || jsonb_build_object('event', {}::jsonb) "
                  "WHERE event_id = {} AND kind = 'reminder' AND status = 'pending'",
                  json.dumps(snapshot(event)), event.id)
    notable = [c for c in changes if c in NOTABLE_CHANGES]
    if notable:
        await add_for_participants(event, "event_changed", {"event": snapshot(event), "changes": notable},
                                   ("confirmed", "waitlisted", "pending"))


async def on_event_cancelled(event: Any, reason: str) -> None:
    """Cancel reminders and tell everyone who took part."""
    await cancel_reminders(event.id, reason="event cancelled")
    # Urgency (today's event) depends on each user's timezone: decided at delivery.
    await add_for_participants(event, "event_cancelled", {"event": snapshot(event), "reason": reason},
                               ("confirmed", "waitlisted", "pending"))
    await drop_participant(event.id)


async def on_event_finished(event: Any) -> None:
    """Clean up after the event."""
    await cancel_reminders(event.id, reason="event finished")
    await drop_participant(event.id)


async def on_moderated(event: Any, kind: str, reason: str = "") -> None:
    """Tell the author where moderation stands (submitted for review, published, rejected)."""
    await add(event.author_id, kind, {"event": snapshot(event), "reason": reason}, event_id=event.id)


async def on_waitlist_offer(event: Any, user_id: int, seats: int, expires_at: datetime) -> None:
    """Tell a waitlisted person about freed seats."""
    # An offer has a deadline: it is urgent (quiet hours would make it expire unseen).
    await add(user_id, "waitlist_offer", {"event": snapshot(event), "seats": seats,
                                          "expires_at": expires_at.isoformat()},
              urgent=True, event_id=event.id, dedupe_key=f"offer:{event.id}:{user_id}:{int(expires_at.timestamp())}")


async def on_send_verification(user_id: int, channel: str, destination: str, code: str, purpose: str) -> None:
    """Queue a verification code."""
    await add(user_id, "verification", {"channel": channel, "destination": destination, "code": code,
                                        "purpose": purpose, "ttl_minutes": _code_ttl_minutes()}, urgent=True)


def _code_ttl_minutes() -> int:
    from core.settings import get_settings

    return max(1, round(get_settings().auth.code_ttl_s / 60))
