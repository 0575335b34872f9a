"""The chat's part of a user's data export and of an account's erasure."""

from __future__ import annotations

from typing import Any

from plugins.groups.tables import ChatMessage


async def export_user(user_id: int) -> dict[str, Any]:
    """The user's own chat messages (deleted ones as tombstones); their reports are in core's part (``reports``)."""
    messages = await ChatMessage.select(
        ChatMessage.id, ChatMessage.kind, ChatMessage.room_key, ChatMessage.body, ChatMessage.status,
        ChatMessage.created_at, ChatMessage.edited_at, ChatMessage.deleted_at,
    ).where(ChatMessage.author == user_id).order_by(ChatMessage.id)
    return {
        "messages": [{"id": m["id"], "conversation": m["kind"], "key": m["room_key"], "body": m["body"],
                      "status": m["status"], "created_at": m["created_at"].isoformat(),
                      "edited_at": m["edited_at"].isoformat() if m["edited_at"] else None,
                      "deleted_at": m["deleted_at"].isoformat() if m["deleted_at"] else None} for m in messages],
    }


async def erase_user(user_id: int) -> None:
    """Anonymise the user's messages (they stay in their conversations as "Deleted account"); drop held ones.

    Held messages were seen by nobody else and hold contact details, so they go. Moderation records forget the user
    too (their reports: ``core.reports``). Idempotent.
    """
    await ChatMessage.delete().where((ChatMessage.author == user_id) & (ChatMessage.status == "held"))
    await ChatMessage.update({ChatMessage.author: None}).where(ChatMessage.author == user_id)
    await ChatMessage.update({ChatMessage.deleted_by: None}).where(ChatMessage.deleted_by == user_id)
