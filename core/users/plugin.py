"""Hook implementations of users."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.permissions import Permission


@hookimpl
def register_piccolo_app() -> Any:
    from core.users.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        Permission("admin.access", "Sign in to the admin panel", admin_panel=True),
        Permission("users.view", "See users' accounts in the admin panel", admin_panel=True),
        Permission("users.ban", "Ban and unban users", admin_panel=True),
        Permission("roles.edit", "Edit roles and assign them to users", admin_panel=True),
    ]


@hookimpl
async def app_started() -> None:
    from core.users.services import ensure_builtin_roles

    await ensure_builtin_roles()
