"""The audit log: services record every moderation decision and privileged write, whoever called them.

The panel, the API, the CLI and jobs all reach the same services, so each action is written once, here, with who
did it, what, to which object, the state before and after, the reason, and where it came from: the request id and
the caller's address (set by the HTTP middleware in ``core.http.context``) or the job or command that ran it.

Append-only: the table (``users.audit_entry``) has no update or delete path in code, and a trigger refuses UPDATE
and DELETE in the database. Called inside a service's transaction, the entry commits (or rolls back) with the change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core import clock
from core.http.context import client_address, origin, request_id
from core.pagination import Page, decode_cursor, paginate
from core.users.tables import AuditEntry, User

log = logging.getLogger("core.audit")

FILTERS = ("actor_id", "action", "object_type", "object_id", "origin", "request_id")
"""The audit page's filters (exact matches)."""
ENTRIES = "admin.audit"
"""The cursor scope of the audit log's pages."""


@contextmanager
def acting_as(where: str) -> Iterator[None]:
    """Mark what runs inside as coming from ``where`` (``cli``, ``job:<actor name>``): read by :func:`record`."""
    token = origin.set(where)
    try:
        yield
    finally:
        origin.reset(token)


async def _label_of(actor_id: int) -> str:
    row = await User.select(User.email, User.phone, User.display_name).where(User.id == actor_id).first()
    if row is None:
        return ""
    return str(row["email"] or row["phone"] or row["display_name"] or "")


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
    ip: str | None = None,
) -> None:
    """Append one entry: ``actor_id`` did ``action`` (``<area>.<verb>``) to ``object_type`` ``object_id``.

    ``actor_id`` None is the system (a job, a command, the sign-in of an unknown address); the label defaults to the
    actor's email (or the origin). The request id, the address and the origin come from the context; ``ip`` overrides
    the address. Never raises for a missing actor: the log outlives accounts.
    """
    where = origin.get() or ""
    if not actor_label:
        actor_label = (await _label_of(actor_id)) if actor_id is not None else where
    address = ip if ip is not None else (client_address.get() or "")
    await AuditEntry.insert(AuditEntry(
        actor_id=actor_id, actor_label=actor_label[:254], action=action[:64], object_type=object_type[:64],
        object_id=str(object_id)[:64], before=before, after=after, reason=reason, ip=address[:64],
        request_id=(request_id.get() or "")[:64], origin=where[:64], created_at=clock.now(),
    ))
    log.info("audit: %s by %s on %s %s (%s)", action, actor_id, object_type, object_id, where or "-")


# ---------------------------------------------------------------------------------------------------------------------
# Reading (the panel's audit page, a user's page, support's context)
# ---------------------------------------------------------------------------------------------------------------------


async def entries(filters: dict[str, str], cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """Entries matching ``filters`` (exact match on each of :data:`FILTERS`), newest first, one page.

    A cursor this list did not give out raises ``InvalidCursor`` (400), whatever the filters.
    """
    after = decode_cursor(cursor, int, scope=ENTRIES)[0] if cursor else None
    query = AuditEntry.select().output(load_json=True)
    for name in FILTERS:
        value = (filters.get(name) or "").strip()
        if not value:
            continue
        if name == "actor_id":
            if not value.isdigit() or len(value) > 9:
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
    """Recent entries where the user acted or was acted upon, newest first."""
    rows: list[dict[str, Any]] = await AuditEntry.select().output(load_json=True).where(
        (AuditEntry.actor_id == user_id) | ((AuditEntry.object_type == "user") & (AuditEntry.object_id == str(user_id)))
    ).order_by(AuditEntry.id, ascending=False).limit(limit)
    return rows
