"""Hook implementations of the media plugin: each a few lines, delegating."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from core.embedded import EmbeddedServer
from core.hooks import hookimpl, plugin_settings
from core.notifications import NotificationKind
from core.permissions import Permission
from plugins.media.hookspecs import MediaInfo, MediaTarget, Screening


@hookimpl
def register_piccolo_app() -> Any:
    """The tables and migrations of media."""
    from plugins.media.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_permissions() -> list[Permission]:
    """media.moderate: the queue, approve/reject, delete anyone's media."""
    return [Permission("media.moderate", "Approve, reject and delete photos and videos", admin_panel=True)]


@hookimpl
def register_routes() -> list[Any]:
    """The JSON API under /api/v1/media."""
    from plugins.media.routes import MediaController

    return [MediaController]


@hookimpl
def register_page_routes() -> list[Any]:
    """The local backend's files under /media/files."""
    from plugins.media.routes import MediaFilesController

    return [MediaFilesController]


@hookimpl
def register_actors() -> list[Any]:
    """Processing, purging, and the sweep that re-sends both."""
    from plugins.media import jobs

    return [jobs.process, jobs.purge, jobs.sweep]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """The sweep every five minutes."""
    from core.jobs import Periodic
    from plugins.media import jobs

    return [Periodic(jobs.sweep, every=timedelta(minutes=5))]


@hookimpl
def register_admin_pages() -> list[Any]:
    """The media queue (thumbnails, bulk approve/reject), reports, and the moderation queue entry."""
    from plugins.media.admin import contributions

    return contributions()


@hookimpl
def register_notification_kinds() -> list[NotificationKind]:
    """Rejections and tag requests."""
    from plugins.media.notifications import KINDS

    return KINDS


@hookimpl
def register_template_dirs() -> list[str]:
    """Notification and admin templates under ``templates/media/``."""
    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
def register_embedded_servers() -> list[EmbeddedServer]:
    """SeaweedFS, when the operator chose the S3 backend and named no endpoint (the local backend needs nothing)."""
    from plugins.media import MediaSettings, seaweed

    def configured() -> bool:
        s = plugin_settings(MediaSettings)
        return s.backend != "s3" or bool(s.s3_endpoint)

    return [EmbeddedServer("seaweedfs", configured=configured, start=seaweed.start)]


@hookimpl
async def media_target_from_plugin(target: str, target_id: int, user_id: int) -> MediaTarget | None:
    """Events' targets: ``events.gallery`` and ``events.cover``."""
    from plugins.media.targets import events_target

    return await events_target(target, target_id, user_id)


@hookimpl
async def media_ref_checked(ref: str, user_id: int, target: str, target_id: int) -> bool:
    """Core's question for plugins that store refs: the user's own upload for that target, not refused."""
    from core.errors import NotFound, PermissionDenied
    from plugins.media.api import check_ref

    try:
        await check_ref(ref, user_id, target, target_id or None)  # 0: the thing is being created
    except (NotFound, PermissionDenied):
        return False
    return True


@hookimpl(optionalhook=True)
async def ticket_attachment_from_media(media_id: str, user_id: int, ticket_id: int) -> dict[str, Any] | bool:
    """Support asks about a screenshot: the user's own upload to that ticket (0: being opened), and its real type.

    The type is what processing found (magic numbers), or the declared one's kind while it is still processing; a
    video declared ``image/png`` is a video here (support refuses it: ``attachment_not_image``).
    """
    from core.errors import NotFound, PermissionDenied
    from plugins.media.api import check_ref

    try:
        media = await check_ref(media_id, user_id, "support.ticket", ticket_id or None)
    except (NotFound, PermissionDenied):
        return False
    return {"content_type": media.mime or ("image/*" if media.kind == "photo" else "video/*")}


@hookimpl
async def media_screened(media: MediaInfo, phash: int) -> Screening | None:
    """The built-in screener: exact and near duplicates of rejected media are held."""
    from plugins.media.pipeline import duplicate_of_rejected

    return await duplicate_of_rejected(media.id, phash)


@hookimpl
async def app_stopping() -> None:
    """Close this loop's S3 clients."""
    from plugins.media.s3 import close_clients

    await close_clients()


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """The user's uploads (ids, kinds, states, targets, dates) and the tags of them."""
    from plugins.media.account import export_user

    return {"media": await export_user(user_id)}


@hookimpl
async def user_erasure(user_id: int) -> None:
    """A deleted account's uploads are deleted (their files purged) and its tags removed."""
    from plugins.media.account import erase_user

    await erase_user(user_id)


@hookimpl
def register_reportable_types() -> list[Any]:
    """Photos and videos people may report (plugins/media/reports.py)."""
    from plugins.media.reports import reportable_types

    return reportable_types()
