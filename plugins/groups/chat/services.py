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

from core import audit, clock, ratelimit, realtime
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.hooks import plugin_settings
from core.pagination import Page, decode_cursor, paginate
from core.reports import screening as text_screening
from core.reports import services as reports
from core.validation import body_errors, truncated
from plugins.groups import GroupsSettings
from plugins.groups.chat import screening, writer
from plugins.groups.chat.conversations import AuthorView, Conversation, NewPost
from plugins.groups.chat.registry import get
from plugins.groups.chat.schemas import (
    CONTACT_DETAILS_HELD,
    HELD_FOR_REVIEW,
    AuthorRead,
    ChatEvent,
    ChatMessageCreate,
    ChatMessageFrame,
    ChatMessageRead,
    ChatReportRead,
)
from plugins.groups.tables import ChatMessage

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


MESSAGE_TYPE = "groups.message"
"""The reportable type of chat messages (``plugins/groups/reports.py``)."""


def _held_warning(body: str) -> str:
    """Why a new message was held: contact details (the conversation screens them), else a blocked word."""
    return CONTACT_DETAILS_HELD if screening.has_contacts(body) else HELD_FOR_REVIEW


async def _blocked(body: str) -> str:
    """What the platform's blocklists found in ``body`` (held for the moderators' review), or ""."""
    found = await text_screening.screen(body)
    return text_screening.summary(found) if found else ""


async def post(kind: str, key: str, user_id: int, text: str) -> ChatMessageRead:
    """Post a message; published to the room unless held back (``status`` ``held``, ``warning`` set).

    Stored and published by the writer (``writer.py``) with the posts of the same moment; returns once it is saved.
    A kind that stores posts itself (``Conversation.store``: group rooms) checks ``may_post`` in the insert, so there
    the rate limit counts before that check (a non-member's attempts count too).
    """
    new, message_id, author = await _post(kind, key, user_id, text)
    return ChatMessageRead(id=message_id, conversation=kind, key=key,  # type: ignore[arg-type]  # a known kind
                           author=AuthorRead(author.user_id, author.name), body=new.body, status=new.status,
                           created_at=new.created_at, warning=_held_warning(new.body) if new.status == "held" else None)


async def post_frame(kind: str, user_id: int, key: str, data: Mapping[str, Any]) -> ChatMessageFrame:
    """A ``send`` frame on the room ``groups.<kind>:<key>`` (its ``data`` is a ``ChatMessageCreate``): as :func:`post`.

    The room kinds' ``on_send``: the same checks as the HTTP route, on every send (a member removed since subscribing
    gets ``conversation_not_found``), the same 422 ``validation_failed`` errors (pointers into ``data``). Answers
    the message in its real-time shape (``ChatMessageFrame``: the room names the conversation).
    """
    try:
        create = msgspec.convert(data, ChatMessageCreate)
    except msgspec.ValidationError:
        errors, _cut = truncated(body_errors(data, ChatMessageCreate))
        raise ValidationFailed("The message is invalid.", errors=errors) from None
    new, message_id, author = await _post(kind, key, user_id, create.body)
    message = writer.frame_of(new, message_id, author)
    if new.status == "held":
        message.warning = _held_warning(new.body)
    return message


async def _post(kind: str, key: str, user_id: int, text: str) -> tuple[NewPost, int, AuthorView]:
    body = _body(text)
    conversation = get(kind)
    if conversation.store is None:
        await _may_post(conversation, user_id, key)
    contacts = await _hold(conversation, key, body)
    blocked = "" if contacts else await _blocked(body)
    held = contacts or bool(blocked)
    author = (await conversation.authors(0, key, [user_id])).get(user_id, GONE)
    new = NewPost(kind, key, user_id, body, "held" if held else "visible", clock.now())
    message_id = await writer.save(conversation, new, author)
    if message_id is None:  # the kind's own store refused it
        await _may_post(conversation, user_id, key)  # raises the precise error (unless they joined just now)
        message_id = await writer.save(conversation, new, author, checked=True)
    if message_id is None:
        raise NotFound("No such conversation", code="conversation_not_found")
    if blocked:
        await reports.flag(MESSAGE_TYPE, message_id, blocked)
    log.info("user %s posted message %s to %s:%s%s", user_id, message_id, kind, key, " (held)" if held else "")
    return new, message_id, author


