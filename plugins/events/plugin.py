"""Hook implementations of the events plugin: each a few lines, delegating."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.permissions import Permission


@hookimpl
def register_piccolo_app() -> Any:
    """The tables and migrations of events."""
    from plugins.events.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_permissions() -> list[Permission]:
    """events.create (organisers) and events.moderate (moderators)."""
    return [
        Permission("events.create", "Create events and venues"),
        Permission("events.moderate", "Approve, reject and cancel anyone's events", admin_panel=True),
    ]


@hookimpl
def register_admin_pages() -> list[Any]:
    """The moderation queue and the events-by-status widget (plugins/events/admin.py)."""
    from plugins.events.admin import contributions

    return contributions()


@hookimpl
def register_routes() -> list[Any]:
    """The JSON API under /api/v1/events."""
    from plugins.events.routes import EventController, SeriesController, VenueController

    return [EventController, VenueController, SeriesController]


@hookimpl
def register_page_routes() -> list[Any]:
    """The personal calendar feed under /ical/events."""
    from plugins.events.routes import CalendarFeedController

    return [CalendarFeedController]


@hookimpl
def register_actors() -> list[Any]:
    """Offer expiry and the finisher."""
    from plugins.events import jobs

    return [jobs.expire_offers, jobs.finish_ended]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """Offers expire within 30 s of their deadline; ended events finish within a minute."""
    from datetime import timedelta

    from core.jobs import Periodic
    from plugins.events import jobs

    return [Periodic(jobs.expire_offers, every=timedelta(seconds=30)),
            Periodic(jobs.finish_ended, every=timedelta(minutes=1))]


@hookimpl
async def users_share_context(viewer_id: int, owner_id: int) -> bool | None:
    """Two people share a context when they take part in the same event (privacy "shared")."""
    from plugins.events.reads import share_event

    return True if await share_event(viewer_id, owner_id) else None


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """The user's events and participations."""
    from plugins.events.participation import export_user

    return {"events": await export_user(user_id)}


@hookimpl
async def user_erasure(user_id: int) -> None:
    """A deleted account leaves every event it was in; its seats go to the waitlist."""
    from plugins.events.participation import erase_user

    await erase_user(user_id)
