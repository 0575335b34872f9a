"""Dashboard, audit log and plugins pages."""

from __future__ import annotations

import json
import logging
from typing import Any

from litestar import Controller, Request, Response, get

from admin_ui import accounts, audit
from admin_ui.render import panel, render
from admin_ui.web import needs, page_size, staff_of
from core.admin import Stat

log = logging.getLogger("admin_ui")


class DashboardController(Controller):
    """``/admin/``: figures from core and from every plugin's widgets."""

    path = "/"
    include_in_schema = False

    @get("/", operation_id="admin_dashboard", guards=[needs("admin.access")])
    async def dashboard(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Users, moderation queues, then the plugins' widgets (a failing widget only breaks its own box)."""
        staff = staff_of(request)
        p = panel(request)
        boxes: list[dict[str, Any]] = []
        if staff.has("users.view"):
            c = await accounts.counts()
            boxes.append({"title": "Users", "stats": [Stat("Total", c["total"], "/admin/users"),
                                                      Stat("New this week", c["week"])]})
        queue_stats = []
        for q in p.contributions.queues.values():
            if staff.has(q.permission):
                try:
                    n = await q.count()
                except Exception:
                    log.exception("admin: queue %s count failed", q.key)
                    n = "?"  # type: ignore[assignment]
                queue_stats.append(Stat(q.title, n, f"/admin/moderation/{q.key}", "warn" if n else ""))
        if queue_stats:
            boxes.append({"title": "Waiting for moderation", "stats": queue_stats})
        for w in p.contributions.widgets:
            if not staff.has(w.permission):
                continue
            try:
                boxes.append({"title": w.title, "stats": await w.load(), "template": w.template})
            except Exception:
                log.exception("admin: widget %s.%s failed", w.plugin, w.name)
                boxes.append({"title": w.title, "stats": [], "error": "This widget could not be loaded."})
        return render(request, "admin/dashboard.html", {"boxes": boxes}, staff=staff)


class AuditController(Controller):
    """``/admin/audit``: every admin action, filterable, newest first."""

    path = "/audit"
    include_in_schema = False

    @get("/", operation_id="admin_audit", guards=[needs("admin.audit")])
    async def list_audit(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Filter by actor, action, object type and id."""
        q = request.query_params
        filters = {k: q.get(k) or "" for k in audit.FILTERS}
        page = await audit.entries(filters, q.get("cursor"), page_size())
        for e in page.items:  # links to the objects' pages; before/after one key a line (wraps at commas, not words)
            e["url"] = audit.object_url(e["object_type"], e["object_id"])
            for side in ("before", "after"):
                e[f"{side}_text"] = "" if e[side] is None else json.dumps(e[side], ensure_ascii=False, default=str,
                                                                          sort_keys=True, indent=1)
        return render(request, "admin/audit.html", {"rows": page.items, "filters": filters,
                                                    "next_cursor": page.next_cursor}, staff=staff_of(request))


class PluginsController(Controller):
    """``/admin/plugins``: every installed plugin, enabled or not."""

    path = "/plugins"
    include_in_schema = False

    @get("/", operation_id="admin_plugins", guards=[needs("admin.plugins")])
    async def list_plugins(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Version, source, enabled, dependencies, redacted settings and admin pages of each plugin."""
        p = panel(request)
        registry = p.registry
        items = []
        for name, info in sorted(registry.available.items()):
            enabled = registry.is_enabled(name)
            contributed = p.contributions.by_plugin.get(name, [])
            items.append({
                "name": name, "version": info.manifest.version, "summary": info.manifest.summary,
                "source": info.source, "enabled": enabled, "depends": dict(info.manifest.depends),
                "settings": registry.redacted_settings(name) if enabled else {},
                "pages": [c for c in contributed if hasattr(c, "url")],
                "queues": [c for c in contributed if hasattr(c, "key")],
                "widgets": [c for c in contributed if type(c).__name__ == "DashboardWidget"],
            })
        return render(request, "admin/plugins.html", {"plugins": items}, staff=staff_of(request))

