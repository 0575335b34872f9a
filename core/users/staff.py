"""Staff's view of accounts (admin panel, support): search, filter and one account's details, never secrets."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from core.users.access import roles_of
from core.users.tables import User

STAFF_FIELDS = ("id", "email", "phone", "display_name", "status", "ban_reason", "is_verified", "totp_enabled",
                "created_at")


async def list_users(q: str | None = None, status: str | None = None, after_id: int | None = None,
                     limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """Accounts for staff, newest first, filtered by a search text (email, phone, name) and status.

    Returns one page and the id to pass as ``after_id`` for the next page (None at the end).
    """
    where: Any = User.id > 0
    if q:
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = where & (User.email.ilike(pattern) | User.phone.ilike(pattern) | User.display_name.ilike(pattern))
    if status:
        where = where & (User.status == status)
    if after_id is not None:
        where = where & (User.id < after_id)
    columns = [getattr(User, f) for f in STAFF_FIELDS]
    rows = await User.select(*columns).where(where).order_by(User.id, ascending=False).limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1]["id"]) if more and rows else None)


async def account_details(user_id: int) -> dict[str, Any]:
    """One account for staff (no secrets), with its roles; NotFound when missing."""
    row = await User.select(*[getattr(User, f) for f in STAFF_FIELDS]).where(User.id == user_id).first()
    if row is None:
        raise NotFound("user %(user_id)s not found", params={"user_id": user_id}, code="user_not_found")
    row["roles"] = await roles_of(user_id)
    return row
