"""HTTP routes of media: ``/api/v1/media/…`` (thin: parse, call services, shape) and ``/media/files/…``."""

from __future__ import annotations

import mimetypes
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from core.auth.guards import MaybeSignedIn, Principal, SignedIn, requires
from core.http import query
from core.http.params import Limit
from core.pagination import Page
from plugins.media import moderation, reads, services, storage, tagging
from plugins.media.schemas import (
    GallerySettingsBody,
    GallerySettingsRead,
    MediaRead,
    MediaReasonBody,
    MediaReportCreate,
    SharedParams,
    TagCreate,
    UploadCreate,
    UploadForm,
    UploadRead,
)

MODERATE = "media.moderate"
SharedQuery = NamedDependency[SharedParams]
MAX_LOCAL_UPLOAD = 2 * 1024**3
"""The local upload route reads at most this much; each upload's own limit (its signed token) is checked too."""


def is_moderator(principal: Principal | None) -> bool:
    """Whether the caller moderates media."""
    return bool(principal and principal.has(MODERATE))


class MediaController(Controller):
    """Uploads, items, galleries, people in photos, reports and moderation."""

    path = "/media"

    @post("/uploads", operation_id="create_media_upload", status_code=HTTP_201_CREATED,
          opt={"codes": {404: ["target_not_found", "event_not_found"]}})
    async def create_upload(self, principal: SignedIn, data: JSONBody[UploadCreate]) -> UploadRead:
        """Ask to upload a photo or video to a target; send the file as ``upload`` says, then confirm.

        422 ``file_too_large``/``unsupported_type``; 404 ``target_not_found``/``event_not_found``; 403
        ``gallery_upload_not_allowed``/``not_organiser``; 409 ``gallery_closed``/``event_media_limit``/
        ``user_event_media_limit``; 429 ``daily_upload_limit``.
        """
        upload = await services.request_upload(principal.user_id, data.content_type, data.size, data.target,
                                               data.target_id, data.sizes)
        item = (await reads.shape([await reads.load_any(upload.item.id)], principal.user_id))[0]
        form = upload.form
        return UploadRead(item, UploadForm(form.method, form.url, form.fields, form.headers),  # type: ignore[arg-type]
                          upload.expires_at)

    @put("/local-uploads/{token:str}", operation_id="put_media_local_upload", status_code=HTTP_204_NO_CONTENT,
         request_max_body_size=MAX_LOCAL_UPLOAD, body_types=("image/*", "video/*"),
         statuses=(403,))  # the upload token in the path is the credential: 403 upload_token_invalid
    async def put_local_upload(self, request: Request[Any, Any, Any], token: FromPath[str]) -> None:
        """The local backend's upload endpoint (what ``upload.url`` names): the raw bytes, the declared type.

        403 ``upload_token_invalid``; 415 ``content_type_mismatch``; 413 ``upload_too_large``; 409 ``already_uploaded``.
        """
        length = request.headers.get("content-length")
        await services.receive_local(token, request.headers.get("content-type", ""),
                                     int(length) if length and length.isdigit() else None, await request.body())

    @post("/items/{item_id:int}/confirm", operation_id="confirm_media_upload", status_code=HTTP_202_ACCEPTED)
    async def confirm(self, principal: SignedIn, item_id: FromPath[int]) -> MediaRead:
        """The file is uploaded: processing starts (``processing``; poll the item or your uploads).

        404 ``media_not_found`` (not yours); 409 ``already_confirmed``/``upload_missing``.
        """
        await services.confirm(principal.user_id, item_id)
        return await reads.one(item_id, principal.user_id)

    @get("/items/{item_id:int}", operation_id="get_media")
    async def get_item(self, optional_principal: MaybeSignedIn, item_id: FromPath[int]) -> MediaRead:
        """One item with its file URLs (404 ``media_not_found`` when the caller may not see it)."""
        viewer = optional_principal.user_id if optional_principal else None
        return await reads.one(item_id, viewer, is_moderator(optional_principal))

    @delete("/items/{item_id:int}", operation_id="delete_media", status_code=HTTP_204_NO_CONTENT)
    async def delete_item(self, principal: SignedIn, item_id: FromPath[int]) -> None:
        """Delete an item (its uploader, the event's organiser, a moderator); its files go shortly after."""
        await services.delete(principal.user_id, item_id, is_moderator(principal))

    @get("/events/{event_id:int}/gallery", operation_id="list_event_media")
    async def event_gallery(self, optional_principal: MaybeSignedIn, event_id: FromPath[int],
                            cursor: FromQuery[str | None] = None, limit: Limit = 30) -> Page[MediaRead]:
        """An event's gallery: approved items, newest first (404 ``event_not_found`` when hidden from the caller)."""
        return await reads.event_gallery(event_id, optional_principal.user_id if optional_principal else None,
                                         cursor, limit)

    @get("/events/{event_id:int}/settings", operation_id="get_media_gallery_settings")
    async def gallery_settings(self, optional_principal: MaybeSignedIn,
                               event_id: FromPath[int]) -> GallerySettingsRead:
        """Who may add to the event's gallery."""
        from plugins.media import targets

        await targets.visible_event(event_id, optional_principal.user_id if optional_principal else None)
        return GallerySettingsRead(event_id, await targets.uploaders(event_id))

    @put("/events/{event_id:int}/settings", operation_id="update_media_gallery_settings")
    async def set_gallery_settings(self, principal: SignedIn, event_id: FromPath[int],
                                   data: JSONBody[GallerySettingsBody]) -> GallerySettingsRead:
        """The organiser chooses who may add to the gallery: ``organiser``, ``confirmed`` or ``joined``."""
        return GallerySettingsRead(event_id, await services.set_uploaders(principal.user_id, event_id, data.uploaders))

    @get("/gallery", operation_id="list_shared_media",
         dependencies={"shared_query": Provide(query.provider(SharedParams), sync_to_thread=False)},
         operation_class=query.operation_with(SharedParams))
    async def shared_gallery(self, optional_principal: MaybeSignedIn, shared_query: SharedQuery) -> Page[MediaRead]:
        """The shared gallery across public events: ``city``, ``tag``, ``from``/``to`` (the event's date), ``kind``."""
        return await reads.shared_gallery(shared_query, optional_principal.user_id if optional_principal else None)

    @get("/mine", operation_id="list_my_media")
    async def mine(self, principal: SignedIn, status: FromQuery[str | None] = None,
                   cursor: FromQuery[str | None] = None, limit: Limit = 30) -> Page[MediaRead]:
        """My uploads with their moderation state (``status`` filters), newest first."""
        return await reads.mine(principal.user_id, cursor, limit, status)

    @post("/items/{item_id:int}/people", operation_id="tag_media_person", status_code=HTTP_201_CREATED)
    async def tag_person(self, principal: SignedIn, item_id: FromPath[int], data: JSONBody[TagCreate]) -> MediaRead:
        """Tag a person in my photo; they are asked and the tag shows once they accept."""
        await tagging.tag(item_id, principal.user_id, data.user_id)
        return await reads.one(item_id, principal.user_id)

    @post("/items/{item_id:int}/people/me/accept", operation_id="accept_media_tag", status_code=HTTP_204_NO_CONTENT)
    async def accept_tag(self, principal: SignedIn, item_id: FromPath[int]) -> None:
        """Agree to be shown as tagged (404 ``tag_not_found``; 409 ``already_accepted``)."""
        await tagging.accept(item_id, principal.user_id)

    @delete("/items/{item_id:int}/people/{user_id:int}", operation_id="remove_media_tag",
            status_code=HTTP_204_NO_CONTENT)
    async def remove_tag(self, principal: SignedIn, item_id: FromPath[int], user_id: FromPath[int]) -> None:
        """Remove a tag: the tagged person (their own, any time) or the uploader."""
        await tagging.remove(item_id, user_id, principal.user_id)

    @post("/items/{item_id:int}/reports", operation_id="report_media", status_code=HTTP_201_CREATED)
    async def report(self, principal: SignedIn, item_id: FromPath[int], data: JSONBody[MediaReportCreate]) -> None:
        """Report an item to the moderators (409 ``already_exists`` for a second report of yours)."""
        await moderation.report(item_id, principal.user_id, data.reason, data.note)

    @post("/items/{item_id:int}/approve", operation_id="approve_media", guards=[requires(MODERATE)])
    async def approve(self, principal: SignedIn, item_id: FromPath[int]) -> MediaRead:
        """Publish a held item (moderators)."""
        await moderation.approve(item_id, principal.user_id)
        return await reads.one(item_id, principal.user_id, True)

    @post("/items/{item_id:int}/reject", operation_id="reject_media", guards=[requires(MODERATE)])
    async def reject(self, principal: SignedIn, item_id: FromPath[int], data: JSONBody[MediaReasonBody]) -> MediaRead:
        """Reject an item (moderators) with the reason the uploader reads."""
        await moderation.reject(item_id, principal.user_id, data.reason)
        return await reads.one(item_id, principal.user_id, True)


class MediaFilesController(Controller):
    """The local backend's files: ``pub/…`` to anyone (immutable), ``priv/…`` only with an unexpired signed link."""

    path = "/media/files"

    @get("/{key:path}", operation_id="get_media_file", include_in_schema=False)
    async def get_file(self, key: FromPath[str], t: FromQuery[str | None] = None) -> Response[bytes]:
        """One stored object (404 for anything else: an expired or foreign link, a missing file, another backend)."""
        from core.errors import NotFound

        key = key.lstrip("/")
        backend = storage.from_settings()
        ticket = storage.verify(t) if t else None
        public = key.startswith("pub/")
        if not isinstance(backend, storage.LocalStorage) or not (public or (ticket and ticket.key == key)):
            raise NotFound("No such file.", code="file_not_found")
        if key.startswith("uploads/"):
            raise NotFound("No such file.", code="file_not_found")
        try:
            data = await backend.get(key)
        except storage.ObjectMissing:
            raise NotFound("No such file.", code="file_not_found") from None
        cache = storage.IMMUTABLE if public else "private, max-age=60"
        media_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        return Response(content=data, media_type=media_type, headers={"Cache-Control": cache,
                                                                      "X-Content-Type-Options": "nosniff"})
