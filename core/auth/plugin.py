"""Hook implementations of auth."""

from __future__ import annotations

from typing import Any

from litestar.di import Provide

from core.hooks import hookimpl


@hookimpl
def register_piccolo_app() -> Any:
    """Auth's tables and migrations."""
    from core.auth.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_dependencies() -> dict[str, Provide]:
    """The ``principal`` and ``optional_principal`` dependencies."""
    from core.auth.guards import provide_optional_principal, provide_principal

    return {
        "principal": Provide(provide_principal),
        "optional_principal": Provide(provide_optional_principal),
    }


@hookimpl
def register_routes() -> list[Any]:
    """The ``/auth`` API."""
    from core.auth.routes import AuthController, OidcController, TotpController

    return [AuthController, TotpController, OidcController]


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """Auth's part of the export: sessions and linked providers."""
    from core.auth.exports import export

    return await export(user_id)


@hookimpl
async def user_banned(user_id: int) -> None:
    """A banned user's sessions end now: no refresh, no request, and their WebSockets close (``account_inactive``)."""
    from core.auth.services import revoke_all_sessions

    await revoke_all_sessions(user_id, "banned")


@hookimpl
def register_actors() -> list[Any]:
    """Housekeeping of codes and ended sessions."""
    from core.auth.jobs import cleanup

    return [cleanup]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """Run the housekeeping hourly."""
    from core.auth.jobs import PERIODIC

    return PERIODIC
