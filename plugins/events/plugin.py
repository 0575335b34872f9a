"""Hook implementations of the events plugin: each a few lines, delegating."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.hooks import hookimpl
from core.notifications import NotificationKind
from core.permissions import Permission
from plugins.events import cache, notifications
from plugins.events.hookspecs import EventInfo


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
async def admin_user_sections(user_id: int, permissions: frozenset[str]) -> list[dict[str, Any]]:
    """On a user's page in the panel: the events they organised and joined."""
    from plugins.events.user_page import sections

    return await sections(user_id)


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


# Notifications (plugins/events/notifications.py): events' own hooks ask for notices inside the change's transaction.


@hookimpl
def register_notification_kinds() -> list[NotificationKind]:
    """The kinds events sends: moderation outcomes, changes, cancellations, seat offers, reminders."""
    from plugins.events.notifications import KINDS

    return KINDS


@hookimpl
def register_template_dirs() -> list[str]:
    """The notification templates under ``templates/events/notifications/<lang>/``."""
    import os

    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
async def event_submitted(event: EventInfo) -> None:
    """Tell the author the event is under review."""
    await cache.changed(event, moved=True)
    await notifications.moderated(event, "events.submitted")


@hookimpl
async def event_published(event: EventInfo) -> None:
    """Tell the author; the feed and its card show it."""
    await cache.changed(event, moved=True)
    await notifications.moderated(event, "events.published")


@hookimpl
async def event_rejected(event: EventInfo, reason: str) -> None:
    """Tell the author why."""
    await cache.changed(event, moved=True)
    await notifications.moderated(event, "events.rejected", reason)


@hookimpl
async def event_changed(event: EventInfo, changes: dict[str, Any]) -> None:
    """Tell participants of notable changes; reminders move with the time; cached copies go stale."""
    await cache.changed(event, changes)
    await notifications.changed(event, changes)


@hookimpl
async def event_cancelled(event: EventInfo, reason: str) -> None:
    """Withdraw reminders and offers; tell everyone taking part; it leaves the feed."""
    await cache.changed(event, moved=True)
    await notifications.cancelled(event, reason)


@hookimpl
async def event_finished(event: EventInfo) -> None:
    """Withdraw what is left; it leaves the feed."""
    await cache.changed(event, moved=True)
    await notifications.finished(event)


@hookimpl
async def participant_joined(event: EventInfo, user_id: int, status: str) -> None:
    """Reminders for a confirmed participant; seats left change."""
    await cache.seats_changed(event)
    await notifications.joined(event, user_id, status)


@hookimpl
async def participant_left(event: EventInfo, user_id: int) -> None:
    """Their reminders and offer go; seats left change."""
    await cache.seats_changed(event)
    await notifications.left(event, user_id)


@hookimpl
async def waitlist_offer_made(event: EventInfo, user_id: int, seats: int, expires_at: datetime) -> None:
    """Tell the person, with the deadline; seats left change."""
    await cache.seats_changed(event)
    await notifications.offered(event, user_id, seats, expires_at)


@hookimpl
async def waitlist_offer_expired(event: EventInfo, user_id: int) -> None:
    """The offer's notice, if not sent yet, is no longer true; seats left change."""
    await cache.seats_changed(event)
    await notifications.offer_expired(event, user_id)


# Support (optional: events does not depend on support; pluggy leaves these unchecked while support is disabled)


@hookimpl(optionalhook=True)
async def ticket_subject_from_plugin(subject_type: str, subject_id: str, user_id: int) -> str | bool | None:
    """A support ticket may point at an event the user can see (``events.event:<id>``); its title is the label."""
    if subject_type != "events.event":
        return None
    from core.errors import NotFound
    from plugins.events.reads import detail

    if not subject_id.isdigit() or len(subject_id) > 12:
        return False
    try:
        return str((await detail(int(subject_id), user_id, False, None))["title"])
    except NotFound:
        return False


@hookimpl(optionalhook=True)
async def user_context_for_support(user_id: int) -> dict[str, Any]:
    """Beside a support ticket: the events the user organises and their latest joins."""
    from plugins.events.participation import export_user

    mine = await export_user(user_id)
    rows = [{"label": f"organises #{e['id']} ({e['status']})", "value": e["title"]} for e in mine["authored"][-5:]]
    rows += [{"label": f"joined #{p['event_id']}", "value": p["status"]} for p in mine["participations"][-10:]]
    return {"title": "Events", "rows": rows}


@hookimpl
def register_reportable_types() -> list[Any]:
    """Events people may report (plugins/events/reports.py)."""
    from plugins.events.reports import reportable_types

    return reportable_types()
