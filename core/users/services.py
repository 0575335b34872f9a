"""Users' rules: accounts, roles, permission checks, privacy. Other plugins use these functions, never the tables."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

from core import clock, hooks
from core.errors import Conflict, NotFound, ValidationFailed
from core.hooks import hookspecs
from core.users.roles import BUILTIN_ROLES
from core.users.tables import Role, User, UserRole

log = logging.getLogger("core.users")

ASPECTS = ("profile", "participation", "contact")
AUDIENCES = ("everyone", "shared", "nobody")
DEFAULT_PRIVACY = {"profile": "everyone", "participation": "shared", "contact": "shared"}


@dataclass(frozen=True)
class UserSummary:
    """What other plugins may know about a user."""

    id: int
    display_name: str
    status: str


@dataclass(frozen=True)
class Contact:
    """How to reach a user (for notifications): never shown to other users without ``can_see(..., "contact")``."""

    user_id: int
    email: str | None
    phone: str | None
    display_name: str
    language: str
    timezone: str


async def get_user(user_id: int) -> UserSummary:
    """Return a user's public summary or raise NotFound."""
    row = await User.select(User.id, User.display_name, User.status).where(User.id == user_id).first()
    if row is None:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    return UserSummary(row["id"], row["display_name"], row["status"])


async def get_contact(user_id: int) -> Contact:
    """Return where to reach ``user_id`` (email, phone, language, timezone) or raise NotFound."""
    row = await User.select(User.id, User.email, User.phone, User.display_name, User.language, User.timezone).where(
        User.id == user_id).first()
    if row is None:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    return Contact(row["id"], row["email"], row["phone"], row["display_name"], row["language"], row["timezone"])


async def get_contacts(user_ids: list[int]) -> dict[int, Contact]:
    """Like :func:`get_contact` for many users in one query (bulk senders); unknown ids are left out."""
    rows = await User.select(User.id, User.email, User.phone, User.display_name, User.language, User.timezone).where(
        User.id.is_in(list(user_ids) or [0]))
    return {r["id"]: Contact(r["id"], r["email"], r["phone"], r["display_name"], r["language"], r["timezone"])
            for r in rows}


def privacy_of(stored: Any) -> dict[str, str]:
    """A user's privacy settings with defaults filled in."""
    out = dict(DEFAULT_PRIVACY)
    if isinstance(stored, str):
        import json

        stored = json.loads(stored or "{}")
    out.update({k: v for k, v in (stored or {}).items() if k in ASPECTS and v in AUDIENCES})
    return out


async def can_see(viewer_id: int | None, owner_id: int, aspect: str) -> bool:
    """Whether ``viewer_id`` (None: anonymous) may see ``owner_id``'s ``aspect`` by the owner's privacy settings.

    ``aspect`` is ``profile``, ``participation`` or ``contact``; the audience is ``everyone``, ``shared`` (people
    sharing an event or group, answered by the ``users_share_context`` hook) or ``nobody``. Owners always see
    themselves; nobody sees a banned or deleted account's data.
    """
    if aspect not in ASPECTS:
        raise ValueError(f"unknown privacy aspect {aspect!r}")
    if viewer_id is not None and viewer_id == owner_id:
        return True
    row = await User.select(User.privacy, User.status).where(User.id == owner_id).first()
    if row is None or row["status"] != "active":
        return False
    audience = privacy_of(row["privacy"])[aspect]
    if audience == "everyone":
        return viewer_id is not None or aspect != "contact"
    if audience == "nobody" or viewer_id is None:
        return False
    return bool(await hooks.first(hookspecs.users_share_context, viewer_id=viewer_id, owner_id=owner_id))


# --------------------------------------------------------------------------------------------------------------------
# Roles and permissions
# --------------------------------------------------------------------------------------------------------------------


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
        raise NotFound(f"role {role_name!r} not found", code="role_not_found")
    return int(role["id"])


async def grant_role(user_id: int, role_name: str, actor_id: int | None = None) -> None:
    """Give ``user_id`` the role ``role_name`` (idempotent)."""
    role_id = await _role_id(role_name)
    await get_user(user_id)
    exists = await UserRole.exists().where((UserRole.user == user_id) & (UserRole.role == role_id))
    if not exists:
        await UserRole.insert(UserRole(user=user_id, role=role_id))
        log.info("user %s granted role %s to user %s", actor_id, role_name, user_id)


async def revoke_role(user_id: int, role_name: str, actor_id: int | None = None) -> None:
    """Take the role ``role_name`` from ``user_id`` (idempotent)."""
    role_id = await _role_id(role_name)
    await UserRole.delete().where((UserRole.user == user_id) & (UserRole.role == role_id))
    log.info("user %s revoked role %s from user %s", actor_id, role_name, user_id)


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
    from core.hooks.manager import current

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
    from core.hooks.manager import current

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
        raise Conflict(f"role {name!r} exists", code="role_exists")
    await Role.insert(Role(name=name, description=description, permissions=perms, builtin=False))
    log.info("user %s created role %s with %s", actor_id, name, perms)


async def update_role(name: str, actor_id: int | None, description: str | None = None,
                      permissions: list[str] | None = None) -> None:
    """Edit a role's description or permissions (built-in roles too; the admin role keeps ``*``)."""
    await _role_id(name)
    values: dict[Any, Any] = {}
    if description is not None:
        values[Role.description] = description
    if permissions is not None:
        if name == "admin" and "*" not in permissions:
            raise Conflict("The admin role keeps every permission", code="admin_role_locked")
        values[Role.permissions] = _check_permissions(permissions)
    if values:
        await Role.update(values).where(Role.name == name)
    log.info("user %s updated role %s", actor_id, name)


