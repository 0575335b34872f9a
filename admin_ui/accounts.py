"""The panel's view of accounts: staff sign-in checks, user search, ban/unban, roles — over core.users/core.auth."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import clock
from core.auth import services as auth
from core.auth.accounts import authenticate_password
from core.errors import Conflict, NotFound, ValidationFailed
from core.hooks.manager import current
from core.pagination import Page, decode_cursor, encode_cursor
from core.users import services as users
from core.users.tables import User

log = logging.getLogger("admin_ui.accounts")


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member of an admin request."""

    user_id: int
    email: str
    display_name: str
    permissions: frozenset[str]
    timezone: str
    language: str = "en"  # the panel's language: the staff member's profile language (switchable in the panel)

    def has(self, permission: str) -> bool:
        """Whether the staff member holds ``permission``."""
        return users.allows(self.permissions, permission)


def is_staff_set(perms: frozenset[str]) -> bool:
    """Whether a permission set lets its holder into the panel (any permission declared ``admin_panel=True``)."""
    return "*" in perms or bool(perms & users.admin_panel_permissions())


async def authenticate(identifier: str, password: str, totp_code: str | None, require_totp: bool, ip: str) -> int:
    """Check password and second factor through core.auth; return the user id or raise NotAuthenticated(code=...).

    Codes: ``invalid_credentials``, ``account_inactive``, ``totp_setup_required``, ``totp_required``,
    ``totp_invalid``; RateLimited past core.auth's throttle (per address and per account).
    """
    return await authenticate_password(identifier, password, totp_code or None, require_totp=require_totp, ip=ip)


async def is_staff_account(identifier: str) -> bool:
    """Whether the account signing in as ``identifier`` holds a panel permission (False when there is none)."""
    from core.auth.accounts import find_account

    row = await find_account(identifier)
    return row is not None and is_staff_set(await users.permissions_of(int(row["id"])))


async def load_staff(user_id: int, timezone: str) -> Staff | None:
    """Resolve a staff member from the database on every request: a banned or demoted user is out at once."""
    row = await User.select(User.id, User.email, User.display_name, User.status, User.language).where(
        User.id == user_id).first()
    if row is None or row["status"] != "active":
        return None
    perms = await users.permissions_of(user_id)
    return Staff(user_id, row["email"] or "", row["display_name"], perms, timezone, row["language"] or "en")


USERS = "admin.users"
"""The cursor scope of the panel's user list."""


async def search_users(q: str, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """Users matching ``q`` in email, phone or name (newest first), one page; a bad cursor is ``InvalidCursor``."""
    after = decode_cursor(cursor, int, scope=USERS)[0] if cursor else None
    rows, next_id = await users.list_users(q.strip() or None, None, after, limit)
    return Page(items=rows, next_cursor=None if next_id is None else encode_cursor(next_id, scope=USERS))


async def user_profile(user_id: int) -> dict[str, Any]:
    """Everything the panel shows about one user."""
    row = await User.select(
        User.id, User.email, User.phone, User.display_name, User.status, User.ban_reason, User.banned_until,
        User.is_verified, User.created_at,
    ).where(User.id == user_id).first()
    if row is None:
        raise NotFound("user %(user_id)s not found", params={"user_id": user_id}, code="user_not_found")
    row["roles"] = await users.roles_of(user_id)
    row["sessions"] = await auth.list_sessions(user_id)
    return row


async def counts() -> dict[str, int]:
    """Users total and new in the last 7 days."""
    total = await User.count()
    week = await User.count().where(User.created_at >= clock.now() - timedelta(days=7))
    return {"total": total, "week": week}


async def ban(user_id: int, reason: str, actor_id: int, until: datetime | None = None) -> dict[str, Any]:
    """Ban ``user_id`` (every session ends at once), until ``until`` when given; core.users writes the audit log."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Give a reason", code="reason_required", errors=[{"pointer": "/reason",
                                                                                  "detail": "A reason is required."}])
    if user_id == actor_id:
        raise Conflict("You cannot ban yourself", code="ban_self")
    before = await user_profile(user_id)
    if before["status"] == "banned":
        raise Conflict("This user is already banned", code="already_banned")
    await users.ban_user(user_id, reason, actor_id, until)  # ends every API session at once
    log.info("user %s banned by %s", user_id, actor_id)
    return {"before": {"status": before["status"]}, "after": {"status": "banned", "reason": reason}}


async def unban(user_id: int, reason: str, actor_id: int) -> dict[str, Any]:
    """Lift a ban (core.users writes the audit log, with the reason)."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Give a reason", code="reason_required", errors=[{"pointer": "/reason",
                                                                                  "detail": "A reason is required."}])
    before = await user_profile(user_id)
    if before["status"] != "banned":
        raise Conflict("This user is not banned", code="not_banned")
    await users.unban_user(user_id, actor_id, reason)
    log.info("user %s unbanned by %s", user_id, actor_id)
    return {"before": {"status": "banned", "reason": before["ban_reason"]}, "after": {"status": "active"}}


async def all_roles() -> list[dict[str, Any]]:
    """Every role with its permissions, built-in ones first."""
    roles = await users.list_roles()
    return sorted(roles, key=lambda r: (not r["builtin"], r["name"]))


async def set_user_roles(user_id: int, wanted: set[str], actor_id: int) -> dict[str, Any]:
    """Make ``user_id``'s roles exactly ``wanted`` (``user`` always stays); return before/after."""
    await user_profile(user_id)
    known = {r["name"] for r in await all_roles()}
    unknown = wanted - set(known)
    if unknown:
        raise ValidationFailed("Unknown role", code="role_not_found",
                               errors=[{"pointer": "/roles", "detail": f"Unknown role {sorted(unknown)[0]!r}."}])
    wanted = wanted | {"user"}
    before = set(await users.roles_of(user_id))
    for name in sorted(wanted - before):
        await users.grant_role(user_id, name, actor_id)
    for name in sorted(before - wanted):
        await users.revoke_role(user_id, name, actor_id)
    log.info("roles of user %s set to %s by %s", user_id, sorted(wanted), actor_id)
    return {"before": {"roles": sorted(before)}, "after": {"roles": sorted(wanted)}}


async def set_role_permissions(name: str, wanted: set[str], actor_id: int) -> dict[str, Any]:
    """Replace the permissions of role ``name`` with ``wanted`` (names from the registry); return before/after."""
    row = next((r for r in await users.list_roles() if r["name"] == name), None)
    if row is None:
        raise NotFound("role %(name)r not found", params={"name": name}, code="role_not_found")
    if "*" in (row["permissions"] or []):
        raise Conflict("This role holds every permission and cannot be edited", code="role_locked")
    unknown = wanted - set(current().permissions())
    if unknown:  # the same check core makes, phrased for the form
        raise ValidationFailed("Unknown permission", code="unknown_permission", errors=[
            {"pointer": "/permissions", "detail": f"Unknown permission {sorted(unknown)[0]!r}."}])
    await users.update_role(name, actor_id, permissions=sorted(wanted))
    log.info("permissions of role %s set by %s", name, actor_id)
    return {"before": {"permissions": sorted(row["permissions"] or [])}, "after": {"permissions": sorted(wanted)}}


def localtime(value: datetime | None, tz: str) -> str:
    """Format an aware datetime in the staff member's timezone."""
    if value is None:
        return ""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
