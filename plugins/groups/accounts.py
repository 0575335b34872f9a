"""A user's groups data: export, erasure (an erased owner hands the group on, or it is deleted), shared groups."""

from __future__ import annotations

import logging
from typing import Any

from core import clock, db
from plugins.events.hookspecs import GroupAccess
from plugins.groups import sql, states, store
from plugins.groups.members import hand_over, move
from plugins.groups.tables import Follower, Group, InviteLink, Member

log = logging.getLogger("plugins.groups")


async def group_access(group_id: int, user_id: int | None) -> GroupAccess | None:
    """What the user may do with the group's events: None when the group is missing or hidden from them."""
    row = await Group.select(Group.name, Group.visibility, Group.hidden_at).where(
        Group.id == group_id, Group.deleted_at.is_null()).first()
    if row is None:
        return None
    role = await store.active_role(group_id, user_id)
    if (row["visibility"] == "private" or row["hidden_at"] is not None) and role is None:
        return None  # private, or hidden by reports: its name is not shown on its events' pages
    return GroupAccess(name=row["name"], member=role is not None, manager=role in states.MODERATING_ROLES)


async def share_group(viewer_id: int, owner_id: int) -> bool:
    """Whether the two are active members of one group."""
    return bool(await db.fetch(sql.USERS_SHARE_GROUP, viewer_id, owner_id))


async def export_user(user_id: int) -> dict[str, Any]:
    """The user's memberships, follows and the invitation links they made."""
    rows = await Member.select(Member.group, Member.group.name.as_alias("name"), Member.role, Member.state,
                               Member.joined_at, Member.created_at).where(Member.user == user_id).order_by(Member.id)
    follows = await Follower.select(Follower.group, Follower.created_at).where(Follower.user == user_id)
    links = await InviteLink.select(InviteLink.group, InviteLink.created_at, InviteLink.expires_at, InviteLink.uses
                                    ).where(InviteLink.created_by == user_id)

    def iso(r: dict[str, Any]) -> dict[str, Any]:
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}

    return {"memberships": [iso(r) for r in rows], "following": [iso(r) for r in follows],
            "invite_links": [iso(r) for r in links]}


async def erase_user(user_id: int) -> None:
    """Leave every group; follows go; invitation links they made are revoked. Idempotent.

    A group the erased user owns passes to its longest-serving admin, else moderator, else member (by the time they
    last joined); with no other member it is deleted.
    """
    now = clock.now()
    for row in await Member.select(Member.group, Member.role, Member.state).where(
            Member.user == user_id, Member.state.is_in([states.ACTIVE, states.INVITED, states.REQUESTED])):
        group_id = row["group"]
        group = await Group.select(Group.id, Group.deleted_at).where(Group.id == group_id).lock_rows("UPDATE").first()
        deleted = group is None or group["deleted_at"] is not None
        if not deleted and row["state"] == states.ACTIVE and row["role"] == states.OWNER:
            heir = await _heir(group_id, user_id)
            if heir is None:
                await Group.update({Group.deleted_at: now, Group.updated_at: now}).where(Group.id == group_id)
                log.info("group %s deleted with its only member %s", group_id, user_id)
                deleted = True
            else:
                await hand_over(group_id, user_id, heir)
                log.info("group %s passed from erased user %s to %s", group_id, user_id, heir)
        if deleted:  # a deleted group has no one to tell
            await Member.update({Member.state: states.LEFT, Member.role: states.MEMBER, Member.updated_at: now}).where(
                Member.group == group_id, Member.user == user_id)
        else:
            await move(group_id, user_id, states.LEFT, states.SELF, actor_id=user_id, reason="left")
    gone = await Follower.delete().where(Follower.user == user_id).returning(Follower.group)
    for r in gone:
        await Group.update({Group.follower_count: Group.follower_count - 1}).where(Group.id == r["group"])
    await InviteLink.update({InviteLink.revoked_at: now}).where(
        InviteLink.created_by == user_id, InviteLink.revoked_at.is_null())


async def _heir(group_id: int, user_id: int) -> int | None:
    for role in (states.ADMIN, states.GROUP_MODERATOR, states.MEMBER):
        row = await Member.select(Member.user).where(
            Member.group == group_id, Member.state == states.ACTIVE, Member.role == role, Member.user != user_id,
        ).order_by(Member.joined_at).order_by(Member.id).first()
        if row is not None:
            return int(row["user"])
    return None
