"""Profiles: own account view and edits, public profiles by privacy, referrals, staff account list, data export."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import msgspec

from core import cache, clock, hooks
from core.errors import NotFound, ValidationFailed
from core.hooks import hookspecs
from core.pagination import Page, decode_cursor, encode_cursor, page_of
from core.users import services
from core.users.schemas import AccountRead, ProfileRead, ReferralRead
from core.users.tables import User

log = logging.getLogger("core.users")

ONBOARDING_STEPS = ("profile", "interests", "location", "notifications", "privacy", "first_event")
HOME_DECIMALS = 2
"""``home_lat``/``home_lon`` are stored rounded to this many decimals of a degree (about 1 km), like geo's area."""
EDITABLE = ("display_name", "avatar", "bio", "city", "home_lat", "home_lon", "interests", "language", "timezone",
            "birth_year")


async def me(user_id: int) -> dict[str, Any]:
    """The caller's own account and profile (gives the user a referral code on first read)."""
    row = await User.select().where(User.id == user_id).first()
    if row is None:
        raise NotFound("user not found", code="user_not_found")
    if not row["referral_code"]:
        row["referral_code"] = services.new_referral_code()
        await User.update({User.referral_code: row["referral_code"]}).where(User.id == user_id)
    row["privacy"] = services.privacy_of(row["privacy"])
    row["roles"] = await services.roles_of(user_id)
    return row


async def update_me(user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a partial update of the caller's profile, privacy and onboarding."""
    values: dict[Any, Any] = {}
    services.check_profile_values(language=changes.get("language"), timezone=changes.get("timezone"))
    for name in EDITABLE:
        if name in changes:
            values[getattr(User, name)] = changes[name]
    if "display_name" in changes and not str(changes["display_name"]).strip():
        raise ValidationFailed(errors=[{"pointer": "/display_name", "detail": "Must not be blank"}])
    if ("home_lat" in changes) != ("home_lon" in changes) or (
            "home_lat" in changes and (changes["home_lat"] is None) != (changes["home_lon"] is None)):
        raise ValidationFailed(errors=[{"pointer": "/home_lat", "detail": "Give both home_lat and home_lon (or null)"}])
    if changes.get("home_lat") is not None:  # a coarse area only (about 1 km): never the user's exact position
        values[User.home_lat] = round(changes["home_lat"], HOME_DECIMALS)
        values[User.home_lon] = round(changes["home_lon"], HOME_DECIMALS)
    if changes.get("birth_year") is not None and changes["birth_year"] > clock.now().year:
        raise ValidationFailed(errors=[{"pointer": "/birth_year", "detail": "Must not be in the future"}])
    if "languages" in changes:  # one of each, in the order given
        values[User.languages] = list(dict.fromkeys(t.strip() for t in changes["languages"]))
    if "interests" in changes:
        values[User.interests] = sorted({t.strip().lower() for t in changes["interests"] if t.strip()})
    if "onboarding_done" in changes:
        unknown = set(changes["onboarding_done"]) - set(ONBOARDING_STEPS)
        if unknown:
            raise ValidationFailed(errors=[{"pointer": "/onboarding_done",
                                            "detail": f"unknown steps: {', '.join(sorted(unknown))}"}])
        values[User.onboarding] = sorted(set(changes["onboarding_done"]))
    if "privacy" in changes:
        current = await User.select(User.privacy).where(User.id == user_id).first()
        merged = services.privacy_of(current["privacy"] if current else None)
        merged.update({k: v for k, v in changes["privacy"].items() if v is not None})
        values[User.privacy] = merged
    if values:
        await User.update(values).where(User.id == user_id)
        await profile_changed(user_id)
        log.info("user %s updated their profile: %s", user_id, ", ".join(sorted(c._meta.name for c in values)))
    return await me(user_id)


def profile_dep(user_id: int) -> str:
    """The read cache's version counter of a user's public profile (bumped by every change to what it shows)."""
    return f"users:user:{user_id}"


async def profile_changed(user_id: int) -> None:
    """The profile, privacy or status of ``user_id`` changed: cached copies of the public profile go stale."""
    await cache.bump(profile_dep(user_id))


async def public_profile(viewer_id: int | None, owner_id: int) -> dict[str, Any]:
    """Another user's profile as the viewer may see it; 404 when hidden (no hint it exists).

    A profile everyone may see is the same for every reader: it is read through the cache (``core.cache``). Its
    ``rating`` comes from ``organiser_rating_from_plugin`` (the reviews plugin), which bumps the cache on a change.
    """
    name = f"users:profile:{owner_id}"
    found = await cache.lookup(name, (profile_dep(owner_id),))
    if found.hit is not None:
        return msgspec.structs.asdict(msgspec.json.decode(found.hit.body, type=ProfileRead))
    row = await _public_profile(viewer_id, owner_id)
    if found.stamp is not None and (viewer_id is None or await services.can_see(None, owner_id, "profile")):
        await cache.store(name, found, "", msgspec.json.encode(msgspec.convert(row, ProfileRead)))
    return row


async def _public_profile(viewer_id: int | None, owner_id: int) -> dict[str, Any]:
    if not await services.can_see(viewer_id, owner_id, "profile"):
        raise NotFound("user not found", code="user_not_found")
    row = await User.select(User.id, User.display_name, User.avatar, User.bio, User.city, User.interests,
                            User.created_at).where(User.id == owner_id).first()
    if row is None:
        raise NotFound("user not found", code="user_not_found")
    row["rating"] = await hooks.first(hookspecs.organiser_rating_from_plugin, user_id=owner_id)
    return row


REFERRALS = "users.referrals"
ACCOUNTS = "users.accounts"


async def referrals(user_id: int, cursor: str | None = None, limit: int = 50) -> Page[ReferralRead]:
    """The people the user invited (by referral code), newest first; one page (400 ``invalid_cursor`` if bad)."""
    where = (User.referred_by == user_id) & (User.status != "deleted")
    if cursor:
        (after,) = decode_cursor(cursor, int, scope=REFERRALS)
        where = where & (User.id < after)
    rows = await User.select(User.id, User.display_name, User.created_at).where(where).order_by(
        User.id, ascending=False).limit(limit + 1)
    return page_of(rows, limit, key=lambda r: (r["id"],), scope=REFERRALS,
                   item=lambda r: msgspec.convert(r, ReferralRead))


async def accounts(q: str | None, status: str | None, cursor: str | None, limit: int) -> Page[AccountRead]:
    """Accounts for staff, newest first, filtered by search text and status; one page (400 if the cursor is bad)."""
    after = decode_cursor(cursor, int, scope=ACCOUNTS)[0] if cursor else None
    rows, next_id = await services.list_users(q, status, after, limit)
    return Page(items=msgspec.convert(rows, list[AccountRead]),
                next_cursor=None if next_id is None else encode_cursor(next_id, scope=ACCOUNTS))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


SECRET_FIELDS = ("password_hash", "totp_secret", "recovery_codes", "totp_last_step")


async def export(user_id: int) -> dict[str, Any]:
    """Everything Sbor holds about the user: the account (no secrets) and each plugin's part."""
    account = {k: v for k, v in (await me(user_id)).items() if k not in SECRET_FIELDS}
    parts: dict[str, Any] = {}
    collected = await hooks.call(hookspecs.user_data_export, user_id=user_id)
    for part in collected:
        if isinstance(part, dict):
            parts.update(part)
    log.info("user %s exported their data", user_id)
    return {"account": _jsonable(account), "plugins": _jsonable(parts)}
