"""The requester's side of tickets (no Litestar): open, reply, read, rate, resolve; checks shared with the agents.

A ticket that is not the caller's does not exist for them (404 ``ticket_not_found``). Every write happens in one
transaction with the ticket's row locked, calls support's hooks inside it, and publishes to the ticket's room after
the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from redis.exceptions import RedisError

from core import cache, clock, hooks, ratelimit, realtime
from core.errors import Conflict, NotFound, ValidationFailed
from core.hooks import hookspecs as core_specs
from core.hooks import plugin_settings
from core.pagination import Page, decode_cursor, paginate
from core.users import services as users
from plugins.support import CATEGORIES, SupportSettings, agents, flow, hookspecs, sla, states
from plugins.support.schemas import (
    AttachmentIn,
    RatingCreate,
    StatusRead,
    TicketCreate,
    TicketEvent,
    TicketMessageCreate,
    TicketMessageRead,
    TicketRead,
    TicketReplyRead,
    TicketSubjectIn,
)
from plugins.support.store import (
    TICKET_ROOM,
    Row,
    info_of,
    load,
    load_own,
    names,
    public_messages,
    publish_message,
    publish_status,
    read_message,
    read_ticket,
)
from plugins.support.tables import Message, Ticket

log = logging.getLogger("plugins.support")
MINE = "support.mine"
TYPING_SHOWN_S = 6
"""How long the panel shows that the user is typing after their last signal (its conversation refreshes every 5 s)."""
MEDIA_TARGET = "support.ticket"
"""The media target of screenshots (support answers media's ``media_target_from_plugin`` for it)."""


def check_body(body: str) -> str:
    """The message text, stripped; 422 ``validation_failed`` (pointer ``/body``) when empty or over the limit."""
    text = body.strip()
    limit = plugin_settings(SupportSettings).max_message_chars
    if not text:
        raise ValidationFailed(errors=[{"pointer": "/body", "detail": "The message is empty"}])
    if len(text) > limit:
        raise ValidationFailed(errors=[{"pointer": "/body", "detail": f"At most {limit} characters"}],
                               max_length=limit)
    return text


async def check_attachments(items: Sequence[AttachmentIn], user_id: int, ticket_id: int = 0) -> list[dict[str, Any]]:
    """Screenshots only: each one the user's own image, as the media plugin says (when enabled).

    Support's ``ticket_attachment_from_media`` says whether it is the user's upload for this ticket (``ticket_id`` 0
    while opening) and gives its real type (media answers it); when nobody does, core's ``media_ref_checked``
    (target ``support.ticket``) may still say whose upload it is. With neither answering (media disabled) it is stored
    unverified, its declared type checked. 422
    ``attachment_not_image`` / ``attachment_not_found`` / ``too_many_attachments`` with the item's pointer.
    """
    limit = plugin_settings(SupportSettings).max_attachments
    if len(items) > limit:
        raise ValidationFailed("At most %(limit)s attachments", params={"limit": limit}, code="too_many_attachments",
                               errors=[{"pointer": "/attachments", "detail": f"At most {limit}"}])
    out = []
    for i, item in enumerate(items):
        known = await hooks.first(hookspecs.ticket_attachment_from_media, media_id=item.media_id, user_id=user_id,
                                  ticket_id=ticket_id)
        if known is None:  # nobody tells its type: a plugin that stores refs may still say whose upload it is
            checked = await hooks.first(core_specs.media_ref_checked, ref=item.media_id, user_id=user_id,
                                        target=MEDIA_TARGET, target_id=ticket_id)
            if checked is not None:
                known = {"content_type": item.content_type} if checked else False
        if known is False:
            raise ValidationFailed("No such upload of yours", code="attachment_not_found",
                                   errors=[{"pointer": f"/attachments/{i}/media_id", "detail": "not found"}])
        content_type = str(known.get("content_type", "")) if isinstance(known, dict) else item.content_type
        if not content_type.lower().startswith("image/"):
            raise ValidationFailed("Attachments must be images (screenshots)", code="attachment_not_image",
                                   errors=[{"pointer": f"/attachments/{i}", "detail": f"{content_type} is not an "
                                                                                       "image"}])
        out.append({"media_id": item.media_id, "content_type": content_type.lower(), "verified": known is not None})
    return out


async def resolve_subject(about: TicketSubjectIn, user_id: int) -> str:
    """The label of the object a ticket points at, when the user may point at it.

    404 ``subject_not_found`` when it is not theirs to point at (or does not exist); 422 ``unknown_subject_type``
    when no enabled plugin owns the type.
    """
    answer = await hooks.first(hookspecs.ticket_subject_from_plugin, subject_type=about.type, subject_id=about.id,
                               user_id=user_id)
    if answer is None:
        raise ValidationFailed("Tickets cannot point at %(type)s",
                               params={"type": about.type}, code="unknown_subject_type",
                               errors=[{"pointer": "/about/type", "detail": "unknown type"}])
    if answer is False or answer is True:
        raise NotFound("No such object", code="subject_not_found")
    return str(answer)[:200]


async def open_ticket(user_id: int, data: TicketCreate, *, linked: Row | None = None) -> TicketRead:
    """Open a ticket with its first message; due times from the SLA; the next online agent gets it (round-robin)."""
    settings = plugin_settings(SupportSettings)
    body = check_body(data.body)
    files = await check_attachments(data.attachments, user_id)
    subject: tuple[str | None, str | None, str] = (None, None, "")
    if linked is not None:
        subject = (linked["subject_type"], linked["subject_ref"], linked["subject_label"])
    elif data.about is not None:
        subject = (data.about.type, data.about.id, await resolve_subject(data.about, user_id))
    await ratelimit.hit("support.tickets", str(user_id), limit=settings.tickets_per_day, window_s=86_400)
    now = clock.now()
    priority = "urgent" if data.category in settings.urgent_categories else "normal"
    first_due, resolution_due = sla.due_times(now, data.category, priority)
    assignee = await agents.next_in_turn() if settings.auto_assign else None
    language = (await users.get_contact(user_id)).language
    async with Ticket._meta.db.transaction():
        made = await Ticket.insert(Ticket(
            requester=user_id, category=data.category, subject=data.subject.strip() or "—", subject_type=subject[0],
            subject_ref=subject[1], subject_label=subject[2], priority=priority, status=states.NEW,
            assignee=assignee, linked_to=linked["id"] if linked else None, language=language[:8], created_at=now,
            updated_at=now, last_message_at=now, first_response_due=first_due, resolution_due=resolution_due,
            due_at=first_due)).returning(Ticket.id)
        ticket_id = made[0]["id"]
        await Message.insert(Message(ticket=ticket_id, author=user_id, kind="user", body=body, attachments=files,
                                     created_at=now))
        if linked is not None:
            await _system(ticket_id, f"Continues closed ticket #{linked['id']}", now)
        row = await load(ticket_id)
        await hooks.notify(hookspecs.ticket_opened, ticket=info_of(row))
    log.info("user %s opened ticket %s (%s, %s)%s", user_id, ticket_id, data.category, priority,
             f" assigned to {assignee}" if assignee else "")
    return read_ticket(row, await agents.any_online())


async def _system(ticket_id: int, text: str, now: Any, author: int | None = None) -> None:
    await Message.insert(Message(ticket=ticket_id, author=author, kind="system", body=text, created_at=now))


async def add_message(ticket_id: int, author_id: int, kind: str, body: str, files: list[dict[str, Any]],
                      *, check: Any = None) -> tuple[Row, TicketMessageRead]:
    """Store a message (``user``, ``agent`` or ``note``) with the ticket locked; move the status; call the hooks.

    ``check(row)`` runs on the locked row first (ownership, closed tickets). Returns the ticket row after the
    change and the message.
    """
    now = clock.now()
    async with realtime.after_commit() as rt, Ticket._meta.db.transaction():
        row = await load(ticket_id, lock=True)
        if check is not None:
            check(row)
        before = row["status"]
        changes: dict[Any, Any] = {}
        if kind != "note":
            role = states.AGENT if kind == "agent" else states.USER
            target = states.after_reply(before, role)
            if target != before:
                changes.update(flow.move(row, target, role, now))
            if kind == "agent":
                changes.update(flow.first_response(row, now))
            changes.update({Ticket.last_message_at: now, Ticket.updated_at: now})
            row.update(last_message_at=now, updated_at=now)
        made = await Message.insert(Message(ticket=ticket_id, author=author_id, kind=kind, body=body,
                                            attachments=files, created_at=now)).returning(Message.id)
        if changes:
            await Ticket.update(changes).where(Ticket.id == ticket_id)
        message = read_message({"id": made[0]["id"], "ticket": ticket_id, "author": author_id, "kind": kind,
                                "body": body, "attachments": files, "created_at": now},
                               await names([author_id]))
        if kind != "note":
            await hooks.notify(hookspecs.ticket_replied, ticket=info_of(row), message_id=message.id,
                               author_id=author_id, by_agent=kind == "agent", body=body)
        publish_message(rt, message, kind)
        if row["status"] != before:
            publish_status(rt, ticket_id, row["status"])
    return row, message


class _Closed(Exception):
    """The ticket was closed when the reply came: a new ticket is opened instead."""


async def reply(ticket_id: int, user_id: int, data: TicketMessageCreate) -> TicketReplyRead:
    """The requester's reply: reopens a resolved ticket; to a closed one, opens a new ticket linked to it.

    Ownership and status are checked on the locked row (one read on the hot path).
    """
    body = check_body(data.body)
    files = await check_attachments(data.attachments, user_id, ticket_id)
    await ratelimit.hit("support.messages", f"{user_id}:{ticket_id}",
                        limit=plugin_settings(SupportSettings).messages_per_minute, window_s=60)

    def mine_and_open(locked: Row) -> None:
        if locked["requester"] != user_id:
            raise NotFound("No such ticket", code="ticket_not_found")
        if locked["status"] == states.CLOSED:
            raise _Closed()

    try:
        row, message = await add_message(ticket_id, user_id, "user", body, files, check=mine_and_open)
    except _Closed:
        return await _continue(await load(ticket_id), user_id, data)
    return TicketReplyRead(message=message, ticket=read_ticket(row, await agents.any_online()))


async def _continue(closed: Row, user_id: int, data: TicketMessageCreate) -> TicketReplyRead:
    subject = closed["subject"] if closed["subject"].startswith("Re: ") else f"Re: {closed['subject']}"
    ticket = await open_ticket(user_id, TicketCreate(category=closed["category"], subject=subject[:200],
                                                     body=data.body, attachments=data.attachments), linked=closed)
    page = await public_messages(ticket.id, None, 1)
    message = read_message(page[0], await names([user_id]))
    log.info("user %s replied to closed ticket %s: new ticket %s", user_id, closed["id"], ticket.id)
    return TicketReplyRead(message=message, ticket=ticket)


async def list_mine(user_id: int, status: str | None, cursor: str | None, limit: int) -> Page[TicketRead]:
    """The user's tickets, latest activity first."""
    query = Ticket.select().where(Ticket.requester == user_id)
    if status:
        query = query.where(Ticket.status == status)
    if cursor:
        at, tid = decode_cursor(cursor, type(clock.now()), int, scope=MINE)
        query = query.where((Ticket.last_message_at < at) | ((Ticket.last_message_at == at) & (Ticket.id < tid)))
    rows = await query.order_by(Ticket.last_message_at, Ticket.id, ascending=False).limit(limit + 1)
    items, nxt = paginate(rows, limit, key=lambda r: (r["last_message_at"], r["id"]), scope=MINE)
    online = await agents.any_online()
    return Page(items=[read_ticket(r, online) for r in items], next_cursor=nxt)


async def get_mine(ticket_id: int, user_id: int) -> TicketRead:
    """One of the user's tickets."""
    return read_ticket(await load_own(ticket_id, user_id), await agents.any_online())


async def messages(ticket_id: int, user_id: int, cursor: str | None, limit: int) -> Page[TicketMessageRead]:
    """The public conversation of one of the user's tickets, newest first (internal notes never appear)."""
    await load_own(ticket_id, user_id)
    scope = f"support.messages.{ticket_id}"
    before = decode_cursor(cursor, int, scope=scope)[0] if cursor else None
    rows, nxt = paginate(await public_messages(ticket_id, before, limit), limit, key=lambda r: (r["id"],),
                         scope=scope)
    by_id = await names(r["author"] for r in rows)
    return Page(items=[read_message(r, by_id) for r in rows], next_cursor=nxt)


async def resolve_mine(ticket_id: int, user_id: int) -> TicketRead:
    """The user no longer needs help: resolved (409 ``illegal_status_move`` from resolved or closed)."""
    now = clock.now()
    async with realtime.after_commit() as rt, Ticket._meta.db.transaction():
        row = await load_own(ticket_id, user_id, lock=True)
        await Ticket.update(flow.move(row, states.RESOLVED, states.USER, now)).where(Ticket.id == ticket_id)
        await _system(ticket_id, "Resolved by the user", now, user_id)
        await hooks.notify(hookspecs.ticket_resolved, ticket=info_of(row), actor_id=user_id)
        publish_status(rt, ticket_id, row["status"])
    return read_ticket(row, await agents.any_online())


async def rate(ticket_id: int, user_id: int, data: RatingCreate) -> TicketRead:
    """CSAT 1-5 and a comment, once, when the ticket is resolved or closed (409 ``not_resolved``/``already_rated``)."""
    async with Ticket._meta.db.transaction():
        row = await load_own(ticket_id, user_id, lock=True)
        if row["status"] not in (states.RESOLVED, states.CLOSED):
            raise Conflict("Rate the answer once the ticket is resolved", code="not_resolved")
        if row["csat_score"] is not None:
            raise Conflict("You already rated this ticket", code="already_rated")
        now = clock.now()
        await Ticket.update({Ticket.csat_score: data.score, Ticket.csat_comment: data.comment.strip(),
                             Ticket.csat_at: now}).where(Ticket.id == ticket_id)
        row.update(csat_score=data.score, csat_comment=data.comment.strip(), csat_at=now)
    log.info("user %s rated ticket %s: %s", user_id, ticket_id, data.score)
    return read_ticket(row, await agents.any_online())


async def typing(ticket_id: int, user_id: int, as_agent: bool) -> None:
    """An ephemeral "typing…" frame to the ticket's room (never stored; 429 past ``typing_per_minute``)."""
    if as_agent:
        await load(ticket_id)
    else:
        await load_own(ticket_id, user_id)
    await ratelimit.hit("support.typing", f"{user_id}:{ticket_id}",
                        limit=plugin_settings(SupportSettings).typing_per_minute, window_s=60)
    await realtime.publish(f"{TICKET_ROOM}:{ticket_id}",
                           TicketEvent("typing", ticket_id, user_id=user_id, from_agent=as_agent))
    if not as_agent:  # the panel's conversation is refreshed, not subscribed: it reads this
        await cache.client().set(cache.key("support", "typing", ticket_id), str(user_id), ex=TYPING_SHOWN_S)


async def user_typing(ticket_id: int) -> bool:
    """Whether the requester sent a typing signal in the last :data:`TYPING_SHOWN_S` (False when Redis fails)."""
    try:
        return bool(await cache.client().exists(cache.key("support", "typing", ticket_id)))
    except (RedisError, OSError):
        return False


async def status() -> StatusRead:
    """Whether an agent is online, and the latest a ticket opened now would get its first answer, per category."""
    now = clock.now()
    settings = plugin_settings(SupportSettings)
    due = {}
    for category in CATEGORIES:
        priority = "urgent" if category in settings.urgent_categories else "normal"
        due[category] = sla.due_times(now, category, priority)[0]
    return StatusRead(agents_online=await agents.any_online(), expect_answer_by=due)
