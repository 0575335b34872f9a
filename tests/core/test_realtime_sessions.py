"""The real-time channel, continued: ended sessions close their connections everywhere; abuse limits; Redis down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import pytest
from litestar.channels import ChannelsPlugin
from redis.exceptions import RedisError

from core import realtime
from core.app import create_app
from core.auth.services import refresh, start_session
from core.errors import NotAuthenticated
from core.hooks.manager import PluginsFile, activate, build
from core.realtime.connection import Hub
from core.settings import RealtimeSettings, get_settings
from core.users.services import ban_user
from tests.core.realtime_support import (
    Cluster,
    RoomsPlugin,
    client,
    next_is_marker,
    serve,
    token_of,
    wait_until,
)

# --------------------------------------------------------------------------------------------------------------------
# Ended sessions close their connections on every app; the order cannot be forged
# --------------------------------------------------------------------------------------------------------------------


def http_url(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://")


async def test_logout_and_logout_all_on_one_app_close_the_sessions_connections_on_the_other(cluster: Cluster,
                                                                                            make_user) -> None:
    ann, bob = await make_user(), await make_user()
    phone, laptop, tablet = await token_of(ann), await token_of(ann), await token_of(ann)
    async with (client(cluster.urls[1], phone) as on_phone, client(cluster.urls[1], laptop) as on_laptop,
                client(cluster.urls[0], tablet) as on_tablet, client(cluster.urls[1], await token_of(bob)) as other,
                httpx.AsyncClient(base_url=http_url(cluster.urls[0])) as app_a):
        # When the phone's session signs out through app A
        r = await app_a.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {phone}"})
        assert r.status_code == 204, r.text
        # Then its connection on app B closes, and only that one
        assert await on_phone.closed() == (4401, "session_revoked")
        await next_is_marker(on_laptop, ann.id)
        await next_is_marker(on_tablet, ann.id)
        # When Ann logs out everywhere through app A: every connection of hers closes, on both apps; Bob's stays
        r = await app_a.post("/api/v1/auth/logout-all", headers={"Authorization": f"Bearer {laptop}"})
        assert r.status_code == 204, r.text
        assert await on_laptop.closed() == (4401, "session_revoked")
        assert await on_tablet.closed() == (4401, "session_revoked")
        await next_is_marker(other, bob.id)


async def test_a_ban_closes_every_connection_of_the_user_with_account_inactive(cluster: Cluster, make_user) -> None:
    ann, bob = await make_user(), await make_user()
    async with (client(cluster.urls[1], await token_of(ann)) as on_b,
                client(cluster.urls[0], await token_of(ann)) as on_a,
                client(cluster.urls[1], await token_of(bob)) as other):
        await on_b.subscribe("rtdemo.chat:open-ban")
        # When a moderator bans Ann (the service app A's route and the panel call; auth's user_banned hook)
        await ban_user(ann.id, "spam", actor_id=bob.id)
        # Then her connections close at once, not when their tokens expire
        assert await on_b.closed() == (4401, "account_inactive")
        assert await on_a.closed() == (4401, "account_inactive")
        await next_is_marker(other, bob.id)


async def test_a_reused_refresh_token_closes_its_sessions_connection(cluster: Cluster, make_user) -> None:
    ann = await make_user()
    pair, other = await start_session(ann.id, "phone"), await token_of(ann)
    async with client(cluster.urls[1], pair.access_token) as stolen, client(cluster.urls[0], other) as kept:
        await refresh(pair.refresh_token)
        with pytest.raises(NotAuthenticated, match="already used"):
            await refresh(pair.refresh_token)  # replayed: the whole session ends
        assert await stolen.closed() == (4401, "session_revoked")
        await next_is_marker(kept, ann.id)


async def test_a_close_order_cannot_come_from_a_client_or_a_plugins_message(cluster: Cluster, make_user) -> None:
    ann = await make_user()
    async with client(cluster.urls[0], await token_of(ann)) as c:
        # A plugin's to_user payload shaped like an order is an ordinary message
        await realtime.to_user(ann.id, {"reason": "account_inactive", "sessions": None})
        await c.expect("message", room="user", data={"reason": "account_inactive", "sessions": None})
        # A client frame shaped like one is an unknown type
        await c.send(type="control", reason="session_revoked")
        await c.expect("error", code="invalid_message")
        # A malformed order on the control channel is ignored; an order for another session leaves this one open
        await cluster.apps[0].plugins.get(ChannelsPlugin).wait_published(b"{}", realtime.control_channel(ann.id))
        assert await realtime.end_sessions(ann.id, "session_revoked", ["00000000-0000-0000-0000-000000000000"])
        await c.send(type="ping")
        await c.expect("pong")
        await next_is_marker(c, ann.id)


# --------------------------------------------------------------------------------------------------------------------
# Abuse limits: frames per connection, connections waiting for auth per address
# --------------------------------------------------------------------------------------------------------------------


async def test_frames_over_the_rate_are_refused_and_a_flood_closes_with_1008(cluster: Cluster, make_user,
                                                                            clock) -> None:
    clock.freeze()  # the bucket refills with core's clock: only clock.advance() refills it here
    limits = RealtimeSettings()
    async with client(cluster.urls[0], await token_of(await make_user())) as c:
        for _ in range(limits.frames_burst - 1):  # the auth frame took the first token of the burst
            await c.send(type="ping")
            await c.expect("pong")
        await c.send(type="subscribe", room="rtdemo.chat:open-flood")
        await c.expect("error", code="rate_limited")  # dropped: not subscribed
        clock.advance(1)  # frames_per_s tokens come back (less the one the refused frame owes)
        for _ in range(int(limits.frames_per_s) - 1):
            await c.send(type="ping")
            await c.expect("pong")
        # Another burst sent while limited: each is refused, then the connection is closed
        for _ in range(limits.frames_burst + 1):
            await c.send(type="ping")
        for _ in range(limits.frames_burst):
            await c.expect("error", code="rate_limited")
        assert await c.closed() == (1008, "rate_limited")


@asynccontextmanager
async def one_app(sbor_database: Any, limits: RealtimeSettings) -> AsyncIterator[tuple[Hub, str]]:
    """An app of its own with these limits; yields its hub and ``ws://`` URL."""
    registry = build(PluginsFile(enabled=[]))
    registry.pm.register(RoomsPlugin(), name="rtdemo")
    app = create_app(registry, msgspec.structs.replace(get_settings(), realtime=limits))
    try:
        async with serve(app) as url:
            yield app.state["realtime"], url
    finally:
        activate(sbor_database)


