"""Hook implementations of auth."""

from __future__ import annotations

from typing import Any

from litestar.di import Provide

from core.hooks import hookimpl


@hookimpl
def register_piccolo_app() -> Any:
    from core.auth.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_dependencies() -> dict[str, Provide]:
    from core.auth.guards import provide_optional_principal, provide_principal

    return {
        "principal": Provide(provide_principal),
        "optional_principal": Provide(provide_optional_principal),
    }


@hookimpl
def register_routes() -> list[Any]:
    from core.auth.routes import AuthController, OidcController, TotpController

    return [AuthController, TotpController, OidcController]


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    from core.auth.exports import export

    return await export(user_id)


@hookimpl
async def user_erasure(user_id: int) -> None:
    from core.auth.exports import erase

    await erase(user_id)
