"""The chat on the real-time channel: two API apps served by uvicorn, clients on each, posts over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest_asyncio

from core.app import create_app
from core.hooks.manager import PluginsFile, activate, build
from core.settings import get_settings
from tests.core.realtime_support import client, next_is_marker, serve, token_of
from tests.plugins.groups.chat_support import Rooms, rooms_fixture  # noqa: F401  (the fixture `rooms`)

API = "/api/v1/groups"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def urls(sbor_database: Any) -> AsyncIterator[list[str]]:
    """Two apps with groups, each served by uvicorn on the session's Redis namespace."""
    found = []
    async with AsyncExitStack() as stack:
        for _ in range(2):
            app = create_app(build(PluginsFile(enabled=["events", "groups"])))
            found.append(await stack.enter_async_context(serve(app)))
        yield found
    activate(sbor_database)


def http(url: str) -> str:
    return url.replace("ws://", "http://")


async def test_members_on_both_apps_see_posts_edits_and_deletions(urls: list[str], rooms: Rooms, make_user,
                                                                   auth_headers) -> None:
    ann, bob = await make_user(), await make_user()
    for user in (ann, bob):
        rooms.join(user.id, 5)
    async with client(urls[0], await token_of(ann)) as a, client(urls[1], await token_of(bob)) as b, \
            httpx.AsyncClient(base_url=http(urls[1]), headers=await auth_headers(ann)) as ann_http:
        await a.subscribe("groups.chat:5")
        await b.subscribe("groups.chat:5")
        r = await ann_http.post(f"{API}/5/chat/messages", json={"body": "hello"})
        assert r.status_code == 201, r.text
        posted = r.json()
        for c in (a, b):
            frame = await c.expect("message", room="groups.chat:5")
            assert frame["data"]["event"] == "message.created"
            assert frame["data"]["message"] == posted
        r = await ann_http.patch(f"{API}/chat/messages/{posted['id']}", json={"body": "hello, all"})
        for c in (a, b):
            data = (await c.expect("message", room="groups.chat:5"))["data"]
            assert (data["event"], data["message"]["body"]) == ("message.edited", "hello, all")
        assert (await ann_http.delete(f"{API}/chat/messages/{posted['id']}")).status_code == 204
        for c in (a, b):
            data = (await c.expect("message", room="groups.chat:5"))["data"]
            assert (data["event"], data["message"]["status"], data["message"]["body"]) == (
                "message.deleted", "deleted", None)
        await next_is_marker(b, bob.id)


async def test_a_held_message_reaches_nobody(urls: list[str], rooms: Rooms, make_user, auth_headers) -> None:
    ann, bob = await make_user(), await make_user()
    for user in (ann, bob):
        rooms.join(user.id, 9)
    rooms.screened.add("9")
    async with client(urls[0], await token_of(bob)) as b, \
            httpx.AsyncClient(base_url=http(urls[0]), headers=await auth_headers(ann)) as ann_http:
        await b.subscribe("groups.pair:9")
        r = await ann_http.post(f"{API}/pairs/9/messages", json={"body": "ada@example.org"})
        assert r.json()["warning"] == "contact_details_held"
        r = await ann_http.post(f"{API}/pairs/9/messages", json={"body": "shall we go?"})
        data = (await b.expect("message", room="groups.pair:9"))["data"]
        assert data["message"]["body"] == "shall we go?" and data["message"]["author"]["id"] is None
        await next_is_marker(b, bob.id)


async def test_rooms_one_is_not_in_are_refused(urls: list[str], rooms: Rooms, make_user) -> None:
    ann = await make_user()
    rooms.join(ann.id, 5)
    async with client(urls[1], await token_of(ann)) as a:
        for room in ("groups.chat:6", "groups.pair:6", "groups.chat:abc"):
            await a.send(type="subscribe", room=room)
            await a.expect("error", code="room_forbidden", room=room)
        await a.send(type="subscribe", room="groups.nope:5")
        await a.expect("error", code="unknown_room")
        await a.subscribe("groups.chat:5")
        rooms.leave(ann.id, 5)  # left or banned: a new subscription is refused
        await a.send(type="unsubscribe", room="groups.chat:5")
        await a.expect("unsubscribed")
        await a.send(type="subscribe", room="groups.chat:5")
        await a.expect("error", code="room_forbidden")


async def test_a_missing_or_expired_token_never_reaches_a_group_room(urls: list[str], rooms: Rooms, make_user,
                                                                      clock) -> None:
    ann = await make_user()
    rooms.join(ann.id, 5)
    async with client(urls[0]) as c:  # no auth frame: the subscription is the first frame
        await c.send(type="subscribe", room="groups.chat:5")
        assert await c.closed() == (1008, "auth_required")
    clock.freeze()
    expired = await token_of(ann)
    clock.advance(get_settings().auth.access_ttl_s + 1)
    async with client(urls[1]) as c:
        await c.send(type="auth", token=expired)
        assert await c.closed() == (4401, "token_expired")
