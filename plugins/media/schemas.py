"""Request and response shapes of the media API (msgspec Structs); field rules are their ``Meta`` constraints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.http.params import LimitField
from core.pagination import Page

ContentType = Literal["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "video/mp4",
                      "video/quicktime"]
Target = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,39}\.[a-z][a-z0-9_]{0,39}$", max_length=40,
                             description="what the item belongs to: events.gallery, events.cover, reviews.event…")]
Id = Annotated[int, Meta(ge=1, le=2**31 - 1)]
Size = Annotated[int, Meta(ge=32, le=4096, description="a thumbnail's long side in pixels")]
Uploaders = Literal["organiser", "confirmed", "joined"]


class UploadCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Ask to upload one photo or video: its type and exact size, what it is for, and the thumbnail sizes wanted."""

    content_type: ContentType
    size: Annotated[int, Meta(ge=1, le=10 * 1024**3, description="the file's size in bytes")]
    target: Target
    target_id: Id
    sizes: Annotated[list[Size], Meta(max_length=4)] | None = None


class UploadForm(msgspec.Struct):
    """How to send the file, then confirm the upload.

    ``POST``: a multipart form with ``fields`` first and the file last as ``file``; ``PUT``: the bytes with ``headers``.
    """

    method: Literal["POST", "PUT"]
    url: str
    fields: dict[str, str]
    headers: dict[str, str]


class PersonRead(msgspec.Struct):
    """A person tagged in a photo; ``accepted`` false until they agree (others do not see it before)."""

    user_id: int
    display_name: str
    accepted: bool


class MediaRead(msgspec.Struct):
    """A photo or video with its files.

    ``files`` maps ``<name>.<fmt>`` (``w320.webp``, ``w320.jpg``, ``full.jpg``, ``poster.jpg``, ``video.mp4``) to a
    URL valid until ``urls_expire_at`` (null: CDN URLs that do not expire).
    """

    id: int
    ref: str
    kind: str
    mime: str  # the upload's real type, judged from its bytes once processed
    status: str
    target: str
    target_id: int | None
    event_id: int | None
    uploader_id: int
    width: int | None
    height: int | None
    duration_s: float | None
    blurhash: str
    color: str
    files: dict[str, str]
    urls_expire_at: datetime | None
    created_at: datetime
    published_at: datetime | None
    people: list[PersonRead]
    error_code: str | None = None
    error_detail: str | None = None
    reason: str | None = None


class UploadRead(msgspec.Struct):
    """An upload handed out: the item (``uploading``), where to send the file, and until when."""

    item: MediaRead
    upload: UploadForm
    expires_at: datetime


class GallerySettingsBody(msgspec.Struct, forbid_unknown_fields=True):
    """Who may add to an event's gallery."""

    uploaders: Uploaders


class GallerySettingsRead(msgspec.Struct):
    """Who may add to an event's gallery."""

    event_id: int
    uploaders: str


class TagCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Tag a person in a photo (they are asked; the tag shows once they accept)."""

    user_id: Id


class MediaReportCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Report a photo or video to the moderators."""

    reason: Literal["nudity", "violence", "hate", "spam", "privacy", "copyright", "other"]
    note: Annotated[str, Meta(max_length=1000)] = ""


class MediaReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    """A moderator's reason, shown to the uploader."""

    reason: Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"\S")]


class SharedParams(msgspec.Struct, forbid_unknown_fields=True):
    """Filters of the shared gallery (public events only)."""

    city: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    tag: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")] | None = None
    date_from: date | None = msgspec.field(default=None, name="from")
    date_to: date | None = msgspec.field(default=None, name="to")
    kind: Literal["photo", "video"] | None = None
    cursor: str | None = None
    limit: LimitField = 30


__all__ = [
    "GallerySettingsBody",
    "GallerySettingsRead",
    "MediaRead",
    "MediaReasonBody",
    "MediaReportCreate",
    "Page",
    "PersonRead",
    "SharedParams",
    "TagCreate",
    "UploadCreate",
    "UploadForm",
    "UploadRead",
]
