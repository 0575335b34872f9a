"""Real time, continued: clients send to rooms (``send`` → the kind's ``on_send`` → ``sent`` or an error)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.auth.services import open_session, revoke_session
from core.settings import get_settings
from tests.core.realtime_support import Cluster, client, next_is_marker, token_of

# --------------------------------------------------------------------------------------------------------------------
# The happy path: answered by id, the kind's work reaches the room on both apps
# --------------------------------------------------------------------------------------------------------------------


async def test_a_send_is_answered_by_id_and_reaches_the_room_on_both_apps(cluster: Cluster, make_user) -> None:
    ann, bob = await make_user(), await make_user()
    async with client(cluster.urls[0], await token_of(ann)) as a, client(cluster.urls[1], await token_of(bob)) as b:
        await a.subscribe("rtdemo.chat:open-s")
        await b.subscribe("rtdemo.chat:open-s")
        # When Ann sends on her connection
        await a.send(type="send", room="rtdemo.chat:open-s", id="c-1", data={"text": "hello"})
        # Then the kind got her user id, the room id and the data; she is answered with its result, by her id
        frames = [await a.recv(), await a.recv()]  # the answer and the room's message, in either order
        assert {"type": "sent", "id": "c-1", "result": {"echo": "hello"}} in frames
        assert {"type": "message", "room": "rtdemo.chat:open-s", "data": {"from": ann.id, "text": "hello"}} in frames
        await b.expect("message", room="rtdemo.chat:open-s", data={"from": ann.id, "text": "hello"})
        assert cluster.rooms.sends == [(ann.id, "open-s", {"text": "hello"})]
        # A kind answering nothing gives an empty result
        await a.send(type="send", room="rtdemo.chat:open-s", id="c-2", data={"fail": "nothing"})
        await a.expect("sent", id="c-2", result={})
        await next_is_marker(b, bob.id)


# --------------------------------------------------------------------------------------------------------------------
# Refusals by core: not subscribed, a kind without on_send, malformed and oversized frames
# --------------------------------------------------------------------------------------------------------------------


async def test_a_room_one_is_not_subscribed_to_is_refused(cluster: Cluster, make_user) -> None:
    ann = await make_user()
    cluster.rooms.members.add((ann.id, "team1"))
    async with client(cluster.urls[0], await token_of(ann)) as a:
        # Allowed to join, but not subscribed (never, or no longer)
        for room in ("rtdemo.chat:team1", "rtdemo.chat:open-x", "nope.chat:1", "not a room"):
            await a.send(type="send", room=room, id="n-1", data={"text": "hi"})
            await a.expect("error", code="room_not_subscribed", id="n-1", room=room)
        await a.subscribe("rtdemo.chat:team1")
        await a.send(type="unsubscribe", room="rtdemo.chat:team1")
        await a.expect("unsubscribed")
        await a.send(type="send", room="rtdemo.chat:team1", id="n-2", data={"text": "hi"})
        await a.expect("error", code="room_not_subscribed", id="n-2")
    assert cluster.rooms.sends == []


async def test_a_kind_without_on_send_refuses_sends(cluster: Cluster, make_user) -> None:
    async with client(cluster.urls[1], await token_of(await make_user())) as a:
        await a.subscribe("rtdemo.feed:news")
        await a.send(type="send", room="rtdemo.feed:news", id="f", data={"text": "hi"})
        await a.expect("error", code="send_not_supported", id="f", room="rtdemo.feed:news")


@pytest.mark.parametrize(("frame", "id_"), [
    ({"type": "send", "room": "rtdemo.chat:open-m", "data": {}}, None),  # no id
    ({"type": "send", "room": "rtdemo.chat:open-m", "id": "", "data": {}}, None),
    ({"type": "send", "room": "rtdemo.chat:open-m", "id": "x" * 65, "data": {}}, None),
    ({"type": "send", "room": "rtdemo.chat:open-m", "id": 7, "data": {}}, None),
    ({"type": "send", "room": "rtdemo.chat:open-m", "id": "m1"}, "m1"),  # no data
    ({"type": "send", "room": "rtdemo.chat:open-m", "id": "m2", "data": "hi"}, "m2"),
    ({"type": "send", "room": "rtdemo.chat:open-m", "id": "m3", "data": [1]}, "m3"),
    ({"type": "send", "id": "m4", "data": {}}, "m4"),  # no room
    ({"type": "send", "room": 5, "id": "m5", "data": {}}, "m5"),
])
async def test_a_malformed_send_is_invalid_message_with_its_id_when_readable(cluster: Cluster, make_user,
                                                                              frame: dict[str, Any],
                                                                              id_: str | None) -> None:
    async with client(cluster.urls[0], await token_of(await make_user())) as a:
        await a.subscribe("rtdemo.chat:open-m")
        await a.send(**frame)
        error = await a.expect("error", code="invalid_message")
        assert error.get("id") == id_
        await a.send(type="ping")
        await a.expect("pong")
    assert cluster.rooms.sends == []


async def test_an_oversized_send_closes_with_1009(cluster: Cluster, make_user) -> None:
    async with client(cluster.urls[1], await token_of(await make_user())) as a:
        await a.subscribe("rtdemo.chat:open-big")
        await a.ws.send(json.dumps({"type": "send", "room": "rtdemo.chat:open-big", "id": "big",
                                    "data": {"text": "x" * 600}}))  # max_message_bytes is 512 here
        assert await a.closed() == (1009, "message_too_large")
    assert cluster.rooms.sends == []


# --------------------------------------------------------------------------------------------------------------------
# Errors of the kind: a core.errors error keeps its code; anything else is internal_error; the connection stays
# --------------------------------------------------------------------------------------------------------------------


async def test_the_kinds_errors_come_back_with_the_send_id_and_code(cluster: Cluster, make_user,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    room = "rtdemo.chat:open-e"
    async with client(cluster.urls[0], await token_of(await make_user())) as a:
        await a.subscribe(room)
        await a.send(type="send", room=room, id="v", data={"fail": "validation"})
        error = await a.expect("error", code="validation_failed", id="v", room=room)
        assert error["errors"] == [{"pointer": "/text", "detail": "required"}]
        await a.send(type="send", room=room, id="r", data={"fail": "rate"})
        await a.expect("error", code="rate_limited", id="r", room=room, retry_after=7, detail="Slow down")
        for case in ("crash", "server", "not_an_object"):
            await a.send(type="send", room=room, id=case, data={"fail": case})
            error = await a.expect("error", code="internal_error", id=case, room=room)
            assert "plugin" not in error["detail"]  # the plugin's message stays in the log
        assert any("on_send of rtdemo.chat failed" in r.getMessage() for r in caplog.records)
        # The connection goes on
        await a.send(type="send", room=room, id="ok", data={"text": "still here"})
        frames = [await a.recv(), await a.recv()]
        assert {"type": "sent", "id": "ok", "result": {"echo": "still here"}} in frames


async def test_the_kind_checks_membership_on_every_send(cluster: Cluster, make_user) -> None:
    # Core checks may_join when subscribing only; the kind's on_send checks again (the chat: the post's own check)
    ann = await make_user()
    cluster.rooms.members.add((ann.id, "team2"))
    async with client(cluster.urls[1], await token_of(ann)) as a:
        await a.subscribe("rtdemo.chat:team2")
        cluster.rooms.members.discard((ann.id, "team2"))
        await a.send(type="send", room="rtdemo.chat:team2", id="gone", data={"text": "hi"})
        await a.expect("error", code="room_forbidden", id="gone")
    assert cluster.rooms.sends == []


# --------------------------------------------------------------------------------------------------------------------
# Limits and sessions: sends count against the frame rate; a revoked session or an expired token sends nothing
# --------------------------------------------------------------------------------------------------------------------


async def test_sends_count_against_the_frame_rate(cluster: Cluster, make_user, clock) -> None:
    clock.freeze()  # no refill: the auth and subscribe frames took two tokens of the burst
    burst = get_settings().realtime.frames_burst
    async with client(cluster.urls[0], await token_of(await make_user())) as a:
        await a.subscribe("rtdemo.chat:open-rate")
        for i in range(burst - 2):
            await a.send(type="send", room="rtdemo.chat:open-rate", id=str(i), data={"fail": "nothing"})
            await a.expect("sent", id=str(i))
        await a.send(type="send", room="rtdemo.chat:open-rate", id="over", data={"fail": "nothing"})
        await a.expect("error", code="rate_limited")
    assert len(cluster.rooms.sends) == burst - 2


async def test_a_revoked_session_or_an_expired_token_sends_nothing(cluster: Cluster, make_user, clock) -> None:
    ann = await make_user()
    sid, token = await open_session(ann.id, device="realtime-test")
    async with client(cluster.urls[0], token) as a:
        await a.subscribe("rtdemo.chat:open-rv")
        await a.send(type="send", room="rtdemo.chat:open-rv", id="1", data={"fail": "nothing"})
        await a.expect("sent", id="1")
        await revoke_session(ann.id, sid)
        assert await a.closed() == (4401, "session_revoked")
    clock.freeze()
    async with client(cluster.urls[1], await token_of(ann)) as a:
        await a.subscribe("rtdemo.chat:open-rv")
        clock.advance(get_settings().auth.access_ttl_s + 1)
        await a.send(type="send", room="rtdemo.chat:open-rv", id="2", data={"fail": "nothing"})
        assert await a.closed() == (4401, "token_expired")
    assert [data for _u, _r, data in cluster.rooms.sends] == [{"fail": "nothing"}]
