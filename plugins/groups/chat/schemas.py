"""Request and response shapes of the chat (msgspec; field rules as constraints)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

MAX_BODY = 4000
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_BODY,
                                   description=f"The text of the message, 1 to {MAX_BODY} characters.")]
CONTACT_DETAILS_HELD = "contact_details_held"
"""The ``warning`` of a message held back because it holds a phone number or an email (anonymous chats)."""
HELD_FOR_REVIEW = "held_for_review"
"""The ``warning`` of a message held back for the moderators (the platform's blocklists matched a word)."""


class ChatMessageCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new message."""

    body: Body


class MessageUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The new text of my message (within ``message_edit_minutes`` of posting it)."""

    body: Body


class ChatReportCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Why a message is reported."""

    reason: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class AuthorRead(msgspec.Struct):
    """Who wrote a message: ``id`` is null for a pseudonym (anonymous chats) or an erased account."""

    id: int | None
    name: str


class ChatMessageRead(msgspec.Struct):
    """A chat message.

    ``status``: ``visible``; ``held`` (only its author sees it: it holds contact details, or waits for the
    moderators); ``deleted`` (a tombstone: ``body`` is null).

    ``warning`` is set only on the answer to a post or an edit: ``contact_details_held`` when the message was held
    back instead of being shown to the others, ``held_for_review`` when it waits for the moderators (a blocked word).
    """

    id: int
    conversation: Literal["chat", "pair"]
    key: str
    author: AuthorRead
    body: str | None
    status: Literal["visible", "held", "deleted"]
    created_at: datetime
    edited_at: datetime | None = None
    warning: str | None = None


class ChatMessageFrame(msgspec.Struct, omit_defaults=True):
    """A chat message in a real-time frame: ``ChatMessageRead`` without what the frame already says, to keep it small.

    No ``conversation`` and ``key`` (the room ``groups.<conversation>:<key>`` names them); ``body`` (null for a
    tombstone), ``edited_at`` and ``warning`` are left out when null; ``status`` is left out when ``visible`` (its
    default: a frame without ``status`` is a visible message; ``held`` and ``deleted`` are always written). Every
    delivery to every client carries one, so each byte is paid (JSON, compression) once per member.
    """

    id: int
    author: AuthorRead
    created_at: datetime
    status: Literal["visible", "held", "deleted"] = "visible"
    body: str | None = None
    edited_at: datetime | None = None
    warning: str | None = None


class ChatEvent(msgspec.Struct):
    """A frame's ``data`` in a conversation's real-time room ``groups.<conversation>:<key>``.

    ``event``: ``message.created``, ``message.edited``, ``message.deleted`` (``message`` is the tombstone) or
    ``message.hidden`` (an edit held the message back: drop it; ``message`` has no body).
    """

    event: Literal["message.created", "message.edited", "message.deleted", "message.hidden"]
    message: ChatMessageFrame


class ChatReportRead(msgspec.Struct):
    """A report of a chat message."""

    id: int
    message_id: int
    reason: str
    status: str
    created_at: datetime