async def delete_role(name: str, actor_id: int | None) -> None:
    """Delete a custom role (built-in roles cannot be deleted)."""
    role_id = await _role_id(name)
    if name in BUILTIN_ROLES:
        raise Conflict("Built-in roles cannot be deleted", code="builtin_role")
    await UserRole.delete().where(UserRole.role == role_id)
    await Role.delete().where(Role.id == role_id)
    log.info("user %s deleted role %s", actor_id, name)


# --------------------------------------------------------------------------------------------------------------------
# Account lifecycle
# --------------------------------------------------------------------------------------------------------------------


async def ban_user(user_id: int, reason: str, actor_id: int | None) -> None:
    """Ban a user: they cannot sign in or refresh, and every session ends now."""
    from core.auth.services import revoke_all_sessions

    user = await get_user(user_id)
    if user.status == "deleted":
        raise Conflict("The account is deleted", code="account_deleted")
    if actor_id == user_id:
        raise Conflict("You cannot ban yourself", code="ban_self")
    await User.update({User.status: "banned", User.ban_reason: reason}).where(User.id == user_id)
    await revoke_all_sessions(user_id, "banned")
    log.info("user %s banned user %s: %s", actor_id, user_id, reason)
    await hooks.notify(hookspecs.user_banned, user_id=user_id, reason=reason, actor_id=actor_id)


async def unban_user(user_id: int, actor_id: int | None) -> None:
    """Lift a ban."""
    user = await get_user(user_id)
    if user.status != "banned":
        raise Conflict("The account is not banned", code="not_banned")
    await User.update({User.status: "active", User.ban_reason: ""}).where(User.id == user_id)
    log.info("user %s unbanned user %s", actor_id, user_id)
    await hooks.notify(hookspecs.user_unbanned, user_id=user_id, actor_id=actor_id)


async def identifier_taken(email: str | None, phone: str | None) -> bool:
    """Whether an account already uses this (normalised) email or phone."""
    conditions = [c for c in ((User.email == email) if email else None, (User.phone == phone) if phone else None)
                  if c is not None]
    if not conditions:
        return False
    where = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    return bool(await User.exists().where(where))


def new_referral_code() -> str:
    """A fresh referral code (10 characters, unambiguous alphabet)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


async def referrer_of(code: str) -> int:
    """The user whose referral code this is; 422 when none."""
    row = await User.select(User.id).where((User.referral_code == code.strip().upper()) & (User.status == "active")
                                           ).first()
    if row is None:
        raise ValidationFailed("Unknown referral code", code="invalid_referral_code",
                               errors=[{"pointer": "/referral_code", "detail": "No such referral code"}])
    return int(row["id"])


def check_profile_values(language: str | None = None, timezone: str | None = None) -> None:
    """Validate a language tag and an IANA time zone (422 with pointers)."""
    errors = []
    if language is not None and not (2 <= len(language) <= 16 and all(c.isalnum() or c == "-" for c in language)):
        errors.append({"pointer": "/language", "detail": "A language tag such as 'en' or 'pt-BR'"})
    if timezone is not None and timezone not in _timezones():
        errors.append({"pointer": "/timezone", "detail": "An IANA time zone such as 'Europe/Berlin'"})
    if errors:
        raise ValidationFailed("Invalid profile values", errors=errors)


_TZ: set[str] = set()


def _timezones() -> set[str]:
    if not _TZ:
        _TZ.update(available_timezones())
    return _TZ


async def anonymise(user_id: int) -> None:
    """Erase an account's personal data; the row stays (anonymised) so content keeps a valid author."""
    await User.update({
        User.email: None, User.phone: None, User.password_hash: "", User.display_name: "Deleted user",
        User.status: "deleted", User.ban_reason: "", User.totp_secret: "", User.totp_enabled: False,
        User.recovery_codes: [], User.avatar: "", User.bio: "", User.city: "", User.home_lat: None,
        User.home_lon: None, User.interests: [], User.privacy: DEFAULT_PRIVACY, User.onboarding: [],
        User.referral_code: None, User.deleted_at: clock.now(),
    }).where(User.id == user_id)
    await UserRole.delete().where(UserRole.user == user_id)
    log.info("account %s anonymised", user_id)


# --------------------------------------------------------------------------------------------------------------------
# Staff views (admin panel, support)
# --------------------------------------------------------------------------------------------------------------------

STAFF_FIELDS = ("id", "email", "phone", "display_name", "status", "ban_reason", "is_verified", "totp_enabled",
                "created_at")


async def list_users(q: str | None = None, status: str | None = None, after_id: int | None = None,
                     limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """Accounts for staff, newest first, filtered by a search text (email, phone, name) and status.

    Returns one page and the id to pass as ``after_id`` for the next page (None at the end).
    """
    where: Any = User.id > 0
    if q:
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = where & (User.email.ilike(pattern) | User.phone.ilike(pattern) | User.display_name.ilike(pattern))
    if status:
        where = where & (User.status == status)
    if after_id is not None:
        where = where & (User.id < after_id)
    columns = [getattr(User, f) for f in STAFF_FIELDS]
    rows = await User.select(*columns).where(where).order_by(User.id, ascending=False).limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1]["id"]) if more and rows else None)


async def account_details(user_id: int) -> dict[str, Any]:
    """One account for staff (no secrets), with its roles; NotFound when missing."""
    row = await User.select(*[getattr(User, f) for f in STAFF_FIELDS]).where(User.id == user_id).first()
    if row is None:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    row["roles"] = await roles_of(user_id)
    return row
