"""Admin panel contributions: the inbox with its actions, the live conversation, canned replies, metrics, a widget.

Everything is declared with ``core.admin``'s types; the conversation and the metrics pages use templates of their
own (``templates/support/admin/``) because a conversation beside the user's context, and charts, are not lists.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import msgspec

from core import clock
from core.admin import (
    Action,
    ActionContext,
    ActionResult,
    AdminPage,
    AdminQuery,
    Column,
    DashboardWidget,
    Field,
    Filter,
    Form,
    Page,
    Stat,
)
from core.errors import NotFound, ValidationFailed
from core.hooks import plugin_settings
from plugins.support import (
    CATEGORIES,
    PRIORITIES,
    SupportSettings,
    agents,
    context,
    desk,
    live,
    macros,
    metrics,
    states,
    tickets,
)
from plugins.support.inbox import QUEUES, load_tickets
from plugins.support.store import load, names
from plugins.support.tables import Macro, Ticket

ANSWER, MANAGE = agents.ANSWER, agents.MANAGE
TICKETS = "/admin/p/support/tickets"
CONVERSATION = "/admin/p/support/conversation"
LIVE = "/admin/p/support/live"


def conversation_url(ticket_id: object, macro_id: object | None = None) -> str:
    """The live conversation page of a ticket (optionally with a canned reply filled into the answer box)."""
    url = f"{CONVERSATION}?ticket={quote(str(ticket_id), safe='')}"
    return url + (f"&macro={quote(str(macro_id), safe='')}" if macro_id else "")


def _id(ctx: ActionContext) -> int:
    try:
        return int(ctx.ids[0])
    except ValueError:
        raise NotFound("No such ticket", code="ticket_not_found") from None


def _open(row: Any) -> bool:
    return bool(row.get("status") != states.CLOSED)


async def _reply(ctx: ActionContext) -> ActionResult:
    await desk.answer(_id(ctx), ctx.staff_id, ctx.values["body"])
    return ActionResult("Answer sent.", conversation_url(_id(ctx)))


async def _note(ctx: ActionContext) -> ActionResult:
    await desk.answer(_id(ctx), ctx.staff_id, ctx.values["body"], internal=True)
    return ActionResult("Note added.", conversation_url(_id(ctx)))


async def _take(ctx: ActionContext) -> ActionResult:
    for ticket_id in ctx.ids:
        await desk.assign(int(ticket_id), ctx.staff_id, ctx.staff_id)
    return ActionResult("Assigned to you.")


async def _round_robin(ctx: ActionContext) -> ActionResult:
    given = [await desk.assign_next(int(i), ctx.staff_id) for i in ctx.ids]
    done = sum(1 for g in given if g is not None)
    return ActionResult(f"Assigned {done} of {len(given)}." if done else "No agent is online: nothing assigned.")


async def _assign(ctx: ActionContext) -> ActionResult:
    await desk.assign(_id(ctx), ctx.values["agent_id"], ctx.staff_id, ctx.values.get("note") or "")
    return ActionResult("Assigned.")


async def _transfer(ctx: ActionContext) -> ActionResult:
    await desk.assign(_id(ctx), ctx.values["agent_id"], ctx.staff_id, ctx.values["note"])
    return ActionResult("Transferred.")


async def _status(ctx: ActionContext) -> ActionResult:
    await desk.move(_id(ctx), ctx.staff_id, ctx.values["status"], ctx.values.get("note") or "")
    return ActionResult(f"Status: {ctx.values['status']}.")


async def _resolve(ctx: ActionContext) -> ActionResult:
    for ticket_id in ctx.ids:
        await desk.move(int(ticket_id), ctx.staff_id, states.RESOLVED)
    return ActionResult("Resolved.")


async def _priority(ctx: ActionContext) -> ActionResult:
    await desk.set_priority(_id(ctx), ctx.values["priority"], ctx.staff_id)
    return ActionResult(f"Priority: {ctx.values['priority']}.")


async def _tags(ctx: ActionContext) -> ActionResult:
    await desk.set_tags(_id(ctx), str(ctx.values.get("tags") or "").split(","), ctx.staff_id)
    return ActionResult("Tags saved.")


async def _macro(ctx: ActionContext) -> ActionResult:
    name = ctx.values["macro"]
    row = await Macro.select(Macro.id).where(Macro.name == name).first()
    if row is None:
        raise ValidationFailed(errors=[{"pointer": "/macro", "detail": "no canned reply of that name"}])
    return ActionResult("", conversation_url(_id(ctx), row["id"]))


async def _live_token(ctx: ActionContext) -> ActionResult:
    """The conversation page's script renews its access token here (POST: the panel checks session and CSRF)."""
    return ActionResult(" ", f"{LIVE}?grant={await live.grant(ctx.staff_id)}")


async def load_live(query: AdminQuery) -> Page:
    """The token a renewal minted, read once by the agent who asked for it (its script parses this tiny page)."""
    return Page(items=[msgspec.structs.asdict(await live.take(query.filters.get("grant") or "", query.staff_id))])


