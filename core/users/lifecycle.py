"""An account's life after sign-up: banned, unbanned, anonymised when deleted."""

from __future__ import annotations

import logging

from core import cache, clock, hooks
from core.errors import Conflict
from core.hooks import hookspecs
from core.users.directory import get_user
from core.users.privacy import DEFAULT_PRIVACY
from core.users.tables import User, UserRole

log = logging.getLogger("core.users")


async def ban_user(user_id: int, reason: str, actor_id: int | None) -> None:
    """Ban a user: they cannot sign in or refresh, and every session ends now (auth's ``user_banned`` hook)."""
    user = await get_user(user_id)
    if user.status == "deleted":
        raise Conflict("The account is deleted", code="account_deleted")
    if actor_id == user_id:
        raise Conflict("You cannot ban yourself", code="ban_self")
    await User.update({User.status: "banned", User.ban_reason: reason}).where(User.id == user_id)
    await cache.bump(f"users:user:{user_id}")  # the public profile (core.users.profiles.profile_dep)
    log.info("user %s banned user %s: %s", actor_id, user_id, reason)
    await hooks.notify(hookspecs.user_banned, user_id=user_id, reason=reason, actor_id=actor_id)


async def unban_user(user_id: int, actor_id: int | None) -> None:
    """Lift a ban."""
    user = await get_user(user_id)
    if user.status != "banned":
        raise Conflict("The account is not banned", code="not_banned")
    await User.update({User.status: "active", User.ban_reason: ""}).where(User.id == user_id)
    await cache.bump(f"users:user:{user_id}")
    log.info("user %s unbanned user %s", actor_id, user_id)
    await hooks.notify(hookspecs.user_unbanned, user_id=user_id, actor_id=actor_id)


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
