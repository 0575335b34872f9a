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
