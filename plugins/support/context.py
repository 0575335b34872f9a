"""The user's context beside a ticket: their account, their other tickets, and what other plugins add (hook)."""

from __future__ import annotations

from typing import Any

from core import hooks
from core.errors import NotFound
from core.users import services as users
from plugins.support import hookspecs
from plugins.support.tables import Ticket

RECENT = 10


async def sections(user_id: int, staff_id: int) -> list[dict[str, Any]]:
    """Sections ``{"title", "rows": [{"label", "value", "url"?}]}`` the staff member's permissions allow."""
    permissions = await users.permissions_of(staff_id)
    out: list[dict[str, Any]] = []
    if users.allows(permissions, "users.view"):
        out.append(await _account(user_id))
    out.append(await _tickets(user_id))
    for section in await hooks.call(hookspecs.user_context_for_support, user_id=user_id, permissions=permissions):
        if isinstance(section, dict) and section.get("rows") is not None:
            out.append({"title": str(section.get("title", "")), "rows": list(section["rows"])})
    return out


async def _account(user_id: int) -> dict[str, Any]:
    try:
        account = await users.account_details(user_id)
    except NotFound:
        return {"title": "Account", "rows": [{"label": "Account", "value": "deleted"}]}
    rows = [{"label": "Name", "value": account["display_name"], "url": f"/admin/users/{user_id}"},
            {"label": "Email", "value": account["email"] or "—"}, {"label": "Phone", "value": account["phone"] or "—"},
            {"label": "Status", "value": account["status"]},
            {"label": "Verified", "value": "yes" if account["is_verified"] else "no"},
            {"label": "Since", "value": account["created_at"].date().isoformat()},
            {"label": "Roles", "value": ", ".join(account["roles"]) or "—"}]
    if account.get("ban_reason"):
        rows.append({"label": "Ban", "value": account["ban_reason"]})
    return {"title": "Account", "rows": rows}


async def _tickets(user_id: int) -> dict[str, Any]:
    rows = await Ticket.select(Ticket.id, Ticket.subject, Ticket.status, Ticket.csat_score).where(
        Ticket.requester == user_id).order_by(Ticket.id, ascending=False).limit(RECENT)
    return {"title": "Support tickets", "rows": [
        {"label": f"#{r['id']} {r['status']}" + (f" ★{r['csat_score']}" if r["csat_score"] else ""),
         "value": r["subject"], "url": f"/admin/p/support/conversation?ticket={r['id']}"} for r in rows]}
