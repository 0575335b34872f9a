"""The processing and purge jobs' bodies: read the upload, check and render it, store the results, screen, publish.

Idempotent (delivery is at least once): an item not ``processing`` is left alone; results are content-addressed and
never overwritten. A storage outage is not the upload's fault: the item stays ``processing`` with its upload intact,
and the job is sent again with a growing delay (then the periodic sweep takes over), so nothing is lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core import clock, hooks
from core.hooks import plugin_settings
from plugins.media import MediaSettings, hookspecs, sql, states, storage
from plugins.media.hookspecs import Screening
from plugins.media.processing import ImageOptions, ImageResult, Refused, process_image, sniff
from plugins.media.store import Row, info, load, lock, log, move, renditions_of, transaction
from plugins.media.tables import Item
from plugins.media.video import VideoLimits, VideoResult, process_video

RENDER = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="media-render")
"""Rendering runs on these few threads (Pillow and FFmpeg release the GIL): few malloc arenas hold the big buffers,
where the default executor's many threads each kept one (the worker's memory grew with every thread used)."""
MAX_ATTEMPTS = 8
"""Storage outages retried by the job itself (delays 2, 4 … 256 s); after that the sweep re-sends every 10 min."""


@dataclass(frozen=True)
class Outcome:
    """What one run of the job did: ``done`` (processed or refused), ``retry`` (storage away), ``skipped``."""

    result: str
    retry_in_s: int = 0


def options(row: Row, s: MediaSettings) -> ImageOptions:
    """The rendering options of an item (its requested sizes, the operator's qualities and limits)."""
    return ImageOptions(sizes=tuple(row["sizes"] or s.thumbnail_sizes), original_long_side=s.original_long_side,
                        jpeg_quality=s.jpeg_quality, webp_quality=s.webp_quality, max_pixels=s.photo_max_pixels)


def render_upload(data: bytes, declared_kind: str, opts: ImageOptions,
                  s: MediaSettings) -> tuple[str, ImageResult | VideoResult]:
    """The bytes' real type (checked against the declared kind) and their renditions (CPU-bound: run in a thread)."""
    detected = sniff(data[:64])
    if detected.kind != declared_kind:
        raise Refused("type_mismatch", f"The file is a {detected.kind} ({detected.mime}), not a {declared_kind}.")
    if detected.kind == "photo":
        return detected.mime, process_image(data, opts)
    limits = VideoLimits(s.video_max_seconds, s.video_max_pixels, tuple(s.video_codecs))
    return detected.mime, process_video(data, limits, opts)


async def process(item_id: int) -> Outcome:
    """Process one confirmed upload."""
    row = await Item.select(Item.status, Item.attempts).where(Item.id == item_id).first()
    if row is None or row["status"] != states.PROCESSING:
        return Outcome("skipped")
    await Item.update({Item.attempts: Item.attempts + 1}).where(Item.id == item_id)
    try:
        return await _process(item_id)
    except storage.StorageUnavailable as exc:
        attempts = row["attempts"] + 1
        delay = 2 ** min(attempts, MAX_ATTEMPTS)
        log.warning("media %s: storage unavailable (attempt %s, again in %s s): %s", item_id, attempts, delay, exc)
        return Outcome("retry", delay if attempts < MAX_ATTEMPTS else 0)


async def _process(item_id: int) -> Outcome:
    s = plugin_settings(MediaSettings)
    row = await load(item_id)
    backend = storage.from_settings()
    try:
        data = await backend.get(row["upload_key"])
    except storage.ObjectMissing:
        return await _refuse(row, Refused("upload_missing", "The uploaded file is gone."), backend)
    content_hash = hashlib.sha256(data).hexdigest()
    try:
        mime, result = await asyncio.get_running_loop().run_in_executor(
            RENDER, render_upload, data, row["kind"], options(row, s), s)
    except Refused as refused:
        return await _refuse(row, refused, backend)
    del data
    poster = result.poster if isinstance(result, VideoResult) else result
    files = [result.video, *poster.renditions] if isinstance(result, VideoResult) else list(poster.renditions)
    renditions: list[dict[str, Any]] = []
    for r in files:
        name = "poster" if isinstance(result, VideoResult) and r.name == "full" else r.name
        key = storage.object_key(row["private"], content_hash, name, r.fmt)
        await backend.put(key, r.data, r.mime)
        renditions.append({"name": name, "fmt": r.fmt, "key": key, "width": r.width, "height": r.height})
    fields: dict[str, Any] = {
        "content_hash": content_hash, "renditions": renditions, "width": result.width, "height": result.height,
        "blurhash": poster.blurhash, "color": poster.color, "phash": poster.phash, "processed_at": clock.now(),
        "mime": mime,  # the upload's real type, from its bytes
        "duration_s": result.duration_s if isinstance(result, VideoResult) else None,
        "codecs": result.codecs if isinstance(result, VideoResult) else "",
    }
    holds = await screen(row, poster, s)
    stale: list[str] = []
    async with transaction():
        current = await lock(item_id)
        if current["status"] != states.PROCESSING:  # deleted meanwhile: its purge saw nothing of what we wrote
            in_use = {r["key"] for r in await Item.raw(sql.KEYS_IN_USE, content_hash, item_id)}
            stale = [r["key"] for r in renditions if r["key"] not in in_use]
        elif holds or s.moderate_all:
            reason = "; ".join(h.reason for h in holds) or "every upload is reviewed"
            await move(current, states.PENDING, None, hold_reason=reason, **fields)
        else:
            await move(current, states.APPROVED, None, **fields)
    if current["status"] != states.PROCESSING:
        for key in [*stale, row["upload_key"]]:
            await backend.delete(key)
        return Outcome("skipped")
    await _drop_upload(backend, row["upload_key"])
    return Outcome("done")


async def screen(row: Row, image: ImageResult, s: MediaSettings) -> list[Screening]:
    """Every screener's hold (media's own duplicate-of-rejected screener is one of them)."""
    snapshot = info(row)
    answers = await hooks.call(hookspecs.media_screened, media=snapshot, preview_jpeg=image.preview_jpeg,
                               phash=image.phash)
    return [a for a in answers if a is not None and a.hold]


async def duplicate_of_rejected(media_id: int, phash: int) -> Screening | None:
    """Media's own screener: hold exact and near duplicates of items moderators rejected."""
    distance = plugin_settings(MediaSettings).duplicate_distance
    rows = await Item.raw(sql.NEAR_REJECTED, phash, media_id, distance)
    if not rows:
        return None
    near = rows[0]
    what = "an exact" if near["distance"] == 0 else "a near"
    return Screening(hold=True, reason=f"{what} duplicate of rejected media {near['id']} (distance {near['distance']})",
                     score=float(near["distance"]))


async def _refuse(row: Row, refused: Refused, backend: storage.Storage) -> Outcome:
    async with transaction():
        current = await lock(row["id"])
        if current["status"] != states.PROCESSING:
            return Outcome("skipped")
        await move(current, states.FAILED, None, error_code=refused.code, error_detail=refused.detail[:500],
                   processed_at=clock.now())
    await _drop_upload(backend, row["upload_key"])
    log.info("media %s refused: %s (%s)", row["id"], refused.code, refused.detail)
    return Outcome("done")


async def _drop_upload(backend: storage.Storage, key: str) -> None:
    try:
        await backend.delete(key)
    except storage.StorageUnavailable as exc:  # an orphan upload is harmless; the purge of the item retries it
        log.warning("could not delete upload %s: %s", key, exc)


async def purge(item_id: int) -> Outcome:
    """Remove a deleted item's objects that no other item uses; retried until done."""
    row = await load(item_id)
    if row["status"] != states.DELETED or row["purged_at"] is not None:
        return Outcome("skipped")
    backend = storage.from_settings()
    keys = [r["key"] for r in _renditions(row)]
    if row["content_hash"]:
        in_use = {r["key"] for r in await Item.raw(sql.KEYS_IN_USE, row["content_hash"], item_id)}
        keys = [k for k in keys if k not in in_use]
    try:
        for key in [*keys, row["upload_key"]]:
            await backend.delete(key)
    except storage.StorageUnavailable as exc:
        log.warning("media %s: purge postponed, storage unavailable: %s", item_id, exc)
        return Outcome("retry", 30)
    await Item.update({Item.purged_at: clock.now()}).where(Item.id == item_id)
    log.info("media %s: %s objects removed", item_id, len(keys))
    return Outcome("done")


def _renditions(row: Row) -> list[dict[str, Any]]:
    return renditions_of(row)


async def stuck(older_than: timedelta) -> tuple[list[int], list[int]]:
    """Items to send again: processing since before ``older_than``, and deleted items whose objects remain."""
    before = clock.now() - older_than
    processing = await Item.select(Item.id).where(Item.status == states.PROCESSING, Item.confirmed_at < before)
    purging = await Item.select(Item.id).where(Item.status == states.DELETED, Item.purged_at.is_null(),
                                               Item.deleted_at < before)
    return [r["id"] for r in processing], [r["id"] for r in purging]
