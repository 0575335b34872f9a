"""Membership: joining, leaving, invitations by user, requests, bans, roles and the ownership transfer. No Litestar."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core import clock, hooks, ratelimit
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.users.directory import get_user
from plugins.groups import hookspecs, notifications, states, store
from plugins.groups.states import ACTIVE, BANNED, INVITED, LEFT, LINK, MODERATOR, NONE, OWNER, REJECTED, REQUESTED, SELF
from plugins.groups.store import Row
from plugins.groups.tables import Group, Member

log = logging.getLogger("plugins.groups")

JOINS_PER_HOUR = 30


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user, and whether they hold ``groups.moderate`` (platform moderators see every group)."""

    user_id: int
    platform_moderator: bool = False


async def visible_group(actor: Actor | None, group_id: int, *, lock: bool = False) -> Row:
    """The group if the actor may see it; NotFound otherwise.

    A private group is 404 to all but its members and invitees, a group hidden by reports to all but its active
    members; platform moderators see every group.
    """
    row = await store.load_group(group_id, lock=lock)
    hidden = row["hidden_at"] is not None
    if (row["visibility"] != "private" and not hidden) or (actor is not None and actor.platform_moderator):
        return row
    mine = await store.membership(group_id, actor.user_id if actor else None)
    if mine is None or mine["state"] not in ((ACTIVE,) if hidden else (ACTIVE, INVITED)):
        raise store.not_found(group_id)
    return row


async def require_moderator(actor: Actor, group_id: int) -> str:
    """The actor's role if they moderate the group (owner, admin, moderator); 403 ``not_group_moderator`` otherwise."""
    role = await store.active_role(group_id, actor.user_id)
    if role not in states.MODERATING_ROLES:
        raise PermissionDenied("Only the group's moderators may do this", code="not_group_moderator")
    return str(role)


async def move(group_id: int, user_id: int, target: str, who: str, *, actor_id: int, reason: str = "",
               invited_by: int | None = None, current_row: Row | None = None) -> str:
    """Check and apply one membership move on the locked group; keep the count; fire the hooks. Returns the role."""
    row = current_row if current_row is not None else await store.membership(group_id, user_id, lock=True)
    current = NONE if row is None else str(row["state"])
    if current == BANNED and who in (SELF, LINK):
        raise PermissionDenied("You are banned from this group", code="member_banned")
    states.check_move(current, target, who)
    now = clock.now()
    role = states.MEMBER  # a (re)joining member starts as a member; a leaving one keeps no role
    joined_at = now if target == ACTIVE else (row["joined_at"] if row else None)
    if row is None:
        await Member.insert(Member(group=group_id, user=user_id, role=role, state=target, invited_by=invited_by,
                                   joined_at=joined_at, created_at=now, updated_at=now))
    else:
        values: dict[object, object] = {Member.state: target, Member.role: role, Member.joined_at: joined_at,
                                         Member.updated_at: now}
        if invited_by is not None:
            values[Member.invited_by] = invited_by
        await Member.update(values).where(Member.id == row["id"])  # type: ignore[arg-type]
    delta = (target == ACTIVE) - (current == ACTIVE)
    if delta:
        await Group.update({Group.member_count: Group.member_count + delta, Group.updated_at: now}).where(
            Group.id == group_id)
        group = await store.snapshot(group_id)
        if delta > 0:
            await hooks.notify(hookspecs.member_joined, group=group, user_id=user_id, role=role)
        else:
            await hooks.notify(hookspecs.member_left, group=group, user_id=user_id, reason=reason or "left")
    log.info("user %s moved member %s of group %s: %s -> %s", actor_id, user_id, group_id, current, target)
    return role


# ---------------------------------------------------------------------------------------------------------------------
# The member's own moves
# ---------------------------------------------------------------------------------------------------------------------


