"""Low-level helpers of groups: the transaction, group and membership loads (locked or not), snapshots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from core import db
from core.errors import NotFound, ValidationFailed
from plugins.groups.hookspecs import GroupInfo
from plugins.groups.states import ACTIVE, OWNER
from plugins.groups.tables import Group, Member

Row = dict[str, Any]

GROUP_FIELDS = ("id", "name", "slug", "description", "cover_ref", "tags", "city", "latitude", "longitude",
                "visibility", "join_policy", "member_count", "follower_count", "version", "created_at", "updated_at",
                "deleted_at", "hidden_at")


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A transaction on the primary; Piccolo queries and hook implementations in this task join it."""
    async with db.engine().transaction():
        yield


def fail(pointer: str, detail: str, code: str = "validation_failed",
         params: dict[str, Any] | None = None) -> ValidationFailed:
    """One-field validation error; ``detail``'s ``%(name)s`` placeholders come from ``params`` (422)."""
    error = ValidationFailed(detail, code=code, params=params)
    error.extra["errors"] = [{"pointer": pointer, "detail": error.detail}]
    return error


def not_found(group: int | str) -> NotFound:
    """The one answer for a group that does not exist, is deleted, or is hidden from the caller."""
    return NotFound("group %(group)s not found", params={"group": group}, code="group_not_found")


async def load_group(group_id: int, *, lock: bool = False) -> Row:
    """A group row (not deleted); ``lock`` takes its row lock for the rest of the transaction."""
    query = Group.select(*(getattr(Group, f) for f in GROUP_FIELDS)).where(
        Group.id == group_id, Group.deleted_at.is_null())
    if lock:
        query = query.lock_rows("UPDATE")
    row = await query.first()
    if row is None:
        raise not_found(group_id)
    return row


async def group_by_slug(slug: str) -> Row:
    """A group row by its slug (not deleted)."""
    row = await Group.select(*(getattr(Group, f) for f in GROUP_FIELDS)).where(
        Group.slug == slug, Group.deleted_at.is_null()).first()
    if row is None:
        raise not_found(slug)
    return row


async def membership(group_id: int, user_id: int | None, *, lock: bool = False) -> Row | None:
    """The user's member row in the group (any state), or None."""
    if user_id is None:
        return None
    query = Member.select(Member.id, Member.role, Member.state, Member.joined_at, Member.invited_by).where(
        Member.group == group_id, Member.user == user_id)
    if lock:
        query = query.lock_rows("UPDATE")
    return await query.first()


async def active_role(group_id: int, user_id: int | None) -> str | None:
    """The user's role if an active member, else None."""
    row = await membership(group_id, user_id)
    return str(row["role"]) if row is not None and row["state"] == ACTIVE else None


async def owner_of(group_id: int) -> int:
    """The user id of the group's (one) active owner; 0 if none (only between the steps of a transfer)."""
    row = await Member.select(Member.user).where(
        Member.group == group_id, Member.role == OWNER, Member.state == ACTIVE).first()
    return int(row["user"]) if row else 0


def info_of(row: Row, owner_id: int) -> GroupInfo:
    """The public snapshot of a group row."""
    return GroupInfo(
        id=row["id"], slug=row["slug"], name=row["name"], description=row["description"],
        visibility=row["visibility"], join_policy=row["join_policy"], tags=tuple(row["tags"] or ()), city=row["city"],
        latitude=row["latitude"], longitude=row["longitude"], member_count=row["member_count"], owner_id=owner_id,
        hidden=row["hidden_at"] is not None,
    )


async def snapshot(group_id: int) -> GroupInfo:
    """Re-read the group (inside the transaction: after the change) and return its snapshot."""
    return info_of(await load_group(group_id), await owner_of(group_id))
