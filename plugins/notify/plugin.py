"""Hook implementations of notify: each a few lines, delegating to the outbox, delivery and routes."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from core.hooks import hookimpl, plugin_settings
from core.permissions import Permission
from plugins.notify import NotifySettings, outbox


@hookimpl
def register_piccolo_app() -> Any:
    """The tables of notify."""
    from plugins.notify.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_routes() -> list[Any]:
    """Inbox, preferences, devices and the delivery log."""
    from plugins.notify.routes import DeliveryController, DeviceController, InboxController, PreferencesController

    return [InboxController, PreferencesController, DeviceController, DeliveryController]


@hookimpl
def register_permissions() -> list[Permission]:
    """Staff who may read everyone's delivery log."""
    return [Permission("notify.view", "See every user's notification delivery log", admin_panel=True)]


@hookimpl
def register_actors() -> list[Any]:
    """The delivery actor and the dispatcher."""
    from plugins.notify.jobs import deliver_job, dispatch_job

    return [deliver_job, dispatch_job]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """The dispatcher, every ``dispatch_every_s`` seconds (once per tick across machines)."""
    from core.jobs import Periodic
    from plugins.notify.jobs import dispatch_job

    return [Periodic(dispatch_job, every=timedelta(seconds=plugin_settings(NotifySettings).dispatch_every_s))]


@hookimpl
def register_template_dirs() -> list[str]:
    """Email templates under ``templates/notify/<lang>/``."""
    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
def register_notify_channels() -> list[Any]:
    """The built-in providers."""
    from plugins.notify.channels.registry import builtin_channels

    return builtin_channels()


@hookimpl
async def send_verification(user_id: int, channel: str, destination: str, code: str, purpose: str) -> bool:
    """Queue the code as an urgent notification (written in the caller's transaction)."""
    await outbox.on_send_verification(user_id, channel, destination, code, purpose)
    return True


# Events (called inside the events transaction: rows written here commit or roll back with the change)


@hookimpl
async def participant_joined(event: Any, user_id: int, guests: int, status: str) -> None:
    """Remember the participant; a confirmed one gets reminders."""
    await outbox.on_participant_joined(event, user_id, guests, status)


@hookimpl
async def participant_left(event: Any, user_id: int) -> None:
    """Drop their reminders."""
    await outbox.on_participant_left(event, user_id)


@hookimpl
async def event_changed(event: Any, changes: dict[str, Any], actor_id: int) -> None:
    """Move reminders when the time moved; tell participants about notable changes."""
    await outbox.on_event_changed(event, changes)


@hookimpl
async def event_cancelled(event: Any, reason: str, actor_id: int) -> None:
    """Drop reminders; tell every participant."""
    await outbox.on_event_cancelled(event, reason)


@hookimpl
async def event_finished(event: Any) -> None:
    """Drop what is left of the event."""
    await outbox.on_event_finished(event)


@hookimpl
async def event_submitted(event: Any, actor_id: int) -> None:
    """Tell the author the event is under review."""
    await outbox.on_moderated(event, "event_submitted")


@hookimpl
async def event_published(event: Any, moderator_id: int | None) -> None:
    """Tell the author."""
    await outbox.on_moderated(event, "event_published")


@hookimpl
async def event_rejected(event: Any, moderator_id: int, reason: str) -> None:
    """Tell the author why."""
    await outbox.on_moderated(event, "event_rejected", reason)


@hookimpl
async def waitlist_offer_made(event: Any, user_id: int, seats: int, expires_at: datetime) -> None:
    """Tell the person, with the deadline."""
    await outbox.on_waitlist_offer(event, user_id, seats, expires_at)


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
