"""Helpers of the real-time tests: a plugin offering rooms, apps served by uvicorn, and a WebSocket client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from core.hooks import hookimpl
from core.realtime import RoomKind


class RoomsPlugin:
    """Plugin ``rtdemo``: ``rtdemo.chat:open…`` is open to all, ``rtdemo.chat:<other>`` to ``members`` only."""

    def __init__(self) -> None:
        self.members: set[tuple[int, str]] = set()

    async def may_join(self, user_id: int, room_id: str) -> bool:
        return room_id.startswith("open") or (user_id, room_id) in self.members

    @staticmethod
    async def broken(user_id: int, room_id: str) -> bool:
        raise RuntimeError("the plugin's check failed")

    @hookimpl
    def register_realtime_rooms(self) -> list[RoomKind]:
        return [RoomKind("rtdemo.chat", self.may_join), RoomKind("rtdemo.broken", self.broken)]


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
