"""Access tokens: short-lived JWTs signed with the current key (``kid`` header); only the configured alg accepted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import jwt

from core import clock
from core.errors import NotAuthenticated
from core.settings import get_settings

ISSUER = "sbor"


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says."""

    user_id: int
    session_id: uuid.UUID
    expires_at: int


def issue_access_token(user_id: int, session_id: uuid.UUID, ttl_s: int | None = None) -> str:
    """Sign an access token for ``user_id`` in session ``session_id``.

    It lives ``auth.access_ttl_s``; a caller may ask for a shorter life (``ttl_s`` seconds, at least 1), never a
    longer one.
    """
    if ttl_s is not None and ttl_s < 1:
        raise ValueError(f"an access token lives at least a second, not {ttl_s}")
    auth = get_settings().auth
    now = int(clock.timestamp())
    life = auth.access_ttl_s if ttl_s is None else min(ttl_s, auth.access_ttl_s)
    claims = {"sub": str(user_id), "sid": str(session_id), "iat": now, "exp": now + life, "iss": ISSUER}
    kid = auth.jwt_current_kid
    return jwt.encode(claims, auth.jwt_keys[kid], algorithm=auth.jwt_algorithm, headers={"kid": kid})


def decode_access_token(token: str) -> AccessClaims:
    """Verify signature, algorithm, key id, expiry (on core's clock) and issuer; raise NotAuthenticated."""
    auth = get_settings().auth
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("Malformed access token", code="token_invalid") from exc
    kid = header.get("kid")
    if header.get("alg") != auth.jwt_algorithm or not isinstance(kid, str) or kid not in auth.jwt_keys:
        raise NotAuthenticated("Access token not signed with an accepted key", code="token_invalid")
    try:
        claims = jwt.decode(
            token,
            auth.jwt_keys[kid],
            algorithms=[auth.jwt_algorithm],
            issuer=ISSUER,
            # exp is checked below on core's clock; PyJWT's own iat check uses the wall clock (and rejects tokens
            # from a server whose clock runs a little ahead), so it is off.
            options={"require": ["exp", "sub", "sid", "iat"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("Invalid access token", code="token_invalid") from exc
    if int(claims["exp"]) <= clock.timestamp():
        raise NotAuthenticated("Access token expired", code="token_expired")
    try:
        return AccessClaims(int(claims["sub"]), uuid.UUID(claims["sid"]), int(claims["exp"]))
    except (TypeError, ValueError) as exc:
        raise NotAuthenticated("Invalid access token", code="token_invalid") from exc
