"""Who may see what of a user: the owner's privacy settings per aspect, and the check every reader makes."""

from __future__ import annotations

import json
from typing import Any

from core import hooks
from core.hooks import hookspecs
from core.users.tables import User

ASPECTS = ("profile", "participation", "contact")
AUDIENCES = ("everyone", "shared", "nobody")
DEFAULT_PRIVACY = {"profile": "everyone", "participation": "shared", "contact": "shared"}


def privacy_of(stored: Any) -> dict[str, str]:
    """A user's privacy settings with defaults filled in."""
    out = dict(DEFAULT_PRIVACY)
    if isinstance(stored, str):
        stored = json.loads(stored or "{}")
    out.update({k: v for k, v in (stored or {}).items() if k in ASPECTS and v in AUDIENCES})
    return out


async def can_see(viewer_id: int | None, owner_id: int, aspect: str) -> bool:
    """Whether ``viewer_id`` (None: anonymous) may see ``owner_id``'s ``aspect`` by the owner's privacy settings.

    ``aspect`` is ``profile``, ``participation`` or ``contact``; the audience is ``everyone``, ``shared`` (people
    sharing an event or group, answered by the ``users_share_context`` hook) or ``nobody``. Owners always see
    themselves; nobody sees a banned or deleted account's data.
    """
    if aspect not in ASPECTS:
        raise ValueError(f"unknown privacy aspect {aspect!r}")
    if viewer_id is not None and viewer_id == owner_id:
        return True
    row = await User.select(User.privacy, User.status).where(User.id == owner_id).first()
    if row is None or row["status"] != "active":
        return False
    audience = privacy_of(row["privacy"])[aspect]
    if audience == "everyone":
        return viewer_id is not None or aspect != "contact"
    if audience == "nobody" or viewer_id is None:
        return False
    return bool(await hooks.first(hookspecs.users_share_context, viewer_id=viewer_id, owner_id=owner_id))
