"""The notifications of groups: its kinds, and the notices its services and hooks ask for (inside the transaction).

Templates: ``templates/groups/notifications/<language>/<kind>.txt``; their context is ``group`` (id, slug, name) and,
per kind, ``event`` (new_event), ``approved`` (request_answered). Keys: ``groups.event:<id>:new``,
``groups.group:<id>:invite``, ``groups.group:<id>:request`` (one pending notice per user replaces the previous).
"""

from __future__ import annotations

from typing import Any

from core import notifications
from core.notifications import Notice, NotificationKind
from plugins.events.hookspecs import EventInfo
from plugins.groups import states
from plugins.groups.hookspecs import GroupInfo
from plugins.groups.tables import Follower, Group, Member

NEW_EVENT = "groups.new_event"
KINDS = [
    NotificationKind(NEW_EVENT, label="A new event in a group I am in or follow",
                     description="Each new event a group publishes, to its members and (public events) followers."),
    NotificationKind("groups.invited", label="I was invited to a group"),
    NotificationKind("groups.join_requested", label="Someone asks to join a group I moderate"),
    NotificationKind("groups.request_answered", label="My request to join a group was answered"),
]


def subject(group_id: int) -> str:
    """What the notices are about (``groups.group:7``)."""
    return f"groups.group:{group_id}"


def group_context(group: GroupInfo) -> dict[str, Any]:
    """What a template knows about the group (a copy: it may change before delivery)."""
    return {"id": group.id, "slug": group.slug, "name": group.name}


async def new_event(event: EventInfo) -> None:
    """Tell the hosting group's members (and, for a public event of a public group, its followers) of a new event."""
    if event.group_id is None:
        return
    group = await Group.select(Group.id, Group.slug, Group.name, Group.visibility).where(
        Group.id == event.group_id, Group.deleted_at.is_null()).first()
    if group is None:
        return
    members = await Member.select(Member.user, Member.state).where(
        Member.group == group["id"], Member.state.is_in([states.ACTIVE, states.BANNED]))
    active = {r["user"] for r in members if r["state"] == states.ACTIVE}
    banned = {r["user"] for r in members if r["state"] == states.BANNED}
    recipients = set(active)
    if event.visibility != "group" and group["visibility"] == "public":
        followers = await Follower.select(Follower.user).where(Follower.group == group["id"])
        recipients |= {r["user"] for r in followers} - banned
    recipients.discard(event.author_id)
    await notifications.send(Notice(
        NEW_EVENT, user_ids=sorted(recipients), key=f"groups.event:{event.id}:new", subject=f"events.event:{event.id}",
        context={"group": {"id": group["id"], "slug": group["slug"], "name": group["name"]},
                 "event": {"id": event.id, "title": event.title, "starts_at": event.starts_at.isoformat(),
                           "timezone": event.timezone, "city": event.city, "online": event.online}}))


async def invited(group: GroupInfo, user_id: int, by_id: int) -> None:
    """Tell a user they were invited."""
    await notifications.send(Notice("groups.invited", user_ids=(user_id,), key=f"{subject(group.id)}:invite",
                                    subject=subject(group.id), context={"group": group_context(group)}))


async def join_requested(group: GroupInfo, user_id: int) -> None:
    """Tell the group's moderators that someone asks to join."""
    rows = await Member.select(Member.user).where(
        Member.group == group.id, Member.state == states.ACTIVE, Member.role.is_in(list(states.MODERATING_ROLES)))
    await notifications.send(Notice("groups.join_requested", user_ids=[r["user"] for r in rows],
                                    key=f"{subject(group.id)}:request:{user_id}", subject=subject(group.id),
                                    context={"group": group_context(group)}))


async def request_answered(group: GroupInfo, user_id: int, approved: bool) -> None:
    """Tell a user their request to join was approved or rejected."""
    await notifications.send(Notice("groups.request_answered", user_ids=(user_id,), subject=subject(group.id),
                                    key=f"{subject(group.id)}:answer",
                                    context={"group": group_context(group), "approved": approved}))
