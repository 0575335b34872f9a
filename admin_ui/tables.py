"""Tables of the admin panel (schema ``admin``): the canned moderation reasons (the audit log is core's).

The panel's sessions live in Redis. The ``admin`` app keeps its migrations: they created ``admin.audit_entry`` and
the last one drops it after core's ``users`` app copied its rows into ``users.audit_entry``.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class CannedReason(Table, schema="admin"):
    """A reason staff keep ready for rejecting items, in Russian and English (the author reads their language).

    ``queue`` limits it to one queue (``events.review``); empty offers it in every queue.
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    title = Varchar(length=100)
    text_en = Text(default="")
    text_ru = Text(default="")
    queue = Varchar(length=64, default="", index=True)
    position = Integer(default=100)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