def ticket_actions() -> list[Action]:
    """Everything an agent does to a ticket, from the inbox, the detail page and the conversation."""
    body = Field("body", "Message", "textarea", required=True)
    agent = Field("agent_id", "Agent (user id)", "int", required=True)
    return [
        Action("reply", "Reply", ANSWER, _reply, fields=[body], visible=_open),
        Action("note", "Internal note", ANSWER, _note, fields=[body], visible=_open),
        Action("macro", "Insert canned reply", ANSWER, _macro, visible=_open,
               fields=[Field("macro", "Canned reply (name)", required=True)]),
        Action("take", "Take", ANSWER, _take, bulk=True, confirm="Assign the selected tickets to you?",
               visible=_open),
        Action("round_robin", "Assign round-robin", ANSWER, _round_robin, bulk=True, visible=_open,
               confirm="Give each selected ticket to the next online agent?"),
        Action("assign", "Assign", ANSWER, _assign, visible=_open,
               fields=[agent, Field("note", "Note", "textarea")]),
        Action("transfer", "Transfer", ANSWER, _transfer, visible=_open,
               fields=[agent, Field("note", "Note for the agent", "textarea", required=True)]),
        Action("status", "Change status", ANSWER, _status, visible=_open,
               fields=[Field("status", "Status", "choice", required=True, choices=[(s, s) for s in states.STATUSES]),
                       Field("note", "Note", "text")]),
        Action("resolve", "Resolve", ANSWER, _resolve, bulk=True, confirm="Resolve the selected tickets?",
               visible=lambda r: r.get("status") in states.UNRESOLVED),
        Action("priority", "Priority", ANSWER, _priority, visible=_open,
               fields=[Field("priority", "Priority", "choice", required=True, choices=[(p, p) for p in PRIORITIES])]),
        Action("tags", "Tags", ANSWER, _tags, visible=_open,
               fields=[Field("tags", "Tags (comma-separated)", max_length=400)]),
        Action("live_token", "Renew the live connection", ANSWER, _live_token, visible=lambda _row: False),
    ]


async def ticket_detail(object_id: str) -> dict[str, Any] | None:
    """The ticket's fields for the generic detail page (the conversation is one click away)."""
    if not object_id.isdigit():
        return None
    try:
        row = await load(int(object_id))
    except NotFound:
        return None
    by_id = await names([row["requester"], row["assignee"]])
    return {"id": row["id"], "status": row["status"], "subject": row["subject"],
            "conversation": conversation_url(row["id"]), "requester": by_id.get(row["requester"], "—"),
            "requester_id": row["requester"], "category": row["category"], "priority": row["priority"],
            "assignee": by_id.get(row["assignee"], "—"), "about": row["subject_label"] or "—",
            "tags": ", ".join(row["tags"] or []) or "—", "linked_to": row["linked_to"],
            "created_at": row["created_at"], "due_at": row["due_at"], "first_response_at": row["first_response_at"],
            "resolved_at": row["resolved_at"], "rating": row["csat_score"], "rating_comment": row["csat_comment"]}


async def load_conversation(query: AdminQuery) -> Page:
    """The one-row page the conversation template draws: ticket, messages, the user's context, canned replies."""
    raw = query.filters.get("ticket") or ""
    if not raw.isdigit():
        raise NotFound("No such ticket", code="ticket_not_found")
    if await agents.is_agent(query.staff_id):
        await agents.heartbeat(query.staff_id)
    row = await load(int(raw))
    messages = await desk.conversation(row["id"], query.cursor, 100)
    draft = ""
    chosen = query.filters.get("macro") or ""
    if chosen.isdigit():
        draft = await macros.fill((await macros.get(int(chosen)))["body"], row, query.staff_id)
    return Page(items=[{
        "ticket": await ticket_detail(raw), "row": row,
        "messages": [msgspec.structs.asdict(m) for m in reversed(messages.items)],
        "older": messages.next_cursor, "context": await context.sections(row["requester"], query.staff_id),
        "macros": await macros.for_language(row["language"]), "draft": draft,
        "actions_url": f"{TICKETS}/actions", "self_url": conversation_url(row["id"]),
        "online": await agents.online(), "typing": await tickets.user_typing(row["id"]),
        "live": await live.token_for(query.staff_id), "live_url": f"{TICKETS}/actions/live_token",
    }])


async def load_macros(query: AdminQuery) -> Page:
    """Canned replies by name."""
    rows = await Macro.select(Macro.id, Macro.name, Macro.language, Macro.body, Macro.updated_at).order_by(
        Macro.name, Macro.language)
    if query.filters.get("language"):
        rows = [r for r in rows if r["language"] == query.filters["language"]]
    return Page(items=[{**r, "body": r["body"][:120]} for r in rows])


async def _load_macro(object_id: str) -> dict[str, Any] | None:
    if not object_id.isdigit():
        return None
    try:
        row = await macros.get(int(object_id))
    except NotFound:
        return None
    return {"name": row["name"], "language": row["language"], "body": row["body"]}


