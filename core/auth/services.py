"""Auth's session rules: open, refresh (rotation with reuse detection), list and revoke sessions."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import clock, db, realtime
from core.auth import sql
from core.auth.tables import RefreshToken, Session
from core.auth.tokens import issue_access_token
from core.errors import NotAuthenticated, NotFound
from core.settings import get_settings

log = logging.getLogger("core.auth")
# Revocation reasons that mean the account itself ended: its real-time connections close with account_inactive.
ACCOUNT_ENDED = frozenset({"banned", "account_deleted"})


@dataclass(frozen=True)
class TokenPair:
    """What a sign-in or a refresh returns to the app."""

    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    session_id: uuid.UUID
    user_id: int
    token_type: str = "Bearer"  # noqa: S105  (the OAuth token type, not a secret)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(user_id: int, device: str = "") -> tuple[uuid.UUID, str]:
    """Start a session for ``user_id``; return its id and an access token (no refresh token)."""
    sid = uuid.uuid4()
    now = clock.now()
    await Session.insert(Session(id=sid, user=user_id, device=device[:200], created_at=now, last_used_at=now,
                                 expires_at=now + timedelta(seconds=get_settings().auth.refresh_ttl_s)))
    log.info("session %s opened for user %s", sid, user_id)
    return sid, issue_access_token(user_id, sid)


async def _new_refresh(sid: uuid.UUID) -> str:
    token = secrets.token_urlsafe(32)
    await RefreshToken.insert(RefreshToken(session=sid, token_hash=_hash(token), created_at=clock.now()))
    return token


async def start_session(user_id: int, device: str = "") -> TokenPair:
    """Start a session with an access token and the first refresh token of its family."""
    sid, access = await open_session(user_id, device)
    refresh = await _new_refresh(sid)
    auth = get_settings().auth
    return TokenPair(access, auth.access_ttl_s, refresh, clock.now() + timedelta(seconds=auth.refresh_ttl_s), sid,
                     user_id)


async def refresh(token: str) -> TokenPair:
    """Rotate a refresh token: the old one is spent, a new pair is returned.

    The spend is one conditional UPDATE (``used_at IS NULL``), so among concurrent refreshes with one token exactly
    one wins. A token presented again after it was spent means it leaked: the whole session (family) is revoked.
    """
    h = _hash(token)
    now = clock.now()
    # Spend the token and read its session in one statement: the winner is decided by the spend alone, so the
    # losers' revocation (reuse detection) cannot turn the winner's answer into a 401 as well.
    won = await db.fetch(sql.SPEND_REFRESH, h, now)
    if not won:
        known = await RefreshToken.select(RefreshToken.session).where(RefreshToken.token_hash == h).first()
        if known is None:
            raise NotAuthenticated("Unknown refresh token", code="refresh_invalid")
        for user_id, sids in (await _revoke(Session.id == known["session"], "refresh_reused")).items():
            await realtime.end_sessions(user_id, "session_revoked", sids)
        log.warning("refresh token reused: session %s revoked", known["session"])
        raise NotAuthenticated("This refresh token was already used; the session is ended", code="refresh_reused")
    row = won[0]
    sid = row["session"]
    if row["revoked_at"] is not None:
        raise NotAuthenticated("Session ended; sign in again", code="session_revoked")
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise NotAuthenticated("Session expired; sign in again", code="session_expired")
    if row["status"] != "active":
        raise NotAuthenticated("Account is not active", code="account_inactive")
    await Session.update({Session.last_used_at: now}).where(Session.id == sid)
    new = await _new_refresh(sid)
    user_id = int(row["user_id"])
    expires = row["expires_at"] or now + timedelta(seconds=get_settings().auth.refresh_ttl_s)
    return TokenPair(issue_access_token(user_id, sid), get_settings().auth.access_ttl_s, new, expires, sid, user_id)


async def _revoke(where: Any, reason: str) -> dict[int, list[uuid.UUID]]:
    """Revoke the live sessions ``where`` selects; return their ids by user (to close their real-time connections)."""
    rows = await Session.update({Session.revoked_at: clock.now(), Session.revoke_reason: reason}).where(
        where & Session.revoked_at.is_null()
    ).returning(Session.id, Session.user)
    revoked: dict[int, list[uuid.UUID]] = {}
    for row in rows:
        revoked.setdefault(int(row["user"]), []).append(row["id"])
    return revoked


async def revoke_session(user_id: int, session_id: uuid.UUID, reason: str = "logout") -> None:
    """End one of the user's own sessions; NotFound for a session of someone else (no hint it exists)."""
    exists = await Session.exists().where((Session.id == session_id) & (Session.user == user_id))
    if not exists:
        raise NotFound("No such session", code="session_not_found")
    await _revoke((Session.id == session_id) & (Session.user == user_id), reason)
    await realtime.end_sessions(user_id, "session_revoked", [session_id])  # its WebSocket connections close now
    log.info("user %s ended session %s (%s)", user_id, session_id, reason)


async def revoke_all_sessions(user_id: int, reason: str = "logout_all") -> int:
    """End every session of ``user_id`` at once (ban, "log out everywhere", password reset); return how many.

    Every real-time connection of the user closes too, on every API process (4401 ``account_inactive`` when the
    reason is in ``ACCOUNT_ENDED``, else ``session_revoked``).
    """
    n = sum(len(sids) for sids in (await _revoke(Session.user == user_id, reason)).values())
    await realtime.end_sessions(user_id, "account_inactive" if reason in ACCOUNT_ENDED else "session_revoked")
    log.info("revoked %d session(s) of user %s (%s)", n, user_id, reason)
    return n


async def list_sessions(user_id: int) -> list[dict[str, Any]]:
    """The user's live sessions, most recently used first."""
    now = clock.now()
    return await Session.select(Session.id, Session.device, Session.created_at, Session.last_used_at,
                                Session.expires_at).where(
        (Session.user == user_id) & Session.revoked_at.is_null() & ((Session.expires_at > now)
                                                                     | Session.expires_at.is_null())
    ).order_by(Session.last_used_at, ascending=False)
