"""The ``/api/v1/realtime`` WebSocket endpoint: authentication, subscriptions, frames (see ``core.realtime``)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import WebSocket
from litestar.channels import ChannelsPlugin

from core import clock
from core.auth.guards import check_access_token
from core.errors import NotAuthenticated
from core.realtime import ROOM, RoomKind, room_channel, user_channel
from core.settings import RealtimeSettings

log = logging.getLogger("core.realtime")
CLOSE_POLICY, CLOSE_TOO_LARGE, CLOSE_AUTH = 1008, 1009, 4401

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
    """``(user_id, expires_at)`` for an access token, checked as every request's is."""
    claims = await check_access_token(token)
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


async def endpoint(socket: WebSocket[Any, Any, Any]) -> None:
    """Serve one client connection until it closes."""
    hub: Hub = socket.app.state["realtime"]
    await _Connection(hub, socket).serve()


# --------------------------------------------------------------------------------------------------------------------
