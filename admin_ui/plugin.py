"""Hook implementations of the admin panel."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.permissions import Permission


@hookimpl
def register_piccolo_app() -> Any:
    """The panel's migrations (its audit table moved into core: ``users.audit_entry``)."""
    from admin_ui.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_permissions() -> list[Permission]:
    """The panel's own permissions (users/roles permissions are core's)."""
    return [
        Permission("admin.audit", "Read the audit log", admin_panel=True),
        Permission("admin.plugins", "See installed plugins and their settings", admin_panel=True),
    ]


@hookimpl
def register_page_routes() -> list[Any]:
    """The panel under /admin and its static files; plugins' contributions are checked now, at start-up."""
    from admin_ui.pages import routers
    from admin_ui.render import collect
    from core.hooks.manager import current

    collect(current())
    return routers()


@hookimpl
def register_error_pages() -> dict[str, Any]:
    """Every error under /admin is an HTML page, unrouted paths (404, 405) and missing static files too."""
    from admin_ui.web import on_error

    return {"/admin": on_error}


@hookimpl
def register_admin_pages() -> list[Any]:
    """The panel's own list page: the canned moderation reasons staff keep."""
    from admin_ui import reasons

    return [reasons.page()]


# Support (optional: the panel does not depend on support; pluggy leaves this unchecked while support is disabled)

AUDIT_ROWS = 20


@hookimpl(optionalhook=True)
async def user_context_for_support(user_id: int, permissions: frozenset[str]) -> dict[str, Any] | None:
    """Beside a support ticket, for holders of ``admin.audit``: the user's recent audited actions, newest first."""
    from urllib.parse import urlencode

    from admin_ui import audit
    from core.users import services as users

    if not users.allows(permissions, "admin.audit"):
        return None
    rows = []
    for e in await audit.about_user(user_id, AUDIT_ROWS):
        acted = e["actor_id"] == user_id
        target = f"{e['object_type']} {e['object_id']}".strip()
        by = "by them" if acted else f"by {e['actor_label'] or e['actor_id'] or 'the system'}"
        value = f"{by}{' on ' + target if acted and target else ''}{': ' + e['reason'] if e['reason'] else ''}"
        query = {"actor_id": user_id} if acted else {"object_type": "user", "object_id": user_id}
        rows.append({"label": f"{e['created_at']:%Y-%m-%d %H:%M} UTC {e['action']}", "value": value,
                     "url": "/admin/audit?" + urlencode({**query, "action": e["action"]})})
    return {"title": "Audit log", "rows": rows}
