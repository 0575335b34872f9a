"""The audit log: every admin action recorded (append-only in PostgreSQL), and filtered for the audit page."""

from __future__ import annotations

import logging
from typing import Any

from admin_ui.tables import AuditEntry
from core import clock
from core.pagination import Page, decode_cursor, paginate

log = logging.getLogger("admin_ui.audit")


async def record(
    actor_id: int | None,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    *,
    actor_label: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    ip: str = "",
) -> None:
    """Append one entry: who did ``action`` to which object, with the state before and after."""
    await AuditEntry.insert(
        AuditEntry(
            actor_id=actor_id,
            actor_label=actor_label[:254],
            action=action[:64],
            object_type=object_type[:64],
            object_id=str(object_id)[:64],
            before=before,
            after=after,
            reason=reason,
            ip=ip[:64],
            created_at=clock.now(),
        )
    )
    log.info("audit: %s by %s on %s %s", action, actor_id, object_type, object_id)


FILTERS = ("actor_id", "action", "object_type", "object_id")
ENTRIES = "admin.audit"
"""The cursor scope of the audit log."""


async def entries(filters: dict[str, str], cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """Entries matching ``filters`` (exact match on actor, action, object type and id), newest first, one page.

    A cursor this list did not give out raises ``InvalidCursor`` (400), whatever the filters.
    """
    after = decode_cursor(cursor, int, scope=ENTRIES)[0] if cursor else None
    query = AuditEntry.select().output(load_json=True)
    for name in FILTERS:
        value = (filters.get(name) or "").strip()
        if not value:
            continue
        if name == "actor_id":
            if not value.isdigit() or len(value) > 18:
                return Page(items=[])
            query = query.where(AuditEntry.actor_id == int(value))
        else:
            query = query.where(getattr(AuditEntry, name) == value)
    if after is not None:
        query = query.where(AuditEntry.id < after)
    rows = await query.order_by(AuditEntry.id, ascending=False).limit(limit + 1)
    items, next_cursor = paginate(rows, limit, key=lambda r: (r["id"],), scope=ENTRIES)
    return Page(items=items, next_cursor=next_cursor)


async def about_user(user_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """Recent entries where the user acted or was acted upon."""
    rows = await AuditEntry.select().output(load_json=True).where(
        (AuditEntry.actor_id == user_id) | ((AuditEntry.object_type == "user") & (AuditEntry.object_id == str(user_id)))
    ).order_by(AuditEntry.id, ascending=False).limit(limit)
    return rows
