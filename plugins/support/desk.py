"""The agents' side of tickets (no Litestar): answer, note, move, assign, transfer, prioritise, tag.

Callers check ``support.answer`` (the API's guard, the panel's action permission); these functions trust them, like
events' moderation API. Every change is written with the ticket's row locked and leaves an internal system line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import msgspec

from core import audit, clock, hooks, realtime
from core.errors import Conflict, ValidationFailed
from core.pagination import Page, decode_cursor, paginate
from plugins.support import PRIORITIES, agents, flow, hookspecs, notifications, sla, states
from plugins.support.schemas import AttachmentIn, DeskMessageRead, TicketMessageRead
from plugins.support.store import Row, info_of, load, names, publish_status, read_message
from plugins.support.tables import Message, Ticket
from plugins.support.tickets import add_message, check_attachments, check_body

log = logging.getLogger("plugins.support")


def _not_closed(row: Row) -> None:
    if row["status"] == states.CLOSED:
        raise Conflict("The ticket is closed; the user's next message opens a new one", code="ticket_closed")


async def answer(ticket_id: int, agent_id: int, body: str, attachments: Sequence[AttachmentIn] = (),
                 *, internal: bool = False) -> TicketMessageRead:
    """An agent's public answer (the ticket then waits for the user) or internal note (agents only)."""
    text = check_body(body)
    files = await check_attachments(attachments, agent_id, ticket_id)
    _row, message = await add_message(ticket_id, agent_id, "note" if internal else "agent", text, files,
                                      check=_not_closed)
    log.info("agent %s %s ticket %s", agent_id, "noted on" if internal else "answered", ticket_id)
    return message


async def move(ticket_id: int, actor_id: int, target: str, note: str = "") -> Row:
    """Change the status by hand (409 ``illegal_status_move`` when the table refuses); resolving calls the hook."""
    if target not in states.STATUSES:
        raise ValidationFailed(errors=[{"pointer": "/status", "detail": f"one of {', '.join(states.STATUSES)}"}])
    now = clock.now()
    async with realtime.after_commit() as rt, Ticket._meta.db.transaction():
        row = await load(ticket_id, lock=True)
        await Ticket.update(flow.move(row, target, states.AGENT, now)).where(Ticket.id == ticket_id)
        await _system(ticket_id, f"Status: {target}" + (f" — {note}" if note else ""), now, actor_id)
        await audit.record(actor_id, "ticket.status", "ticket", ticket_id, reason=note,
                           before={"status": row["status"]}, after={"status": target})
        if target == states.RESOLVED:
            await hooks.notify(hookspecs.ticket_resolved, ticket=info_of(row), actor_id=actor_id)
        publish_status(rt, ticket_id, target)
    log.info("agent %s moved ticket %s to %s", actor_id, ticket_id, target)
    return row


async def assign(ticket_id: int, agent_id: int | None, actor_id: int, note: str = "") -> Row:
    """Give the ticket to ``agent_id`` (None: unassign); a transfer's note goes into an internal line and the notice.

    422 ``not_an_agent`` when that user may not answer tickets; 409 ``ticket_closed``.
    """
    if agent_id is not None and not await agents.is_agent(agent_id):
        raise ValidationFailed("That user does not answer support tickets", code="not_an_agent",
                               errors=[{"pointer": "/agent_id", "detail": "not an agent"}])
    now = clock.now()
    async with Ticket._meta.db.transaction():
        row = await load(ticket_id, lock=True)
        _not_closed(row)
        changes: dict[Any, Any] = {Ticket.assignee: agent_id, Ticket.updated_at: now}
        if row["status"] == states.NEW and agent_id is not None:
            changes.update(flow.move(row, states.OPEN, states.AGENT, now))
        await Ticket.update(changes).where(Ticket.id == ticket_id)
        who = (await names([agent_id])).get(agent_id, f"#{agent_id}") if agent_id else "nobody"
        verb = "Transferred" if row["assignee"] is not None else "Assigned"
        await _system(ticket_id, f"{verb} to {who}" + (f": {note}" if note else ""), now, actor_id)
        if agent_id is not None and agent_id != actor_id:
            await notifications.assigned(ticket_id, row["subject"], agent_id, note)
        row["assignee"] = agent_id
    log.info("agent %s assigned ticket %s to %s", actor_id, ticket_id, agent_id)
    return row


async def assign_next(ticket_id: int, actor_id: int) -> int | None:
    """Round-robin: give the ticket to the online agent whose turn it is; None (nothing changes) when nobody is."""
    agent_id = await agents.next_in_turn()
    if agent_id is not None:
        await assign(ticket_id, agent_id, actor_id)
    return agent_id


async def set_priority(ticket_id: int, priority: str, actor_id: int) -> Row:
    """Change the priority; the SLA due times are counted again from the ticket's opening."""
    if priority not in PRIORITIES:
        raise ValidationFailed(errors=[{"pointer": "/priority", "detail": f"one of {', '.join(PRIORITIES)}"}])
    now = clock.now()
    async with Ticket._meta.db.transaction():
        row = await load(ticket_id, lock=True)
        _not_closed(row)
        first_due, resolution_due = sla.due_times(row["created_at"], row["category"], priority)
        due = None
        if row["status"] in states.UNRESOLVED:
            due = first_due if row["first_response_at"] is None else resolution_due
        await Ticket.update({Ticket.priority: priority, Ticket.first_response_due: first_due,
                             Ticket.resolution_due: resolution_due, Ticket.due_at: due, Ticket.warned_due: None,
                             Ticket.updated_at: now}).where(Ticket.id == ticket_id)
        await _system(ticket_id, f"Priority: {priority}", now, actor_id)
        row.update(priority=priority, first_response_due=first_due, resolution_due=resolution_due, due_at=due)
    return row


async def set_tags(ticket_id: int, tags: Sequence[str], actor_id: int) -> None:
    """Replace the ticket's tags (lower case, at most 10 of 32 characters)."""
    clean = sorted({t.strip().lower()[:32] for t in tags if t.strip()})[:10]
    await Ticket.update({Ticket.tags: clean, Ticket.updated_at: clock.now()}).where(Ticket.id == ticket_id)
    log.info("agent %s tagged ticket %s: %s", actor_id, ticket_id, clean)


async def _system(ticket_id: int, text: str, now: Any, actor_id: int | None) -> None:
    await Message.insert(Message(ticket=ticket_id, author=actor_id, kind="system", body=text, created_at=now))


async def conversation(ticket_id: int, cursor: str | None, limit: int) -> Page[DeskMessageRead]:
    """Every message of a ticket for agents (notes and system lines included), newest first."""
    await load(ticket_id)
    scope = f"support.desk.{ticket_id}"
    query = Message.select().output(load_json=True).where(Message.ticket == ticket_id)
    if cursor:
        query = query.where(Message.id < decode_cursor(cursor, int, scope=scope)[0])
    rows, nxt = paginate(await query.order_by(Message.id, ascending=False).limit(limit + 1), limit,
                         key=lambda r: (r["id"],), scope=scope)
    by_id = await names(r["author"] for r in rows)
    items = [DeskMessageRead(**msgspec.structs.asdict(read_message(r, by_id)), kind=r["kind"]) for r in rows]
    return Page(items=items, next_cursor=nxt)
