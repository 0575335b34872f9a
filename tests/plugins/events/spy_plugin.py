"""A test plugin implementing every events hook: it records each call (and checks it runs inside the transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import db
from core.hooks import hookimpl
from plugins.events.hookspecs import EventInfo

calls: list[tuple[str, dict[str, Any]]] = []


def _record(name: str, **kwargs: Any) -> None:
    calls.append((name, kwargs))


@hookimpl
def event_submitted(event: EventInfo, actor_id: int) -> None:
    _record("event_submitted", event=event, actor_id=actor_id)


@hookimpl
async def event_published(event: EventInfo, moderator_id: int | None) -> None:
    # Inside the change's transaction: the row is already published for this connection.
    tx = db.engine().current_transaction.get()
    status = await tx.connection.fetchval("SELECT status FROM events.event WHERE id = $1", event.id) if tx else None
    _record("event_published", event=event, moderator_id=moderator_id, in_tx_status=status)


@hookimpl
def event_rejected(event: EventInfo, moderator_id: int, reason: str) -> None:
    _record("event_rejected", event=event, moderator_id=moderator_id, reason=reason)


@hookimpl
def event_changed(event: EventInfo, changes: dict[str, tuple[Any, Any]], actor_id: int) -> None:
    _record("event_changed", event=event, changes=changes, actor_id=actor_id)


@hookimpl
def event_cancelled(event: EventInfo, reason: str, actor_id: int) -> None:
    _record("event_cancelled", event=event, reason=reason, actor_id=actor_id)


@hookimpl
def event_finished(event: EventInfo) -> None:
    _record("event_finished", event=event)


@hookimpl
def participant_joined(event: EventInfo, user_id: int, guests: int, status: str) -> None:
    _record("participant_joined", event=event, user_id=user_id, guests=guests, status=status)


@hookimpl
def participant_left(event: EventInfo, user_id: int) -> None:
    _record("participant_left", event=event, user_id=user_id)


@hookimpl
def waitlist_offer_made(event: EventInfo, user_id: int, seats: int, expires_at: datetime) -> None:
    _record("waitlist_offer_made", event=event, user_id=user_id, seats=seats, expires_at=expires_at)


@hookimpl
def waitlist_offer_expired(event: EventInfo, user_id: int) -> None:
    _record("waitlist_offer_expired", event=event, user_id=user_id)
