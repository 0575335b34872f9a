"""The panel's conversation page on the real-time channel: an access token for the signed-in agent, and its renewal.

``/api/v1/realtime`` takes access tokens; the panel has a cookie session. So each agent using the panel gets one
auth session of their own (device :data:`DEVICE`, kept in Redis; a new one when it was revoked, say by "log out
everywhere"), and the conversation page carries an access token of it, minted with ``core.auth``'s own functions. No
refresh token is ever made: the page renews the access token before it expires through the panel action
``live_token`` (the panel's session, CSRF and ``support.answer`` checks apply), which hands it over once through a
one-time grant read by the page ``/admin/p/support/live`` (the token never goes into a URL).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import msgspec

from core import cache, clock
from core.auth.guards import check_access_token
from core.auth.services import open_session
from core.auth.tokens import decode_access_token, issue_access_token
from core.errors import NotAuthenticated, NotFound
from core.settings import get_settings

DEVICE = "Admin panel: live support chat"
GRANT_TTL_S = 60
"""How long the token a renewal minted waits for the page to fetch it (once)."""
TOKEN_TTL_S = 5 * 60
"""How long a live token lives (auth's default access lifetime if shorter): a panel logout or a lost role ends an
open socket within it; the page renews at 80 % of it."""
SESSION_TTL_S = 60 * 60 * 24 * 30
"""How long the id of an agent's panel auth session is kept in Redis (auth's refresh lifetime: its row's expiry)."""


class LiveToken(msgspec.Struct, frozen=True):
    """An access token for ``/api/v1/realtime`` and the desk API, and how many seconds it lives."""

    token: str
    expires_in: int


def _session_key(staff_id: int) -> str:
    return cache.key("support", "panel-session", staff_id)


def _grant_key(grant: str) -> str:
    return cache.key("support", "panel-grant", grant)


async def _session_of(staff_id: int, *, fresh: bool) -> uuid.UUID:
    """The agent's panel auth session (opened on first use, or again when ``fresh`` and the old one ended)."""
    redis = cache.client()
    raw = await redis.get(_session_key(staff_id))
    if raw is not None:
        sid = uuid.UUID(raw.decode() if isinstance(raw, bytes) else str(raw))
        if not fresh:
            return sid
        try:
            await check_access_token(issue_access_token(staff_id, sid))  # the session is still live
            return sid
        except NotAuthenticated:
            pass
    sid, _token = await open_session(staff_id, DEVICE)
    await redis.set(_session_key(staff_id), str(sid), ex=SESSION_TTL_S)
    return sid


async def token_for(staff_id: int, *, fresh: bool = False) -> LiveToken:
    """An access token of the agent's panel session.

    ``fresh`` checks first that the session is still live (one query) and opens a new one when it is not: the
    renewal does, since the page asks for one after the socket closed with ``session_revoked``. A page render does
    not (it runs on every 5-s refresh while the socket is down).
    """
    token = issue_access_token(staff_id, await _session_of(staff_id, fresh=fresh), ttl_s=TOKEN_TTL_S)
    expires_in = decode_access_token(token).expires_at - int(clock.timestamp())
    return LiveToken(token, min(expires_in, TOKEN_TTL_S, get_settings().auth.access_ttl_s))


async def grant(staff_id: int) -> str:
    """Mint a checked token for the agent and keep it for one read by :func:`take` within :data:`GRANT_TTL_S`."""
    live = await token_for(staff_id, fresh=True)
    key = secrets.token_urlsafe(24)
    await cache.client().set(_grant_key(key), msgspec.json.encode({"staff_id": staff_id, "live": live}),
                             ex=GRANT_TTL_S)
    return key


async def take(key: str, staff_id: int) -> LiveToken:
    """The token kept under grant ``key`` for this agent (gone once read); NotFound ``grant_not_found`` otherwise."""
    raw = await cache.client().getdel(_grant_key(key)) if 0 < len(key) <= 64 else None
    kept: dict[str, Any] = msgspec.json.decode(raw) if raw else {}
    if kept.get("staff_id") != staff_id:
        raise NotFound("No such token grant", code="grant_not_found")
    return msgspec.convert(kept["live"], LiveToken)
