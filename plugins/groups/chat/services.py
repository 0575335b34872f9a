"""The chat's rules: post, history, edit, delete and report messages of any conversation kind (no Litestar).

Every operation first asks the conversation (``conversations.py``) whether the caller may read it: a conversation
one may not read does not exist for them (404 ``conversation_not_found``, or ``message_not_found`` by message id).
New, edited and deleted messages are published to the conversation's room after the write commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import msgspec

from core import clock, db, ratelimit, realtime
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.hooks import plugin_settings
from core.pagination import Page, decode_cursor, paginate
from core.validation import body_errors, truncated
from plugins.groups import GroupsSettings
from plugins.groups.chat import screening, sql
from plugins.groups.chat.conversations import AuthorView, Conversation
from plugins.groups.chat.registry import get
from plugins.groups.chat.schemas import (
    CONTACT_DETAILS_HELD,
    AuthorRead,
    ChatEvent,
    ChatMessageCreate,
    ChatMessageRead,
    ReportRead,
)
from plugins.groups.tables import ChatMessage, ChatReport

log = logging.getLogger("plugins.groups")
GONE = AuthorView(None, "Deleted account")
_COLUMNS = (ChatMessage.id, ChatMessage.kind, ChatMessage.room_key, ChatMessage.author, ChatMessage.body,
            ChatMessage.status, ChatMessage.created_at, ChatMessage.edited_at)


def read(row: dict[str, Any], authors: dict[int, AuthorView], warning: str | None = None) -> ChatMessageRead:
    """The API shape of a message row (a tombstone has no body)."""
    author = authors.get(row["author"], GONE) if row["author"] is not None else GONE
    deleted = row["status"] == "deleted"
    return ChatMessageRead(id=row["id"], conversation=row["kind"], key=row["room_key"],
                       author=AuthorRead(author.user_id, author.name), body=None if deleted else row["body"],
                       status=row["status"], created_at=row["created_at"], edited_at=row["edited_at"],
                       warning=warning)


def _body(text: str) -> str:
    body = text.strip()
    if not body:
        raise ValidationFailed(errors=[{"pointer": "/body", "detail": "The message is empty"}])
    return body


async def _readable(kind: str, key: str, user_id: int) -> Conversation:
    conversation = get(kind)
    if not await conversation.may_read(user_id, key):
        raise NotFound("No such conversation", code="conversation_not_found")
    return conversation


async def _may_post(conversation: Conversation, user_id: int, key: str) -> None:
    """Posting implies reading: one check on the happy path, a second only to tell 404 from 403."""
    if await conversation.may_post(user_id, key):
        return
    if not await conversation.may_read(user_id, key):
        raise NotFound("No such conversation", code="conversation_not_found")
    raise PermissionDenied("You may not post in this conversation", code="chat_post_forbidden")


async def _throttle(user_id: int, kind: str, key: str) -> None:
    """``chat_messages_per_minute`` per user and room (posts and edits): 429 ``rate_limited`` with Retry-After."""
    await ratelimit.hit("groups.chat", f"{user_id}:{kind}:{key}",
                        limit=plugin_settings(GroupsSettings).chat_messages_per_minute, window_s=60)


async def _hold(conversation: Conversation, key: str, body: str) -> bool:
    return screening.has_contacts(body) and await conversation.screen_contacts(key)


async def post(kind: str, key: str, user_id: int, text: str) -> ChatMessageRead:
    """Post a message; published to the room unless held back (``status`` ``held``, ``warning`` set).

    A kind that stores posts itself (``Conversation.store``: group rooms) checks ``may_post`` in the same statement,
    so there the rate limit counts before that check (a non-member's attempts count too).
    """
    body = _body(text)
    conversation = get(kind)
    if conversation.store is None:
        await _may_post(conversation, user_id, key)
    await _throttle(user_id, kind, key)
    held = await _hold(conversation, key, body)
    row: dict[str, Any] = {"kind": kind, "room_key": key, "author": user_id, "body": body,
                           "status": "held" if held else "visible", "created_at": clock.now(), "edited_at": None}
    async with realtime.after_commit() as rt:
        row["id"] = await _store(conversation, row)
        message = read(row, await conversation.authors(0, key, [user_id]))
        if not held:
            rt.publish(conversation.room(key), ChatEvent("message.created", message))
    log.info("user %s posted message %s to %s:%s%s", user_id, row["id"], kind, key, " (held)" if held else "")
    if held:
        message.warning = CONTACT_DETAILS_HELD
    return message


async def post_frame(kind: str, user_id: int, key: str, data: Mapping[str, Any]) -> ChatMessageRead:
    """A ``send`` frame on the room ``groups.<kind>:<key>`` (its ``data`` is a ``ChatMessageCreate``): as :func:`post`.

    The room kinds' ``on_send``: the same checks as the HTTP route, on every send (a member removed since subscribing
    gets ``conversation_not_found``), the same 422 ``validation_failed`` errors (pointers into ``data``).
    """
    try:
        new = msgspec.convert(data, ChatMessageCreate)
    except msgspec.ValidationError:
        errors, _cut = truncated(body_errors(data, ChatMessageCreate))
        raise ValidationFailed("The message is invalid.", errors=errors) from None
    return await post(kind, key, user_id, new.body)


async def _store(conversation: Conversation, row: dict[str, Any]) -> int:
    """Insert the message ``row``; the kind's own ``store`` first, when it has one (raises when it may not post)."""
    kind, key, author, body, status, created_at = (row["kind"], row["room_key"], row["author"], row["body"],
                                                   row["status"], row["created_at"])
    if conversation.store is not None:
        found = await conversation.store(key, author, body, status, created_at)
        if found is not None:
            return found
        await _may_post(conversation, author, key)  # raises the precise error (unless they joined just now)
    (saved,) = await db.fetch(sql.INSERT_MESSAGE, kind, key, author, body, status, created_at)
    return int(saved["id"])


