"""Group rooms on the real groups rules: members only (a private group's chat is 404), moderators, bans, leaving."""

from __future__ import annotations

from typing import Any

import httpx

from plugins.groups.chat import conversations

GROUPS = "/api/v1/groups"


async def test_a_private_groups_chat_is_members_only(api: httpx.AsyncClient, make_group, add_member, person) -> None:
    group = await make_group(visibility="private", join_policy="invite")
    owner, member, stranger = group["owner"], await person(), await person()
    await add_member(group, member)
    chat = f"{GROUPS}/{group['id']}/chat/messages"
    r = await api.post(chat, headers=member.headers, json={"body": "hi"})
    assert r.status_code == 201, r.text
    assert r.json()["author"]["id"] == member.id
    for call in (api.get(chat, headers=stranger.headers),
                 api.post(chat, headers=stranger.headers, json={"body": "let me in"}),
                 api.get(f"{GROUPS}/999999/chat/messages", headers=owner.headers)):
        r = await call
        assert r.status_code == 404 and r.json()["code"] == "conversation_not_found", r.text
    assert [m["body"] for m in (await api.get(chat, headers=owner.headers)).json()["items"]] == ["hi"]


async def test_a_public_groups_chat_is_still_members_only(api: httpx.AsyncClient, make_group, person) -> None:
    group = await make_group(visibility="public")
    r = await api.get(f"{GROUPS}/{group['id']}/chat/messages", headers=(await person()).headers)
    assert r.status_code == 404 and r.json()["code"] == "conversation_not_found"


async def test_group_moderators_delete_others_messages_members_do_not(api: httpx.AsyncClient, make_group, add_member,
                                                                       person) -> None:
    group = await make_group()
    moderator, member, other = await person(), await person(), await person()
    await add_member(group, moderator, role="moderator")
    await add_member(group, member)
    await add_member(group, other)
    chat = f"{GROUPS}/{group['id']}/chat/messages"
    message_id = (await api.post(chat, headers=member.headers, json={"body": "spam"})).json()["id"]
    r = await api.delete(f"{GROUPS}/chat/messages/{message_id}", headers=other.headers)
    assert r.status_code == 403 and r.json()["code"] == "not_author"
    assert (await api.delete(f"{GROUPS}/chat/messages/{message_id}", headers=moderator.headers)).status_code == 204
    assert (await api.get(chat, headers=member.headers)).json()["items"][0]["status"] == "deleted"
    owner_id = (await api.post(chat, headers=group["owner"].headers, json={"body": "rules"})).json()["id"]
    assert (await api.delete(f"{GROUPS}/chat/messages/{owner_id}", headers=moderator.headers)).status_code == 204


async def test_banned_and_departed_members_lose_the_chat(api: httpx.AsyncClient, make_group, add_member,
                                                         person) -> None:
    group = await make_group()
    owner, banned, leaver = group["owner"], await person(), await person()
    await add_member(group, banned)
    await add_member(group, leaver)
    chat = f"{GROUPS}/{group['id']}/chat/messages"
    old = (await api.post(chat, headers=banned.headers, json={"body": "before"})).json()["id"]
    r = await api.post(f"{GROUPS}/{group['id']}/members/{banned.id}/ban", headers=owner.headers)
    assert r.status_code == 204, r.text
    assert (await api.post(f"{GROUPS}/{group['id']}/leave", headers=leaver.headers)).status_code == 204
    for who in (banned, leaver):
        r = await api.post(chat, headers=who.headers, json={"body": "still here?"})
        assert r.status_code == 404 and r.json()["code"] == "conversation_not_found"
        assert not await conversations.GROUP.may_read(who.id, str(group["id"]))
    r = await api.patch(f"{GROUPS}/chat/messages/{old}", headers=banned.headers, json={"body": "edited"})
    assert r.status_code == 404 and r.json()["code"] == "message_not_found"


async def test_the_group_kind_refuses_keys_it_cannot_parse(make_user: Any) -> None:
    user = await make_user()
    for key in ("abc", "1.5", "-1", "99999999999999"):
        assert not await conversations.GROUP.may_read(user.id, key)
    assert not await conversations.GROUP.may_read(0, "1")
