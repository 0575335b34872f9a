"""The registry of conversation kinds: ``chat`` (group rooms) and ``pair`` ("+1" chats), by name; test substitutes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core.errors import NotFound
from plugins.groups.chat.conversations import GROUP, Conversation

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
