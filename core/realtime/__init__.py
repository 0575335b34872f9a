"""Real time: authenticated WebSocket connections, rooms that plugins declare, fanned out through Redis pub/sub.

Protocol of ``/api/v1/realtime`` (JSON text frames; the token never goes in the URL)::

    client → {"type": "auth", "token": "<access token>"}     first frame, within realtime.auth_timeout_s
    server ← {"type": "ready", "user_id": 42, "expires_at": 1767225600}
    client → {"type": "subscribe", "room": "groups.chat:42"}
    server ← {"type": "subscribed", "room": "groups.chat:42"}
    server ← {"type": "message", "room": "groups.chat:42", "data": {...}}   "room": "user" for the user's own channel
    client → {"type": "unsubscribe", "room": "groups.chat:42"}  ← {"type": "unsubscribed", "room": "groups.chat:42"}
    client → {"type": "ping"}                                  ← {"type": "pong"}
    client → {"type": "send", "room": "groups.chat:42", "id": "c-17", "data": {"body": "hi"}}
    server ← {"type": "sent", "id": "c-17", "result": {...}}     (or an error frame carrying "id": "c-17")
    server ← {"type": "error", "code": "room_forbidden", "detail": "...", "room": "groups.chat:42"}

Error codes (the connection stays open): ``invalid_message`` (bad JSON, not an object, unknown ``type``, missing
field), ``unknown_room`` (malformed name or no enabled plugin offers the kind), ``room_forbidden``,
``too_many_subscriptions``, ``user_mismatch`` (a re-auth token of another user), ``rate_limited`` (more client
frames than ``realtime.frames_per_s`` allows after a burst of ``realtime.frames_burst``: the frame is dropped),
``internal_error``.

Sending to a room: ``send`` carries a client ``id`` (1 to 64 characters, echoed in the answer so a client can
match answers to sends) and ``data`` (a JSON object; what it holds is the room kind's business). It is allowed on a
room this connection is subscribed to (else ``room_not_subscribed``) whose kind takes sends (``RoomKind.on_send``;
else ``send_not_supported``). The answer is ``{"type": "sent", "id", "result"}`` with what the kind returned (``{}``
for nothing), or an error frame with ``id``, ``room`` and the stable ``code`` of the ``core.errors`` error the kind
raised (``validation_failed`` adds ``errors``: ``[{"pointer": "/body", "detail": ...}]``, pointers into ``data``;
``rate_limited`` adds ``retry_after`` in seconds); anything unexpected is ``internal_error`` (logged). A malformed
``send`` is ``invalid_message`` (with its ``id`` when one could be read). Sends of one connection are handled one
at a time, in order. Whether the sender may still send (a member removed since subscribing) is the kind's check, on
every send: core does not ask ``may_join`` again (the kind's own check usually is the same query its HTTP route runs).
Close codes: 1008 ``auth_required`` (no auth frame first, or none in time), ``rate_limited`` (another
``frames_burst`` frames sent while limited), ``too_many_connections`` (``realtime.max_pending_per_ip`` connections
from the client's address are still waiting for their auth frame); 1009 ``message_too_large``; 4401 with the reason
``token_invalid``, ``token_expired``, ``session_revoked`` or ``account_inactive`` (the HTTP 401 codes). A connection
lives until its access token expires (then 4401 ``token_expired``); send a fresh ``auth`` frame before that to
extend it (memberships are checked again: a room now refused gets ``{"type": "unsubscribed", "room": ...,
"reason": "room_forbidden"}``). Signing out, "log out everywhere", a reused refresh token or a password change
closes the ended sessions' connections at once (4401 ``session_revoked``); a ban or an account deletion closes all
of the user's (4401 ``account_inactive``), on every API process. Delivery is at most once: no history on reconnect.

Server side: ``await realtime.publish(room, data)`` and ``await realtime.to_user(user_id, data)`` from any process
(API or worker; ``publish_many([(room, data), ...])`` sends a batch in one round trip); they raise when Redis
cannot be reached (nothing was sent; the caller decides). A publish inside a transaction belongs after the commit:
``async with realtime.after_commit() as rt, db_transaction: ... rt.publish(...)`` sends only when both blocks exit
cleanly, and logs and drops what Redis refuses then (the change is saved; the request must not fail for it).
``await realtime.end_sessions(user_id, reason, session_ids)`` (auth's use) closes connections the same way, never
raising.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from core import cache
from core.settings import get_settings

if TYPE_CHECKING:
    from litestar.channels import ChannelsPlugin
    from redis.asyncio.client import Pipeline

log = logging.getLogger("core.realtime")
PATH = "/api/v1/realtime"
KIND = re.compile(r"^([a-z][a-z0-9_]{0,39})\.[a-z][a-z0-9_]{0,39}$")
ROOM = re.compile(r"^([a-z][a-z0-9_]{0,39}\.[a-z][a-z0-9_]{0,39}):([A-Za-z0-9_.\-]{1,100})$")


SendResult = Mapping[str, Any] | msgspec.Struct | None
"""What a room kind's ``on_send`` returns: the ``result`` of the ``sent`` frame (a JSON object; None for ``{}``)."""


