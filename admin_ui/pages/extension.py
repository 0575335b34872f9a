"""Pages that plugins declare (``core.admin.AdminPage``): lists and detail pages, rendered generically or not."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from admin_ui import queueing
from admin_ui.accounts import Staff
from admin_ui.render import panel, render
from admin_ui.web import needs, page_size, staff_of
from core.admin import Action, AdminPage, AdminQuery
from core.errors import NotFound, PermissionDenied

MAX_BACK = 2000


def page_of(request: Request[Any, Any, Any], plugin: str, slug: str) -> AdminPage:
    """The declared page, 404 when unknown and 403 when the staff member may not open it."""
    page = panel(request).contributions.pages.get((plugin, slug))
    if page is None:
        raise NotFound("No such page.", code="page_not_found")
    if not staff_of(request).has(page.permission):
        raise PermissionDenied("This page needs the permission %(permission)s.",
                               params={"permission": page.permission}, code="permission_denied")
    return page


def here(request: Request[Any, Any, Any]) -> str:
    """The current address (path and query): where an action returns to, so the list keeps its position."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def safe_back(value: Any, default: str) -> str:
    """A return address from a form or link, only if it stays in the panel (no open redirect)."""
    back = str(value[-1] if isinstance(value, list) else value or "")
    if (not back.startswith("/admin") or back.startswith("//") or "\\" in back or len(back) > MAX_BACK
            or any(ord(c) < 32 for c in back)):
        return default
    return back


def row_actions(page: AdminPage, staff: Staff, row: Mapping[str, Any] | None = None) -> list[Action]:
    """The row actions the staff member may run (on ``row`` when given: its ``visible`` test applies)."""
    out = []
    for a in page.actions:
        if a.row and staff.has(a.permission) and (row is None or a.visible is None or a.visible(row)):
            out.append(a)
    return out


def may_edit(page: AdminPage, staff: Staff) -> bool:
    """Whether the page has an edit form the staff member may use."""
    return page.form is not None and page.form.editable and staff.has(page.form.permission or page.permission)


def action_url(page: AdminPage, action: Action, object_id: Any, back: str) -> str:
    """The action's form (fields and/or confirmation) for one object."""
    return f"{page.url}/actions/{action.name}?id={quote(str(object_id), safe='')}&back={quote(back, safe='')}"


class PluginPagesController(Controller):
    """``/admin/p/<plugin>/<slug>`` (list) and ``…/o/<id>`` (detail); forms and actions in ``pages.actions``."""

    path = "/p"
    include_in_schema = False
    guards = [needs("admin.access")]

    @get("/{plugin:str}/{slug:str}", operation_id="admin_plugin_page")
    async def get_page(self, request: Request[Any, Any, Any], plugin: FromPath[str],
                       slug: FromPath[str]) -> Response[str]:
        """Columns, filters, search, pagination, row and bulk actions come from the page's declaration.

        The loader's errors are not caught here: a bad cursor (``InvalidCursor``) becomes the panel's 400 page.
        """
        page = page_of(request, plugin, slug)
        staff = staff_of(request)
        q = request.query_params
        query = AdminQuery(filters=queueing.clean_filters(page.filters, q), search=(q.get("q") or "")[:200],
                           cursor=q.get("cursor"), limit=page_size(), staff_id=staff.user_id,
                           timezone=staff.timezone, sort=queueing.clean_sort(page.sorts, q.get("sort")))
        result = await page.load(query)
        total = await page.total(query) if page.total is not None else None
        back = here(request)
        bulk = [a for a in page.actions if a.bulk and staff.has(a.permission)]
        return render(request, page.template or "admin/plugin_page.html", {
            "page": page, "rows": result.items, "next_cursor": result.next_cursor, "query": query, "total": total,
            "bulk_actions": bulk, "row_actions": lambda row: row_actions(page, staff, row), "back": back,
            "action_url": lambda a, oid: action_url(page, a, oid, back),
            "object_link": (page.detail is not None or may_edit(page, staff)),
            "can_create": page.form is not None and page.form.creatable
            and staff.has(page.form.permission or page.permission),
        }, staff=staff)

    @get("/{plugin:str}/{slug:str}/o/{object_id:str}", operation_id="admin_plugin_object")
    async def get_object(self, request: Request[Any, Any, Any], plugin: FromPath[str], slug: FromPath[str],
                         object_id: FromPath[str]) -> Response[str]:
        """One object: its fields as a definition list, the row actions as buttons, the form's Edit link."""
        page = page_of(request, plugin, slug)
        staff = staff_of(request)
        if page.detail is None:
            raise NotFound("This page has no detail view.", code="page_not_found")
        item = await page.detail(object_id)
        if item is None:
            raise NotFound("This object does not exist (any more).", code="object_not_found")
        labels = {c.name: c.label for c in page.columns}
        labels.update({f.name: f.label for f in (page.form.fields if page.form else ())})
        fields = [(labels.get(k, k.replace("_", " ").capitalize()), v) for k, v in item.items()]
        back = here(request)
        return render(request, "admin/plugin_object.html", {
            "page": page, "object_id": object_id, "item": item, "fields": fields,
            "actions": row_actions(page, staff, item), "action_url": lambda a, oid: action_url(page, a, oid, back),
            "back": back, "list_url": safe_back(request.query_params.get("back"), page.url),
            "edit_url": f"{page.url}/o/{quote(object_id, safe='')}/edit" if may_edit(page, staff) else None,
        }, staff=staff)
