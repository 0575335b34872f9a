"""Group events: group moderators create and edit them, members see and join members-only ones, and members and
followers are told of each new published event (a notification kind of its own)."""

from __future__ import annotations

from typing import Any

import httpx

from core import db
from tests.plugins.groups.conftest import GROUPS, event_body

EVENTS = "/api/v1/events"


async def _publish_for(api: httpx.AsyncClient, person: Any, author: Any, group_id: int, **over: Any) -> int:
    r = await api.post(f"{EVENTS}/", headers=author.headers, json=event_body(group_id=group_id, **over))
    assert r.status_code == 201, r.text
    event_id: int = r.json()["id"]
    assert (await api.post(f"{EVENTS}/{event_id}/submit", headers=author.headers)).status_code == 200
    mod = await person("moderator")
    assert (await api.post(f"{EVENTS}/{event_id}/approve", headers=mod.headers)).status_code == 200
    return event_id


async def _told(kind: str = "groups.new_event") -> list[int]:
    rows = await db.fetch("SELECT user_id FROM notify.notification WHERE kind = $1 ORDER BY user_id", kind)
    return [r["user_id"] for r in rows]


async def test_group_moderators_create_and_edit_members_see_and_join(api: httpx.AsyncClient, person: Any,
                                                                     make_group: Any, add_member: Any) -> None:
    group = await make_group()
    mod, member, outsider = await person(), await person(), await person()
    await add_member(group, mod, role="moderator")
    await add_member(group, member)
    # A plain member (without events.create) cannot host for the group; an outsider cannot name it.
    r = await api.post(f"{EVENTS}/", headers=member.headers, json=event_body(group_id=group["id"]))
    assert r.status_code == 403 and r.json()["code"] == "not_group_manager"
    event_id = await _publish_for(api, person, mod, group["id"], visibility="group", title="Members only night")
    # Another of the group's moderators (the owner) edits it as its author would.
    r = await api.patch(f"{EVENTS}/{event_id}", headers=group["owner"].headers, json={"price_text": "free"})
    assert r.status_code == 200, r.text
    r = await api.patch(f"{EVENTS}/{event_id}", headers=member.headers, json={"price_text": "paid"})
    assert r.status_code in (403, 404)
    # Members see and join it; outsiders do not see it, on the group's page or the event's.
    url = f"{GROUPS}/{group['id']}/events"
    assert [e["id"] for e in (await api.get(url, headers=member.headers)).json()["items"]] == [event_id]
    assert (await api.get(url, headers=outsider.headers)).json()["items"] == []
    assert (await api.get(url)).json()["items"] == []
    assert (await api.get(f"{EVENTS}/{event_id}", headers=outsider.headers)).status_code == 404
    r = await api.post(f"{EVENTS}/{event_id}/join", headers=member.headers, json={})
    assert r.status_code in (200, 201), r.text
    r = await api.post(f"{EVENTS}/{event_id}/join", headers=outsider.headers, json={})
    assert r.status_code == 404
    assert (await api.get(url, headers=member.headers, params={"when": "past"})).json()["items"] == []
    r = await api.get(url, headers=member.headers, params={"when": "later"})
    assert r.status_code == 400


async def test_private_groups_events_are_hidden_from_non_members(api: httpx.AsyncClient, person: Any,
                                                                 make_group: Any) -> None:
    group = await make_group(visibility="private")
    event_id = await _publish_for(api, person, group["owner"], group["id"])  # public visibility, private group
    outsider = await person()
    r = await api.get(f"{GROUPS}/{group['id']}/events", headers=outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "group_not_found"
    r = await api.post(f"{EVENTS}/", headers=outsider.headers, json=event_body(group_id=group["id"]))
    assert r.status_code == 422 and r.json()["code"] == "group_not_found"
    assert event_id


async def test_new_event_told_to_members_and_followers(api: httpx.AsyncClient, person: Any, make_group: Any,
                                                       add_member: Any) -> None:
    group = await make_group()
    owner = group["owner"]
    member, follower, banned_follower = await person(), await person(), await person()
    await add_member(group, member)
    for p in (follower, banned_follower):
        assert (await api.post(f"{GROUPS}/{group['id']}/follow", headers=p.headers)).status_code == 204
    await api.post(f"{GROUPS}/{group['id']}/members/{banned_follower.id}/ban", headers=owner.headers)

    await _publish_for(api, person, owner, group["id"], visibility="group")
    assert await _told() == [member.id]  # members only: not the author, not followers

    await db.fetch("DELETE FROM notify.notification")
    await _publish_for(api, person, owner, group["id"])
    assert await _told() == sorted([member.id, follower.id])  # the banned follower is not told

    # The kind has a preference of its own, which a member can switch off (notify honours it at delivery).
    r = await api.get("/api/v1/notify/preferences", headers=member.headers)
    assert "groups.new_event" in [k["name"] for k in r.json()["kinds"]]
    r = await api.patch("/api/v1/notify/preferences", headers=member.headers,
                        json={"channels": [{"kind": "groups.new_event", "channel": "email", "enabled": False}]})
    assert r.status_code == 200, r.text
    assert r.json()["channels"]["groups.new_event"]["email"] is False


async def test_group_access_hook(make_group: Any, person: Any, add_member: Any) -> None:
    from core import hooks
    from plugins.events import hookspecs

    group = await make_group(visibility="private")
    member, mod, outsider = await person(), await person(), await person()
    await add_member(group, member)
    await add_member(group, mod, role="moderator")

    async def access(user_id: int | None) -> Any:
        return await hooks.first(hookspecs.group_access_from_groups, group_id=group["id"], user_id=user_id)

    assert (await access(member.id)).member and not (await access(member.id)).manager
    assert (await access(mod.id)).manager and (await access(group["owner"].id)).manager
    assert await access(outsider.id) is None and await access(None) is None
    assert await hooks.first(hookspecs.group_access_from_groups, group_id=999999, user_id=member.id) is None
