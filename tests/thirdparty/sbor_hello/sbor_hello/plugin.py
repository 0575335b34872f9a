"""Hook implementations of the hello plugin: each a few lines, delegating (see docs/hooks.md in Sbor)."""

from __future__ import annotations

import os
from typing import Any

from piccolo.conf.apps import AppConfig

from core.hooks import hookimpl
from core.jobs import Periodic
from core.notifications import NotificationKind
from core.permissions import Permission
from core.realtime import RoomKind


@hookimpl
def register_piccolo_app() -> AppConfig:
    """The table and migrations of hello."""
    from sbor_hello.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_routes() -> list[Any]:
    """``/api/v1/hello/greetings``: list and create."""
    from sbor_hello.routes import GreetingController

    return [GreetingController]  # mounted under /api/v1, tagged "hello" in OpenAPI


@hookimpl
def register_actors() -> list[Any]:
    """The retention job."""
    from sbor_hello.jobs import forget_old_greetings

    return [forget_old_greetings]


@hookimpl
def register_periodic_jobs() -> list[Periodic]:
    """Forget old greetings every night."""
    from sbor_hello.jobs import forget_old_greetings

    return [Periodic(forget_old_greetings, cron="0 3 * * *")]


@hookimpl
def register_permissions() -> list[Permission]:
    """What roles may be granted."""
    return [Permission("hello.moderate", "Delete other people's greetings")]


@hookimpl
def register_notification_kinds() -> list[NotificationKind]:
    """What users may hear from hello (listed in their preferences); delivered by notify when it is enabled."""
    from sbor_hello.services import GREETED

    return [NotificationKind(GREETED, label="Someone greeted me", channels=("push", "email"))]


@hookimpl
def register_template_dirs() -> list[str]:
    """The notification templates, under ``templates/hello/notifications/<language>/``."""
    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
def register_realtime_rooms() -> list[RoomKind]:
    """``hello.wall:<wall>``: new greetings of a wall, as they are made."""
    from sbor_hello.services import WALL_ROOM, may_join_wall

    return [RoomKind(WALL_ROOM, may_join_wall)]