async def history(kind: str, key: str, user_id: int, cursor: str | None, limit: int) -> Page[ChatMessageRead]:
    """The conversation's messages, newest first: tombstones included, held ones only for their author."""
    conversation = await _readable(kind, key, user_id)
    scope = f"groups.chat.{kind}.{key}"
    query = ChatMessage.select(*_COLUMNS).where(
        (ChatMessage.kind == kind) & (ChatMessage.room_key == key)
        & ((ChatMessage.status != "held") | (ChatMessage.author == user_id)))
    if cursor is not None:
        (before,) = decode_cursor(cursor, int, scope=scope)
        query = query.where(ChatMessage.id < before)
    rows, next_cursor = paginate(await query.order_by(ChatMessage.id, ascending=False).limit(limit + 1), limit,
                                 key=lambda r: (r["id"],), scope=scope)
    authors = await conversation.authors(user_id, key, [r["author"] for r in rows if r["author"] is not None])
    return Page(items=[read(r, authors) for r in rows], next_cursor=next_cursor)


async def _message(message_id: int, user_id: int) -> tuple[dict[str, Any], Conversation]:
    """The message and its conversation when ``user_id`` may see it; 404 ``message_not_found`` otherwise."""
    row = await ChatMessage.select(*_COLUMNS).where(ChatMessage.id == message_id).first()
    missing = NotFound("No such message", code="message_not_found")
    if row is None or (row["status"] == "held" and row["author"] != user_id):
        raise missing
    try:
        conversation = await _readable(row["kind"], row["room_key"], user_id)
    except NotFound:
        raise missing from None
    return row, conversation


async def edit(message_id: int, user_id: int, text: str) -> ChatMessageRead:
    """Change my message's text within ``message_edit_minutes``; an edit may hold it back (or show it again)."""
    body = _body(text)
    row, conversation = await _message(message_id, user_id)
    key = row["room_key"]
    if row["author"] != user_id:
        raise PermissionDenied("Only its author may edit a message", code="not_author")
    if row["status"] == "deleted":
        raise Conflict("The message was deleted", code="message_deleted")
    minutes = plugin_settings(GroupsSettings).message_edit_minutes
    if clock.now() > row["created_at"] + timedelta(minutes=minutes):
        raise Conflict("Messages may be edited for %(minutes)s minutes",
                       params={"minutes": minutes}, code="edit_window_passed")
    await _may_post(conversation, user_id, key)
    await _throttle(user_id, row["kind"], key)
    held = await _hold(conversation, key, body)
    async with realtime.after_commit() as rt:
        changed = await ChatMessage.update(
            {ChatMessage.body: body, ChatMessage.status: "held" if held else "visible",
             ChatMessage.edited_at: clock.now()}
        ).where((ChatMessage.id == message_id) & (ChatMessage.status != "deleted")).returning(*_COLUMNS)
        if not changed:  # deleted meanwhile
            raise Conflict("The message was deleted", code="message_deleted")
        message = read(changed[0], await conversation.authors(0, key, [user_id]))
        if held and row["status"] == "visible":
            rt.publish(conversation.room(key), ChatEvent("message.hidden", _without_body(message)))
        elif not held:
            rt.publish(conversation.room(key), ChatEvent("message.edited", message))
    log.info("user %s edited message %s%s", user_id, message_id, " (held)" if held else "")
    if held:
        message.warning = CONTACT_DETAILS_HELD
    return message


