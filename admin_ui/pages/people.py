"""Users (search, profile, ban/unban, roles) and the roles-and-permissions editor."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from admin_ui import accounts, audit, session
from admin_ui.render import panel, render
from admin_ui.web import checked_form, ip_of, needs, page_size, staff_of, values
from core.errors import ValidationFailed
from core.i18n import N_

DONE = {"banned": N_("User banned; their sessions ended."), "unbanned": N_("Ban lifted."),  # translated where shown
        "roles": N_("Roles saved."), "permissions": N_("Permissions saved.")}


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
        """Profile, roles, sessions and recent actions."""
        return await _user_page(request, user_id)

    @post("/{user_id:int}/ban", operation_id="admin_user_ban", guards=[needs("users.ban")], status_code=200)
    async def ban_user(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
        """Ban with a reason; API and panel sessions end at once."""
        form = await checked_form(request)
        staff = staff_of(request)
        reason = str(form.get("reason") or "")[:2000]
        try:
            change = await accounts.ban(user_id, reason, staff.user_id)
        except ValidationFailed as exc:
            return await _user_page(request, user_id, errors=_field_errors(exc), status=422)
        await session.close_all_sessions(user_id)
        await audit.record(staff.user_id, "user.ban", "user", user_id, actor_label=staff.email, reason=reason.strip(),
                           ip=ip_of(request), **change)
        return Redirect(f"/admin/users/{user_id}?done=banned", status_code=303)

    @post("/{user_id:int}/unban", operation_id="admin_user_unban", guards=[needs("users.ban")], status_code=200)
    async def unban_user(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
        """Lift a ban, with a reason."""
        form = await checked_form(request)
        staff = staff_of(request)
        reason = str(form.get("reason") or "")[:2000]
        try:
            change = await accounts.unban(user_id, reason, staff.user_id)
        except ValidationFailed as exc:
            return await _user_page(request, user_id, errors={"unban_reason": _field_errors(exc).get("reason", "")},
                                    status=422)
        await audit.record(staff.user_id, "user.unban", "user", user_id, actor_label=staff.email,
                           reason=reason.strip(), ip=ip_of(request), **change)
        return Redirect(f"/admin/users/{user_id}?done=unbanned", status_code=303)

    @post("/{user_id:int}/roles", operation_id="admin_user_roles", guards=[needs("roles.edit")], status_code=200)
    async def set_roles(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
        """Assign exactly the ticked roles."""
        form = await checked_form(request)
        staff = staff_of(request)
        try:
            change = await accounts.set_user_roles(user_id, set(values(form, "roles")), staff.user_id)
        except ValidationFailed as exc:
            return await _user_page(request, user_id, errors=_field_errors(exc), status=422)
        await audit.record(staff.user_id, "user.roles", "user", user_id, actor_label=staff.email, ip=ip_of(request),
                           **change)
        return Redirect(f"/admin/users/{user_id}?done=roles", status_code=303)


async def _user_page(request: Request[Any, Any, Any], user_id: int, *, errors: dict[str, str] | None = None,
                     status: int = 200) -> Response[str]:
    profile = await accounts.user_profile(user_id)
    return render(request, "admin/user.html", {
        "user": profile, "actions": await audit.about_user(user_id), "roles": await accounts.all_roles(),
        "errors": errors or {}, "done": DONE.get(request.query_params.get("done") or ""),
    }, status=status, staff=staff_of(request))


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
        try:
            change = await accounts.set_role_permissions(name, set(values(form, "permissions")), staff.user_id)
        except ValidationFailed as exc:
            return await _role_page(request, name, errors=_field_errors(exc), status=422)
        await audit.record(staff.user_id, "role.permissions", "role", name, actor_label=staff.email,
                           ip=ip_of(request), **change)
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