@dataclass(frozen=True)
class RoomKind:
    """A kind of room a plugin offers: rooms are ``<name>:<id>``; ``may_join(user_id, room_id)`` decides who joins.

    ``on_send(user_id, room_id, data)``, when given, takes the ``send`` frames of subscribed clients (``data`` is the
    frame's JSON object, not yet validated): it checks that the user may still send (core does not ask ``may_join``
    again), does the work (usually the same service call as the kind's HTTP route, which publishes after its commit)
    and returns the ``sent`` frame's ``result``; a ``core.errors`` error becomes an error frame with its ``code``.
    """

    name: str
    may_join: Callable[[int, str], Awaitable[bool]]
    on_send: Callable[[int, str, Mapping[str, Any]], Awaitable[SendResult]] | None = None


# --------------------------------------------------------------------------------------------------------------------
# Publishing (any process: through this process's channels plugin when one runs on this loop, else Redis directly)
# --------------------------------------------------------------------------------------------------------------------

# The channels plugin of each API app running in this process, by event loop (set by core.realtime.wiring).
_live: list[tuple[asyncio.AbstractEventLoop, ChannelsPlugin]] = []


def _prefix() -> str:
    return f"{get_settings().jobs.namespace}:rt:"


def room_channel(room: str) -> str:
    """The Redis channel of ``room`` (namespaced with ``jobs.namespace``); raises ValueError for a malformed name."""
    if not ROOM.fullmatch(room):
        raise ValueError(f"room {room!r} must be '<plugin>.<kind>:<id>'")
    return f"{_prefix()}room:{room}"


def user_channel(user_id: int) -> str:
    """The Redis channel every connection of ``user_id`` listens to."""
    return f"{_prefix()}user:{int(user_id)}"


def control_channel(user_id: int) -> str:
    """The channel of server-only orders to ``user_id``'s connections: never forwarded, not reachable by to_user."""
    return f"{_prefix()}control:user:{int(user_id)}"


class Control(msgspec.Struct, forbid_unknown_fields=True):
    """An order on the control channel: close the connections of ``sessions`` (all when None) with 4401 ``reason``."""

    reason: str
    sessions: list[str] | None = None


def _frame(room: str, data: Mapping[str, Any] | msgspec.Struct) -> bytes:
    if not isinstance(data, Mapping | msgspec.Struct):
        raise TypeError("a real-time message must be a JSON object (a mapping or a msgspec Struct)")
    return msgspec.json.encode({"type": "message", "room": room, "data": data})


async def _send(channel: str, payload: bytes) -> None:
    loop = asyncio.get_running_loop()
    for owner, plugin in reversed(_live):
        if owner is loop:
            await plugin.wait_published(payload, channel)
            return
    await cache.client().publish(channel, payload)  # a worker or CLI: the same PUBLISH the backend's script runs


