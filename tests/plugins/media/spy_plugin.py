"""A test plugin written the way reviews or groups would implement media's hooks without importing media.

It owns the target ``spy.photos`` (answered with a plain dict), screens with a "classifier" (holds very red
pictures, like an NSFW model would hold by a score) and records the notifications with the row's status as seen
inside the transaction.
"""

from __future__ import annotations

import io
from typing import Any

from core import db
from core.errors import PermissionDenied
from core.hooks import hookimpl

calls: list[tuple[str, dict[str, Any]]] = []
ALLOWED: set[int] = set()


@hookimpl(optionalhook=True)
def media_target_from_plugin(target: str, target_id: int, user_id: int) -> dict[str, Any] | None:
    if target != "spy.photos":
        return None
    if user_id not in ALLOWED:
        raise PermissionDenied("Not yours.", code="spy_refused")
    return {"event_id": None, "private": target_id == 2, "gallery": False}


@hookimpl(optionalhook=True)
def media_visible_from_plugin(media: Any, user_id: int | None) -> bool | None:
    return user_id in ALLOWED if media.target == "spy.photos" else None


@hookimpl(optionalhook=True)
def media_screened(media: Any, preview_jpeg: bytes) -> Any:
    from PIL import Image, ImageStat

    red = ImageStat.Stat(Image.open(io.BytesIO(preview_jpeg)).convert("RGB")).mean[0]
    if red > 190:
        from plugins.media.hookspecs import Screening  # a plugin that depends on media returns the type itself

        return Screening(hold=True, reason=f"classifier score {red / 255:.2f}", score=red / 255)
    return None


async def _status(media: Any) -> str | None:
    tx = db.engine().current_transaction.get()
    return await tx.connection.fetchval("SELECT status FROM media.item WHERE id = $1", media.id) if tx else None


@hookimpl(optionalhook=True)
async def media_approved(media: Any) -> None:
    calls.append(("media_approved", {"media": media, "in_tx_status": await _status(media)}))


@hookimpl(optionalhook=True)
async def media_removed(media: Any, reason: str) -> None:
    calls.append(("media_removed", {"media": media, "reason": reason, "in_tx_status": await _status(media)}))
