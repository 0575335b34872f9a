"""Asking for a role (the organiser role, when the operator requires it to create events); staff decide in the panel.

One pending request per user and role; a decision grants the role or tells the user why not. Moves: pending →
approved | rejected (409 ``request_decided`` otherwise).
"""

from __future__ import annotations

import logging
from typing import Any

from core import audit, clock
from core.errors import Conflict, NotFound, ValidationFailed
from core.pagination import Page, decode_cursor, paginate
from core.users.access import grant_role, roles_of
from core.users.tables import RoleRequest

log = logging.getLogger("core.users")

REQUESTABLE = ("organiser",)
"""Roles a user may ask for; the others are only ever granted by staff."""
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
SCOPE = "users.role_requests"
COLUMNS = (RoleRequest.id, RoleRequest.user.as_alias("user_id"), RoleRequest.user.display_name.as_alias("display_name"),
           RoleRequest.user.email.as_alias("email"), RoleRequest.role, RoleRequest.note, RoleRequest.status,
           RoleRequest.reason, RoleRequest.created_at, RoleRequest.decided_at)


async def request_role(user_id: int, role: str, note: str) -> dict[str, Any]:
    """Ask for ``role``: 422 ``role_not_requestable``; 409 ``role_held`` or ``request_pending``."""
    if role not in REQUESTABLE:
        raise ValidationFailed("This role cannot be requested", code="role_not_requestable",
                               errors=[{"pointer": "/role", "detail": f"one of: {', '.join(REQUESTABLE)}"}])
    if role in await roles_of(user_id):
        raise Conflict("You already have this role", code="role_held")
    if await RoleRequest.exists().where(RoleRequest.user == user_id, RoleRequest.role == role,
                                        RoleRequest.status == PENDING):
        raise Conflict("Your request is waiting for staff", code="request_pending")
    rows = await RoleRequest.insert(RoleRequest(user=user_id, role=role, note=note.strip(), status=PENDING,
                                                created_at=clock.now())).returning(RoleRequest.id)
    log.info("user %s asked for role %s (request %s)", user_id, role, rows[0]["id"])
    return await get(rows[0]["id"])


async def get(request_id: int) -> dict[str, Any]:
    """One request (NotFound ``role_request_not_found``)."""
    row = await RoleRequest.select(*COLUMNS).where(RoleRequest.id == request_id).first()
    if row is None:
        raise NotFound("No such role request", code="role_request_not_found")
    return dict(row)


async def mine(user_id: int) -> list[dict[str, Any]]:
    """The user's requests, newest first."""
    return [dict(r) for r in await RoleRequest.select(*COLUMNS).where(RoleRequest.user == user_id).order_by(
        RoleRequest.id, ascending=False).limit(50)]


async def queue(status: str | None, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """Requests for the panel, oldest first (pending ones by default)."""
    query = RoleRequest.select(*COLUMNS).where(RoleRequest.status == (status or PENDING))
    if cursor:
        query = query.where(RoleRequest.id > decode_cursor(cursor, int, scope=SCOPE)[0])
    rows = await query.order_by(RoleRequest.id).limit(limit + 1)
    items, nxt = paginate([dict(r) for r in rows], limit, key=lambda r: (r["id"],), scope=SCOPE)
    return Page(items=items, next_cursor=nxt)


async def decide(request_id: int, staff_id: int, approve: bool, reason: str = "") -> dict[str, Any]:
    """Approve (grants the role) or reject (with a reason the user reads) a pending request."""
    if not approve and not reason.strip():
        raise ValidationFailed("Say why, for the user", code="reason_required",
                               errors=[{"pointer": "/reason", "detail": "required"}])
    row = await get(request_id)
    done = await RoleRequest.update({
        RoleRequest.status: APPROVED if approve else REJECTED, RoleRequest.reason: reason.strip(),
        RoleRequest.decided_by: staff_id, RoleRequest.decided_at: clock.now(),
    }).where(RoleRequest.id == request_id, RoleRequest.status == PENDING).returning(RoleRequest.id)
    if not done:  # someone decided first
        raise Conflict("This request was already decided", code="request_decided")
    if approve:
        await grant_role(row["user_id"], row["role"], staff_id)  # audited as the grant
    else:
        await audit.record(staff_id, "role_request.reject", "user", row["user_id"], reason=reason.strip(),
                           before={"role_request": request_id, "role": row["role"], "status": PENDING},
                           after={"status": REJECTED})
    log.info("staff %s %s role request %s (user %s, %s)", staff_id, "approved" if approve else "rejected",
             request_id, row["user_id"], row["role"])
    return await get(request_id)