def _without_body(message: ChatMessageRead) -> ChatMessageRead:
    return ChatMessageRead(id=message.id, conversation=message.conversation, key=message.key, author=message.author,
                       body=None, status=message.status, created_at=message.created_at, edited_at=message.edited_at)


async def delete(message_id: int, user_id: int) -> None:
    """Delete a message (its author, or a moderator of its conversation): it stays in history as a tombstone.

    Deleting a deleted message again changes nothing. Open reports of the message are closed as ``upheld``.
    """
    row, conversation = await _message(message_id, user_id)
    if row["author"] != user_id and not await conversation.may_moderate(user_id, row["room_key"]):
        raise PermissionDenied("Only its author or a moderator may delete a message", code="not_author")
    if row["status"] == "deleted":
        return
    await _tombstone(row, conversation, user_id)


async def _tombstone(row: dict[str, Any], conversation: Conversation, actor_id: int) -> None:
    now = clock.now()
    async with realtime.after_commit() as rt, ChatMessage._meta.db.transaction():
        changed = await ChatMessage.update(
            {ChatMessage.body: "", ChatMessage.status: "deleted", ChatMessage.deleted_at: now,
             ChatMessage.deleted_by: actor_id}
        ).where((ChatMessage.id == row["id"]) & (ChatMessage.status != "deleted")).returning(*_COLUMNS)
        await ChatReport.update({ChatReport.status: "upheld", ChatReport.resolved_at: now,
                                 ChatReport.resolved_by: actor_id}).where(
            (ChatReport.message == row["id"]) & (ChatReport.status == "open"))
        if changed and row["status"] == "visible":
            authors = await conversation.authors(0, row["room_key"], [row["author"]] if row["author"] else [])
            rt.publish(conversation.room(row["room_key"]), ChatEvent("message.deleted", read(changed[0], authors)))
    if changed:
        log.info("user %s deleted message %s of %s:%s", actor_id, row["id"], row["kind"], row["room_key"])


async def report(message_id: int, user_id: int, reason: str) -> ReportRead:
    """Report someone else's message to the moderators (once per message: 409 ``already_reported``)."""
    row, _conversation = await _message(message_id, user_id)
    if row["author"] == user_id:
        raise Conflict("You cannot report your own message", code="own_message")
    if row["status"] == "deleted":
        raise Conflict("The message was deleted", code="message_deleted")
    await ratelimit.hit("groups.chat.report", str(user_id), limit=30, window_s=3600)
    now = clock.now()
    made = await ChatReport.insert(ChatReport(message=message_id, reporter=user_id, reason=reason.strip(),
                                              created_at=now)).on_conflict(action="DO NOTHING").returning(ChatReport.id)
    if not made:
        raise Conflict("You already reported this message", code="already_reported")
    log.info("user %s reported message %s", user_id, message_id)
    return ReportRead(id=made[0]["id"], message_id=message_id, reason=reason.strip(), status="open", created_at=now)


# ---------------------------------------------------------------------------------------------------------------------
# Platform moderation (the admin panel's queue of reports: staff with ``groups.moderate``, not members of the room)
# ---------------------------------------------------------------------------------------------------------------------


async def uphold(report_id: int, staff_id: int) -> None:
    """Delete the reported message (a tombstone, published to its room); its open reports close as ``upheld``."""
    report = await ChatReport.select(ChatReport.message, ChatReport.status).where(ChatReport.id == report_id).first()
    if report is None:
        raise NotFound("No such report", code="report_not_found")
    if report["status"] != "open":
        raise Conflict("The report was already decided", code="report_decided")
    row = await ChatMessage.select(*_COLUMNS).where(ChatMessage.id == report["message"]).first()
    if row is None:
        raise NotFound("No such message", code="message_not_found")
    await _tombstone(row, get(row["kind"]), staff_id)
    log.info("staff %s upheld report %s", staff_id, report_id)


async def dismiss(report_id: int, staff_id: int, reason: str) -> None:
    """Close an open report without action."""
    changed = await ChatReport.update({ChatReport.status: "dismissed", ChatReport.resolved_at: clock.now(),
                                       ChatReport.resolved_by: staff_id}).where(
        (ChatReport.id == report_id) & (ChatReport.status == "open")).returning(ChatReport.id)
    if not changed:
        exists = await ChatReport.exists().where(ChatReport.id == report_id)
        raise Conflict("The report was already decided", code="report_decided") if exists else NotFound(
            "No such report", code="report_not_found")
    log.info("staff %s dismissed report %s: %s", staff_id, report_id, reason)
