"""Real time: authenticated WebSocket connections, rooms that plugins declare, fanned out through Redis pub/sub.

(Contract only; the mechanism is being built: see the platform issue, part 5.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RoomKind:
    """A kind of room a plugin offers: rooms are ``<name>:<id>``; ``may_join(user_id, room_id)`` decides who joins."""

    name: str
    may_join: Callable[[int, str], Awaitable[bool]]
