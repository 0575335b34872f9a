"""Tables of the notify plugin (schema ``notify``): the outbox, per-channel deliveries, the log, inbox, preferences."""

from __future__ import annotations

from piccolo.columns import JSONB, Array, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.users.tables import User


class Notification(Table, schema="notify"):
    """One notification to one user: written in the transaction of the change that causes it (the outbox).

    ``status``: pending → queued (dispatcher) → sending (worker) → sent | failed; pending/queued → cancelled.
    ``key`` (the notice's) lets a later notice replace a pending one and a withdrawal cancel it; ``subject`` names
    what it is about (``events.event:42``); ``offset_min`` is set on reminders (minutes before the moment).
    """

    id: Serial  # the implicit primary key, declared for type checkers

    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=80)
    subject = Varchar(length=120, null=True, default=None)  # shown in the delivery log, never searched
    payload = JSONB(default="{}")
    urgent = Boolean(default=False)
    urgent_if_today = Timestamptz(null=True, default=None)
    # status and due_at are indexed only where rows are live (partial indexes, raw steps): an index over every row
    # cost an entry per status change of each notification and was read by nothing the live part does not serve.
    status = Varchar(length=16, default="pending")
    due_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    error = Text(default="")
    key = Varchar(length=200, null=True, default=None)  # indexed while pending, after user_id (a raw step)
    offset_min = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class Delivery(Table, schema="notify"):
    """The state of one notification on one channel; ``idempotency_key`` (``<id>:<channel>``) is unique."""

    id: Serial  # the implicit primary key, declared for type checkers

    notification = ForeignKey(Notification, null=False, on_delete=OnDelete.cascade, index=True)
    channel = Varchar(length=30)
    idempotency_key = Varchar(length=80, unique=True)
    status = Varchar(length=16, default="sending")  # sending | sent | failed
    destination = Varchar(length=255, default="")
    provider_id = Varchar(length=255, default="")
    error = Text(default="")
    attempts = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class Attempt(Table, schema="notify"):
    """The delivery log: one row per try of a notification on a channel (or a decision such as deferred)."""

    id: Serial  # the implicit primary key, declared for type checkers

    notification = ForeignKey(Notification, null=False, on_delete=OnDelete.cascade, index=True)
    user_id = Integer(index=True)
    kind = Varchar(length=80)
    channel = Varchar(length=30)
    status = Varchar(length=16)  # sent | retry | rejected | failed | deferred | skipped
    error = Text(default="")
    at = Timestamptz(default=TimestamptzNow())  # follows id, which the log is read by (newest first)


class InboxItem(Table, schema="notify"):
    """An in-app notification the mobile app lists; one per notification."""

    id: Serial  # the implicit primary key, declared for type checkers

    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    notification = ForeignKey(Notification, null=True, on_delete=OnDelete.set_null, unique=True)
    kind = Varchar(length=80)
    title = Varchar(length=300)
    body = Text(default="")
    data = JSONB(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)


class Preference(Table, schema="notify"):
    """A user's on/off for a kind on a channel (absent: on). ``key`` is ``<user>:<kind>:<channel>``."""

    id: Serial  # the implicit primary key, declared for type checkers

    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=160, unique=True)
    kind = Varchar(length=80)
    channel = Varchar(length=30)
    enabled = Boolean(default=True)


class UserOptions(Table, schema="notify"):
    """A user's quiet hours (local ``HH:MM``, empty: none), timezone override and reminder offsets (minutes)."""

    id: Serial  # the implicit primary key, declared for type checkers

    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, unique=True)
    quiet_start = Varchar(length=5, default="")
    quiet_end = Varchar(length=5, default="")
    timezone = Varchar(length=64, default="")
    reminder_offsets = Array(Integer(), null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class DeviceToken(Table, schema="notify"):
    """A push token of a user's device (``fcm`` or ``apns``); removed when the provider reports it invalid."""

    id: Serial  # the implicit primary key, declared for type checkers

    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    platform = Varchar(length=8)
    token = Varchar(length=512, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    refreshed_at = Timestamptz(default=TimestamptzNow())
