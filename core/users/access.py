"""Roles and permissions: who holds which role, what it grants, and staff's edits of the roles themselves."""

from __future__ import annotations

import logging
from typing import Any

from core import audit
from core.errors import Conflict, NotFound, ValidationFailed
from core.hooks.registry import current
from core.users.directory import get_user
from core.users.roles import BUILTIN_ROLES
from core.users.tables import Role, UserRole

log = logging.getLogger("core.users")


async def ensure_builtin_roles() -> None:
    """Create the built-in roles that do not exist yet (idempotent; never overwrites an admin's edits)."""
    existing = {r["name"] for r in await Role.select(Role.name)}
    for name, (description, perms) in BUILTIN_ROLES.items():
        if name not in existing:
            await Role.insert(Role(name=name, description=description, permissions=perms, builtin=True)).on_conflict(
                action="DO NOTHING"
            )


async def _role_id(role_name: str) -> int:
    await ensure_builtin_roles()
    role = await Role.select(Role.id).where(Role.name == role_name).first()
    if role is None:
        raise NotFound("role %(role_name)r not found", params={"role_name": role_name}, code="role_not_found")
    return int(role["id"])


async def grant_role(user_id: int, role_name: str, actor_id: int | None = None) -> None:
    """Give ``user_id`` the role ``role_name`` (idempotent)."""
    role_id = await _role_id(role_name)
    await get_user(user_id)
    exists = await UserRole.exists().where((UserRole.user == user_id) & (UserRole.role == role_id))
    if not exists:
        await UserRole.insert(UserRole(user=user_id, role=role_id))
        log.info("user %s granted role %s to user %s", actor_id, role_name, user_id)
        if actor_id is not None or role_name != "user":  # everyone gets "user" at sign-up: not a privileged act
            await audit.record(actor_id, "user.role_grant", "user", user_id, after={"role": role_name})


async def revoke_role(user_id: int, role_name: str, actor_id: int | None = None) -> None:
    """Take the role ``role_name`` from ``user_id`` (idempotent)."""
    role_id = await _role_id(role_name)
    gone = await UserRole.delete().where((UserRole.user == user_id) & (UserRole.role == role_id)).returning(
        UserRole.id)
    log.info("user %s revoked role %s from user %s", actor_id, role_name, user_id)
    if gone:
        await audit.record(actor_id, "user.role_revoke", "user", user_id, before={"role": role_name})


async def roles_of(user_id: int) -> list[str]:
    """Names of the user's roles."""
    rows = await UserRole.select(UserRole.role.name).where(UserRole.user == user_id)
    return sorted({r["role.name"] for r in rows})  # a set: two concurrent grants may both have inserted


async def permissions_of(user_id: int) -> frozenset[str]:
    """Every permission the user holds through their roles (``*`` means all)."""
    rows = await UserRole.select(UserRole.role.permissions).where(UserRole.user == user_id)
    perms: set[str] = set()
    for r in rows:
        perms.update(r["role.permissions"] or [])
    return frozenset(perms)


async def roles_and_permissions(user_id: int) -> tuple[tuple[str, ...], frozenset[str]]:
    """The user's role names and permissions in one query (every authenticated request needs both)."""
    rows = await UserRole.select(UserRole.role.name, UserRole.role.permissions).where(UserRole.user == user_id)
    perms: set[str] = set()
    for r in rows:
        perms.update(r["role.permissions"] or [])
    return tuple(sorted({r["role.name"] for r in rows})), frozenset(perms)


def allows(permissions: frozenset[str], permission: str) -> bool:
    """Whether a permission set grants ``permission``."""
    return "*" in permissions or permission in permissions


def admin_panel_permissions() -> set[str]:
    """Names of the declared permissions that open the admin panel."""
    return {name for name, p in current().permissions().items() if p.admin_panel}


async def is_staff(user_id: int) -> bool:
    """Whether the user holds any admin-panel permission (staff must use TOTP there)."""
    perms = await permissions_of(user_id)
    return "*" in perms or bool(perms & admin_panel_permissions())


async def list_roles() -> list[dict[str, Any]]:
    """Every role with its permissions."""
    await ensure_builtin_roles()
    return await Role.select(Role.name, Role.description, Role.permissions, Role.builtin).order_by(Role.name)


def _check_permissions(perms: list[str]) -> list[str]:
    known = set(current().permissions())
    bad = [p for p in perms if p != "*" and p not in known]
    if bad:
        raise ValidationFailed("Unknown permissions", code="unknown_permission",
                               errors=[{"pointer": "/permissions", "detail": f"unknown: {', '.join(bad)}"}])
    return sorted(set(perms))


async def create_role(name: str, description: str, permissions: list[str], actor_id: int | None) -> None:
    """Create a custom role (409 when the name is taken)."""
    perms = _check_permissions(permissions)
    await ensure_builtin_roles()
    if await Role.exists().where(Role.name == name):
        raise Conflict("role %(name)r exists", params={"name": name}, code="role_exists")
    await Role.insert(Role(name=name, description=description, permissions=perms, builtin=False))
    log.info("user %s created role %s with %s", actor_id, name, perms)
    await audit.record(actor_id, "role.create", "role", name, after={"description": description, "permissions": perms})


async def update_role(name: str, actor_id: int | None, description: str | None = None,
                      permissions: list[str] | None = None) -> None:
    """Edit a role's description or permissions (built-in roles too; the admin role keeps ``*``)."""
    await _role_id(name)
    old = await Role.select(Role.description, Role.permissions).where(Role.name == name).first()
    values: dict[Any, Any] = {}
    if description is not None:
        values[Role.description] = description
    if permissions is not None:
        if name == "admin" and "*" not in permissions:
            raise Conflict("The admin role keeps every permission", code="admin_role_locked")
        values[Role.permissions] = _check_permissions(permissions)
    if values:
        await Role.update(values).where(Role.name == name)
        new = await Role.select(Role.description, Role.permissions).where(Role.name == name).first()
        changed = [k for k in ("description", "permissions") if old and new and old[k] != new[k]]
        if changed and old and new:
            await audit.record(actor_id, "role.update", "role", name, before={k: old[k] for k in changed},
                               after={k: new[k] for k in changed})
    log.info("user %s updated role %s", actor_id, name)


async def delete_role(name: str, actor_id: int | None) -> None:
    """Delete a custom role (built-in roles cannot be deleted)."""
    role_id = await _role_id(name)
    if name in BUILTIN_ROLES:
        raise Conflict("Built-in roles cannot be deleted", code="builtin_role")
    await UserRole.delete().where(UserRole.role == role_id)
    await Role.delete().where(Role.id == role_id)
    log.info("user %s deleted role %s", actor_id, name)
    await audit.record(actor_id, "role.delete", "role", name)
