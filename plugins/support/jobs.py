"""Periodic jobs of support: SLA warnings before a due time, and closing resolved tickets after ``auto_close_days``."""

from __future__ import annotations

import logging
from datetime import timedelta

from core import clock
from core.hooks import plugin_settings
from core.jobs import job
from plugins.support import SupportSettings, agents, flow, notifications, states
from plugins.support.store import load
from plugins.support.tables import Ticket

log = logging.getLogger("plugins.support")
BATCH = 200


async def warn_due() -> int:
    """Warn the assignee (or every agent, when unassigned) once per due time, as it nears; returns how many."""
    now = clock.now()
    horizon = now + timedelta(minutes=plugin_settings(SupportSettings).warn_before_min)
    rows = await Ticket.select(Ticket.id, Ticket.subject, Ticket.assignee, Ticket.due_at).where(
        Ticket.due_at.is_not_null(), Ticket.due_at <= horizon,
        Ticket.warned_due.is_null() | (Ticket.warned_due != Ticket.due_at)).order_by(Ticket.due_at).limit(BATCH)
    everyone: list[int] | None = None
    warned = 0
    for r in rows:
        async with Ticket._meta.db.transaction():
            claimed = await Ticket.update({Ticket.warned_due: r["due_at"]}).where(
                Ticket.id == r["id"], Ticket.due_at == r["due_at"],
                Ticket.warned_due.is_null() | (Ticket.warned_due != r["due_at"])).returning(Ticket.id)
            if not claimed:  # another worker took it, or the due time moved
                continue
            if r["assignee"] is not None:
                to = [r["assignee"]]
            else:
                everyone = everyone if everyone is not None else await agents.known()
                to = everyone
            await notifications.sla_warning(r["id"], r["subject"], r["due_at"], to)
            warned += 1
    if warned:
        log.info("support: warned about %s tickets nearing their due time", warned)
    return warned


async def close_resolved() -> int:
    """Close tickets resolved more than ``auto_close_days`` ago; returns how many."""
    cutoff = clock.now() - timedelta(days=plugin_settings(SupportSettings).auto_close_days)
    ids = [r["id"] for r in await Ticket.select(Ticket.id).where(
        Ticket.status == states.RESOLVED, Ticket.resolved_at <= cutoff).limit(BATCH)]
    closed = 0
    for ticket_id in ids:
        async with Ticket._meta.db.transaction():
            row = await load(ticket_id, lock=True)
            if row["status"] != states.RESOLVED or row["resolved_at"] > cutoff:
                continue
            await Ticket.update(flow.move(row, states.CLOSED, states.SYSTEM, clock.now())).where(Ticket.id == ticket_id)
            closed += 1
    if closed:
        log.info("support: closed %s resolved tickets", closed)
    return closed


@job("support.warn_due")
async def warn_due_job() -> None:
    """Periodic: SLA warnings."""
    await warn_due()


@job("support.close_resolved")
async def close_resolved_job() -> None:
    """Periodic: auto-close."""
    await close_resolved()
