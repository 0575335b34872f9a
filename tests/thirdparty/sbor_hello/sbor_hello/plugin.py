"""Hook implementations of the hello plugin: each a few lines, delegating."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.jobs import Periodic
from core.permissions import Permission


@hookimpl
def register_piccolo_app() -> Any:
    from sbor_hello.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_routes() -> list[Any]:
    from sbor_hello.routes import GreetingController

    return [GreetingController]


@hookimpl
def register_actors() -> list[Any]:
    from sbor_hello.jobs import forget_old_greetings

    return [forget_old_greetings]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    from sbor_hello.jobs import forget_old_greetings

    return [Periodic(forget_old_greetings, cron="0 3 * * *")]


@hookimpl
def register_permissions() -> list[Permission]:
    return [Permission("hello.moderate", "Delete other people's greetings")]
