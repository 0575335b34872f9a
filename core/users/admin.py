"""The panel's queue of role requests (users asking for the organiser role): approve, or reject with a reason."""

from __future__ import annotations

from typing import Any

from core.admin import Action, ActionContext, ActionResult, AdminPage, AdminQuery, Column, Field, Filter, Page
from core.users import appeals, role_requests

PERMISSION = "roles.edit"
BAN_PERMISSION = "users.ban"


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


async def load_appeals(query: AdminQuery) -> Page:
    """Ban appeals in the chosen status (pending first), oldest first."""
    return await appeals.queue(query.filters.get("status") or None, query.cursor, query.limit)


async def load_appeal(appeal_id: str) -> dict[str, Any] | None:
    """One appeal (its detail page)."""
    return await appeals.get(int(appeal_id)) if appeal_id.isdigit() and len(appeal_id) < 10 else None


async def accept_appeals(ctx: ActionContext) -> ActionResult:
    """Lift the ban of each selected appeal's user."""
    for appeal_id in ctx.ids:
        await appeals.decide(int(appeal_id), ctx.staff_id, accept=True, answer=str(ctx.values.get("answer") or ""))
    return ActionResult(f"Accepted {len(ctx.ids)} appeal(s); the bans are lifted.")


async def refuse_appeals(ctx: ActionContext) -> ActionResult:
    """Refuse each selected appeal with the answer the users will read."""
    for appeal_id in ctx.ids:
        await appeals.decide(int(appeal_id), ctx.staff_id, accept=False, answer=ctx.values["answer"])
    return ActionResult(f"Refused {len(ctx.ids)} appeal(s).")


def _appeal_pending(row: Any) -> bool:
    return bool(row.get("status") == appeals.PENDING)


def appeals_page() -> AdminPage:
    """Banned users' appeals: accept (lift the ban) or refuse with an answer."""
    return AdminPage(
        plugin="users", slug="appeals", title="Ban appeals", permission=BAN_PERMISSION, section="Users",
        columns=[Column("id", "#"), Column("display_name", "User", link="/admin/users/{user_id}"),
                 Column("email", "Email"), Column("ban_reason", "Ban reason"), Column("text", "Appeal"),
                 Column("status", "Status", kind="badge"), Column("answer", "Answer"),
                 Column("created_at", "Filed", kind="datetime")],
        filters=[Filter("status", "Status", choices=list(appeals.STATUSES))],
        load=load_appeals, detail=load_appeal,
        actions=[
            Action("accept", "Accept (lift the ban)", BAN_PERMISSION, accept_appeals, bulk=True,
                   confirm="Lift the ban of these users?", visible=_appeal_pending,
                   fields=[Field("answer", "Answer (optional; the user reads it)", kind="textarea", max_length=2000)]),
            Action("refuse", "Refuse", BAN_PERMISSION, refuse_appeals, bulk=True, confirm="Refuse these appeals?",
                   fields=[Field("answer", "Answer (the user reads it)", kind="textarea", required=True,
                                 max_length=2000)], visible=_appeal_pending, danger=True),
        ],
    )


def contributions() -> list[object]:
    """The role requests and ban appeals pages under Users."""
    return [appeals_page(), AdminPage(
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
