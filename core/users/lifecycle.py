"""An account's life after sign-up: banned, unbanned, anonymised when deleted."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from core import audit, cache, clock, hooks
from core.errors import Conflict, ValidationFailed
from core.hooks import hookspecs
from core.users.directory import get_user
from core.users.privacy import DEFAULT_PRIVACY
from core.users.tables import User, UserRole

log = logging.getLogger("core.users")


async def ban_user(user_id: int, reason: str, actor_id: int | None, until: datetime | None = None) -> None:
    """Ban a user: they cannot sign in or refresh, and every session ends now (auth's ``user_banned`` hook).

    ``until`` makes the ban temporary: it is lifted the first time the user signs in after it (or by
    :func:`lift_expired_bans`). A new ban of a banned user replaces the old one (its reason and end).
    """
    user = await get_user(user_id)
    if user.status == "deleted":
        raise Conflict("The account is deleted", code="account_deleted")
    if actor_id == user_id:
        raise Conflict("You cannot ban yourself", code="ban_self")
    if until is not None and until <= clock.now():
        raise ValidationFailed("The end of the ban must be in the future", code="ban_end_past",
                               errors=[{"pointer": "/until", "detail": "must be in the future"}])
    before = await User.select(User.status, User.ban_reason, User.banned_until).where(User.id == user_id).first()
    await User.update({User.status: "banned", User.ban_reason: reason, User.banned_at: clock.now(),
                       User.banned_until: until}).where(User.id == user_id)
    await cache.bump(f"users:user:{user_id}")  # the public profile (core.users.profiles.profile_dep)
    log.info("user %s banned user %s until %s: %s", actor_id, user_id, until or "lifted", reason)
    await audit.record(actor_id, "user.ban", "user", user_id, reason=reason, before=_ban_state(before),
                       after={"status": "banned", "until": until.isoformat() if until else None})
    await hooks.notify(hookspecs.user_banned, user_id=user_id, reason=reason, actor_id=actor_id)


def _ban_state(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {}
    state: dict[str, Any] = {"status": row["status"]}
    if row["status"] == "banned":
        state["until"] = row["banned_until"].isoformat() if row["banned_until"] else None
    return state


async def unban_user(user_id: int, actor_id: int | None, reason: str = "") -> None:
    """Lift a ban (``actor_id`` None: the system, when a temporary ban ended)."""
    user = await get_user(user_id)
    if user.status != "banned":
        raise Conflict("The account is not banned", code="not_banned")
    before = await User.select(User.status, User.ban_reason, User.banned_until).where(User.id == user_id).first()
    done = await User.update({User.status: "active", User.ban_reason: "", User.banned_until: None}).where(
        User.id == user_id, User.status == "banned").returning(User.id)
    if not done:  # lifted meanwhile (two sign-ins at the end of a temporary ban)
        raise Conflict("The account is not banned", code="not_banned")
    await cache.bump(f"users:user:{user_id}")
    log.info("user %s unbanned user %s", actor_id, user_id)
    await audit.record(actor_id, "user.unban", "user", user_id, reason=reason, before=_ban_state(before),
                       after={"status": "active"})
    await hooks.notify(hookspecs.user_unbanned, user_id=user_id, actor_id=actor_id)


BAN_ENDED = "the temporary ban ended"


async def lift_if_expired(user_id: int) -> bool:
    """Lift ``user_id``'s ban when it was temporary and its end has passed (at sign-in); True when lifted."""
    row = await User.select(User.status, User.banned_until).where(User.id == user_id).first()
    if row is None or row["status"] != "banned" or row["banned_until"] is None or row["banned_until"] > clock.now():
        return False
    try:
        await unban_user(user_id, None, BAN_ENDED)
    except Conflict:
        return False  # another request lifted it first
    return True


async def lift_expired_bans(limit: int = 1000) -> int:
    """Lift every temporary ban whose end has passed (a periodic job may call it; sign-in does it anyway)."""
    due = await User.select(User.id).where(User.status == "banned", User.banned_until.is_not_null(),
                                           User.banned_until <= clock.now()).order_by(User.id).limit(limit)
    return sum([await lift_if_expired(int(r["id"])) for r in due])


async def anonymise(user_id: int) -> None:
    """Erase an account's personal data; the row stays (anonymised) so content keeps a valid author."""
    await User.update({
        User.email: None, User.phone: None, User.password_hash: "", User.display_name: "Deleted user",
        User.status: "deleted", User.ban_reason: "", User.totp_secret: "", User.totp_enabled: False,
        User.recovery_codes: [], User.avatar: "", User.bio: "", User.city: "", User.home_lat: None,
        User.home_lon: None, User.interests: [], User.languages: [], User.birth_year: None,
        User.privacy: DEFAULT_PRIVACY, User.onboarding: [], User.referral_code: None, User.deleted_at: clock.now(),
    }).where(User.id == user_id)
    await UserRole.delete().where(UserRole.user == user_id)
    await cache.bump(f"users:user:{user_id}")  # after the commit when the caller holds core.cache.deferred()
    log.info("account %s anonymised", user_id)
