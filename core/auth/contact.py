"""Changing the account's email or phone: a code goes to the new address; confirming it makes the switch."""

from __future__ import annotations

import json
import logging
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from core import cache, ratelimit
from core.auth import codes
from core.auth.identifiers import normalise_email, normalise_phone
from core.errors import Conflict, ValidationFailed
from core.settings import get_settings
from core.users import services as users
from core.users.tables import User

log = logging.getLogger("core.auth")


def _key(user_id: int) -> str:
    return cache.key("contact_change", user_id)


async def request_change(user_id: int, email: str | None = None, phone: str | None = None) -> dict[str, Any]:
    """Start changing the email (or phone): 409 when another account uses it; a code goes to the new address."""
    if bool(email) == bool(phone):
        raise ValidationFailed("Give either a new email or a new phone", code="identifier_required",
                               errors=[{"pointer": "/email", "detail": "exactly one of email or phone"}])
    kind, value = ("email", normalise_email(email)) if email else ("phone", normalise_phone(phone or ""))
    if await users.identifier_taken(value if kind == "email" else None, value if kind == "phone" else None):
        raise Conflict("Another account uses this %(kind)s", params={"kind": kind}, code="account_exists")
    auth = get_settings().auth
    await cache.client().set(_key(user_id), json.dumps({"kind": kind, "value": value}), ex=auth.code_ttl_s)
    sent = await codes.issue(user_id, "change", value if kind == "email" else None, value if kind == "phone" else None)
    log.info("user %s asked to change their %s", user_id, kind)
    return sent


async def confirm_change(user_id: int, code: str, ip: str = "") -> None:
    """Finish the change with the code sent to the new address."""
    auth = get_settings().auth
    await ratelimit.hit("code_ip", ip, limit=auth.code_ip_limit, window_s=auth.code_window_s)
    raw = await cache.client().get(_key(user_id))
    if raw is None:
        raise ValidationFailed("No change in progress or it expired", code="code_invalid",
                               errors=[{"pointer": "/code", "detail": "Request a new code"}])
    pending = json.loads(raw)
    await codes.check(user_id, ("change",), code)
    column = User.email if pending["kind"] == "email" else User.phone
    try:
        await User.update({column: pending["value"], User.is_verified: True}).where(User.id == user_id)
    except UniqueViolationError as exc:  # taken meanwhile by a registration
        raise Conflict("Another account uses this %(kind)s",
                       params={"kind": pending['kind']}, code="account_exists") from exc
    await cache.client().delete(_key(user_id))
    log.info("user %s changed their %s", user_id, pending["kind"])
