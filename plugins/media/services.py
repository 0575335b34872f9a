"""Uploads: hand out a presigned upload (limits checked), confirm it (the job takes over), receive local uploads.

The API never carries the file: the app uploads straight to storage (a POST policy with a size range and the content
type; with the local backend, a PUT to the app with a signed token). Confirming checks the object is there and
enqueues the processing job after the commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import clock
from core.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    UnsupportedMediaType,
    ValidationFailed,
)
from core.hooks import plugin_settings
from core.reports import services as reports
from plugins.events import api as events
from plugins.media import MediaSettings, sql, states, storage, targets
from plugins.media.hookspecs import MediaInfo
from plugins.media.store import Row, info, load, lock, log, move, not_found, transaction
from plugins.media.tables import GallerySetting, Item

PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")
VIDEO_TYPES = ("video/mp4", "video/quicktime")
LIVE = (states.UPLOADING, states.PROCESSING, states.PENDING, states.APPROVED)


@dataclass(frozen=True)
class Upload:
    """A handed-out upload: the item, how to send the file, and until when."""

    item: MediaInfo
    form: storage.UploadForm
    expires_at: datetime


def kind_of(content_type: str) -> str:
    """``photo`` or ``video`` from the declared type (the bytes are checked later); 422 otherwise."""
    if content_type in PHOTO_TYPES:
        return "photo"
    if content_type in VIDEO_TYPES:
        return "video"
    raise ValidationFailed("Unsupported content type.", code="unsupported_type", errors=[
        {"pointer": "/content_type", "detail": f"one of {', '.join(PHOTO_TYPES + VIDEO_TYPES)}"}])


async def check_quota(user_id: int, event_id: int | None, s: MediaSettings) -> None:
    """Per user per day (429 with Retry-After), per event and per user per event (409); under the user's lock."""
    now = clock.now()
    day_ago = now - timedelta(days=1)
    recent = await Item.select(Item.created_at).where(Item.uploader == user_id, Item.created_at > day_ago).order_by(
        Item.created_at).limit(s.per_user_per_day)
    if len(recent) >= s.per_user_per_day:
        retry = int((recent[0]["created_at"] + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited(retry, "At most %(limit)s uploads a day.", code="daily_upload_limit",
                          params={"limit": s.per_user_per_day})
    if event_id is None:
        return
    live = Item.status.is_in(list(LIVE))
    if await Item.count().where(Item.event_id == event_id, live) >= s.per_event:
        raise Conflict("This event's gallery is full.", code="event_media_limit", limit=s.per_event)
    mine = await Item.count().where(Item.event_id == event_id, Item.uploader == user_id, live)
    if mine >= s.per_user_per_event:
        raise Conflict("You added as many items to this event as one person may.", code="user_event_media_limit",
                       limit=s.per_user_per_event)


async def request_upload(user_id: int, content_type: str, size: int, target: str, target_id: int,
                         sizes: list[int] | None) -> Upload:
    """Check the target and the limits, record the item, and presign its upload."""
    s = plugin_settings(MediaSettings)
    kind = kind_of(content_type)
    limit = s.photo_max_bytes if kind == "photo" else s.video_max_bytes
    if size > limit:
        raise ValidationFailed("The file is too large.", code="file_too_large", errors=[
            {"pointer": "/size", "detail": f"at most {limit} bytes for a {kind}"}], limit=limit)
    answer = await targets.resolve(target, target_id, user_id)
    upload_key = f"uploads/{secrets.token_urlsafe(18)}"
    async with transaction():
        await Item.raw(sql.LOCK_UPLOADER, user_id)
        await check_quota(user_id, answer.event_id, s)
        city, tags, shared, starts = "", [], False, None
        if answer.event_id is not None:
            event = await events.get_event_info(answer.event_id)
            city, tags, starts = event.city or "", list(event.tags), event.starts_at
            shared = answer.gallery and not answer.private and event.visibility == "public"
        row = Item(uploader=user_id, kind=kind, target=target, target_id=target_id, event_id=answer.event_id,
                   private=answer.private, public_gallery=shared,
                   city=city, tags=tags, event_starts_at=starts, declared_type=content_type, declared_bytes=size,
                   upload_key=upload_key,
                   sizes=sorted(set(sizes or s.thumbnail_sizes)))
        await row.save()
    form = await storage.from_settings().upload_form(upload_key, content_type, size, s.upload_ttl_s)
    log.info("user %s asked to upload a %s to %s %s: media %s", user_id, kind, target, target_id, row.id)
    return Upload(info(await load(row.id)), form, clock.now() + timedelta(seconds=s.upload_ttl_s))


async def confirm(user_id: int, item_id: int) -> MediaInfo:
    """The app uploaded the file: check it is there and hand it to the processing job (once)."""
    async with transaction():
        row = await lock(item_id)
        if row["uploader_id"] != user_id or row["status"] == states.DELETED:
            raise not_found(item_id)
        if row["status"] != states.UPLOADING:
            raise Conflict("This upload was confirmed already.", code="already_confirmed", current_status=row["status"])
        size = await storage.from_settings().size(row["upload_key"])
        if size is None:
            raise Conflict("Nothing was uploaded yet (or the upload expired).", code="upload_missing")
        after = await move(row, states.PROCESSING, user_id, confirmed_at=clock.now())
    await enqueue_processing(item_id)
    return info(after)


async def enqueue_processing(item_id: int) -> None:
    """Enqueue the job; if Redis is away the periodic sweep picks the item up (it stays ``processing``)."""
    from plugins.media import jobs as media_jobs

    try:
        await media_jobs.process.enqueue(item_id)
    except Exception as exc:  # the item is safe in PostgreSQL: the sweep retries
        log.warning("media %s: could not enqueue processing (the sweep will): %s", item_id, exc)


async def receive_local(token: str, content_type: str, length: int | None, body: bytes) -> None:
    """The local backend's upload endpoint: the signed token's key, type and size limit, never overwriting."""
    ticket = storage.verify(token)
    if ticket is None or not ticket.content_type:
        raise PermissionDenied("The upload link is not valid or has expired.", code="upload_token_invalid")
    if content_type.split(";")[0].strip().lower() != ticket.content_type:
        raise UnsupportedMediaType("This upload takes %(content_type)s.",
                                   params={"content_type": ticket.content_type}, code="content_type_mismatch")
    if len(body) > ticket.max_bytes or (length or 0) > ticket.max_bytes:
        raise PayloadTooLarge("At most %(max_bytes)s bytes.",
                              params={"max_bytes": ticket.max_bytes}, code="upload_too_large")
    backend = storage.from_settings()
    if not isinstance(backend, storage.LocalStorage):
        raise PermissionDenied("Uploads go to object storage.", code="upload_token_invalid")
    if not await backend.put(ticket.key, body, ticket.content_type):
        raise Conflict("This upload was sent already.", code="already_uploaded")


async def delete(user_id: int, item_id: int, moderator: bool = False) -> None:
    """The uploader, the event's organiser or a moderator deletes an item; its objects go by a retried job."""
    async with transaction():
        row = await lock(item_id)
        if row["status"] == states.DELETED:
            raise not_found(item_id)
        allowed = moderator or row["uploader_id"] == user_id
        if not allowed and row["event_id"] is not None:
            allowed = await targets.is_manager(await events.get_event_info(row["event_id"]), user_id)
        if not allowed:
            raise not_found(item_id) if row["status"] != states.APPROVED else PermissionDenied(
                "Only the uploader or the organiser may delete this.", code="not_allowed_to_delete")
        await move(row, states.DELETED, user_id)
        await reports.target_removed("media.item", item_id, user_id)  # its open report case closes with it
    await enqueue_purge(item_id)


async def enqueue_purge(item_id: int) -> None:
    """Enqueue the deletion of the item's objects (the sweep retries what could not be enqueued)."""
    from plugins.media import jobs as media_jobs

    try:
        await media_jobs.purge.enqueue(item_id)
    except Exception as exc:
        log.warning("media %s: could not enqueue the purge (the sweep will): %s", item_id, exc)


async def set_uploaders(user_id: int, event_id: int, uploaders: str) -> str:
    """The organiser chooses who may add to the event's gallery."""
    event = await events.get_event_info(event_id)
    if not await targets.is_manager(event, user_id):
        raise not_found_event(event_id) if not await targets.may_view(event, user_id) else PermissionDenied(
            "Only the organiser chooses this.", code="not_organiser")
    existing = await GallerySetting.select(GallerySetting.id).where(GallerySetting.event_id == event_id).first()
    if existing:
        await GallerySetting.update({GallerySetting.uploaders: uploaders, GallerySetting.updated_by: user_id,
                                     GallerySetting.updated_at: clock.now()}).where(
            GallerySetting.event_id == event_id)
    else:
        await GallerySetting(event_id=event_id, uploaders=uploaders, updated_by=user_id).save()
    log.info("user %s: uploads to event %s's gallery by %s", user_id, event_id, uploaders)
    return uploaders


def not_found_event(event_id: int) -> NotFound:
    """The events plugin's answer for an event the caller may not see."""
    return NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")


async def owned(user_id: int, item_id: int) -> Row:
    """An item of the user's own (any status but deleted)."""
    row = await load(item_id)
    if row["uploader_id"] != user_id or row["status"] == states.DELETED:
        raise not_found(item_id)
    return row
