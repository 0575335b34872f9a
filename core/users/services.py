"""Users' rules: accounts, roles and permission checks. Other plugins use these functions, never the tables."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.errors import NotFound
from core.users.roles import BUILTIN_ROLES
from core.users.tables import Role, User, UserRole

log = logging.getLogger("core.users")


@dataclass(frozen=True)
class UserSummary:
    """What other plugins may know about a user."""

    id: int
    display_name: str
    status: str


async def get_user(user_id: int) -> UserSummary:
    """Return a user's public summary or raise NotFound."""
    row = await User.select(User.id, User.display_name, User.status).where(User.id == user_id).first()
    if row is None:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    return UserSummary(row["id"], row["display_name"], row["status"])


async def ensure_builtin_roles() -> None:
    """Create the built-in roles that do not exist yet (idempotent; never overwrites an admin's edits)."""
    existing = {r["name"] for r in await Role.select(Role.name)}
    for name, (description, perms) in BUILTIN_ROLES.items():
        if name not in existing:
            await Role.insert(Role(name=name, description=description, permissions=perms, builtin=True)).on_conflict(
                action="DO NOTHING"
            )


async def grant_role(user_id: int, role_name: str) -> None:
    """Give ``user_id`` the role ``role_name`` (idempotent)."""
    await ensure_builtin_roles()
    role = await Role.select(Role.id).where(Role.name == role_name).first()
    if role is None:
        raise NotFound(f"role {role_name!r} not found", code="role_not_found")
    exists = await UserRole.exists().where((UserRole.user == user_id) & (UserRole.role == role["id"]))
    if not exists:
        await UserRole.insert(UserRole(user=user_id, role=role["id"]))
        log.info("granted role %s to user %s", role_name, user_id)


async def roles_of(user_id: int) -> list[str]:
    """Names of the user's roles."""
    rows = await UserRole.select(UserRole.role.name).where(UserRole.user == user_id)
    return sorted(r["role.name"] for r in rows)


async def permissions_of(user_id: int) -> frozenset[str]:
    """Every permission the user holds through their roles (``*`` means all)."""
    rows = await UserRole.select(UserRole.role.permissions).where(UserRole.user == user_id)
    perms: set[str] = set()
    for r in rows:
        perms.update(r["role.permissions"] or [])
    return frozenset(perms)


def allows(permissions: frozenset[str], permission: str) -> bool:
    """Whether a permission set grants ``permission``."""
    return "*" in permissions or permission in permissions
