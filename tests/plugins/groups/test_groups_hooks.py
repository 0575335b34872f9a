"""The hooks groups offers fire inside the change's transaction; the hooks it implements do what their specs say."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core import db, hooks
from core.hooks import hookimpl
from core.hooks import hookspecs as core_specs
from core.hooks.manager import PluginsFile, Registry, activate, build, discover
from plugins.groups import members, services
from plugins.groups.hookspecs import GroupInfo
from plugins.groups.members import Actor
from tests.core.hooks.fakes import fake_plugin


@pytest.fixture
def calls(sbor_database: Registry) -> Iterator[list[tuple[Any, ...]]]:
    """Enable events, groups and a spy plugin recording groups' hooks (and whether a transaction was open)."""
    seen: list[tuple[Any, ...]] = []

    def group_created(group: GroupInfo, actor_id: int) -> None:
        seen.append(("created", group.slug, actor_id, db.current_transaction() is not None))

    def group_changed(group: GroupInfo, actor_id: int) -> None:
        seen.append(("changed", group.name, actor_id, db.current_transaction() is not None))

    def group_deleted(group: GroupInfo, actor_id: int) -> None:
        seen.append(("deleted", group.name, actor_id, db.current_transaction() is not None))

    def member_joined(group: GroupInfo, user_id: int, role: str) -> None:
        seen.append(("joined", group.member_count, user_id, role, db.current_transaction() is not None))

    def member_left(group: GroupInfo, user_id: int, reason: str) -> None:
        seen.append(("left", group.member_count, user_id, reason, db.current_transaction() is not None))

    spy = fake_plugin("spy", depends={"groups": ">=0.1,<1"}, hooks={
        "group_created": hookimpl(group_created), "member_joined": hookimpl(member_joined),
        "group_changed": hookimpl(group_changed), "group_deleted": hookimpl(group_deleted),
        "member_left": hookimpl(member_left)})
    registry = build(PluginsFile(enabled=["events", "groups", "spy"]), available={**discover(), "spy": spy})
    activate(registry)
    yield seen
    activate(sbor_database)


async def test_offered_hooks_fire_in_the_transaction(calls: list[tuple[Any, ...]], make_user: Any) -> None:
    owner, joiner, banned = (await make_user()).id, (await make_user()).id, (await make_user()).id
    group_id = await services.create_group(Actor(owner), {"name": "Hooked", "tags": []})
    await members.join(Actor(joiner), group_id)
    await members.join(Actor(banned), group_id)
    await members.leave(Actor(joiner), group_id)
    await members.moderate(Actor(owner), group_id, banned, "banned", "banned")
    await services.update_group(Actor(owner), group_id, {"name": "Renamed"}, None)
    await services.delete_group(Actor(owner), group_id)
    assert calls == [
        ("created", "hooked", owner, True),
        ("joined", 2, joiner, "member", True),
        ("joined", 3, banned, "member", True),
        ("left", 2, joiner, "left", True),
        ("left", 1, banned, "banned", True),
        ("changed", "Renamed", owner, True),
        ("deleted", "Renamed", owner, True),
    ]


async def test_share_context_export_and_erasure(make_user: Any, sbor_database: Registry) -> None:
    owner, admin, member, stranger = [(await make_user()).id for _ in range(4)]
    group_id = await services.create_group(Actor(owner), {"name": "Shared"})
    lonely = await services.create_group(Actor(owner), {"name": "Lonely"})
    for u in (admin, member):
        await members.join(Actor(u), group_id)
    await members.set_role(Actor(owner), group_id, admin, "admin")
    await services.follow(Actor(stranger), group_id)

    assert await hooks.first(core_specs.users_share_context, viewer_id=member, owner_id=owner) is True
    assert await hooks.first(core_specs.users_share_context, viewer_id=stranger, owner_id=owner) is None

    exported = {}
    for part in await hooks.call(core_specs.user_data_export, user_id=owner):
        exported.update(part or {})
    assert {m["name"] for m in exported["groups"]["memberships"]} == {"Shared", "Lonely"}

    # The owner is erased: the group passes to the longest-serving admin; the lonely group is deleted.
    async with db.engine().transaction():
        await hooks.call(core_specs.user_erasure, user_id=owner)
    rows = await db.fetch('SELECT "user", role, state FROM groups.member WHERE "group" = $1 ORDER BY id', group_id)
    assert [(r["user"], r["role"], r["state"]) for r in rows] == [
        (owner, "member", "left"), (admin, "owner", "active"), (member, "member", "active")]
    gone = await db.fetch('SELECT deleted_at, member_count FROM groups."group" WHERE id = $1', lonely)
    assert gone[0]["deleted_at"] is not None
    count = await db.fetch('SELECT member_count FROM groups."group" WHERE id = $1', group_id)
    assert count[0]["member_count"] == 2
    async with db.engine().transaction():  # idempotent
        await hooks.call(core_specs.user_erasure, user_id=owner)
