"""Tables of the admin panel (schema ``admin``): the append-only audit log."""

from __future__ import annotations

from piccolo.columns import JSONB, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table, schema="admin"):
    """One admin action: who, what, on which object, the state before and after, when.

    Append-only: a trigger (see the ``append_only`` migration) refuses UPDATE and DELETE, so not even the
    application's own database role can rewrite history. No foreign key to the actor: the log outlives accounts.
    """

    id = BigSerial(primary_key=True)
    actor_id = Integer(null=True, default=None, index=True)
    actor_label = Varchar(length=254, default="")
    action = Varchar(length=64, index=True)
    object_type = Varchar(length=64, default="", index=True)
    object_id = Varchar(length=64, default="")
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    reason = Text(default="")
    ip = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
