"""The agents' inbox: queues (mine, unassigned, waiting, breaching SLA) with filters and search, for the panel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from core import clock
from core.admin import AdminQuery, Page
from core.hooks import plugin_settings
from core.pagination import decode_cursor, paginate
from plugins.support import CATEGORIES, PRIORITIES, SupportSettings, agents, states
from plugins.support.store import names
from plugins.support.tables import Ticket

QUEUES = ("mine", "unassigned", "waiting", "breaching", "open", "all")
LIST_COLUMNS = (Ticket.id, Ticket.subject, Ticket.requester, Ticket.category, Ticket.priority, Ticket.status,
                Ticket.assignee, Ticket.due_at, Ticket.last_message_at, Ticket.subject_type, Ticket.subject_ref)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(query: AdminQuery) -> list[Any]:
    f = query.filters
    where: list[Any] = []
    queue = f.get("queue") or "open"
    now = clock.now()
    if queue == "mine":
        where += [Ticket.assignee == query.staff_id, Ticket.status.is_in(list(states.UNRESOLVED))]
    elif queue == "unassigned":
        where += [Ticket.assignee.is_null(), Ticket.status.is_in(list(states.UNRESOLVED))]
    elif queue == "waiting":
        where.append(Ticket.status == states.WAITING)
    elif queue == "breaching":
        warn = timedelta(minutes=plugin_settings(SupportSettings).warn_before_min)
        where += [Ticket.due_at.is_not_null(), Ticket.due_at <= now + warn]
    elif queue == "open":
        where.append(Ticket.status.is_in(list(states.UNRESOLVED)))
    for name, allowed in (("status", states.STATUSES), ("category", CATEGORIES), ("priority", PRIORITIES)):
        if f.get(name) in allowed:
            where.append(getattr(Ticket, name) == f[name])
    user = (f.get("user") or "").strip()
    if user.isdigit() and len(user) < 12:
        where.append(Ticket.requester == int(user))
    elif user:
        where.append(Ticket.requester.email.ilike(_like(user)) | Ticket.requester.display_name.ilike(_like(user)))
    about = (f.get("about") or "").strip()
    if about:
        kind, _, ref = about.rpartition(":")
        where += [Ticket.subject_type == kind, Ticket.subject_ref == ref] if kind else [Ticket.subject_ref == ref]
    if query.search:
        where.append(WhereRaw("(support.ticket.subject ILIKE {} OR EXISTS (SELECT 1 FROM support.message m WHERE "
                              "m.ticket = support.ticket.id AND m.body ILIKE {}))", _like(query.search),
                              _like(query.search)))
    return where


async def load_tickets(query: AdminQuery) -> Page:
    """One page of a queue: breaching SLA soonest due first, the others latest activity first."""
    if await agents.is_agent(query.staff_id):
        await agents.heartbeat(query.staff_id)
    breaching = query.filters.get("queue") == "breaching"
    scope = "support.inbox.due" if breaching else "support.inbox"
    select = Ticket.select(*LIST_COLUMNS).where(*_where(query)) if _where(query) else Ticket.select(*LIST_COLUMNS)
    if breaching:
        if query.cursor:
            at, tid = decode_cursor(query.cursor, datetime, int, scope=scope)
            select = select.where((Ticket.due_at > at) | ((Ticket.due_at == at) & (Ticket.id > tid)))
        rows = await select.order_by(Ticket.due_at, Ticket.id).limit(query.limit + 1)
        items, nxt = paginate(rows, query.limit, key=lambda r: (r["due_at"], r["id"]), scope=scope)
    else:
        if query.cursor:
            at, tid = decode_cursor(query.cursor, datetime, int, scope=scope)
            select = select.where((Ticket.last_message_at < at) | ((Ticket.last_message_at == at) & (Ticket.id < tid)))
        rows = await select.order_by(Ticket.last_message_at, Ticket.id, ascending=False).limit(query.limit + 1)
        items, nxt = paginate(rows, query.limit, key=lambda r: (r["last_message_at"], r["id"]), scope=scope)
    by_id = await names([r["requester"] for r in items] + [r["assignee"] for r in items])
    now = clock.now()
    return Page(items=[{
        **r, "requester_name": by_id.get(r["requester"], "—"), "assignee_name": by_id.get(r["assignee"], "—"),
        "about": f"{r['subject_type']}:{r['subject_ref']}" if r["subject_type"] else "",
        "sla": "" if r["due_at"] is None else ("overdue" if r["due_at"] < now else "due"),
    } for r in items], next_cursor=nxt)
