"""What each move of a ticket writes: status columns, SLA figures (in working hours) and the next due time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plugins.support import sla, states
from plugins.support.store import Row
from plugins.support.tables import Ticket


def move(row: Row, target: str, role: str, now: datetime) -> dict[Any, Any]:
    """The column updates of moving ``row`` to ``target`` (409 ``illegal_status_move`` when the table refuses)."""
    states.check_move(row["status"], target, role)
    changes: dict[Any, Any] = {Ticket.status: target, Ticket.updated_at: now}
    if target == states.RESOLVED:
        changes.update({Ticket.resolved_at: now, Ticket.due_at: None,
                        Ticket.resolution_s: int(sla.working_seconds(row["created_at"], now, sla.calendar())),
                        Ticket.resolution_met: now <= row["resolution_due"]})
    elif target == states.CLOSED:
        changes.update({Ticket.closed_at: now, Ticket.due_at: None})
    elif row["status"] == states.RESOLVED:  # reopened: the resolution clock runs on from where it was
        changes.update({Ticket.resolved_at: None, Ticket.resolution_s: None, Ticket.resolution_met: None,
                        Ticket.due_at: row["resolution_due"] if row["first_response_at"] else
                        row["first_response_due"]})
    row.update({c._meta.name: v for c, v in changes.items()})
    return changes


def first_response(row: Row, now: datetime) -> dict[Any, Any]:
    """The updates of an agent's first public answer (none after the first)."""
    if row["first_response_at"] is not None:
        return {}
    changes: dict[Any, Any] = {
        Ticket.first_response_at: now,
        Ticket.first_response_s: int(sla.working_seconds(row["created_at"], now, sla.calendar())),
        Ticket.first_response_met: now <= row["first_response_due"],
        Ticket.due_at: row["resolution_due"] if row["status"] in states.UNRESOLVED else None,
    }
    row.update({c._meta.name: v for c, v in changes.items()})
    return changes
