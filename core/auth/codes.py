"""One-time 6-digit verification codes: issued (stored as an HMAC), delivered through a hook, checked with limits."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from core import clock, hooks, ratelimit
from core.auth.identifiers import mask
from core.auth.tables import VerificationCode
from core.errors import ValidationFailed
from core.hooks import hookspecs
from core.settings import get_settings

log = logging.getLogger("core.auth")


def _digest(user_id: int, purpose: str, code: str) -> str:
    auth = get_settings().auth
    key = ("codes:" + auth.jwt_keys.get(auth.jwt_current_kid, "")).encode()
    return hmac.new(key, f"{user_id}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def channel_of(email: str | None, phone: str | None) -> tuple[str, str]:
    """Where codes go: the email address when there is one, else the phone by SMS."""
    return ("email", email) if email else ("sms", phone or "")


async def issue(user_id: int, purpose: str, email: str | None, phone: str | None) -> dict[str, object]:
    """Make a fresh code for ``purpose`` (older ones stop working), send it; return where it went (masked)."""
    auth = get_settings().auth
    await ratelimit.hit("code_send", f"{user_id}:{purpose}", limit=auth.code_send_limit,
                        window_s=auth.code_send_window_s)
    channel, destination = channel_of(email, phone)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = clock.now()
    await VerificationCode.update({VerificationCode.consumed_at: now}).where(
        (VerificationCode.user == user_id) & (VerificationCode.purpose == purpose)
        & VerificationCode.consumed_at.is_null()
    )
    await VerificationCode.insert(VerificationCode(
        user=user_id, purpose=purpose, channel=channel, code_hash=_digest(user_id, purpose, code), created_at=now,
        expires_at=now + timedelta(seconds=auth.code_ttl_s),
    ))
    sent = await hooks.first(hookspecs.send_verification, user_id=user_id, channel=channel,
                             destination=destination, code=code, purpose=purpose)
    if sent is None and get_settings().env == "production":
        log.error("no plugin delivers verification codes (enable notify): %s code for user %s not sent", purpose,
                  user_id)
    elif sent is None:
        # Nothing delivers codes (no notify plugin): local development reads them from the log.
        log.warning("verification code for user %s (%s via %s to %s): %s", user_id, purpose, channel,
                    mask(destination), code)
    else:
        log.info("verification code for user %s (%s via %s) handed to the delivery plugin", user_id, purpose, channel)
    return {"channel": channel, "destination": mask(destination), "expires_in": auth.code_ttl_s}


def _invalid(detail: str = "The code is wrong or has expired", code: str = "code_invalid") -> ValidationFailed:
    return ValidationFailed(detail, code=code, errors=[{"pointer": "/code", "detail": detail}])


async def check(user_id: int, purposes: tuple[str, ...], code: str) -> str:
    """Consume the user's current code for one of ``purposes``; return the purpose, or raise 422.

    Each wrong try counts against the code; after ``code_max_attempts`` it is dead and a new one must be requested.
    The consuming UPDATE is conditional, so one code signs in one request even when several race.
    """
    auth = get_settings().auth
    now = clock.now()
    rows = await VerificationCode.select().where(
        (VerificationCode.user == user_id) & VerificationCode.purpose.is_in(list(purposes))
        & VerificationCode.consumed_at.is_null() & (VerificationCode.expires_at > now)
    ).order_by(VerificationCode.id, ascending=False)
    if not rows:
        raise _invalid()
    code = code.strip()
    for row in rows:
        if row["attempts"] >= auth.code_max_attempts:
            continue
        if hmac.compare_digest(row["code_hash"], _digest(user_id, row["purpose"], code)):
            won = await VerificationCode.update({VerificationCode.consumed_at: now}).where(
                (VerificationCode.id == row["id"]) & VerificationCode.consumed_at.is_null()
            ).returning(VerificationCode.id)
            if won:
                return str(row["purpose"])
    for row in rows:
        await VerificationCode.update({VerificationCode.attempts: VerificationCode.attempts + 1}).where(
            VerificationCode.id == row["id"]
        )
    if all(r["attempts"] + 1 >= auth.code_max_attempts for r in rows):
        raise _invalid("Too many wrong tries; request a new code", code="code_exhausted")
    raise _invalid()


async def forget(user_id: int) -> None:
    """Delete every code of a user (account erasure)."""
    await VerificationCode.delete().where(VerificationCode.user == user_id)
