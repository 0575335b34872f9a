"""The chat's HTTP routes: the permission matrix, bad input (100 KB, unknown fields), flooding, pair chats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.plugins.groups.chat_support import Rooms, rooms_fixture  # noqa: F401  (the fixture `rooms`)

API = "/api/v1/groups"
Client = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest_asyncio.fixture(loop_scope="session")
async def api(make_client: Client) -> httpx.AsyncClient:
    """An app with groups; five messages per user and room per minute."""
    return await make_client(["events", "groups"], settings={"groups": {"chat_messages_per_minute": 5}})


@pytest.fixture
def person(make_user: Any, auth_headers: Any) -> Callable[[], Awaitable[tuple[int, dict[str, str]]]]:
    async def factory() -> tuple[int, dict[str, str]]:
        user = await make_user()
        return user.id, await auth_headers(user)

    return factory


# Expected status (and code) per role and operation; the message acted on is the author's.
MATRIX: dict[str, dict[str, tuple[int, str | None]]] = {
    "anonymous": {"read": (401, "not_authenticated"), "post": (401, "not_authenticated"),
                  "edit": (401, "not_authenticated"), "delete": (401, "not_authenticated"),
                  "report": (401, "not_authenticated")},
    "non-member": {"read": (404, "conversation_not_found"), "post": (404, "conversation_not_found"),
                   "edit": (404, "message_not_found"), "delete": (404, "message_not_found"),
                   "report": (404, "message_not_found")},
    "member": {"read": (200, None), "post": (201, None), "edit": (403, "not_author"), "delete": (403, "not_author"),
               "report": (201, None)},
    "moderator": {"read": (200, None), "post": (201, None), "edit": (403, "not_author"), "delete": (204, None),
                  "report": (201, None)},
    "author": {"read": (200, None), "post": (201, None), "edit": (200, None), "delete": (204, None),
               "report": (409, "own_message")},
}


@pytest.mark.parametrize("role", list(MATRIX))
async def test_permission_matrix(api: httpx.AsyncClient, rooms: Rooms, person, role: str) -> None:
    author_id, author = await person()
    rooms.join(author_id, 5)
    caller_id, caller = await person()
    if role == "author":
        caller_id, caller = author_id, author
    elif role in ("member", "moderator"):
        rooms.join(caller_id, 5, moderate=role == "moderator")
    headers = {} if role == "anonymous" else caller
    r = await api.post(f"{API}/5/chat/messages", headers=author, json={"body": "hello"})
    assert r.status_code == 201, r.text
    message_id = r.json()["id"]
    calls = {
        "read": api.get(f"{API}/5/chat/messages", headers=headers),
        "post": api.post(f"{API}/5/chat/messages", headers=headers, json={"body": "me too"}),
        "edit": api.patch(f"{API}/chat/messages/{message_id}", headers=headers, json={"body": "changed"}),
        "report": api.post(f"{API}/chat/messages/{message_id}/report", headers=headers, json={"reason": "spam"}),
        "delete": api.delete(f"{API}/chat/messages/{message_id}", headers=headers),
    }
    for operation, call in calls.items():
        status, code = MATRIX[role][operation]
        r = await call
        assert r.status_code == status, (operation, r.text)
        if code:
            assert r.json()["code"] == code, (operation, r.text)


async def test_a_post_and_the_history_over_http(api: httpx.AsyncClient, rooms: Rooms, person) -> None:
    ann_id, ann = await person()
    rooms.join(ann_id, 5)
    r = await api.post(f"{API}/5/chat/messages", headers=ann, json={"body": "hi all"})
    assert r.status_code == 201
    body = r.json()
    assert body["body"] == "hi all" and body["status"] == "visible" and body["warning"] is None
    assert (body["conversation"], body["key"], body["author"]["id"]) == ("chat", "5", ann_id)
    r = await api.get(f"{API}/5/chat/messages", headers=ann, params={"limit": 1})
    assert r.status_code == 200 and [m["id"] for m in r.json()["items"]] == [body["id"]]
    r = await api.get(f"{API}/5/chat/messages", headers=ann, params={"cursor": "v1.garbage.tag"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    r = await api.get(f"{API}/5/chat/messages", headers=ann, params={"limit": 500})
    assert r.status_code == 400 and r.json()["code"] == "invalid_parameter"


@pytest.mark.parametrize(("payload", "pointer"), [
    ({"body": "x" * 100_000}, "/body"),   # a 100 KB message
    ({"body": "x" * 4001}, "/body"),
    ({"body": ""}, "/body"),
    ({"body": "   "}, "/body"),
    ({}, "/body"),
    ({"body": 42}, "/body"),
    ({"body": "hi", "author_id": 1}, "/author_id"),
])
async def test_bad_bodies_are_422_with_a_pointer(api: httpx.AsyncClient, rooms: Rooms, person, payload: dict[str, Any],
                                                pointer: str) -> None:
    ann_id, ann = await person()
    rooms.join(ann_id, 5)
    r = await api.post(f"{API}/5/chat/messages", headers=ann, json=payload)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_failed"
    assert [e["pointer"] for e in r.json()["errors"]] == [pointer]


async def test_a_body_over_the_server_limit_is_413(api: httpx.AsyncClient, rooms: Rooms, person) -> None:
    ann_id, ann = await person()
    rooms.join(ann_id, 5)
    r = await api.post(f"{API}/5/chat/messages", headers={**ann, "Content-Type": "application/json"},
                       content=b'{"body": "' + b"x" * 2_000_000 + b'"}')
    assert r.status_code == 413, r.text


async def test_flooding_a_room_is_429_with_retry_after(api: httpx.AsyncClient, rooms: Rooms, person) -> None:
    ann_id, ann = await person()
    rooms.join(ann_id, 5)
    rooms.join(ann_id, 6)
    for i in range(5):
        assert (await api.post(f"{API}/5/chat/messages", headers=ann, json={"body": f"m{i}"})).status_code == 201
    r = await api.post(f"{API}/5/chat/messages", headers=ann, json={"body": "flood"})
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert (await api.post(f"{API}/6/chat/messages", headers=ann, json={"body": "elsewhere"})).status_code == 201
    assert len((await api.get(f"{API}/5/chat/messages", headers=ann)).json()["items"]) == 5


async def test_pair_chats_hold_contact_details_with_a_warning(api: httpx.AsyncClient, rooms: Rooms, person) -> None:
    ann_id, ann = await person()
    bob_id, bob = await person()
    for uid in (ann_id, bob_id):
        rooms.join(uid, 9)
    rooms.screened.add("9")
    r = await api.post(f"{API}/pairs/9/messages", headers=ann, json={"body": "my number is 8 999 123 45 67"})
    assert r.status_code == 201
    held = r.json()
    assert (held["status"], held["warning"], held["conversation"]) == ("held", "contact_details_held", "pair")
    assert held["author"] == {"id": None, "name": f"Guest {ann_id}"}
    r = await api.post(f"{API}/pairs/9/messages", headers=bob, json={"body": "see you at 19:00 on 2026-12-01"})
    assert r.json()["status"] == "visible"
    assert [m["status"] for m in (await api.get(f"{API}/pairs/9/messages", headers=bob)).json()["items"]] == ["visible"]
    assert len((await api.get(f"{API}/pairs/9/messages", headers=ann)).json()["items"]) == 2
    # A pair chat one is not in does not exist for them
    _carl_id, carl = await person()
    r = await api.post(f"{API}/pairs/9/messages", headers=carl, json={"body": "hi"})
    assert r.status_code == 404 and r.json()["code"] == "conversation_not_found"


async def test_edit_window_over_http(api: httpx.AsyncClient, rooms: Rooms, make_user, auth_headers, clock) -> None:
    user = await make_user()
    rooms.join(user.id, 5)
    clock.freeze()
    message_id = (await api.post(f"{API}/5/chat/messages", headers=await auth_headers(user),
                                 json={"body": "x"})).json()["id"]
    clock.advance(16 * 60)
    ann = await auth_headers(user)  # the first access token expired meanwhile
    r = await api.patch(f"{API}/chat/messages/{message_id}", headers=ann, json={"body": "y"})
    assert r.status_code == 409 and r.json()["code"] == "edit_window_passed"
    r = await api.post(f"{API}/chat/messages/{message_id}/report", headers=ann, json={"reason": "x" * 1001})
    assert r.status_code == 422
