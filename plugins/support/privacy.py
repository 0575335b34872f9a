"""The user's data in support: their export, and erasure when they delete their account."""

from __future__ import annotations

from typing import Any

from plugins.support.store import PUBLIC_KINDS
from plugins.support.tables import Agent, Message, Ticket


async def export(user_id: int) -> dict[str, Any]:
    """The user's tickets with their public conversation (internal notes are the team's, not the user's data)."""
    rows = await Ticket.select(Ticket.id, Ticket.category, Ticket.subject, Ticket.status, Ticket.created_at,
                               Ticket.csat_score, Ticket.csat_comment).where(Ticket.requester == user_id).order_by(
        Ticket.id)
    ids = [r["id"] for r in rows] or [0]
    messages = await Message.select(Message.ticket, Message.author, Message.kind, Message.body,
                                    Message.created_at).where(Message.ticket.is_in(ids),
                                                              Message.kind.is_in(list(PUBLIC_KINDS))).order_by(
        Message.id)

    def iso(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}

    return {"tickets": [iso(r) for r in rows], "messages": [iso(m) for m in messages]}


async def erase(user_id: int) -> None:
    """Blank the user's own messages and ratings (the tickets stay, without their words, for the figures)."""
    await Message.update({Message.body: "", Message.attachments: []}).where(Message.author == user_id,
                                                                            Message.kind == "user")
    await Ticket.update({Ticket.csat_comment: "", Ticket.subject: "(deleted)"}).where(Ticket.requester == user_id)
    await Agent.update({Agent.active: False}).where(Agent.user == user_id)
