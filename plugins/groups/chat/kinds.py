"""The registry of conversation kinds (``chat``: group rooms, ``pair``: "+1" chats) and their real-time room kinds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from core.errors import NotFound
from core.realtime import RoomKind
from plugins.groups.chat.conversations import GROUP, Conversation
from plugins.groups.chat.schemas import MessageRead

KINDS = ("chat", "pair")
"""The conversation kinds, each a real-time room kind ``groups.<kind>``."""

_substitutes: dict[str, Conversation] = {}


def find(kind: str) -> Conversation | None:
    """The conversation kind named ``kind``, or None."""
    if kind in _substitutes:
        return _substitutes[kind]
    if kind == "chat":
        return GROUP
    if kind == "pair":
        from plugins.groups.partners.conversation import PAIR

        return PAIR
    return None


def get(kind: str) -> Conversation:
    """Like :func:`find`; raises NotFound (404 ``conversation_not_found``) for an unknown kind."""
    found = find(kind)
    if found is None:
        raise NotFound("No such conversation", code="conversation_not_found")
    return found


@contextmanager
def substituted(conversation: Conversation) -> Iterator[Conversation]:
    """Serve ``conversation.kind`` with ``conversation`` inside the block (tests of the chat with their own rules)."""
    saved = _substitutes.get(conversation.kind)
    _substitutes[conversation.kind] = conversation
    try:
        yield conversation
    finally:
        if saved is None:
            _substitutes.pop(conversation.kind, None)
        else:
            _substitutes[conversation.kind] = saved


def room_kinds() -> list[RoomKind]:
    """The real-time room kinds ``groups.chat`` and ``groups.pair``.

    Joining asks the conversation's ``may_read``; a client's ``send`` frame posts a message through the same service
    call as the HTTP route (``services.post_frame``: may_post checked on every send, rate limit, screening, storage,
    publish after the commit), answered ``sent`` with the message (``MessageRead``).
    """
    from plugins.groups.chat import services  # services imports this module: a cycle at import time otherwise

    def joiner(kind: str) -> Callable[[int, str], Awaitable[bool]]:
        async def may_join(user_id: int, key: str) -> bool:
            conversation = find(kind)
            return conversation is not None and await conversation.may_read(user_id, key)

        return may_join

    def sender(kind: str) -> Callable[[int, str, Mapping[str, Any]], Awaitable[MessageRead]]:
        async def on_send(user_id: int, key: str, data: Mapping[str, Any]) -> MessageRead:
            return await services.post_frame(kind, user_id, key, data)

        return on_send

    return [RoomKind(f"groups.{kind}", joiner(kind), sender(kind)) for kind in KINDS]
