"""A form posted after the staff session expired, kept across the sign-in so nothing typed is lost.

The guard stashes the POSTed fields (never the CSRF token) in Redis under a one-time random token and sends the
browser to the sign-in page with ``next=<the page the form was on>?resume=<token>``; that page takes the fields back
(once) and shows them in its form. Nothing is replayed by itself: the staff member submits again, with a fresh
CSRF token.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import msgspec

from core import cache

TTL_S = 3600
MAX_FIELDS = 50
MAX_VALUE = 10_000
SKIP = frozenset({"_csrf"})


def _key(token: str) -> str:
    return cache.key("admin", "pending-form", token)


async def stash(fields: Mapping[str, Any]) -> str:
    """Keep the fields of a form (text only, capped) and return the one-time token that gets them back."""
    kept: dict[str, str] = {}
    for name, value in list(fields.items())[:MAX_FIELDS]:
        if name in SKIP or not isinstance(value, str):
            continue
        kept[str(name)[:100]] = value[:MAX_VALUE]
    token = secrets.token_urlsafe(24)
    await cache.client().set(_key(token), msgspec.json.encode(kept), ex=TTL_S)
    return token


async def take(token: str | None) -> dict[str, str]:
    """The fields kept under ``token`` (removed as they are read); empty when unknown, used or expired."""
    if not token or len(token) > 64:
        return {}
    raw = await cache.client().getdel(_key(token))
    return {} if raw is None else msgspec.json.decode(raw, type=dict[str, str])


def resume_target(path: str, query: str, referer: str | None, host: str | None) -> str:
    """Where to come back to after signing in: the page the form was on (same panel), else the form's address."""
    if referer:
        parts = urlsplit(referer)
        if parts.path.startswith("/admin/") and (not parts.netloc or parts.netloc == host) \
                and not parts.path.startswith("/admin/login"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return path + (f"?{query}" if query else "")


def with_resume(target: str, token: str) -> str:
    """``target`` with ``resume=<token>`` added to its query."""
    return target + ("&" if "?" in target else "?") + urlencode({"resume": token})
