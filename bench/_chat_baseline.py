"""The chat bench's baseline: a bare Litestar WebSocket echo through the same channels plugin on Redis pub/sub.

``/ws`` subscribes to one channel and forwards every frame (after sending ``{"type": "subscribed"}``); a text frame
``{"body": ...}`` from the client publishes ``{"type": "message", "room": "bench", "data": {"body": ...}}`` to the
channel (no answer of its own). ``POST /send {"body": ...}`` publishes the same frame (the HTTP variant). No auth, no
database: the floor the chat's path is compared with. Configured by ``BENCH_REDIS_URL`` and ``BENCH_CHANNEL``.
"""

from __future__ import annotations

import os

import msgspec
from litestar import Litestar, WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.exceptions import WebSocketDisconnect
from redis.asyncio import Redis

CHANNEL = os.environ["BENCH_CHANNEL"]


class Send(msgspec.Struct, forbid_unknown_fields=True):
    """A message to send."""

    body: str


_decode = msgspec.json.Decoder(Send).decode


@get("/health")
async def health() -> dict[str, str]:
    """Ready."""
    return {"status": "ok"}


async def publish(channels: ChannelsPlugin, body: str) -> None:
    """Publish one frame to every subscriber on any process."""
    frame = {"type": "message", "room": "bench", "data": {"body": body}}
    await channels.wait_published(msgspec.json.encode(frame), CHANNEL)


@post("/send", status_code=201)
async def send(data: Send, channels: ChannelsPlugin) -> dict[str, bool]:
    """The HTTP variant: publish the body."""
    await publish(channels, data.body)
    return {"ok": True}


@websocket("/ws")
async def ws(socket: WebSocket[None, None, None], channels: ChannelsPlugin) -> None:
    """Forward the channel's frames until the client goes."""
    await socket.accept()

    async def forward(payload: bytes) -> None:
        await socket.send_data(payload.decode())

    async with channels.start_subscription([CHANNEL]) as subscriber, subscriber.run_in_background(forward):
        await socket.send_data('{"type":"subscribed"}')
        while True:
            try:
                raw = await socket.receive_data("text")
            except WebSocketDisconnect:
                break
            await publish(channels, _decode(raw).body)


channels_plugin = ChannelsPlugin(
    backend=RedisChannelsPubSubBackend(redis=Redis.from_url(os.environ["BENCH_REDIS_URL"])),
    arbitrary_channels_allowed=True, subscriber_max_backlog=1000, subscriber_backlog_strategy="dropleft",
)
app = Litestar([health, send, ws], plugins=[channels_plugin])
