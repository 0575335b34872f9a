"""The notifications of events: its kinds, and the notices its own hooks ask for (inside the change's transaction).

Nothing here knows who delivers them: ``core.notifications.send`` asks the enabled plugins (notify, when it is on).
Templates: ``templates/events/notifications/<language>/<kind>.txt|.html``; their context is ``event`` (a snapshot
with ISO moments), ``place`` and, per kind, ``reason``, ``changes``, ``seats``, ``expires_at``.
Keys: ``events.event:<id>:reminder`` (a participant's reminders) and ``events.event:<id>:offer`` (a seat offer), so
a later notice replaces a pending one and ``withdraw`` cancels them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core import notifications
from core.notifications import Notice, NotificationKind
from plugins.events.hookspecs import EventInfo
from plugins.events.tables import Participation

log = logging.getLogger("plugins.events")

KINDS = [
    NotificationKind("events.submitted", label="My event is waiting for review"),
    NotificationKind("events.published", label="My event was published"),
    NotificationKind("events.rejected", label="My event was rejected"),
    NotificationKind("events.changed", label="An event I joined changed"),
    NotificationKind("events.cancelled", label="An event I joined was cancelled", channels=("push", "sms", "email")),
    NotificationKind("events.waitlist_offer", label="A place freed up for me", channels=("push", "sms", "email"),
                     critical=True, description="Freed seats offered to you from the waitlist, with a deadline."),
    NotificationKind("events.reminder", label="Reminders before events I joined",
                     description="Before the start: 24 h, 5 h and 1 h, or the offsets you chose."),
]

# Fields whose change participants hear about (a new description alone does not wake anyone up).
NOTABLE_CHANGES = ("starts_at", "ends_at", "venue_name", "city", "address", "online", "title")
# Everyone with a place or waiting for one hears about changes and cancellations.
TAKING_PART = ("confirmed", "waitlisted", "pending", "offered")


def subject(event_id: int) -> str:
    """What the notices are about, for the delivery log and the app (``events.event:42``)."""
    return f"events.event:{event_id}"


def reminder_key(event_id: int) -> str:
    """The key of a participant's reminders of an event."""
    return f"events.event:{event_id}:reminder"


def offer_key(event_id: int) -> str:
    """The key of a waitlist offer of an event."""
    return f"events.event:{event_id}:offer"


def context(event: EventInfo, **extra: Any) -> dict[str, Any]:
    """What a template knows about the event (a copy: the event may change or vanish before delivery)."""
    place = ", ".join(p for p in (event.venue_name, event.city) if p) or ("online" if event.online else "")
    return {"event": {"id": event.id, "title": event.title, "status": event.status,
                      "starts_at": event.starts_at.isoformat(), "ends_at": event.ends_at.isoformat(),
                      "timezone": event.timezone, "venue_name": event.venue_name, "city": event.city,
                      "online": event.online},
            "place": place, **extra}


async def participants(event_id: int, statuses: Sequence[str]) -> list[int]:
    """Users of ``event_id`` in one of ``statuses``, read in the current transaction (Piccolo joins it)."""
    rows = await Participation.select(Participation.user).where(
        (Participation.event == event_id) & Participation.status.is_in(list(statuses))
    ).order_by(Participation._meta.primary_key)
    return [r["user"] for r in rows]


# ---------------------------------------------------------------------------------------------------------------------
# Reactions to events' own hooks
# ---------------------------------------------------------------------------------------------------------------------


async def moderated(event: EventInfo, kind: str, reason: str = "") -> None:
    """Tell the author where moderation stands (submitted for review, published, rejected)."""
    await notifications.send(Notice(kind, user_ids=(event.author_id,), context=context(event, reason=reason),
                                    subject=subject(event.id)))


async def remind(event: EventInfo, user_ids: Sequence[int]) -> None:
    """Schedule (or move: the key replaces pending ones) the reminders of ``user_ids`` before the start."""
    await notifications.send(Notice("events.reminder", user_ids=user_ids, context=context(event),
                                    key=reminder_key(event.id), remind_before=event.starts_at,
                                    subject=subject(event.id)))


async def joined(event: EventInfo, user_id: int, status: str) -> None:
    """A confirmed participant gets reminders; anyone else (waitlisted, pending) has none."""
    if status == "confirmed":
        await remind(event, [user_id])
    else:
        await notifications.withdraw(reminder_key(event.id), [user_id])


async def left(event: EventInfo, user_id: int) -> None:
    """Reminders and any pending seat offer go with the participant."""
    await notifications.withdraw(reminder_key(event.id), [user_id])
    await notifications.withdraw(offer_key(event.id), [user_id])


async def changed(event: EventInfo, changes: dict[str, Any]) -> None:
    """Tell participants of notable changes; their reminders move with the time (and carry the new details)."""
    notable = [c for c in changes if c in NOTABLE_CHANGES]
    if not notable:
        return
    confirmed = await participants(event.id, ("confirmed",))
    if confirmed:
        await remind(event, confirmed)
    await notifications.send(Notice("events.changed", user_ids=await participants(event.id, TAKING_PART),
                                    context=context(event, changes=notable), subject=subject(event.id)))


async def cancelled(event: EventInfo, reason: str) -> None:
    """Reminders and offers go; everyone taking part hears it (urgently when the event was to be today)."""
    await notifications.withdraw(reminder_key(event.id))
    await notifications.withdraw(offer_key(event.id))
    await notifications.send(Notice("events.cancelled", user_ids=await participants(event.id, TAKING_PART),
                                    context=context(event, reason=reason), urgent_if_today=event.starts_at,
                                    subject=subject(event.id)))


async def finished(event: EventInfo) -> None:
    """Nothing left to remind of or offer."""
    await notifications.withdraw(reminder_key(event.id))
    await notifications.withdraw(offer_key(event.id))


async def offered(event: EventInfo, user_id: int, seats: int, expires_at: datetime) -> None:
    """Tell a waitlisted person about freed seats: urgent (quiet hours would let it expire unseen), with a deadline."""
    await notifications.send(Notice("events.waitlist_offer", user_ids=(user_id,),
                                    context=context(event, seats=seats, expires_at=expires_at.isoformat()),
                                    key=offer_key(event.id), urgent=True, expires_at=expires_at,
                                    subject=subject(event.id)))


async def offer_expired(event: EventInfo, user_id: int) -> None:
    """An offer not claimed in time: its notice, if still waiting (quiet hours, retries), is no longer true."""
    await notifications.withdraw(offer_key(event.id), [user_id])
