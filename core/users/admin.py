"""The panel's queue of role requests (users asking for the organiser role): approve, or reject with a reason."""

from __future__ import annotations

from typing import Any

from core.admin import Action, ActionContext, ActionResult, AdminPage, AdminQuery, Column, Field, Filter, Page
from core.users import role_requests

PERMISSION = "roles.edit"


async def load(query: AdminQuery) -> Page:
    """Requests in the chosen status (pending first), oldest first."""
    return await role_requests.queue(query.filters.get("status") or None, query.cursor, query.limit)


async def approve(ctx: ActionContext) -> ActionResult:
    """Grant the asked-for role to each selected request's user."""
    for request_id in ctx.ids:
        await role_requests.decide(int(request_id), ctx.staff_id, approve=True)
    return ActionResult(f"Approved {len(ctx.ids)} request(s).")


async def reject(ctx: ActionContext) -> ActionResult:
    """Refuse each selected request with the reason the users will read."""
    for request_id in ctx.ids:
        await role_requests.decide(int(request_id), ctx.staff_id, approve=False, reason=ctx.values["reason"])
    return ActionResult(f"Rejected {len(ctx.ids)} request(s).")


def _pending(row: Any) -> bool:
    return bool(row.get("status") == role_requests.PENDING)


def contributions() -> list[object]:
    """The role requests page under Users."""
    return [AdminPage(
        plugin="users", slug="role-requests", title="Role requests", permission=PERMISSION, section="Users",
        columns=[Column("id", "#"), Column("display_name", "User", link="/admin/users/{user_id}"),
                 Column("email", "Email"), Column("role", "Role", kind="badge"), Column("note", "Note"),
                 Column("status", "Status", kind="badge"), Column("created_at", "Asked", kind="datetime")],
        filters=[Filter("status", "Status", choices=[role_requests.PENDING, role_requests.APPROVED,
                                                     role_requests.REJECTED])],
        load=load,
        actions=[
            Action("approve", "Approve", PERMISSION, approve, bulk=True, confirm="Grant the role to these users?",
                   visible=_pending),
            Action("reject", "Reject", PERMISSION, reject, bulk=True, confirm="Reject these requests?",
                   fields=[Field("reason", "Reason (the user reads it)", kind="textarea", required=True,
                                 max_length=2000)], visible=_pending),
        ],
    )]
