"""Second factor: TOTP (RFC 6238) any user may turn on, with one-time recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

import pyotp

from core import clock, ratelimit
from core.auth.passwords import verify_password
from core.errors import Conflict, NotAuthenticated
from core.settings import get_settings
from core.users.tables import User

log = logging.getLogger("core.auth")
STEP = 30


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


def _recovery_codes(n: int) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return ["".join(secrets.choice(alphabet) for _ in range(4)) + "-" + "".join(
        secrets.choice(alphabet) for _ in range(4)) for _ in range(n)]


async def _row(user_id: int) -> dict[str, object]:
    row = await User.select(User.email, User.phone, User.totp_secret, User.totp_enabled, User.password_hash).where(
        User.id == user_id).first()
    if row is None:
        raise NotAuthenticated("Account not found", code="account_inactive")
    return row


async def setup(user_id: int) -> dict[str, str]:
    """Start turning TOTP on: a new secret (not active until confirmed with :func:`enable`)."""
    row = await _row(user_id)
    if row["totp_enabled"]:
        raise Conflict("Two-factor authentication is already on", code="totp_already_enabled")
    secret = pyotp.random_base32()
    await User.update({User.totp_secret: secret}).where(User.id == user_id)
    label = str(row["email"] or row["phone"] or f"user{user_id}")
    uri = pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=get_settings().auth.totp_issuer)
    log.info("user %s started TOTP set-up", user_id)
    return {"secret": secret, "otpauth_uri": uri}


def _matching_step(secret: str, code: str) -> int | None:
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(clock.timestamp()) // STEP
    for step in (now_step, now_step - 1, now_step + 1):  # one step of clock drift either way
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


async def enable(user_id: int, code: str) -> list[str]:
    """Confirm set-up with a current code; turn TOTP on; return the recovery codes (shown once)."""
    row = await _row(user_id)
    if row["totp_enabled"]:
        raise Conflict("Two-factor authentication is already on", code="totp_already_enabled")
    if not row["totp_secret"]:
        raise Conflict("Start with /auth/totp/setup", code="totp_not_set_up")
    step = _matching_step(str(row["totp_secret"]), code)
    if step is None:
        raise NotAuthenticated("Wrong code", code="totp_invalid")
    codes = _recovery_codes(get_settings().auth.recovery_codes)
    await User.update({User.totp_enabled: True, User.totp_last_step: step,
                       User.recovery_codes: [_hash(c) for c in codes]}).where(User.id == user_id)
    log.info("user %s turned TOTP on", user_id)
    return codes


async def check(user_id: int, code: str) -> None:
    """Accept a current TOTP code (each at most once) or an unused recovery code (spent); else 401 totp_invalid.

    Tries are throttled per account (``auth.login_account_limit`` per window), whichever route they come through.
    """
    auth = get_settings().auth
    await ratelimit.hit("totp", str(user_id), limit=auth.login_account_limit, window_s=auth.login_window_s)
    row = await _row(user_id)
    if "-" in code:
        hashed = _hash(code)
        # Conditional on the code being there: among concurrent tries with one recovery code, one wins.
        spent = await User.update({User.recovery_codes: User.recovery_codes.remove(hashed)}).where(
            (User.id == user_id) & User.recovery_codes.any(hashed)).returning(User.id)
        if spent:
            log.info("user %s used a recovery code", user_id)
            return
        raise NotAuthenticated("Wrong or used recovery code", code="totp_invalid")
    step = _matching_step(str(row["totp_secret"]), code)
    if step is not None:
        # Conditional on the last accepted step: the same code (or an older one) is never accepted twice.
        won = await User.update({User.totp_last_step: step}).where(
            (User.id == user_id) & (User.totp_last_step < step)).returning(User.id)
        if won:
            return
    raise NotAuthenticated("Wrong or already used code", code="totp_invalid")


async def regenerate_recovery_codes(user_id: int, code: str) -> list[str]:
    """Replace the recovery codes (after a current TOTP code); return the new ones."""
    row = await _row(user_id)
    if not row["totp_enabled"]:
        raise Conflict("Two-factor authentication is off", code="totp_not_enabled")
    await check(user_id, code)
    codes = _recovery_codes(get_settings().auth.recovery_codes)
    await User.update({User.recovery_codes: [_hash(c) for c in codes]}).where(User.id == user_id)
    log.info("user %s replaced their recovery codes", user_id)
    return codes


async def disable(user_id: int, password: str, code: str) -> None:
    """Turn TOTP off: needs the password and a current code (or a recovery code)."""
    row = await _row(user_id)
    if not row["totp_enabled"]:
        raise Conflict("Two-factor authentication is off", code="totp_not_enabled")
    if not await verify_password(str(row["password_hash"]) or None, password):
        raise NotAuthenticated("Wrong password", code="invalid_credentials")
    await check(user_id, code)
    await User.update({User.totp_enabled: False, User.totp_secret: "", User.totp_last_step: 0,
                       User.recovery_codes: []}).where(User.id == user_id)
    log.info("user %s turned TOTP off", user_id)


async def set_up_for_cli(user_id: int) -> tuple[str, list[str]]:
    """Turn TOTP on without a confirming code (``manage.py createadmin``); return the URI and recovery codes."""
    info = await setup(user_id)
    codes = _recovery_codes(get_settings().auth.recovery_codes)
    await User.update({User.totp_enabled: True, User.recovery_codes: [_hash(c) for c in codes]}).where(
        User.id == user_id)
    return info["otpauth_uri"], codes
