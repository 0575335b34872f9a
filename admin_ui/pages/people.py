"""Users (search, profile with plugins' sections, ban for good or some days, roles) and the roles editor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from admin_ui import accounts, audit, session
from admin_ui.render import panel, render
from admin_ui.web import checked_form, needs, page_size, staff_of, values
from core import clock, hooks
from core.errors import ValidationFailed
from core.hooks import hookspecs
from core.i18n import N_
from core.i18n import gettext as _
from core.users import appeals

DONE = {"banned": N_("User banned; their sessions ended."), "unbanned": N_("Ban lifted."),  # translated where shown
        "roles": N_("Roles saved."), "permissions": N_("Permissions saved.")}


MAX_BAN_DAYS = 3650


def _field_errors(exc: ValidationFailed) -> dict[str, str]:
    return {str(e.get("pointer", "")).lstrip("/"): str(e.get("detail", "")) for e in exc.extra.get("errors", [])}


class UsersController(Controller):
    """``/admin/users/…``."""

    path = "/users"
    include_in_schema = False

    @get("/", operation_id="admin_users", guards=[needs("users.view")])
    async def list_users(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Search by email, phone or name; newest first; paginated."""
        q = (request.query_params.get("q") or "")[:200]
        page = await accounts.search_users(q, request.query_params.get("cursor"), page_size())
        return render(request, "admin/users.html", {"rows": page.items, "q": q, "next_cursor": page.next_cursor},
                      staff=staff_of(request))

    @get("/{user_id:int}", operation_id="admin_user", guards=[needs("users.view")])
    async def get_user(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[str]:
        """Profile, roles, sessions, appeals, plugins' sections (events, reports…) and recent audited actions."""
        return await _user_page(request, user_id)

    @post("/{user_id:int}/ban", operation_id="admin_user_ban", guards=[needs("users.ban")], status_code=200)
    async def ban_user(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
        """Ban with a reason, for good or for some days; API and panel sessions end at once."""
        form = await checked_form(request)
        staff = staff_of(request)
        reason = str(form.get("reason") or "")[:2000]
        days = str(form.get("days") or "").strip()
        if days and (not days.isdigit() or not 1 <= int(days) <= MAX_BAN_DAYS):
            return await _user_page(request, user_id, status=422,
                                    errors={"days": _("Give a number of days from 1 to %(max)s, or leave it empty.")
                                            % {"max": MAX_BAN_DAYS}})
        until = clock.now() + timedelta(days=int(days)) if days else None
        try:
            await accounts.ban(user_id, reason, staff.user_id, until)  # core.users writes the audit log
        except ValidationFailed as exc:
            return await _user_page(request, user_id, errors=_field_errors(exc), status=422)
        await session.close_all_sessions(user_id)
        return Redirect(f"/admin/users/{user_id}?done=banned", status_code=303)

    @post("/{user_id:int}/unban", operation_id="admin_user_unban", guards=[needs("users.ban")], status_code=200)
    async def unban_user(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
        """Lift a ban, with a reason."""
        form = await checked_form(request)
        staff = staff_of(request)
        reason = str(form.get("reason") or "")[:2000]
        try:
            await accounts.unban(user_id, reason, staff.user_id)  # core.users writes the audit log
        except ValidationFailed as exc:
            return await _user_page(request, user_id, errors={"unban_reason": _field_errors(exc).get("reason", "")},
                                    status=422)
        return Redirect(f"/admin/users/{user_id}?done=unbanned", status_code=303)

    @post("/{user_id:int}/roles", operation_id="admin_user_roles", guards=[needs("roles.edit")], status_code=200)
    async def set_roles(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
        """Assign exactly the ticked roles (each grant and revocation is audited by core.users)."""
        form = await checked_form(request)
        staff = staff_of(request)
        try:
            await accounts.set_user_roles(user_id, set(values(form, "roles")), staff.user_id)
        except ValidationFailed as exc:
            return await _user_page(request, user_id, errors=_field_errors(exc), status=422)
        return Redirect(f"/admin/users/{user_id}?done=roles", status_code=303)


async def _user_page(request: Request[Any, Any, Any], user_id: int, *, errors: dict[str, str] | None = None,
                     status: int = 200) -> Response[str]:
    profile = await accounts.user_profile(user_id)
    staff = staff_of(request)
    sections = [section for found in await hooks.call(hookspecs.admin_user_sections, user_id=user_id,
                                                      permissions=staff.permissions) for section in found or []]
    return render(request, "admin/user.html", {
        "user": profile, "actions": await audit.about_user(user_id) if staff.has("admin.audit") else None,
        "roles": await accounts.all_roles(), "sections": sections, "appeals": await appeals.of_user(user_id),
        "errors": errors or {}, "done": DONE.get(request.query_params.get("done") or ""),
        "max_ban_days": MAX_BAN_DAYS,
    }, status=status, staff=staff)


class RolesController(Controller):
    """``/admin/roles/…``: which permissions each role grants (the registry lists them all)."""

    path = "/roles"
    include_in_schema = False
    guards = [needs("roles.edit")]

    @get("/", operation_id="admin_roles")
    async def list_roles(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Every role and its permissions."""
        return render(request, "admin/roles.html", {"roles": await accounts.all_roles()}, staff=staff_of(request))

    @get("/{name:str}", operation_id="admin_role")
    async def get_role(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Response[str]:
        """The permission checkboxes of one role."""
        return await _role_page(request, name)

    @post("/{name:str}", operation_id="admin_role_update", status_code=200)
    async def update_role(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
        """Save the ticked permissions."""
        form = await checked_form(request)
        staff = staff_of(request)
        try:  # core.users writes the audit log (role.update)
            await accounts.set_role_permissions(name, set(values(form, "permissions")), staff.user_id)
        except ValidationFailed as exc:
            return await _role_page(request, name, errors=_field_errors(exc), status=422)
        return Redirect(f"/admin/roles/{name}?done=permissions", status_code=303)


async def _role_page(request: Request[Any, Any, Any], name: str, *, errors: dict[str, str] | None = None,
                     status: int = 200) -> Response[str]:
    role = next((r for r in await accounts.all_roles() if r["name"] == name), None)
    if role is None:
        from core.errors import NotFound

        raise NotFound("No role named %(name)r.", params={"name": name}, code="role_not_found")
    registry = panel(request).registry.permissions()
    return render(request, "admin/role.html", {
        "role": role, "permissions": sorted(registry.values(), key=lambda p: p.name), "errors": errors or {},
        "done": DONE.get(request.query_params.get("done") or ""),
    }, status=status, staff=staff_of(request))
