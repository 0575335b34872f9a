"""Auth's part of a user's data export and of account erasure."""

from __future__ import annotations

import logging
from typing import Any

from core.auth import codes
from core.auth.oidc import identities_of
from core.auth.services import revoke_all_sessions
from core.auth.tables import Identity, RefreshToken, Session, TrustedDevice

log = logging.getLogger("core.auth")


async def export(user_id: int) -> dict[str, Any]:
    """Sessions (devices) and linked providers; never token hashes."""
    sessions = await Session.select(Session.id, Session.device, Session.created_at, Session.last_used_at,
                                    Session.revoked_at).where(Session.user == user_id)
    return {"auth": {"sessions": sessions, "identities": await identities_of(user_id)}}


async def erase(user_id: int) -> None:
    """End every session and forget devices, codes, linked identities and refresh tokens."""
    await revoke_all_sessions(user_id, "account_deleted")
    sids = [r["id"] for r in await Session.select(Session.id).where(Session.user == user_id)]
    if sids:
        await RefreshToken.delete().where(RefreshToken.session.is_in(sids))
    await TrustedDevice.delete().where(TrustedDevice.user == user_id)
    await Identity.delete().where(Identity.user == user_id)
    await codes.forget(user_id)
    await Session.update({Session.device: ""}).where(Session.user == user_id)
    log.info("auth data of user %s erased", user_id)
