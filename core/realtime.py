"""Real time: authenticated WebSocket connections, rooms that plugins declare, fanned out through Redis pub/sub.

Protocol of ``/api/v1/realtime`` (JSON text frames; the token never goes in the URL)::

    client → {"type": "auth", "token": "<access token>"}     first frame, within realtime.auth_timeout_s
    server ← {"type": "ready", "user_id": 42, "expires_at": 1767225600}
    client → {"type": "subscribe", "room": "groups.chat:42"}
    server ← {"type": "subscribed", "room": "groups.chat:42"}
    server ← {"type": "message", "room": "groups.chat:42", "data": {...}}   "room": "user" for the user's own channel
    client → {"type": "unsubscribe", "room": "groups.chat:42"}  ← {"type": "unsubscribed", "room": "groups.chat:42"}
    client → {"type": "ping"}                                  ← {"type": "pong"}
    server ← {"type": "error", "code": "room_forbidden", "detail": "...", "room": "groups.chat:42"}

Error codes (the connection stays open): ``invalid_message`` (bad JSON, not an object, unknown ``type``, missing
field), ``unknown_room`` (malformed name or no enabled plugin offers the kind), ``room_forbidden``,
``too_many_subscriptions``, ``user_mismatch`` (a re-auth token of another user), ``internal_error``.
Close codes: 1008 ``auth_required`` (no auth frame first, or none in time); 1009 ``message_too_large``; 4401 with the
reason ``token_invalid``, ``token_expired``, ``session_revoked`` or ``account_inactive`` (the HTTP 401 codes). A
connection lives until its access token expires (then 4401 ``token_expired``); send a fresh ``auth`` frame before
that to extend it (memberships are checked again: a room now refused gets ``{"type": "unsubscribed", "room": ...,
"reason": "room_forbidden"}``). Delivery is at most once: no history on reconnect.

Server side: ``await realtime.publish(room, data)`` and ``await realtime.to_user(user_id, data)`` from any process
(API or worker); a publish inside a transaction belongs after the commit: ``async with realtime.after_commit() as rt,
db_transaction: ... rt.publish(...)`` sends only when both blocks exit cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
import redis.asyncio as aioredis
from litestar import Litestar, WebSocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.config.app import AppConfig
from litestar.handlers import WebsocketRouteHandler
from litestar.plugins import InitPlugin
from redis.exceptions import RedisError

from core import cache, clock
from core.auth.tables import Session
from core.auth.tokens import decode_access_token
from core.errors import ConfigError, NotAuthenticated
from core.hooks import hookspecs
from core.hooks.manager import Registry
from core.settings import RealtimeSettings, Settings, get_settings

log = logging.getLogger("core.realtime")
PATH = "/api/v1/realtime"
CLOSE_POLICY, CLOSE_TOO_LARGE, CLOSE_AUTH = 1008, 1009, 4401
KIND = re.compile(r"^([a-z][a-z0-9_]{0,39})\.[a-z][a-z0-9_]{0,39}$")
ROOM = re.compile(r"^([a-z][a-z0-9_]{0,39}\.[a-z][a-z0-9_]{0,39}):([A-Za-z0-9_.\-]{1,100})$")


@dataclass(frozen=True)
class RoomKind:
    """A kind of room a plugin offers: rooms are ``<name>:<id>``; ``may_join(user_id, room_id)`` decides who joins."""

    name: str
    may_join: Callable[[int, str], Awaitable[bool]]


# --------------------------------------------------------------------------------------------------------------------
# Publishing (any process: through this process's channels plugin when one runs on this loop, else Redis directly)
# --------------------------------------------------------------------------------------------------------------------

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
    """Send ``data`` to every connection subscribed to ``room`` on any API process (at most once, no history)."""
    await _send(room_channel(room), _frame(room, data))


async def to_user(user_id: int, data: Mapping[str, Any] | msgspec.Struct) -> None:
    """Send ``data`` to every open connection of ``user_id`` (frames carry ``"room": "user"``)."""
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
    An exception (a rollback) discards the queued messages.
    """
    outbox = Outbox()
    yield outbox
    for channel, payload in outbox.pending:
        await _send(channel, payload)


# --------------------------------------------------------------------------------------------------------------------
# The WebSocket endpoint
# --------------------------------------------------------------------------------------------------------------------


class _Auth(msgspec.Struct, tag="auth"):
    token: str


class _Subscribe(msgspec.Struct, tag="subscribe"):
    room: str


class _Unsubscribe(msgspec.Struct, tag="unsubscribe"):
    room: str


class _Ping(msgspec.Struct, tag="ping"):
    pass


_decode = msgspec.json.Decoder(_Auth | _Subscribe | _Unsubscribe | _Ping).decode


