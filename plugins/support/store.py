"""Reading tickets and messages: row shapes, snapshots for hooks, names, and the real-time rooms of a ticket."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from piccolo.columns import Column

from core.errors import NotFound
from core.realtime import Outbox
from core.users import services as users
from plugins.support.hookspecs import TicketInfo
from plugins.support.schemas import AttachmentRead, SubjectRead, TicketEvent, TicketMessageRead, TicketRead
from plugins.support.tables import Message, Ticket

Row = dict[str, Any]
TICKET_ROOM = "support.ticket"
NOTES_ROOM = "support.notes"
PUBLIC_KINDS = ("user", "agent")
"""Message kinds the requester sees; ``note`` and ``system`` are internal (agents only)."""
GONE = "Deleted account"
TEAM = "Support"


def info_of(row: Row) -> TicketInfo:
    """The hook snapshot of a ticket row."""
    return TicketInfo(id=row["id"], requester_id=row["requester"], category=row["category"], subject=row["subject"],
                      priority=row["priority"], status=row["status"], assignee_id=row["assignee"],
                      subject_type=row["subject_type"], subject_ref=row["subject_ref"],
                      created_at=row["created_at"], linked_to=row["linked_to"])


async def load(ticket_id: int, *, lock: bool = False, columns: Sequence[Column] = ()) -> Row:
    """A ticket row (locked ``FOR UPDATE`` inside the caller's transaction when ``lock``); 404 when missing."""
    query = Ticket.select(*columns).where(Ticket.id == ticket_id)
    if lock:
        query = query.lock_rows("UPDATE")
    row = await query.first()
    if row is None:
        raise NotFound("No such ticket", code="ticket_not_found")
    return row


async def load_own(ticket_id: int, user_id: int, *, lock: bool = False, columns: Sequence[Column] = ()) -> Row:
    """The ticket when ``user_id`` opened it; 404 ``ticket_not_found`` otherwise (never saying it exists)."""
    row = await load(ticket_id, lock=lock, columns=columns)
    if row["requester"] != user_id:
        raise NotFound("No such ticket", code="ticket_not_found")
    return row


_names: dict[int, tuple[float, str]] = {}
NAMES_TTL_S = 30.0
"""Display names are reused for this long in one process (a message's author, on the posting hot path)."""


async def names(user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names by user id (one query for those not seen in the last :data:`NAMES_TTL_S`)."""
    now = time.monotonic()
    ids = {i for i in user_ids if i is not None}
    out = {i: _names[i][1] for i in ids if i in _names and now - _names[i][0] < NAMES_TTL_S}
    missing = sorted(ids - set(out))
    if missing:
        for i, contact in (await users.get_contacts(missing)).items():
            out[i] = contact.display_name
            _names[i] = (now, contact.display_name)
        if len(_names) > 10_000:
            _names.clear()
    return out


def read_message(row: Row, by_id: dict[int, str]) -> TicketMessageRead:
    """The API shape of a public message."""
    author = row["author"]
    return TicketMessageRead(
        id=row["id"], ticket_id=row["ticket"], author_id=author,
        author_name=by_id.get(author, GONE) if author is not None else TEAM, from_agent=row["kind"] == "agent",
        body=row["body"], created_at=row["created_at"],
        attachments=[AttachmentRead(a["media_id"], a["content_type"], bool(a.get("verified"))) for a in
                     (row["attachments"] or [])])


def read_ticket(row: Row, online: bool) -> TicketRead:
    """The requester's view of a ticket."""
    about = None
    if row["subject_type"]:
        about = SubjectRead(row["subject_type"], row["subject_ref"] or "", row["subject_label"])
    waiting = row["first_response_at"] is None and row["status"] in ("new", "open")
    return TicketRead(id=row["id"], category=row["category"], subject=row["subject"], status=row["status"],
                      priority=row["priority"], about=about, created_at=row["created_at"],
                      updated_at=row["updated_at"], last_message_at=row["last_message_at"],
                      expect_answer_by=row["first_response_due"] if waiting else None, agents_online=online,
                      linked_to=row["linked_to"], rating=row["csat_score"], rating_comment=row["csat_comment"])


async def public_messages(ticket_id: int, before: int | None, limit: int) -> list[Row]:
    """The requester-visible messages of a ticket, newest first (``limit`` + 1 for the page cut)."""
    query = Message.select().output(load_json=True).where(Message.ticket == ticket_id,
                                                          Message.kind.is_in(list(PUBLIC_KINDS)))
    if before is not None:
        query = query.where(Message.id < before)
    return await query.order_by(Message.id, ascending=False).limit(limit + 1)


def publish_message(rt: Outbox, message: TicketMessageRead, kind: str) -> None:
    """A new message to the ticket's room (public ones) or the agents' notes room (internal ones).

    Agents watching a ticket subscribe to both rooms; the requester may join only the first.
    """
    room = TICKET_ROOM if kind in PUBLIC_KINDS else NOTES_ROOM
    rt.publish(f"{room}:{message.ticket_id}", TicketEvent("message.created", message.ticket_id, message=message))


def publish_status(rt: Outbox, ticket_id: int, status: str) -> None:
    """A status change, to the ticket's room (the requester and the agents watching both see it)."""
    rt.publish(f"{TICKET_ROOM}:{ticket_id}", TicketEvent("ticket.updated", ticket_id, status=status))
