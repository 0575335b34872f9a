"""Auth's housekeeping job: forget spent codes and the refresh tokens of sessions that ended long ago."""

from __future__ import annotations

import logging
from datetime import timedelta

from core import clock
from core.auth.tables import RefreshToken, Session, VerificationCode
from core.jobs import Periodic, job

log = logging.getLogger("core.auth")
KEEP = timedelta(days=30)  # ended sessions stay listed in the export and audit for a while


@job("auth.cleanup", max_retries=3)
async def cleanup() -> dict[str, int]:
    """Delete codes expired over a day ago and token rows of sessions ended over 30 days ago (idempotent)."""
    now = clock.now()
    codes = await VerificationCode.delete().where(VerificationCode.expires_at < now - timedelta(days=1)).returning(
        VerificationCode.id)
    ended = await Session.select(Session.id).where(
        (Session.revoked_at < now - KEEP) | (Session.expires_at < now - KEEP))
    ids = [r["id"] for r in ended]
    tokens: list[dict[str, object]] = []
    if ids:
        tokens = await RefreshToken.delete().where(RefreshToken.session.is_in(ids)).returning(RefreshToken.id)
        await Session.delete().where(Session.id.is_in(ids))
    log.info("auth cleanup: %d code(s), %d session(s), %d refresh token(s) deleted", len(codes), len(ids), len(tokens))
    return {"codes": len(codes), "sessions": len(ids), "tokens": len(tokens)}


PERIODIC = [Periodic(cleanup, every=timedelta(hours=1))]
