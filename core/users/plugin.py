"""Hook implementations of users."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.permissions import Permission


@hookimpl
def register_piccolo_app() -> Any:
    """Users' tables and migrations."""
    from core.users.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_permissions() -> list[Permission]:
    """Core's own permissions."""
    return [
        Permission("admin.access", "Sign in to the admin panel", admin_panel=True),
        Permission("users.view", "See users' accounts in the admin panel", admin_panel=True),
        Permission("users.ban", "Ban and unban users", admin_panel=True),
        Permission("roles.edit", "Edit roles and assign them to users", admin_panel=True),
    ]


@hookimpl
def register_routes() -> list[Any]:
    """``/me``, ``/users``, ``/roles``, ``/permissions``, ``/appeals``."""
    from core.users.routes import AppealController, MeController, PermissionController, RoleController, UserController

    return [MeController, UserController, RoleController, PermissionController, AppealController]


@hookimpl
def register_cli_commands() -> list[Any]:
    """``manage.py createadmin`` and ``manage.py users`` (grant-role, revoke-role, ban, unban)."""
    from core.users.cli import createadmin, users

    return [createadmin, users]


@hookimpl
def register_admin_pages() -> list[Any]:
    """The queue of role requests (users asking for the organiser role)."""
    from core.users.admin import contributions

    return contributions()


@hookimpl
async def app_started() -> None:
    """Create the built-in roles."""
    from core.users.services import ensure_builtin_roles

    await ensure_builtin_roles()


@hookimpl
def register_actors() -> list[Any]:
    """Lifting temporary bans that have ended."""
    from core.users.jobs import lift_expired_bans

    return [lift_expired_bans]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """Every ten minutes: lift temporary bans that have ended (sign-in lifts them too)."""
    from core.users.jobs import PERIODIC

    return PERIODIC
