"""Conversation kinds: who reads, posts and moderates a chat, and how its authors are shown (group rooms, "+1" pairs).

One message store, one history, one edit/delete/report path, one rate limit and one real-time publish serve every
kind of conversation; a kind only answers questions about its own rooms. A conversation is ``(kind, key)``:

* ``chat``: a group's room, ``key`` the group id (written here: active members read and post, the group's
  moderating roles delete others' messages; banned members and those who left lose access at once);
* ``pair``: the anonymous "+1" chat, ``key`` the proposal id (``PAIR`` in ``plugins/groups/partners/conversation.py``).

The registry of kinds (``find``/``get``) is ``registry.py`` and the real-time room kinds are ``kinds.py``: the
registry imports both kinds, while the pair kind imports this module, so they stay free of import cycles.

Its real-time room is ``groups.<kind>:<key>``; subscribing asks ``may_read``. The contract each kind fulfils::

    Conversation(
        kind="pair",
        may_read=...,        # async (user_id, key) -> bool: see the history, subscribe; False -> 404 everywhere
        may_post=...,        # async (user_id, key) -> bool: post and edit; False -> 404 when not may_read, else 403
                             #   chat_post_forbidden; raise a core.errors error (e.g. Conflict(code="pair_closed"))
                             #   for a more precise answer
        may_moderate=...,    # async (user_id, key) -> bool: delete other people's messages
        authors=...,         # async (viewer_id, key, author_ids) -> {author_id: AuthorView}; viewer 0 is the room
                             #   as a whole (published frames use it: never reveal there what one side may not see)
        screen_contacts=..., # async (key) -> bool: hold back messages with a phone number or an email
        store=None,          # optional, async (posts: Sequence[NewPost]) -> [id | None, ...]: store a batch of
                             #   posts (all of this kind), each only if may_post holds for its author, in one
                             #   statement (None: may not post; the service then asks may_post/may_read for the
                             #   precise error); without it: may_post first, then the writer's plain insert
    )

Every callable gets the key as the string of the room name (any ``[A-Za-z0-9_.-]{1,100}``): a kind refuses keys it
cannot parse by answering False.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from core import db
from core.users import services as users
from plugins.groups.chat import sql

log = logging.getLogger("plugins.groups")


@dataclass(slots=True)
class NewPost:
    """A message on its way to the store (``writer.py``): what its row holds."""

    kind: str
    key: str
    author: int
    body: str
    status: Literal["visible", "held"]
    created_at: datetime


@dataclass(frozen=True)
class AuthorView:
    """How an author is shown to a viewer: a display name with their id, or a pseudonym (``user_id`` None)."""

    user_id: int | None
    name: str


@dataclass(frozen=True)
class Conversation:
    """A kind of conversation: its access rules and how its authors are shown (see the module docstring)."""

    kind: str
    may_read: Callable[[int, str], Awaitable[bool]]
    may_post: Callable[[int, str], Awaitable[bool]]
    may_moderate: Callable[[int, str], Awaitable[bool]]
    authors: Callable[[int, str, list[int]], Awaitable[dict[int, AuthorView]]]
    screen_contacts: Callable[[str], Awaitable[bool]]
    store: Callable[[Sequence[NewPost]], Awaitable[list[int | None]]] | None = None

    def room(self, key: str) -> str:
        """The real-time room of the conversation ``key``."""
        return f"groups.{self.kind}:{key}"


# ---------------------------------------------------------------------------------------------------------------------
# The group room ("chat", key = group id)
# ---------------------------------------------------------------------------------------------------------------------


def _group_id(key: str) -> int | None:
    return int(key) if key.isdigit() and len(key) < 10 else None


async def _role(user_id: int, key: str) -> str | None:
    """``api.active_role`` in one prepared statement (the posting hot path; see ``sql.py``)."""
    from plugins.groups.states import ACTIVE

    group_id = _group_id(key)
    if group_id is None or not user_id:
        return None
    rows = await db.fetch(sql.ACTIVE_ROLE, group_id, user_id, ACTIVE)
    return str(rows[0]["role"]) if rows else None


async def _group_member(user_id: int, key: str) -> bool:
    return await _role(user_id, key) is not None


async def _store_if_member(posts: Sequence[NewPost]) -> list[int | None]:
    """Posts to group rooms: the insert and ``_group_member`` of each, in one statement (the hot path; ``sql.py``)."""
    from plugins.groups.states import ACTIVE

    ids: list[int | None] = [None] * len(posts)
    todo = [(i, post, group_id) for i, post in enumerate(posts)
            if (group_id := _group_id(post.key)) is not None and post.author]
    if todo:
        rows = await db.fetch(sql.INSERT_MEMBER_MESSAGES, [p.key for _, p, _ in todo], [g for _, _, g in todo],
                              [p.author for _, p, _ in todo], [p.body for _, p, _ in todo],
                              [p.status for _, p, _ in todo], [p.created_at for _, p, _ in todo], ACTIVE)
        for row in rows:
            ids[todo[row["ord"] - 1][0]] = int(row["id"])
    return ids


async def _group_moderator(user_id: int, key: str) -> bool:
    from plugins.groups import api

    return await _role(user_id, key) in api.MODERATING_ROLES


_names: dict[int, tuple[float, AuthorView]] = {}
NAMES_TTL_S = 30.0
"""How long a display name is reused for the frames of new messages (history always reads it afresh)."""


async def display_names(viewer_id: int, key: str, author_ids: list[int]) -> dict[int, AuthorView]:
    """Authors by their display names (group rooms: members know each other by name).

    For viewer 0 (a new message's frame: the hot path) a name read in the last ``NAMES_TTL_S`` seconds is reused,
    so a post usually costs no lookup; a renamed author shows the new name within that time.
    """
    now = time.monotonic()
    found: dict[int, AuthorView] = {}
    if viewer_id == 0:
        for uid in author_ids:
            cached = _names.get(uid)
            if cached is not None and cached[0] > now:
                found[uid] = cached[1]
    missing = sorted(set(author_ids) - found.keys())
    if missing:
        for uid, contact in (await users.get_contacts(missing)).items():
            found[uid] = AuthorView(uid, contact.display_name)
            if len(_names) >= 10_000:
                _names.clear()
            _names[uid] = (now + NAMES_TTL_S, found[uid])
    return found


async def _never(key: str) -> bool:
    return False


GROUP = Conversation(kind="chat", may_read=_group_member, may_post=_group_member, may_moderate=_group_moderator,
                     authors=display_names, screen_contacts=_never, store=_store_if_member)
"""A group's room: active members read and post; owners, admins and moderators of the group delete."""