async def _save_macro(ctx: ActionContext, object_id: str | None, values: Any) -> str:
    return str(await macros.save(int(object_id) if object_id else None, dict(values), ctx.staff_id))


async def _delete_macro(ctx: ActionContext) -> ActionResult:
    for macro_id in ctx.ids:
        await macros.delete(int(macro_id), ctx.staff_id)
    return ActionResult("Deleted.")


async def load_metrics(query: AdminQuery) -> Page:
    """The figures of the range asked for, with chart geometry."""
    since, until = metrics.date_range(query.filters.get("since") or None, query.filters.get("until") or None)
    f = await metrics.figures(since, until)
    csv_text = "".join(metrics.csv_lines(f))
    return Page(items=[{
        "figures": f, "csv": csv_text,
        "opened": metrics.bars([(d["day"].isoformat(), d["opened"]) for d in f.daily]),
        "resolved": metrics.bars([(d["day"].isoformat(), d["resolved"]) for d in f.daily]),
        "sla": metrics.bars([(c["category"], c["first_response_met_pct"] or 0) for c in f.by_category]),
    }])


async def widget() -> list[Stat]:
    """Unassigned, breaching SLA, new today."""
    now = clock.now()
    warn = timedelta(minutes=plugin_settings(SupportSettings).warn_before_min)
    unassigned = await Ticket.count().where(Ticket.assignee.is_null(), Ticket.status.is_in(list(states.UNRESOLVED)))
    breaching = await Ticket.count().where(Ticket.due_at.is_not_null(), Ticket.due_at <= now + warn)
    today = await Ticket.count().where(Ticket.created_at >= now - timedelta(days=1))
    return [Stat("Unassigned", unassigned, url=f"{TICKETS}?queue=unassigned", tone="warn" if unassigned else ""),
            Stat("Breaching SLA", breaching, url=f"{TICKETS}?queue=breaching", tone="bad" if breaching else ""),
            Stat("Opened in 24 h", today), Stat("Agents online", len(await agents.online()))]


def contributions() -> list[object]:
    """What the admin panel shows for support."""
    return [
        AdminPage(plugin="support", slug="tickets", title="Support inbox", permission=ANSWER, load=load_tickets,
                  section="Support", searchable=True, actions=ticket_actions(), detail=ticket_detail,
                  columns=[Column("id", "#"), Column("subject", "Subject", link=CONVERSATION + "?ticket={id}"),
                           Column("requester_name", "From", link="/admin/users/{requester}"),
                           Column("category", "Category", "badge"), Column("priority", "Priority", "badge"),
                           Column("status", "Status", "badge"), Column("assignee_name", "Agent"),
                           Column("due_at", "Due", "datetime"), Column("sla", "SLA", "badge"),
                           Column("last_message_at", "Last message", "datetime")],
                  filters=[Filter("queue", "Queue", choices=list(QUEUES)),
                           Filter("status", "Status", choices=list(states.STATUSES)),
                           Filter("category", "Category", choices=list(CATEGORIES)),
                           Filter("priority", "Priority", choices=list(PRIORITIES)),
                           Filter("user", "User (id, email or name)"), Filter("about", "About (type:id)")]),
        AdminPage(plugin="support", slug="conversation", title="Conversation", permission=ANSWER,
                  load=load_conversation, menu=False, section="Support", template="support/admin/conversation.html",
                  filters=[Filter("ticket", "Ticket"), Filter("macro", "Canned reply")]),
        AdminPage(plugin="support", slug="live", title="Live connection", permission=ANSWER, load=load_live,
                  menu=False, section="Support", template="support/admin/live.html",
                  filters=[Filter("grant", "Grant")]),
        AdminPage(plugin="support", slug="macros", title="Canned replies", permission=ANSWER, load=load_macros,
                  section="Support",
                  columns=[Column("name", "Name"), Column("language", "Language", "badge"), Column("body", "Text"),
                           Column("updated_at", "Changed", "datetime")],
                  filters=[Filter("language", "Language", choices=list(macros.LANGUAGES))],
                  form=Form(fields=[Field("name", "Name", required=True, max_length=80),
                                    Field("language", "Language", "choice", required=True,
                                          choices=[("en", "English"), ("ru", "Русский")]),
                                    Field("body", "Text ({user_name}, {event_title}, {subject}, {ticket_id}, "
                                          "{agent_name})", "textarea", required=True)],
                            load=_load_macro, save=_save_macro, permission=MANAGE),
                  actions=[Action("delete", "Delete", MANAGE, _delete_macro, danger=True,
                                  confirm="Delete this canned reply?")]),
        AdminPage(plugin="support", slug="metrics", title="Support metrics", permission=MANAGE, load=load_metrics,
                  section="Support", template="support/admin/metrics.html",
                  filters=[Filter("since", "From (YYYY-MM-DD)"), Filter("until", "To (YYYY-MM-DD)")]),
        DashboardWidget(plugin="support", name="inbox", title="Support", permission=ANSWER, load=widget),
    ]
