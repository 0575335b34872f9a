"""Hook implementations of the reviews plugin: each a few lines, delegating."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from core.hooks import hookimpl
from core.notifications import NotificationKind
from core.permissions import Permission
from core.users.schemas import RatingFigures
from plugins.events.hookspecs import EventInfo
from plugins.reviews.hookspecs import ReviewInfo


@hookimpl
def register_piccolo_app() -> Any:
    """The tables and migrations of reviews."""
    from plugins.reviews.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_permissions() -> list[Permission]:
    """reviews.moderate: the queue, approve, hide and remove."""
    return [Permission("reviews.moderate", "Approve, hide and remove reviews", admin_panel=True)]


@hookimpl
def register_routes() -> list[Any]:
    """The JSON API under /api/v1/reviews."""
    from plugins.reviews.routes import ReviewController, TargetController

    return [ReviewController, TargetController]


@hookimpl
def register_admin_pages() -> list[Any]:
    """The reviews queue and its dashboard widget (plugins/reviews/admin.py)."""
    from plugins.reviews.admin import contributions

    return contributions()


@hookimpl
def register_notification_kinds() -> list[NotificationKind]:
    """Invitations to review, new reviews for organisers, replies and moderation for authors."""
    from plugins.reviews.notifications import KINDS

    return KINDS


@hookimpl
def register_template_dirs() -> list[str]:
    """Notification and admin templates under ``templates/reviews/``."""
    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
def register_actors() -> list[Any]:
    """The deleted-events sweep, and restating the shown figures."""
    from plugins.reviews import jobs

    return [jobs.sweep_deleted_events, jobs.restate_figures]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """Reviews of a deleted event leave the lists and aggregates within a few minutes."""
    from core.jobs import Periodic
    from plugins.reviews import jobs

    return [Periodic(jobs.sweep_deleted_events, every=timedelta(minutes=5))]


@hookimpl
async def app_started() -> None:
    """Figures written under another ``min_reviews_shown`` or prior are written again (a job, enqueued once)."""
    from plugins.reviews import jobs
    from plugins.reviews.services import figures_settings_changed

    if await figures_settings_changed():
        jobs.restate_figures.send()


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """Every review the user wrote, those of deleted events and hidden ones included."""
    from plugins.reviews.reads import export_user

    return {"reviews": await export_user(user_id)}


@hookimpl
async def organiser_rating_from_plugin(user_id: int) -> RatingFigures | None:
    """The ratings of the events ``user_id`` organised, for their public profile (None below the threshold)."""
    from plugins.reviews.aggregates import organiser_figures

    return await organiser_figures(user_id)


@hookimpl
async def user_erasure(user_id: int) -> None:
    """The invitation record goes; reviews stay, under core's anonymised account."""
    from plugins.reviews.tables import InviteLog

    await InviteLog.delete().where(InviteLog.user_id == user_id)


# Events' hooks


@hookimpl
async def event_finished(event: EventInfo) -> None:
    """Invite the people who were there to review it (at their local daytime, no more than monthly)."""
    from plugins.reviews.notifications import invite

    await invite(event)


@hookimpl
async def event_published(event: EventInfo) -> None:
    """A newly published event carries its organiser's rating for the feed's ``sort=rating``."""
    from plugins.events import api as events
    from plugins.reviews.aggregates import host_ranking

    rank = await host_ranking(event.author_id)
    if rank is not None:
        await events.set_event_rating(event.id, rank)


# Reviews' own hooks: the notices they ask for


@hookimpl
async def review_published(review: ReviewInfo, previous: ReviewInfo | None) -> None:
    """Tell the organiser of a new review (not of an edit)."""
    if previous is None:
        from plugins.reviews.notifications import new_review

        await new_review(review)


@hookimpl
async def review_replied(review: ReviewInfo, reply: str) -> None:
    """Tell the review's author."""
    from plugins.reviews.notifications import replied

    await replied(review, reply)


# Review reports go to the platform's one report queue (core.reports; plugins/reviews/reports.py); so does what
# support shows of them beside a ticket.


# Media (optional: reviews does not depend on media; pluggy leaves these unchecked while media is disabled)


@hookimpl(optionalhook=True)
async def media_target_from_plugin(target: str, target_id: int, user_id: int) -> dict[str, Any] | None:
    """Photos for ``reviews.review`` (``target_id``: the reviewed event): only its attendees, through moderation."""
    from plugins.reviews.services import MEDIA_TARGET, may_attach

    if target != MEDIA_TARGET:
        return None
    await may_attach(target_id, user_id)
    return {"event_id": target_id, "private": False, "gallery": False}


@hookimpl(optionalhook=True)
async def media_removed(media: Any, reason: str) -> None:
    """A rejected or deleted photo leaves the reviews that showed it."""
    from plugins.reviews.services import drop_media

    await drop_media(str(media.ref))


@hookimpl
def register_reportable_types() -> list[Any]:
    """Reviews people may report (plugins/reviews/reports.py)."""
    from plugins.reviews.reports import reportable_types

    return reportable_types()