async def publish(room: str, data: Mapping[str, Any] | msgspec.Struct) -> None:
    """Send ``data`` to every connection subscribed to ``room`` on any API process (at most once, no history).

    Raises (a ``RedisError`` or ``OSError``) when Redis cannot be reached: nothing was sent.
    """
    await _send(room_channel(room), _frame(room, data))


async def publish_many(messages: Sequence[tuple[str, Mapping[str, Any] | msgspec.Struct]]) -> None:
    """:func:`publish` each ``(room, data)`` of ``messages``, in this order, in one Redis round trip (a pipeline).

    For hot paths that publish a batch (the chat's posts, stored together). Raises like :func:`publish`; then some of
    the messages may have gone out.
    """
    if not messages:
        return
    async with cache.client().pipeline(transaction=False) as pipe:
        queue_publish(pipe, messages)
        await pipe.execute()  # raises what Redis refused


_PUBLISH = """
for i = 1, #ARGV, 2 do
    redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
end
return #ARGV / 2
"""
"""PUBLISH each ``ARGV`` pair (channel, payload), in order: one reply for the lot (what the channels backend runs)."""


def queue_publish(pipe: Pipeline, messages: Sequence[tuple[str, Mapping[str, Any] | msgspec.Struct]]) -> int:
    """Queue :func:`publish_many`'s command on a Redis pipeline (to share a round trip); returns its replies: 0 or 1.

    The reply (read with ``execute(raise_on_error=False)``) is an exception when Redis refused: nothing was sent.
    """
    if not messages:
        return 0
    args: list[str | bytes] = []
    for room, data in messages:
        args += [room_channel(room), _frame(room, data)]
    pipe.eval(_PUBLISH, 0, *args)
    return 1


async def to_user(user_id: int, data: Mapping[str, Any] | msgspec.Struct) -> None:
    """Send ``data`` to every open connection of ``user_id`` (frames carry ``"room": "user"``); raises like publish."""
    await _send(user_channel(user_id), _frame("user", data))


class Outbox:
    """Real-time messages held back until :func:`after_commit`'s block exits without an error."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, bytes]] = []

    def publish(self, room: str, data: Mapping[str, Any] | msgspec.Struct) -> None:
        """Queue :func:`publish`."""
        self.pending.append((room_channel(room), _frame(room, data)))

    def to_user(self, user_id: int, data: Mapping[str, Any] | msgspec.Struct) -> None:
        """Queue :func:`to_user`."""
        self.pending.append((user_channel(user_id), _frame("user", data)))


@asynccontextmanager
async def after_commit() -> AsyncIterator[Outbox]:
    """Publish what the block queues once it exits cleanly; put it outside the transaction so the commit comes first.

    ``async with realtime.after_commit() as rt, Table._meta.db.transaction(): ...; rt.publish(room, data)``.
    An exception (a rollback) discards the queued messages. Once the block succeeded the change is saved, so a
    message Redis refuses is logged and dropped, never raised (delivery is at most once; a retry would duplicate it).
    """
    outbox = Outbox()
    yield outbox
    for channel, payload in outbox.pending:
        await _send_or_log(channel, payload)


async def _send_or_log(channel: str, payload: bytes) -> bool:
    try:
        await _send(channel, payload)
    except Exception:  # Redis down or refusing: at most once means this message is lost, not the caller's request
        log.warning("realtime: dropped a message to %s (Redis error)", channel, exc_info=True)
        return False
    return True


async def end_sessions(user_id: int, reason: str, session_ids: Iterable[object] | None = None) -> bool:
    """Close ``user_id``'s connections on every API process with 4401 ``reason`` (those of ``session_ids`` only).

    Call it after the sessions are revoked (committed), as auth does; a Redis error is logged, not raised (the
    connections then end with their access token). Returns whether the order was sent.
    """
    sessions = None if session_ids is None else sorted(str(sid) for sid in session_ids)
    return await _send_or_log(control_channel(user_id), msgspec.json.encode(Control(reason, sessions)))

