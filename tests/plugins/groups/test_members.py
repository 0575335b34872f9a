"""Membership: join policies, requests, leaving, roles, ownership transfer (and its race), bans, the members list."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from core import db
from plugins.groups import states
from tests.plugins.groups.conftest import GROUPS


async def _state(group_id: int, user_id: int) -> tuple[str, str] | None:
    rows = await db.fetch('SELECT state, role FROM groups.member WHERE "group" = $1 AND "user" = $2', group_id, user_id)
    return (rows[0]["state"], rows[0]["role"]) if rows else None


async def _count(group_id: int) -> int:
    rows = await db.fetch('SELECT member_count FROM groups."group" WHERE id = $1', group_id)
    return int(rows[0]["member_count"])


def test_move_table_refuses_what_it_does_not_name() -> None:
    states.check_move(states.REQUESTED, states.ACTIVE, states.MODERATOR)
    refused = [(states.BANNED, states.ACTIVE, states.SELF), (states.BANNED, states.ACTIVE, states.LINK),
               (states.REQUESTED, states.ACTIVE, states.SELF), (states.ACTIVE, states.ACTIVE, states.SELF),
               (states.NONE, states.INVITED, states.SELF)]
    for current, target, who in refused:
        with pytest.raises(Exception) as info:
            states.check_move(current, target, who)
        assert getattr(info.value, "code", None) == "illegal_member_move"


async def test_join_policies(api: httpx.AsyncClient, person: Any, make_group: Any) -> None:
    open_g = await make_group()
    request_g = await make_group(join_policy="request")
    invite_g = await make_group(join_policy="invite")
    me = await person()
    assert (await api.post(f"{GROUPS}/{open_g['id']}/join", headers=me.headers)).json()["state"] == "active"
    r = await api.post(f"{GROUPS}/{open_g['id']}/join", headers=me.headers)
    assert r.status_code == 409 and r.json()["code"] == "illegal_member_move"
    assert (await api.post(f"{GROUPS}/{request_g['id']}/join", headers=me.headers)).json()["state"] == "requested"
    r = await api.post(f"{GROUPS}/{invite_g['id']}/join", headers=me.headers)
    assert r.status_code == 403 and r.json()["code"] == "invitation_required"
    assert await _count(open_g["id"]) == 2 and await _count(request_g["id"]) == 1


async def test_requests_approved_or_rejected_by_group_moderators(api: httpx.AsyncClient, person: Any,
                                                                 make_group: Any, add_member: Any) -> None:
    group = await make_group(join_policy="request")
    mod, member, a, b = await person(), await person(), await person(), await person()
    await add_member(group, mod, role="moderator")
    await add_member(group, member)
    for p in (a, b):
        await api.post(f"{GROUPS}/{group['id']}/join", headers=p.headers)
    r = await api.get(f"{GROUPS}/{group['id']}/members", headers=member.headers, params={"state": "requested"})
    assert r.status_code == 403 and r.json()["code"] == "not_group_moderator"
    r = await api.get(f"{GROUPS}/{group['id']}/members", headers=mod.headers, params={"state": "requested"})
    assert [m["user_id"] for m in r.json()["items"]] == [a.id, b.id]
    r = await api.post(f"{GROUPS}/{group['id']}/members/{a.id}/approve", headers=member.headers)
    assert r.status_code == 403 and r.json()["code"] == "not_group_moderator"
    assert (await api.post(f"{GROUPS}/{group['id']}/members/{a.id}/approve", headers=mod.headers)).status_code == 204
    assert (await api.post(f"{GROUPS}/{group['id']}/members/{b.id}/reject", headers=mod.headers)).status_code == 204
    assert await _state(group["id"], a.id) == ("active", "member")
    assert await _state(group["id"], b.id) == ("rejected", "member")
    r = await api.post(f"{GROUPS}/{group['id']}/members/{a.id}/approve", headers=mod.headers)  # twice
    assert r.status_code == 409 and r.json()["code"] == "illegal_member_move"
    # the rejected one may ask again
    assert (await api.post(f"{GROUPS}/{group['id']}/join", headers=b.headers)).json()["state"] == "requested"
    rows = await db.fetch("SELECT kind, user_id FROM notify.notification WHERE kind LIKE 'groups.%'")
    told = {(r["kind"], r["user_id"]) for r in rows}
    assert {("groups.join_requested", group["owner"].id), ("groups.join_requested", mod.id),
            ("groups.request_answered", a.id), ("groups.request_answered", b.id)} <= told
    assert ("groups.join_requested", member.id) not in told


async def test_last_owner_cannot_leave_and_members_can(api: httpx.AsyncClient, person: Any, make_group: Any) -> None:
    group = await make_group()
    r = await api.post(f"{GROUPS}/{group['id']}/leave", headers=group["owner"].headers)
    assert r.status_code == 409 and r.json()["code"] == "owner_cannot_leave"
    me = await person()
    await api.post(f"{GROUPS}/{group['id']}/join", headers=me.headers)
    assert (await api.post(f"{GROUPS}/{group['id']}/leave", headers=me.headers)).status_code == 204
    r = await api.post(f"{GROUPS}/{group['id']}/leave", headers=me.headers)
    assert r.status_code == 409 and r.json()["code"] == "illegal_member_move"
    assert await _count(group["id"]) == 1
    assert (await api.post(f"{GROUPS}/{group['id']}/join", headers=me.headers)).json()["state"] == "active"


async def test_roles_and_own_role(api: httpx.AsyncClient, person: Any, make_group: Any, add_member: Any) -> None:
    group = await make_group()
    owner = group["owner"]
    admin, mod, member = await person(), await person(), await person()
    await add_member(group, admin, role="admin")
    await add_member(group, mod, role="moderator")
    await add_member(group, member)
    url = f"{GROUPS}/{group['id']}/members"
    for who in (owner, admin, mod):
        r = await api.post(f"{url}/{who.id}/role", headers=who.headers, json={"role": "member"})
        assert r.status_code == 409 and r.json()["code"] == "own_role_change", r.text
    r = await api.post(f"{url}/{member.id}/role", headers=mod.headers, json={"role": "moderator"})
    assert r.status_code == 403 and r.json()["code"] == "insufficient_group_role"
    r = await api.post(f"{url}/{member.id}/role", headers=admin.headers, json={"role": "admin"})
    assert r.status_code == 403 and r.json()["code"] == "insufficient_group_role"
    r = await api.post(f"{url}/{owner.id}/role", headers=admin.headers, json={"role": "member"})
    assert r.status_code == 403 and r.json()["code"] == "insufficient_group_role"
    assert (await api.post(f"{url}/{member.id}/role", headers=admin.headers,
                           json={"role": "moderator"})).status_code == 204
    r = await api.post(f"{url}/{member.id}/role", headers=owner.headers, json={"role": "owner"})
    assert r.status_code == 422
    outsider = await person()
    r = await api.post(f"{url}/{outsider.id}/role", headers=owner.headers, json={"role": "admin"})
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
    # A moderator cannot remove or ban an admin; an admin can remove a moderator.
    r = await api.delete(f"{url}/{admin.id}", headers=mod.headers)
    assert r.status_code == 403 and r.json()["code"] == "insufficient_group_role"
    assert (await api.delete(f"{url}/{mod.id}", headers=admin.headers)).status_code == 204
    assert await _state(group["id"], mod.id) == ("left", "member")


async def test_transfer_ownership(api: httpx.AsyncClient, person: Any, make_group: Any, add_member: Any) -> None:
    group = await make_group()
    owner = group["owner"]
    heir, outsider = await person(), await person()
    r = await api.post(f"{GROUPS}/{group['id']}/owner", headers=owner.headers, json={"user_id": outsider.id})
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
    await add_member(group, heir)
    r = await api.post(f"{GROUPS}/{group['id']}/owner", headers=heir.headers, json={"user_id": heir.id})
    assert r.status_code == 403 and r.json()["code"] == "not_group_owner"
    assert (await api.post(f"{GROUPS}/{group['id']}/owner", headers=owner.headers,
                           json={"user_id": heir.id})).status_code == 204
    assert await _state(group["id"], owner.id) == ("active", "admin")
    assert await _state(group["id"], heir.id) == ("active", "owner")
    assert (await api.post(f"{GROUPS}/{group['id']}/leave", headers=owner.headers)).status_code == 204


async def test_racing_transfers_leave_exactly_one_owner(api: httpx.AsyncClient, person: Any, make_group: Any,
                                                        add_member: Any) -> None:
    group = await make_group()
    owner = group["owner"]
    b, c = await person(), await person()
    await add_member(group, b, role="admin")
    await add_member(group, c, role="admin")
    url = f"{GROUPS}/{group['id']}/owner"
    # The owner sends two transfers at once; and the would-be owner B races to hand it on to C.
    results = await asyncio.gather(
        api.post(url, headers=owner.headers, json={"user_id": b.id}),
        api.post(url, headers=owner.headers, json={"user_id": c.id}),
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [204, 403], [r.text for r in results]
    owners = await db.fetch("SELECT \"user\" FROM groups.member WHERE \"group\" = $1 AND role = 'owner' "
                            "AND state = 'active'", group["id"])
    assert len(owners) == 1 and owners[0]["user"] in (b.id, c.id)


async def test_one_owner_is_held_by_the_database(make_group: Any, person: Any, add_member: Any) -> None:
    group = await make_group()
    other = await person()
    await add_member(group, other)
    with pytest.raises(Exception, match="member_one_owner"):
        await db.fetch("UPDATE groups.member SET role = 'owner' WHERE \"group\" = $1 AND \"user\" = $2",
                       group["id"], other.id)


async def test_ban_blocks_every_way_back(api: httpx.AsyncClient, person: Any, make_group: Any, add_member: Any) -> None:
    group = await make_group()
    owner = group["owner"]
    bad = await person()
    await add_member(group, bad)
    r = await api.post(f"{GROUPS}/{group['id']}/invite-links", headers=owner.headers, json={})
    token = r.json()["token"]
    assert (await api.post(f"{GROUPS}/{group['id']}/members/{bad.id}/ban", headers=owner.headers)).status_code == 204
    assert await _count(group["id"]) == 1
    r = await api.post(f"{GROUPS}/{group['id']}/join", headers=bad.headers)
    assert r.status_code == 403 and r.json()["code"] == "member_banned"
    r = await api.post(f"{GROUPS}/invite-links/accept", headers=bad.headers, json={"token": token})
    assert r.status_code == 403 and r.json()["code"] == "member_banned"
    r = await api.post(f"{GROUPS}/{group['id']}/invitations", headers=owner.headers, json={"user_id": bad.id})
    assert r.status_code == 409 and r.json()["code"] == "illegal_member_move"
    r = await api.post(f"{GROUPS}/{group['id']}/follow", headers=bad.headers)
    assert r.status_code == 403 and r.json()["code"] == "member_banned"
    assert await _state(group["id"], bad.id) == ("banned", "member")
    assert (await api.post(f"{GROUPS}/{group['id']}/members/{bad.id}/unban",
                           headers=owner.headers)).status_code == 204
    assert (await api.post(f"{GROUPS}/{group['id']}/join", headers=bad.headers)).json()["state"] == "active"
    # A user never in the group can be banned ahead; an unknown user is 404.
    stranger = await person()
    assert (await api.post(f"{GROUPS}/{group['id']}/members/{stranger.id}/ban",
                           headers=owner.headers)).status_code == 204
    r = await api.post(f"{GROUPS}/{group['id']}/members/999999/ban", headers=owner.headers)
    assert r.status_code == 404 and r.json()["code"] == "user_not_found"


async def test_members_list_respects_privacy(api: httpx.AsyncClient, person: Any, make_group: Any,
                                             add_member: Any) -> None:
    group = await make_group()
    hidden, shown, viewer = await person(), await person(), await person()
    for p in (hidden, shown):
        await add_member(group, p)
    await db.fetch("UPDATE users.account SET privacy = $1 WHERE id = $2", '{"profile": "nobody"}', hidden.id)
    url = f"{GROUPS}/{group['id']}/members"
    assert [m["user_id"] for m in (await api.get(url, headers=viewer.headers)).json()["items"]] == [
        group["owner"].id, shown.id]
    page = (await api.get(url, headers=viewer.headers, params={"limit": 1})).json()
    page2 = (await api.get(url, headers=viewer.headers, params={"limit": 1, "cursor": page["next_cursor"]})).json()
    assert [m["user_id"] for m in page["items"] + page2["items"]] == [group["owner"].id, shown.id]
    assert page2["next_cursor"] is None
    everyone = (await api.get(url, headers=group["owner"].headers)).json()["items"]
    assert [m["user_id"] for m in everyone] == [group["owner"].id, hidden.id, shown.id]


async def test_other_users_ids_and_missing_groups(api: httpx.AsyncClient, person: Any, make_group: Any) -> None:
    mine = await make_group()
    theirs = await make_group()
    me = mine["owner"]
    outsider = await person()
    r = await api.post(f"{GROUPS}/{theirs['id']}/members/{outsider.id}/approve", headers=me.headers)
    assert r.status_code == 403 and r.json()["code"] == "not_group_moderator"
    r = await api.post(f"{GROUPS}/{mine['id']}/members/{theirs['owner'].id}/approve", headers=me.headers)
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
    for method, path in (("post", "999999/join"), ("get", "999999/members"), ("delete", "999999"),
                         ("post", "999999/owner")):
        r = await api.request(method.upper(), f"{GROUPS}/{path}", headers=me.headers,
                              json={"user_id": 1} if path.endswith("owner") else None)
        assert r.status_code == 404 and r.json()["code"] == "group_not_found", (path, r.text)
    r = await api.post(f"{GROUPS}/abc/join", headers=me.headers)
    assert r.status_code in (400, 404)