class _Closed(Exception):
    """The connection must end with this close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


@dataclass
class Hub:
    """What the endpoint needs from its app: the channels plugin, the room kinds and the limits."""

    channels: ChannelsPlugin
    kinds: dict[str, RoomKind]
    limits: RealtimeSettings


async def _authenticate(token: str) -> tuple[int, int]:
    """``(user_id, expires_at)`` for an access token; the checks of ``core.auth.guards.principal_from``."""
    claims = decode_access_token(token)
    row = await (
        Session.select(Session.revoked_at, Session.user.status)
        .where((Session.id == claims.session_id) & (Session.user == claims.user_id))
        .first()
    )
    if row is None or row["revoked_at"] is not None:
        raise NotAuthenticated("Session ended; sign in again", code="session_revoked")
    if row["user.status"] != "active":
        raise NotAuthenticated("Account is not active", code="account_inactive")
    return claims.user_id, claims.expires_at


@dataclass
class _Connection:
    hub: Hub
    socket: WebSocket[Any, Any, Any]
    user_id: int = 0
    expires_at: float = 0.0
    rooms: dict[str, AsyncExitStack] = field(default_factory=dict)
    own: AsyncExitStack = field(default_factory=AsyncExitStack)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def serve(self) -> None:
        await self.socket.accept()
        try:
            first = await self._next(self.hub.limits.auth_timeout_s, "auth_required")
            if not isinstance(first, _Auth):
                raise _Closed(CLOSE_POLICY, "auth_required")
            await self._auth(first.token)
            while True:
                await self._handle(await self._next(self.expires_at - clock.timestamp(), "token_expired"))
        except _Closed as closed:
            await self._out(close=(closed.code, closed.reason))
        finally:
            for stack in [*self.rooms.values(), self.own]:
                try:
                    await stack.aclose()
                except Exception:  # Redis gone: the backend's subscriptions are re-made when it reconnects
                    log.warning("realtime: unsubscribing user %s failed", self.user_id, exc_info=True)

    async def _next(self, wait_s: float, on_timeout: str) -> Any:
        """The next valid client frame (errors answered on the way); raise _Closed on timeout or disconnect."""
        while True:
            try:
                async with asyncio.timeout(max(wait_s, 0.0)):
                    event = await self.socket.receive()
            except TimeoutError:
                raise _Closed(CLOSE_AUTH if self.user_id else CLOSE_POLICY, on_timeout) from None
            if event["type"] == "websocket.disconnect":
                raise _Closed(0, "")
            text, data = event.get("text"), event.get("bytes")
            raw = text.encode() if isinstance(text, str) else data if isinstance(data, bytes) else b""
            if len(raw) > self.hub.limits.max_message_bytes:
                raise _Closed(CLOSE_TOO_LARGE, "message_too_large")
            if self.user_id and clock.timestamp() >= self.expires_at:
                raise _Closed(CLOSE_AUTH, "token_expired")
            try:
                return _decode(raw)
            except msgspec.DecodeError as exc:
                if not self.user_id:
                    raise _Closed(CLOSE_POLICY, "auth_required") from None
                await self._error("invalid_message", str(exc))

    async def _auth(self, token: str) -> None:
        try:
            user_id, expires_at = await _authenticate(token)
        except NotAuthenticated as exc:
            raise _Closed(CLOSE_AUTH, exc.code) from None
        if self.user_id and user_id != self.user_id:
            await self._error("user_mismatch", "The token belongs to another user; open a new connection")
            return
        if not self.user_id:
            self.user_id = user_id
            await self._listen(self.own, user_channel(user_id))
        else:  # a renewed token: memberships may have changed since
            for room in list(self.rooms):
                if await self._refusal(room) is not None:
                    await self.rooms.pop(room).aclose()
                    await self._out({"type": "unsubscribed", "room": room, "reason": "room_forbidden"})
        self.expires_at = expires_at
        await self._out({"type": "ready", "user_id": user_id, "expires_at": expires_at})

    async def _handle(self, msg: Any) -> None:
        if isinstance(msg, _Auth):
            await self._auth(msg.token)
        elif isinstance(msg, _Ping):
            await self._out({"type": "pong"})
        elif isinstance(msg, _Unsubscribe):
            if msg.room in self.rooms:
                await self.rooms.pop(msg.room).aclose()
            await self._out({"type": "unsubscribed", "room": msg.room})
        elif isinstance(msg, _Subscribe):
            await self._subscribe(msg.room)

    async def _subscribe(self, room: str) -> None:
        if room not in self.rooms:
            refusal = await self._refusal(room)
            if refusal is None and len(self.rooms) >= self.hub.limits.max_subscriptions:
                refusal = ("too_many_subscriptions", f"At most {self.hub.limits.max_subscriptions} rooms at once")
            if refusal is not None:
                await self._error(*refusal, room=room)
                return
            self.rooms[room] = stack = AsyncExitStack()
            await self._listen(stack, room_channel(room))
        await self._out({"type": "subscribed", "room": room})

    async def _refusal(self, room: str) -> tuple[str, str] | None:
        """Why ``room`` may not be joined (``(code, detail)``), or None."""
        match = ROOM.fullmatch(room)
        kind = self.hub.kinds.get(match.group(1)) if match else None
        if match is None or kind is None:
            return "unknown_room", "No such room kind; rooms are '<plugin>.<kind>:<id>'"
        try:
            allowed = await kind.may_join(self.user_id, match.group(2))
        except Exception:
            log.exception("realtime: may_join of %s failed for user %s", kind.name, self.user_id)
            return "internal_error", "Could not check the room"
        return None if allowed else ("room_forbidden", "You may not join this room")

    async def _listen(self, stack: AsyncExitStack, channel: str) -> None:
        subscriber = await stack.enter_async_context(self.hub.channels.start_subscription(channel))
        await stack.enter_async_context(subscriber.run_in_background(self._forward, join=False))

    async def _forward(self, payload: bytes) -> None:
        await self._out(text=payload.decode())

    async def _error(self, code: str, detail: str, room: str | None = None) -> None:
        await self._out({"type": "error", "code": code, "detail": detail, **({"room": room} if room else {})})

    async def _out(self, frame: dict[str, Any] | None = None, *, text: str = "",
                   close: tuple[int, str] | None = None) -> None:
        """Send one frame (the reader and the room tasks share the socket); a gone client is not an error here."""
        async with self.lock:
            try:
                if close is not None:
                    if close[0]:
                        await self.socket.close(close[0], close[1])
                else:
                    await self.socket.send_data(text or msgspec.json.encode(frame).decode())
            except Exception as exc:  # disconnected meanwhile: the reader sees the disconnect and cleans up
                log.debug("realtime: send to user %s failed: %r", self.user_id, exc)


async def _endpoint(socket: WebSocket[Any, Any, Any]) -> None:
    hub: Hub = socket.app.state["realtime"]
    await _Connection(hub, socket).serve()


# --------------------------------------------------------------------------------------------------------------------
# Wiring into the app
# --------------------------------------------------------------------------------------------------------------------


class _Backend(RedisChannelsPubSubBackend):
    """Litestar's Redis pub/sub backend, listening again after a lost Redis connection (Litestar's stops for good).

    redis-py subscribes the connection to its channels again when it reconnects; what was published meanwhile is lost.
    """

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        """Yield ``(channel, payload)``; on a Redis error, log, wait a second and go on."""
        while True:
            try:
                async for event in super().stream_events():
                    yield event
            except (RedisError, OSError) as exc:
                log.warning("realtime: lost the Redis subscription (%r); retrying in 1 s", exc)
                await asyncio.sleep(1.0)


def room_kinds(registry: Registry) -> dict[str, RoomKind]:
    """The enabled plugins' room kinds by name; a kind not named ``<plugin>.<name>``, or named twice, stops start-up."""
    kinds: dict[str, RoomKind] = {}
    for plugin, kind in registry.hooks.collect(hookspecs.register_realtime_rooms):
        match = KIND.fullmatch(kind.name)
        if match is None or match.group(1) != plugin:
            raise ConfigError(f"plugin {plugin!r}: real-time room kind {kind.name!r} must be named '{plugin}.<name>'")
        if kind.name in kinds:
            raise ConfigError(f"plugin {plugin!r}: real-time room kind {kind.name!r} is declared twice")
        kinds[kind.name] = kind
    return kinds


