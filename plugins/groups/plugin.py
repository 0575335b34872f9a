"""Hook implementations of the groups plugin: each a few lines, delegating."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl


@hookimpl
def register_piccolo_app() -> Any:
    """The tables and migrations of groups."""
    from plugins.groups.piccolo_app import APP_CONFIG

    return APP_CONFIG


# Chat (plugins/groups/chat/): named hooks so the chat's implementations sit beside groups' own.


@hookimpl(specname="register_routes")
def register_chat_routes() -> list[Any]:
    """Group rooms and "+1" pair chats: ``/api/v1/groups/{id}/chat/messages``, ``/api/v1/groups/pairs/…``."""
    from plugins.groups.chat.routes import ChatController

    return [ChatController]


@hookimpl(specname="register_realtime_rooms")
def register_chat_rooms() -> list[Any]:
    """``groups.chat:<group_id>`` and ``groups.pair:<proposal_id>``: joined by those who may read the conversation."""
    from plugins.groups.chat.conversations import room_kinds

    return room_kinds()


@hookimpl(specname="user_data_export")
async def chat_user_data_export(user_id: int) -> dict[str, Any]:
    """The user's chat messages and reports."""
    from plugins.groups.chat.accounts import export_user

    return {"groups_chat": await export_user(user_id)}


@hookimpl(specname="user_erasure")
async def chat_user_erasure(user_id: int) -> None:
    """The user's messages stay, anonymised; held ones go."""
    from plugins.groups.chat.accounts import erase_user

    await erase_user(user_id)
