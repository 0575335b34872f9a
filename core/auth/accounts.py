"""Sign-in flows: registration, verification, login (new device, second factor), password reset and change."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from core import cache, clock, hooks, ratelimit, realtime
from core.auth import codes, totp
from core.auth.exports import erase
from core.auth.identifiers import normalise_email, normalise_phone, parse_identifier
from core.auth.passwords import check_strength, hash_password, needs_rehash, verify_password
from core.auth.services import TokenPair, revoke_all_sessions, start_session
from core.auth.tables import Session, TrustedDevice
from core.errors import Conflict, NotAuthenticated, PermissionDenied, RateLimited, ValidationFailed
from core.hooks import hookspecs
from core.settings import get_settings
from core.users import services as users
from core.users.lifecycle import lift_if_expired
from core.users.tables import User

log = logging.getLogger("core.auth")


def _subject(identifier: str) -> str:
    # Throttle keys for accounts are derived from what was typed (normalised, so "+44 7911…" and "+447911…" count
    # together), so unknown accounts are throttled exactly like known ones.
    parsed = parse_identifier(identifier)
    text = parsed[1] if parsed else identifier.strip().lower()
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _device_hash(user_id: int, device_id: str) -> str:
    return hashlib.sha256(f"{user_id}:{device_id}".encode()).hexdigest()


async def find_account(identifier: str) -> dict[str, Any] | None:
    """The account row for an email or phone, or None (also for malformed identifiers)."""
    parsed = parse_identifier(identifier)
    if parsed is None:
        return None
    kind, value = parsed
    column = User.email if kind == "email" else User.phone
    return await User.select().where(column == value).first()


async def register(*, email: str | None, phone: str | None, password: str, display_name: str = "",
                   language: str = "en", timezone: str = "UTC", referral_code: str | None = None,
                   ip: str = "") -> dict[str, Any]:
    """Create an unverified account and send it a verification code; 409 ``account_exists`` when taken."""
    auth = get_settings().auth
    await ratelimit.hit("register_ip", ip, limit=auth.register_ip_limit, window_s=auth.register_window_s)
    if not email and not phone:
        raise ValidationFailed("Give an email address or a phone number", code="identifier_required",
                               errors=[{"pointer": "/email", "detail": "email or phone is required"}])
    email = normalise_email(email) if email else None
    phone = normalise_phone(phone) if phone else None
    await ratelimit.hit("register_account", _subject(email or phone or ""), limit=auth.code_account_limit,
                        window_s=auth.register_window_s)
    check_strength(password)
    users.check_profile_values(language=language, timezone=timezone)
    referred_by = await users.referrer_of(referral_code) if referral_code else None
    if await users.identifier_taken(email, phone):
        raise Conflict("An account with this email or phone already exists", code="account_exists")
    row = User(email=email, phone=phone, password_hash=await hash_password(password),
               display_name=display_name.strip() or "New user",  # never derived from the email: it is public
               language=language, timezone=timezone, referral_code=users.new_referral_code(),
               referred_by=referred_by, created_at=clock.now(),
               privacy=users.DEFAULT_PRIVACY)
    try:
        await row.save()
    except UniqueViolationError as exc:  # the same email/phone registered concurrently: the database decides
        raise Conflict("An account with this email or phone already exists", code="account_exists") from exc
    await users.grant_role(row.id, "user")
    log.info("user %s registered (%s)", row.id, "email" if email else "phone")
    sent = await codes.issue(row.id, "verify", email, phone)
    await hooks.notify(hookspecs.user_registered, user_id=row.id)
    return {"user_id": row.id, "verification": sent}


async def _throttle_codes(identifier: str, ip: str) -> None:
    auth = get_settings().auth
    await ratelimit.hit("code_ip", ip, limit=auth.code_ip_limit, window_s=auth.code_window_s)
    await ratelimit.hit("code_account", _subject(identifier), limit=auth.code_account_limit,
                        window_s=auth.code_window_s)


async def _trust_device(user_id: int, device_id: str | None) -> None:
    if device_id and not await _device_trusted(user_id, device_id):
        await TrustedDevice.insert(TrustedDevice(user=user_id, device_hash=_device_hash(user_id, device_id),
                                                 created_at=clock.now()))


async def _device_trusted(user_id: int, device_id: str | None) -> bool:
    if not device_id:
        return False
    return await TrustedDevice.exists().where(
        (TrustedDevice.user == user_id) & (TrustedDevice.device_hash == _device_hash(user_id, device_id)))


async def verify(identifier: str, code: str, device_id: str | None = None, ip: str = "") -> None:
    """Prove the account's email/phone with a code: the account becomes verified and the device trusted."""
    await _throttle_codes(identifier, ip)
    row = await find_account(identifier)
    if row is None or row["status"] != "active":
        raise ValidationFailed("The code is wrong or has expired", code="code_invalid",
                               errors=[{"pointer": "/code", "detail": "The code is wrong or has expired"}])
    await codes.check(row["id"], ("verify", "login"), code)
    await User.update({User.is_verified: True}).where(User.id == row["id"])
    await _trust_device(row["id"], device_id)
    log.info("user %s verified", row["id"])