def frame(message: ChatMessageRead) -> ChatMessageFrame:
    """The real-time shape of ``message`` (see ``ChatMessageFrame``)."""
    return ChatMessageFrame(id=message.id, author=message.author, status=message.status,
                            created_at=message.created_at, body=message.body, edited_at=message.edited_at)


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
    contacts = await _hold(conversation, key, body)
    blocked = "" if contacts else await _blocked(body)
    held = contacts or bool(blocked)
    async with realtime.after_commit() as rt:
        changed = await ChatMessage.update(
            {ChatMessage.body: body, ChatMessage.status: "held" if held else "visible",
             ChatMessage.edited_at: clock.now()}
        ).where((ChatMessage.id == message_id) & (ChatMessage.status != "deleted")).returning(*_COLUMNS)
        if not changed:  # deleted meanwhile
            raise Conflict("The message was deleted", code="message_deleted")
        message = read(changed[0], await conversation.authors(0, key, [user_id]))
        if blocked:
            await reports.flag(MESSAGE_TYPE, message_id, blocked)
        if held and row["status"] == "visible":
            rt.publish(conversation.room(key), ChatEvent("message.hidden", _without_body(frame(message))))
        elif not held:
            rt.publish(conversation.room(key), ChatEvent("message.edited", frame(message)))
    log.info("user %s edited message %s%s", user_id, message_id, " (held)" if held else "")
    if held:
        message.warning = CONTACT_DETAILS_HELD if contacts else HELD_FOR_REVIEW
    return message


def _without_body(message: ChatMessageFrame) -> ChatMessageFrame:
    return ChatMessageFrame(id=message.id, author=message.author, status=message.status,
                            created_at=message.created_at, edited_at=message.edited_at)


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
        await reports.target_removed(MESSAGE_TYPE, row["id"], actor_id)
        if changed and row["status"] == "visible":
            authors = await conversation.authors(0, row["room_key"], [row["author"]] if row["author"] else [])
            tombstone = frame(read(changed[0], authors))
            rt.publish(conversation.room(row["room_key"]), ChatEvent("message.deleted", tombstone))
    if changed:
        log.info("user %s deleted message %s of %s:%s", actor_id, row["id"], row["kind"], row["room_key"])


async def report(message_id: int, user_id: int, reason: str) -> ChatReportRead:
    """Report someone else's message to the platform's report queue (``core.reports``, type ``groups.message``).

    The route of old, kept for the app: the same as ``POST /reports`` with reason ``other`` and ``reason`` as the
    text, but once per message (409 ``already_reported``) and 409 ``own_message``/``message_deleted``.
    """
    row, _conversation = await _message(message_id, user_id)
    if row["author"] == user_id:
        raise Conflict("You cannot report your own message", code="own_message")
    if row["status"] == "deleted":
        raise Conflict("The message was deleted", code="message_deleted")
    made, created = await reports.file(user_id, MESSAGE_TYPE, message_id, "other", reason)
    if not created:
        raise Conflict("You already reported this message", code="already_reported")
    return ChatReportRead(id=made["id"], message_id=message_id, reason=made["text"], status=made["status"],
                      created_at=made["created_at"])


# ---------------------------------------------------------------------------------------------------------------------
# The platform's report queue (core.reports): who may see a message, hide it, show it again, remove it
# ---------------------------------------------------------------------------------------------------------------------


async def visible_to(message_id: int, user_id: int) -> bool:
    """Whether ``user_id`` may see the message (as ``GET`` by id answers; deleted ones are gone)."""
    try:
        row, _conversation = await _message(message_id, user_id)
    except NotFound:
        return False
    return bool(row["status"] != "deleted")


async def author_of(message_id: int) -> int | None:
    """The message's author (None once erased, or no such message)."""
    row = await ChatMessage.select(ChatMessage.author).where(ChatMessage.id == message_id).first()
    return None if row is None else row["author"]


async def excerpt(message_id: int) -> str:
    """The message's first words, for the moderators' queue."""
    row = await ChatMessage.select(ChatMessage.body, ChatMessage.status, ChatMessage.kind,
                                   ChatMessage.room_key).where(ChatMessage.id == message_id).first()
    if row is None:
        raise NotFound("No such message", code="message_not_found")
    return f"{row['kind']}:{row['room_key']}: {row['body'][:120] or '(deleted)'} ({row['status']})"


async def set_held(message_id: int, held: bool) -> None:
    """Hide a visible message from its room (reports), or show a held one (a moderator dismissed the reports)."""
    want, was = ("held", "visible") if held else ("visible", "held")
    async with realtime.after_commit() as rt:
        changed = await ChatMessage.update({ChatMessage.status: want}).where(
            (ChatMessage.id == message_id) & (ChatMessage.status == was)).returning(*_COLUMNS)
        if changed:
            row = changed[0]
            conversation = get(row["kind"])
            authors = await conversation.authors(0, row["room_key"], [row["author"]] if row["author"] else [])
            message = frame(read(row, authors))
            rt.publish(conversation.room(row["room_key"]), ChatEvent(
                "message.hidden" if held else "message.created", _without_body(message) if held else message))
    log.info("message %s %s", message_id, "held by reports" if held else "shown again")


async def remove(message_id: int, staff_id: int) -> None:
    """A moderator removes the message (a tombstone, published to its room)."""
    row = await ChatMessage.select(*_COLUMNS).where(ChatMessage.id == message_id).first()
    if row is None:
        raise NotFound("No such message", code="message_not_found")
    if row["status"] != "deleted":
        await _tombstone(row, get(row["kind"]), staff_id)
        await audit.record(staff_id, "message.remove", "message", message_id, before={"status": row["status"]},
                           after={"status": "deleted"})
