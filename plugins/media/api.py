"""The public Python API of media for plugins that depend on it: references, URLs for a viewer, ownership checks.

Other plugins store a reference, ``media:<id>`` (events' ``cover_ref``, a group's cover, a review's photos), and ask
here what it shows. A plugin that does not depend on media cannot import this module; it implements media's hooks
(``hookspecs.py``) instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import NotFound, PermissionDenied
from plugins.media import delivery, reads, states
from plugins.media.hookspecs import MediaInfo, MediaTarget, Screening
from plugins.media.store import id_of, info, load, ref_of

__all__ = ["MediaInfo", "MediaTarget", "MediaUrls", "Screening", "check_ref", "get_media", "id_of", "ref_of",
           "resolve"]


@dataclass(frozen=True)
class MediaUrls:
    """What a viewer needs to show an item: files by ``<name>.<fmt>``, placeholders, size, and the URLs' expiry."""

    ref: str
    kind: str
    width: int | None
    height: int | None
    blurhash: str
    color: str
    files: dict[str, str]
    expires_at: datetime | None


async def get_media(ref: str) -> MediaInfo:
    """The snapshot of a referenced item (any status but deleted); NotFound ``media_not_found`` otherwise."""
    item_id = id_of(ref)
    if item_id is None:
        raise NotFound("%(ref)r is not a media reference", params={"ref": ref}, code="media_not_found")
    row = await load(item_id)
    if row["status"] == states.DELETED:
        raise NotFound("%(ref)s not found", params={"ref": ref}, code="media_not_found")
    return info(row)


async def resolve(ref: str, viewer_id: int | None) -> MediaUrls | None:
    """The URLs of a referenced item for a viewer, or None when it is not shown to them (or not a media ref)."""
    item_id = id_of(ref)
    if item_id is None:
        return None
    try:
        row = await reads.visible(item_id, viewer_id)
    except NotFound:
        return None
    if row["status"] not in (states.APPROVED, states.PENDING):
        return None
    urls = await delivery.urls(row)
    return MediaUrls(ref_of(row["id"]), row["kind"], row["width"], row["height"], row["blurhash"], row["color"],
                     urls.files, urls.expires_at)


async def check_ref(ref: str, user_id: int, target: str | None = None, target_id: int | None = None) -> MediaInfo:
    """The item if ``user_id`` uploaded it (for that target when given), processed and not refused.

    What a plugin checks before storing a cover or a review's photo.

    NotFound ``media_not_found``; PermissionDenied ``media_not_yours``/``media_wrong_target``/``media_not_ready``.
    """
    media = await get_media(ref)
    if media.uploader_id != user_id:
        raise PermissionDenied("This photo is someone else's.", code="media_not_yours")
    if target is not None and (media.target != target or (target_id is not None and media.target_id != target_id)):
        raise PermissionDenied("This photo was uploaded for something else.", code="media_wrong_target")
    if media.status not in (states.PENDING, states.APPROVED):
        raise PermissionDenied("This photo is not ready.", code="media_not_ready", current_status=media.status)
    return media
