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


# ---------------------------------------------------------------------------------------------------------------------
# Chat: messages of group rooms and of the anonymous partner chat, and their reports
# ---------------------------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------------------------
# "+1": partner requests, proposals between two requests, blocks
# ---------------------------------------------------------------------------------------------------------------------
