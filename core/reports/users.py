"""Core's own reportable type: a user (their profile, name or behaviour)."""

from __future__ import annotations

from core.errors import NotFound
from core.reports.types import ReportableType
from core.users import services as users


async def _exists(user_id: int, viewer_id: int) -> bool:
    try:
        return (await users.get_user(user_id)).status != "deleted"
    except NotFound:
        return False


async def _author(user_id: int) -> int | None:
    return user_id


async def _describe(user_id: int) -> str:
    user = await users.get_user(user_id)
    return f"{user.display_name} ({user.status})"


def user_type() -> ReportableType:
    """``users.user``: staff may ban the person (the queue's ``ban_author``)."""
    return ReportableType(name="users.user", label="User", exists=_exists, author_of=_author, describe=_describe,
                          admin_url=lambda user_id: f"/admin/users/{user_id}")
