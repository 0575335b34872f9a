"""The ``/api/v1/realtime`` WebSocket endpoint: authentication, subscriptions, frames (see ``core.realtime``)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
from litestar import WebSocket
from litestar.channels import ChannelsPlugin

from core import clock
from core.auth.guards import check_access_token
from core.auth.tokens import decode_access_token
from core.errors import NotAuthenticated, RateLimited, SborError
from core.http.middleware import client_ip
from core.realtime import ROOM, Control, RoomKind, control_channel, room_channel, user_channel
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


SendId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class _Send(msgspec.Struct, tag="send"):
    room: str
    id: SendId
    data: dict[str, Any]


class _SendOf(msgspec.Struct):
    """What can still be read of a malformed frame: its ``id``, to answer a broken ``send`` by it."""

    id: Any = None


_decode = msgspec.json.Decoder(_Auth | _Subscribe | _Unsubscribe | _Ping | _Send).decode
_decode_id = msgspec.json.Decoder(_SendOf).decode
_decode_control = msgspec.json.Decoder(Control).decode


class _Closed(Exception):
    """The connection must end with this close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


@dataclass
class Hub:
    """What the endpoint needs from its app: the channels plugin, the room kinds, the limits, who waits for auth."""

    channels: ChannelsPlugin
    kinds: dict[str, RoomKind]
    limits: RealtimeSettings
    pending: Counter[str] = field(default_factory=Counter)  # connections not yet authenticated, by client address


