"""The chat's writer: concurrent posts share statements and round trips, each answered once stored, in order."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import Any

import msgspec
import pytest

from core import cache, clock, realtime
from core.errors import NotFound, RateLimited
from core.hooks import plugin_settings
from plugins.groups import GroupsSettings
from plugins.groups.chat import conversations, registry, services, writer
from plugins.groups.chat.conversations import AuthorView, NewPost
from plugins.groups.tables import ChatMessage


async def members_of_a_group(make_group: Any, add_member: Any, person: Any, n: int) -> tuple[str, list[Any]]:
    group = await make_group()
    people = [group["owner"]]
    for _ in range(n - 1):
        people.append(await person())
        await add_member(group, people[-1])
    return str(group["id"]), people


def counting_store(sizes: list[int], fail_on: str | None = None) -> conversations.Conversation:
    """The group rooms' conversation; its store records each batch's size (and fails a batch holding ``fail_on``)."""
    real = conversations.GROUP.store
    assert real is not None

    async def store(posts: Sequence[NewPost]) -> list[int | None]:
        sizes.append(len(posts))
        if fail_on is not None and any(p.body == fail_on for p in posts):
            raise RuntimeError("this batch fails")
        return await real(posts)

    return dataclasses.replace(conversations.GROUP, store=store)


async def test_concurrent_posts_share_statements_and_each_gets_its_own_id_in_order(make_group, add_member,
                                                                                    person) -> None:
    # Given four members of a group posting at once, five messages each, and a stranger trying too
    key, members = await members_of_a_group(make_group, add_member, person, 4)
    stranger = await person()
    sizes: list[int] = []

    async def member_posts(member: Any) -> list[Any]:
        return [await services.post("chat", key, member.id, f"{member.id}:{i}") for i in range(5)]

    with registry.substituted(counting_store(sizes)):
        *posted, refused = await asyncio.gather(*(member_posts(m) for m in members),
                                                services.post("chat", key, stranger.id, "let me in"),
                                                return_exceptions=True)
    # Then every member's posts are stored, in each sender's order, with ids of their own
    assert isinstance(refused, NotFound) and refused.code == "conversation_not_found"
    for member, messages in zip(members, posted, strict=True):
        assert [m.body for m in messages] == [f"{member.id}:{i}" for i in range(5)]
        assert [m.id for m in messages] == sorted(m.id for m in messages)
        assert all(m.author.id == member.id and m.status == "visible" for m in messages)
    rows = await ChatMessage.select(ChatMessage.id, ChatMessage.body, ChatMessage.author).where(
        ChatMessage.room_key == key)
    assert {(r["id"], r["body"], r["author"]) for r in rows} == {
        (m.id, m.body, m.author.id) for messages in posted for m in messages}
    # And statements held several posts (the stranger's refusal too: checked inside the insert)
    assert sum(sizes) == 4 * 5 + 1 and max(sizes) > 1


async def test_the_rate_limit_counts_each_post_of_a_batch(make_group, add_member, person) -> None:
    key, (ann,) = await members_of_a_group(make_group, add_member, person, 1)
    limit = plugin_settings(GroupsSettings).chat_messages_per_minute
    results = await asyncio.gather(*(services.post("chat", key, ann.id, f"flood {i}") for i in range(limit + 5)),
                                   return_exceptions=True)
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 5 and all(isinstance(r, RateLimited) and r.retry_after >= 1 for r in refused)
    assert await ChatMessage.count().where(ChatMessage.room_key == key) == limit


async def test_a_failing_post_fails_alone(make_group, add_member, person) -> None:
    key, members = await members_of_a_group(make_group, add_member, person, 3)
    sizes: list[int] = []
    with registry.substituted(counting_store(sizes, fail_on="boom")):
        results = await asyncio.gather(*(services.post("chat", key, m.id, "boom" if i == 1 else f"fine {i}")
                                         for i, m in enumerate(members)), return_exceptions=True)
    assert isinstance(results[1], RuntimeError)
    assert sorted(r.body for r in results if not isinstance(r, BaseException)) == ["fine 0", "fine 2"]
    assert sorted(r["body"] for r in await ChatMessage.select(ChatMessage.body).where(
        ChatMessage.room_key == key)) == ["fine 0", "fine 2"]


async def test_a_batch_is_published_in_the_order_of_its_ids(make_group, add_member, person) -> None:
    key, members = await members_of_a_group(make_group, add_member, person, 4)
    pubsub = cache.client().pubsub()
    await pubsub.subscribe(realtime.room_channel(f"groups.chat:{key}"))
    try:
        posted = await asyncio.gather(*(services.post("chat", key, m.id, f"hello {i}") for i, m in enumerate(members)
                                        for _ in range(3)))
        frames: list[dict[str, Any]] = []
        async with asyncio.timeout(10):
            while len(frames) < len(posted):
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    frames.append(msgspec.json.decode(message["data"]))
    finally:
        await pubsub.aclose()
    ids = [f["data"]["message"]["id"] for f in frames]
    assert ids == sorted(ids) and set(ids) == {m.id for m in posted}
    assert {f["data"]["event"] for f in frames} == {"message.created"}


@pytest.mark.parametrize("checked", [False, True])
async def test_the_writer_answers_none_when_the_kind_refuses(make_group, person, checked: bool) -> None:
    # Given a post of a stranger to a group room: the group store refuses it; a checked one goes by the plain insert
    group, stranger = await make_group(), await person()
    post = NewPost("chat", str(group["id"]), stranger.id, "hi", "visible", clock.now())
    found = await writer.save(conversations.GROUP, post, AuthorView(stranger.id, "Stranger"), checked=checked)
    assert (found is None) is not checked


async def test_a_post_that_comes_while_a_batch_is_published_is_stored(monkeypatch, make_group, add_member,
                                                                      person) -> None:
    # Given a batch being published (its round trip in flight) when another post comes and finds nothing else queued
    key, (ann, bob) = await members_of_a_group(make_group, add_member, person, 2)
    publish_and_count = writer._publish_and_count
    late: list[asyncio.Task[Any]] = []

    async def meanwhile(frames: Any, upcoming: list[Any]) -> Any:
        if not late:
            late.append(asyncio.create_task(services.post("chat", key, bob.id, "late")))
            queue = writer._writers[asyncio.get_running_loop()].queue
            async with asyncio.timeout(10):
                while not queue:  # until bob's post waits in the queue
                    await asyncio.sleep(0.001)
        return await publish_and_count(frames, upcoming)

    monkeypatch.setattr(writer, "_publish_and_count", meanwhile)
    first = await services.post("chat", key, ann.id, "first")
    # Then that post is stored and answered too (by the same drain, counted on its own)
    second = await late[0]
    assert (first.body, second.body) == ("first", "late") and second.id > first.id
    assert await ChatMessage.count().where(ChatMessage.room_key == key) == 2
