"""Pages that plugins declare (``core.admin.AdminPage``), rendered generically or with the plugin's template."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from admin_ui.render import panel, render
from admin_ui.web import needs, page_size, staff_of
from core.admin import AdminQuery
from core.errors import NotFound, PermissionDenied


class PluginPagesController(Controller):
    """``/admin/p/<plugin>/<slug>``."""

    path = "/p"
    include_in_schema = False
    guards = [needs("admin.access")]

    @get("/{plugin:str}/{slug:str}", operation_id="admin_plugin_page")
    async def get_page(self, request: Request[Any, Any, Any], plugin: FromPath[str],
                       slug: FromPath[str]) -> Response[str]:
        """Columns, filters, search and pagination come from the page's declaration.

        The loader's errors are not caught here: a bad cursor (``InvalidCursor``) becomes the panel's 400 page.
        """
        page = panel(request).contributions.pages.get((plugin, slug))
        if page is None:
            raise NotFound("No such page.", code="page_not_found")
        staff = staff_of(request)
        if not staff.has(page.permission):
            raise PermissionDenied(f"This page needs the permission {page.permission}.", code="permission_denied")
        q = request.query_params
        filters = {f.name: (q.get(f.name) or "")[:200] for f in page.filters}
        query = AdminQuery(filters=filters, search=(q.get("q") or "")[:200], cursor=q.get("cursor"),
                           limit=page_size(), staff_id=staff.user_id, timezone=staff.timezone)
        result = await page.load(query)
        return render(request, page.template or "admin/plugin_page.html", {
            "page": page, "rows": result.items, "next_cursor": result.next_cursor, "query": query,
        }, staff=staff)
