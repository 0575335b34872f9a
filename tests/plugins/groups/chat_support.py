"""Helpers of the chat tests: conversations whose rules the test sets (who reads, posts, moderates; screening)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest

from plugins.groups.chat import conversations, kinds
from plugins.groups.chat.conversations import AuthorView, Conversation


@dataclass
class Rooms:
    """The rules of the test conversations ``chat`` and ``pair``: memberships by ``(user_id, key)``."""

    readers: set[tuple[int, str]] = field(default_factory=set)
    writers: set[tuple[int, str]] = field(default_factory=set)
    moderators: set[tuple[int, str]] = field(default_factory=set)
    screened: set[str] = field(default_factory=set)

    def join(self, user_id: int, key: str | int, *, post: bool = True, moderate: bool = False) -> None:
        """Make ``user_id`` a reader of room ``key`` (and a writer, a moderator)."""
        key = str(key)
        self.readers.add((user_id, key))
        if post:
            self.writers.add((user_id, key))
        if moderate:
            self.moderators.add((user_id, key))

    def leave(self, user_id: int, key: str | int) -> None:
        """``user_id`` loses every right in room ``key`` (left, banned)."""
        for rights in (self.readers, self.writers, self.moderators):
            rights.discard((user_id, str(key)))

    def conversation(self, kind: str) -> Conversation:
        """A conversation of ``kind`` following these rules; pairs show pseudonyms."""

        async def may_read(user_id: int, key: str) -> bool:
            return (user_id, key) in self.readers

        async def may_post(user_id: int, key: str) -> bool:
            return (user_id, key) in self.writers

        async def may_moderate(user_id: int, key: str) -> bool:
            return (user_id, key) in self.moderators

        async def pseudonyms(viewer_id: int, key: str, author_ids: list[int]) -> dict[int, AuthorView]:
            return {uid: AuthorView(None, f"Guest {uid}") for uid in author_ids}

        async def screen(key: str) -> bool:
            return key in self.screened

        authors = conversations.display_names if kind == "chat" else pseudonyms
        return Conversation(kind, may_read, may_post, may_moderate, authors, screen)


@pytest.fixture(name="rooms")
def rooms_fixture() -> Iterator[Rooms]:
    """Serve the ``chat`` and ``pair`` kinds with test rules for the test's duration."""
    found = Rooms()
    with ExitStack() as stack:
        for kind in kinds.KINDS:
            stack.enter_context(kinds.substituted(found.conversation(kind)))
        yield found