async def test_connections_waiting_for_auth_are_capped_per_address(sbor_database: Any, make_user) -> None:
    token = await token_of(await make_user())
    async with one_app(sbor_database, RealtimeSettings(auth_timeout_s=60, max_pending_per_ip=2)) as (hub, url):
        async with client(url) as first, client(url) as second:
            assert hub.pending == {"127.0.0.1": 2}
            async with client(url) as third:  # accepted only to be told why
                assert await third.closed() == (1008, "too_many_connections")
            # An authenticated connection no longer counts: room for one more
            await first.auth(token)
            assert hub.pending == {"127.0.0.1": 1}
            async with client(url) as fourth:
                await fourth.auth(token)
            await second.send(type="ping")
            assert await second.closed() == (1008, "auth_required")
        await wait_until(lambda: not hub.pending)  # every slot is given back when connections end


# --------------------------------------------------------------------------------------------------------------------
# At most once: a Redis error after the commit does not fail the request
# --------------------------------------------------------------------------------------------------------------------


async def test_a_redis_error_after_the_commit_drops_the_message_not_the_request(
        sbor_database: Any, private_redis: Any, use_redis: Any, make_client, make_user, auth_headers,
        caplog: pytest.LogCaptureFixture) -> None:
    from sbor_hello.tables import Greeting

    # Given the hello plugin on an app whose Redis then stops
    await use_redis(private_redis.url)
    http = await make_client(["hello"])
    headers = await auth_headers(await make_user())
    private_redis.stop()
    # When a signed-in user greets (the wall's room is published after the commit)
    r = await http.post("/api/v1/hello/greetings", json={"name": "Ann", "wall": "kitchen"}, headers=headers)
    # Then the greeting is saved and answered; the real-time message is logged as dropped
    assert r.status_code == 201, r.text
    assert await Greeting.exists().where(Greeting.id == r.json()["id"])
    assert any("dropped a message" in rec.getMessage() for rec in caplog.records if rec.name == "core.realtime")
    # A direct publish still tells its caller that nothing was sent
    with pytest.raises((RedisError, OSError)):
        await realtime.publish("hello.wall:kitchen", {"n": 1})