@dataclass
class _Connection:
    hub: Hub
    socket: WebSocket[Any, Any, Any]
    user_id: int = 0
    session_id: str = ""
    expires_at: float = 0.0
    tokens: float = 0.0  # the frame rate limit's bucket (may go negative: frames refused in a row)
    filled_at: float = 0.0
    ip: str = ""  # counted in hub.pending while set
    reader: asyncio.Task[Any] | None = None
    ending: _Closed | None = None  # set by a control order; the reader is cancelled to close with it
    rooms: dict[str, AsyncExitStack] = field(default_factory=dict)
    own: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def serve(self) -> None:
        ip = client_ip(self.socket.scope)
        if self.hub.pending[ip] >= self.hub.limits.max_pending_per_ip:
            await self.socket.accept()
            await self._out(close=(CLOSE_POLICY, "too_many_connections"))
            return
        self.ip, self.hub.pending[ip] = ip, self.hub.pending[ip] + 1
        self.tokens, self.filled_at = float(self.hub.limits.frames_burst), clock.timestamp()
        self.reader = reader = asyncio.current_task()
        try:
            try:
                await self._converse()
            except asyncio.CancelledError:
                if self.ending is None or reader is None:
                    raise
                reader.uncancel()  # our own cancellation (a control order), not the server's
                raise self.ending from None
        except _Closed as closed:
            self.reader = None
            await self._out(close=(closed.code, closed.reason))
        finally:
            self.reader = None
            self._authenticated()
            for stack in [*self.rooms.values(), self.own]:
                try:
                    await stack.aclose()
                except Exception:  # Redis gone: the backend's subscriptions are re-made when it reconnects
                    log.warning("realtime: unsubscribing user %s failed", self.user_id, exc_info=True)

    async def _converse(self) -> None:
        await self.socket.accept()
        first = await self._next(self.hub.limits.auth_timeout_s, "auth_required")
        if not isinstance(first, _Auth):
            raise _Closed(CLOSE_POLICY, "auth_required")
        await self._auth(first.token)
        self._authenticated()
        while True:
            await self._handle(await self._next(self.expires_at - clock.timestamp(), "token_expired"))

    def _authenticated(self) -> None:
        """No longer counted among the connections waiting for their auth frame."""
        if self.ip:
            self.hub.pending[self.ip] -= 1
            if self.hub.pending[self.ip] <= 0:
                del self.hub.pending[self.ip]
            self.ip = ""

    def _within_rate(self) -> bool:
        """Spend a token of the bucket; False when the frame is over the rate; raise _Closed when that persists."""
        limits, now = self.hub.limits, clock.timestamp()
        refill = max(now - self.filled_at, 0.0) * limits.frames_per_s
        self.tokens, self.filled_at = min(self.tokens + refill, float(limits.frames_burst)) - 1, now
        if self.tokens < -limits.frames_burst:
            raise _Closed(CLOSE_POLICY, "rate_limited")
        return self.tokens >= 0

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
            if not self._within_rate():
                await self._error("rate_limited", f"At most {self.hub.limits.frames_per_s:g} frames a second")
                continue
            try:
                return _decode(raw)
            except msgspec.DecodeError as exc:
                if not self.user_id:
                    raise _Closed(CLOSE_POLICY, "auth_required") from None
                await self._error("invalid_message", str(exc), **_id_of(raw))

    async def _auth(self, token: str) -> None:
        try:
            if not self.user_id:  # hear revocations before the check, so that none falls between the two
                claims = decode_access_token(token)
                self.session_id = str(claims.session_id)
                await self._listen(self.own, control_channel(claims.user_id), self._control)
            claims = await check_access_token(token)
        except NotAuthenticated as exc:
            raise _Closed(CLOSE_AUTH, exc.code) from None
        user_id, expires_at = claims.user_id, claims.expires_at
        if self.user_id and user_id != self.user_id:
            await self._error("user_mismatch", "The token belongs to another user; open a new connection")
            return
        self.session_id = str(claims.session_id)
        if not self.user_id:
            self.user_id = user_id
            await self._listen(self.own, user_channel(user_id), self._forward)
        else:  # a renewed token: memberships may have changed since
            for room in list(self.rooms):
                if await self._refusal(room) is not None:
                    await self.rooms.pop(room).aclose()
                    await self._out({"type": "unsubscribed", "room": room, "reason": "room_forbidden"})
        self.expires_at = expires_at
        await self._out({"type": "ready", "user_id": user_id, "expires_at": expires_at})

    async def _handle(self, msg: Any) -> None:
        if isinstance(msg, _Send):  # first: the frame a chatting client sends most
            await self._send(msg)
        elif isinstance(msg, _Auth):
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
            await self._listen(stack, room_channel(room), self._forward)
        await self._out({"type": "subscribed", "room": room})

    async def _send(self, msg: _Send) -> None:
        """Hand a ``send`` frame to its room kind's ``on_send``; answer ``sent`` or an error frame with its ``id``."""
        about = {"id": msg.id, "room": msg.room}
        if msg.room not in self.rooms:
            await self._error("room_not_subscribed", "Subscribe to the room before sending to it", **about)
            return
        name, _, room_id = msg.room.partition(":")
        kind = self.hub.kinds[name]  # a subscribed room's name is valid and its kind known
        if kind.on_send is None:
            await self._error("send_not_supported", "This room does not take messages from clients", **about)
            return
        try:
            result = await kind.on_send(self.user_id, room_id, msg.data)
            if result is not None and not isinstance(result, Mapping | msgspec.Struct):
                raise TypeError(f"on_send returned {type(result).__name__}, not a JSON object")
            sent = msgspec.json.encode({"type": "sent", "id": msg.id, "result": {} if result is None else result})
        except SborError as exc:
            if exc.status >= 500:
                log.error("realtime: on_send of %s failed for user %s: %s", name, self.user_id, exc.detail)
                await self._error("internal_error", "Could not send the message", **about)
                return
            extra: dict[str, Any] = {"errors": exc.extra["errors"]} if "errors" in exc.extra else {}
            if isinstance(exc, RateLimited):
                extra["retry_after"] = exc.retry_after
            await self._error(exc.code, exc.localized(), **about, **extra)  # in the language of the handshake
            return
        except Exception:  # a bug of the kind (or a result that is no JSON object): the connection goes on
            log.exception("realtime: on_send of %s failed for user %s", name, self.user_id)
            await self._error("internal_error", "Could not send the message", **about)
            return
        await self._out(text=sent.decode())

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

    async def _listen(self, stack: AsyncExitStack, channel: str, handler: Callable[[bytes], Awaitable[None]]) -> None:
        subscriber = await stack.enter_async_context(self.hub.channels.start_subscription(channel))
        await stack.enter_async_context(subscriber.run_in_background(handler, join=False))

    async def _forward(self, payload: bytes) -> None:
        await self._out(text=_text(payload))

    async def _control(self, payload: bytes) -> None:
        """An order from the server (never forwarded): close when it names this connection's session."""
        try:
            order = _decode_control(payload)
        except msgspec.DecodeError:
            log.warning("realtime: ignored a malformed control order for user %s", self.user_id)
            return
        if (order.sessions is None or self.session_id in order.sessions) and self.ending is None and self.reader:
            self.ending = _Closed(CLOSE_AUTH, order.reason)
            self.reader.cancel()

    async def _error(self, code: str, detail: str, room: str | None = None, **extra: Any) -> None:
        await self._out({"type": "error", "code": code, "detail": detail, **({"room": room} if room else {}),
                         **extra})

    async def _out(self, frame: dict[str, Any] | None = None, *, text: str = "",
                   close: tuple[int, str] | None = None) -> None:
        """Send one frame (the reader and the room tasks share the socket); a gone client is not an error here.

        No lock: the server encodes and writes each frame whole, without awaiting in between (uvicorn's WebSocket
        protocols), so frames never interleave; each source (a room's subscription, the reader) sends its frames one
        after another, so each stream keeps its order. A lock here cost ~3 % of the chat's delivery time (bench chat).
        """
        try:
            if close is not None:
                if close[0]:
                    await self.socket.close(close[0], close[1])
            else:
                await self.socket.send_data(text or msgspec.json.encode(frame).decode())
        except Exception as exc:  # disconnected meanwhile: the reader sees the disconnect and cleans up
            log.debug("realtime: send to user %s failed: %r", self.user_id, exc)


_decoded: tuple[bytes, str] = (b"", "")


def _text(payload: bytes) -> str:
    """``payload`` as text, decoded once per published message (not once per connection).

    The channels plugin hands the same bytes object to every subscriber on this process, so the other connections of
    the room reuse the last decoding.
    """
    global _decoded
    if _decoded[0] is not payload:
        _decoded = (payload, payload.decode())
    return _decoded[1]


def _id_of(raw: bytes) -> dict[str, str]:
    """``{"id": ...}`` of a frame that failed to decode, when it has a usable one (else nothing)."""
    try:
        found = _decode_id(raw).id
    except msgspec.DecodeError:
        return {}
    return {"id": found} if isinstance(found, str) and 0 < len(found) <= 64 else {}


async def endpoint(socket: WebSocket[Any, Any, Any]) -> None:
    """Serve one client connection until it closes."""
    hub: Hub = socket.app.state["realtime"]
    await _Connection(hub, socket).serve()


# --------------------------------------------------------------------------------------------------------------------
