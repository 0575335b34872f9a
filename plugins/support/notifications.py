"""The notifications of support: its kinds, and the notices its own hooks ask for (inside the change's transaction).

Templates: ``templates/support/notifications/<language>/<kind>.txt``; their context is ``ticket_id``, ``subject``
and, per kind, ``excerpt``, ``category``, ``priority``, ``due_at`` (ISO), ``note``. Keys: ``support.ticket:<id>:…``
so a later reply replaces one not yet sent (three quick replies make one push, not three).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core import notifications
from core.notifications import Notice, NotificationKind
from plugins.support.hookspecs import TicketInfo

KINDS = [
    NotificationKind("support.replied", label="Support answered me", channels=("push", "email"),
                     description="An agent's answer to your ticket, when you are not reading it live."),
    NotificationKind("support.resolved", label="My support ticket was resolved", channels=("push", "email")),
    NotificationKind("support.urgent", label="A new urgent support ticket (agents)", channels=("push", "email")),
    NotificationKind("support.sla_warning", label="A support ticket nears its deadline (agents)",
                     channels=("push", "email")),
    NotificationKind("support.assigned", label="A support ticket was given to me (agents)", channels=("push", "email")),
]

EXCERPT = 200


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _subject(ticket: TicketInfo) -> str:
    return f"support.ticket:{ticket.id}"


async def replied(ticket: TicketInfo, body: str) -> None:
    """Tell the requester of an agent's answer (a later answer replaces one not sent yet)."""
    await notifications.send(Notice("support.replied", user_ids=[ticket.requester_id], key=f"{_subject(ticket)}:reply",
                                    subject=_subject(ticket), context={"ticket_id": ticket.id,
                                                                       "subject": ticket.subject,
                                                                       "excerpt": _excerpt(body)}))


async def resolved(ticket: TicketInfo) -> None:
    """Tell the requester their ticket is resolved and that they may rate the answer."""
    await notifications.send(Notice("support.resolved", user_ids=[ticket.requester_id],
                                    key=f"{_subject(ticket)}:resolved", subject=_subject(ticket),
                                    context={"ticket_id": ticket.id, "subject": ticket.subject}))


async def urgent(ticket: TicketInfo, agent_ids: Sequence[int]) -> None:
    """Tell the agents of a new urgent ticket (it may break their quiet hours)."""
    await notifications.send(Notice("support.urgent", user_ids=list(agent_ids), urgent=True, subject=_subject(ticket),
                                    key=f"{_subject(ticket)}:urgent",
                                    context={"ticket_id": ticket.id, "subject": ticket.subject,
                                             "category": ticket.category}))


async def sla_warning(ticket_id: int, subject: str, due_at: datetime, agent_ids: Sequence[int]) -> None:
    """Warn the assignee (or every agent, for an unassigned ticket) that the due time nears."""
    await notifications.send(Notice("support.sla_warning", user_ids=list(agent_ids),
                                    subject=f"support.ticket:{ticket_id}", key=f"support.ticket:{ticket_id}:sla",
                                    expires_at=due_at,
                                    context={"ticket_id": ticket_id, "subject": subject,
                                             "due_at": due_at.isoformat()}))


async def assigned(ticket_id: int, subject: str, agent_id: int, note: str) -> None:
    """Tell an agent a ticket was given to them (with the transfer note, if any)."""
    await notifications.send(Notice("support.assigned", user_ids=[agent_id], subject=f"support.ticket:{ticket_id}",
                                    context={"ticket_id": ticket_id, "subject": subject, "note": note}))