class RealtimePlugin(InitPlugin):
    """Adds the ``/api/v1/realtime`` endpoint and the hub; its lifespan routes this process's publishes."""

    def __init__(self, registry: Registry, channels: ChannelsPlugin, redis: aioredis.Redis,
                 limits: RealtimeSettings) -> None:
        self.registry, self.channels, self.redis, self.limits = registry, channels, redis, limits

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Register the endpoint, the hub (``app.state.realtime``) and the lifespan."""
        app_config.route_handlers.append(WebsocketRouteHandler(PATH, name="realtime")(_endpoint))
        app_config.state["realtime"] = Hub(self.channels, room_kinds(self.registry), self.limits)
        app_config.lifespan.append(self.lifespan)
        return app_config

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """Publish through this app's channels while it runs; close its Redis connections afterwards."""
        entry = (asyncio.get_running_loop(), self.channels)
        _live.append(entry)
        try:
            yield
        finally:
            _live.remove(entry)
            await self.redis.aclose()


def app_plugins(registry: Registry, settings: Settings) -> list[InitPlugin]:
    """The Litestar plugins of the real-time channel: ours, then Litestar's channels on the Redis pub/sub backend.

    None without a Redis URL (like the jobs broker): then the app has no real-time endpoint.
    """
    if not settings.redis.url:
        return []
    # A connection of its own: subscriptions block on reads, unlike the cache client's short socket timeout.
    redis = aioredis.Redis.from_url(settings.redis.url, socket_connect_timeout=2.0, health_check_interval=30)
    channels = ChannelsPlugin(
        backend=_Backend(redis=redis),
        arbitrary_channels_allowed=True,  # rooms are checked by the endpoint before any subscription
        subscriber_max_backlog=settings.realtime.max_backlog,
        subscriber_backlog_strategy="dropleft",  # a slow client loses its oldest messages, never stalls the others
    )
    return [RealtimePlugin(registry, channels, redis, settings.realtime), channels]