async def join(actor: Actor, group_id: int) -> str:
    """Join by the group's policy: open → active, request → requested, invite → only an invitee (accepting it)."""
    await ratelimit.hit("groups.join", str(actor.user_id), limit=JOINS_PER_HOUR, window_s=3600)
    async with store.transaction():
        group = await visible_group(actor, group_id, lock=True)
        mine = await store.membership(group_id, actor.user_id, lock=True)
        current = NONE if mine is None else mine["state"]
        if current == INVITED or group["join_policy"] == "open":
            target = ACTIVE
        elif group["join_policy"] == "request":
            target = REQUESTED
        elif current == BANNED:
            target = ACTIVE  # refused below as banned
        else:
            raise PermissionDenied("This group is by invitation only", code="invitation_required")
        await move(group_id, actor.user_id, target, SELF, actor_id=actor.user_id, current_row=mine)
        if target == REQUESTED:
            await notifications.join_requested(await store.snapshot(group_id), actor.user_id)
    return target


async def leave(actor: Actor, group_id: int) -> None:
    """Leave (active), withdraw my request, or decline my invitation. The owner transfers ownership first (409)."""
    async with store.transaction():
        await visible_group(actor, group_id, lock=True)
        mine = await store.membership(group_id, actor.user_id, lock=True)
        if mine is not None and mine["state"] == ACTIVE and mine["role"] == OWNER:
            raise Conflict("The owner cannot leave; transfer the ownership first", code="owner_cannot_leave")
        await move(group_id, actor.user_id, LEFT, SELF, actor_id=actor.user_id, current_row=mine)


async def accept_invitation(actor: Actor, group_id: int) -> None:
    """Accept my invitation (invited → active)."""
    async with store.transaction():
        await visible_group(actor, group_id, lock=True)
        mine = await store.membership(group_id, actor.user_id, lock=True)
        if mine is None or mine["state"] != INVITED:
            raise Conflict("There is no invitation to accept", code="illegal_member_move",
                           current_state=mine["state"] if mine else NONE, target_state=ACTIVE)
        await move(group_id, actor.user_id, ACTIVE, SELF, actor_id=actor.user_id, current_row=mine)


async def decline_invitation(actor: Actor, group_id: int) -> None:
    """Decline my invitation (invited → left)."""
    async with store.transaction():
        await visible_group(actor, group_id, lock=True)
        mine = await store.membership(group_id, actor.user_id, lock=True)
        if mine is None or mine["state"] != INVITED:
            raise Conflict("There is no invitation to decline", code="illegal_member_move",
                           current_state=mine["state"] if mine else NONE, target_state=LEFT)
        await move(group_id, actor.user_id, LEFT, SELF, actor_id=actor.user_id, current_row=mine)


# ---------------------------------------------------------------------------------------------------------------------
# Moderators' moves on others
# ---------------------------------------------------------------------------------------------------------------------


async def _target(group_id: int, user_id: int, actor: Actor, actor_role: str) -> Row | None:
    """The target's row (locked); refuses acting on oneself here, and on someone of an equal or higher role."""
    if user_id == actor.user_id:
        raise Conflict("Use the member's own operations on yourself", code="illegal_member_move")
    row = await store.membership(group_id, user_id, lock=True)
    target_role = states.MEMBER if row is None or row["state"] != ACTIVE else str(row["role"])
    if not states.outranks(actor_role, target_role):
        raise PermissionDenied("A %(actor_role)s cannot act on a %(target_role)s", code="insufficient_group_role",
                               params={"actor_role": actor_role, "target_role": target_role})
    return row


async def moderate(actor: Actor, group_id: int, user_id: int, target: str, reason: str) -> None:
    """A moderator's move on a member: approve (requested → active), reject, remove, ban, unban, cancel an invite."""
    async with store.transaction():
        await visible_group(actor, group_id, lock=True)
        role = await require_moderator(actor, group_id)
        row = await _target(group_id, user_id, actor, role)
        if row is None and target != BANNED:
            raise NotFound("user %(user_id)s is not in group %(group_id)s",
                           params={"user_id": user_id, "group_id": group_id}, code="member_not_found")
        if row is None:
            await get_user(user_id)
        await move(group_id, user_id, target, MODERATOR, actor_id=actor.user_id, reason=reason, current_row=row)
        if row is not None and row["state"] == REQUESTED and target in (ACTIVE, REJECTED):
            await notifications.request_answered(await store.snapshot(group_id), user_id, target == ACTIVE)


