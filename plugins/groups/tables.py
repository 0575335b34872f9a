"""Tables of the groups plugin (schema ``groups``). Private: other plugins use hooks (``hookspecs.py``).

Sections: groups and members (``services``/``members``/``invites``), chat (``chat/``), "+1" (``partners/``).
Events are referenced by id (``event_id``): events' tables are private to events, so there is no foreign key.
"""

from __future__ import annotations

from piccolo.columns import (
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
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.users.tables import User

# ---------------------------------------------------------------------------------------------------------------------
# Groups, members, invitations, followers
# ---------------------------------------------------------------------------------------------------------------------


class Group(Table, schema="groups"):
    """A group. ``search`` (a generated tsvector) exists only in the database (a raw migration step).

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
    hidden_at = Timestamptz(null=True, default=None)  # hidden by reports (core.reports) until staff decide


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
    the index ``chat_message_room`` (a raw migration step).
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


class PartnerRequest(Table, schema="groups"):
    """A "+1" request for an event: looking for a +1, offering one, or a group of ``group_size`` looking for more.

    ``status``: ``open`` (one per user and event, a partial unique index), ``withdrawn``, ``matched`` (a +1 found;
    groups stay open for more) or ``closed`` (the event started). ``starts_at`` is a copy of the event's start: reads
    treat an open request as closed from then on. ``pseudonym`` is how others see the request and its author's chat
    messages until they reveal their profile. The preferences are hard filters, both ways.
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    event_id = Integer(index=True)
    user = ForeignKey(User, null=False, index=True)
    kind = Varchar(length=10)  # looking | offering | group
    group_size = Integer(default=1)
    note = Varchar(length=280, default="")
    languages = Array(Varchar(length=16), default=list)  # the other must speak one of them (empty: any)
    age_min = Integer(null=True, default=None)
    age_max = Integer(null=True, default=None)
    verified_only = Boolean(default=False)
    audience = Varchar(length=12, default="everyone")  # everyone | participants
    status = Varchar(length=10, default="open")
    pseudonym = Varchar(length=40)
    starts_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PartnerProposal(Table, schema="groups"):
    """A proposal from one request to another (``partners/states.py`` has the moves).

    ``proposed`` until the other accepts (``matched``: the anonymous chat opens) or declines; the proposer may
    withdraw. ``*_revealed`` says who showed their profile; ``*_going`` who agreed to go together (both: ``going``,
    joined as a pair). ``left`` and ``blocked`` end it (the chat closes for both).
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    event_id = Integer(index=True)
    from_request = ForeignKey(PartnerRequest, null=False, index=True)
    to_request = ForeignKey(PartnerRequest, null=False, index=True)
    from_user = ForeignKey(User, null=False, index=True)
    to_user = ForeignKey(User, null=False, index=True)
    status = Varchar(length=10, default="proposed")
    from_revealed = Boolean(default=False)
    to_revealed = Boolean(default=False)
    from_going = Boolean(default=False)
    to_going = Boolean(default=False)
    ended_by = ForeignKey(User, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    matched_at = Timestamptz(null=True, default=None)


class PartnerBlock(Table, schema="groups"):
    """``blocker`` blocked ``blocked`` (and maybe reported them): each is hidden from the other in partner search.

    One row per (blocker, blocked); ``reason`` is the report's reason (empty: a block without a report).
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    blocker = ForeignKey(User, null=False, index=True)
    blocked = ForeignKey(User, null=False, index=True)
    proposal = ForeignKey(PartnerProposal, null=True, default=None)
    reason = Varchar(length=20, default="")  # "" | spam | harassment | inappropriate | fake | other
    details = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
