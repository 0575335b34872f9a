"""Staff sessions kept server-side in Redis, the session cookie, and the per-session CSRF token of every form."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import msgspec

from admin_ui import AdminSettings
from core import cache, clock
from core.hooks import plugin_settings

COOKIE = "sbor_admin"
CSRF_FIELD = "_csrf"


class AdminSession(msgspec.Struct):
    """What Redis holds for one signed-in staff member (the cookie holds only a random id)."""

    user_id: int
    csrf: str
    created_at: float
    timezone: str = "UTC"


def settings() -> AdminSettings:
    """The admin plugin's settings."""
    return plugin_settings(AdminSettings)


def _key(token: str) -> str:
    # Only a hash of the cookie value is stored: a leaked Redis dump does not give working cookies.
    return cache.key("admin", "session", hashlib.sha256(token.encode()).hexdigest())


def _user_key(user_id: int) -> str:
    return cache.key("admin", "user-sessions", user_id)


async def open_session(user_id: int, timezone: str) -> tuple[str, AdminSession]:
    """Create a session; return the cookie value and the session."""
    token = secrets.token_urlsafe(32)
    sess = AdminSession(user_id=user_id, csrf=secrets.token_urlsafe(32), created_at=clock.timestamp(),
                        timezone=timezone)
    ttl = settings().session_idle_s
    redis = cache.client()
    await redis.set(_key(token), msgspec.json.encode(sess), ex=ttl)
    await redis.sadd(_user_key(user_id), _key(token))
    await redis.expire(_user_key(user_id), settings().session_max_s)
    return token, sess


async def load_session(token: str | None) -> AdminSession | None:
    """Return the live session for a cookie value (sliding idle expiry, hard maximum age), else None."""
    if not token or len(token) > 100:
        return None
    redis = cache.client()
    raw = await redis.get(_key(token))
    if raw is None:
        return None
    sess = msgspec.json.decode(raw, type=AdminSession)
    if clock.timestamp() - sess.created_at > settings().session_max_s:
        await redis.delete(_key(token))
        return None
    await redis.expire(_key(token), settings().session_idle_s)
    return sess


async def close_session(token: str | None) -> None:
    """End one session (logout)."""
    if token:
        await cache.client().delete(_key(token))


async def close_all_sessions(user_id: int) -> int:
    """End every admin session of ``user_id`` (ban, demotion); return how many."""
    redis = cache.client()
    keys = list(await redis.smembers(_user_key(user_id)))
    if keys:
        await redis.delete(*keys)
    await redis.delete(_user_key(user_id))
    return len(keys)


def _flash_key(sess: AdminSession) -> str:
    # The CSRF token is per session and secret: a hash of it names the session's flash message.
    return cache.key("admin", "flash", hashlib.sha256(sess.csrf.encode()).hexdigest())


async def push_flash(sess: AdminSession, message: str) -> None:
    """Keep a message for the next page this session opens (POST, redirect, GET shows it once)."""
    await cache.client().set(_flash_key(sess), message[:500], ex=300)


async def pop_flash(sess: AdminSession) -> str | None:
    """The message kept for this session, removed as it is read."""
    raw = await cache.client().getdel(_flash_key(sess))
    return raw.decode() if isinstance(raw, bytes) else raw


def csrf_ok(sess: AdminSession, submitted: str | None) -> bool:
    """Constant-time comparison of a form's token with the session's."""
    return bool(submitted) and hmac.compare_digest(sess.csrf.encode(), str(submitted).encode())


def cookie_secure(scheme: str) -> bool:
    """Whether to mark the cookie Secure: the setting when given, else whether this request came over HTTPS."""
    forced = settings().cookie_secure
    return bool(forced) if forced is not None else scheme == "https"