async def resend(identifier: str, ip: str = "") -> None:
    """Send a new verification code to an unverified account; silent otherwise (no enumeration)."""
    await _throttle_codes(identifier, ip)
    row = await find_account(identifier)
    if row is not None and row["status"] == "active" and not row["is_verified"]:
        await _issue_quietly(row, "verify")


async def _throttle_login(identifier: str, ip: str, device_id: str | None) -> None:
    """Sign-in throttles (see ``AuthSettings``): nobody can lock an owner out from elsewhere.

    Per address; per account and address (a stranger's wrong guesses lock only that stranger); and per account from
    every address together, a looser limit against distributed guessing, which a device the account already trusts
    (the owner's phone) does not count toward.
    """
    auth = get_settings().auth
    subject = _subject(identifier)
    await ratelimit.hit("login_ip", ip, limit=auth.login_ip_limit, window_s=auth.login_window_s)
    await ratelimit.hit("login_pair", f"{subject}:{ip}", limit=auth.login_account_limit, window_s=auth.login_window_s)
    row = await find_account(identifier) if device_id else None
    if row is None or not await _device_trusted(int(row["id"]), device_id):
        await ratelimit.hit("login_account", subject, limit=auth.login_account_all_limit,
                            window_s=auth.login_window_s)


async def authenticate_password(identifier: str, password: str, totp_code: str | None = None,
                                require_totp: bool = False, ip: str = "", device_id: str | None = None) -> int:
    """Check email-or-phone + password, then the second factor; return the user id (see docs/auth.md for codes)."""
    await _throttle_login(identifier, ip, device_id)
    row = await find_account(identifier)
    stored = row["password_hash"] if row else None
    if not await verify_password(stored or None, password) or row is None:
        raise NotAuthenticated("Wrong email/phone or password", code="invalid_credentials")
    if row["status"] == "banned" and await lift_if_expired(int(row["id"])):  # a temporary ban that has ended
        row = {**row, "status": "active"}
    if row["status"] != "active":
        raise NotAuthenticated("This account is not active", code="account_inactive")
    if needs_rehash(row["password_hash"]):
        await User.update({User.password_hash: await hash_password(password)}).where(User.id == row["id"])
        log.info("password hash of user %s upgraded", row["id"])
    if row["totp_enabled"] or require_totp:
        if not row["totp_enabled"]:
            raise NotAuthenticated("Turn on two-factor authentication first", code="totp_setup_required")
        if not totp_code:
            raise NotAuthenticated("Enter the code from your authenticator app", code="totp_required")
        await totp.check(row["id"], totp_code)
    return int(row["id"])


