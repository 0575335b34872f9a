"""Hooks the media plugin offers: attachment targets, screening decisions, and news of approved and removed media.

A plugin that owns something media can be attached to (reviews' photos, a group's cover) answers
``media_target_from_plugin`` for its own target names (``<plugin>.<what>``). A plugin that does not depend on media
(so cannot import this module) may still implement these hooks with ``@hookimpl(optionalhook=True)``: it returns a
plain ``dict`` with :class:`MediaTarget`'s fields (media validates it) and reads :class:`MediaInfo`'s attributes.

``media_approved`` and ``media_removed`` are notifications called inside the transaction of the change (the outbox
rule of events' hooks applies: no slow I/O in them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.hooks import hookspec
from core.hooks.policy import decision, notification


@dataclass(frozen=True)
class MediaInfo:
    """A snapshot of a media item for other plugins (the table is private to media)."""

    id: int
    ref: str  # "media:<id>": what other plugins store (events.cover_ref, a review's media)
    kind: str  # photo | video
    status: str
    uploader_id: int
    target: str  # events.gallery | events.cover | reviews.review | groups.cover | …
    target_id: int | None
    event_id: int | None
    private: bool
    mime: str = ""
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


@dataclass(frozen=True)
class MediaTarget:
    """What the owner of a target says about an upload to it (the uploader may attach; refusals raise instead).

    ``event_id``: the event the item shows (per-event limits, the event's gallery); ``private``: members only (served
    presigned and short-lived, never through the CDN, never in the shared gallery); ``gallery``: once approved the
    item appears in the event's gallery (and, for a public event, in the shared gallery).
    """

    event_id: int | None = None
    private: bool = False
    gallery: bool = False


@dataclass(frozen=True)
class Screening:
    """A screener's verdict: ``hold`` sends the item to the moderators with ``reason``; ``score`` is informative."""

    hold: bool
    reason: str = ""
    score: float | None = None


@decision
@hookspec(firstresult=True)
def media_target_from_plugin(target: str, target_id: int, user_id: int) -> MediaTarget | Mapping[str, Any] | None:
    """Resolve an upload's target: may ``user_id`` attach a photo or video to ``target`` ``target_id``?

    Called when an upload is requested (``POST /api/v1/media/uploads``). The plugin whose name starts ``target``
    (``reviews`` for ``reviews.review``) answers; every other implementation returns None. Return a
    :class:`MediaTarget` (or a mapping of its fields); raise ``core.errors.NotFound`` for an unknown or hidden
    target and ``PermissionDenied`` (with a ``code``) when the user may not attach. Errors propagate to the caller.
    Media answers ``events.gallery`` and ``events.cover`` itself. Example (reviews, without importing media)::

        @hookimpl(optionalhook=True)
        async def media_target_from_plugin(target: str, target_id: int, user_id: int) -> dict | None:
            if target != "reviews.event":
                return None
            await check_attended(target_id, user_id)  # raises PermissionDenied("...", code="not_attended")
            return {"event_id": target_id, "private": False, "gallery": False}
    """


@decision
@hookspec(firstresult=True)
def media_visible_from_plugin(media: MediaInfo, user_id: int | None) -> bool | None:
    """May ``user_id`` (None: anonymous) see an approved item attached to one of your targets?

    Called for items that belong to no event (events' own visibility decides those) and are ``private``: the
    owner of ``media.target`` answers True/False, others None. Unanswered private items are shown only to their
    uploader and moderators; items neither private nor of an event are public once approved. Errors propagate.
    """


@decision
@hookspec
def media_screened(media: MediaInfo, preview_jpeg: bytes, phash: int) -> Screening | None:
    """Screen a processed item before it is published: return ``Screening(hold=True, reason=…)`` to hold it back.

    Called by the processing job once the item is rendered, outside any transaction; every implementation runs
    (``preview_jpeg``: an upright JPEG at most 512 px long, EXIF-free; ``phash``: its 64-bit difference hash). Any
    hold sends the item to the moderators' queue with the reasons; None or ``hold=False`` lets it through. Media's
    own screener holds exact and near duplicates of rejected items. A classifier (an NSFW model shipped in its
    package) runs here; keep it under a second. Errors propagate: the job retries later.
    """


@notification
@hookspec
def media_approved(media: MediaInfo) -> None:
    """Called when an item becomes visible (approved automatically or by a moderator), inside that transaction."""


@notification
@hookspec
def media_removed(media: MediaInfo, reason: str) -> None:
    """Called when an item stops being visible or usable: rejected, deleted (``reason`` says by whom), held back.

    A plugin that stored the item's ref (a review's photos, a cover) drops or hides it here.
    """
