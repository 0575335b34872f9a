"""Helpers of the real-time tests: a plugin offering rooms, apps served by uvicorn, and a WebSocket client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import msgspec
import pytest
import pytest_asyncio
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from core import realtime
from core.app import create_app
from core.auth.services import open_session
from core.errors import PermissionDenied, RateLimited, SborError, ValidationFailed
from core.hooks import hookimpl
from core.hooks.manager import PluginsFile, activate, build
from core.realtime import RoomKind
from core.settings import RealtimeSettings, get_settings


class RoomsPlugin:
    """Plugin ``rtdemo``: ``rtdemo.chat:open…`` is open to all, ``rtdemo.chat:<other>`` to ``members`` only.

    ``rtdemo.chat`` takes sends (``on_send``): it checks membership again, publishes ``{"from", "text"}`` to the
    room and answers ``{"echo": text}``; ``data["fail"]`` makes it fail (``validation``, ``rate``, ``server``,
    ``crash``, ``not_an_object``) or answer nothing (``nothing``). ``rtdemo.feed`` (open) takes none.
    """

    def __init__(self) -> None:
        self.members: set[tuple[int, str]] = set()
        self.sends: list[tuple[int, str, dict[str, Any]]] = []

    async def may_join(self, user_id: int, room_id: str) -> bool:
        return room_id.startswith("open") or (user_id, room_id) in self.members

    async def on_send(self, user_id: int, room_id: str, data: Mapping[str, Any]) -> Any:
        if not await self.may_join(user_id, room_id):
            raise PermissionDenied("No longer a member", code="room_forbidden")
        fail = data.get("fail")
        if fail == "validation":
            raise ValidationFailed("The message is invalid.", errors=[{"pointer": "/text", "detail": "required"}])
        if fail == "rate":
            raise RateLimited(7, "Slow down")
        if fail == "server":
            raise SborError("The plugin's server error")
        if fail == "crash":
            raise RuntimeError("the plugin's send failed")
        if fail == "not_an_object":
            return ["a", "list"]
        self.sends.append((user_id, room_id, dict(data)))
        if fail == "nothing":
            return None
        await realtime.publish(f"rtdemo.chat:{room_id}", {"from": user_id, "text": data.get("text")})
        return {"echo": data.get("text")}

    @staticmethod
    async def broken(user_id: int, room_id: str) -> bool:
        raise RuntimeError("the plugin's check failed")

    @staticmethod
    async def open_feed(user_id: int, room_id: str) -> bool:
        return True

    @hookimpl
    def register_realtime_rooms(self) -> list[RoomKind]:
        return [RoomKind("rtdemo.chat", self.may_join, self.on_send), RoomKind("rtdemo.broken", self.broken),
                RoomKind("rtdemo.feed", self.open_feed)]


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for ``condition`` (polled) or fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in this event loop; yield its ``ws://`` base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_config=None, log_level="warning",
                            ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started or task.done())
    if task.done():
        task.result()
        raise RuntimeError("uvicorn stopped before serving")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Client:
    """A WebSocket client speaking the real-time protocol; every wait is bounded."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        return frame

    async def expect(self, kind: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """The next frame, asserted to be of ``kind`` with ``fields``."""
        frame = await self.recv(timeout)
        assert frame["type"] == kind, frame
        for key, value in fields.items():
            assert frame.get(key) == value, frame
        return frame

    async def auth(self, token: str) -> dict[str, Any]:
        await self.send(type="auth", token=token)
        return await self.expect("ready")

    async def subscribe(self, room: str) -> None:
        await self.send(type="subscribe", room=room)
        await self.expect("subscribed", room=room)

    async def closed(self, timeout: float = 5.0) -> tuple[int, str]:
        """Wait until the server closes the connection; return its close code and reason."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.ws.recv()
        except ConnectionClosed as exc:
            assert exc.rcvd is not None, "closed without a close frame"
            return exc.rcvd.code, exc.rcvd.reason
        raise AssertionError("unreachable")


@asynccontextmanager
async def client(url: str, token: str | None = None, path: str = "/api/v1/realtime") -> AsyncIterator[Client]:
    """Open a connection (authenticated when ``token`` is given)."""
    async with connect(url + path, open_timeout=5, close_timeout=2) as ws:
        c = Client(ws)
        if token is not None:
            await c.auth(token)
        yield c


# -------------------------------------------------------------------------------------------------------------------
# The two-app cluster both real-time test modules share (module-scoped: each module serves its own pair)
# -------------------------------------------------------------------------------------------------------------------


class Cluster:
    """Two API apps (two registries, two uvicorn servers) on the session's Redis namespace."""

    def __init__(self, rooms: RoomsPlugin) -> None:
        self.rooms = rooms
        self.apps: list[Any] = []
        self.urls: list[str] = []


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def servers(sbor_database: Any) -> AsyncIterator[Cluster]:
    rooms = RoomsPlugin()
    limits = RealtimeSettings(auth_timeout_s=0.5, max_message_bytes=512, max_subscriptions=2, max_backlog=100)
    settings = msgspec.structs.replace(get_settings(), realtime=limits)
    found = Cluster(rooms)
    async with AsyncExitStack() as stack:
        for _ in range(2):
            registry = build(PluginsFile(enabled=[]))
            registry.pm.register(rooms, name="rtdemo")
            app = create_app(registry, settings)
            found.apps.append(app)
            found.urls.append(await stack.enter_async_context(serve(app)))
        yield found
    activate(sbor_database)


@pytest.fixture
def cluster(servers: Cluster) -> Iterator[Cluster]:
    """The module's two servers; room memberships are the test's own."""
    yield servers
    servers.rooms.members.clear()
    servers.rooms.sends.clear()


async def token_of(user: Any) -> str:
    _sid, token = await open_session(user.id, device="realtime-test")
    return token


async def next_is_marker(c: Client, user_id: int) -> None:
    """Nothing else was queued for ``c``: a marker sent to its user channel now is the next frame it gets."""
    await realtime.to_user(user_id, {"marker": True})
    await c.expect("message", room="user", data={"marker": True})
