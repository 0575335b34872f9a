"""Hooks the events plugin offers to others (notify, analytics, search implement them).

Every hook here but the last is a notification: all implementations run; one that raises is logged with its plugin's
name and the others still run. They are called **inside the database transaction of the change** (after the row is
written, before commit): an implementation that writes with Piccolo joins that transaction (notify's outbox relies
on it), so the write and the change commit or roll back together. Do no slow I/O in them (no HTTP, no SMTP): record
a row or enqueue after commit.

``event`` is always an :class:`EventInfo` snapshot taken after the change.

``group_access_from_groups`` is a decision: the plugin that owns groups tells events who may see, join and manage a
group's events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.hooks import hookspec
from core.hooks.policy import decision, notification


@dataclass(frozen=True)
class EventInfo:
    """A snapshot of an event for other plugins (the public shape; the table is private to events)."""

    id: int
    title: str
    author_id: int
    status: str
    starts_at: datetime  # aware, UTC
    ends_at: datetime  # aware, UTC
    timezone: str  # the venue's IANA timezone (online events: the author's)
    venue_name: str | None
    city: str | None
    latitude: float | None
    longitude: float | None
    online: bool
    capacity: int | None
    tags: tuple[str, ...]
    category: str | None
    visibility: str = "public"  # public | link | group (only the hosting group's members)
    group_id: int | None = None  # the group hosting the event (groups plugin), if any
    venue_id: int | None = None


@notification
@hookspec
def event_submitted(event: EventInfo, actor_id: int) -> None:
    """Called when an author submits an event for review (status draft/rejected → pending_review)."""


@notification
@hookspec
def event_published(event: EventInfo, moderator_id: int | None) -> None:
    """Called when a moderator approves an event (pending_review → published)."""


@notification
@hookspec
def event_rejected(event: EventInfo, moderator_id: int, reason: str) -> None:
    """Called when a moderator rejects an event (pending_review → rejected) with a reason for the author."""


@notification
@hookspec
def event_changed(event: EventInfo, changes: dict[str, tuple[Any, Any]], actor_id: int) -> None:
    """Called after an author edits an event; ``changes`` maps field name to ``(old, new)``.

    ``starts_at``/``ends_at`` in ``changes`` means the time moved (reminders move with it).
    """


@notification
@hookspec
def event_cancelled(event: EventInfo, reason: str, actor_id: int) -> None:
    """Called when a published event is cancelled (by its author or a moderator)."""


@notification
@hookspec
def event_finished(event: EventInfo) -> None:
    """Called when a published event's end has passed (the periodic finisher moves it to finished)."""


@notification
@hookspec
def participant_joined(event: EventInfo, user_id: int, guests: int, status: str) -> None:
    """Called when a user joins; ``status`` is ``confirmed``, ``waitlisted`` or ``pending`` (approval needed).

    Also called with ``confirmed`` when a waitlisted or pending participant becomes confirmed.
    """


@notification
@hookspec
def participant_left(event: EventInfo, user_id: int) -> None:
    """Called when a participant (confirmed, waitlisted or pending) leaves or is removed."""


@notification
@hookspec
def waitlist_offer_made(event: EventInfo, user_id: int, seats: int, expires_at: datetime) -> None:
    """Called when freed seats are offered to a waitlisted user, who must claim them before ``expires_at``."""


@notification
@hookspec
def waitlist_offer_expired(event: EventInfo, user_id: int) -> None:
    """Called when an offer was not claimed in time (the seats pass to the next person on the waitlist)."""


@dataclass(frozen=True)
class GroupAccess:
    """What a user may do with the events a group hosts, as the plugin that owns groups answers it."""

    name: str  # the group's name, shown with its events
    member: bool  # may see and join the group's members-only events (visibility ``group``)
    manager: bool  # may create events for the group and edit, submit and cancel them as their author can


@decision
@hookspec(firstresult=True)
def group_access_from_groups(group_id: int, user_id: int | None) -> GroupAccess | None:
    """Resolve what ``user_id`` (None: anonymous) may do with the events of group ``group_id``.

    Decision hook: the first non-None answer wins; an exception propagates. None means no such group visible to the
    user (or no plugin owns groups): the group's members-only events stay hidden from everyone but their author and
    participants, and no new event can name the group.
    """
