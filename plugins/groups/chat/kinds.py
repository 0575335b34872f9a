"""The real-time room kinds of the conversations (``groups.chat``, ``groups.pair``); the registry of kinds, again.

``find``/``get``/``substituted``/``KINDS`` live in ``registry.py`` (the service imports them from there, and this
module imports the service: one direction only); they are re-exported here for existing callers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from core.realtime import RoomKind
from plugins.groups.chat import services
from plugins.groups.chat.registry import KINDS, find, get, substituted
from plugins.groups.chat.schemas import ChatMessageFrame

__all__ = ["KINDS", "find", "get", "room_kinds", "substituted"]


def room_kinds() -> list[RoomKind]:
    """The real-time room kinds ``groups.chat`` and ``groups.pair``.

    Joining asks the conversation's ``may_read``; a client's ``send`` frame posts a message through the same service
    call as the HTTP route (``services.post_frame``: may_post checked on every send, rate limit, screening, storage,
    publish after the commit), answered ``sent`` with the message in its real-time shape (``ChatMessageFrame``).
    """
    def joiner(kind: str) -> Callable[[int, str], Awaitable[bool]]:
        async def may_join(user_id: int, key: str) -> bool:
            conversation = find(kind)
            return conversation is not None and await conversation.may_read(user_id, key)

        return may_join

    def sender(kind: str) -> Callable[[int, str, Mapping[str, Any]], Awaitable[ChatMessageFrame]]:
        async def on_send(user_id: int, key: str, data: Mapping[str, Any]) -> ChatMessageFrame:
            return await services.post_frame(kind, user_id, key, data)

        return on_send

    return [RoomKind(f"groups.{kind}", joiner(kind), sender(kind)) for kind in KINDS]
