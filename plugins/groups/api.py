"""The public Python API of groups for plugins that depend on it (search, chat, partners): import only this."""

from __future__ import annotations

from core.errors import NotFound
from plugins.groups import store
from plugins.groups.hookspecs import GroupInfo
from plugins.groups.states import MODERATING_ROLES, ROLES

__all__ = ["MODERATING_ROLES", "ROLES", "GroupInfo", "active_role", "can_see", "exists", "get_group", "is_moderator"]


async def active_role(group_id: int, user_id: int | None) -> str | None:
    """The user's role (``owner``, ``admin``, ``moderator``, ``member``) if an ACTIVE member of the group, else None.

    None also for a deleted or missing group.
    """
    if user_id is None:
        return None
    role = await store.active_role(group_id, user_id)
    if role is None or not await exists(group_id):
        return None
    return role


async def exists(group_id: int) -> bool:
    """Whether the group exists and is not deleted."""
    try:
        await store.load_group(group_id)
    except NotFound:
        return False
    return True


async def is_moderator(group_id: int, user_id: int | None) -> bool:
    """Whether the user is an active owner, admin or moderator of the group."""
    return await active_role(group_id, user_id) in MODERATING_ROLES


async def get_group(group_id: int) -> GroupInfo:
    """The snapshot of a group; NotFound(code="group_not_found") when missing or deleted."""
    return await store.snapshot(group_id)


async def can_see(group_id: int, user_id: int | None) -> bool:
    """Whether the user may see the group at all: not deleted, and public/unlisted or they are an active member.

    A private group, or one hidden by reports, is invisible (404 everywhere) to everyone but its active members.
    """
    try:
        row = await store.load_group(group_id)
    except NotFound:
        return False
    if row["visibility"] != "private" and row["hidden_at"] is None:
        return True
    return await store.active_role(group_id, user_id) is not None
