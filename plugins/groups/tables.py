"""Tables of the groups plugin (schema ``groups``). Private: other plugins use hooks (``hookspecs.py``).

Sections: groups and members (``services``/``members``/``invites``), chat (``chat/``), "+1" (``partners/``).
Events are referenced by id (``event_id``): events' tables are private to events, so there is no foreign key.
"""

from __future__ import annotations

from piccolo.columns import (  # noqa: F401  (each section takes what it needs)
    Array,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow  # noqa: F401
from piccolo.table import Table  # noqa: F401

from core.users.tables import User  # noqa: F401

# ---------------------------------------------------------------------------------------------------------------------
# Groups, members, invitations, followers
# ---------------------------------------------------------------------------------------------------------------------


class Group(Table, schema="groups"):
    """A group. ``search`` (a generated tsvector) exists only in the database (``migration_raw``).

    ``member_count``/``follower_count`` are kept under the group's row lock; the owner is the one active member
    with role ``owner`` (a partial unique index holds it to one).
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    name = Varchar(length=120)
    slug = Varchar(length=80, unique=True)
    description = Text(default="")
    cover_ref = Varchar(length=300, null=True, default=None)  # a media reference (media plugin)
    tags = Array(Varchar(length=32), default=list)
    city = Varchar(length=100, default="")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    visibility = Varchar(length=16, default="public")  # public | unlisted | private
    join_policy = Varchar(length=16, default="open")  # open | request | invite
    member_count = Integer(default=0)
    follower_count = Integer(default=0)
    created_by = ForeignKey(User, null=True, index=True)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)


class Member(Table, schema="groups"):
    """A user's place in a group: one row per (group, user), its ``state`` moved by ``states.MOVES``."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    group = ForeignKey(Group, null=False, index=True)
    user = ForeignKey(User, null=False, index=True)
    role = Varchar(length=16, default="member")  # owner | admin | moderator | member
    state = Varchar(length=16)  # invited | requested | active | rejected | banned | left
    invited_by = ForeignKey(User, null=True, default=None)
    joined_at = Timestamptz(null=True, default=None)  # when last made active (seniority for ownership on erasure)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class InviteLink(Table, schema="groups"):
    """An invitation link: only the SHA-256 of its token is stored."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    group = ForeignKey(Group, null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(User, null=True)
    expires_at = Timestamptz()
    max_uses = Integer(null=True, default=None)
    uses = Integer(default=0)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Follower(Table, schema="groups"):
    """A user following a public group (told of its new events, without being a member)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    group = ForeignKey(Group, null=False, index=True)
    user = ForeignKey(User, null=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow())



# ---------------------------------------------------------------------------------------------------------------------
# Chat: messages of group rooms and of the anonymous partner chat, and their reports
# ---------------------------------------------------------------------------------------------------------------------


class ChatMessage(Table, schema="groups"):
    """A message of a conversation (group room or "+1" chat), shown in its history and published to its room.

    ``kind`` ``chat``: a group's room, ``room_key`` the group id; ``pair``: a "+1" chat, ``room_key`` the proposal
    id. ``status``: ``visible``, ``held`` (contact details screened: only its author sees it) or ``deleted`` (a
    tombstone: ``body`` emptied). ``author`` is None once the author's account is erased. History is read through
    the index ``chat_message_room`` (``migration_raw``).
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    kind = Varchar(length=16)
    room_key = Varchar(length=100)
    author = ForeignKey(User, null=True, index=True)
    body = Text(default="")
    status = Varchar(length=8, default="visible")  # visible | held | deleted
    created_at = Timestamptz(default=TimestamptzNow())
    edited_at = Timestamptz(null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None)
    deleted_by = ForeignKey(User, null=True, default=None)


class ChatReport(Table, schema="groups"):
    """A report of a chat message by a member of its conversation (one per reporter and message).

    ``status``: ``open`` until a moderator ``upheld`` it (the message deleted) or ``dismissed`` it.
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    message = ForeignKey(ChatMessage, null=False, index=True)
    reporter = ForeignKey(User, null=True)
    reason = Text(default="")
    status = Varchar(length=10, default="open")  # open | upheld | dismissed
    created_at = Timestamptz(default=TimestamptzNow())
    resolved_at = Timestamptz(null=True, default=None)
    resolved_by = ForeignKey(User, null=True, default=None)


# ---------------------------------------------------------------------------------------------------------------------
# "+1": partner requests, proposals between two requests, blocks
# ---------------------------------------------------------------------------------------------------------------------
