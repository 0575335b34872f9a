"""The panel's routes: one router at ``/admin`` with HTML error pages, and the vendored static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Router
from litestar.static_files import create_static_files_router

from admin_ui.pages.actions import PluginActionsController
from admin_ui.pages.charts import ChartsController
from admin_ui.pages.export import ExportController
from admin_ui.pages.extension import PluginPagesController
from admin_ui.pages.language import LanguageController
from admin_ui.pages.moderation import ModerationController
from admin_ui.pages.people import RolesController, UsersController
from admin_ui.pages.signin import SignInController
from admin_ui.pages.system import AuditController, DashboardController, PluginsController
from admin_ui.web import EXCEPTION_HANDLERS, ids_in_range

STATIC = Path(__file__).resolve().parent.parent / "static"


def routers() -> list[Any]:
    """Everything the panel mounts."""
    pages = Router(
        path="/admin",
        route_handlers=[SignInController, DashboardController, ModerationController, UsersController,
                        RolesController, AuditController, PluginsController, PluginPagesController,
                        PluginActionsController, LanguageController, ChartsController, ExportController],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=ids_in_range,
        include_in_schema=False,
    )
    static = create_static_files_router(path="/admin/static", directories=[STATIC / "admin"], include_in_schema=False,
                                        name="admin_static")
    return [pages, static]