async def invite_user(actor: Actor, group_id: int, user_id: int) -> None:
    """Invite a user (a member row in state invited; they accept or decline). 404 ``user_not_found``."""
    await ratelimit.hit("groups.invite", str(actor.user_id), limit=100, window_s=3600)
    async with store.transaction():
        await visible_group(actor, group_id, lock=True)
        role = await require_moderator(actor, group_id)
        user = await get_user(user_id)
        if user.status != "active":
            raise NotFound("user %(user_id)s not found", params={"user_id": user_id}, code="user_not_found")
        row = await _target(group_id, user_id, actor, role)
        await move(group_id, user_id, INVITED, MODERATOR, actor_id=actor.user_id, invited_by=actor.user_id,
                   current_row=row)
        await notifications.invited(await store.snapshot(group_id), user_id, actor.user_id)


async def set_role(actor: Actor, group_id: int, user_id: int, role: str) -> None:
    """Set an active member's role: the owner sets admin/moderator/member, an admin moderator/member (below them)."""
    if user_id == actor.user_id:
        raise Conflict("Nobody changes their own role", code="own_role_change")
    if role == OWNER:
        raise ValidationFailed("Ownership moves by transfer", code="use_transfer",
                               errors=[{"pointer": "/role", "detail": "use transfer_ownership"}])
    async with store.transaction():
        await visible_group(actor, group_id, lock=True)
        mine = await require_moderator(actor, group_id)
        if role not in states.ROLE_SETTERS.get(mine, frozenset()):
            raise PermissionDenied("A %(mine)s cannot give the role %(role)s",
                                   params={"mine": mine, "role": role}, code="insufficient_group_role")
        row = await _target(group_id, user_id, actor, mine)
        if row is None or row["state"] != ACTIVE:
            raise NotFound("user %(user_id)s is not an active member",
                           params={"user_id": user_id}, code="member_not_found")
        await Member.update({Member.role: role, Member.updated_at: clock.now()}).where(Member.id == row["id"])
    log.info("user %s set the role of %s in group %s to %s", actor.user_id, user_id, group_id, role)


async def transfer_ownership(actor: Actor, group_id: int, user_id: int) -> None:
    """Make an active member the owner; the old owner becomes an admin. The group's row lock orders racing transfers."""
    async with store.transaction():
        await visible_group(actor, group_id, lock=True)  # every transfer of this group queues here
        if await store.active_role(group_id, actor.user_id) != OWNER:
            raise PermissionDenied("Only the owner transfers the ownership", code="not_group_owner")
        if user_id == actor.user_id:
            raise Conflict("You already own this group", code="own_role_change")
        row = await store.membership(group_id, user_id, lock=True)
        if row is None or row["state"] != ACTIVE:
            raise NotFound("user %(user_id)s is not an active member",
                           params={"user_id": user_id}, code="member_not_found")
        await hand_over(group_id, actor.user_id, user_id)
    log.info("user %s transferred group %s to %s", actor.user_id, group_id, user_id)


async def hand_over(group_id: int, old_owner: int | None, new_owner: int) -> None:
    """Demote the old owner (to admin) then promote the new one: the one-owner index holds at every statement."""
    now = clock.now()
    if old_owner is not None:
        await Member.update({Member.role: states.ADMIN, Member.updated_at: now}).where(
            Member.group == group_id, Member.user == old_owner)
    await Member.update({Member.role: OWNER, Member.updated_at: now}).where(
        Member.group == group_id, Member.user == new_owner)