async def login(*, identifier: str, password: str, device_id: str, device_name: str = "", code: str | None = None,
                totp_code: str | None = None, ip: str = "") -> TokenPair:
    """Sign in from the app: tokens, or 401 ``verification_required`` when the device (or account) is new."""
    user_id = await authenticate_password(identifier, password, totp_code, ip=ip, device_id=device_id)
    row = await User.select(User.is_verified, User.totp_enabled, User.email, User.phone).where(
        User.id == user_id).first()
    assert row is not None
    device_check = get_settings().auth.verify_new_devices and not row["totp_enabled"]
    if not row["is_verified"] or (device_check and not await _device_trusted(user_id, device_id)):
        if not code:
            sent = await codes.issue(user_id, "login", row["email"], row["phone"])
            raise NotAuthenticated("We sent you a code; sign in again with it", code="verification_required",
                                   channel=sent["channel"], destination=sent["destination"],
                                   expires_in=sent["expires_in"])
        await _throttle_codes(identifier, ip)
        await codes.check(user_id, ("login", "verify"), code)
        await User.update({User.is_verified: True}).where(User.id == user_id)
        await _trust_device(user_id, device_id)
    pair = await start_session(user_id, device_name or "app")
    log.info("user %s signed in (session %s)", user_id, pair.session_id)
    return pair


async def forgot_password(identifier: str, ip: str = "") -> None:
    """Send a reset code when the account exists; the answer is the same either way."""
    await _throttle_codes(identifier, ip)
    row = await find_account(identifier)
    if row is not None and row["status"] == "active":
        await _issue_quietly(row, "reset")


async def _issue_quietly(row: dict[str, Any], purpose: str) -> None:
    # Past the per-account send limit the answer must stay the same as for an unknown account: no 429 here.
    try:
        await codes.issue(row["id"], purpose, row["email"], row["phone"])
    except RateLimited:
        log.warning("no %s code sent to user %s: send limit reached", purpose, row["id"])


async def reset_password(identifier: str, code: str, new_password: str, ip: str = "") -> None:
    """Set a new password with a reset code; every session ends."""
    check_strength(new_password, "/new_password")
    await _throttle_codes(identifier, ip)
    row = await find_account(identifier)
    if row is None or row["status"] != "active":
        raise ValidationFailed("The code is wrong or has expired", code="code_invalid",
                               errors=[{"pointer": "/code", "detail": "The code is wrong or has expired"}])
    await codes.check(row["id"], ("reset",), code)
    await User.update({User.password_hash: await hash_password(new_password), User.is_verified: True}).where(
        User.id == row["id"])
    await revoke_all_sessions(row["id"], "password_reset")
    log.info("user %s reset their password", row["id"])


async def change_password(user_id: int, current: str, new: str, keep_session: Any = None) -> None:
    """Change the password (the current one is required); the user's other sessions end."""
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    if row is None or not await verify_password(row["password_hash"] or None, current):
        raise PermissionDenied("The current password is wrong", code="invalid_credentials")
    check_strength(new, "/new_password")
    await User.update({User.password_hash: await hash_password(new)}).where(User.id == user_id)
    where = (Session.user == user_id) & Session.revoked_at.is_null()
    if keep_session is not None:
        where = where & (Session.id != keep_session)
    ended = await Session.update({Session.revoked_at: clock.now(), Session.revoke_reason: "password_changed"}).where(
        where).returning(Session.id)
    await realtime.end_sessions(user_id, "session_revoked", [row["id"] for row in ended])
    log.info("user %s changed their password", user_id)


async def delete_account(user_id: int, password: str | None) -> None:
    """Delete the caller's account: check the password (when it has one), let plugins erase, then anonymise."""
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    if row is None:
        raise NotAuthenticated("Account not found", code="account_inactive")
    if row["password_hash"] and not await verify_password(row["password_hash"], password or ""):
        raise PermissionDenied("The password is wrong", code="invalid_credentials")
    # One transaction: when a plugin refuses (Conflict), what the plugins before it erased is rolled back too.
    async with cache.deferred(), User._meta.db.transaction():  # cached copies go stale after the commit
        await hooks.call(hookspecs.user_erasure, user_id=user_id)
        await erase(user_id)
        await users.anonymise(user_id)
    # Again now that it is committed: a connection opened between erase()'s order and the commit passed its check.
    await realtime.end_sessions(user_id, "account_inactive")
    log.info("user %s deleted their account", user_id)
