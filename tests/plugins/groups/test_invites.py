"""Invitations: by user (accept/decline) and by link (expiry, use limit, revocation, only the hash stored)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx

from core import db
from tests.plugins.groups.conftest import GROUPS


async def test_invite_user_accept_and_decline(api: httpx.AsyncClient, person: Any, make_group: Any,
                                              add_member: Any) -> None:
    group = await make_group(visibility="private", join_policy="invite")
    owner = group["owner"]
    a, b, member = await person(), await person(), await person()
    await add_member(group, member)
    r = await api.post(f"{GROUPS}/{group['id']}/invitations", headers=member.headers, json={"user_id": a.id})
    assert r.status_code == 403 and r.json()["code"] == "not_group_moderator"
    for p in (a, b):
        r = await api.post(f"{GROUPS}/{group['id']}/invitations", headers=owner.headers, json={"user_id": p.id})
        assert r.status_code == 204, r.text
    r = await api.post(f"{GROUPS}/{group['id']}/invitations", headers=owner.headers, json={"user_id": a.id})
    assert r.status_code == 409 and r.json()["code"] == "illegal_member_move"  # already invited
    # An invitee sees the private group's page (to answer), not its members.
    page = (await api.get(f"{GROUPS}/by-slug/{group['slug']}", headers=a.headers)).json()
    assert page["my_state"] == "invited" and page["my_role"] is None
    assert (await api.post(f"{GROUPS}/{group['id']}/invitation/accept", headers=a.headers)).status_code == 200
    assert (await api.post(f"{GROUPS}/{group['id']}/invitation/decline", headers=b.headers)).status_code == 204
    r = await api.post(f"{GROUPS}/{group['id']}/invitation/accept", headers=b.headers)
    assert r.status_code == 404  # declined: the private group is hidden again
    rows = await db.fetch('SELECT "user", state FROM groups.member WHERE "group" = $1 ORDER BY id', group["id"])
    assert [(r["user"], r["state"]) for r in rows][-2:] == [(a.id, "active"), (b.id, "left")]
    told = await db.fetch("SELECT user_id FROM notify.notification WHERE kind = 'groups.invited' ORDER BY user_id")
    assert [r["user_id"] for r in told] == sorted([a.id, b.id])
    r = await api.post(f"{GROUPS}/{group['id']}/invitations", headers=owner.headers, json={"user_id": "x"})
    assert r.status_code == 400 or r.status_code == 422
    r = await api.post(f"{GROUPS}/{group['id']}/invitations", headers=owner.headers, json={"user_id": 999999})
    assert r.status_code == 404 and r.json()["code"] == "user_not_found"


async def test_link_joins_any_policy_and_stores_only_a_hash(api: httpx.AsyncClient, person: Any,
                                                             make_group: Any) -> None:
    group = await make_group(visibility="private", join_policy="invite")
    r = await api.post(f"{GROUPS}/{group['id']}/invite-links", headers=group["owner"].headers,
                       json={"expires_in_days": 3, "max_uses": 2})
    assert r.status_code == 201, r.text
    link = r.json()
    token = link["token"]
    stored = await db.fetch("SELECT token_hash FROM groups.invite_link")
    assert stored[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest() and token not in str(stored)
    listed = (await api.get(f"{GROUPS}/{group['id']}/invite-links", headers=group["owner"].headers)).json()
    assert listed[0]["id"] == link["id"] and listed[0]["token"] is None
    me = await person()
    r = await api.post(f"{GROUPS}/invite-links/accept", headers=me.headers, json={"token": token})
    assert r.status_code == 200 and r.json() == {"group_id": group["id"], "slug": group["slug"], "state": "active"}
    r = await api.post(f"{GROUPS}/invite-links/accept", headers=me.headers, json={"token": token})
    assert r.status_code == 200  # already a member: the link is not used again
    assert (await api.get(f"{GROUPS}/{group['id']}/invite-links",
                          headers=group["owner"].headers)).json()[0]["uses"] == 1


async def test_used_up_expired_revoked_and_unknown_links(api: httpx.AsyncClient, person: Any, make_group: Any,
                                                         clock: Any) -> None:
    group = await make_group()
    owner = group["owner"]
    url = f"{GROUPS}/{group['id']}/invite-links"
    once = (await api.post(url, headers=owner.headers, json={"max_uses": 1})).json()
    assert (await api.post(f"{GROUPS}/invite-links/accept", headers=(await person()).headers,
                           json={"token": once["token"]})).status_code == 200
    r = await api.post(f"{GROUPS}/invite-links/accept", headers=(await person()).headers,
                       json={"token": once["token"]})
    assert r.status_code == 409 and r.json()["code"] == "invite_used_up"

    soon = (await api.post(url, headers=owner.headers, json={"expires_in_days": 1})).json()
    clock.freeze(clock.now() + timedelta(days=1, seconds=1))
    r = await api.post(f"{GROUPS}/invite-links/accept", headers=(await person()).headers,
                       json={"token": soon["token"]})
    assert r.status_code == 409 and r.json()["code"] == "invite_expired"
    clock.reset()

    revoked = (await api.post(url, headers=owner.headers, json={})).json()
    assert (await api.delete(f"{url}/{revoked['id']}", headers=owner.headers)).status_code == 204
    r = await api.post(f"{GROUPS}/invite-links/accept", headers=(await person()).headers,
                       json={"token": revoked["token"]})
    assert r.status_code == 409 and r.json()["code"] == "invite_revoked"

    r = await api.post(f"{GROUPS}/invite-links/accept", headers=owner.headers, json={"token": "x" * 32})
    assert r.status_code == 404 and r.json()["code"] == "invite_not_found"
    other = await make_group()
    r = await api.delete(f"{GROUPS}/{other['id']}/invite-links/{revoked['id']}", headers=other["owner"].headers)
    assert r.status_code == 404 and r.json()["code"] == "invite_not_found"


async def test_link_lifetime_capped_by_settings(api: httpx.AsyncClient, make_group: Any) -> None:
    group = await make_group()
    r = await api.post(f"{GROUPS}/{group['id']}/invite-links", headers=group["owner"].headers,
                       json={"expires_in_days": 31})
    assert r.status_code == 422 and r.json()["code"] == "invite_too_long"
    assert r.json()["errors"][0]["pointer"] == "/expires_in_days"
    r = await api.post(f"{GROUPS}/{group['id']}/invite-links", headers=group["owner"].headers,
                       json={"expires_in_days": "soon"})
    assert r.status_code == 422
