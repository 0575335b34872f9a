"""The chat on the real-time channel: two API apps served by uvicorn, clients on each, posts over HTTP and WS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest_asyncio

from core.app import create_app
from core.hooks import plugin_settings
from core.hooks.manager import PluginsFile, activate, build
from core.settings import get_settings
from plugins.groups import GroupsSettings
from plugins.groups.tables import ChatMessage
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


def framed(message: dict[str, Any]) -> dict[str, Any]:
    """A message of the HTTP API as real-time frames carry it.

    No conversation and key (the room says), no nulls, no ``status`` when ``visible`` (the default).
    """
    return {k: v for k, v in message.items()
            if k not in ("conversation", "key") and v is not None and (k, v) != ("status", "visible")}


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
            assert frame["data"]["message"] == framed(posted)
            assert set(frame["data"]["message"]) == {"id", "author", "body", "created_at"}
        r = await ann_http.patch(f"{API}/chat/messages/{posted['id']}", json={"body": "hello, all"})
        for c in (a, b):
            data = (await c.expect("message", room="groups.chat:5"))["data"]
            assert (data["event"], data["message"]["body"]) == ("message.edited", "hello, all")
        assert (await ann_http.delete(f"{API}/chat/messages/{posted['id']}")).status_code == 204
        for c in (a, b):
            data = (await c.expect("message", room="groups.chat:5"))["data"]
            assert (data["event"], data["message"]["status"], "body" in data["message"]) == (
                "message.deleted", "deleted", False)  # a tombstone's frame has no body
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


# ---------------------------------------------------------------------------------------------------------------------
# Sending over the WebSocket (``send`` frames on groups.chat / groups.pair rooms): the same path as the HTTP post
# ---------------------------------------------------------------------------------------------------------------------


def token(who: Any) -> str:
    return str(who.headers["Authorization"]).removeprefix("Bearer ")


async def test_a_message_sent_on_the_websocket_is_stored_and_reaches_members_on_the_other_app(
        urls: list[str], make_group, add_member, person) -> None:
    # Given a real group (the group kind's own one-statement insert) with members on both apps
    group = await make_group()
    ann, bob = group["owner"], await person()
    await add_member(group, bob)
    room = f"groups.chat:{group['id']}"
    async with client(urls[0], token(ann)) as a, client(urls[1], token(bob)) as b:
        await a.subscribe(room)
        await b.subscribe(room)
        # When Ann sends on her WebSocket
        await a.send(type="send", room=room, id="m1", data={"body": "  hello over ws "})
        # Then she is answered with the stored message, and Bob (on the other app) gets the same message
        frames = [await a.recv(), await a.recv()]
        sent = next(f for f in frames if f["type"] == "sent")
        assert sent["id"] == "m1"
        message = sent["result"]
        assert (message["body"], message["author"]["id"]) == ("hello over ws", ann.id)
        assert "status" not in message  # visible: the frame's default, left out
        assert {"type": "message", "room": room, "data": {"event": "message.created", "message": message}} in frames
        data = (await b.expect("message", room=room))["data"]
        assert (data["event"], data["message"]) == ("message.created", message)
        stored = await ChatMessage.select(ChatMessage.body, ChatMessage.author).where(ChatMessage.id == message["id"])
        assert stored == [{"body": "hello over ws", "author": ann.id}]
        # And the history over HTTP has it
        async with httpx.AsyncClient(base_url=http(urls[1]), headers=bob.headers) as bob_http:
            items = (await bob_http.get(f"{API}/{group['id']}/chat/messages")).json()["items"]
        assert [m["id"] for m in items] == [message["id"]]


async def test_a_removed_members_send_is_refused_though_still_subscribed(urls: list[str], api: httpx.AsyncClient,
                                                                         make_group, add_member, person) -> None:
    group = await make_group()
    owner, bob, leaver = group["owner"], await person(), await person()
    await add_member(group, bob)
    await add_member(group, leaver)
    room = f"groups.chat:{group['id']}"
    async with client(urls[0], token(bob)) as b, client(urls[1], token(leaver)) as c:
        await b.subscribe(room)
        await c.subscribe(room)
        # When Bob is banned and the other leaves (their subscriptions stay until their tokens are renewed)
        r = await api.post(f"{API}/{group['id']}/members/{bob.id}/ban", headers=owner.headers)
        assert r.status_code == 204, r.text
        assert (await api.post(f"{API}/{group['id']}/leave", headers=leaver.headers)).status_code == 204
        # Then their sends are refused, on every send, and nothing is stored
        for ws in (b, c):
            await ws.send(type="send", room=room, id="late", data={"body": "still here?"})
            frame = await ws.recv()
            while frame["type"] == "message":  # the room's own frames published before the refusal
                frame = await ws.recv()
            assert (frame["type"], frame["code"], frame["id"], frame["room"]) == (
                "error", "conversation_not_found", "late", room)
    assert not await ChatMessage.exists().where(ChatMessage.room_key == str(group["id"]))


async def test_sends_are_validated_like_the_http_body(urls: list[str], rooms: Rooms, make_user) -> None:
    ann = await make_user()
    rooms.join(ann.id, 11)
    async with client(urls[0], await token_of(ann)) as a:
        await a.subscribe("groups.chat:11")
        cases = [({}, "/body", "required"), ({"body": ""}, "/body", None), ({"body": 5}, "/body", None),
                 ({"body": "x" * 4001}, "/body", None), ({"body": "hi", "extra": 1}, "/extra", "unknown field")]
        for i, (data, pointer, detail) in enumerate(cases):
            await a.send(type="send", room="groups.chat:11", id=f"v{i}", data=data)
            error = await a.expect("error", code="validation_failed", id=f"v{i}")
            assert [e["pointer"] for e in error["errors"]] == [pointer], error
            if detail:
                assert error["errors"][0]["detail"] == detail
        await a.send(type="send", room="groups.chat:11", id="blank", data={"body": "   "})
        error = await a.expect("error", code="validation_failed", id="blank")
        assert error["errors"][0]["pointer"] == "/body"
    assert not await ChatMessage.exists().where(ChatMessage.room_key == "11")


async def test_contact_details_sent_in_a_pair_chat_are_held(urls: list[str], rooms: Rooms, make_user) -> None:
    ann, bob = await make_user(), await make_user()
    for user in (ann, bob):
        rooms.join(user.id, 12)
    rooms.screened.add("12")
    async with client(urls[0], await token_of(ann)) as a, client(urls[1], await token_of(bob)) as b:
        await a.subscribe("groups.pair:12")
        await b.subscribe("groups.pair:12")
        await a.send(type="send", room="groups.pair:12", id="p1", data={"body": "call me: +7 999 123-45-67"})
        held = (await a.expect("sent", id="p1"))["result"]
        assert (held["status"], held["warning"], held["author"]["id"]) == ("held", "contact_details_held", None)
        await next_is_marker(a, ann.id)  # not published: not even to its author's room frames
        await next_is_marker(b, bob.id)
        await a.send(type="send", room="groups.pair:12", id="p2", data={"body": "see you at seven"})
        data = (await b.expect("message", room="groups.pair:12"))["data"]
        assert data["message"]["body"] == "see you at seven" and data["message"]["author"]["id"] is None


async def test_flooding_a_room_over_the_websocket_is_rate_limited(urls: list[str], rooms: Rooms, make_user) -> None:
    ann = await make_user()
    rooms.join(ann.id, 13)
    limit = plugin_settings(GroupsSettings).chat_messages_per_minute
    async with client(urls[1], await token_of(ann)) as a:
        await a.subscribe("groups.chat:13")
        for i in range(limit):
            await a.send(type="send", room="groups.chat:13", id=str(i), data={"body": f"spam {i}"})
        answers = [f for f in [await a.recv() for _ in range(2 * limit)] if f["type"] != "message"]
        assert [f["type"] for f in answers] == ["sent"] * limit
        await a.send(type="send", room="groups.chat:13", id="over", data={"body": "one more"})
        error = await a.expect("error", code="rate_limited", id="over")
        assert error["retry_after"] >= 1
    assert await ChatMessage.count().where(ChatMessage.room_key == "13") == limit
