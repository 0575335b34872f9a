"""How to reach a user: core's ``get_contacts``/``get_contact`` (email, phone, name, language, timezone)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from core.errors import NotFound
from core.users import services as users


@dataclass(frozen=True)
class Contact:
    """The recipient's addresses and locale."""

    email: str | None
    phone: str | None
    display_name: str
    language: str
    timezone: str


def _convert(c: Any, default_language: str, default_timezone: str) -> Contact:
    return Contact(c.email, c.phone, c.display_name or "", c.language or default_language,
                   c.timezone or default_timezone)


async def contacts_of(user_ids: list[int], default_language: str = "en",
                      default_timezone: str = "UTC") -> dict[int, Contact]:
    """Contact details of many users (absent: no such account), in one query when core offers the bulk call."""
    bulk: Any = getattr(users, "get_contacts", None)
    if bulk is not None:
        found = await bulk(user_ids)
        return {uid: _convert(c, default_language, default_timezone) for uid, c in found.items()}
    out: dict[int, Contact] = {}

    async def one(uid: int) -> None:
        try:
            out[uid] = _convert(await users.get_contact(uid), default_language, default_timezone)
        except NotFound:
            pass

    await asyncio.gather(*(one(u) for u in user_ids))
    return out
