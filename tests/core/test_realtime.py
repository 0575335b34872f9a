"""The real-time channel: two API apps served by uvicorn on one Redis, clients on each, rooms from a plugin."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.channels import ChannelsPlugin

from core import realtime
from core.app import create_app
from core.auth.services import open_session, revoke_session
from core.errors import ConfigError
from core.hooks import hookimpl
from core.hooks.manager import PluginsFile, activate, build
from core.realtime import RoomKind
from core.realtime.wiring import room_kinds
from core.settings import get_settings
from core.users.tables import User
from tests.core.realtime_support import (
    Cluster,
    RoomsPlugin,
    client,
    next_is_marker,
    serve,
    token_of,
)

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------------------------------
# Fan-out across the two apps
# --------------------------------------------------------------------------------------------------------------------


async def test_a_message_published_on_app_one_reaches_the_client_of_app_two(cluster: Cluster, make_user) -> None:
    ann, bob = await make_user(), await make_user()
    async with client(cluster.urls[0], await token_of(ann)) as a, client(cluster.urls[1], await token_of(bob)) as b:
        await a.subscribe("rtdemo.chat:open1")
        await b.subscribe("rtdemo.chat:open1")
        # Published through app 1's own channels plugin: its backend PUBLISHes on Redis, app 2's backend receives.
        frame = {"type": "message", "room": "rtdemo.chat:open1", "data": {"text": "hi"}}
        await cluster.apps[0].plugins.get(ChannelsPlugin).wait_published(
            msgspec.json.encode(frame), realtime.room_channel("rtdemo.chat:open1"))
        assert await b.recv() == frame
        assert await a.recv() == frame
        # And through the public API.
        await realtime.publish("rtdemo.chat:open1", {"text": "again", "n": 2})
        for c in (a, b):
            await c.expect("message", room="rtdemo.chat:open1", data={"text": "again", "n": 2})


async def test_a_publish_from_another_process_reaches_clients_of_both_apps(cluster: Cluster, make_user) -> None:
    # Given a client on each app in a room
    ann, bob = await make_user(), await make_user()
    async with client(cluster.urls[0], await token_of(ann)) as a, client(cluster.urls[1], await token_of(bob)) as b:
        await a.subscribe("rtdemo.chat:open-w")
        await b.subscribe("rtdemo.chat:open-w")
        # When a process with no app (like a Dramatiq worker) publishes and to_user()s
        code = ("import asyncio, sys\nfrom core import cache, realtime\nasync def main():\n"
                "    await realtime.publish(sys.argv[1], {'from': 'worker'})\n"
                "    await realtime.to_user(int(sys.argv[2]), {'personal': True})\n"
                "    await cache.close()\nasyncio.run(main())\n")
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code, "rtdemo.chat:open-w", str(bob.id),
                                                    cwd=ROOT, env=dict(os.environ))
        assert await asyncio.wait_for(proc.wait(), 60) == 0
        # Then both clients get the room message, and only Bob his personal one
        await a.expect("message", room="rtdemo.chat:open-w", data={"from": "worker"})
        await b.expect("message", room="rtdemo.chat:open-w", data={"from": "worker"})
        await b.expect("message", room="user", data={"personal": True})
        await next_is_marker(a, ann.id)


async def test_to_user_reaches_every_connection_of_the_user_on_any_app(cluster: Cluster, make_user) -> None:
    ann, bob = await make_user(), await make_user()
    async with (client(cluster.urls[0], await token_of(ann)) as phone,
                client(cluster.urls[1], await token_of(ann)) as laptop,
                client(cluster.urls[1], await token_of(bob)) as other):
        await realtime.to_user(ann.id, {"unread": 3})
        await phone.expect("message", room="user", data={"unread": 3})
        await laptop.expect("message", room="user", data={"unread": 3})
        await next_is_marker(other, bob.id)


async def test_after_commit_publishes_only_when_the_block_succeeds(cluster: Cluster, make_user) -> None:
    ann = await make_user()
    async with client(cluster.urls[1], await token_of(ann)) as a:
        await a.subscribe("rtdemo.chat:open-tx")
        with pytest.raises(RuntimeError):
            async with realtime.after_commit() as rt:
                rt.publish("rtdemo.chat:open-tx", {"n": 1})
                raise RuntimeError("rolled back")
        await next_is_marker(a, ann.id)
        async with realtime.after_commit() as rt:
            rt.publish("rtdemo.chat:open-tx", {"n": 2})
            rt.to_user(ann.id, {"n": 3})
        await a.expect("message", room="rtdemo.chat:open-tx", data={"n": 2})
        await a.expect("message", room="user", data={"n": 3})


# --------------------------------------------------------------------------------------------------------------------
# Rooms: who may join, unknown kinds, unsubscribe
# --------------------------------------------------------------------------------------------------------------------


async def test_a_forbidden_or_unknown_room_is_refused_with_an_error_frame(cluster: Cluster, make_user) -> None:
    ann, bob = await make_user(), await make_user()
    cluster.rooms.members.add((bob.id, "team7"))
    async with client(cluster.urls[0], await token_of(ann)) as a, client(cluster.urls[1], await token_of(bob)) as b:
        await b.subscribe("rtdemo.chat:team7")
        await a.send(type="subscribe", room="rtdemo.chat:team7")
        await a.expect("error", code="room_forbidden", room="rtdemo.chat:team7")
        for room in ("nope.chat:1", "rtdemo.chat", "rtdemo.chat:", "RTDEMO.chat:1", "rtdemo.chat:a b"):
            await a.send(type="subscribe", room=room)
            await a.expect("error", code="unknown_room", room=room)
        await a.send(type="subscribe", room="rtdemo.broken:1")
        await a.expect("error", code="internal_error", room="rtdemo.broken:1")
        # The refused client gets nothing of the room; the member does
        await realtime.publish("rtdemo.chat:team7", {"secret": 1})
        await b.expect("message", room="rtdemo.chat:team7", data={"secret": 1})
        await next_is_marker(a, ann.id)


async def test_unsubscribe_stops_delivery_and_subscribe_is_idempotent(cluster: Cluster, make_user) -> None:
    ann = await make_user()
    async with client(cluster.urls[0], await token_of(ann)) as a:
        await a.subscribe("rtdemo.chat:open-u")
        await a.subscribe("rtdemo.chat:open-u")  # again: acknowledged, still one subscription
        await realtime.publish("rtdemo.chat:open-u", {"n": 1})
        await a.expect("message", data={"n": 1})
        await next_is_marker(a, ann.id)  # delivered once, not twice
        await a.send(type="unsubscribe", room="rtdemo.chat:open-u")
        await a.expect("unsubscribed", room="rtdemo.chat:open-u")
        await realtime.publish("rtdemo.chat:open-u", {"n": 2})
        await next_is_marker(a, ann.id)


async def test_subscriptions_per_connection_are_limited(cluster: Cluster, make_user) -> None:
    ann = await make_user()
    async with client(cluster.urls[0], await token_of(ann)) as a:
        await a.subscribe("rtdemo.chat:open-1")
        await a.subscribe("rtdemo.chat:open-2")
        await a.send(type="subscribe", room="rtdemo.chat:open-3")
        await a.expect("error", code="too_many_subscriptions", room="rtdemo.chat:open-3")


# --------------------------------------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------------------------------------


async def test_a_frame_before_auth_or_no_auth_in_time_closes_with_policy_violation(cluster: Cluster,
                                                                                   make_user) -> None:
    token = await token_of(await make_user())
    # The token in the query string is not read: the connection is still unauthenticated
    async with client(cluster.urls[0], path=f"/api/v1/realtime?token={token}") as c:
        await c.send(type="subscribe", room="rtdemo.chat:open1")
        assert await c.closed() == (1008, "auth_required")
    async with client(cluster.urls[1]) as c:
        await c.ws.send("not json")
        assert await c.closed() == (1008, "auth_required")
    async with client(cluster.urls[1]) as c:  # silent for longer than realtime.auth_timeout_s (0.5 s here)
        assert await c.closed() == (1008, "auth_required")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
async def test_an_invalid_token_closes_with_4401(cluster: Cluster, token: str) -> None:
    async with client(cluster.urls[0]) as c:
        await c.send(type="auth", token=token)
        assert await c.closed() == (4401, "token_invalid")


async def test_expired_revoked_and_banned_are_refused(cluster: Cluster, make_user, clock) -> None:
    ann = await make_user()
    clock.freeze()
    expired = await token_of(ann)
    clock.advance(get_settings().auth.access_ttl_s + 1)
    async with client(cluster.urls[0]) as c:
        await c.send(type="auth", token=expired)
        assert await c.closed() == (4401, "token_expired")
    sid, revoked = await open_session(ann.id)
    await revoke_session(ann.id, sid)
    async with client(cluster.urls[1]) as c:
        await c.send(type="auth", token=revoked)
        assert await c.closed() == (4401, "session_revoked")
    token = await token_of(ann)
    await User.update({User.status: "banned"}).where(User.id == ann.id)
    async with client(cluster.urls[0]) as c:
        await c.send(type="auth", token=token)
        assert await c.closed() == (4401, "account_inactive")


async def test_a_connection_ends_with_its_token_unless_renewed(cluster: Cluster, make_user, clock) -> None:
    ann, bob = await make_user(), await make_user()
    cluster.rooms.members.add((ann.id, "team9"))
    clock.freeze()
    async with client(cluster.urls[0], await token_of(ann)) as c:
        await c.subscribe("rtdemo.chat:team9")
        await c.subscribe("rtdemo.chat:open-r")
        # A renewed token of the same user extends the connection; rooms are checked again
        clock.advance(600)
        cluster.rooms.members.discard((ann.id, "team9"))
        await c.send(type="auth", token=await token_of(ann))
        await c.expect("unsubscribed", room="rtdemo.chat:team9", reason="room_forbidden")
        ready = await c.expect("ready", user_id=ann.id)
        assert ready["expires_at"] == int(clock.timestamp()) + get_settings().auth.access_ttl_s
        # A token of another user is refused, the connection stays Ann's
        await c.send(type="auth", token=await token_of(bob))
        await c.expect("error", code="user_mismatch")
        clock.advance(600)
        await c.send(type="ping")
        await c.expect("pong")
        clock.advance(get_settings().auth.access_ttl_s)
        await c.send(type="ping")
        assert await c.closed() == (4401, "token_expired")


# --------------------------------------------------------------------------------------------------------------------
# Bad input and limits
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '{"type": "shout"}', '{"type": "subscribe"}',
                                 '{"type": "subscribe", "room": 7}', '"auth"'])
async def test_bad_frames_get_an_error_frame_and_the_connection_goes_on(cluster: Cluster, make_user,
                                                                        raw: str) -> None:
    async with client(cluster.urls[0], await token_of(await make_user())) as c:
        await c.ws.send(raw)
        await c.expect("error", code="invalid_message")
        await c.send(type="ping")
        await c.expect("pong")


async def test_an_oversized_frame_closes_with_1009(cluster: Cluster, make_user) -> None:
    async with client(cluster.urls[1], await token_of(await make_user())) as c:
        await c.send(type="subscribe", room="rtdemo.chat:open" + "x" * 600)
        assert await c.closed() == (1009, "message_too_large")


# --------------------------------------------------------------------------------------------------------------------
# Wiring
# --------------------------------------------------------------------------------------------------------------------


def test_channel_names_are_namespaced_per_session(sbor_env: dict[str, str]) -> None:
    ns = sbor_env["SBOR_JOBS_NAMESPACE"]
    assert realtime.room_channel("groups.chat:42") == f"{ns}:rt:room:groups.chat:42"
    assert realtime.user_channel(7) == f"{ns}:rt:user:7"
    with pytest.raises(ValueError, match="must be"):
        realtime.room_channel("groups:42")


async def test_publish_takes_json_objects_only(sbor_database: Any) -> None:
    with pytest.raises(TypeError, match="JSON object"):
        await realtime.publish("rtdemo.chat:open1", ["not", "an", "object"])  # type: ignore[arg-type]


async def _yes(user_id: int, room_id: str) -> bool:
    return True


class Misnamed:
    @hookimpl
    def register_realtime_rooms(self) -> list[RoomKind]:
        return [RoomKind("other.chat", _yes)]


class Twice:
    @hookimpl
    def register_realtime_rooms(self) -> list[RoomKind]:
        return [RoomKind("twice.chat", _yes), RoomKind("twice.chat", _yes)]


@pytest.mark.parametrize(("plugin", "name", "message"), [(Misnamed(), "misnamed", "must be named 'misnamed.<name>'"),
                                                        (Twice(), "twice", "declared twice")])
def test_room_kinds_are_named_after_their_plugin_once(sbor_database: Any, plugin: Any, name: str,
                                                      message: str) -> None:
    registry = build(PluginsFile(enabled=[]))
    registry.pm.register(plugin, name=name)
    with pytest.raises(ConfigError, match=message):
        room_kinds(registry)


async def test_delivery_resumes_after_a_redis_restart(sbor_database: Any, private_redis: Any, use_redis: Any,
                                                      make_user) -> None:
    # Given an app on a Redis of the test's own, and a subscribed client
    await use_redis(private_redis.url)
    settings = get_settings()
    registry = build(PluginsFile(enabled=[]))
    registry.pm.register(RoomsPlugin(), name="rtdemo")
    ann = await make_user()
    try:
        async with serve(create_app(registry, settings)) as url, client(url, await token_of(ann)) as c:
            await c.subscribe("rtdemo.chat:open-rs")
            # When Redis restarts
            private_redis.stop()
            private_redis.start()
            # Then a publish reaches the client again (retried until the subscription is back)
            async with asyncio.timeout(20):
                while True:
                    with contextlib.suppress(Exception):
                        await realtime.publish("rtdemo.chat:open-rs", {"n": 1})
                    with contextlib.suppress(TimeoutError):
                        await c.expect("message", room="rtdemo.chat:open-rs", data={"n": 1}, timeout=0.5)
                        break
    finally:
        activate(sbor_database)
