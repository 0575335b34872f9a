"""Hooks the groups plugin offers to others (notify, analytics, search implement what they need).

Every hook here is a notification: all implementations run; one that raises is logged with its plugin's name and
the others still run. They are called **inside the database transaction of the change** (after the rows are
written, before commit): an implementation that writes with Piccolo joins that transaction, so its write and the
change commit or roll back together. Do no slow I/O in them (no HTTP): record a row, or act after commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.hooks import hookspec
from core.hooks.policy import notification


@dataclass(frozen=True)
class GroupInfo:
    """A snapshot of a group for other plugins (the public shape; the tables are private to groups)."""

    id: int
    slug: str
    name: str
    description: str
    visibility: str  # public | unlisted | private
    join_policy: str  # open | request | invite
    tags: tuple[str, ...]
    city: str
    latitude: float | None
    longitude: float | None
    member_count: int
    owner_id: int
    hidden: bool = False  # hidden by reports: only its members and staff see it, search drops it


@notification
@hookspec
def group_created(group: GroupInfo, actor_id: int) -> None:
    """Called when a user creates a group (they are its owner)."""


@notification
@hookspec
def group_changed(group: GroupInfo, actor_id: int) -> None:
    """Called when a group's owner or an admin edits it (name, description, tags, place, visibility, policy).

    Also when reports hide it or staff show it again (``group.hidden``; ``actor_id`` 0 for the reports' threshold).
    """


@notification
@hookspec
def group_deleted(group: GroupInfo, actor_id: int) -> None:
    """Called when a group is deleted (its owner, or a platform moderator); ``group`` is the snapshot before."""


@notification
@hookspec
def member_joined(group: GroupInfo, user_id: int, role: str) -> None:
    """Called when a user becomes an active member: joined an open group, accepted an invitation, or was approved."""


@notification
@hookspec
def member_left(group: GroupInfo, user_id: int, reason: str) -> None:
    """Called when an active member stops being one; ``reason`` is ``left``, ``removed`` or ``banned``."""


@notification
@hookspec
def partner_matched(event_id: int, user_ids: tuple[int, int], proposal_id: int) -> None:
    """Called when two people both accept a "+1" proposal for an event (their anonymous chat opens)."""
