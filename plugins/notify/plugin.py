"""Hook implementations of notify: each a few lines, delegating to the outbox, delivery and routes."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from core.hooks import hookimpl, plugin_settings
from core.notifications import Notice, NotificationKind
from core.permissions import Permission
from plugins.notify import NotifySettings, outbox
from plugins.notify.kinds import VERIFICATION, declared


@hookimpl
def register_piccolo_app() -> Any:
    """The tables of notify."""
    from plugins.notify.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_routes() -> list[Any]:
    """Inbox, preferences, devices and the delivery log."""
    from plugins.notify.routes import (
        DeliveryController,
        DeviceController,
        InboxController,
        PreferencesController,
        ScheduledController,
    )

    return [InboxController, PreferencesController, DeviceController, DeliveryController, ScheduledController]


@hookimpl
def register_permissions() -> list[Permission]:
    """Staff who may read everyone's delivery log."""
    return [Permission("notify.view", "See every user's notification delivery log", admin_panel=True)]


@hookimpl
def register_actors() -> list[Any]:
    """The delivery actor and the dispatcher; the kind table is built (and checked) here, at start-up."""
    from plugins.notify.delivery import deliver_job
    from plugins.notify.dispatch import dispatch_job

    declared()  # web app and worker both bind actors at start: a misnamed or twice-declared kind stops them there

    return [deliver_job, dispatch_job]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """The dispatcher, every ``dispatch_every_s`` seconds (once per tick across machines)."""
    from core.jobs import Periodic
    from plugins.notify.dispatch import dispatch_job

    return [Periodic(dispatch_job, every=timedelta(seconds=plugin_settings(NotifySettings).dispatch_every_s))]


@hookimpl
def register_metrics() -> list[Any]:
    """Outbox and reminder lag, notifications due, for Prometheus (plugins/notify/metrics.py)."""
    from plugins.notify.metrics import gauges

    return gauges()


@hookimpl
def register_template_dirs() -> list[str]:
    """The templates of notify's own kind under ``templates/notify/notifications/<lang>/``."""
    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
def register_notify_channels() -> list[Any]:
    """The built-in providers."""
    from plugins.notify.channels.registry import builtin_channels

    return builtin_channels()


@hookimpl
def register_notification_kinds() -> list[NotificationKind]:
    """Notify's own kind: verification codes."""
    return [VERIFICATION]


@hookimpl
async def notification_requested(notice: Notice) -> None:
    """Write the notice to the outbox, in the caller's transaction."""
    await outbox.request(notice)


@hookimpl
async def notifications_withdrawn(key_prefix: str, user_ids: list[int] | None) -> None:
    """Cancel pending notifications by key prefix, in the caller's transaction."""
    await outbox.withdraw(key_prefix, user_ids)


@hookimpl
async def send_verification(user_id: int, channel: str, destination: str, code: str, purpose: str) -> bool:
    """Queue the code as an urgent notification (written in the caller's transaction)."""
    await outbox.on_send_verification(user_id, channel, destination, code, purpose)
    return True


@hookimpl
def register_admin_pages() -> list[Any]:
    """The delivery log page and the dashboard widget."""
    from plugins.notify.admin import contributions

    return contributions()


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """Preferences, devices (without tokens) and the inbox."""
    from plugins.notify.prefs import export_user

    return await export_user(user_id)


@hookimpl
async def user_erasure(user_id: int) -> None:
    """Delete everything notify holds about the user."""
    from plugins.notify.prefs import erase_user

    await erase_user(user_id)
