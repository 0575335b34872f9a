"""Tables of the support plugin (schema ``support``). Private: other plugins use the hooks in ``hookspecs.py``.

Objects a ticket points at (an event, an order) are referenced by type and id only: their tables belong to the
plugins that own them, so there is no foreign key.
"""

from __future__ import annotations

from piccolo.columns import JSONB, Array, Boolean, ForeignKey, Integer, Serial, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from core.users.tables import User


class Ticket(Table, schema="support"):
    """A support ticket; ``status`` moves by ``states.MOVES``; ``due_at`` is the next SLA deadline (None when met)."""

    id: Serial

    requester = ForeignKey(User, index=True)
    category = Varchar(length=16)
    subject = Varchar(length=200)
    subject_type = Varchar(length=40, null=True, default=None, index=True)  # "events.event", "orders.order"…
    subject_ref = Varchar(length=100, null=True, default=None)
    subject_label = Varchar(length=200, default="")  # what the owning plugin called it when the ticket was opened
    priority = Varchar(length=16, default="normal")
    status = Varchar(length=24, default="new", index=True)
    assignee = ForeignKey(User, null=True, default=None, index=True)
    tags = Array(Varchar(length=32), default=list)
    linked_to = Integer(null=True, default=None)  # the closed ticket a reply to it opened this one from
    language = Varchar(length=8, default="en")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    last_message_at = Timestamptz(default=TimestamptzNow())
    first_response_due = Timestamptz()
    resolution_due = Timestamptz()
    due_at = Timestamptz(null=True, default=None, index=True)
    warned_due = Timestamptz(null=True, default=None)  # the due time agents were last warned about
    first_response_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    first_response_s = Integer(null=True, default=None)  # working seconds, kept for the metrics
    resolution_s = Integer(null=True, default=None)
    first_response_met = Boolean(null=True, default=None)
    resolution_met = Boolean(null=True, default=None)
    csat_score = SmallInt(null=True, default=None)
    csat_comment = Text(default="")
    csat_at = Timestamptz(null=True, default=None)


class Message(Table, schema="support"):
    """One message of a ticket: the user's, an agent's, an agent's internal note, or a system line (``kind``)."""

    id: Serial

    ticket = ForeignKey(Ticket, index=True)
    author = ForeignKey(User, null=True, default=None)
    kind = Varchar(length=16)  # user | agent | note | system (notes and system lines are internal: agents only)
    body = Text()
    attachments = JSONB(default=[])  # [{"media_id": "...", "content_type": "image/png", "verified": bool}]
    created_at = Timestamptz(default=TimestamptzNow())


class Macro(Table, schema="support"):
    """A canned reply with placeholders ({user_name}, {event_title}, {ticket_id}, {agent_name}), per language."""

    id: Serial

    name = Varchar(length=80)
    language = Varchar(length=8, default="en")
    body = Text()
    updated_by = ForeignKey(User, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    support_macro_name_language_key = Unique(["name", "language"])


class Agent(Table, schema="support"):
    """A staff member who answers tickets: presence (``last_seen_at``) and the round-robin turn."""

    id: Serial

    user = ForeignKey(User, unique=True)
    active = Boolean(default=True)
    last_seen_at = Timestamptz(null=True, default=None)
    last_assigned_at = Timestamptz(null=True, default=None)
