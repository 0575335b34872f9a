"""Hook implementations of the admin panel."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.permissions import Permission


@hookimpl
def register_piccolo_app() -> Any:
    """The audit log's table."""
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
