"""Auth's rules: sessions (create, revoke). Registration, refresh and second factor build on these."""

from __future__ import annotations

import logging
import uuid

from core import clock
from core.auth.tables import Session
from core.auth.tokens import issue_access_token

log = logging.getLogger("core.auth")


async def open_session(user_id: int, device: str = "") -> tuple[uuid.UUID, str]:
    """Start a session for ``user_id``; return its id and an access token."""
    sid = uuid.uuid4()
    await Session.insert(Session(id=sid, user=user_id, device=device[:200], created_at=clock.now(),
                                 last_used_at=clock.now()))
    log.info("session opened for user %s", user_id)
    return sid, issue_access_token(user_id, sid)


async def revoke_all_sessions(user_id: int) -> int:
    """End every session of ``user_id`` at once (ban, "log out everywhere"); return how many."""
    rows = await Session.update({Session.revoked_at: clock.now()}).where(
        (Session.user == user_id) & Session.revoked_at.is_null()
    ).returning(Session.id)
    log.info("revoked %d session(s) of user %s", len(rows), user_id)
    return len(rows)
